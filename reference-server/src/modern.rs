//! Revision 2026-07-28, served side by side with the session-based revisions (a
//! "dual-era" server): a request whose `_meta` carries
//! `io.modelcontextprotocol/protocolVersion` (or any `server/discover`) is served
//! statelessly, from what the request itself says, without `initialize`.
//!
//! Each such request is checked ([`precheck`]: required `_meta` fields, version,
//! method, client capabilities), dispatched to the same feature modules as the
//! session-based revisions, and its result shaped for 2026-07-28 ([`shape_result`]:
//! `resultType`, `serverInfo` in `_meta`, cache hints). The HTTP transport uses the
//! same [`precheck`] to pick the status code (400 / 404) before serving.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use serde_json::{json, Map, Value};

use crate::core::{Config, Session};
use crate::faults::Fault;
use crate::jsonrpc::{self, RpcError};
use crate::logging::LogLevel;
use crate::protocol::{Handled, INSTRUCTIONS, SERVER_NAME, SERVER_TITLE};
use crate::version::Revision;

/// The stateless revision.
pub const MODERN: &str = "2026-07-28";

pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
pub const META_SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

pub const HEADER_MISMATCH: i64 = -32020;
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// How long clients may cache list results (ms).
const TTL_MS: u64 = 60_000;

/// Methods a 2026-07-28 client may call here.
const METHODS: [&str; 10] = [
    "server/discover",
    "subscriptions/listen",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
];

/// Results that carry `ttlMs` and `cacheScope` (MOD-15).
const CACHEABLE: [&str; 6] = [
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

/// Whether a request is of the stateless era: it carries the per-request version
/// (right or wrong), or it is `server/discover`.
pub fn is_modern(method: &str, params: &Map<String, Value>) -> bool {
    method == "server/discover"
        || params
            .get("_meta")
            .and_then(Value::as_object)
            .is_some_and(|m| m.contains_key(META_PROTOCOL_VERSION))
}

/// What a stateless request says about its client.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub client_capabilities: Value,
    /// Log messages only when the request asked for them, at this level or above.
    pub log_level: Option<LogLevel>,
}

/// Most subscriptions open at once on one front; more are refused.
const MAX_SUBSCRIPTIONS: usize = 1024;

/// One open `subscriptions/listen` request.
struct Listener {
    id: Value,
    /// What the acknowledgement agreed to deliver.
    filter: Value,
    /// The session serving the request: its output is the subscription's stream.
    session: Weak<Session>,
}

/// The open subscriptions of a front: the whole process on stdio, the whole server
/// over HTTP, where every stateless request has its own short-lived session. A change
/// made while serving one request reaches the listeners of every other.
#[derive(Clone, Default)]
pub struct Subscriptions(Arc<Mutex<Vec<Listener>>>);

impl std::fmt::Debug for Subscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Subscriptions({})", self.lock().len())
    }
}

impl Subscriptions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Listener>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn open(&self, session: &Arc<Session>, id: &Value, filter: &Value) -> Result<(), RpcError> {
        let mut all = self.lock();
        all.retain(|l| l.session.strong_count() > 0);
        if all.len() >= MAX_SUBSCRIPTIONS {
            return Err(RpcError::new(
                jsonrpc::INTERNAL_ERROR,
                "Too many open subscriptions",
            ));
        }
        all.push(Listener {
            id: id.clone(),
            filter: filter.clone(),
            session: Arc::downgrade(session),
        });
        Ok(())
    }

    /// Ends the subscription `id` opened through `session` (a cancellation, or its
    /// stream closing). The `modern-cancel-ends-all-subscriptions` fault ends every one.
    pub fn end(&self, session: &Session, id: &Value) {
        let everything = session
            .faults()
            .has(Fault::ModernCancelEndsAllSubscriptions);
        self.lock().retain(|l| {
            let this_one = std::ptr::eq(l.session.as_ptr(), session) && l.id == *id;
            !(everything || this_one)
        });
    }

    /// The fault `modern-closed-subscription-rerouted`: instead of ending when its
    /// stream closes, subscription `id` of `session` moves onto the newest other
    /// subscription's stream. Returns whether it moved.
    pub fn reroute(&self, session: &Session, id: &Value) -> bool {
        let mut all = self.lock();
        let other = all
            .iter()
            .rev()
            .find(|l| !std::ptr::eq(l.session.as_ptr(), session) && l.session.strong_count() > 0)
            .map(|l| l.session.clone());
        let (Some(other), Some(this)) = (
            other,
            all.iter_mut()
                .find(|l| std::ptr::eq(l.session.as_ptr(), session) && l.id == *id),
        ) else {
            return false;
        };
        this.session = other;
        true
    }

    /// The live listeners: (id, filter, session).
    fn current(&self) -> Vec<(Value, Value, Arc<Session>)> {
        self.lock()
            .iter()
            .filter_map(|l| Some((l.id.clone(), l.filter.clone(), l.session.upgrade()?)))
            .collect()
    }
}

