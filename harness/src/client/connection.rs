//! A restartable connection to the server under test: the run's configuration, the
//! revision and client capabilities to speak with, and the live session (transport
//! included). Fuzzing and path traversal keep one for a whole campaign and restart it
//! when the server dies or stops answering; the preflight opens fresh sessions with
//! [`connect`].

use serde_json::Value;

use super::config::RunConfig;
use super::handshake::{self, HandshakeError, Hello, Stage};
use super::session::Session;
use crate::check::Violation;
use crate::outcome::TranscriptEntry;
use crate::transport::TransportError;

/// Most bytes of server stderr a connection keeps across its sessions.
const STDERR_LOG_CAP: usize = 32 * 1024;

/// Why a connection could not be (re)started.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Unreachable(TransportError),
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
}

/// What a session leaves when it ends: its transcript, the server's diagnostics
/// (stderr), and the violations not taken yet.
pub type Ended = (Vec<TranscriptEntry>, String, Vec<Violation>);

/// A fresh session at `revision`: a new connection (a process, or an HTTP client),
/// nothing sent yet; at a stateless revision its requests carry the per-request `_meta`.
/// A server the harness starts waits for a start-up place first (see
/// [`RunConfig::startup_slot`]).
pub async fn connect(
    cfg: &RunConfig,
    revision: &str,
    client_capabilities: &Value,
) -> Result<Session, TransportError> {
    let slot = cfg.startup_slot().await;
    let transport = cfg.connect()?;
    let mut session = cfg.session(transport, client_capabilities.clone(), slot);
    handshake::begin(&mut session, revision, client_capabilities);
    Ok(session)
}

/// One server connection at one revision, restarted on demand.
pub struct Connection<'a> {
    cfg: &'a RunConfig,
    revision: String,
    client_capabilities: Value,
    stage: Stage,
    session: Option<Session>,
    starts: u32,
    stderr_log: String,
}

impl<'a> Connection<'a> {
    /// A connection that each start brings to `stage` (nothing is started yet).
    pub fn new(
        cfg: &'a RunConfig,
        revision: &str,
        client_capabilities: Value,
        stage: Stage,
    ) -> Connection<'a> {
        Connection {
            cfg,
            revision: revision.to_string(),
            client_capabilities,
            stage,
            session: None,
            starts: 0,
            stderr_log: String::new(),
        }
    }

    pub fn config(&self) -> &'a RunConfig {
        self.cfg
    }

    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Connections opened so far (the first included).
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// (Re)starts: ends the running session, opens a new connection and runs the
    /// handshake. Returns the handshake's result (the `initialize` result, or at
    /// 2026-07-28 the `server/discover` one when the stage asks for it). A failed
    /// handshake ends its session (its stderr goes to the log).
    pub async fn start(&mut self) -> Result<Option<Value>, ConnectError> {
        self.stop().await;
        let mut session = connect(self.cfg, &self.revision, &self.client_capabilities)
            .await
            .map_err(ConnectError::Unreachable)?;
        self.starts += 1;
        let hello = Hello {
            revision: &self.revision,
            client_capabilities: &self.client_capabilities,
            stage: self.stage,
            wait: self.cfg.timeout,
            require_echo: false,
        };
        match handshake::handshake(&mut session, &hello).await {
            Ok(result) => {
                self.session = Some(session);
                Ok(result)
            }
            Err(e) => {
                self.session = Some(session);
                self.stop().await;
                Err(e.into())
            }
        }
    }

    /// Whether a session is running and its connection is not closed.
    pub fn is_open(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.closed().is_none())
    }

    /// Starts the connection unless it is open.
    pub async fn ensure(&mut self) -> Result<(), ConnectError> {
        if self.is_open() {
            return Ok(());
        }
        self.start().await.map(|_| ())
    }

    /// The running session, if any.
    pub fn session(&mut self) -> Option<&mut Session> {
        self.session.as_mut()
    }

    /// Ends the running session (if any): stops the server and returns what the
    /// session leaves; its stderr is also appended to the log.
    pub async fn stop(&mut self) -> Option<Ended> {
        let session = self.session.take()?;
        let (transcript, stderr, violations) = session.finish().await;
        if self.stderr_log.len() < STDERR_LOG_CAP {
            self.stderr_log.push_str(&stderr);
        }
        Some((transcript, stderr, violations))
    }

    /// The stderr of every session ended so far (capped), taken out of the log.
    pub fn take_stderr_log(&mut self) -> String {
        std::mem::take(&mut self.stderr_log)
    }
}
