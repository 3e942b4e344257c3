//! Which SSE stream each server message goes out on, and the event store that makes
//! streams resumable.
//!
//! The session core writes every message to one channel; the router task of an HTTP
//! session reads it and picks exactly one stream per message (HTTP-19): a response
//! goes to the stream of the POST that carried its request, a progress notification
//! to the stream of the request that gave the token, anything else to the POST being
//! handled right now, else the newest POST stream still open, else the standalone
//! GET stream. Every event is stored with an id that names its stream (HTTP-28,
//! HTTP-29), so a GET with `Last-Event-ID` can replay what was missed on that stream
//! and nothing else (HTTP-30).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::core::{id_key, Outgoing};
use crate::faults::{Fault, Faults};

/// The standalone (GET) stream always has index 0.
pub const STANDALONE: usize = 0;

#[derive(Debug, Default)]
pub struct Stream {
    /// (event id, message); `None` for the priming event.
    pub events: Vec<(String, Option<Value>)>,
    /// The connection currently attached, if any.
    pub live: Option<mpsc::UnboundedSender<Bytes>>,
    /// How many stored events went out on a live connection (for the GET stream,
    /// which delivers what queued up while nobody listened).
    pub flushed: usize,
    /// Request ids still waiting for their response.
    pub pending: HashSet<String>,
    /// All responses sent: the stream ends once drained.
    pub done: bool,
    /// Whether it was opened by a POST (standalone is not).
    pub from_post: bool,
}

#[derive(Debug, Default)]
pub struct Router {
    pub streams: Vec<Stream>,
    by_request: HashMap<String, usize>,
    by_token: HashMap<String, usize>,
    /// The POST whose synchronous handling is being flushed.
    pub current: Option<usize>,
    next_event: u64,
    /// Fault `event-id-per-stream`: ids count per stream, so they repeat across streams.
    pub per_stream_ids: bool,
    /// Fault `broadcast-to-standalone`: POST-stream messages also go on the GET stream.
    pub broadcast: bool,
    /// Fault `progress-on-standalone`: progress notifications go on the GET stream.
    pub progress_to_standalone: bool,
    /// Fault `progress-on-newest-stream`: progress goes on the newest open POST stream.
    pub progress_to_newest: bool,
    /// Fault `keep-stream-open`: a finished POST stream is not ended.
    pub keep_open: bool,
    /// Variant `json-only`: POSTs are answered with JSON, so a POST stream holds only
    /// responses; progress and log messages of a request are not sent (the spec makes
    /// both optional) and anything else goes to the standalone stream.
    pub json_only: bool,
    /// Prepended to every event id (variant `stateless`: ids unique across sessions).
    pub id_prefix: String,
    /// Variant `poll-every-stream`: a connection closes after each delivery of events
    /// (the stream lives on; the client resumes it with GET and `Last-Event-ID`).
    pub poll_every: bool,
}

pub type SharedRouter = Arc<Mutex<Router>>;

pub fn lock(r: &SharedRouter) -> MutexGuard<'_, Router> {
    r.lock().unwrap_or_else(|e| e.into_inner())
}

/// One SSE event as bytes. Without data it is a priming event, which also tells the
/// client how long to wait before reconnecting (HTTP-14).
pub fn frame(id: &str, data: Option<&Value>) -> Bytes {
    Bytes::from(match data {
        Some(v) => format!("id: {id}\ndata: {v}\n\n"),
        None => format!("id: {id}\nretry: {PRIMING_RETRY_MS}\ndata:\n\n"),
    })
}

/// The `retry` sent with a priming event.
pub const PRIMING_RETRY_MS: u64 = 250;

impl Router {
    pub fn new() -> Router {
        Router {
            streams: vec![Stream::default()],
            ..Router::default()
        }
    }

    /// A new stream for a POST carrying these request ids and progress tokens.
    pub fn open_post(&mut self, ids: &[Value], tokens: &[Value]) -> usize {
        let index = self.streams.len();
        self.streams.push(Stream {
            pending: ids.iter().map(id_key).collect(),
            from_post: true,
            ..Stream::default()
        });
        for id in ids {
            self.by_request.insert(id_key(id), index);
        }
        for t in tokens {
            self.by_token.insert(id_key(t), index);
        }
        index
    }

    pub fn next_id(&mut self, stream: usize) -> String {
        self.next_event += 1;
        if self.per_stream_ids {
            let n = self.streams.get(stream).map_or(0, |s| s.events.len()) + 1;
            return n.to_string();
        }
        format!("{}{stream}-{}", self.id_prefix, self.next_event)
    }

