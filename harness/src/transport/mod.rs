//! Bytes on the wire: how the harness reaches a server and what it hears back.
//!
//! A transport turns outgoing JSON-RPC text into whatever the server needs and
//! turns everything the server emits into [`Incoming`] events. It judges nothing,
//! except what only the transport can see (a line that is not UTF-8 or not JSON),
//! which it reports as [`Incoming::Invalid`] for the session to record.
//!
//! Adding a transport: a file here with the type (start or open, `send`, `recv`,
//! `diagnostics`, `shutdown`); a variant of [`Transport`] and its arm in each method of
//! `impl Transport` (the only place that matches variants: callers use `as_stdio`,
//! `as_http`, `shared`, `http_request`, …); a constructor called from
//! `client::config::RunConfig::connect`; a `case::TransportKind` and the docs.

pub mod children;
mod event_stream;
pub mod exchange;
pub mod http;
pub mod inbox;
pub mod resume;
pub mod sse;
pub mod stdio;
pub mod watchdog;
#[cfg(test)]
mod wire_tests;

use std::time::Duration;

use serde_json::Value;

use crate::check::Violation;
pub use http::HttpTransport;
pub use sse::SseTransport;
pub use stdio::StdioTransport;

/// Largest single message the harness accepts from a server (bytes).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// One thing heard from the server.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// A parsed JSON value: an object (single message) or an array (batch).
    Message(Value),
    /// Output that is not a JSON-RPC message, with the reason.
    Invalid { raw: String, reason: String },
    /// The server closed its side (stdout EOF, process exit, stream end).
    Closed { reason: String },
    /// A rule broken at the transport level (HTTP, SSE); the evidence is the text
    /// the server sent (a JSON string).
    Violation(Violation),
    /// An SSE stream of the HTTP exchange with this index ended (noted, not judged).
    StreamEnded { exchange: usize, reason: String },
    /// A legacy-SSE `endpoint` event (consumed by that transport itself).
    Endpoint { uri: String },
    /// The harness's own safety policy refused something the server sent or named (a
    /// message over the size cap, an endpoint on another origin). No rule of the
    /// server's is broken; the case that meets it cannot be judged and ends as `error`.
    PolicyRefusal { policy: String, evidence: String },
}

/// A MUST broken at the transport level, shown by `evidence` (text the server sent).
pub fn violation(requirement: &str, message: String, evidence: String) -> Incoming {
    Incoming::Violation(Violation::must(
        &[requirement],
        message,
        &Value::String(evidence),
    ))
}

/// The policy named when a message exceeds [`Limits::max_message_bytes`].
pub fn size_cap_policy(cap: usize, what: &str) -> String {
    format!(
        "harness policy: {what} exceeds the harness's size cap of {cap} bytes, so the harness did not read it (no MCP rule limits message size)"
    )
}

/// Why a send or receive could not happen.
#[derive(Debug, Clone)]
pub enum TransportError {
    /// The server could not be started or reached at all.
    Unreachable(String),
    /// The connection is gone (the server exited or closed its input).
    Closed(String),
    /// The server did not take our bytes in time (for stdio: it stopped reading stdin).
    Stalled(String),
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Unreachable(m) => write!(f, "cannot reach the server: {m}"),
            TransportError::Closed(m) => write!(f, "connection closed: {m}"),
            TransportError::Stalled(m) => write!(f, "server stopped reading: {m}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// Settings every transport honours.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_message_bytes: usize,
    /// How long a single write may block before the server counts as stalled.
    pub write_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            write_timeout: Duration::from_secs(5),
        }
    }
}

/// A started HTTP request: its exchange index and a receiver for its status (or why
/// it failed).
pub type StartedRequest =
    Result<(usize, tokio::sync::oneshot::Receiver<Result<u16, String>>), TransportError>;

/// The transports the harness speaks. An enum rather than a trait object: the set is
/// closed and small, and each variant has operations the others lack.
pub enum Transport {
    Stdio(StdioTransport),
    StreamableHttp(HttpTransport),
    Sse(SseTransport),
}

impl Transport {
    /// Starts the server process and speaks stdio to it.
    pub fn stdio(launch: &stdio::Launch, limits: Limits) -> Result<Transport, TransportError> {
        StdioTransport::start(launch, limits).map(Transport::Stdio)
    }

    /// A Streamable HTTP client of the server at `url`.
    pub fn streamable_http(
        url: url::Url,
        limits: Limits,
        bearer: Option<String>,
    ) -> Result<Transport, TransportError> {
        HttpTransport::new(url, limits, bearer).map(Transport::StreamableHttp)
    }

    /// A legacy HTTP+SSE client: opens the SSE stream at `url`.
    pub fn sse(
        url: url::Url,
        limits: Limits,
        bearer: Option<String>,
    ) -> Result<Transport, TransportError> {
        SseTransport::open(url, limits, bearer).map(Transport::Sse)
    }

    /// The stdio transport, if this is one (closing stdin, watching the process exit).
    pub fn as_stdio(&mut self) -> Option<&mut StdioTransport> {
        match self {
            Transport::Stdio(t) => Some(t),
            _ => None,
        }
    }

    /// The Streamable HTTP transport, if this is one (the standalone GET stream,
    /// breaking a stream, resuming one).
    pub fn as_http(&mut self) -> Option<&mut HttpTransport> {
        match self {
            Transport::StreamableHttp(t) => Some(t),
            _ => None,
        }
    }

