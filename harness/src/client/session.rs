//! JSON-RPC over a transport: ids, correlation, a transcript of everything exchanged,
//! and answers to the server's own requests.
//!
//! The session never judges a case's expectations, nor does it hold protocol rules:
//! it keeps what the rules need to know (what each side declared and sent, the
//! revision) and hands every received message to the global checks
//! (`check::traffic`), keeping the violations for the case to report.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::request_meta::RequestMeta;
use crate::case::MessageKind;
use crate::check::traffic::{self, Conversation};
use crate::check::Violation;
use crate::evidence::{json_size, Budget, Pool, CASE_TRANSCRIPT_BYTES};
use crate::outcome::{Direction, TranscriptEntry};
use crate::revision::ALL_REVISIONS;
use crate::transport::{Incoming, Transport, TransportError};

/// How often a wait for a response looks whether the HTTP request was refused.
pub const REFUSAL_POLL: Duration = Duration::from_millis(100);
/// How long to look for a JSON-RPC body after a refusal was seen.
const REFUSAL_GRACE: Duration = Duration::from_millis(200);

/// Why a wait for a message ended without one.
#[derive(Debug, Clone, PartialEq)]
pub enum Unanswered {
    Timeout,
    /// The connection is gone (the reason).
    Closed(String),
    /// Over HTTP the request was refused without a JSON-RPC answer (status and body).
    Refused(String),
}

impl Unanswered {
    /// The reason, as the end of a sentence ("no response arrived: …").
    pub fn describe(&self, waited: Duration) -> String {
        match self {
            Unanswered::Timeout => format!("no answer within {} ms", waited.as_millis()),
            Unanswered::Closed(reason) => format!("the server closed the connection ({reason})"),
            Unanswered::Refused(why) => why.clone(),
        }
    }
}

/// Cap on transcript entries per session, so a flooding server cannot exhaust memory.
const TRANSCRIPT_CAP: usize = 1000;
/// Cap on received messages waiting for an expectation, and on their bytes. Past
/// either, the oldest are dropped and the case cannot be judged (a harness policy).
const INBOX_CAP: usize = 1024;
const INBOX_BYTES_CAP: usize = 8 * 1024 * 1024;
/// Cap on the server's requests one session answers. Past it, or once an answer could
/// not be written, requests go unanswered and the case cannot be judged.
const ANSWER_CAP: usize = 256;
/// Longest a session spends reading what is already buffered when it settles or ends,
/// and most events it reads then: a server that writes without end cannot hold a
/// case's teardown.
const SETTLE_TIME: Duration = Duration::from_secs(2);
const SETTLE_EVENTS: usize = 10_000;
/// How long a silence window goes on after the server answered its barrier, on top
/// of twice the barrier's round trip (see [`Session::silence`]).
pub const BARRIER_GRACE: Duration = Duration::from_millis(100);
/// How long a wait goes on reading once the transport is quiescent (what was delivered
/// before is already queued for the session).
const QUIESCENT_DRAIN: Duration = Duration::from_millis(20);
/// Cap on recorded wire violations per session, for the same reason.
const VIOLATION_CAP: usize = 100;
/// Cap on remembered request ids (for judging results by the method they answer).
const SENT_CAP: usize = 10_000;

/// What one case gathered on a server that stays up for the next case
/// ([`Session::hand_over`]).
pub struct Handover {
    pub transcript: Vec<TranscriptEntry>,
    pub stderr: String,
    pub violations: Vec<Violation>,
    pub refusals: Vec<String>,
    /// Whether another case may run on the server ([`Session::reusable`] before the
    /// handover).
    pub reusable: bool,
}