    /// Adds an event to a stream and sends it on the live connection, if any.
    pub fn push(&mut self, stream: usize, msg: Option<Value>) {
        let id = self.next_id(stream);
        let Some(s) = self.streams.get_mut(stream) else {
            return;
        };
        let bytes = frame(&id, msg.as_ref());
        s.events.push((id, msg));
        if let Some(live) = &s.live {
            if live.send(bytes).is_ok() {
                s.flushed = s.events.len();
                if self.poll_every {
                    // Polling: the event went out; the connection ends after it.
                    s.live = None;
                }
            } else {
                s.live = None;
            }
        }
    }

    /// Picks the stream for a message the session core emitted; `None`: not sent.
    fn route(&self, msg: &Value) -> Option<usize> {
        let stream = self.route_any(msg);
        let on_post = self.streams.get(stream).is_some_and(|s| s.from_post);
        if !self.json_only || !on_post {
            return Some(stream);
        }
        let first = match msg {
            Value::Array(items) => items.first().unwrap_or(msg),
            other => other,
        };
        match first.get("method").and_then(Value::as_str) {
            None => Some(stream),
            Some("notifications/progress" | "notifications/message") => None,
            Some(_) => Some(STANDALONE),
        }
    }

    fn route_any(&self, msg: &Value) -> usize {
        let first = match msg {
            Value::Array(items) => items.first().unwrap_or(msg),
            other => other,
        };
        let is_response = first.get("method").is_none();
        if is_response {
            if let Some(s) = first
                .get("id")
                .and_then(|id| self.by_request.get(&id_key(id)))
            {
                return *s;
            }
        } else if let Some(s) = first
            .pointer("/params/progressToken")
            .and_then(|t| self.by_token.get(&id_key(t)))
        {
            if self.progress_to_standalone {
                return STANDALONE;
            }
            if self.progress_to_newest {
                if let Some(newest) = self.streams.iter().rposition(|s| s.from_post && !s.done) {
                    return newest;
                }
            }
            return *s;
        }
        if let Some(c) = self.current {
            return c;
        }
        self.streams
            .iter()
            .rposition(|s| s.from_post && !s.done)
            .unwrap_or(STANDALONE)
    }

    /// Routes, stores and sends one message; ends a POST stream after its last response.
    pub fn dispatch(&mut self, msg: Value) {
        let Some(stream) = self.route(&msg) else {
            return;
        };
        let answered: Vec<String> = match &msg {
            Value::Array(items) => items
                .iter()
                .filter(|m| m.get("method").is_none())
                .filter_map(|m| m.get("id").map(id_key))
                .collect(),
            m if m.get("method").is_none() => m.get("id").map(id_key).into_iter().collect(),
            _ => Vec::new(),
        };
        if self.broadcast && stream != STANDALONE {
            self.push(STANDALONE, Some(msg.clone()));
        }
        self.push(stream, Some(msg));
        if let Some(s) = self.streams.get_mut(stream) {
            for a in &answered {
                s.pending.remove(a);
            }
            // An error with a null id rejects the POST as a whole: nothing more will come.
            let rejected = answered.iter().any(|a| a == "null");
            if s.from_post && !answered.is_empty() && (s.pending.is_empty() || rejected) {
                s.done = true;
                // Dropping the sender ends the response body.
                if !self.keep_open {
                    s.live = None;
                }
            }
        }
    }

    /// Attaches a connection to a stream and sends what it has not delivered yet
    /// (for resumption: everything after `after`).
    pub fn attach(
        &mut self,
        stream: usize,
        after: Option<&str>,
        faults: &Faults,
    ) -> mpsc::UnboundedReceiver<Bytes> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut backlog: Vec<Bytes> = Vec::new();
        match after {
            Some(last) if faults.has(Fault::ReplayCrossStream) => {
                // Fault: replays every later event of the session, whatever its stream.
                let mut all: Vec<(u64, Bytes)> = Vec::new();
                for s in &self.streams {
                    for (id, m) in &s.events {
                        if event_seq(id) > event_seq(last) {
                            all.push((event_seq(id), frame(id, m.as_ref())));
                        }
                    }
                }
                all.sort_by_key(|(n, _)| *n);
                backlog.extend(all.into_iter().map(|(_, b)| b));
            }
            Some(last) => {
                if let Some(s) = self.streams.get(stream) {
                    let pos = s.events.iter().position(|(id, _)| id == last);
                    let from = match pos {
                        Some(p) if faults.has(Fault::ReplayRepeatsEvent) => p,
                        Some(p) => p + 1,
                        None => s.events.len(),
                    };
                    for (id, m) in &s.events[from..] {
                        backlog.push(frame(id, m.as_ref()));
                    }
                }
            }
            None => {
                if let Some(s) = self.streams.get(stream) {
                    for (id, m) in &s.events[s.flushed.min(s.events.len())..] {
                        backlog.push(frame(id, m.as_ref()));
                    }
                }
            }
        }
        let backlog_empty = backlog.is_empty();
        if let Some(s) = self.streams.get_mut(stream) {
            for b in backlog {
                let _ = tx.send(b);
            }
            s.flushed = s.events.len();
            // A finished stream ends after the replay; an open one stays attached
            // (when polling, only until it has delivered something).
            let delivered = !backlog_empty;
            s.live = if s.done || (self.poll_every && delivered) {
                None
            } else {
                Some(tx)
            };
        }
        rx
    }

    /// The stream an event id belongs to.
    pub fn stream_of(&self, event_id: &str) -> Option<usize> {
        self.streams
            .iter()
            .position(|s| s.events.iter().any(|(id, _)| id == event_id))
    }
}

