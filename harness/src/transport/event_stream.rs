//! Reading one SSE response: events are parsed with `eventsource-stream`, capped
//! (per event and per stream), recorded on their exchange, checked for reused ids
//! (HTTP-28) and, when they carry a message, handed to the session.

use std::sync::{Arc, Mutex};

use eventsource_stream::Eventsource;
use futures_util::StreamExt;

use super::exchange::{
    deliver, describe_reqwest, finish, lock, SeenEvent, Sink, KEPT_BODY_CAP, KEPT_EVENTS_CAP,
    STREAM_CAP,
};
use super::Incoming;

/// Counts bytes since the last blank line, so one event cannot grow without bound.
struct EventSizeGuard {
    since_boundary: usize,
    prev_newline: bool,
    total: usize,
}

impl EventSizeGuard {
    fn feed(&mut self, chunk: &[u8]) -> usize {
        self.total += chunk.len();
        for &b in chunk {
            if b == b'\n' {
                if self.prev_newline {
                    self.since_boundary = 0;
                }
                self.prev_newline = true;
            } else if b != b'\r' {
                self.prev_newline = false;
                self.since_boundary += 1;
            }
        }
        self.since_boundary
    }
}

pub(super) async fn read_sse(response: reqwest::Response, index: usize, sink: &Sink) {
    let cap = sink.limits.max_message_bytes;
    let guard = Arc::new(Mutex::new(EventSizeGuard {
        since_boundary: 0,
        prev_newline: false,
        total: 0,
    }));
    let guard2 = guard.clone();
    // The byte stream is cut (with an error item) as soon as a cap is exceeded.
    let bytes = response.bytes_stream().map(move |item| {
        let chunk = item.map_err(|e| describe_reqwest(&e))?;
        let mut g = guard2.lock().unwrap_or_else(|e| e.into_inner());
        let pending = g.feed(&chunk);
        if pending > cap {
            return Err(format!("an SSE event exceeds the size cap of {cap} bytes"));
        }
        if g.total > STREAM_CAP {
            return Err(format!("the SSE stream exceeds {STREAM_CAP} bytes"));
        }
        Ok(chunk)
    });
    let (stateless, session_key) = stream_scope(sink, index);
    let mut events = bytes.eventsource();
    let mut previous_id = String::new();
    let mut error = None;
    while let Some(item) = events.next().await {
        let ev = match item {
            Ok(ev) => ev,
            Err(e) => {
                let text = e.to_string();
                if text.contains("size cap") {
                    let _ = sink
                        .tx
                        .send(Incoming::PolicyRefusal {
                            policy: super::size_cap_policy(cap, "an SSE event"),
                            evidence: String::new(),
                        })
                        .await;
                }
                error = Some(text);
                break;
            }
        };
        let id = own_event_id(&previous_id, &ev.id);
        previous_id = ev.id.clone();
        let seen = SeenEvent {
            exchange: index,
            id,
            event: ev.event.clone(),
            data: ev.data.chars().take(KEPT_BODY_CAP).collect(),
            retry_ms: ev.retry.map(|d| d.as_millis() as u64),
        };
        let Some(duplicate) = record_event(sink, index, stateless, &session_key, seen) else {
            return;
        };
        if let Some((dup, first)) = duplicate {
            report_reused_id(sink, &dup, first, index, &ev.data).await;
        }
        dispatch(sink, &ev).await;
    }
    finish(sink, index, error);
    super::resume::after_stream_end(sink, index).await;
    let reason = lock(&sink.shared)
        .exchanges
        .get(index)
        .and_then(|x| x.error.clone())
        .unwrap_or_else(|| "the server ended the stream".into());
    let _ = sink
        .tx
        .send(Incoming::StreamEnded {
            exchange: index,
            reason,
        })
        .await;
}

/// Whether the stream's request is stateless (2026-07-28), and the key of its session.
///
/// HTTP-28 is about the streams of one session; 2026-07-28 has no sessions, and every
/// request's stream stands alone. Ids must be unique within a session (or across all of
/// a client's streams when there are none): a second session a case opens has ids of
/// its own.
fn stream_scope(sink: &Sink, index: usize) -> (bool, String) {
    lock(&sink.shared)
        .exchanges
        .get(index)
        .map(|x| {
            let modern = x
                .request_headers
                .get("mcp-protocol-version")
                .is_some_and(|v| crate::revision::is_modern(v));
            (modern, session_of(x))
        })
        .unwrap_or_default()
}

