//! Reading one SSE response: events are parsed with `eventsource-stream`, capped
//! (per event and per stream), recorded on their exchange, checked for reused ids
//! (HTTP-28) and, when they carry a message, handed to the session.

use std::sync::{Arc, Mutex};

use eventsource_stream::Eventsource;
use futures_util::StreamExt;

use super::exchange::{
    deliver, describe_reqwest, end_short, finish, lock, SeenEvent, Sink, KEPT_BODY_CAP,
    KEPT_EVENTS_CAP, KEPT_EVENT_BYTES_CAP, STREAM_CAP,
};
use super::Incoming;

/// Most event ids remembered per transport for the HTTP-28 check (an endless stream
/// must not grow the set without bound), and the longest id remembered.
const SEEN_IDS_CAP: usize = 10_000;
const SEEN_ID_LEN_CAP: usize = 1024;

/// Counts bytes since the last blank line, so one event cannot grow without bound,
/// and the bytes of an event begun and not yet ended (its field lines, not comments),
/// so a stream cut in the middle of one is named.
#[derive(Default)]
struct EventSizeGuard {
    since_boundary: usize,
    prev_newline: bool,
    total: usize,
    /// Bytes of field lines since the last blank line.
    unfinished: usize,
    /// Inside a line (not at its start).
    in_line: bool,
    /// The current line is a comment (`:`).
    in_comment: bool,
}

impl EventSizeGuard {
    fn feed(&mut self, chunk: &[u8]) -> usize {
        self.total += chunk.len();
        for &b in chunk {
            if b == b'\n' {
                if self.prev_newline {
                    self.since_boundary = 0;
                    self.unfinished = 0;
                }
                self.prev_newline = true;
                self.in_line = false;
            } else if b != b'\r' {
                if !self.in_line {
                    self.in_comment = b == b':';
                    self.in_line = true;
                }
                self.prev_newline = false;
                self.since_boundary += 1;
                if !self.in_comment {
                    self.unfinished += 1;
                }
            }
        }
        self.since_boundary
    }
}

/// Why a stream that ended with `unfinished` bytes of an event not ended was cut.
fn cut_reason(unfinished: usize) -> String {
    format!("the SSE stream was cut in the middle of an event ({unfinished} bytes of an unfinished event)")
}

pub(super) async fn read_sse(response: reqwest::Response, index: usize, sink: &Sink) {
    let cap = sink.limits.max_message_bytes;
    let guard = Arc::new(Mutex::new(EventSizeGuard::default()));
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
            return Err(format!(
                "the SSE stream exceeded the harness's cap of {STREAM_CAP} bytes per stream and was cut by the harness"
            ));
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
                let mut text = match e {
                    // The connection's failure, or a cap of the guard above.
                    eventsource_stream::EventStreamError::Transport(t) => t,
                    other => other.to_string(),
                };
                if text.contains("size cap") {
                    text = super::size_cap_policy(cap, "an SSE event");
                    let _ = sink
                        .tx
                        .note(Incoming::PolicyRefusal {
                            policy: text.clone(),
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
    let unfinished = guard.lock().map_or(0, |g| g.unfinished);
    end_stream(sink, index, error, unfinished).await;
    let reason = lock(&sink.shared)
        .exchanges
        .get(index)
        .and_then(|x| x.error.clone())
        .unwrap_or_else(|| "the server ended the stream".into());
    super::exchange::stream_ended(sink, index, reason).await;
}

/// Ends the record of a stream that ended on the server's side (`error`: how it
/// failed, if it did; `unfinished`: bytes of an event it left unfinished) and follows
/// it when it owes answers and can be resumed. A stream that failed, or was cut in the
/// middle of an event and is not followed, ended short: a request it carried and did
/// not answer gets no answer from it (see `exchange::why_unanswered`).
async fn end_stream(sink: &Sink, index: usize, error: Option<String>, unfinished: usize) {
    let cut = (unfinished > 0).then(|| cut_reason(unfinished));
    match error {
        Some(e) => {
            // Over a cap, the event was not cut by the server but by the harness.
            let why = match cut {
                Some(c) if !e.contains("harness") => format!("{c}: {e}"),
                _ => e,
            };
            end_short(sink, index, Some(why));
            // Not followed after an error (see `resume::plan_follow`).
            super::resume::after_stream_end(sink, index).await;
        }
        None => {
            finish(sink, index, None);
            // A server that resumes may close a stream where it likes.
            if !super::resume::after_stream_end(sink, index).await {
                end_short(sink, index, cut);
            }
        }
    }
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
        let key = format!("{session_key}\n{i}");
        // Bounded: past the cap (or for a giant id) only ids already known are checked.
        let known = st.seen_ids.contains_key(&key);
        if !known && (st.seen_ids.len() >= SEEN_IDS_CAP || i.len() > SEEN_ID_LEN_CAP) {
            return None;
        }
        st.seen_ids
            .insert(key, index)
            .map(|first| (i.clone(), first))
    });
    if let Some(x) = st.exchanges.get_mut(index) {
        let fits = x.kept_event_bytes + seen.data.len() <= KEPT_EVENT_BYTES_CAP;
        if x.events.len() < KEPT_EVENTS_CAP && fits {
            x.kept_event_bytes += seen.data.len();
            x.events.push(seen);
        } else {
            // Still handed to the session; only the record leaves it out.
            x.events_dropped += 1;
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
        .note(super::violation(
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
            .note(super::violation(
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
            .send(
                Incoming::Endpoint {
                    uri: ev.data.clone(),
                },
                ev.data.len(),
            )
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
        let mut g = EventSizeGuard::default();
        assert_eq!(g.feed(b"data: abc\n"), 9);
        assert_eq!(g.feed(b"\r\n"), 0);
        assert_eq!(g.feed(b"data: x"), 7);
    }

    #[test]
    fn an_unfinished_event_is_counted_and_comments_are_not() {
        let mut g = EventSizeGuard::default();
        g.feed(b": keep-alive\n");
        assert_eq!(g.unfinished, 0, "a comment is no event");
        g.feed(b"data: {\"a\"");
        assert_eq!(g.unfinished, 10);
        // The rest of the same line: a colon inside a line starts no comment.
        g.feed(b":1}\n\n");
        assert_eq!(g.unfinished, 0, "the blank line ends the event");
        g.feed(b"id: 7\r\n");
        assert_eq!(g.unfinished, 5);
        assert_eq!(
            cut_reason(g.unfinished),
            "the SSE stream was cut in the middle of an event (5 bytes of an unfinished event)"
        );
    }
}
