//! JSON-RPC over a transport: ids, correlation, a transcript of everything exchanged,
//! and answers to the server's own requests.
//!
//! The session never judges a case's expectations; it records what happened and
//! applies the wire checks (`check::wire`) to every message, keeping the violations
//! for the case to report.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::MessageKind;
use crate::check::schema;
use crate::check::wire::{self, WireViolation};
use crate::outcome::{Direction, Severity, TranscriptEntry};
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
const TRANSCRIPT_CAP: usize = 2000;
/// Cap on recorded wire violations per session, for the same reason.
const VIOLATION_CAP: usize = 100;
/// Cap on remembered request ids (for judging results by the method they answer).
const SENT_CAP: usize = 10_000;

/// Something the server emitted that is not a JSON-RPC message, or a message that
/// breaks the envelope rules.
#[derive(Debug, Clone)]
pub struct Violation {
    pub requirements: Vec<String>,
    pub message: String,
    pub evidence: Value,
    /// `Should` when the rule is a SHOULD in the negotiated revision (LIFE-07 before
    /// 2025-06-18); most global rules are MUSTs.
    pub severity: Severity,
}

pub use crate::revision::{META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION};
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";

/// The per-request metadata a 2026-07-28 client puts into every request's `_meta`
/// (there is no `initialize`: the same session model, another way to say who we are).
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub protocol_version: String,
    pub client_capabilities: Value,
    /// `io.modelcontextprotocol/logLevel`, only when a case asks for log messages.
    pub log_level: Option<String>,
}

impl RequestMeta {
    /// Adds the fields a request lacks to its `params._meta`. Fields the message
    /// already has are kept, so a case can send them wrong on purpose; a field whose
    /// value is `{"$omit": true}` is removed, so a case can leave it out on purpose.
    /// Notifications, responses and non-objects pass unchanged.
    pub fn decorate(&self, msg: &Value) -> Value {
        let mut out = msg.clone();
        let is_request = out.get("method").is_some() && out.get("id").is_some();
        let Some(obj) = out.as_object_mut().filter(|_| is_request) else {
            return out;
        };
        let params = obj.entry("params").or_insert_with(|| json!({}));
        let Some(params) = params.as_object_mut() else {
            return out; // non-object params are the case's business
        };
        let meta = params.entry("_meta").or_insert_with(|| json!({}));
        let Some(meta) = meta.as_object_mut() else {
            return out;
        };
        let mut defaults = vec![
            (META_PROTOCOL_VERSION, json!(self.protocol_version)),
            (META_CLIENT_CAPABILITIES, self.client_capabilities.clone()),
            (
                META_CLIENT_INFO,
                json!({"name": "mcp-conform", "version": env!("CARGO_PKG_VERSION")}),
            ),
        ];
        if let Some(level) = &self.log_level {
            defaults.push((META_LOG_LEVEL, json!(level)));
        }
        for (k, v) in defaults {
            meta.entry(k).or_insert(v);
        }
        meta.retain(|_, v| v != &json!({"$omit": true}));
        out
    }
}

/// Properties carrying `x-mcp-header`, reachable from the schema root through
/// `properties` keys only (the only placement the 2026-07-28 rules allow); depth-capped.
fn annotated_properties(
    schema: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(String, Vec<String>)>,
) {
    if path.len() > 8 || out.len() > 64 {
        return;
    }
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (key, sub) in props {
        path.push(key.clone());
        if let Some(h) = sub.get("x-mcp-header").and_then(Value::as_str) {
            out.push((h.to_string(), path.clone()));
        }
        annotated_properties(sub, path, out);
        path.pop();
    }
}

pub struct Session {
    transport: Transport,
    started: Instant,
    transcript: Vec<TranscriptEntry>,
    /// Received, not yet consumed by an expectation.
    inbox: VecDeque<Value>,
    violations: Vec<Violation>,
    /// The harness's own safety refusals (policy text), which leave a case unjudgeable.
    refusals: Vec<String>,
    client_capabilities: Value,
    closed: Option<String>,
    /// The revision whose schema every received message is validated against.
    revision: Option<String>,
    /// Method of each request the harness sent, by id (JSON text, so `1` ≠ `"1"`).
    sent_methods: HashMap<String, String>,
    /// The server's declared capabilities, once an `initialize` result was seen.
    server_capabilities: Option<Value>,
    /// Ids of the requests the server sent (JSON text), for judging its cancellations.
    server_request_ids: Vec<String>,
    /// Set for the stateless revision: `_meta` added to every request sent.
    request_meta: Option<RequestMeta>,
}

