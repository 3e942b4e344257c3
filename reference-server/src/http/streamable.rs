//! Streamable HTTP at `/mcp`: POST carries client messages, GET opens the standalone
//! stream or resumes one (`Last-Event-ID`), DELETE ends the session.
//!
//! A POST whose requests are all answered while it is being handled gets a JSON body;
//! otherwise it gets an SSE stream (HTTP-08), primed under 2025-11-25 (HTTP-13), which
//! ends after the last response (HTTP-10). Notifications and responses get 202 with an
//! empty body (HTTP-06).

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;

use super::streams::{self, lock, Router, SharedRouter, STANDALONE};
use super::{
    empty, header, json_body, jsonrpc_error, read_body, sse, sse_guarded, Body, Server,
    MAX_SESSIONS,
};
use crate::core::Session;
use crate::faults::Fault;
use crate::jsonrpc::{is_valid_id, RpcError};
use crate::modern;
use crate::protocol::{parse_message, Parsed};
use crate::variants::Variant;
use crate::version::Revision;

pub struct HttpSession {
    pub core: Arc<Session>,
    pub router: SharedRouter,
    /// Serialises the synchronous part of handling a POST (see `Router::current`).
    post_gate: tokio::sync::Mutex<()>,
    router_task: tokio::task::AbortHandle,
}

impl Drop for HttpSession {
    fn drop(&mut self) {
        self.router_task.abort();
    }
}

impl HttpSession {
    fn new(server: &Server) -> Arc<HttpSession> {
        let (tx, rx) = mpsc::unbounded_channel();
        let core = Session::new(server.config.clone(), tx);
        let mut r = Router::new();
        r.per_stream_ids = server.has(Fault::EventIdPerStream);
        r.broadcast = server.has(Fault::BroadcastToStandalone);
        r.progress_to_standalone = server.has(Fault::ProgressOnStandalone);
        r.progress_to_newest = server.has(Fault::ProgressOnNewestStream);
        r.keep_open = server.has(Fault::KeepStreamOpen);
        r.json_only = server.variant(Variant::JsonOnly);
        let router: SharedRouter = Arc::new(std::sync::Mutex::new(r));
        let task = tokio::spawn(streams::run_router(router.clone(), rx));
        Arc::new(HttpSession {
            core,
            router,
            post_gate: tokio::sync::Mutex::new(()),
            router_task: task.abort_handle(),
        })
    }
}

pub async fn handle(server: Arc<Server>, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    if parts.method == Method::POST {
        let bytes = match read_body(body).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        // One parse per body: scope, era and shape are all read from it.
        let parsed = parse_message(&bytes);
        if let Some(m) = body_method(&parsed) {
            if let Err(r) = super::auth::check_scope(&server, &parts.headers, m) {
                return r;
            }
        }
        if server.has(Fault::FuzzRefuseDeepJson) && matches!(parsed, Parsed::TooDeep { .. }) {
            return super::plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, "body nested too deeply");
        }
        let modern_era = server.config.modern_only
            || header(&parts.headers, "mcp-protocol-version") == Some(modern::MODERN);
        // A single-revision server (variant only-…) does not speak 2026-07-28.
        let speaks_modern = server.config.variants.speaks_modern();
        return match parsed {
            Parsed::Json(msg) if speaks_modern && is_modern_request(&msg, modern_era) => {
                modern_post(&server, &parts.headers, msg).await
            }
            p if speaks_modern && modern_era && !is_message(&p) => {
                modern_malformed_post(&server, p).await
            }
            p => match check_version(&server, &parts.headers) {
                Err(r) => r,
                Ok(()) => post(&server, &parts.headers, p).await,
            },
        };
    }
    if server.config.modern_only && !server.has(Fault::ModernOnlyServesGet) {
        // MOD-10: no standalone stream and no sessions to end.
        let mut r = empty(StatusCode::METHOD_NOT_ALLOWED);
        r.headers_mut()
            .insert("allow", HeaderValue::from_static("POST"));
        return r;
    }
    if let Err(r) = check_version(&server, &parts.headers) {
        return r;
    }
    let stateless = server.variant(Variant::Stateless);
    let no_get = stateless || server.variant(Variant::Get405);
    let no_delete = stateless || server.variant(Variant::Delete405);
    match parts.method {
        // HTTP-16, HTTP-25: a server without a standalone stream, or that does not let
        // clients end sessions, answers 405.
        Method::GET if no_get => not_allowed(no_delete),
        Method::DELETE if no_delete => not_allowed(no_delete),
        Method::GET => get(&server, &parts.headers),
        Method::DELETE => delete(&server, &parts.headers),
        _ => {
            let mut r = empty(StatusCode::METHOD_NOT_ALLOWED);
            r.headers_mut()
                .insert("allow", HeaderValue::from_static("GET, POST, DELETE"));
            r
        }
    }
}

