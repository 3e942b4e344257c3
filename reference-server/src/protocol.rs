//! Message handling on top of the session core: parsing, JSON-RPC
//! validation, batches, the lifecycle (initialize / initialized), ping,
//! notifications and method dispatch to the feature modules.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tokio::task::JoinHandle;

use crate::core::{BoxFuture, Control, Phase, Session};
use crate::faults::Fault;
use crate::jsonrpc::{self, is_valid_id, Incoming, RpcError};
use crate::logging::LogLevel;
use crate::variants::Variant;
use crate::version::{negotiate_variant, Revision};
use crate::{completion, prompts, resources, tools};

/// Name reported in `serverInfo`.
pub const SERVER_NAME: &str = "mcp-reference-server";
/// Human-readable title reported in `serverInfo` (from 2025-06-18).
pub const SERVER_TITLE: &str = "MCP Reference Server";
/// The `instructions` string of the initialize result.
pub const INSTRUCTIONS: &str = "Reference server of the mcp-conform suite. Tools: echo, add, \
slow, fail, log, touch, toggle_extra, ask_roots. Resources live under ref://.";

/// Outcome of serving one request.
pub enum Handled {
    Result(Value),
    Error(RpcError),
    /// Served by a cancellable task.
    Async(BoxFuture<Result<Value, RpcError>>),
    /// The handler already sent its response.
    Sent,
}

impl From<Result<Value, RpcError>> for Handled {
    fn from(r: Result<Value, RpcError>) -> Self {
        match r {
            Ok(v) => Handled::Result(v),
            Err(e) => Handled::Error(e),
        }
    }
}

/// A response that is ready now or will be produced by a task.
enum Reply {
    Now(Value),
    Later(JoinHandle<Option<Value>>),
}

/// A message as the transports read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Json(Value),
    /// Valid JSON nested deeper than serde_json parses (128 levels): it still deserves
    /// an answer under its own id.
    TooDeep {
        id: Value,
    },
    /// Not JSON (or not UTF-8): why.
    Invalid(String),
}

/// Reads one message.
pub fn parse_message(bytes: &[u8]) -> Parsed {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return Parsed::Invalid(format!("input is not valid UTF-8: {e}")),
    };
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Parsed::Json(v),
        Err(e) => {
            let too_deep = e.to_string().contains("recursion limit");
            match crate::shallow::top_level_id(text).filter(|id| too_deep && is_valid_id(id)) {
                Some(id) => Parsed::TooDeep { id },
                None => Parsed::Invalid(e.to_string()),
            }
        }
    }
}

impl Session {
    /// Handles one complete incoming text message (a line on stdio).
    pub fn handle_text(self: &Arc<Self>, text: &str) -> Control {
        crate::chatter::on_input(self, text);
        self.handle_parsed(parse_message(text.as_bytes()))
    }

    /// Handles a message as [`parse_message`] read it.
    pub fn handle_parsed(self: &Arc<Self>, parsed: Parsed) -> Control {
        match parsed {
            Parsed::Json(msg) => {
                self.handle_value(msg);
                Control::Continue
            }
            Parsed::TooDeep { id } => {
                let err = RpcError::invalid_params(
                    "Invalid params: the message nests more than 128 levels deep",
                );
                self.send_error(&id, &err);
                Control::Continue
            }
            Parsed::Invalid(why) => self.parse_error(&why),
        }
    }

    /// Answers input that is not valid JSON (or is unreadable / too large).
    pub fn parse_error(&self, detail: &str) -> Control {
        let faults = self.faults();
        if !faults.has(Fault::ParseErrorSilent) {
            let id = if faults.has(Fault::ParseErrorIdZero) {
                json!(0)
            } else {
                Value::Null
            };
            let err = RpcError::new(jsonrpc::PARSE_ERROR, format!("Parse error: {detail}"));
            self.send_error(&id, &err);
        }
        if faults.has(Fault::ExitOnBadJson) {
            Control::Exit(1)
        } else {
            Control::Continue
        }
    }

    /// Handles one parsed JSON message: an object or a batch array.
    pub fn handle_value(self: &Arc<Self>, msg: Value) {
        match msg {
            Value::Array(items) => self.handle_batch(items),
            single => {
                if let Some(Reply::Now(v)) = self.handle_one(single, false) {
                    self.send(v);
                }
            }
        }
    }

