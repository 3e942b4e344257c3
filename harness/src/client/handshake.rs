//! The handshake: one for every user of a connection (a case's setup, the preflight,
//! fuzzing, path traversal), aware of the two eras.
//!
//! - Session revisions: `initialize` with the revision and the client's capabilities,
//!   then `notifications/initialized`.
//! - The stateless revision (2026-07-28): nothing to negotiate; every request carries
//!   the per-request `_meta` (and over HTTP the metadata headers). When a user needs
//!   the server's description, `server/discover` stands in for the `initialize`
//!   result (both carry `capabilities`).

use std::time::Duration;

use serde_json::{json, Value};

use super::request_meta::{client_info, RequestMeta};
use super::session::Session;
use crate::case::Given;
use crate::revision::is_modern;
use crate::transport::TransportError;

/// Id of the harness's own `initialize`.
pub const INIT_ID: &str = "mcp-conform-init";
/// Id of the harness's own `server/discover` (2026-07-28).
pub const DISCOVER_ID: &str = "mcp-conform-discover";

/// How far the handshake goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Nothing is sent: the server is fresh.
    Fresh,
    /// `initialize` answered, `notifications/initialized` not sent yet (at 2026-07-28
    /// as `Fresh`).
    InitializeAnswered,
    /// Ready for requests: `initialize` answered and `notifications/initialized` sent
    /// (at 2026-07-28 nothing is sent).
    Initialized,
    /// Ready, with the server's description: as `Initialized`, and at 2026-07-28
    /// `server/discover` answered with a result.
    Described,
}

impl From<Given> for Stage {
    fn from(given: Given) -> Stage {
        match given {
            Given::Fresh => Stage::Fresh,
            Given::InitializeAnswered => Stage::InitializeAnswered,
            Given::Initialized => Stage::Initialized,
        }
    }
}

/// What the client says in the handshake.
#[derive(Debug, Clone)]
pub struct Hello<'a> {
    pub revision: &'a str,
    pub client_capabilities: &'a Value,
    pub stage: Stage,
    /// How long to wait for each answer.
    pub wait: Duration,
    /// Whether an `initialize` answered with another revision is an error: a case
    /// runs only at a revision the server echoed when probed, while fuzzing and
    /// traversal take whatever the server negotiates.
    pub require_echo: bool,
}

/// Why the handshake did not bring the server to its stage.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HandshakeError {
    /// No answer (the reason names the method).
    #[error("{0}")]
    Unanswered(String),
    #[error("{method} was not answered with a result: {response}")]
    NoResult {
        method: &'static str,
        response: Value,
    },
    #[error("asked for revision {asked}, which the server echoed when probed, but now it answered `{answered}`")]
    OtherRevision { asked: String, answered: String },
    #[error("{0}")]
    Send(TransportError),
}

/// The client capabilities of the campaigns (fuzzing, path traversal): roots,
/// answered with an empty list, so tools that ask for roots can run.
pub fn campaign_capabilities() -> Value {
    json!({"roots": {}})
}

/// `initialize` params for `revision` with these client capabilities.
pub fn initialize_params(revision: &str, client_capabilities: &Value) -> Value {
    json!({
        "protocolVersion": revision,
        "capabilities": client_capabilities,
        "clientInfo": client_info()
    })
}

/// The `_meta` the harness sends at a stateless revision with these client capabilities.
pub fn request_meta(revision: &str, client_capabilities: &Value) -> RequestMeta {
    RequestMeta {
        protocol_version: revision.to_string(),
        client_capabilities: client_capabilities.clone(),
        log_level: None,
    }
}

/// What holds before anything is sent: at a stateless revision every request the
/// session sends carries the per-request `_meta` from now on.
pub fn begin(session: &mut Session, revision: &str, client_capabilities: &Value) {
    if is_modern(revision) {
        session.set_request_meta(request_meta(revision, client_capabilities));
    }
}

