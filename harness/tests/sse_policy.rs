//! The harness's own safety refusal is an `error` naming its policy, never a server
//! failure: a legacy SSE server whose `endpoint` event names another origin gets
//! `error` on `sse.endpoint-event` (no rule of the transport confines the endpoint to
//! the SSE URL's origin; the harness simply sends nothing there).

use std::time::Duration;

use mcp_conform::case::load::load_dir;
use mcp_conform::case::TransportKind;
use mcp_conform::report::model::Verdict;
use mcp_conform::run::{exec, Facts, RunConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-route SSE server on 127.0.0.1: every connection gets an `endpoint` event that
/// names an address on another origin, and the stream stays open.
async fn foreign_endpoint_server() -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tcp.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n";
                let event = "event: endpoint\ndata: http://mcp-conform-foreign.invalid/messages?sessionId=1\n\n";
                let _ = tcp.write_all(head.as_bytes()).await;
                let _ = tcp.write_all(event.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    url::Url::parse(&format!("http://{addr}/sse")).expect("url")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_endpoint_is_an_error_naming_the_harness_policy() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    let cases = load_dir(&dir).unwrap_or_else(|e| panic!("cases: {e:?}"));
    let case = cases
        .iter()
        .find(|c| c.id == "sse.endpoint-event")
        .expect("sse.endpoint-event");
    let url = foreign_endpoint_server().await;
    let mut cfg = RunConfig::for_url(url, TransportKind::Sse);
    cfg.timeout = Duration::from_millis(800);
    let facts = Facts {
        supported: vec!["2024-11-05".into()],
        ..Facts::default()
    };
    let r = exec::execute(case, &cfg, &facts).await;
    assert_eq!(
        r.verdict,
        Verdict::Error,
        "{:?}: {:?}",
        r.reason,
        r.findings
    );
    let reason = r.reason.unwrap_or_default();
    assert!(reason.contains("harness policy"), "{reason}");
    assert!(reason.contains("mcp-conform-foreign.invalid"), "{reason}");
}