    fn batches_allowed(&self) -> bool {
        let faults = self.faults();
        if faults.has(Fault::NoBatch) {
            return false;
        }
        if faults.has(Fault::BatchAlways) {
            return true;
        }
        let st = self.state();
        st.phase != Phase::Uninitialized && st.revision.is_some_and(Revision::allows_batches)
    }

    fn handle_batch(self: &Arc<Self>, items: Vec<Value>) {
        if !self.batches_allowed() {
            let err = RpcError::invalid_request(
                "Invalid Request: JSON-RPC batches are not supported in this protocol revision",
            );
            self.send_error(&Value::Null, &err);
            return;
        }
        if items.is_empty() {
            let err = RpcError::invalid_request("Invalid Request: empty batch");
            self.send_error(&Value::Null, &err);
            return;
        }
        let replies: Vec<Reply> = items
            .into_iter()
            .filter_map(|item| self.handle_one(item, true))
            .collect();
        if replies.is_empty() {
            return;
        }
        if replies.iter().all(|r| matches!(r, Reply::Now(_))) {
            let out: Vec<Value> = replies
                .into_iter()
                .filter_map(|r| match r {
                    Reply::Now(v) => Some(v),
                    Reply::Later(_) => None,
                })
                .collect();
            self.send(Value::Array(out));
            return;
        }
        let session = Arc::clone(self);
        tokio::spawn(async move {
            let mut out = Vec::new();
            for reply in replies {
                match reply {
                    Reply::Now(v) => out.push(v),
                    // A cancelled element (join error) is left out.
                    Reply::Later(h) => {
                        if let Ok(Some(v)) = h.await {
                            out.push(v);
                        }
                    }
                }
            }
            if !out.is_empty() {
                session.send(Value::Array(out));
            }
        });
    }

    /// Handles one message object. Outside a batch, asynchronous requests
    /// deliver their own responses and `None` is returned for them.
    fn handle_one(self: &Arc<Self>, msg: Value, in_batch: bool) -> Option<Reply> {
        match jsonrpc::classify(msg, self.faults()) {
            Incoming::Invalid { id, error } => Some(Reply::Now(self.responder.error(&id, &error))),
            Incoming::Ignored => None,
            Incoming::Response { id, outcome } => {
                self.deliver_response(&id, outcome);
                None
            }
            Incoming::Notification { method, params } => {
                self.handle_notification(&method, params.unwrap_or_default());
                None
            }
            Incoming::Request { id, method, params } => {
                let params = params.unwrap_or_default();
                match self.handle_request(&id, &method, params, in_batch) {
                    Handled::Result(v) => Some(Reply::Now(self.responder.success(&id, v))),
                    Handled::Error(e) => Some(Reply::Now(self.responder.error(&id, &e))),
                    Handled::Sent => None,
                    Handled::Async(fut) => {
                        let handle = self.spawn_request(&id, fut, !in_batch);
                        in_batch.then_some(Reply::Later(handle))
                    }
                }
            }
        }
    }

    fn handle_request(
        self: &Arc<Self>,
        id: &Value,
        method: &str,
        params: Map<String, Value>,
        in_batch: bool,
    ) -> Handled {
        let faults = self.faults();
        let phase = self.state().phase;
        if self.config.modern_only
            || (self.config.variants.speaks_modern() && crate::modern::is_modern(method, &params))
        {
            // Dual-era: a request carrying 2026-07-28 metadata is served statelessly.
            return self.handle_modern(id, method, &params);
        }
        let not_initialized =
            || Handled::Error(RpcError::invalid_request("server not initialized"));
        match method {
            "ping" => {
                if faults.has(Fault::NoPing) {
                    Handled::Error(RpcError::method_not_found(method))
                } else if faults.has(Fault::PingRequiresInit) && phase == Phase::Uninitialized {
                    not_initialized()
                } else {
                    if faults.has(Fault::CancelClientRequests) {
                        self.send(self.responder.success(id, json!({})));
                        self.notify(
                            "notifications/cancelled",
                            Some(json!({"requestId": id, "reason": "no longer needed"})),
                        );
                        return Handled::Sent;
                    }
                    Handled::Result(json!({}))
                }
            }
            "initialize" => {
                if in_batch {
                    Handled::Error(RpcError::invalid_request(
                        "Invalid Request: initialize must not be part of a JSON-RPC batch",
                    ))
                } else if phase != Phase::Uninitialized {
                    Handled::Error(RpcError::invalid_request(
                        "Invalid Request: the session is already initialized",
                    ))
                } else {
                    self.initialize(id, &params)
                }
            }
            _ if phase == Phase::Uninitialized && !faults.has(Fault::ServeBeforeInit) => {
                not_initialized()
            }
            _ => {
                crate::chatter::before_request(self, method, phase);
                self.dispatch_feature(method, &params)
            }
        }
    }

