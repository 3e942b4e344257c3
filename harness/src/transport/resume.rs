//! Following a Streamable HTTP stream that the server closed before it was finished.
//!
//! From 2025-11-25 a server MAY close the *connection* of an SSE stream after an event
//! with an id, and the client then polls: it waits the `retry` time and GETs with
//! `Last-Event-ID` (resumption is always via GET, HTTP-31). So that every case works
//! against such servers, the transport does this itself when a POST's stream ends
//! while some of its requests are unanswered, and for the standalone GET stream a case
//! listens on. Streams the harness broke on purpose (`break_stream`) and requests the
//! case cancelled are never followed. Reconnects are capped per stream: a stream
//! reopened `MAX_IDLE_RECONNECTS` times in a row without a new message is given up.

use std::time::Duration;

use serde_json::Value;

use super::exchange::{self, lock, Exchange, Sink};

/// Most automatic reconnects of one stream in a row that bring no new message.
const MAX_IDLE_RECONNECTS: usize = 20;
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

/// How to reopen a stream the server closed.
#[derive(Debug)]
struct Follow {
    /// The requests the new connection carries (still owed an answer).
    unanswered: Vec<Value>,
    retry: Duration,
    headers: Vec<(String, String)>,
    /// Reconnects in a row of this stream without a new message, this one included.
    idle_reconnects: usize,
    /// Whether the stream is a listened one (kept following without requests).
    follow: bool,
}

/// Whether (and how) to follow exchange `index` whose stream ended: a request stream
/// that still owes answers the case neither broke nor cancelled, or a listened GET
/// stream; not after an error, without an event id, or after `MAX_IDLE_RECONNECTS`
/// reconnects in a row of this stream that brought no message.
fn plan_follow(st: &exchange::HttpState, index: usize) -> Option<Follow> {
    let x = st.exchanges.get(index)?;
    let unanswered: Vec<Value> = x
        .request_ids
        .iter()
        .filter(|id| {
            !st.answered.contains(id) && !st.manual.contains(id) && !st.cancelled.contains(id)
        })
        .cloned()
        .collect();
    let (Some(last), false, None) = (x.last_event_id.clone(), x.broken, x.error.as_ref()) else {
        return None;
    };
    let ok = x.status.is_some_and(|s| (200..300).contains(&s));
    // A listened stream is followed on its own; a request stream while it owes answers.
    let listened = x.follow && ok && x.request_ids.is_empty();
    if unanswered.is_empty() && !listened {
        return None;
    }
    let brought_news = x.events.iter().any(|e| !e.data.trim().is_empty());
    let idle_reconnects = if brought_news {
        0
    } else {
        x.idle_reconnects + 1
    };
    if idle_reconnects > MAX_IDLE_RECONNECTS {
        return None;
    }
    let follow = x.follow;
    let retry = x
        .events
        .iter()
        .rev()
        .find_map(|e| e.retry_ms)
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_RETRY)
        .min(MAX_RETRY);
    let mut headers = session_headers(st);
    headers.push(("accept".into(), "text/event-stream".into()));
    headers.push(("last-event-id".into(), last));
    Some(Follow {
        unanswered,
        retry,
        headers,
        idle_reconnects,
        follow,
    })
}

/// Called when the stream of exchange `index` ended on the server's side; whether it
/// is followed (a new connection carries what it still owed).
pub async fn after_stream_end(sink: &Sink, index: usize) -> bool {
    let Some(resumer) = sink.resume.clone() else {
        return false;
    };
    let Some(plan) = plan_follow(&lock(&sink.shared), index) else {
        return false;
    };
    let Follow {
        unanswered,
        retry,
        headers,
        idle_reconnects,
        follow,
    } = plan;
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
        follow,
        idle_reconnects,
        ..Exchange::default()
    };
    // Not started when a case broke the stream meanwhile: the case resumes it.
    exchange::start_follow(builder, record, sink);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::exchange::{HttpState, SeenEvent};
    use serde_json::json;

    fn event(id: &str, data: &str) -> SeenEvent {
        SeenEvent {
            exchange: 0,
            id: Some(id.into()),
            event: String::new(),
            data: data.into(),
            retry_ms: None,
        }
    }

    /// A POST stream for request 7 that the server closed after `events`.
    fn closed_stream(events: Vec<SeenEvent>) -> Exchange {
        Exchange {
            method: "POST".into(),
            request_ids: vec![json!(7)],
            status: Some(200),
            last_event_id: events.last().and_then(|e| e.id.clone()),
            events,
            complete: true,
            ..Exchange::default()
        }
    }

    #[test]
    fn the_reconnect_cap_counts_idle_reconnects_of_one_stream() {
        // A session-wide count is gone: only a stream's idle reconnects in a row count.
        let mut st = HttpState::default();
        st.exchanges
            .push(closed_stream(vec![event("a-1", ""), event("a-2", "{}")]));
        let plan = plan_follow(&st, 0).expect("a stream that brings news is followed");
        assert_eq!(plan.idle_reconnects, 0);
        assert_eq!(plan.unanswered, vec![json!(7)]);
        // A connection that brought nothing new counts; the cap is per stream.
        let mut idle = closed_stream(vec![event("a-3", "")]);
        idle.idle_reconnects = MAX_IDLE_RECONNECTS - 1;
        st.exchanges.push(idle);
        assert_eq!(
            plan_follow(&st, 1).map(|p| p.idle_reconnects),
            Some(MAX_IDLE_RECONNECTS)
        );
        let mut given_up = closed_stream(vec![event("a-4", "")]);
        given_up.idle_reconnects = MAX_IDLE_RECONNECTS;
        st.exchanges.push(given_up);
        assert!(plan_follow(&st, 2).is_none());
    }

    #[test]
    fn a_cancelled_request_is_not_resumed() {
        let mut st = HttpState::default();
        st.exchanges
            .push(closed_stream(vec![event("a-1", ""), event("a-2", "{}")]));
        st.cancelled.push(json!(7));
        assert!(plan_follow(&st, 0).is_none());
    }

    #[test]
    fn a_listened_get_stream_is_followed_without_requests() {
        let mut st = HttpState::default();
        st.exchanges.push(Exchange {
            method: "GET".into(),
            status: Some(200),
            events: vec![event("0-1", "")],
            last_event_id: Some("0-1".into()),
            complete: true,
            follow: true,
            ..Exchange::default()
        });
        let plan = plan_follow(&st, 0).expect("followed");
        assert!(plan.follow && plan.unanswered.is_empty());
        assert!(plan
            .headers
            .contains(&("last-event-id".to_string(), "0-1".to_string())));
        // A GET nobody listens on is not.
        if let Some(x) = st.exchanges.get_mut(0) {
            x.follow = false;
        }
        assert!(plan_follow(&st, 0).is_none());
    }
}