/// Records an event on its exchange; `None` when the harness broke the stream
/// meanwhile (nothing read after the break may be delivered), else the first use of
/// the event's id when it was used before in the session.
fn record_event(
    sink: &Sink,
    index: usize,
    stateless: bool,
    session_key: &str,
    seen: SeenEvent,
) -> Option<Option<(String, usize)>> {
    let id = seen.id.clone();
    let mut st = lock(&sink.shared);
    // Aborting the task takes effect only at its next await: a stream the harness
    // broke meanwhile must not deliver what it read after the break (the case resumes
    // after the last event the break saw).
    if st.exchanges.get(index).is_some_and(|x| x.broken) {
        return None;
    }
    let dup = id.as_ref().filter(|_| !stateless).and_then(|i| {
        st.seen_ids
            .insert(format!("{session_key}\n{i}"), index)
            .map(|first| (i.clone(), first))
    });
    if let Some(x) = st.exchanges.get_mut(index) {
        if x.events.len() < KEPT_EVENTS_CAP {
            x.events.push(seen);
        }
        if id.is_some() {
            x.last_event_id = id;
        }
    }
    Some(dup)
}

/// HTTP-28: an event id used again within the session.
async fn report_reused_id(sink: &Sink, dup: &str, first: usize, index: usize, data: &str) {
    let _ = sink
        .tx
        .send(super::violation(
            "HTTP-28",
            format!(
                "SSE event id `{dup}` was used again (first seen on stream #{first}, again on stream #{index})"
            ),
            data.chars().take(2000).collect(),
        ))
        .await;
}

/// Hands an event to the session: a message, the legacy `endpoint`, or a violation.
async fn dispatch(sink: &Sink, ev: &eventsource_stream::Event) {
    if ev.data.trim().is_empty() {
        // A priming or keep-alive event carries no message.
    } else if ev.event == "message" || (!sink.legacy && ev.event != "endpoint") {
        deliver(sink, &ev.data).await;
    } else if !sink.legacy {
        // `endpoint` has no meaning on a Streamable HTTP stream: kept as evidence.
    } else if ev.event != "endpoint" {
        let _ = sink
            .tx
            .send(super::violation(
                "SSE-03",
                format!(
                    "a server message came as an SSE `{}` event instead of `message`; it is not read",
                    ev.event
                ),
                ev.data.chars().take(2000).collect(),
            ))
            .await;
    } else {
        let _ = sink
            .tx
            .send(Incoming::Endpoint {
                uri: ev.data.clone(),
            })
            .await;
    }
}

/// The session an exchange belongs to: the `MCP-Session-Id` it sent, or the one its
/// answer issued (an `initialize`); empty without sessions.
fn session_of(x: &super::exchange::Exchange) -> String {
    x.request_headers
        .get("mcp-session-id")
        .or_else(|| x.headers.get("mcp-session-id"))
        .cloned()
        .unwrap_or_default()
}

/// The SSE parser carries the last event id forward to events that set none, so an
/// id counts as the event's own only when it changed. (A server that repeats an id
/// on consecutive events of one stream is therefore not noticed.)
pub fn own_event_id(previous: &str, current: &str) -> Option<String> {
    (!current.is_empty() && current != previous).then(|| current.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_count_only_when_set() {
        assert_eq!(own_event_id("", "1"), Some("1".into()));
        assert_eq!(own_event_id("1", "1"), None);
        assert_eq!(own_event_id("1", ""), None);
        assert_eq!(own_event_id("1", "2"), Some("2".into()));
    }

    #[test]
    fn size_guard_resets_at_blank_lines() {
        let mut g = EventSizeGuard {
            since_boundary: 0,
            prev_newline: false,
            total: 0,
        };
        assert_eq!(g.feed(b"data: abc\n"), 9);
        assert_eq!(g.feed(b"\r\n"), 0);
        assert_eq!(g.feed(b"data: x"), 7);
    }
}
