//! The HTTP transports against a tiny server on 127.0.0.1 that misbehaves on purpose:
//! each reason the transport gives (a truncated body, a stream cut mid-event, a
//! redirect) and its connection discipline (reuse, a cap on requests in flight).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::exchange::{self, lock};
use super::{HttpTransport, Incoming, Limits, SseTransport, TransportError};

/// What the test server does with one request.
enum Reply {
    /// Writes these bytes; the connection stays open for the next request.
    KeepAlive(Vec<u8>),
    /// Writes these bytes and closes the connection.
    Close(Vec<u8>),
    /// Never answers (the connection stays open until the test ends).
    Hold,
}

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    headers: String,
    body: String,
}

type Handler = Arc<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;

/// A server on 127.0.0.1: its base URL, how many connections it accepted, and the
/// requests it read (in order).
struct TestServer {
    url: url::Url,
    accepts: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TestServer {
    async fn start(
        path: &str,
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepts = Arc::new(AtomicUsize::new(0));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Handler = Arc::new(handler);
        let (a, s) = (accepts.clone(), seen.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve_connection(conn, handler.clone(), s.clone()));
            }
        });
        let url = url::Url::parse(&format!("http://{addr}{path}")).expect("url");
        TestServer { url, accepts, seen }
    }

    fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

async fn serve_connection(conn: TcpStream, handler: Handler, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut conn = BufReader::new(conn);
    while let Some(req) = read_request(&mut conn).await {
        let n = {
            let mut s = seen.lock().expect("seen");
            s.push(req.clone());
            s.len() - 1
        };
        match handler(n, &req) {
            Reply::KeepAlive(bytes) => {
                if conn.get_mut().write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Reply::Close(bytes) => {
                let _ = conn.get_mut().write_all(&bytes).await;
                let _ = conn.get_mut().shutdown().await;
                return;
            }
            Reply::Hold => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                return;
            }
        }
    }
}

async fn read_request(conn: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut first = String::new();
    if conn.read_line(&mut first).await.ok()? == 0 {
        return None;
    }
    let method = first.split_whitespace().next()?.to_string();
    let mut headers = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if conn.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().ok()?;
            }
        }
        headers.push_str(&line);
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await.ok()?;
    Some(Seen {
        method,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A response with `status`, `headers` (lines without the final CRLF) and `body`.
fn response(status: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status}\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

/// The head of an SSE answer whose body runs until the connection closes.
fn sse_head() -> String {
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n".to_string()
}

fn ping(id: u64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "ping"}).to_string()
}

fn answer(id: u64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": {}}).to_string()
}

fn limits(write_timeout: Duration) -> Limits {
    Limits {
        write_timeout,
        ..Limits::default()
    }
}