fn body_method(parsed: &Parsed) -> Option<&str> {
    match parsed {
        Parsed::Json(v) => v.get("method").and_then(Value::as_str),
        _ => None,
    }
}

/// A request of the stateless era: a single request that carries 2026-07-28 metadata
/// (or `server/discover`), or any single request on a POST of that era (the server
/// speaks only 2026-07-28, or `MCP-Protocol-Version` names it).
fn is_modern_request(msg: &Value, modern_era: bool) -> bool {
    let Some(method) = msg.get("method").and_then(Value::as_str) else {
        return false;
    };
    if msg.get("id").is_none() {
        return false;
    }
    let empty = serde_json::Map::new();
    let params = msg
        .get("params")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    modern_era || modern::is_modern(method, params)
}

/// Whether a body is a JSON-RPC request, notification or response. Not so: invalid
/// JSON, a value that is not an object (a batch array too), an object without a
/// string `method` that is no response, or a body too deep to parse whole.
fn is_message(parsed: &Parsed) -> bool {
    match parsed {
        Parsed::Json(Value::Object(obj)) => {
            obj.get("method").is_some_and(Value::is_string)
                || obj.contains_key("result")
                || obj.contains_key("error")
        }
        _ => false,
    }
}

/// Answers a malformed stateless POST the way the session core answers such a line
/// on stdio (-32700 or -32600, `id` null when it cannot be read), with status 400;
/// no session is looked for. A batch is refused the same way (RPC-14).
async fn modern_malformed_post(server: &Server, parsed: Parsed) -> Response<Body> {
    let session = HttpSession::new(server);
    serve(server, &session, parsed, &[], &[], true).await
}

/// Decodes a header value in the Base64 sentinel form (`=?base64?…?=`); `None` when
/// it is not valid.
fn decode_header_value(v: &str) -> Option<String> {
    let Some(inner) = v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    else {
        return Some(v.to_string());
    };
    let bytes = crate::http::base64_decode(inner)?;
    String::from_utf8(bytes).ok()
}

/// MOD-08: the request metadata headers must match the body.
fn check_metadata_headers(
    headers: &HeaderMap,
    msg: &Value,
    faults: &crate::faults::Faults,
) -> Result<(), String> {
    let get = |name: &str| -> Result<Option<String>, String> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .map(|s| Some(s.to_string()))
                .map_err(|_| format!("{name} contains invalid characters")),
        }
    };
    let method = msg.get("method").and_then(Value::as_str).unwrap_or("");
    let body_version = msg
        .pointer("/params/_meta")
        .and_then(|m| m.get(modern::META_PROTOCOL_VERSION))
        .and_then(Value::as_str);
    match (get("mcp-protocol-version")?, body_version) {
        (None, _) => return Err("MCP-Protocol-Version header is missing".into()),
        (Some(h), Some(b)) if h != b => {
            return Err(format!(
                "MCP-Protocol-Version header value '{h}' does not match body value '{b}'"
            ))
        }
        _ => {}
    }
    match get("mcp-method")? {
        None => return Err("Mcp-Method header is missing".into()),
        Some(h) if h != method => {
            return Err(format!(
                "Mcp-Method header value '{h}' does not match body value '{method}'"
            ))
        }
        _ => {}
    }
    let name = match method {
        "tools/call" | "prompts/get" => msg.pointer("/params/name"),
        "resources/read" => msg.pointer("/params/uri"),
        _ => return Ok(()),
    };
    let name = name.and_then(Value::as_str).unwrap_or("");
    if method == "tools/call" && !faults.has(Fault::ModernParamHeaderUnchecked) {
        // MOD-23: an argument the tool mirrors must come with a matching header.
        for (header, arg) in modern::param_headers(name) {
            let hname = format!("mcp-param-{}", header.to_ascii_lowercase());
            let Some(value) = msg
                .pointer(&format!("/params/arguments/{arg}"))
                .filter(|v| !v.is_null())
            else {
                if faults.has(Fault::ModernParamHeaderRequiredWhenAbsent)
                    && !headers.contains_key(&hname)
                {
                    return Err(format!("Mcp-Param-{header} header is missing"));
                }
                continue; // absent or null: no header expected
            };
            let raw = if faults.has(Fault::ModernParamHeaderCharsUnchecked) {
                headers
                    .get(&hname)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            } else {
                get(&hname)?
            };
            let Some(raw) = raw else {
                return Err(format!("Mcp-Param-{header} header is missing"));
            };
            if faults.has(Fault::ModernParamHeaderMismatchAccepted) {
                continue;
            }
            let decoded = if faults.has(Fault::ModernParamHeaderBase64Rejected) {
                Some(raw.clone())
            } else {
                decode_header_value(&raw)
            };
            let Some(decoded) = decoded else {
                if faults.has(Fault::ModernParamHeaderBadBase64Accepted) {
                    continue;
                }
                return Err(format!(
                    "Mcp-Param-{header} header has an invalid Base64 value"
                ));
            };
            let expected = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if decoded != expected {
                return Err(format!(
                    "Mcp-Param-{header} header value '{raw}' does not match body value '{expected}'"
                ));
            }
        }
    }
    match get("mcp-name")? {
        None => Err("Mcp-Name header is missing".into()),
        Some(h) => match decode_header_value(&h) {
            None => Err("Mcp-Name header has an invalid Base64 value".into()),
            Some(d) if d != name => Err(format!(
                "Mcp-Name header value '{h}' does not match body value '{name}'"
            )),
            Some(_) => Ok(()),
        },
    }
}