impl Session {
    pub fn new(transport: Transport, client_capabilities: Value) -> Session {
        Session {
            transport,
            started: Instant::now(),
            transcript: Vec::new(),
            inbox: VecDeque::new(),
            violations: Vec::new(),
            refusals: Vec::new(),
            client_capabilities,
            closed: None,
            revision: None,
            sent_methods: HashMap::new(),
            server_capabilities: None,
            server_request_ids: Vec::new(),
            request_meta: None,
        }
    }

    /// Switches the session to per-request metadata (2026-07-28): no handshake, every
    /// request carries `meta`, and over HTTP the request metadata headers follow.
    pub fn set_request_meta(&mut self, meta: RequestMeta) {
        self.revision = Some(meta.protocol_version.clone());
        if let Transport::StreamableHttp(t) = &mut self.transport {
            crate::transport::exchange::lock(t.shared()).protocol_version =
                Some(meta.protocol_version.clone());
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
            }
        }
    }

    fn violate(&mut self, requirements: &[&str], message: String, evidence: &Value) {
        self.violate_at(Severity::Must, requirements, message, evidence);
    }

    fn violate_at(
        &mut self,
        severity: Severity,
        requirements: &[&str],
        message: String,
        evidence: &Value,
    ) {
        self.violations.push(Violation {
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            message,
            evidence: evidence.clone(),
            severity,
        });
    }

    /// Schema validation and capability-use rules for one received message object.
    fn judge_content(&mut self, msg: &Value) {
        let answered = msg
            .get("id")
            .filter(|_| msg.get("method").is_none())
            .and_then(|id| self.sent_methods.get(&id.to_string()))
            .cloned();
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
            self.learn_param_headers(msg);
        }
        if let Some(rev) = self.revision.clone() {
            for v in schema::judge(&rev, msg, answered.as_deref()) {
                self.violate(&v.requirements, v.message, msg);
            }
        }
        self.judge_capability_use(msg);
        self.judge_request_modes(msg);
        self.judge_cancellation(msg);
    }

    /// SRVREQ-02 (from 2025-11-25), for every request the server sends.
    fn judge_request_modes(&mut self, msg: &Value) {
        if msg.get("id").is_none() || self.revision.as_deref().is_none_or(|r| r < "2025-11-25") {
            return;
        }
        if let Some(p) = undeclared_request_mode(&self.client_capabilities, msg) {
            self.violate(&["SRVREQ-02"], p, msg);
        }
    }

    /// 2026-07-28 over HTTP: remembers which `Mcp-Param-*` headers each listed tool asks
    /// for, so that calls to it mirror those arguments (the transport adds them).
    fn learn_param_headers(&mut self, msg: &Value) {
        let Transport::StreamableHttp(t) = &self.transport else {
            return;
        };
        let Some(tools) = msg.pointer("/result/tools").and_then(Value::as_array) else {
            return;
        };
        let mut st = crate::transport::exchange::lock(t.shared());
        for tool in tools.iter().take(1000) {
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                continue;
            };
            let mut found = Vec::new();
            if let Some(schema) = tool.get("inputSchema") {
                annotated_properties(schema, &mut Vec::new(), &mut found);
            }
            if found.is_empty() {
                st.param_headers.remove(name);
            } else {
                st.param_headers.insert(name.to_string(), found);
            }
        }
    }

    /// CANC-05: the server cancels only requests it sent itself.
    fn judge_cancellation(&mut self, msg: &Value) {
        if let (Some(id), Some(_)) = (msg.get("id"), msg.get("method")) {
            if self.server_request_ids.len() < SENT_CAP {
                self.server_request_ids.push(id.to_string());
            }
            return;
        }
        if msg.get("method").and_then(Value::as_str) != Some("notifications/cancelled") {
            return;
        }
        let named = msg.pointer("/params/requestId").map(Value::to_string);
        if let Some(named) = named {
            let client_method = self.sent_methods.get(&named).map(String::as_str);
            if !ends_subscription(self.revision.as_deref(), client_method)
                && !self.server_request_ids.contains(&named)
            {
                self.violate(
                    &["CANC-05"],
                    format!("server cancelled request {named}, which it never sent"),
                    msg,
                );
            }
        }
    }

    /// LIFE-07: no notification for a capability (or sub-flag) the server did not declare.
    fn judge_capability_use(&mut self, msg: &Value) {
        let Some(caps) = self.server_capabilities.clone() else {
            return;
        };
        if let Some((severity, reqs, message)) =
            undeclared_capability_use(&caps, self.revision.as_deref(), msg)
        {
            self.violate_at(severity, reqs, message, msg);
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
        if self.transcript.len() >= TRANSCRIPT_CAP {
            return;
        }
        let at_ms = self.started.elapsed().as_millis() as u64;
        self.transcript.push(TranscriptEntry {
            at_ms,
            direction,
            body,
        });
        if self.transcript.len() == TRANSCRIPT_CAP {
            self.transcript.push(TranscriptEntry {
                at_ms,
                direction: Direction::Event,
                body: Value::String("transcript truncated".into()),
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
        if let Some(msg) = self.pump(wait).await {
            self.inbox.push_back(msg);
        }
    }

    /// Puts messages back at the front of the queue, in order.
    pub fn requeue(&mut self, msgs: Vec<Value>) {
        for m in msgs.into_iter().rev() {
            self.inbox.push_front(m);
        }
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
    async fn pump(&mut self, wait: Duration) -> Option<Value> {
        if self.closed.is_some() {
            return None;
        }
        match self.transport.recv(wait).await? {
            Incoming::Message(msg) => {
                self.record(Direction::Received, msg.clone());
                for WireViolation {
                    requirements,
                    message,
                } in wire::judge(&msg)
                    .into_iter()
                    .chain(wire::judge_meta_keys(&msg, self.revision.as_deref()))
                {
                    self.violate(&requirements, message, &msg);
                }
                match &msg {
                    Value::Array(items) => {
                        for item in items {
                            self.judge_content(item);
                        }
                    }
                    single => self.judge_content(single),
                }
                if MessageKind::of(&msg) == MessageKind::Request {
                    if self.request_meta.is_some() {
                        // MOD-12: a 2026-07-28 server asks through InputRequiredResult;
                        // a client of that revision sends no responses, so none is sent.
                        self.violate(
                            &["MOD-12"],
                            "the server sent a JSON-RPC request to the client, which 2026-07-28 forbids (input is asked for with InputRequiredResult)".into(),
                            &msg,
                        );
                    } else {
                        self.answer_server_request(&msg).await;
                    }
                }
                Some(msg)
            }
            Incoming::Invalid { raw, reason } => {
                self.record(Direction::Received, Value::String(raw.clone()));
                // STDIO-05 (UTF-8) is stated from 2025-03-26; before, a line that is not
                // UTF-8 is still no JSON text (RFC 8259 §8.1), hence no valid message.
                let utf8_rule = self.revision.as_deref().is_none_or(|r| r >= "2025-03-26");
                let requirements = if reason.contains("UTF-8") && utf8_rule {
                    vec!["STDIO-05".to_string()]
                } else if self.transport.kind() == "stdio" {
                    vec!["STDIO-01".to_string(), "STDIO-02".to_string()]
                } else {
                    vec!["RPC-01".to_string()]
                };
                if self.violations.len() >= VIOLATION_CAP {
                    return None;
                }
                self.violations.push(Violation {
                    requirements,
                    message: format!("server output that is not a JSON-RPC message: {reason}"),
                    evidence: Value::String(raw),
                    severity: Severity::Must,
                });
                None
            }
            Incoming::Closed { reason } => {
                self.note(format!("connection closed: {reason}"));
                self.closed = Some(reason);
                None
            }
            Incoming::Violation {
                requirements,
                message,
                evidence,
            } => {
                // Kept as received: it is what the server sent (and shows it answered).
                self.record(Direction::Received, Value::String(evidence.clone()));
                self.note(message.clone());
                self.violations.push(Violation {
                    requirements,
                    message,
                    evidence: Value::String(evidence),
                    severity: Severity::Must,
                });
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
                if !evidence.is_empty() {
                    self.record(Direction::Received, Value::String(evidence));
                }
                self.note(policy.clone());
                if !self.refusals.contains(&policy) {
                    self.refusals.push(policy);
                }
                None
            }
        }
    }

    /// Answers a server-to-client request as a well-behaved client with the declared
    /// capabilities would.
    async fn answer_server_request(&mut self, req: &Value) {
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
        }
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
        loop {
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
        if let Some(pos) = self.inbox.iter().position(&wanted) {
            return self.inbox.remove(pos);
        }
        loop {
            let now = Instant::now();
            if now >= deadline || self.closed.is_some() {
                return None;
            }
            if let Some(msg) = self.pump(deadline - now).await {
                if wanted(&msg) {
                    return Some(msg);
                }
                self.inbox.push_back(msg);
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
        let deadline = Instant::now() + wait;
        self.reply(Some(&id), MessageKind::Response, deadline)
            .await
            .map_err(|u| format!("`{method}`: {}", u.describe(wait)))
    }

    /// Drains what arrives until `deadline`, returning the messages of `kind`
    /// (queued ones included). Other messages stay queued.
    pub async fn collect_until(&mut self, kind: MessageKind, deadline: Instant) -> Vec<Value> {
        let mut found = Vec::new();
        let mut rest = VecDeque::new();
        while let Some(m) = self.inbox.pop_front() {
            if kind.accepts(&m) {
                found.push(m);
            } else {
                rest.push_back(m);
            }
        }
        self.inbox = rest;
        loop {
            let now = Instant::now();
            if now >= deadline || self.closed.is_some() {
                return found;
            }
            if let Some(msg) = self.pump(deadline - now).await {
                if kind.accepts(&msg) {
                    found.push(msg);
                } else {
                    self.inbox.push_back(msg);
                }
            }
        }
    }

    /// Judges what is already buffered (messages are judged and dropped), as `finish`
    /// does first; call it before reading `refusals` at the end of a case.
    pub async fn settle(&mut self) {
        while self.pump(Duration::from_millis(0)).await.is_some() {}
    }

    /// The harness's own safety refusals so far (each names the policy).
    pub fn refusals(&self) -> &[String] {
        &self.refusals
    }

    pub fn take_violations(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.violations)
    }

    /// Ends the session: stops the server and returns the transcript and diagnostics.
    pub async fn finish(mut self) -> (Vec<TranscriptEntry>, String, Vec<Violation>) {
        // Read what is already buffered so late output is judged too.
        while self.pump(Duration::from_millis(0)).await.is_some() {}
        self.transport.shutdown().await;
        let stderr = self.transport.diagnostics();
        (self.transcript, stderr, self.violations)
    }
}

/// MOD-13: at 2026-07-28 the server ends a subscription by cancelling the client's own
/// `subscriptions/listen` request (`client_method`: the method of the client request
/// the cancellation names, if the client sent one with that id).
fn ends_subscription(revision: Option<&str>, client_method: Option<&str>) -> bool {
    revision == Some("2026-07-28") && client_method == Some("subscriptions/listen")
}

/// LIFE-07: a notification for a capability (or sub-flag) the server did not declare,
/// as (severity, requirement ids, message); `None` for any other message. The rule is
/// a MUST from 2025-06-18 and a SHOULD before ("Both parties SHOULD: … Only use
/// capabilities that were successfully negotiated"), except a log message without
/// `logging`, which LOG-01 forbids in every revision.
fn undeclared_capability_use(
    caps: &Value,
    revision: Option<&str>,
    msg: &Value,
) -> Option<(Severity, &'static [&'static str], String)> {
    if msg.get("id").is_some() {
        return None;
    }
    let method = msg.get("method").and_then(Value::as_str)?;
    let (flag, reqs): (&str, &'static [&'static str]) = match method {
        "notifications/tools/list_changed" => ("/tools/listChanged", &["LIFE-07", "TOOL-01"]),
        "notifications/resources/list_changed" => {
            ("/resources/listChanged", &["LIFE-07", "RES-01"])
        }
        "notifications/prompts/list_changed" => ("/prompts/listChanged", &["LIFE-07", "PROMPT-01"]),
        "notifications/resources/updated" => ("/resources/subscribe", &["LIFE-07", "RES-07"]),
        "notifications/message" => ("/logging", &["LIFE-07", "LOG-01"]),
        _ => return None,
    };
    let declared = caps
        .pointer(flag)
        .is_some_and(|v| !v.is_null() && v != &Value::Bool(false));
    if declared {
        return None;
    }
    let cap = flag.trim_start_matches('/').replace('/', ".");
    let (severity, reqs) = match revision {
        Some(r) if r < "2025-06-18" && method != "notifications/message" => {
            (Severity::Should, &["LIFE-07"][..])
        }
        _ => (Severity::Must, reqs),
    };
    Some((
        severity,
        reqs,
        format!("server sent `{method}` but did not declare capability `{cap}`"),
    ))
}

/// SRVREQ-02: an elicitation in a mode the client did not declare, or a sampling
/// request with tools for a client without `sampling.tools`; `None` when neither.
fn undeclared_request_mode(client: &Value, msg: &Value) -> Option<String> {
    match msg.get("method").and_then(Value::as_str) {
        Some("elicitation/create") => {
            let mode = msg
                .pointer("/params/mode")
                .and_then(Value::as_str)
                .unwrap_or("form");
            // An empty `elicitation` object declares form mode (backwards compatible);
            // no `elicitation` at all is SRVREQ-01's business.
            let declared = match client.get("elicitation") {
                Some(Value::Object(m)) if m.is_empty() => mode == "form",
                Some(Value::Object(m)) => m.contains_key(mode),
                _ => true,
            };
            (!declared).then(|| {
                format!("server sent a `{mode}`-mode elicitation/create, a mode the client did not declare")
            })
        }
        Some("sampling/createMessage") => {
            let with_tools = msg.pointer("/params/tools").is_some_and(|t| !t.is_null());
            let declared =
                client.pointer("/sampling/tools").is_some() || client.get("sampling").is_none();
            (with_tools && !declared).then(|| {
                "server sent sampling/createMessage with tools, but the client did not declare sampling.tools".to_string()
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_use_is_a_should_before_2025_06_18_except_log_messages() {
        let caps = json!({"tools": {}, "resources": {"subscribe": false}});
        let note = |method: &str| json!({"jsonrpc": "2.0", "method": method});
        let judged = |rev: &str, method: &str| {
            undeclared_capability_use(&caps, Some(rev), &note(method)).map(|(s, r, _)| (s, r))
        };
        for rev in ["2024-11-05", "2025-03-26"] {
            for method in [
                "notifications/tools/list_changed",
                "notifications/resources/list_changed",
                "notifications/prompts/list_changed",
                "notifications/resources/updated",
            ] {
                assert_eq!(
                    judged(rev, method),
                    Some((Severity::Should, &["LIFE-07"][..])),
                    "{rev} {method}"
                );
            }
            let log = judged(rev, "notifications/message").expect("undeclared logging");
            assert_eq!(log.0, Severity::Must);
            assert!(log.1.contains(&"LOG-01"));
        }
        for rev in ["2025-06-18", "2025-11-25"] {
            let (severity, reqs) =
                judged(rev, "notifications/tools/list_changed").expect("undeclared");
            assert_eq!(severity, Severity::Must);
            assert!(reqs.contains(&"TOOL-01"));
        }
        let declared = json!({"tools": {"listChanged": true}, "logging": {}});
        let list = note("notifications/tools/list_changed");
        assert!(undeclared_capability_use(&declared, Some("2025-11-25"), &list).is_none());
        let log = note("notifications/message");
        assert!(undeclared_capability_use(&declared, Some("2024-11-05"), &log).is_none());
    }

    #[test]
    fn a_subscription_ends_with_the_cancellation_of_its_listen_request_at_2026() {
        assert!(ends_subscription(
            Some("2026-07-28"),
            Some("subscriptions/listen")
        ));
        assert!(!ends_subscription(Some("2026-07-28"), Some("tools/call")));
        assert!(!ends_subscription(Some("2026-07-28"), None));
        assert!(!ends_subscription(
            Some("2025-11-25"),
            Some("subscriptions/listen")
        ));
    }

    #[test]
    fn request_modes_follow_the_declared_capabilities() {
        let req = |method: &str, params: Value| json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let form = req(
            "elicitation/create",
            json!({"message": "m", "requestedSchema": {}}),
        );
        let url = req(
            "elicitation/create",
            json!({"mode": "url", "message": "m", "url": "https://x.invalid", "elicitationId": "e"}),
        );
        let tools = req(
            "sampling/createMessage",
            json!({"messages": [], "maxTokens": 1, "tools": []}),
        );
        let plain = req(
            "sampling/createMessage",
            json!({"messages": [], "maxTokens": 1}),
        );
        let empty = json!({"elicitation": {}, "sampling": {}});
        assert!(
            undeclared_request_mode(&empty, &form).is_none(),
            "{{}} declares form"
        );
        assert!(undeclared_request_mode(&empty, &url).is_some());
        let url_only = json!({"elicitation": {"url": {}}});
        assert!(undeclared_request_mode(&url_only, &form).is_some());
        let both = json!({"elicitation": {"url": {}, "form": {}}});
        assert!(undeclared_request_mode(&both, &url).is_none());
        assert!(undeclared_request_mode(&empty, &tools).is_some());
        assert!(undeclared_request_mode(&empty, &plain).is_none());
        let sampling_tools = json!({"sampling": {"tools": {}}});
        assert!(undeclared_request_mode(&sampling_tools, &tools).is_none());
    }
}
