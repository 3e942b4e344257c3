//! One long-lived server process for fuzzing: started and initialized once, called
//! many times, restarted when it dies or stops answering.
//!
//! Calls go out in windows (several requests in flight) for speed; each call has a
//! deadline, a progress token (a call that reports progress is working, not hung) and
//! is cancelled when it times out. Server-to-client requests are answered by the
//! session; notifications are drained so nothing piles up.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::MessageKind;
use crate::client::handshake::{campaign_capabilities, Stage};
use crate::client::session::{Session, REFUSAL_POLL};
use crate::client::{Connection, RunConfig};
use crate::outcome::TranscriptEntry;

use super::envelope::{self, Edit};
use super::oracle::Reply;

pub struct FuzzServer<'a> {
    conn: Connection<'a>,
    next_id: u64,
}

impl<'a> FuzzServer<'a> {
    pub fn new(cfg: &'a RunConfig, revision: &str) -> FuzzServer<'a> {
        FuzzServer {
            conn: Connection::new(cfg, revision, campaign_capabilities(), Stage::Described),
            next_id: 0,
        }
    }

    /// Processes started so far (the first start included).
    pub fn starts(&self) -> u32 {
        self.conn.starts()
    }

    fn id(&mut self) -> Value {
        self.next_id += 1;
        json!(self.next_id)
    }

    /// The request that shows the server still answers: `ping`, or at 2026-07-28 (which
    /// has no `ping`) `server/discover`.
    fn liveness_method(&self) -> &'static str {
        if crate::revision::is_modern(self.conn.revision()) {
            "server/discover"
        } else {
            "ping"
        }
    }

    /// Starts a process and runs the handshake (`client::handshake`); `Err` when the
    /// server cannot be brought to the initialized state (at 2026-07-28: when
    /// `server/discover` is not answered with a result).
    pub async fn start(&mut self) -> Result<(), String> {
        self.conn
            .start()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Starts the server if it is not running.
    pub async fn ensure(&mut self) -> Result<(), String> {
        self.conn.ensure().await.map_err(|e| e.to_string())
    }

    /// Stops the process (if any) and returns its transcript and stderr.
    pub async fn stop(&mut self) -> Option<(Vec<TranscriptEntry>, String)> {
        let (transcript, stderr, _) = self.conn.stop().await?;
        Some((transcript, stderr))
    }

    /// Sends the liveness check (`ping`; `server/discover` at 2026-07-28) and waits up
    /// to the call timeout for the answer.
    pub async fn ping(&mut self, wait: Duration) -> bool {
        let id = self.id();
        let method = self.liveness_method();
        let Some(session) = self.conn.session() else {
            return false;
        };
        match session.request(id, method, json!({}), wait).await {
            Ok(resp) => resp.get("result").is_some(),
            Err(_) => false,
        }
    }

    /// Calls `tool` once per argument document (its request changed by the envelope
    /// edits given with it, none for a plain call), all in flight together, and
    /// returns one reply per call (in order) with the envelope violations seen in its
    /// answer. Every request gets an id of its own (a string one where an edit asks).
    pub async fn call_window(
        &mut self,
        tool: &str,
        calls: &[(&Value, &[Edit])],
        wait: Duration,
    ) -> Vec<(Reply, Vec<Broken>)> {
        let requests: Vec<Value> = calls
            .iter()
            .map(|(args, edits)| {
                self.next_id += 1;
                let id = envelope::request_id(self.next_id, edits);
                envelope::request(tool, &id, args, edits)
            })
            .collect();
        let Some(session) = self.conn.session() else {
            return calls
                .iter()
                .map(|_| (Reply::Closed("server not running".into()), Vec::new()))
                .collect();
        };
        let mut window = Window::new(calls.len());
        window.send_all(session, &requests).await;
        let deadline = Instant::now() + wait;
        while !window.pending.is_empty() {
            // In slices, so that an HTTP refusal ends a call's wait at once.
            let slice = (Instant::now() + REFUSAL_POLL).min(deadline);
            let Some(msg) = session.next_of(MessageKind::Any, slice).await else {
                if Instant::now() >= deadline || session.closed().is_some() {
                    break;
                }
                window.note_refusals(session);
                continue;
            };
            let violations = broken(session);
            window.attribute(msg, violations);
        }
        window.finish(session).await
    }

    /// Lists every tool, following `nextCursor` (at most `max_pages` pages).
    pub async fn list_tools(&mut self, max_pages: usize) -> Result<Vec<Value>, String> {
        let mut tools = Vec::new();
        let mut cursor: Option<Value> = None;
        for _ in 0..max_pages {
            let id = self.id();
            let wait = self.conn.config().timeout;
            let session = self.conn.session().ok_or("server not running")?;
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let resp = session.request(id, "tools/list", params, wait).await?;
            let Some(result) = resp.get("result") else {
                return Err(format!("tools/list failed: {resp}"));
            };
            let page = result
                .get("tools")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("tools/list result has no tools array: {result}"))?;
            tools.extend(page.iter().cloned());
            match result.get("nextCursor") {
                Some(c) if !c.is_null() => cursor = Some(c.clone()),
                _ => return Ok(tools),
            }
        }
        Err(format!(
            "tools/list still had a nextCursor after {max_pages} pages"
        ))
    }
}

