//! The HTTP fronts of the reference server: Streamable HTTP at `/mcp` and the legacy
//! HTTP+SSE transport at `/sse` + `/messages`, both on top of the session core.
//!
//! It binds only to loopback (HTTP-04) and checks `Origin` on every request (HTTP-02,
//! HTTP-03, SSE-04): absent, or a localhost / 127.0.0.1 / [::1] origin, is allowed.

// Handlers return a ready HTTP response as their error: it is the cold path, and
// boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod auth;
mod legacy;
mod streamable;
mod streams;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures_util::stream;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::core::Config;
use crate::faults::Fault;

pub type Body = BoxBody<Bytes, Infallible>;

/// Largest request body accepted.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Sessions kept at once; beyond that new ones are refused (503).
pub const MAX_SESSIONS: usize = 4096;

/// Everything the HTTP handlers share.
pub struct Server {
    pub config: Config,
    /// Close the connection of a POST's SSE stream right after the priming event
    /// (2025-11-25 polling, a behaviour the spec allows); clients resume with GET.
    pub poll: bool,
    pub sessions: Mutex<HashMap<String, Arc<streamable::HttpSession>>>,
    pub legacy: Mutex<HashMap<String, Arc<legacy::LegacySession>>>,
    /// `--bearer`: the access token accepted, with every scope.
    pub bearer: Option<String>,
    /// `--scoped-bearer`: a second token, with scope `mcp:read` only.
    pub scoped_bearer: Option<String>,
    /// `http://127.0.0.1:PORT`, for the metadata documents.
    pub base: String,
    /// The port, for checking `Host`.
    pub port: u16,
    /// Counter for the `sequential-session-ids` fault.
    pub issued: std::sync::atomic::AtomicU64,
}

impl Server {
    pub fn sessions(&self) -> MutexGuard<'_, HashMap<String, Arc<streamable::HttpSession>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn legacy(&self) -> MutexGuard<'_, HashMap<String, Arc<legacy::LegacySession>>> {
        self.legacy.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn has(&self, f: Fault) -> bool {
        self.config.faults.has(f)
    }

    /// A fresh session id (a counter under the `sequential-session-ids` fault).
    pub fn session_id(&self) -> String {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        if self.has(Fault::SequentialSessionIds) {
            format!("{n:032x}")
        } else {
            new_session_id()
        }
    }
}

/// Serves until the process is killed. `addr` must be a loopback address.
pub async fn run(
    config: Config,
    addr: SocketAddr,
    poll: bool,
    bearer: Option<String>,
    scoped_bearer: Option<String>,
) -> anyhow::Result<()> {
    if !addr.ip().is_loopback() {
        anyhow::bail!("refusing to listen on {addr}: only loopback addresses are allowed");
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    eprintln!("listening on http://{local}/mcp (legacy SSE: http://{local}/sse)");
    let server = Arc::new(Server {
        config,
        poll,
        sessions: Mutex::new(HashMap::new()),
        legacy: Mutex::new(HashMap::new()),
        bearer,
        scoped_bearer,
        base: format!("http://{local}"),
        port: local.port(),
        issued: std::sync::atomic::AtomicU64::new(0),
    });
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("mcp-reference-server: accept failed: {e}");
                continue;
            }
        };
        let server = server.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let server = server.clone();
                async move { Ok::<_, Infallible>(handle(server, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

async fn handle(server: Arc<Server>, req: Request<Incoming>) -> Response<Body> {
    if let Some(refusal) = gate(&server, &req) {
        // Read the body before answering: a connection closed under a client that is
        // still sending would lose the answer (it sees a reset, not the status).
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            read_body(req.into_body()),
        )
        .await;
        return refusal;
    }
    match req.uri().path() {
        "/mcp" => streamable::handle(server, req).await,
        "/sse" => legacy::open(server, req).await,
        _ => legacy::post(server, req).await,
    }
}

/// The answer to a request that never reaches the MCP endpoints: a refused Origin or
/// Host, a metadata document, an unknown path, missing credentials.
fn gate(server: &Server, req: &Request<Incoming>) -> Option<Response<Body>> {
    let origin_ok = if server.has(Fault::OriginRejectAll) {
        req.headers().get("origin").is_none()
    } else {
        server.has(Fault::NoOriginCheck) || origin_allowed(req.headers())
    };
    if !origin_ok {
        return Some(jsonrpc_error(
            StatusCode::FORBIDDEN,
            -32000,
            "Forbidden: Origin not allowed",
        ));
    }
    if !server.has(Fault::NoHostCheck) && !host_allowed(req.headers(), server.port) {
        return Some(jsonrpc_error(
            StatusCode::FORBIDDEN,
            -32000,
            "Forbidden: Host not allowed",
        ));
    }
    let path = req.uri().path();
    if let Some(doc) = auth::well_known(server, path) {
        return Some(doc);
    }
    if !matches!(path, "/mcp" | "/sse" | "/messages") {
        return Some(plain(StatusCode::NOT_FOUND, "not found"));
    }
    auth::check(server, req).err()
}

/// An absent `Origin` (a non-browser client) or a loopback one is allowed.
fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin") else {
        return true;
    };
    let Ok(text) = origin.to_str() else {
        return false;
    };
    match url::Url::parse(text) {
        Ok(u) => matches!(
            u.host_str(),
            Some("localhost") | Some("127.0.0.1") | Some("[::1]")
        ),
        Err(_) => false,
    }
}

/// DNS rebinding defence: the `Host` must name this loopback listener.
fn host_allowed(headers: &HeaderMap, port: u16) -> bool {
    let Some(host) = header(headers, "host") else {
        return true; // HTTP/1.0 without Host: nothing to rebind
    };
    let name = match host.rsplit_once(':') {
        Some((n, p)) if !n.is_empty() && !host.ends_with(']') => {
            if p.parse::<u16>().ok() != Some(port) {
                return false;
            }
            n
        }
        _ => host,
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "[::1]"
    )
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn read_body(body: Incoming) -> Result<Bytes, Response<Body>> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) => Err(plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("cannot read the body: {e}"),
        )),
    }
}

