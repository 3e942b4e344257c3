//! `mcp-conform` against a reference server that demands a token (`--bearer`): without
//! the token only the auth cases run and every other case is skipped with the reason;
//! with it, every auth case passes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const REFERENCE: &str = env!("CARGO_BIN_EXE_mcp-reference-server");
const TOKEN: &str = "auth-cli-test-token";

fn conform_binary() -> PathBuf {
    Path::new(REFERENCE).with_file_name("mcp-conform")
}

/// The HTTP reference server, killed and reaped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let mut child = Command::new(REFERENCE)
        .args(["--http", "127.0.0.1:0", "--bearer", TOKEN])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the reference server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server printed no `listening on` line")
            .expect("read stderr");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap_or("").to_string();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

fn run(args: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(conform_binary())
        .args(["--format", "json", "-o"])
        .arg(dir.path())
        .args(args)
        .output()
        .expect("run mcp-conform");
    let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap_or_else(|e| {
        panic!(
            "no report.json ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    (out.status.code().unwrap_or(-1), report)
}

fn case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("case {id} missing from the report"))
}

#[test]
fn without_a_token_only_the_auth_cases_run() {
    let server = start();
    let (code, report) = run(&[&server.url]);
    assert_eq!(code, 0, "nothing failed: {report}");
    assert_eq!(case(&report, "auth.missing-token-401")["verdict"], "pass");
    assert_eq!(case(&report, "auth.token-required")["verdict"], "pass");
    let other = case(&report, "tools.list-shape");
    assert_eq!(other["verdict"], "skip");
    assert!(
        other["reason"].as_str().unwrap_or("").contains("--bearer"),
        "the skip says how to run it: {other}"
    );
    let notes = report["server"]["notes"].to_string();
    assert!(notes.contains("only the auth cases ran"), "notes: {notes}");
}

#[test]
fn with_the_token_every_auth_case_passes() {
    let server = start();
    let (code, report) = run(&["--bearer", TOKEN, "--only", "auth.*", &server.url]);
    assert_eq!(code, 0, "{report}");
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 10, "all auth cases ran: {}", cases.len());
    for c in &cases {
        assert_eq!(c["verdict"], "pass", "{}: {}", c["id"], c["reason"]);
    }
}