    fn initialize(self: &Arc<Self>, id: &Value, params: &Map<String, Value>) -> Handled {
        let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
            return Handled::Error(RpcError::invalid_params(
                "Invalid params: initialize requires a string \"protocolVersion\"",
            ));
        };
        let client_caps = match params.get("capabilities") {
            None => json!({}),
            Some(c @ Value::Object(_)) => c.clone(),
            Some(_) => {
                return Handled::Error(RpcError::invalid_params(
                    "Invalid params: \"capabilities\" must be an object",
                ))
            }
        };
        let negotiated = match negotiate_variant(requested, self.faults(), &self.config.variants) {
            Ok(n) => n,
            Err(data) => {
                let mut err = RpcError::invalid_params("Unsupported protocol version");
                err.data = Some(data);
                return Handled::Error(err);
            }
        };
        let rev = negotiated.behaves_as;
        {
            let mut st = self.state();
            st.phase = Phase::Initializing;
            st.revision = Some(rev);
            st.client_capabilities = client_caps;
            st.init_id = Some(crate::core::id_key(id));
        }
        let faults = self.faults();
        let mut result = Map::new();
        if !faults.has(Fault::InitNoProtocolVersion) {
            result.insert("protocolVersion".into(), json!(negotiated.answered));
        }
        let caps = if faults.has(Fault::InitCapabilitiesArray) {
            json!([])
        } else {
            let mut c = server_capabilities(rev, &self.config.variants);
            if faults.has(Fault::EmbeddedResourceUndeclared) {
                if let Some(m) = c.as_object_mut() {
                    m.remove("resources");
                }
            }
            if faults.has(Fault::ListChangedUndeclared) {
                for area in ["tools", "resources", "prompts"] {
                    if let Some(m) = c.get_mut(area).and_then(Value::as_object_mut) {
                        m.remove("listChanged");
                    }
                }
            }
            c
        };
        result.insert("capabilities".into(), caps);
        if !faults.has(Fault::InitNoServerInfo) {
            let mut info = Map::new();
            info.insert("name".into(), json!(SERVER_NAME));
            if rev.has_2025_06_features() {
                info.insert("title".into(), json!(SERVER_TITLE));
            }
            info.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
            result.insert("serverInfo".into(), Value::Object(info));
        }
        result.insert("instructions".into(), json!(INSTRUCTIONS));
        self.send(self.responder.success(id, Value::Object(result)));
        if faults.has(Fault::EarlyRootsRequest) {
            self.send_request_detached("roots/list", None);
        }
        crate::chatter::after_initialize_answered(self);
        eprintln!(
            "mcp-reference-server: initialized (requested {requested}, answered {}, behaving as {})",
            negotiated.answered,
            rev.as_str()
        );
        Handled::Sent
    }

    fn handle_notification(self: &Arc<Self>, method: &str, params: Map<String, Value>) {
        let faults = self.faults();
        match method {
            "notifications/initialized" => {
                if faults.has(Fault::AnswerInitialized) {
                    self.send(self.responder.success(&Value::Null, json!({})));
                }
                let mut st = self.state();
                if st.phase == Phase::Initializing {
                    st.phase = Phase::Operating;
                    drop(st);
                    crate::chatter::after_initialized(self);
                }
            }
            "notifications/cancelled" => {
                let Some(request_id) = params.get("requestId").filter(|v| is_valid_id(v)) else {
                    if faults.has(Fault::ErrorOnUnknownCancel) {
                        let err = RpcError::invalid_params("Malformed notifications/cancelled");
                        self.send_error(&Value::Null, &err);
                    }
                    return; // malformed: ignored
                };
                if faults.has(Fault::IgnoreCancel) {
                    return;
                }
                if faults.has(Fault::CancelInitializeResets) {
                    let mut st = self.state();
                    if st.init_id.as_deref() == Some(crate::core::id_key(request_id).as_str()) {
                        st.phase = Phase::Uninitialized;
                        return;
                    }
                }
                if !self.cancel(request_id) {
                    if faults.has(Fault::ErrorOnUnknownCancel) {
                        let err = RpcError::invalid_params(format!(
                            "Unknown request id in notifications/cancelled: {request_id}"
                        ));
                        self.send_error(&Value::Null, &err);
                    }
                } else {
                    eprintln!("mcp-reference-server: cancelled request {request_id}");
                }
            }
            "notifications/progress"
            | "notifications/roots/list_changed"
            | "notifications/message"
            | "notifications/tasks/status"
            | "notifications/elicitation/complete" => {
                if faults.has(Fault::AnswerKnownNotifications) {
                    self.send(self.responder.success(&Value::Null, json!({})));
                }
            }
            _ => {
                if faults.has(Fault::AnswerUnknownNotifications) {
                    self.send_error(&Value::Null, &RpcError::method_not_found(method));
                }
            }
        }
    }

    pub(crate) fn dispatch_feature(
        self: &Arc<Self>,
        method: &str,
        params: &Map<String, Value>,
    ) -> Handled {
        let area = match method.split('/').next().unwrap_or("") {
            "completion" => "completions",
            "resources" if method == "resources/templates/list" => "templates",
            other => other,
        };
        let undeclared = !self.config.variants.declares_in_session(area)
            || (area == "templates"
                && (!self.config.variants.declares("resources")
                    || self.config.variants.has(Variant::NoTemplates)));
        if undeclared {
            // A capability the server does not declare: it offers no such methods.
            return Handled::Error(RpcError::method_not_found(method));
        }
        match method {
            "tools/list" => tools::list(self, params).into(),
            "tools/call" => tools::call(self, params),
            "resources/list" => resources::list(self, params).into(),
            "resources/templates/list" => resources::list_templates(self, params).into(),
            "resources/read" => resources::read(self, params).into(),
            "resources/subscribe" => resources::subscribe(self, params, true).into(),
            "resources/unsubscribe" => resources::subscribe(self, params, false).into(),
            "prompts/list" => prompts::list(self, params).into(),
            "prompts/get" => prompts::get(self, params).into(),
            "completion/complete" if self.revision().has_2025_03_features() => {
                completion::complete(self, params).into()
            }
            "logging/setLevel" => self.set_log_level(params).into(),
            _ => {
                let mut err = RpcError::method_not_found(method);
                if self.faults().has(Fault::UnknownMethodWrongCode) {
                    err.code = jsonrpc::INVALID_REQUEST;
                }
                Handled::Error(err)
            }
        }
    }

    fn set_log_level(&self, params: &Map<String, Value>) -> Result<Value, RpcError> {
        if self.faults().has(Fault::SetLevelUnsupported) {
            return Err(RpcError::method_not_found("logging/setLevel"));
        }
        if self.faults().has(Fault::SetLevelAcceptsAny) {
            if let Some(level) = params
                .get("level")
                .and_then(Value::as_str)
                .and_then(LogLevel::parse)
            {
                self.state().log_level = level;
            }
            return Ok(json!({}));
        }
        let level = params
            .get("level")
            .and_then(Value::as_str)
            .and_then(LogLevel::parse)
            .ok_or_else(|| {
                RpcError::invalid_params(
                    "Invalid params: \"level\" must be one of debug, info, notice, warning, \
                     error, critical, alert, emergency",
                )
            })?;
        self.state().log_level = level;
        Ok(json!({}))
    }
}

/// The server capabilities announced for a revision.
pub fn server_capabilities(rev: Revision, variants: &crate::variants::Variants) -> Value {
    let mut caps = json!({
        "tools": {"listChanged": true},
        "resources": {"subscribe": true, "listChanged": true},
        "prompts": {"listChanged": true},
        "logging": {},
    });
    if rev.has_2025_03_features() {
        caps["completions"] = json!({});
    }
    if let Some(m) = caps.as_object_mut() {
        m.retain(|area, _| variants.declares_in_session(area));
    }
    caps
}