pub struct Session {
    transport: Transport,
    started: Instant,
    transcript: Vec<TranscriptEntry>,
    /// Received, not yet consumed by an expectation, with the size of each.
    inbox: VecDeque<(Value, usize)>,
    inbox_bytes: usize,
    /// Messages dropped from a full inbox.
    inbox_dropped: usize,
    /// What of the transcript is kept (large entries elided, a byte budget).
    evidence: Budget,
    /// The server's requests answered, and left unanswered (over the cap, or after an
    /// answer could not be written: then `deaf` holds why).
    answered: usize,
    unanswered: usize,
    deaf: Option<String>,
    /// For a fresh server: how long the first answer may take (it may be starting up),
    /// and the start-up slot it holds until something arrives.
    startup: Option<Duration>,
    startup_slot: Option<tokio::sync::OwnedSemaphorePermit>,
    /// Whether anything at all arrived from the server yet.
    heard: bool,
    violations: Vec<Violation>,
    /// The harness's own safety refusals (policy text), which leave a case unjudgeable.
    refusals: Vec<String>,
    client_capabilities: Value,
    closed: Option<String>,
    /// The revision whose schema every received message is validated against.
    revision: Option<String>,
    /// Method of each request the harness sent, by id (JSON text, so `1` ≠ `"1"`).
    sent_methods: HashMap<String, String>,
    /// Ids (JSON text) of the harness's requests not answered yet.
    pending: HashSet<String>,
    /// The server's declared capabilities, once an `initialize` result was seen.
    server_capabilities: Option<Value>,
    /// Ids of the requests the server sent (JSON text), for judging its cancellations.
    server_request_ids: Vec<String>,
    /// Set for the stateless revision: `_meta` added to every request sent.
    request_meta: Option<RequestMeta>,
    /// Ids (JSON text) of barrier requests not answered yet, whose answers are the
    /// harness's own business: recorded, not judged, not queued (see
    /// [`Session::silence`]).
    barriers: HashSet<String>,
    /// The last number [`Session::next_serial`] gave out.
    serial: u64,
    /// Ids (JSON text) of requests earlier cases on this server sent and did not get
    /// answered: a late answer is recorded, not judged or queued (it is no business
    /// of the case running now).
    retired: HashSet<String>,
    /// How much of the server's stderr earlier cases on this server took.
    stderr_taken: usize,
}

impl Session {
    pub fn new(transport: Transport, client_capabilities: Value) -> Session {
        Session {
            transport,
            started: Instant::now(),
            transcript: Vec::new(),
            inbox: VecDeque::new(),
            inbox_bytes: 0,
            inbox_dropped: 0,
            evidence: Budget::new(CASE_TRANSCRIPT_BYTES, Pool::default()),
            answered: 0,
            unanswered: 0,
            deaf: None,
            startup: None,
            startup_slot: None,
            heard: false,
            violations: Vec::new(),
            refusals: Vec::new(),
            client_capabilities,
            closed: None,
            revision: None,
            sent_methods: HashMap::new(),
            pending: HashSet::new(),
            server_capabilities: None,
            server_request_ids: Vec::new(),
            request_meta: None,
            barriers: HashSet::new(),
            serial: 0,
            retired: HashSet::new(),
            stderr_taken: 0,
        }
    }

    /// Draws the transcript's evidence from the run's pool (each case keeps at most
    /// its own budget, and all of them together at most the pool).
    pub fn share_evidence(&mut self, pool: Pool) {
        self.evidence = Budget::new(CASE_TRANSCRIPT_BYTES, pool);
    }

    /// A freshly started server: its first answer may take up to `startup` (however
    /// short the wait for it), and `slot` (a place among the servers starting at once)
    /// is held until it arrives.
    pub fn starting_up(
        &mut self,
        startup: Duration,
        slot: Option<tokio::sync::OwnedSemaphorePermit>,
    ) {
        self.startup = Some(startup);
        self.startup_slot = slot;
    }

    /// A wait's deadline, stretched to the start-up allowance while nothing has
    /// arrived from a freshly started server yet.
    fn allow_startup(&self, deadline: Instant) -> Instant {
        match self.startup {
            Some(startup) if !self.heard => deadline.max(self.started + startup),
            _ => deadline,
        }
    }

    /// Switches the session to per-request metadata (2026-07-28): no handshake, every
    /// request carries `meta`, and over HTTP the request metadata headers follow.
    pub fn set_request_meta(&mut self, meta: RequestMeta) {
        self.revision = Some(meta.protocol_version.clone());
        if let Some(t) = self.transport.as_http() {
            t.set_protocol_version(&meta.protocol_version);
        }
        self.request_meta = Some(meta);
    }

    pub fn request_meta(&self) -> Option<&RequestMeta> {
        self.request_meta.as_ref()
    }