pub fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::new()).boxed());
    *r.status_mut() = status;
    r
}

pub fn plain(status: StatusCode, text: &str) -> Response<Body> {
    with_type(status, "text/plain", Bytes::from(text.to_string()))
}

pub fn json_body(status: StatusCode, v: &Value) -> Response<Body> {
    with_type(status, "application/json", Bytes::from(v.to_string()))
}

fn with_type(status: StatusCode, ctype: &'static str, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(body).boxed());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
    r
}

/// An HTTP error whose body is a JSON-RPC error without an id (HTTP-03, HTTP-07).
pub fn jsonrpc_error(status: StatusCode, code: i64, message: &str) -> Response<Body> {
    json_body(
        status,
        &json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}}),
    )
}

/// An SSE response whose events come from `rx`; the body ends when the sender is dropped.
pub fn sse(rx: mpsc::UnboundedReceiver<Bytes>) -> Response<Body> {
    sse_guarded(rx, ())
}

/// An SSE response that holds `guard` until the body is dropped: when it has ended,
/// or when the client closed the connection.
pub fn sse_guarded<G: Send + Sync + 'static>(
    rx: mpsc::UnboundedReceiver<Bytes>,
    guard: G,
) -> Response<Body> {
    let events = stream::unfold((rx, guard), |(mut rx, guard)| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), (rx, guard)))
    });
    let mut r = Response::new(StreamBody::new(events).boxed());
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    r
}

/// Decodes standard Base64 (padding optional); `None` on any other character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{general_purpose, GeneralPurpose};
    use base64::{alphabet, Engine as _};
    const LENIENT: GeneralPurpose =
        GeneralPurpose::new(&alphabet::STANDARD, general_purpose::PAD_INDIFFERENT);
    LENIENT.decode(text).ok()
}

/// A fresh session id: 128 random bits from the OS, as hex (visible ASCII, HTTP-22).
pub fn new_session_id() -> String {
    let mut buf = [0u8; 16];
    // Without the OS's random source no id would be unguessable: better to stop.
    if let Err(e) = getrandom::fill(&mut buf) {
        eprintln!("mcp-reference-server: no random source for session ids: {e}");
        std::process::exit(70);
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