/// Polls `why` until it gives a reason (at most 5 s).
async fn reason_within(why: impl Fn() -> Option<String>) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(r) = why() {
            return Some(r);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_named() {
    let server = TestServer::start("/mcp", |_, _| {
        let body = answer(1);
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len() * 2
        )
        .into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        Reply::Close(bytes)
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    t.send(&ping(1)).await.expect("sent");
    let shared = t.shared().clone();
    let why = reason_within(|| exchange::refused(&shared, Some(&json!(1)))).await;
    let n = answer(1).len();
    let expected = format!(
        "the response body ended after {n} of {} bytes announced by Content-Length (connection closed)",
        n * 2
    );
    assert_eq!(why.as_deref(), Some(expected.as_str()));
    let st = lock(&shared);
    assert_eq!(st.exchanges[0].error.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn an_sse_stream_cut_in_the_middle_of_an_event_is_named() {
    let server = TestServer::start("/mcp", |_, _| {
        let half = &answer(1)[..10];
        Reply::Close(format!("{}event: message\ndata: {half}", sse_head()).into_bytes())
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    t.send(&ping(1)).await.expect("sent");
    let shared = t.shared().clone();
    let why = reason_within(|| exchange::refused(&shared, Some(&json!(1)))).await;
    // "event: message" (14 bytes) and "data: " with half the answer (16 bytes).
    assert_eq!(
        why.as_deref(),
        Some("the SSE stream was cut in the middle of an event (30 bytes of an unfinished event)")
    );
}

#[tokio::test]
async fn a_cut_stream_that_can_be_resumed_is_followed_not_refused() {
    let server = TestServer::start("/mcp", |n, _| {
        if n == 0 {
            // A priming event with an id, then half an event, then the connection closes.
            let text = format!("{}id: e-1\ndata: \n\ndata: {{\"jsonr", sse_head());
            Reply::Close(text.into_bytes())
        } else {
            let text = format!("{}id: e-2\ndata: {}\n\n", sse_head(), answer(1));
            Reply::Close(text.into_bytes())
        }
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    t.send(&ping(1)).await.expect("sent");
    let mut got = None;
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.is_none() && Instant::now() < deadline {
        if let Some(Incoming::Message(m)) = t.recv(Duration::from_millis(100)).await {
            got = Some(m);
        }
        assert_eq!(exchange::refused(t.shared(), Some(&json!(1))), None);
    }
    assert_eq!(got.and_then(|m| m.get("id").cloned()), Some(json!(1)));
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "the POST and the resuming GET");
    assert_eq!(seen[1].method, "GET");
    assert!(seen[1]
        .headers
        .to_ascii_lowercase()
        .contains("last-event-id: e-1"));
}

#[tokio::test]
async fn a_redirect_is_named_with_its_location_and_not_followed() {
    let server = TestServer::start("/mcp", |_, _| {
        Reply::Close(response(
            "307 Temporary Redirect",
            &["location: http://192.0.2.1:9/elsewhere"],
            "",
        ))
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    t.send(&ping(1)).await.expect("sent");
    let shared = t.shared().clone();
    let why = reason_within(|| exchange::refused(&shared, Some(&json!(1)))).await;
    assert_eq!(
        why.as_deref(),
        Some("the server answered 307 with Location: http://192.0.2.1:9/elsewhere, which the harness does not follow (it talks only to the target's origin)")
    );
    assert_eq!(server.seen().len(), 1, "nothing followed the redirect");
}

#[tokio::test]
async fn a_redirected_legacy_sse_get_is_named_not_a_missing_endpoint() {
    let server = TestServer::start("/sse", |_, _| {
        Reply::Close(response(
            "302 Found",
            &["location: http://192.0.2.1:9/sse"],
            "",
        ))
    })
    .await;
    let mut t = SseTransport::open(server.url.clone(), limits(Duration::from_secs(5)), None)
        .expect("transport");
    let why = match t.send(&ping(1)).await {
        Err(TransportError::Unreachable(why)) => why,
        other => panic!("expected the redirect as the reason, got {other:?}"),
    };
    assert_eq!(
        why,
        "the server answered 302 with Location: http://192.0.2.1:9/sse, which the harness does not follow (it talks only to the target's origin)"
    );
    assert_eq!(server.seen().len(), 1, "nothing followed the redirect");
}

#[tokio::test]
async fn answers_reuse_one_connection() {
    let server = TestServer::start("/mcp", |_, _| {
        Reply::KeepAlive(response("202 Accepted", &[], ""))
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    for id in 0..10 {
        let text = json!({"jsonrpc": "2.0", "id": id, "result": {}}).to_string();
        t.send(&text).await.expect("sent");
        // The connection goes back to the pool once the answer is read.
        let shared = t.shared().clone();
        let done = reason_within(|| {
            let st = lock(&shared);
            st.exchanges.iter().all(|x| x.complete).then(String::new)
        })
        .await;
        assert!(done.is_some(), "exchange {id} never completed");
    }
    let seen = server.seen();
    assert_eq!(seen.len(), 10);
    assert!(seen
        .iter()
        .all(|s| s.method == "POST" && s.body.contains("\"result\"")));
    assert_eq!(server.accepts(), 1, "ten answers over one connection");
}

#[tokio::test]
async fn requests_in_flight_are_capped() {
    let server = TestServer::start("/mcp", |_, _| Reply::Hold).await;
    let wait = Duration::from_millis(300);
    let mut t = HttpTransport::new(server.url.clone(), limits(wait), None).expect("transport");
    for id in 0..exchange::MAX_IN_FLIGHT as u64 {
        // Each returns once its body is written; none is answered.
        t.send(&answer(id)).await.expect("a place is free");
    }
    match t.send(&answer(99)).await {
        Err(TransportError::Stalled(why)) => {
            assert!(why.starts_with("too many requests in flight"), "{why}")
        }
        other => panic!("expected the cap to stall the send, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.accepts(), exchange::MAX_IN_FLIGHT);
    assert_eq!(lock(t.shared()).exchanges.len(), exchange::MAX_IN_FLIGHT);
}

#[tokio::test]
async fn a_body_announced_over_the_cap_is_refused_unread() {
    let server = TestServer::start("/mcp", |_, _| {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 67108864\r\n\r\n{\"jsonrpc\":";
        Reply::KeepAlive(head.as_bytes().to_vec())
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    t.send(&ping(1)).await.expect("sent");
    let shared = t.shared().clone();
    let why = reason_within(|| exchange::refused(&shared, Some(&json!(1)))).await;
    assert_eq!(
        why,
        Some(super::size_cap_policy(
            super::DEFAULT_MAX_MESSAGE_BYTES,
            "an HTTP response body"
        ))
    );
    assert_eq!(
        lock(&shared).exchanges[0].body,
        "",
        "nothing of it was read"
    );
}

#[tokio::test]
async fn kept_event_data_is_capped_per_exchange() {
    // 100 events of 64 KiB: 6.4 MiB of data, more than the record keeps.
    let server = TestServer::start("/mcp", |_, _| {
        let mut text = sse_head();
        let note = json!({"jsonrpc": "2.0", "method": "n", "params": {"x": "y".repeat(65_000)}});
        for _ in 0..100 {
            text.push_str(&format!("data: {note}\n\n"));
        }
        text.push_str(&format!("data: {}\n\n", answer(1)));
        Reply::Close(text.into_bytes())
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    t.send(&ping(1)).await.expect("sent");
    let mut messages = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match t.recv(Duration::from_millis(200)).await {
            Some(Incoming::Message(_)) => messages += 1,
            Some(Incoming::StreamEnded { .. }) => break,
            _ => {}
        }
    }
    assert_eq!(messages, 101, "every event still reaches the session");
    let st = lock(t.shared());
    let x = &st.exchanges[0];
    assert!(x.kept_event_bytes <= exchange::KEPT_EVENT_BYTES_CAP);
    assert_eq!(x.events.len() + x.events_dropped, 101);
    assert!(x.events_dropped > 0);
    assert_eq!(x.to_json()["events_dropped"], Value::from(x.events_dropped));
}

#[tokio::test]
async fn a_chunked_stream_broken_mid_event_is_named_with_the_failure() {
    let server = TestServer::start("/mcp", |_, _| {
        // A chunked body whose last chunk never comes: the connection fails, mid-event.
        let part = "data: {\"jsonrpc\"";
        let text = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{part}\r\n",
            part.len()
        );
        Reply::Close(text.into_bytes())
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    t.send(&ping(1)).await.expect("sent");
    let shared = t.shared().clone();
    let why = reason_within(|| exchange::refused(&shared, Some(&json!(1))))
        .await
        .unwrap_or_default();
    assert!(
        why.starts_with(
            "the SSE stream was cut in the middle of an event (16 bytes of an unfinished event): "
        ),
        "{why}"
    );
}

/// A server may keep a POST's SSE stream open after the answer (closing it is a
/// SHOULD): a stream whose requests are all answered gives its place back, so any
/// number of requests get through one after another.
#[tokio::test]
async fn an_answered_stream_left_open_gives_its_place_back() {
    let server = TestServer::start("/mcp", |_, seen| {
        let id: Value = serde_json::from_str::<Value>(&seen.body)
            .ok()
            .and_then(|m| m.get("id").cloned())
            .unwrap_or(Value::Null);
        let event = json!({"jsonrpc": "2.0", "id": id, "result": {}});
        // The answer, then the stream stays open (no length, never closed).
        Reply::KeepAlive(format!("{}data: {event}\n\n", sse_head()).into_bytes())
    })
    .await;
    let wait = Duration::from_secs(2);
    let mut t = HttpTransport::new(server.url.clone(), limits(wait), None).expect("transport");
    let total = 2 * exchange::MAX_IN_FLIGHT as u64;
    for id in 0..total {
        t.send(&ping(id)).await.expect("a place is free again");
        // The answer arrives on the stream, which stays open.
        let got = t.recv(Duration::from_secs(2)).await;
        assert!(
            matches!(&got, Some(Incoming::Message(m)) if m["id"] == json!(id)),
            "answer {id}: {got:?}"
        );
    }
    let open = lock(t.shared())
        .exchanges
        .iter()
        .filter(|x| !x.complete)
        .count();
    assert_eq!(open as u64, total, "every stream is still open");
}

#[tokio::test]
async fn quiescent_only_once_every_body_has_ended_and_no_stream_is_followed() {
    // Request 0 gets a 202 at once; request 1 an SSE stream that stays open.
    let server = TestServer::start("/mcp", |n, _| {
        if n == 0 {
            Reply::KeepAlive(response("202 Accepted", &[], ""))
        } else {
            Reply::Hold
        }
    })
    .await;
    let mut t = HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    let shared = t.shared().clone();
    assert!(
        exchange::quiescent(&shared),
        "nothing sent: nothing can arrive"
    );
    t.send(&answer(0)).await.expect("sent");
    let done = reason_within(|| exchange::quiescent(&shared).then(String::new)).await;
    assert!(
        done.is_some(),
        "a 202 that ended leaves nothing to wait for"
    );
    t.send(&ping(1)).await.expect("sent");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !exchange::quiescent(&shared),
        "an open answer may still carry messages"
    );
    let mut t2 =
        HttpTransport::new(server.url.clone(), Limits::default(), None).expect("transport");
    t2.listen().expect("GET opened");
    assert!(
        !exchange::quiescent(t2.shared()),
        "a followed GET stream may carry messages"
    );
}