    /// The exchange record of either HTTP transport; `None` on stdio.
    pub fn shared(&self) -> Option<&exchange::Shared> {
        match self {
            Transport::Stdio(_) => None,
            Transport::StreamableHttp(t) => Some(t.shared()),
            Transport::Sse(t) => Some(t.shared()),
        }
    }

    /// Starts an HTTP request of a case's choosing on either HTTP transport (the
    /// exchange index and its status receiver); `None` on stdio.
    pub fn http_request(&mut self, req: &http::HttpRequest) -> Option<StartedRequest> {
        match self {
            Transport::Stdio(_) => None,
            Transport::StreamableHttp(t) => Some(t.request(req)),
            Transport::Sse(t) => Some(t.request(req)),
        }
    }

    /// Whether nothing more can arrive until the client sends again: over Streamable
    /// HTTP when every response body has ended and no stream is followed (see
    /// [`exchange::quiescent`]); never on stdio or the legacy SSE transport, where the
    /// server may write at any time.
    pub fn quiescent(&self) -> bool {
        match self {
            Transport::StreamableHttp(t) => exchange::quiescent(t.shared()),
            Transport::Stdio(_) | Transport::Sse(_) => false,
        }
    }

    /// Whether this is the stdio transport.
    pub fn is_stdio(&self) -> bool {
        matches!(self, Transport::Stdio(_))
    }

    /// Over HTTP: why request `id` will get no JSON-RPC response (see
    /// [`exchange::refused`]); always `None` on stdio.
    pub fn refused(&self, id: Option<&serde_json::Value>) -> Option<String> {
        match self {
            Transport::Stdio(_) => None,
            Transport::StreamableHttp(t) => exchange::refused(t.shared(), id),
            Transport::Sse(t) => exchange::refused(t.shared(), id),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Stdio(_) => "stdio",
            Transport::StreamableHttp(_) => "streamable-http",
            Transport::Sse(_) => "sse",
        }
    }

    /// Sends one message (already serialized, without the trailing newline).
    pub async fn send(&mut self, text: &str) -> Result<(), TransportError> {
        match self {
            Transport::Stdio(t) => t.send_line(text).await,
            Transport::StreamableHttp(t) => t.send(text).await,
            Transport::Sse(t) => t.send(text).await,
        }
    }

    /// Waits up to `wait` for the next event; `None` when nothing arrived in time.
    pub async fn recv(&mut self, wait: Duration) -> Option<Incoming> {
        match self {
            Transport::Stdio(t) => t.recv(wait).await,
            Transport::StreamableHttp(t) => t.recv(wait).await,
            Transport::Sse(t) => t.recv(wait).await,
        }
    }

    /// What the server wrote to its diagnostic channel so far (stderr for stdio; a
    /// line per HTTP exchange for the HTTP transports).
    pub fn diagnostics(&self) -> String {
        match self {
            Transport::Stdio(t) => t.stderr_text(),
            Transport::StreamableHttp(t) => t.diagnostics(),
            Transport::Sse(t) => t.diagnostics(),
        }
    }

    /// Stops the server (or ends the HTTP session) and releases everything; never blocks long.
    pub async fn shutdown(&mut self) {
        match self {
            Transport::Stdio(t) => t.shutdown().await,
            Transport::StreamableHttp(t) => t.shutdown().await,
            Transport::Sse(t) => t.shutdown().await,
        }
    }
}

/// Classifies one line of server output.
pub fn classify_line(bytes: &[u8]) -> Option<Incoming> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Some(Incoming::Invalid {
                raw: String::from_utf8_lossy(bytes).into_owned(),
                reason: format!("output is not valid UTF-8 ({e})"),
            })
        }
    };
    let trimmed = text.trim_end_matches(['\n', '\r']);
    if trimmed.trim().is_empty() {
        // A blank line carries no message; tolerated, not judged.
        return None;
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => Some(Incoming::Message(v)),
        Ok(other) => Some(Incoming::Invalid {
            raw: trimmed.to_string(),
            reason: format!(
                "line is JSON but not a JSON-RPC message (a {})",
                crate::json_schema::json_type(&other)
            ),
        }),
        // The parser's nesting limit is the harness's, not a rule of the protocol: JSON
        // nested deeper is still JSON, so nothing about the server can be judged.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            Some(Incoming::PolicyRefusal {
                policy: format!(
                    "harness policy: a line of output nests JSON deeper than the harness's parser reads ({NESTING_LIMIT} levels), so the harness did not read it (no MCP rule limits nesting)"
                ),
                evidence: trimmed.chars().take(200).collect::<String>() + "…",
            })
        }
        Err(e) => Some(Incoming::Invalid {
            raw: trimmed.to_string(),
            reason: format!("line is not JSON ({e})"),
        }),
    }
}

/// How deep the JSON parser reads nested arrays and objects (serde_json's limit).
pub const NESTING_LIMIT: usize = 128;

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON nested deeper than the parser reads is the harness's limit, not the
    /// server's fault; shallower nesting is an ordinary message.
    #[test]
    fn nesting_beyond_the_parser_is_a_policy_refusal() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            classify_line(deep.as_bytes()),
            Some(Incoming::PolicyRefusal { .. })
        ));
        let shallow = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(matches!(
            classify_line(shallow.as_bytes()),
            Some(Incoming::Message(_))
        ));
        assert!(matches!(
            classify_line(b"{not json"),
            Some(Incoming::Invalid { .. })
        ));
    }
}