/// Brings a fresh session to `hello.stage`. Returns the `initialize` result (or at
/// 2026-07-28 with [`Stage::Described`] the `server/discover` result); `None` when
/// nothing was asked.
pub async fn handshake(
    session: &mut Session,
    hello: &Hello<'_>,
) -> Result<Option<Value>, HandshakeError> {
    begin(session, hello.revision, hello.client_capabilities);
    if is_modern(hello.revision) {
        if hello.stage != Stage::Described {
            return Ok(None);
        }
        return ask(
            session,
            DISCOVER_ID,
            "server/discover",
            json!({}),
            hello.wait,
        )
        .await
        .map(Some);
    }
    if hello.stage == Stage::Fresh {
        return Ok(None);
    }
    let params = initialize_params(hello.revision, hello.client_capabilities);
    let result = ask(session, INIT_ID, "initialize", params, hello.wait).await?;
    let answered = result
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if hello.require_echo && answered != hello.revision {
        return Err(HandshakeError::OtherRevision {
            asked: hello.revision.to_string(),
            answered: answered.to_string(),
        });
    }
    if matches!(hello.stage, Stage::Initialized | Stage::Described) {
        session
            .send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await
            .map_err(HandshakeError::Send)?;
    }
    Ok(Some(result))
}

/// Sends one request of the handshake; its result, which must be an object.
async fn ask(
    session: &mut Session,
    id: &str,
    method: &'static str,
    params: Value,
    wait: Duration,
) -> Result<Value, HandshakeError> {
    let response = session
        .request(json!(id), method, params, wait)
        .await
        .map_err(HandshakeError::Unanswered)?;
    match response.get("result").filter(|r| r.is_object()) {
        Some(result) => Ok(result.clone()),
        None => Err(HandshakeError::NoResult { method, response }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Direction;
    use crate::transport::stdio::Launch;
    use crate::transport::{Limits, Transport};

    /// What a handshake at `revision` up to `stage` sends to a server that never
    /// answers (a shell loop that reads its stdin and says nothing).
    fn sent_by(revision: &str, stage: Stage) -> (Result<Option<Value>, String>, bool, Vec<Value>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let launch = Launch {
                program: "sh".into(),
                args: vec!["-c".into(), "while read -r _; do :; done".into()],
                env: Vec::new(),
                cwd: None,
            };
            let transport = Transport::stdio(&launch, Limits::default()).expect("starts");
            let mut session = Session::new(transport, json!({}));
            let hello = Hello {
                revision,
                client_capabilities: &json!({"roots": {}}),
                stage,
                wait: Duration::from_millis(200),
                require_echo: true,
            };
            let result = handshake(&mut session, &hello)
                .await
                .map_err(|e| e.to_string());
            let stateless = session.request_meta().is_some();
            let (transcript, _, _) = session.finish().await;
            let sent = transcript
                .into_iter()
                .filter(|t| t.direction == Direction::Sent)
                .map(|t| t.body.value())
                .collect();
            (result, stateless, sent)
        })
    }

    #[test]
    fn the_handshake_follows_the_era_and_the_stage() {
        // A fresh server: nothing is sent in either era; at 2026-07-28 requests will
        // carry the per-request `_meta`.
        let (result, stateless, sent) = sent_by("2025-11-25", Stage::Fresh);
        assert_eq!((result, stateless, sent.len()), (Ok(None), false, 0));
        let (result, stateless, sent) = sent_by("2026-07-28", Stage::Initialized);
        assert_eq!((result, stateless, sent.len()), (Ok(None), true, 0));
        // A session revision asks `initialize` first; without an answer it stops there.
        let (result, _, sent) = sent_by("2025-06-18", Stage::Initialized);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["method"], "initialize");
        assert_eq!(sent[0]["id"], INIT_ID);
        assert_eq!(sent[0]["params"]["protocolVersion"], "2025-06-18");
        assert!(
            result
                .as_ref()
                .is_err_and(|e| e.starts_with("`initialize`: no answer")),
            "{result:?}"
        );
        // The stateless revision describes the server with `server/discover`, which
        // carries the per-request `_meta`.
        let (result, _, sent) = sent_by("2026-07-28", Stage::Described);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["method"], "server/discover");
        assert_eq!(
            sent[0]["params"]["_meta"][crate::revision::META_PROTOCOL_VERSION],
            "2026-07-28"
        );
        assert!(result.is_err());
    }
}
