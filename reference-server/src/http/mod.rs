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
use crate::variants::Variant;

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
    /// Variant `stateless`: the one-request sessions still serving, so that a
    /// `notifications/cancelled` (which arrives in a POST of its own) finds its request.
    pub unnamed: Mutex<Vec<std::sync::Weak<streamable::HttpSession>>>,
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
        } else if self.variant(Variant::SessionUuid) {
            uuid_session_id()
        } else if self.variant(Variant::SessionJwt) {
            jwt_session_id()
        } else {
            new_session_id()
        }
    }

    pub fn variant(&self, v: Variant) -> bool {
        self.config.variants.has(v)
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
        unnamed: Mutex::new(Vec::new()),
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

/// `N` random bytes from the OS.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // Without the OS's random source no id would be unguessable: better to stop.
    if let Err(e) = getrandom::fill(&mut buf) {
        eprintln!("mcp-reference-server: no random source for session ids: {e}");
        std::process::exit(70);
    }
    buf
}

/// A fresh session id: 128 random bits from the OS, as hex (visible ASCII, HTTP-22).
pub fn new_session_id() -> String {
    random_bytes::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Variant `session-uuid`: a random (version 4) UUID in its usual 8-4-4-4-12 form.
pub fn uuid_session_id() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Variant `session-jwt`: a JWT-shaped token (header, claims with a random `jti`,
/// signature; each base64url without padding, joined by dots).
pub fn jwt_session_id() -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let jti = new_session_id();
    let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"mcp-session","jti":"{jti}"}}"#));
    let signature = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    format!("{header}.{claims}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible_ascii(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b))
    }

    #[test]
    fn session_id_variants_have_their_shapes() {
        let uuid = uuid_session_id();
        let parts: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12], "{uuid}");
        assert!(uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(uuid.as_bytes()[14], b'4', "version 4: {uuid}");
        assert_ne!(uuid, uuid_session_id());

        let jwt = jwt_session_id();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3, "{jwt}");
        assert!(parts.iter().all(|p| !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')));
        assert!(visible_ascii(&jwt) && visible_ascii(&uuid));
        assert_ne!(jwt, jwt_session_id());
    }
}