/// Every revision this server speaks, newest first (for `supportedVersions` and
/// `UnsupportedProtocolVersionError.data.supported`).
pub fn supported_versions(config: &Config) -> Vec<&'static str> {
    let mut v = vec![MODERN];
    if !config.modern_only {
        v.extend(Revision::ALL.iter().rev().map(|r| r.as_str()));
    }
    v
}

/// The checks that decide whether a stateless request is served at all, in the
/// order of the 2026-07-28 rules: required `_meta` (-32602, MOD-03), version
/// (-32022, MOD-02), method (-32601), client capabilities (-32021, MOD-05).
pub fn precheck(
    method: &str,
    params: &Map<String, Value>,
    config: &Config,
) -> Result<RequestCtx, RpcError> {
    let faults = &config.faults;
    if method == "initialize" && config.modern_only {
        // MOD-19: a legacy client's only diagnostic names the versions spoken here.
        let mut err = RpcError::method_not_found(method);
        if !faults.has(Fault::ModernInitializeBareError) {
            err.message = format!(
                "Method not found: initialize (this server speaks only protocol version {MODERN}, without initialize)"
            );
            err = err.with_data(json!({"supported": supported_versions(config)}));
        }
        return Err(err);
    }
    let meta = params.get("_meta").and_then(Value::as_object);
    let Some(version) = meta.and_then(|m| m.get(META_PROTOCOL_VERSION)) else {
        return Err(RpcError::invalid_params(format!(
            "Invalid params: _meta[\"{META_PROTOCOL_VERSION}\"] is required"
        )));
    };
    let Some(version) = version.as_str() else {
        return Err(RpcError::invalid_params(format!(
            "Invalid params: _meta[\"{META_PROTOCOL_VERSION}\"] must be a string"
        )));
    };
    if version != MODERN {
        let code = if faults.has(Fault::ModernVersionWrongCode) {
            jsonrpc::INVALID_PARAMS
        } else {
            UNSUPPORTED_PROTOCOL_VERSION
        };
        return Err(
            RpcError::new(code, "Unsupported protocol version").with_data(json!({
                "supported": supported_versions(config),
                "requested": version,
            })),
        );
    }
    let caps = match meta.and_then(|m| m.get(META_CLIENT_CAPABILITIES)) {
        Some(c @ Value::Object(_)) => c.clone(),
        None if faults.has(Fault::ModernMetaOptional) => json!({}),
        Some(_) => {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: _meta[\"{META_CLIENT_CAPABILITIES}\"] must be an object"
            )))
        }
        None => {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: _meta[\"{META_CLIENT_CAPABILITIES}\"] is required"
            )))
        }
    };
    let log_level = match meta.and_then(|m| m.get(META_LOG_LEVEL)) {
        None => None,
        Some(l) => Some(l.as_str().and_then(LogLevel::parse).ok_or_else(|| {
            RpcError::invalid_params(format!(
                "Invalid params: _meta[\"{META_LOG_LEVEL}\"] is not a log level"
            ))
        })?),
    };
    if !METHODS.contains(&method) {
        let mut err = RpcError::method_not_found(method);
        if faults.has(Fault::UnknownMethodWrongCode) {
            err.code = crate::jsonrpc::INVALID_REQUEST;
        }
        return Err(err);
    }
    // ask_roots needs the client's roots (asked for with InputRequiredResult).
    let asks_roots =
        method == "tools/call" && params.get("name").and_then(Value::as_str) == Some("ask_roots");
    if asks_roots
        && caps.get("roots").is_none()
        && !faults.has(Fault::ModernMissingCapabilityServed)
    {
        return Err(RpcError::new(
            MISSING_CLIENT_CAPABILITY,
            "Missing required client capability: roots",
        )
        .with_data(json!({"requiredCapabilities": {"roots": {}}})));
    }
    Ok(RequestCtx {
        client_capabilities: caps,
        log_level,
    })
}