    /// A message as this session sends it: with the per-request `_meta` when set.
    pub fn decorate(&self, msg: &Value) -> Value {
        match &self.request_meta {
            Some(m) => m.decorate(msg),
            None => msg.clone(),
        }
    }

    /// Sets the revision whose schema received messages are validated against. A later
    /// `initialize` result naming another known revision replaces it.
    pub fn set_revision(&mut self, revision: &str) {
        self.revision = Some(revision.to_string());
    }

    /// The server's declared capabilities, if an `initialize` result was seen.
    pub fn server_capabilities(&self) -> Option<&Value> {
        self.server_capabilities.as_ref()
    }

    fn remember_requests(&mut self, msg: &Value) {
        let items: Vec<&Value> = match msg {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for m in items {
            if let (Some(id), Some(method)) = (m.get("id"), m.get("method").and_then(Value::as_str))
            {
                if self.sent_methods.len() < SENT_CAP {
                    self.sent_methods.insert(id.to_string(), method.to_string());
                }
                if self.pending.len() < SENT_CAP {
                    self.pending.insert(id.to_string());
                }
            }
        }
    }

    /// What the traffic rules know of the conversation now.
    fn conversation(&self) -> Conversation<'_> {
        Conversation {
            revision: self.revision.as_deref(),
            client_capabilities: &self.client_capabilities,
            server_capabilities: self.server_capabilities.as_ref(),
            sent_methods: &self.sent_methods,
            server_request_ids: &self.server_request_ids,
        }
    }