/// A request of the stateless era: the JSON-RPC envelope, the headers and `_meta` are
/// checked first (400 with -32600, -32020, -32602, -32022 or -32021; 404 with -32601
/// for an unknown method), then it is served by a session that lives for this one
/// request.
async fn modern_post(server: &Server, headers: &HeaderMap, msg: Value) -> Response<Body> {
    let id = msg.get("id").cloned().unwrap_or(Value::Null);
    let error = |status: StatusCode, id: &Value, err: RpcError| {
        let status = if server.has(Fault::ModernErrorStatus200) && status == StatusCode::BAD_REQUEST
        {
            StatusCode::OK
        } else {
            status
        };
        let responder = crate::jsonrpc::Responder::new(server.config.faults.clone());
        json_body(status, &responder.error(id, &err))
    };
    // The JSON-RPC envelope first (jsonrpc, id, params): a message that is no valid
    // request gets -32600 (or -32602 for params), whatever its headers say.
    if let crate::jsonrpc::Incoming::Invalid { id, error: err } =
        crate::jsonrpc::classify(msg.clone(), &server.config.faults)
    {
        return error(StatusCode::BAD_REQUEST, &id, err);
    }
    let legacy_opening = server.config.modern_only
        && msg.get("method").and_then(Value::as_str) == Some("initialize");
    // A legacy client's `initialize` carries no metadata headers; it gets the error
    // that names the versions spoken here (MOD-19), not a header mismatch.
    if !server.has(Fault::ModernHeadersUnchecked) && !legacy_opening {
        if let Err(why) = check_metadata_headers(headers, &msg, &server.config.faults) {
            let err = RpcError::new(modern::HEADER_MISMATCH, format!("Header mismatch: {why}"));
            return error(StatusCode::BAD_REQUEST, &id, err);
        }
    }
    let method = msg.get("method").and_then(Value::as_str).unwrap_or("");
    let params = msg
        .get("params")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Err(err) = modern::precheck(method, &params, &server.config) {
        let status = if err.code == crate::jsonrpc::METHOD_NOT_FOUND {
            if server.has(Fault::ModernUnknownMethod200) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }
        } else {
            StatusCode::BAD_REQUEST
        };
        return error(status, &id, err);
    }
    let session = HttpSession::new(server);
    // The session-era variants do not apply to the stateless era.
    lock(&session.router).json_only = false;
    let (ids, tokens) = requests_in(&msg);
    let mut resp = serve(server, &session, Parsed::Json(msg), &ids, &tokens, true).await;
    if !server.has(Fault::ModernNoAccelBuffering)
        && resp
            .headers()
            .get("content-type")
            .is_some_and(|c| c.as_bytes().starts_with(b"text/event-stream"))
    {
        // MOD-24: proxies must not buffer the stream.
        resp.headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
    }
    resp
}