/// The capabilities announced to 2026-07-28 clients. List changes and resource
/// updates reach clients through `subscriptions/listen`.
pub fn capabilities(variants: &crate::variants::Variants) -> Value {
    let mut caps = json!({
        "tools": {"listChanged": true},
        "resources": {"listChanged": true, "subscribe": true},
        "prompts": {"listChanged": true},
        "logging": {},
        "completions": {},
    });
    if let Some(m) = caps.as_object_mut() {
        m.retain(|area, _| variants.declares(area));
    }
    caps
}

fn server_info() -> Value {
    json!({"name": SERVER_NAME, "title": SERVER_TITLE, "version": env!("CARGO_PKG_VERSION")})
}

/// Counts `tools/list` calls, for the fault that varies their order.
static TOOLS_LISTED: AtomicU64 = AtomicU64::new(0);

/// Adds what every 2026-07-28 result carries.
pub fn shape_result(session: &Session, method: &str, mut result: Value) -> Value {
    let faults = session.faults();
    let Some(obj) = result.as_object_mut() else {
        return result;
    };
    if !faults.has(Fault::ModernNoResultType) {
        obj.entry("resultType").or_insert(json!("complete"));
    }
    let complete = obj.get("resultType").and_then(Value::as_str) != Some("input_required");
    if !faults.has(Fault::ModernNoServerInfo) {
        let meta = obj.entry("_meta").or_insert_with(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            m.insert(META_SERVER_INFO.into(), server_info());
        }
    }
    if complete && CACHEABLE.contains(&method) {
        let later_page = method.ends_with("/list")
            && session.state().modern_page_cursor_seen
            && faults.has(Fault::ModernCacheScopeVaries);
        obj.insert("ttlMs".into(), json!(TTL_MS));
        obj.insert(
            "cacheScope".into(),
            json!(if later_page { "private" } else { "public" }),
        );
    }
    if method == "tools/list" {
        annotate_headers(obj, faults.has(Fault::ModernBadXMcpHeader));
        misplace_headers(obj, faults);
    }
    if method == "tools/list" && faults.has(Fault::ModernToolsOrderVaries) {
        let n = TOOLS_LISTED.fetch_add(1, Ordering::Relaxed);
        if n % 2 == 1 {
            if let Some(tools) = obj.get_mut("tools").and_then(Value::as_array_mut) {
                tools.reverse();
            }
        }
    }
    result
}

/// The `Mcp-Param-*` headers (name part, argument) a tool asks for.
pub fn param_headers(tool: &str) -> &'static [(&'static str, &'static str)] {
    match tool {
        "echo" => &[("Text", "text")],
        _ => &[],
    }
}

/// 2026-07-28 tools may ask for arguments to be mirrored into `Mcp-Param-*` headers:
/// echo's `text` is (as `Mcp-Param-Text`; checked by the HTTP front).
fn annotate_headers(list: &mut Map<String, Value>, bad: bool) {
    let Some(tools) = list.get_mut("tools").and_then(Value::as_array_mut) else {
        return;
    };
    for t in tools {
        let (prop, header) = match t.get("name").and_then(Value::as_str) {
            Some("echo") => ("text", "Text"),
            Some("add") if bad => ("a", "A"),
            _ => continue,
        };
        if let Some(p) = t
            .pointer_mut(&format!("/inputSchema/properties/{prop}"))
            .and_then(Value::as_object_mut)
        {
            p.insert("x-mcp-header".into(), json!(header));
        }
    }
}

