//! Following a Streamable HTTP stream that the server closed before it was finished.
//!
//! From 2025-11-25 a server MAY close the *connection* of an SSE stream after an event
//! with an id, and the client then polls: it waits the `retry` time and GETs with
//! `Last-Event-ID` (resumption is always via GET, HTTP-31). So that every case works
//! against such servers, the transport does this itself when a POST's stream ends
//! while some of its requests are unanswered. Streams the harness broke on purpose
//! (`break_stream`) are never followed. Reconnects are capped per session.

use std::time::Duration;

use serde_json::Value;

use super::exchange::{self, lock, Exchange, Sink};

/// Most automatic reconnects in one session.
const MAX_RECONNECTS: usize = 20;
/// Longest `retry` honoured; a server asking for more is waited on this long.
const MAX_RETRY: Duration = Duration::from_secs(5);
/// Wait when the server sent no `retry`.
const DEFAULT_RETRY: Duration = Duration::from_millis(100);

/// How to reach the endpoint again.
#[derive(Clone)]
pub struct Resumer {
    pub client: reqwest::Client,
    pub endpoint: url::Url,
}

/// The headers a conforming client sends on every request of an open session.
pub fn session_headers(st: &exchange::HttpState) -> Vec<(String, String)> {
    let mut h = auth_headers(st);
    if let Some(sid) = &st.session_id {
        h.push(("mcp-session-id".into(), sid.clone()));
    }
    if let Some(v) = &st.protocol_version {
        // The header exists from 2025-06-18 on.
        if v.as_str() >= "2025-06-18" {
            h.push(("mcp-protocol-version".into(), v.clone()));
        }
    }
    h
}

/// `Authorization: Bearer …` when the user gave a token.
pub fn auth_headers(st: &exchange::HttpState) -> Vec<(String, String)> {
    st.bearer
        .iter()
        .map(|b| ("authorization".to_string(), format!("Bearer {b}")))
        .collect()
}

/// Called when the stream of exchange `index` ended on the server's side.
pub async fn after_stream_end(sink: &Sink, index: usize) {
    let Some(resumer) = sink.resume.clone() else {
        return;
    };
    let plan = {
        let mut st = lock(&sink.shared);
        if st.reconnects >= MAX_RECONNECTS {
            return;
        }
        let Some(x) = st.exchanges.get(index) else {
            return;
        };
        let unanswered: Vec<Value> = x
            .request_ids
            .iter()
            .filter(|id| !st.answered.contains(id) && !st.manual.contains(id))
            .cloned()
            .collect();
        let (Some(last), false, None) = (x.last_event_id.clone(), x.broken, x.error.as_ref())
        else {
            return;
        };
        if unanswered.is_empty() {
            return;
        }
        let retry = x
            .events
            .iter()
            .rev()
            .find_map(|e| e.retry_ms)
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_RETRY)
            .min(MAX_RETRY);
        st.reconnects += 1;
        let mut headers = session_headers(&st);
        headers.push(("accept".into(), "text/event-stream".into()));
        headers.push(("last-event-id".into(), last));
        (unanswered, retry, headers)
    };
    let (unanswered, retry, headers) = plan;
    tokio::time::sleep(retry).await;
    let mut builder = resumer.client.get(resumer.endpoint.clone());
    for (k, v) in &headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let record = Exchange {
        method: "GET".into(),
        url: resumer.endpoint.to_string(),
        request_headers: headers.into_iter().collect(),
        request_ids: unanswered,
        resumed_from: Some(index),
        ..Exchange::default()
    };
    // Not started when a case broke the stream meanwhile: the case resumes it.
    exchange::start_follow(builder, record, sink);
}
