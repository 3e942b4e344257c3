//! End-to-end tests: the real binary over stdin/stdout.

use std::process::Stdio;
use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::support::reference_server;

pub fn trials() -> Vec<Trial> {
    async_tests![
        exits_on_eof_even_with_a_running_task,
        cancellation_suppresses_the_response,
        ask_roots_round_trip,
        oversized_line_is_rejected_and_server_survives,
        output_faults,
        process_faults,
        cli_errors_and_fault_list,
    ]
}

const WAIT: Duration = Duration::from_secs(5);

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(reference_server())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn server");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Server {
            child,
            stdin,
            stdout,
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).await.expect("write");
        stdin.flush().await.expect("flush");
    }

    async fn send(&mut self, msg: Value) {
        let mut line = msg.to_string().into_bytes();
        line.push(b'\n');
        self.send_raw(&line).await;
    }

    async fn line(&mut self) -> Vec<u8> {
        let mut buf = Vec::new();
        tokio::time::timeout(WAIT, self.stdout.read_until(b'\n', &mut buf))
            .await
            .expect("timely line")
            .expect("read");
        buf
    }

    async fn recv(&mut self) -> Value {
        let line = self.line().await;
        serde_json::from_slice(&line).expect("one JSON message per line")
    }

    async fn init(&mut self, caps: Value) -> Value {
        self.send(
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":caps,
            "clientInfo":{"name":"t","version":"1"}}}),
        )
        .await;
        self.recv().await
    }

    async fn initialized(&mut self) {
        self.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
            .await;
    }

    async fn close_and_wait(&mut self) -> Option<i32> {
        self.stdin = None;
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("exits promptly")
            .expect("wait");
        status.code()
    }
}

async fn exits_on_eof_even_with_a_running_task() {
    let mut s = Server::start(&[]);
    s.init(json!({})).await;
    s.initialized().await;
    s.send(
        json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{
        "name":"slow","arguments":{"steps":100,"delay_ms":1000}}}),
    )
    .await;
    s.send(json!({"jsonrpc":"2.0","id":3,"method":"ping"}))
        .await;
    assert_eq!(s.recv().await, json!({"jsonrpc":"2.0","id":3,"result":{}}));
    assert_eq!(s.close_and_wait().await, Some(0));
}

async fn cancellation_suppresses_the_response() {
    let mut s = Server::start(&[]);
    s.init(json!({})).await;
    s.initialized().await;
    s.send(
        json!({"jsonrpc":"2.0","id":"slow-1","method":"tools/call","params":{
        "name":"slow","arguments":{"steps":3,"delay_ms":300}}}),
    )
    .await;
    s.send(json!({"jsonrpc":"2.0","method":"notifications/cancelled",
        "params":{"requestId":"slow-1","reason":"test"}}))
        .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    s.send(json!({"jsonrpc":"2.0","id":4,"method":"ping"}))
        .await;
    assert_eq!(
        s.recv().await["id"],
        4,
        "no response for the cancelled call"
    );
}

async fn ask_roots_round_trip() {
    let mut s = Server::start(&[]);
    s.init(json!({"roots":{"listChanged":true}})).await;
    // Before notifications/initialized the server sends no request.
    s.send(json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"ask_roots"}}))
        .await;
    let r = s.recv().await;
    assert_eq!(
        (r["id"].clone(), r["result"]["isError"].clone()),
        (json!(2), json!(true))
    );
    s.initialized().await;
    s.send(json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"ask_roots"}}))
        .await;
    let req = s.recv().await;
    assert_eq!(req["method"], "roots/list");
    assert!(req["id"].is_string() || req["id"].is_i64());
    s.send(json!({"jsonrpc":"2.0","id":"no-such-request","result":{"roots":[]}}))
        .await;
    s.send(json!({"jsonrpc":"2.0","id":req["id"],"result":{"roots":[
        {"uri":"file:///a","name":"a"},{"uri":"file:///b"}]}}))
        .await;
    let r = s.recv().await;
    assert_eq!(r["id"], 3);
    assert_eq!(r["result"]["content"][0]["text"], "file:///a\nfile:///b");
}

async fn oversized_line_is_rejected_and_server_survives() {
    let mut s = Server::start(&[]);
    let mut big = vec![b'x'; 4 * 1024 * 1024 + 10];
    big.push(b'\n');
    s.send_raw(&big).await;
    let r = s.recv().await;
    assert_eq!(
        (r["id"].clone(), r["error"]["code"].clone()),
        (Value::Null, json!(-32700))
    );
    s.send(json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
        .await;
    assert_eq!(s.recv().await["id"], 1);
}

async fn output_faults() {
    let mut s = Server::start(&["--fault", "banner-on-stdout"]);
    assert_eq!(s.line().await, b"mcp-reference-server ready\n");

    let mut s = Server::start(&["--fault", "pretty-print"]);
    s.send(json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
        .await;
    let first = s.line().await;
    assert!(serde_json::from_slice::<Value>(&first).is_err());

    let mut s = Server::start(&["--fault", "latin1-output"]);
    s.init(json!({})).await;
    s.send(json!({"jsonrpc":"2.0","id":2,"method":"tools/call",
        "params":{"name":"echo","arguments":{"text":"é✓"}}}))
        .await;
    let line = s.line().await;
    assert!(std::str::from_utf8(&line).is_err());
    assert!(line.windows(2).any(|w| w == b"\xe9?"));
}

async fn process_faults() {
    let mut s = Server::start(&["--fault", "exit-on-bad-json"]);
    s.send_raw(b"{oops\n").await;
    assert_eq!(s.recv().await["error"]["code"], -32700);
    let status = tokio::time::timeout(WAIT, s.child.wait())
        .await
        .expect("exits")
        .expect("wait");
    assert_eq!(status.code(), Some(1));

    let mut s = Server::start(&["--fault", "ignore-eof"]);
    s.stdin = None;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        s.child.try_wait().expect("try_wait").is_none(),
        "still running"
    );
    s.child.kill().await.expect("kill");
}

async fn cli_errors_and_fault_list() {
    let out = Command::new(reference_server())
        .args(["--fault", "no-such-fault"])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());

    let mut child = Command::new(reference_server())
        .arg("--list-faults")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut text = String::new();
    if let Some(mut o) = child.stdout.take() {
        o.read_to_string(&mut text).await.expect("read");
    }
    assert!(child.wait().await.expect("wait").success());
    // That every fault has its entry in fixtures/mutants.yaml is the `catalogue` unit test.
    assert!(text.lines().any(|l| l.starts_with("stringify-ids ")));
}