/// MOD-22 mutants: echo's published inputSchema gains a property whose `x-mcp-header`
/// sits where the rules do not allow it (the tool itself ignores the property).
fn misplace_headers(list: &mut Map<String, Value>, faults: &crate::faults::Faults) {
    let extra = if faults.has(Fault::ModernXMcpHeaderInItems) {
        (
            "tags",
            json!({"type": "array", "items": {"type": "string", "x-mcp-header": "Tag"}}),
        )
    } else if faults.has(Fault::ModernXMcpHeaderInAnyOf) {
        (
            "mode",
            json!({"anyOf": [{"type": "string", "x-mcp-header": "Mode"}, {"type": "integer"}]}),
        )
    } else if faults.has(Fault::ModernXMcpHeaderOnObject) {
        (
            "options",
            json!({"type": "object", "x-mcp-header": "Options",
            "properties": {"upper": {"type": "boolean"}}}),
        )
    } else if faults.has(Fault::ModernXMcpHeaderDuplicate) {
        ("copy", json!({"type": "string", "x-mcp-header": "TEXT"}))
    } else {
        return;
    };
    let Some(tools) = list.get_mut("tools").and_then(Value::as_array_mut) else {
        return;
    };
    for t in tools {
        if t.get("name").and_then(Value::as_str) != Some("echo") {
            continue;
        }
        if let Some(p) = t
            .pointer_mut("/inputSchema/properties")
            .and_then(Value::as_object_mut)
        {
            p.insert(extra.0.into(), extra.1.clone());
        }
    }
}

/// The error a stateless request gets instead of a session-era one.
fn shape_error(session: &Session, mut err: RpcError) -> RpcError {
    // MOD-17: a missing resource is -32602 in 2026-07-28.
    if session.faults().has(Fault::ModernLegacyErrorCode) && err.message.starts_with("Unknown tool")
    {
        err.code = -32001;
    }
    if err.code == jsonrpc::RESOURCE_NOT_FOUND
        && !session.faults().has(Fault::ModernResourceOldCode)
    {
        err.code = jsonrpc::INVALID_PARAMS;
    }
    err
}

impl Session {
    /// Serves one request of the stateless era.
    pub fn handle_modern(
        self: &Arc<Self>,
        id: &Value,
        method: &str,
        params: &Map<String, Value>,
    ) -> Handled {
        let mut params = params.clone();
        if self.faults().has(Fault::ModernRemembersCapabilities) {
            self.remember_capabilities(&mut params);
        }
        let params = &params;
        let ctx = match precheck(method, params, &self.config) {
            Ok(c) => c,
            Err(e) => return Handled::Error(e),
        };
        self.state().modern_page_cursor_seen = params.contains_key("cursor");
        let handled = match method {
            "server/discover" => Handled::Result(self.discover()),
            "subscriptions/listen" => return self.listen(id, params),
            "tools/call" => self.modern_tool_call(params, &ctx),
            _ => self.dispatch_feature(method, params),
        };
        let session = Arc::clone(self);
        let method = method.to_string();
        match handled {
            Handled::Result(v) => Handled::Result(shape_result(self, &method, v)),
            Handled::Error(e) => Handled::Error(shape_error(self, e)),
            Handled::Async(fut) => Handled::Async(Box::pin(async move {
                match fut.await {
                    Ok(v) => Ok(shape_result(&session, &method, v)),
                    Err(e) => Err(shape_error(&session, e)),
                }
            })),
            Handled::Sent => Handled::Sent,
        }
    }