    /// The one hook for the global checks: judges a received value (a message or a
    /// batch) by the traffic rules, learning from each message first what it changes
    /// (the negotiated revision and the server's capabilities) and remembering the
    /// server's requests after.
    fn judge_received(&mut self, msg: &Value) {
        let mut found = traffic::judge_envelope(msg, self.revision.as_deref());
        let items = match msg {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        for item in items {
            if MessageKind::of(item) == MessageKind::Response {
                if let Some(id) = item.get("id") {
                    self.pending.remove(&id.to_string());
                }
            }
            self.learn(item);
            found.extend(traffic::judge_message(item, &self.conversation()));
            self.remember_server_request(item);
        }
        self.push_violations(found);
    }

    /// Keeps violations up to [`VIOLATION_CAP`] (a flooding server repeats itself).
    fn push_violations(&mut self, found: Vec<Violation>) {
        let room = VIOLATION_CAP.saturating_sub(self.violations.len());
        self.violations
            .extend(found.into_iter().take(room).map(|mut v| {
                v.evidence = crate::evidence::bounded(std::mem::take(&mut v.evidence));
                v
            }));
    }

    /// What a received message changes: an `initialize` result sets the revision and
    /// the server's capabilities; at 2026-07-28 a `tools/list` result tells the HTTP
    /// transport which `Mcp-Param-*` headers each tool's calls carry.
    fn learn(&mut self, msg: &Value) {
        let answered = self.conversation().answered_method(msg).map(str::to_string);
        if answered.as_deref() == Some("initialize") {
            if let Some(result) = msg.get("result").filter(|r| r.is_object()) {
                if let Some(v) = result.get("protocolVersion").and_then(Value::as_str) {
                    if ALL_REVISIONS.contains(&v) {
                        self.revision = Some(v.to_string());
                    }
                }
                self.server_capabilities = result.get("capabilities").cloned();
            }
        }
        if answered.as_deref() == Some("tools/list") && self.request_meta.is_some() {
            let tools = msg.pointer("/result/tools").and_then(Value::as_array);
            if let (Some(t), Some(tools)) = (self.transport.as_http(), tools) {
                t.learn_param_headers(tools);
            }
        }
    }

    /// Ids of the server's requests, for judging its cancellations.
    fn remember_server_request(&mut self, msg: &Value) {
        if let (Some(id), Some(_)) = (msg.get("id"), msg.get("method")) {
            if self.server_request_ids.len() < SENT_CAP {
                self.server_request_ids.push(id.to_string());
            }
        }
    }

    pub fn transport(&mut self) -> &mut Transport {
        &mut self.transport
    }

    pub fn closed(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.record(Direction::Event, Value::String(text.into()));
    }

    fn record(&mut self, direction: Direction, body: Value) {
        let size = json_size(&body);
        self.record_sized(direction, body, size);
    }

    /// As `record`, for a body whose [`json_size`] is known.
    fn record_sized(&mut self, direction: Direction, body: Value, size: usize) {
        if self.transcript.len() >= TRANSCRIPT_CAP {
            return;
        }
        let Some(body) = self.evidence.keep_sized(body, size) else {
            return;
        };
        let at_ms = self.started.elapsed().as_millis() as u64;
        self.transcript.push(TranscriptEntry {
            at_ms,
            direction,
            body: body.into(),
        });
        if self.transcript.len() == TRANSCRIPT_CAP {
            self.transcript.push(TranscriptEntry {
                at_ms,
                direction: Direction::Event,
                body: Value::String("transcript truncated".into()).into(),
            });
        }
    }

    /// Records something sent outside the JSON-RPC path (an HTTP request of a case).
    pub fn note_sent(&mut self, what: Value) {
        self.record(Direction::Sent, what);
    }

    /// Reads for up to `wait`, queueing any message for later expectations.
    pub async fn idle(&mut self, wait: Duration) {
        if self.closed.is_some() {
            tokio::time::sleep(wait).await;
            return;
        }
        if let Some((msg, size)) = self.pump(wait).await {
            self.enqueue(msg, size);
        }
    }

    /// Puts messages back at the front of the queue, in order.
    pub fn requeue(&mut self, msgs: Vec<Value>) {
        for m in msgs.into_iter().rev() {
            let size = json_size(&m);
            self.inbox_bytes += size;
            self.inbox.push_front((m, size));
        }
    }

    /// Queues a message for later expectations; a full queue drops its oldest, and
    /// the case then cannot be judged (an expected message may be among them).
    fn enqueue(&mut self, msg: Value, size: usize) {
        self.inbox_bytes += size;
        self.inbox.push_back((msg, size));
        while self.inbox.len() > INBOX_CAP || self.inbox_bytes > INBOX_BYTES_CAP {
            let Some((_, gone)) = self.inbox.pop_front() else {
                break;
            };
            self.inbox_bytes -= gone;
            self.inbox_dropped += 1;
        }
    }

    /// Takes the first queued message that satisfies `wanted`.
    fn dequeue(&mut self, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        let pos = self.inbox.iter().position(|(m, _)| wanted(m))?;
        let (msg, size) = self.inbox.remove(pos)?;
        self.inbox_bytes -= size;
        Some(msg)
    }

    /// Sends a JSON value as one message.
    /// In the stateless revision, requests get the per-request `_meta` first.
    pub async fn send(&mut self, msg: &Value) -> Result<(), TransportError> {
        let msg = &self.decorate(msg);
        let text = msg.to_string();
        self.remember_requests(msg);
        self.record(Direction::Sent, msg.clone());
        self.transport.send(&text).await
    }

    /// Sends text verbatim as one message (no `_meta` is added).
    pub async fn send_raw(&mut self, text: &str) -> Result<(), TransportError> {
        let body =
            serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.into()));
        self.remember_requests(&body);
        self.record(Direction::Sent, body);
        self.transport.send(text).await
    }

    /// Reads one event from the transport, handling what the session owns
    /// (wire checks, answering server requests). Returns the message, if any.
    /// Returns the message with its size ([`json_size`]), measured once.
    async fn pump(&mut self, wait: Duration) -> Option<(Value, usize)> {
        if self.closed.is_some() {
            return None;
        }
        let event = self.transport.recv(wait).await?;
        if !self.heard {
            self.heard = true;
            self.startup_slot = None;
        }
        match event {
            Incoming::Message(msg) => {
                let size = json_size(&msg);
                if self.barrier_answered(&msg, size) {
                    return None;
                }
                self.received(&msg, size).await;
                Some((msg, size))
            }
            Incoming::Invalid { raw, reason } => {
                self.record(Direction::Received, Value::String(raw.clone()));
                if self.violations.len() < VIOLATION_CAP {
                    let stdio = self.transport.is_stdio();
                    let v = traffic::not_a_message(&raw, &reason, self.revision.as_deref(), stdio);
                    self.push_violations(vec![v]);
                }
                None
            }
            Incoming::Closed { reason } => {
                self.note(format!("connection closed: {reason}"));
                self.closed = Some(reason);
                None
            }
            Incoming::Violation(v) => {
                // Kept as received: it is what the server sent (and shows it answered).
                self.record(Direction::Received, v.evidence.clone());
                self.note(v.message.clone());
                self.push_violations(vec![v]);
                None
            }
            Incoming::StreamEnded { exchange, reason } => {
                self.note(format!("HTTP stream #{exchange} ended: {reason}"));
                None
            }
            Incoming::Endpoint { uri } => {
                self.note(format!("endpoint event: {uri}"));
                None
            }
            Incoming::PolicyRefusal { policy, evidence } => {
                self.refused(policy, evidence);
                None
            }
        }
    }

    /// A received message: recorded, judged, and a request of the server's answered
    /// (at 2026-07-28 a client answers none: MOD-12).
    async fn received(&mut self, msg: &Value, size: usize) {
        self.record_sized(Direction::Received, msg.clone(), size);
        self.judge_received(msg);
        if MessageKind::of(msg) == MessageKind::Request {
            if self.request_meta.is_some() {
                self.push_violations(vec![traffic::request_to_stateless_client(msg)]);
            } else {
                self.answer_server_request(msg).await;
            }
        }
    }

    /// The harness's own safety policy refused something the server sent.
    fn refused(&mut self, policy: String, evidence: String) {
        if !evidence.is_empty() {
            self.record(Direction::Received, Value::String(evidence));
        }
        self.note(policy.clone());
        if !self.refusals.contains(&policy) {
            self.refusals.push(policy);
        }
    }

    /// Answers a server-to-client request as a well-behaved client with the declared
    /// capabilities would.
    async fn answer_server_request(&mut self, req: &Value) {
        if self.deaf.is_some() || self.answered >= ANSWER_CAP {
            self.unanswered += 1;
            return;
        }
        self.answered += 1;
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        let method = req.get("method").and_then(Value::as_str).unwrap_or("");
        let declared = |cap: &str| self.client_capabilities.get(cap).is_some();
        let result = match method {
            "ping" => Some(json!({})),
            "roots/list" if declared("roots") => Some(json!({"roots": []})),
            "sampling/createMessage" if declared("sampling") => Some(json!({
                "role": "assistant",
                "content": {"type": "text", "text": "mcp-conform test client"},
                "model": "mcp-conform"
            })),
            "elicitation/create" if declared("elicitation") => Some(json!({"action": "decline"})),
            _ => None,
        };
        let answer = match result {
            Some(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
            None => json!({"jsonrpc": "2.0", "id": id,
                "error": {"code": -32601, "message": format!("client does not offer `{method}`")}}),
        };
        if let Err(e) = self.send(&answer).await {
            self.note(format!("could not answer the server's request: {e}"));
            if matches!(e, TransportError::Stalled(_)) {
                self.deaf = Some(e.to_string());
            }
        }
    }

    /// The harness's own limits this session reached so far that leave the case
    /// unjudgeable: messages dropped from a full queue, server requests left
    /// unanswered. Each names the policy.
    fn limits_reached(&self) -> Vec<String> {
        let mut reached = Vec::new();
        if self.inbox_dropped > 0 {
            reached.push(format!(
                "harness policy: the server sent more unread messages than the harness queues ({INBOX_CAP} messages or {} MiB); {} were dropped, so an expected one may be among them",
                INBOX_BYTES_CAP / (1024 * 1024),
                self.inbox_dropped
            ));
        }
        if self.unanswered > 0 {
            let why = match &self.deaf {
                Some(why) => format!("the server stopped reading its answers ({why})"),
                None => format!("the harness answers at most {ANSWER_CAP} per case"),
            };
            reached.push(format!(
                "harness policy: {} of the server's requests were left unanswered: {why}",
                self.unanswered
            ));
        }
        reached
    }

    /// Waits until `deadline` for the next message of `kind` (queued ones first).
    pub async fn next_of(&mut self, kind: MessageKind, deadline: Instant) -> Option<Value> {
        self.next_where(|m| kind.accepts(m), deadline).await
    }

    /// Waits for the response whose id equals `id` (other messages are queued).
    pub async fn response_to(&mut self, id: &Value, deadline: Instant) -> Option<Value> {
        self.next_where(
            |m| MessageKind::of(m) == MessageKind::Response && m.get("id") == Some(id),
            deadline,
        )
        .await
    }

    /// Waits for the response to `id` or, without one, the next message of `kind`.
    /// Over HTTP a request may be refused outright (a 4xx without a JSON-RPC body): a
    /// wait for a response then ends at once with the reason, not at the deadline.
    pub async fn reply(
        &mut self,
        id: Option<&Value>,
        kind: MessageKind,
        deadline: Instant,
    ) -> Result<Value, Unanswered> {
        let watch_refusal =
            id.is_some() || matches!(kind, MessageKind::Response | MessageKind::Batch);
        let asked = deadline;
        loop {
            // A freshly started server that has sent nothing yet may still be starting.
            let deadline = self.allow_startup(asked);
            // Waits go in slices when a refusal could end them early.
            let slice = if watch_refusal {
                (Instant::now() + REFUSAL_POLL).min(deadline)
            } else {
                deadline
            };
            if let Some(m) = self.next_of_or_id(id, kind, slice).await {
                return Ok(m);
            }
            if let Some(reason) = &self.closed {
                return Err(Unanswered::Closed(reason.clone()));
            }
            if Instant::now() >= deadline {
                return Err(Unanswered::Timeout);
            }
            if let Some(why) = self.transport.refused(id) {
                // Whatever the refusal's body held is queued by now; one short last look.
                let grace = (Instant::now() + REFUSAL_GRACE).min(deadline);
                return match self.next_of_or_id(id, kind, grace).await {
                    Some(m) => Ok(m),
                    None => Err(Unanswered::Refused(why)),
                };
            }
        }
    }

    async fn next_of_or_id(
        &mut self,
        id: Option<&Value>,
        kind: MessageKind,
        deadline: Instant,
    ) -> Option<Value> {
        match id {
            Some(id) => self.response_to(id, deadline).await,
            None => self.next_of(kind, deadline).await,
        }
    }

    /// The first queued or arriving message that satisfies `wanted`; the others stay queued.
    async fn next_where(
        &mut self,
        wanted: impl Fn(&Value) -> bool,
        deadline: Instant,
    ) -> Option<Value> {
        if let Some(msg) = self.dequeue(&wanted) {
            return Some(msg);
        }
        loop {
            let now = Instant::now();
            if now >= deadline || self.closed.is_some() {
                return None;
            }
            if let Some((msg, size)) = self.pump(deadline - now).await {
                if wanted(&msg) {
                    return Some(msg);
                }
                self.enqueue(msg, size);
            }
        }
    }

    /// Sends a request and waits for its response.
    pub async fn request(
        &mut self,
        id: Value,
        method: &str,
        params: Value,
        wait: Duration,
    ) -> Result<Value, String> {
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&msg).await.map_err(|e| e.to_string())?;
        let asked = Instant::now();
        self.reply(Some(&id), MessageKind::Response, asked + wait)
            .await
            .map_err(|u| {
                // The wait asked for, or the longer one a starting server was allowed.
                let waited = asked.elapsed();
                let waited = if waited > wait + Duration::from_millis(500) {
                    waited
                } else {
                    wait
                };
                format!("`{method}`: {}", u.describe(waited))
            })
    }

    /// Drains what arrives until `deadline`, returning the messages of `kind`
    /// (queued ones included). Other messages stay queued. Ends early once `enough`
    /// holds for what was gathered, and, with `until_answered`, when gathering
    /// responses and every request the harness sent has its answer (nothing more is
    /// expected then).
    pub async fn collect_until(
        &mut self,
        kind: MessageKind,
        deadline: Instant,
        until_answered: bool,
        enough: &(dyn Fn(&[Value]) -> bool + Send + Sync),
    ) -> Vec<Value> {
        let mut found = Vec::new();
        while let Some(m) = self.dequeue(|m| kind.accepts(m)) {
            found.push(m);
        }
        let mut deadline = deadline;
        loop {
            let now = Instant::now();
            let complete = enough(&found)
                || (until_answered && kind == MessageKind::Response && self.pending.is_empty());
            if now >= deadline || self.closed.is_some() || complete {
                return found;
            }
            deadline = self.unless_quiescent(deadline);
            if let Some((msg, size)) = self.pump(deadline.saturating_duration_since(now)).await {
                if kind.accepts(&msg) {
                    found.push(msg);
                } else {
                    self.enqueue(msg, size);
                }
            }
        }
    }

    /// Gathers the messages of `kind` that arrive until `deadline`, as
    /// [`Session::collect_until`] without its early ends, for a window in which nothing
    /// of `kind` should arrive. With `barrier`, on a transport whose messages arrive in
    /// the order the server wrote them (stdio), a request is sent first whose answer
    /// shows that the server has read every message before it: once that answer
    /// arrives, the window ends after twice its round trip plus [`BARRIER_GRACE`], so
    /// an answer the earlier messages caused (even one written by an asynchronous
    /// handler a little later) still falls inside. A server that does not answer the
    /// barrier gets the whole window. The barrier's answer is neither judged nor
    /// returned; the transcript shows it.
    pub async fn silence(
        &mut self,
        kind: MessageKind,
        deadline: Instant,
        barrier: bool,
    ) -> Vec<Value> {
        let mut deadline = deadline;
        let sent_at = Instant::now();
        let id = if barrier && self.transport.is_stdio() && self.closed.is_none() {
            self.send_barrier().await
        } else {
            None
        };
        let mut found = Vec::new();
        while let Some(m) = self.dequeue(|m| kind.accepts(m)) {
            found.push(m);
        }
        let mut waiting = id;
        while Instant::now() < deadline && self.closed.is_none() {
            deadline = self.unless_quiescent(deadline);
            let got = self
                .pump(deadline.saturating_duration_since(Instant::now()))
                .await;
            if waiting
                .as_ref()
                .is_some_and(|id| !self.barriers.contains(id))
            {
                waiting = None;
                let rtt = sent_at.elapsed();
                deadline = deadline.min(Instant::now() + rtt * 2 + BARRIER_GRACE);
            }
            let Some((msg, size)) = got else {
                continue;
            };
            if kind.accepts(&msg) {
                found.push(msg);
            } else {
                self.enqueue(msg, size);
            }
        }
        found
    }

    /// True for the answer to a barrier request, or a late one to a request of an
    /// earlier case on this server: recorded, nothing else (it judges nothing about
    /// the case running now, and no step of it waits for it).
    fn barrier_answered(&mut self, msg: &Value, size: usize) -> bool {
        if (self.barriers.is_empty() && self.retired.is_empty())
            || MessageKind::of(msg) != MessageKind::Response
        {
            return false;
        }
        let Some(id) = msg.get("id").map(Value::to_string) else {
            return false;
        };
        let late = self.retired.remove(&id);
        if !self.barriers.remove(&id) && !late {
            return false;
        }
        self.pending.remove(&id);
        self.record_sized(Direction::Received, msg.clone(), size);
        if late {
            self.note(
                "a late answer to a request of an earlier case on this server: not judged here",
            );
        }
        true
    }

    /// For a freshly started stdio server at a revision without a handshake: sends a
    /// barrier request and waits for its answer (the start-up allowance included), so
    /// that a case's own waits begin once the server runs. Without this, a server that
    /// rightly ignores a case's first, malformed message would hold that wait for the
    /// whole allowance. Any answer will do and none is judged; without one the case
    /// goes on and its expectations tell.
    pub async fn await_ready(&mut self, wait: Duration) {
        if self.heard || !self.transport.is_stdio() {
            return;
        }
        let Some(id) = self.send_barrier().await else {
            return;
        };
        let deadline = self.allow_startup(Instant::now() + wait);
        while self.barriers.contains(&id) && self.closed.is_none() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if let Some((msg, size)) = self.pump(deadline - now).await {
                self.enqueue(msg, size);
            }
        }
    }

    /// A number not given out before in this session, for ids the harness makes up
    /// (pages of a list, barriers): cases that share a server never reuse one.
    pub fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// `deadline`, or a moment from now once the transport is quiescent (nothing more
    /// can arrive until the harness sends again): the moment reads what is already on
    /// its way to the session.
    fn unless_quiescent(&self, deadline: Instant) -> Instant {
        if self.transport.quiescent() {
            deadline.min(Instant::now() + QUIESCENT_DRAIN)
        } else {
            deadline
        }
    }

    /// Sends the barrier request: `ping`, or `server/discover` at the stateless
    /// revision (which has no `ping`). Its id (JSON text) when it was sent.
    async fn send_barrier(&mut self) -> Option<String> {
        let id = json!(format!("mcp-conform-barrier-{}", self.next_serial()));
        let method = if self.request_meta.is_some() {
            "server/discover"
        } else {
            "ping"
        };
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method});
        let key = id.to_string();
        self.barriers.insert(key.clone());
        let sent = self.send(&msg).await;
        // No step waits for it: a wait for "every answer" does not either.
        self.pending.remove(&key);
        match sent {
            Ok(()) => Some(key),
            Err(e) => {
                self.note(format!("send failed: {e}"));
                None
            }
        }
    }

    /// Judges what is already buffered (messages are judged and dropped), as `finish`
    /// does first; call it before reading `refusals` at the end of a case.
    pub async fn settle(&mut self) {
        let until = Instant::now() + SETTLE_TIME;
        for _ in 0..SETTLE_EVENTS {
            if Instant::now() >= until {
                break;
            }
            if self.pump(Duration::from_millis(0)).await.is_none() {
                break;
            }
        }
    }

    /// The harness's own safety refusals so far, and the limits it reached that leave
    /// the case unjudgeable (each names the policy).
    pub fn refusals(&self) -> Vec<String> {
        let mut all = self.refusals.clone();
        all.extend(self.limits_reached());
        all
    }

    pub fn take_violations(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.violations)
    }

    /// Whether another case may run on this session's server: it is still connected,
    /// reads what it is sent, and no harness limit was reached.
    pub fn reusable(&self) -> bool {
        self.closed.is_none() && self.deaf.is_none() && self.refusals().is_empty()
    }

    /// Ends one case on a server that stays up for the next: judges what is buffered,
    /// then hands over what the case gathered (transcript, the server's stderr written
    /// meanwhile, violations, refusals) and starts afresh for the next case: an empty
    /// queue, a new evidence budget from `pool`, and the requests still unanswered
    /// retired (their late answers are not the next case's).
    pub async fn hand_over(&mut self, pool: Pool) -> Handover {
        self.settle().await;
        let refusals = self.refusals();
        let reusable = self.reusable();
        self.push_shortfall();
        let stderr_all = self.transport.diagnostics();
        let stderr = stderr_all
            .get(self.stderr_taken..)
            .unwrap_or("")
            .to_string();
        self.stderr_taken = stderr_all.len();
        self.retired.extend(self.pending.drain());
        if self.retired.len() > SENT_CAP {
            self.retired.clear();
        }
        self.inbox.clear();
        self.inbox_bytes = 0;
        self.inbox_dropped = 0;
        self.answered = 0;
        self.unanswered = 0;
        self.evidence = Budget::new(CASE_TRANSCRIPT_BYTES, pool);
        self.started = Instant::now();
        Handover {
            transcript: std::mem::take(&mut self.transcript),
            stderr,
            violations: std::mem::take(&mut self.violations),
            refusals,
            reusable,
        }
    }

    /// Notes in the transcript how much of it the evidence budget left out, if any.
    fn push_shortfall(&mut self) {
        if let Some(text) = self.evidence.shortfall("transcript entries") {
            let at_ms = self.started.elapsed().as_millis() as u64;
            self.transcript.push(TranscriptEntry {
                at_ms,
                direction: Direction::Event,
                body: Value::String(text).into(),
            });
        }
    }

    /// Ends the session: stops the server and returns the transcript and diagnostics.
    pub async fn finish(mut self) -> (Vec<TranscriptEntry>, String, Vec<Violation>) {
        // Read what is already buffered so late output is judged too.
        self.settle().await;
        self.transport.shutdown().await;
        let stderr_all = self.transport.diagnostics();
        let stderr = stderr_all
            .get(self.stderr_taken..)
            .unwrap_or("")
            .to_string();
        self.push_shortfall();
        (self.transcript, stderr, self.violations)
    }
}