/// A rule an answer broke: requirement ids and what is wrong.
pub type Broken = (Vec<String>, String);

/// The violations the session saw since they were last taken.
fn broken(session: &mut Session) -> Vec<Broken> {
    session
        .take_violations()
        .into_iter()
        .map(|v| (v.requirements, v.message))
        .collect()
}

/// The calls of one window in flight: which id is which call, and what each got.
struct Window {
    /// Open calls: request id (as JSON text) → the id and the call index.
    pending: HashMap<String, (Value, usize)>,
    replies: Vec<Option<Reply>>,
    wire: Vec<Vec<Broken>>,
    progressed: Vec<bool>,
}

impl Window {
    fn new(calls: usize) -> Window {
        Window {
            pending: HashMap::new(),
            replies: vec![None; calls],
            wire: vec![Vec::new(); calls],
            progressed: vec![false; calls],
        }
    }

    /// Sends every call (each with its id as progress token).
    async fn send_all(&mut self, session: &mut Session, requests: &[Value]) {
        for (i, msg) in requests.iter().enumerate() {
            let id = msg.get("id").cloned().unwrap_or(Value::Null);
            match session.send(msg).await {
                Ok(()) => {
                    self.pending.insert(id.to_string(), (id, i));
                }
                Err(e) => self.replies[i] = Some(Reply::Closed(format!("could not send: {e}"))),
            }
        }
    }

    /// Over HTTP: ends the calls whose request was refused without an answer.
    fn note_refusals(&mut self, session: &mut Session) {
        let refused: Vec<(String, String)> = self
            .pending
            .iter()
            .filter_map(|(key, (id, _))| {
                Some((key.clone(), session.transport().refused(Some(id))?))
            })
            .collect();
        for (key, why) in refused {
            if let Some((_, i)) = self.pending.remove(&key) {
                self.replies[i] = Some(Reply::Refused(why));
            }
        }
    }

    /// Gives a received message to the call it concerns: a response answers its call
    /// (with the violations seen meanwhile), a progress notification marks its call
    /// as working.
    fn attribute(&mut self, msg: Value, violations: Vec<Broken>) {
        match MessageKind::of(&msg) {
            MessageKind::Response => {
                let slot = msg
                    .get("id")
                    .and_then(|id| self.pending.remove(&id.to_string()));
                match slot {
                    Some((_, i)) => {
                        self.wire[i].extend(violations);
                        self.replies[i] = Some(Reply::Response(msg));
                    }
                    None => self.unattributed(msg, violations),
                }
            }
            MessageKind::Notification => {
                let token = msg.pointer("/params/progressToken").map(Value::to_string);
                if msg.get("method").and_then(Value::as_str) == Some("notifications/progress") {
                    if let Some((_, i)) = token.and_then(|t| self.pending.get(&t)) {
                        self.progressed[*i] = true;
                    }
                }
            }
            _ => {}
        }
    }

    /// An answer we cannot attribute (null, wrong-typed or unknown id): it answers
    /// the oldest open call as far as we can tell, and breaks RPC-02; confirming
    /// alone tells which call it was.
    fn unattributed(&mut self, msg: Value, violations: Vec<Broken>) {
        let Some(i) = self.pending.values().map(|(_, i)| *i).min() else {
            return;
        };
        let mut v = violations;
        v.push((
            vec!["RPC-02".to_string()],
            format!(
                "a response whose id ({}) is not the request's id",
                msg.get("id").map(Value::to_string).unwrap_or_default()
            ),
        ));
        self.wire[i].extend(v);
        self.pending.retain(|_, (_, slot)| *slot != i);
        self.replies[i] = Some(Reply::Response(msg));
    }

    /// Ends the window: output that is not a message at all (a stray print) is
    /// charged to the first call; open calls end as closed or timed out (and are
    /// cancelled).
    async fn finish(mut self, session: &mut Session) -> Vec<(Reply, Vec<Broken>)> {
        let leftover = broken(session);
        if let Some(first) = self.wire.first_mut() {
            first.extend(leftover);
        }
        let closed = session.closed().map(str::to_string);
        for (id, i) in self.pending.values() {
            self.replies[*i] = Some(match &closed {
                Some(why) => Reply::Closed(why.clone()),
                None => Reply::Timeout {
                    progressed: self.progressed[*i],
                },
            });
            if closed.is_none() {
                let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                    "params": {"requestId": id, "reason": "mcp-conform: call timed out"}});
                let _ = session.send(&cancel).await;
            }
        }
        self.replies
            .into_iter()
            .zip(self.wire)
            .map(|(r, w)| (r.unwrap_or(Reply::Closed("no reply".into())), w))
            .collect()
    }
}