    /// The fault that breaks MOD-04: the connection remembers what earlier requests
    /// declared, and a later request is served as if it had declared it too.
    fn remember_capabilities(&self, params: &mut Map<String, Value>) {
        let Some(meta) = params.get_mut("_meta").and_then(Value::as_object_mut) else {
            return;
        };
        let Some(Value::Object(caps)) = meta.get(META_CLIENT_CAPABILITIES).cloned() else {
            return;
        };
        let mut st = self.state();
        let mut merged = st
            .modern_remembered_capabilities
            .as_ref()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        merged.extend(caps);
        st.modern_remembered_capabilities = Some(Value::Object(merged.clone()));
        meta.insert(META_CLIENT_CAPABILITIES.into(), Value::Object(merged));
    }

    /// `subscriptions/listen`: acknowledges the filter it honours (tagged with the
    /// request id), then stays open until the client cancels it (stdio) or closes
    /// its stream (HTTP).
    fn listen(self: &Arc<Self>, id: &Value, params: &Map<String, Value>) -> Handled {
        let id = id.clone();
        let wanted = params.get("notifications").and_then(Value::as_object);
        let mut agreed = Map::new();
        for flag in [
            "toolsListChanged",
            "promptsListChanged",
            "resourcesListChanged",
        ] {
            if wanted.and_then(|w| w.get(flag)) == Some(&Value::Bool(true)) {
                agreed.insert(flag.into(), json!(true));
            }
        }
        if let Some(uris) = wanted
            .and_then(|w| w.get("resourceSubscriptions"))
            .and_then(Value::as_array)
        {
            let uris: Vec<Value> = uris.iter().filter(|u| u.is_string()).cloned().collect();
            agreed.insert("resourceSubscriptions".into(), Value::Array(uris));
        }
        let filter = Value::Object(agreed);
        if let Err(e) = self.config.subscriptions.open(self, &id, &filter) {
            return Handled::Error(e);
        }
        if !self.faults().has(Fault::ModernSubscriptionNoAck) {
            let mut ack = json!({"_meta": {META_SUBSCRIPTION_ID: id}, "notifications": filter});
            if self.faults().has(Fault::ModernSubscriptionUntaggedAck) {
                ack = json!({"notifications": filter});
            }
            self.notify("notifications/subscriptions/acknowledged", Some(ack));
        }
        Handled::Async(Box::pin(std::future::pending()))
    }

    /// Sends a change notification to every subscription that asked for it, on the
    /// stream of that subscription.
    fn publish(&self, method: &str, flag: &str, uri: Option<&str>) {
        let faults = self.faults();
        for (id, filter, listener) in self.config.subscriptions.current() {
            let wanted = match uri {
                Some(u) => filter
                    .get("resourceSubscriptions")
                    .and_then(Value::as_array)
                    .is_some_and(|l| l.iter().any(|x| x.as_str() == Some(u))),
                None => filter.get(flag) == Some(&Value::Bool(true)),
            };
            if !wanted && !faults.has(Fault::ModernSubscriptionUnfiltered) {
                continue;
            }
            let mut params = Map::new();
            if !faults.has(Fault::ModernSubscriptionUntagged) {
                params.insert("_meta".into(), json!({META_SUBSCRIPTION_ID: id}));
            }
            if let Some(u) = uri {
                params.insert("uri".into(), json!(u));
            }
            listener.notify(method, Some(Value::Object(params)));
        }
    }

    fn discover(&self) -> Value {
        let mut caps = capabilities(&self.config.variants);
        if self.faults().has(Fault::ModernDiscoverNoCapabilities) {
            caps = Value::Null;
        }
        let mut r = json!({
            "supportedVersions": supported_versions(&self.config),
            "instructions": INSTRUCTIONS,
        });
        if !caps.is_null() {
            r["capabilities"] = caps;
        }
        r
    }