/// HTTP-26: a malformed or unsupported `MCP-Protocol-Version` gets 400.
fn check_version(server: &Server, headers: &HeaderMap) -> Result<(), Response<Body>> {
    let Some(raw) = headers.get("mcp-protocol-version") else {
        return Ok(()); // HTTP-27: assume 2025-03-26 (or what the session negotiated)
    };
    if server.has(Fault::ProtocolVersionUnchecked) {
        return Ok(());
    }
    match raw.to_str().ok().and_then(Revision::parse) {
        Some(_) => Ok(()),
        None => Err(jsonrpc_error(
            StatusCode::BAD_REQUEST,
            -32000,
            "Bad Request: unsupported MCP-Protocol-Version",
        )),
    }
}

/// The session named by `MCP-Session-Id`: `Ok(None)` when there is no header.
fn lookup(
    server: &Server,
    headers: &HeaderMap,
) -> Result<Option<Arc<HttpSession>>, Response<Body>> {
    let Some(id) = header(headers, "mcp-session-id") else {
        return Ok(None);
    };
    match server.sessions().get(id) {
        Some(s) => Ok(Some(s.clone())),
        None => {
            let status = if server.has(Fault::UnknownSession400) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::NOT_FOUND
            };
            Err(jsonrpc_error(status, -32001, "Session not found"))
        }
    }
}

/// 405 for a GET or DELETE this server does not offer, naming what it allows.
fn not_allowed(no_delete: bool) -> Response<Body> {
    let allow = if no_delete { "POST" } else { "POST, DELETE" };
    let mut r = empty(StatusCode::METHOD_NOT_ALLOWED);
    r.headers_mut()
        .insert("allow", HeaderValue::from_static(allow));
    r
}

/// Variant `stateless`: a session that serves one POST. Its event ids carry a
/// server-wide number, since they must be unique across all the client's streams
/// when there are no sessions (HTTP-28).
fn unnamed_session(server: &Server) -> Arc<HttpSession> {
    let s = HttpSession::new(server);
    let n = server
        .issued
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    lock(&s.router).id_prefix = format!("u{n}.");
    let mut live = server.unnamed.lock().unwrap_or_else(|e| e.into_inner());
    live.retain(|w| w.strong_count() > 0);
    live.push(Arc::downgrade(&s));
    s
}

/// Variant `stateless`: a `notifications/cancelled` cancels its request in whichever
/// one-request session is serving it (CANC-01).
fn cancel_unnamed(server: &Server, parsed: &Parsed) {
    let Parsed::Json(v) = parsed else {
        return;
    };
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    let live: Vec<Arc<HttpSession>> = server
        .unnamed
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(std::sync::Weak::upgrade)
        .collect();
    for m in items {
        if m.get("method").and_then(Value::as_str) != Some("notifications/cancelled") {
            continue;
        }
        if let Some(id) = m.pointer("/params/requestId") {
            for s in &live {
                s.core.cancel(id);
            }
        }
    }
}

/// Variant `stateless`: a request outside `initialize` is served by a session of
/// its own that counts as initialized at the revision its `MCP-Protocol-Version`
/// names (2025-03-26 without the header, HTTP-27). Nothing is remembered between
/// requests, and a client's capabilities are not known.
fn stateless_session(server: &Server, headers: &HeaderMap) -> Arc<HttpSession> {
    let s = unnamed_session(server);
    let revision = header(headers, "mcp-protocol-version")
        .and_then(Revision::parse)
        .unwrap_or(Revision::V2025_03_26);
    {
        let mut st = s.core.state();
        st.phase = crate::core::Phase::Operating;
        st.revision = Some(revision);
    }
    s
}

fn missing_session() -> Response<Body> {
    jsonrpc_error(
        StatusCode::BAD_REQUEST,
        -32000,
        "Bad Request: missing MCP-Session-Id",
    )
}

/// Valid request ids and progress tokens in a parsed body.
fn requests_in(v: &Value) -> (Vec<Value>, Vec<Value>) {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for m in items {
        if let (Some(id), Some(_)) = (m.get("id"), m.get("method")) {
            if is_valid_id(id) {
                ids.push(id.clone());
            }
        }
        if let Some(t) = m.pointer("/params/_meta/progressToken") {
            tokens.push(t.clone());
        }
    }
    (ids, tokens)
}

