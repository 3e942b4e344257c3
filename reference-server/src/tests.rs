//! Session-level tests of the protocol core (no process, no stdio).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::core::{Config, Control, Outgoing, Session};
use crate::faults::{Fault, Faults};

struct Peer {
    session: Arc<Session>,
    rx: mpsc::UnboundedReceiver<Outgoing>,
}

impl Peer {
    fn new(faults: &[Fault]) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let config = Config {
            modern_only: false,
            faults: Faults::of(faults),
            variants: Default::default(),
            page_size: 3,
            root: None,
            subscriptions: Default::default(),
        };
        Peer {
            session: Session::new(config, tx),
            rx,
        }
    }

    fn feed(&self, msg: Value) -> Control {
        self.session.handle_text(&msg.to_string())
    }

    async fn recv(&mut self) -> Value {
        match tokio::time::timeout(Duration::from_secs(5), self.rx.recv()).await {
            Ok(Some(Outgoing::Message(v))) => v,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Asserts that nothing is sent within a short while.
    async fn silent(&mut self) {
        if let Ok(Some(Outgoing::Message(v))) =
            tokio::time::timeout(Duration::from_millis(100), self.rx.recv()).await
        {
            panic!("unexpected message {v}");
        }
    }

    async fn call(&mut self, msg: Value) -> Value {
        self.feed(msg);
        self.recv().await
    }

    async fn init(&mut self, version: &str) -> Value {
        let r = self
            .call(
                json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
                "protocolVersion": version,
                "capabilities": {"roots": {}},
                "clientInfo": {"name": "t", "version": "1"}}}),
            )
            .await;
        self.feed(json!({"jsonrpc":"2.0","method":"notifications/initialized"}));
        r
    }
}

fn code(resp: &Value) -> i64 {
    resp["error"]["code"].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn parse_and_validation_errors() {
    let mut p = Peer::new(&[]);
    assert_eq!(p.session.handle_text("{not json"), Control::Continue);
    let r = p.recv().await;
    assert_eq!((code(&r), r["id"].clone()), (-32700, Value::Null));
    assert!(r.get("result").is_none());
    let r = p.call(json!(42)).await;
    assert_eq!((code(&r), r["id"].clone()), (-32600, Value::Null));
    let r = p
        .call(json!({"jsonrpc":"2.0","id":{"a":1},"method":"ping"}))
        .await;
    assert_eq!((code(&r), r["id"].clone()), (-32600, Value::Null));
    let r = p.call(json!({"jsonrpc":"2.0","id":"x"})).await;
    assert_eq!((code(&r), r["id"].clone()), (-32600, json!("x")));
    // ping works before initialize and echoes id type and value.
    let r = p
        .call(json!({"jsonrpc":"2.0","id":"42","method":"ping"}))
        .await;
    assert_eq!(r, json!({"jsonrpc":"2.0","id":"42","result":{}}));
    let r = p
        .call(json!({"jsonrpc":"2.0","id":0,"method":"ping"}))
        .await;
    assert_eq!(r["id"], json!(0));
    // Other requests need initialize; notifications are never answered.
    let r = p
        .call(json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}))
        .await;
    assert_eq!(code(&r), -32600);
    assert_eq!(r["error"]["message"], "server not initialized");
    p.feed(json!({"jsonrpc":"2.0","method":"no/such/notification"}));
    p.silent().await;
}

#[tokio::test]
async fn lifecycle_and_negotiation() {
    let mut p = Peer::new(&[]);
    let r = p.init("2099-01-01").await;
    assert_eq!(r["id"], json!(0));
    assert_eq!(r["result"]["protocolVersion"], "2025-11-25");
    assert_eq!(r["result"]["serverInfo"]["name"], "mcp-reference-server");
    assert!(r["result"]["serverInfo"]["title"].is_string());
    assert!(r["result"]["capabilities"]["completions"].is_object());
    let r = p
        .call(json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}))
        .await;
    assert_eq!(code(&r), -32600);
    let r = p
        .call(json!({"jsonrpc":"2.0","id":2,"method":"bogus/method"}))
        .await;
    assert_eq!(code(&r), -32601);
    let r = p
        .call(json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":[]}))
        .await;
    assert_eq!((code(&r), r["id"].clone()), (-32602, json!(3)));

    let mut old = Peer::new(&[]);
    let r = old.init("2024-11-05").await;
    assert_eq!(r["result"]["protocolVersion"], "2024-11-05");
    assert!(r["result"]["capabilities"].get("completions").is_none());
    assert!(r["result"]["serverInfo"].get("title").is_none());
    let r = old
        .call(
            json!({"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{
            "ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"name","value":"A"}}}),
        )
        .await;
    assert_eq!(code(&r), -32601);
    let r = old
        .call(json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}))
        .await;
    assert!(r["result"]["tools"][0].get("annotations").is_none());
}