/// The session-wide sequence number in an event id (`STREAM-SEQ`).
fn event_seq(id: &str) -> u64 {
    id.rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Reads the core's output for one HTTP session and dispatches it.
pub async fn run_router(router: SharedRouter, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(item) = rx.recv().await {
        match item {
            Outgoing::Message(msg) => lock(&router).dispatch(msg),
            Outgoing::Flush(ack) => {
                let _ = ack.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn responses_and_progress_follow_their_request() {
        let mut r = Router::new();
        let a = r.open_post(&[json!(1)], &[json!("p1")]);
        let b = r.open_post(&[json!(2)], &[]);
        r.dispatch(json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p1","progress":1}}));
        r.dispatch(json!({"jsonrpc":"2.0","id":2,"result":{}}));
        assert_eq!(r.streams[a].events.len(), 1);
        assert!(r.streams[b].done && !r.streams[a].done);
        // Unrelated notifications go to the newest open POST stream.
        r.dispatch(json!({"jsonrpc":"2.0","method":"notifications/message","params":{}}));
        assert_eq!(r.streams[a].events.len(), 2);
        r.dispatch(json!({"jsonrpc":"2.0","id":1,"result":{}}));
        r.dispatch(json!({"jsonrpc":"2.0","method":"notifications/message","params":{}}));
        assert_eq!(r.streams[STANDALONE].events.len(), 1);
    }

    #[test]
    fn json_only_keeps_only_responses_on_a_post_stream() {
        let mut r = Router::new();
        r.json_only = true;
        let a = r.open_post(&[json!(1)], &[json!("p")]);
        r.current = Some(a);
        r.dispatch(
            json!({"method":"notifications/progress","params":{"progressToken":"p","progress":1}}),
        );
        r.dispatch(json!({"method":"notifications/message","params":{"level":"info","data":"x"}}));
        r.dispatch(json!({"method":"notifications/tools/list_changed"}));
        r.dispatch(json!({"jsonrpc":"2.0","id":1,"result":{}}));
        assert_eq!(r.streams[a].events.len(), 1, "the response only");
        assert_eq!(r.streams[STANDALONE].events.len(), 1, "list_changed");
    }

    #[test]
    fn polling_ends_each_connection_after_what_it_delivered() {
        let mut r = Router::new();
        r.poll_every = true;
        let a = r.open_post(&[json!(1)], &[json!("p")]);
        // A resumed connection with nothing to replay waits for the next event.
        let mut rx = r.attach(a, None, &Faults::none());
        assert!(r.streams[a].live.is_some());
        r.dispatch(
            json!({"method":"notifications/progress","params":{"progressToken":"p","progress":1}}),
        );
        assert!(rx.try_recv().is_ok());
        assert!(r.streams[a].live.is_none(), "closed after one delivery");
        r.dispatch(
            json!({"method":"notifications/progress","params":{"progressToken":"p","progress":2}}),
        );
        let first = r.streams[a].events[0].0.clone();
        let mut rx = r.attach(a, Some(&first), &Faults::none());
        assert!(rx.try_recv().is_ok());
        assert!(r.streams[a].live.is_none(), "closed after the replay");
    }

    #[test]
    fn replay_starts_after_the_given_event_on_that_stream_only() {
        let mut r = Router::new();
        let a = r.open_post(&[json!(1)], &[json!("p")]);
        let b = r.open_post(&[json!(2)], &[json!("q")]);
        for n in 1..=3 {
            r.dispatch(json!({"method":"notifications/progress","params":{"progressToken":"p","progress":n}}));
            r.dispatch(json!({"method":"notifications/progress","params":{"progressToken":"q","progress":n}}));
        }
        let first = r.streams[a].events[0].0.clone();
        assert_eq!(r.stream_of(&first), Some(a));
        let mut rx = r.attach(a, Some(&first), &Faults::none());
        let mut got = Vec::new();
        while let Ok(b) = rx.try_recv() {
            got.push(String::from_utf8_lossy(&b).into_owned());
        }
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|e| e.contains("\"p\"")));
        assert!(r.streams[b].live.is_none());
    }
}