async fn post(server: &Server, headers: &HeaderMap, parsed: Parsed) -> Response<Body> {
    let is_init = matches!(&parsed, Parsed::Json(v)
        if v.get("method").and_then(Value::as_str) == Some("initialize"));
    let mut issued = None;
    let session = match lookup(server, headers) {
        Err(r) => return r,
        Ok(Some(s)) => s,
        Ok(None) if server.variant(Variant::Stateless) && is_init => unnamed_session(server),
        Ok(None) if server.variant(Variant::Stateless) => {
            cancel_unnamed(server, &parsed);
            stateless_session(server, headers)
        }
        Ok(None) if is_init => {
            if server.sessions().len() >= MAX_SESSIONS {
                return jsonrpc_error(StatusCode::SERVICE_UNAVAILABLE, -32000, "too many sessions");
            }
            let s = HttpSession::new(server);
            let mut id = server.session_id();
            if server.has(Fault::SessionIdWithSpace) {
                id = format!("ref session {id}");
            }
            server.sessions().insert(id.clone(), s.clone());
            issued = Some(id);
            s
        }
        // Fault: a request without a session is served by a throwaway session.
        Ok(None) if server.has(Fault::NoSessionRequired) => HttpSession::new(server),
        Ok(None) => return missing_session(),
    };
    let (ids, tokens) = match &parsed {
        Parsed::Json(v) => requests_in(v),
        Parsed::TooDeep { id } => (vec![id.clone()], Vec::new()),
        Parsed::Invalid(_) => Default::default(),
    };
    let mut response = serve(server, &session, parsed, &ids, &tokens, false).await;
    if let Some(id) = issued {
        if let Ok(v) = HeaderValue::from_str(&id) {
            response.headers_mut().insert("mcp-session-id", v);
        }
    }
    response
}

/// Feeds one POST body to the session core and shapes the HTTP answer.
async fn serve(
    server: &Server,
    session: &Arc<HttpSession>,
    parsed: Parsed,
    ids: &[Value],
    tokens: &[Value],
    modern: bool,
) -> Response<Body> {
    let _gate = session.post_gate.lock().await;
    let stream = {
        let mut r = lock(&session.router);
        let s = r.open_post(ids, tokens);
        r.current = Some(s);
        s
    };
    session.core.handle_parsed(parsed);
    // Everything the core emitted while handling the body is routed before we look.
    session.core.flush().await;
    let json_only = server.variant(Variant::JsonOnly) && !modern;
    let wait = {
        let mut r = lock(&session.router);
        r.current = None;
        let open = r.streams.get(stream).is_some_and(|s| !s.done);
        (json_only && open && !ids.is_empty())
            .then(|| r.attach(stream, None, &server.config.faults))
    };
    if let Some(mut rx) = wait {
        // JSON only: wait for the last response (the connection attached here ends
        // with it), letting other POSTs of the session through meanwhile.
        drop(_gate);
        while rx.recv().await.is_some() {}
    }
    let mut r = lock(&session.router);
    let revision = session.core.revision();
    let Some(s) = r.streams.get_mut(stream) else {
        return empty(StatusCode::INTERNAL_SERVER_ERROR);
    };
    if ids.is_empty() {
        // Only notifications and responses: accepted, unless the core objected.
        s.done = true;
        let msgs: Vec<Value> = s.events.drain(..).filter_map(|(_, m)| m).collect();
        return match msgs.len() {
            0 if server.has(Fault::Notification200) => empty(StatusCode::OK),
            0 => empty(StatusCode::ACCEPTED),
            _ if server.has(Fault::AcceptInvalidNotification) => empty(StatusCode::ACCEPTED),
            1 => json_body(StatusCode::BAD_REQUEST, &msgs[0]),
            _ => json_body(StatusCode::BAD_REQUEST, &Value::Array(msgs)),
        };
    }
    let only_responses = s
        .events
        .iter()
        .all(|(_, m)| m.as_ref().is_some_and(|m| m.get("method").is_none()));
    let only_responses = only_responses || json_only;
    if s.done && only_responses && !server.variant(Variant::SseAlways) {
        let mut msgs: Vec<Value> = s.events.drain(..).filter_map(|(_, m)| m).collect();
        let body = if msgs.len() == 1 {
            msgs.remove(0)
        } else {
            Value::Array(msgs)
        };
        let mut resp = json_body(StatusCode::OK, &body);
        if server.has(Fault::JsonTextPlain) {
            resp.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/plain"));
        }
        return resp;
    }
    // 2026-07-28 streams are not resumable: no priming event.
    let primed = !modern && revision >= Revision::V2025_11_25 && !server.has(Fault::NoPrimingEvent);
    r.poll_every = primed && server.variant(Variant::PollEveryStream);
    if primed {
        // HTTP-13: a priming event (id, empty data) opens the stream.
        let id = r.next_id(stream);
        if let Some(s) = r.streams.get_mut(stream) {
            s.events.insert(0, (id, None));
        }
    }
    let rx = r.attach(stream, None, &server.config.faults);
    if primed && server.poll {
        // The connection ends after what was sent; the stream lives on for a GET.
        if let Some(s) = r.streams.get_mut(stream) {
            s.live = None;
        }
    }
    if server.variant(Variant::Stateless) {
        // No session outlives its POST: this one lives as long as its stream.
        return sse_guarded(rx, session.clone());
    }
    if modern {
        // MOD-11: the request's stream is its only channel, and closing it cancels it.
        return sse_guarded(
            rx,
            CancelOnClose {
                session: session.clone(),
                ids: ids.to_vec(),
            },
        );
    }
    sse(rx)
}