#[tokio::test]
async fn batch_rules() {
    let batch = json!([
        {"jsonrpc":"2.0","id":1,"method":"ping"},
        {"jsonrpc":"2.0","method":"notifications/whatever"},
        {"jsonrpc":"2.0","id":"b","method":"nope"},
    ]);
    // Before initialize: one error, nothing executed.
    let mut p = Peer::new(&[]);
    let r = p.call(batch.clone()).await;
    assert_eq!((code(&r), r["id"].clone()), (-32600, Value::Null));
    // 2025-03-26: processed.
    p.init("2025-03-26").await;
    let r = p.call(batch.clone()).await;
    let arr = r.as_array().expect("batch answer");
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0], json!({"jsonrpc":"2.0","id":1,"result":{}}));
    assert_eq!(code(&arr[1]), -32601);
    let r = p.call(json!([])).await;
    assert_eq!((code(&r), r["id"].clone()), (-32600, Value::Null));
    p.feed(json!([{"jsonrpc":"2.0","method":"notifications/x"}]));
    p.silent().await;
    let r = p
        .call(json!([{"jsonrpc":"2.0","id":5,"method":"initialize","params":{
            "protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}]))
        .await;
    assert_eq!(code(&r[0]), -32600);
    // Other revisions: rejected.
    let mut q = Peer::new(&[]);
    q.init("2025-06-18").await;
    let r = q.call(batch.clone()).await;
    assert_eq!(code(&r), -32600);
    // Faults.
    let mut nb = Peer::new(&[Fault::NoBatch]);
    nb.init("2025-03-26").await;
    assert_eq!(code(&nb.call(batch.clone()).await), -32600);
    let mut ba = Peer::new(&[Fault::BatchAlways]);
    ba.init("2025-11-25").await;
    assert!(ba.call(batch).await.is_array());
}

#[tokio::test]
async fn tools_and_pagination() {
    let mut p = Peer::new(&[]);
    p.init("2025-06-18").await;
    let mut names = Vec::new();
    let mut cursor: Option<Value> = None;
    for i in 10.. {
        let mut msg = json!({"jsonrpc":"2.0","id":i,"method":"tools/list","params":{}});
        if let Some(c) = cursor.take() {
            msg["params"]["cursor"] = c;
        }
        let r = p.call(msg).await;
        let tools = r["result"]["tools"].as_array().expect("tools");
        assert!(tools.len() <= 3);
        names.extend(
            tools
                .iter()
                .map(|t| t["name"].as_str().unwrap_or("").to_string()),
        );
        match r["result"].get("nextCursor") {
            Some(c) => cursor = Some(c.clone()),
            None => break,
        }
    }
    assert_eq!(names.len(), 9);
    assert!(names.contains(&"echo".to_string()));
    let r = p
        .call(json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"bogus"}}))
        .await;
    assert_eq!(code(&r), -32602);
    let r = p
        .call(json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}))
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "5");
    assert_eq!(r["result"]["structuredContent"], json!({"sum": 5}));
    let r = p
        .call(json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":"x","b":3}}}))
        .await;
    assert_eq!(r["result"]["isError"], true);
    let r = p
        .call(json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"nope"}}))
        .await;
    assert_eq!(code(&r), -32602);
    assert_eq!(r["error"]["message"], "Unknown tool: nope");
    let r = p
        .call(json!({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":[]}}))
        .await;
    assert_eq!(code(&r), -32602);
}

#[tokio::test]
async fn slow_progress_and_cancellation() {
    let mut p = Peer::new(&[]);
    p.init("2025-11-25").await;
    p.feed(
        json!({"jsonrpc":"2.0","id":"s","method":"tools/call","params":{
        "name":"slow","arguments":{"steps":2,"delay_ms":10},"_meta":{"progressToken":"tok"}}}),
    );
    let n1 = p.recv().await;
    assert_eq!(n1["method"], "notifications/progress");
    assert_eq!(n1["params"]["progressToken"], "tok");
    assert_eq!(n1["params"]["progress"], 1);
    assert_eq!(p.recv().await["params"]["progress"], 2);
    assert_eq!(p.recv().await["id"], "s");
    // A cancelled call never answers, and ping is served meanwhile.
    p.feed(
        json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{
        "name":"slow","arguments":{"steps":100,"delay_ms":1000}}}),
    );
    let r = p
        .call(json!({"jsonrpc":"2.0","id":10,"method":"ping"}))
        .await;
    assert_eq!(r["id"], 10);
    p.feed(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}));
    p.feed(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}}));
    p.silent().await;
}

#[tokio::test]
async fn response_shape_faults() {
    let mut p = Peer::new(&[Fault::StringifyIds, Fault::ResultAndError]);
    let r = p
        .call(json!({"jsonrpc":"2.0","id":7,"method":"ping"}))
        .await;
    assert_eq!(
        r,
        json!({"jsonrpc":"2.0","id":"7","result":{},"error":null})
    );
    let mut p = Peer::new(&[Fault::ParseErrorIdZero, Fault::ExitOnBadJson]);
    assert_eq!(p.session.handle_text("]"), Control::Exit(1));
    assert_eq!(p.recv().await["id"], json!(0));
    let mut p = Peer::new(&[Fault::ServeBeforeInit]);
    let r = p
        .call(json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}))
        .await;
    assert!(r["result"]["tools"].is_array());
    let mut p = Peer::new(&[Fault::EarlyRootsRequest]);
    p.feed(
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}),
    );
    assert_eq!(p.recv().await["id"], 1);
    assert_eq!(p.recv().await["method"], "roots/list");
}
