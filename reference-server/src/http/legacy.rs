//! The legacy HTTP+SSE transport (2024-11-05): a GET on `/sse` opens a session whose
//! first event, `endpoint`, names `/messages?sessionId=…` (SSE-02); messages POSTed
//! there are answered on the stream as `message` events (SSE-03). The session ends
//! when the client drops the stream.

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::mpsc;

use super::{empty, header, plain, read_body, sse, Body, Server, MAX_SESSIONS};
use crate::core::{Outgoing, Session};
use crate::faults::Fault;
use crate::variants::Variant;

pub struct LegacySession {
    pub core: Arc<Session>,
}

pub async fn open(server: Arc<Server>, req: Request<Incoming>) -> Response<Body> {
    if req.method() != Method::GET {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let accepts = header(req.headers(), "accept")
        .is_none_or(|a| a.contains("text/event-stream") || a.contains("*/*"));
    if !accepts {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            "GET /sse needs Accept: text/event-stream",
        );
    }
    if server.legacy().len() >= MAX_SESSIONS {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "too many sessions");
    }
    let id = server.session_id();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let core = Session::new(server.config.clone(), out_tx);
    server
        .legacy()
        .insert(id.clone(), Arc::new(LegacySession { core }));
    let (tx, rx) = mpsc::unbounded_channel();
    let variants = &server.config.variants;
    let endpoint = if server.has(Fault::SseEndpointForeignOrigin) {
        format!("http://mcp-conform-foreign.invalid/messages?sessionId={id}")
    } else if variants.has(Variant::SseEndpointRelative) {
        // Resolved against /sse: /messages?sessionId=…
        format!("messages?sessionId={id}")
    } else if variants.has(Variant::SseEndpointQuery) {
        format!("/messages?client=mcp%20conform&sessionId={id}&v=1&empty=")
    } else if variants.has(Variant::SseEndpointLocalhost) {
        format!("http://localhost:{}/messages?sessionId={id}", server.port)
    } else {
        format!("/messages?sessionId={id}")
    };
    if !server.has(Fault::SseNoEndpointEvent) {
        let _ = tx.send(Bytes::from(format!(
            "event: endpoint\ndata: {endpoint}\n\n"
        )));
    }
    let event = if server.has(Fault::SseWrongEventName) {
        "msg"
    } else {
        "message"
    };
    tokio::spawn(pump(server, id, out_rx, tx, event));
    sse(rx)
}

/// Writes the core's messages to the stream; forgets the session once the client left.
async fn pump(
    server: Arc<Server>,
    id: String,
    mut out: mpsc::UnboundedReceiver<Outgoing>,
    tx: mpsc::UnboundedSender<Bytes>,
    event: &'static str,
) {
    loop {
        tokio::select! {
            item = out.recv() => match item {
                Some(Outgoing::Message(msg)) => {
                    let frame = Bytes::from(format!("event: {event}\ndata: {msg}\n\n"));
                    if tx.send(frame).is_err() {
                        break;
                    }
                }
                Some(Outgoing::Flush(ack)) => {
                    let _ = ack.send(());
                }
                None => break,
            },
            _ = tx.closed() => break,
        }
    }
    server.legacy().remove(&id);
}

pub async fn post(server: Arc<Server>, req: Request<Incoming>) -> Response<Body> {
    if req.method() != Method::POST {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let id = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("sessionId="))
        .unwrap_or("")
        .to_string();
    let session = server.legacy().get(&id).cloned();
    let Some(session) = session else {
        return plain(StatusCode::NOT_FOUND, "unknown sessionId");
    };
    let body = match read_body(req.into_body()).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    match std::str::from_utf8(&body) {
        Ok(text) => {
            session.core.handle_text(text);
        }
        Err(_) => {
            session.core.parse_error("body is not valid UTF-8");
        }
    }
    empty(StatusCode::ACCEPTED)
}