    /// `tools/call` with the request's own context: `log` logs only when the request
    /// carries a log level (MOD-14); `ask_roots` asks through `InputRequiredResult`
    /// (MOD-12), never with a request of its own.
    fn modern_tool_call(
        self: &Arc<Self>,
        params: &Map<String, Value>,
        ctx: &RequestCtx,
    ) -> Handled {
        let name = params.get("name").and_then(Value::as_str).unwrap_or("");
        // The tools served here check their arguments as `tools::call` does.
        if matches!(name, "toggle_extra" | "touch" | "log" | "ask_roots") {
            if let Some(refused) = crate::tools::refuse_arguments(self, params) {
                return refused;
            }
        }
        let args = params
            .get("arguments")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match name {
            "toggle_extra"
                if self
                    .config
                    .variants
                    .has(crate::variants::Variant::ListChangedStatic) =>
            {
                Handled::Result(crate::tools::text_result(
                    "the lists of this server never change",
                ))
            }
            "toggle_extra" => {
                let enabled = {
                    let mut st = self.state();
                    st.extra_enabled = !st.extra_enabled;
                    st.extra_enabled
                };
                for (area, filter) in [
                    ("tools", "toolsListChanged"),
                    ("prompts", "promptsListChanged"),
                    ("resources", "resourcesListChanged"),
                ] {
                    if self.config.variants.declares(area) {
                        self.publish(&format!("notifications/{area}/list_changed"), filter, None);
                    }
                }
                Handled::Result(crate::tools::text_result(if enabled {
                    "extra tool, resource and prompt added"
                } else {
                    "extra tool, resource and prompt removed"
                }))
            }
            "touch" => {
                let uri = args.get("uri").and_then(Value::as_str).unwrap_or("");
                self.publish("notifications/resources/updated", "", Some(uri));
                Handled::Result(crate::tools::text_result(format!("touched {uri}")))
            }
            "log" => {
                let level = args
                    .get("level")
                    .and_then(Value::as_str)
                    .and_then(LogLevel::parse);
                let wanted = match (ctx.log_level, self.faults().has(Fault::ModernLogsUnasked)) {
                    (_, true) => Some(LogLevel::Debug),
                    // A server without the logging capability sends no log messages.
                    _ if !self.config.variants.declares("logging") => None,
                    (l, false) => l,
                };
                if let (Some(level), Some(min)) = (level, wanted) {
                    if level >= min {
                        let message = args.get("message").cloned().unwrap_or(Value::Null);
                        self.notify(
                            "notifications/message",
                            Some(json!({"level": level.as_str(), "logger": SERVER_NAME, "data": message})),
                        );
                    }
                }
                Handled::Result(crate::tools::text_result("logged"))
            }
            "ask_roots" if self.faults().has(Fault::ModernSendsRequests) => {
                self.send_request_detached("roots/list", None);
                Handled::Result(crate::tools::text_result("asked with roots/list"))
            }
            "ask_roots" => {
                let answered = params
                    .get("inputResponses")
                    .and_then(|r| r.get("roots"))
                    .and_then(|r| r.get("roots"))
                    .and_then(Value::as_array);
                match answered {
                    Some(roots) => {
                        let uris: Vec<&str> = roots
                            .iter()
                            .filter_map(|r| r.get("uri").and_then(Value::as_str))
                            .collect();
                        Handled::Result(crate::tools::text_result(if uris.is_empty() {
                            "no roots".to_string()
                        } else {
                            uris.join("\n")
                        }))
                    }
                    None if ctx.client_capabilities.get("roots").is_some() => {
                        let mut r = json!({
                            "resultType": "input_required",
                            "inputRequests": {"roots": {"method": "roots/list", "params": {}}},
                        });
                        let sampling = ctx.client_capabilities.get("sampling").is_some();
                        if self.faults().has(Fault::ModernInputRequestUndeclared) && !sampling {
                            r["inputRequests"]["summary"] = json!({
                                "method": "sampling/createMessage",
                                "params": {
                                    "messages": [{"role": "user", "content": {"type": "text", "text": "Summarise the roots"}}],
                                    "maxTokens": 100
                                }
                            });
                        }
                        Handled::Result(r)
                    }
                    None => Handled::Result(crate::tools::error_result(
                        "The client did not declare the roots capability.",
                    )),
                }
            }
            _ => self.dispatch_feature("tools/call", params),
        }
    }
}