/// Held by a 2026-07-28 response stream: when the body is dropped (it ended, or the
/// client went away) the requests it carried are cancelled, which is a no-op for
/// those already answered. It also keeps the request's session alive meanwhile.
struct CancelOnClose {
    session: Arc<HttpSession>,
    ids: Vec<Value>,
}

impl Drop for CancelOnClose {
    fn drop(&mut self) {
        let core = &self.session.core;
        for id in &self.ids {
            if core.faults().has(Fault::ModernClosedSubscriptionRerouted)
                && core.config.subscriptions.reroute(core, id)
            {
                continue;
            }
            if core.cancel(id) {
                eprintln!("mcp-reference-server: request {id} cancelled: its stream was closed");
            }
        }
    }
}

fn get(server: &Server, headers: &HeaderMap) -> Response<Body> {
    if server.has(Fault::Get400) {
        return jsonrpc_error(StatusCode::BAD_REQUEST, -32000, "Bad Request");
    }
    let session = match lookup(server, headers) {
        Err(r) => return r,
        Ok(Some(s)) => s,
        Ok(None) => return missing_session(),
    };
    let accepts_sse = header(headers, "accept").is_some_and(|a| a.contains("text/event-stream"));
    if !accepts_sse {
        return jsonrpc_error(
            StatusCode::NOT_ACCEPTABLE,
            -32000,
            "Not Acceptable: GET needs Accept: text/event-stream",
        );
    }
    let mut r = lock(&session.router);
    let polling = server.variant(Variant::PollEveryStream)
        && session.core.revision() >= Revision::V2025_11_25;
    r.poll_every = polling;
    if let Some(last) = header(headers, "last-event-id") {
        if !server.variant(Variant::NoReplay) {
            if let Some(stream) = r.stream_of(last) {
                return sse(r.attach(stream, Some(last), &server.config.faults));
            }
            if server.has(Fault::ReplayAcrossSessions) {
                // Fault: an event id unknown here is looked up in every other session.
                let others: Vec<Arc<HttpSession>> = server.sessions().values().cloned().collect();
                for other in others.iter().filter(|o| !Arc::ptr_eq(o, &session)) {
                    let mut theirs = lock(&other.router);
                    if let Some(stream) = theirs.stream_of(last) {
                        return sse(theirs.attach(stream, Some(last), &server.config.faults));
                    }
                }
            }
        }
    }
    let busy = r
        .streams
        .get(STANDALONE)
        .and_then(|s| s.live.as_ref())
        .is_some_and(|tx| !tx.is_closed());
    if busy {
        return jsonrpc_error(
            StatusCode::CONFLICT,
            -32000,
            "Conflict: the standalone stream is already open",
        );
    }
    if polling {
        // Every stream is polled: this one is primed too, and its connection ends
        // after the priming event (and whatever queued up meanwhile).
        let id = r.next_id(STANDALONE);
        if let Some(s) = r.streams.get_mut(STANDALONE) {
            s.events.push((id, None));
        }
    }
    sse(r.attach(STANDALONE, None, &server.config.faults))
}

fn delete(server: &Server, headers: &HeaderMap) -> Response<Body> {
    let Some(id) = header(headers, "mcp-session-id") else {
        return missing_session();
    };
    if let Err(r) = lookup(server, headers) {
        return r;
    }
    if !server.has(Fault::DeleteKeepsSession) {
        server.sessions().remove(id);
    }
    empty(StatusCode::OK)
}
