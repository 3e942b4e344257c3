//! Transport-independent session core: per-session state, the output
//! channel, in-flight request tracking (cancellation) and requests that the
//! server sends to the client.
//!
//! A transport creates one [`Session`] per MCP session, feeds it incoming
//! text with [`Session::handle_text`] (see `protocol.rs`) and forwards every
//! [`Outgoing`] item from the channel to the peer, in order.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::faults::Faults;
use crate::jsonrpc::{self, Responder, RpcError};
use crate::logging::LogLevel;
use crate::version::Revision;

/// A boxed, sendable future (used for asynchronous request handlers).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Static server configuration shared by all sessions.
#[derive(Debug, Clone)]
pub struct Config {
    pub faults: Faults,
    /// Legal but unusual choices (`--variant`), see `variants.rs`.
    pub variants: crate::variants::Variants,
    /// Page size of the paginated list methods (at least 1).
    pub page_size: usize,
    /// `--root DIR` (canonical): serve the files under it (see `files.rs`).
    pub root: Option<std::path::PathBuf>,

    /// Speak only 2026-07-28: no `initialize`, no sessions, GET/DELETE get 405.
    pub modern_only: bool,
    /// 2026-07-28 `subscriptions/listen` requests open anywhere on this front (shared
    /// by every clone of the configuration).
    pub subscriptions: crate::modern::Subscriptions,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            faults: Faults::none(),
            variants: Default::default(),
            page_size: 3,
            root: None,
            modern_only: false,
            subscriptions: Default::default(),
        }
    }
}

/// An item for the transport's single writer.
#[derive(Debug)]
pub enum Outgoing {
    /// One JSON-RPC message (or batch array) to deliver.
    Message(Value),
    /// Acknowledge once every earlier item has been delivered.
    Flush(oneshot::Sender<()>),
}

/// What the transport should do after handling input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    /// Flush the output and end the process with this exit code.
    Exit(i32),
}

/// Lifecycle phase of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No successful `initialize` yet.
    Uninitialized,
    /// `initialize` answered, `notifications/initialized` not yet received.
    Initializing,
    /// `notifications/initialized` received: the server may send requests.
    Operating,
}

/// Mutable per-session state.
#[derive(Debug)]
pub struct State {
    pub phase: Phase,
    /// The revision whose rules apply (set by `initialize`).
    pub revision: Option<Revision>,
    /// The client's declared capabilities.
    pub client_capabilities: Value,
    /// Minimum level of `notifications/message` sent to the client.
    pub log_level: LogLevel,
    /// Subscribed resource URIs.
    pub subscriptions: BTreeSet<String>,
    /// Whether `toggle_extra` has added the extra tool/resource/prompt.
    pub extra_enabled: bool,
    /// The id of the `initialize` request (JSON text), once one was answered.
    pub init_id: Option<String>,
    /// 2026-07-28: the request being served asked for a later page (a cursor).
    pub modern_page_cursor_seen: bool,
    /// 2026-07-28, only with the fault that breaks statelessness: capabilities that
    /// earlier requests declared.
    pub modern_remembered_capabilities: Option<Value>,
    /// Requests being served asynchronously, by id key (see [`id_key`]).
    in_flight: HashMap<String, AbortHandle>,
    /// Our own requests awaiting the client's response, by id key.
    pending: HashMap<String, oneshot::Sender<Result<Value, Value>>>,
}

impl State {
    fn new() -> Self {
        State {
            phase: Phase::Uninitialized,
            revision: None,
            client_capabilities: json!({}),
            log_level: LogLevel::DEFAULT,
            subscriptions: BTreeSet::new(),
            extra_enabled: false,
            init_id: None,
            modern_page_cursor_seen: false,
            modern_remembered_capabilities: None,
            in_flight: HashMap::new(),
            pending: HashMap::new(),
        }
    }
}

/// A canonical map key for a JSON-RPC id that keeps its JSON type
/// (`"1"` and `1` are different ids).
pub fn id_key(id: &Value) -> String {
    id.to_string()
}

/// Why a request to the client failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientRequestError {
    /// The client answered with a JSON-RPC error.
    Error(Value),
    /// No answer in time (a `notifications/cancelled` was sent).
    Timeout,
    /// The session is gone.
    Closed,
}

/// One MCP session.
pub struct Session {
    pub config: Config,
    pub responder: Responder,
    out: mpsc::UnboundedSender<Outgoing>,
    state: Mutex<State>,
    next_request_id: AtomicU64,
}

impl Session {
    /// Creates a session that writes to `out`.
    pub fn new(config: Config, out: mpsc::UnboundedSender<Outgoing>) -> Arc<Session> {
        Arc::new(Session {
            responder: Responder::new(config.faults.clone()).with_variants(config.variants.clone()),
            config,
            out,
            state: Mutex::new(State::new()),
            next_request_id: AtomicU64::new(1),
        })
    }

    /// Locks the session state (a poisoned lock is still usable: the state
    /// is plain data).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the extra resource and prompt are present: with `toggle_extra`, unless
    /// the `list-change-tools-only` variant keeps those lists fixed.
    pub fn extra_resource_and_prompt(&self) -> bool {
        self.state().extra_enabled
            && !self
                .config
                .variants
                .has(crate::variants::Variant::ListChangeToolsOnly)
    }

    pub fn faults(&self) -> &Faults {
        &self.config.faults
    }

    /// The revision in force: the negotiated one, or the newest before
    /// initialization (only reachable with the `serve-before-init` fault).
    pub fn revision(&self) -> Revision {
        self.state().revision.unwrap_or(Revision::LATEST)
    }

    /// Whether the transport has stopped taking this session's output.
    pub fn is_closed(&self) -> bool {
        self.out.is_closed()
    }

    /// Queues a message for the writer.
    pub fn send(&self, msg: Value) {
        // A closed channel means the transport is shutting down: drop it.
        let _ = self.out.send(Outgoing::Message(msg));
    }

    /// Sends a notification to the client.
    pub fn notify(&self, method: &str, params: Option<Value>) {
        self.send(jsonrpc::notification(method, params));
    }

    /// Sends an error response.
    pub fn send_error(&self, id: &Value, err: &RpcError) {
        self.send(self.responder.error(id, err));
    }

    /// Resolves once everything queued so far has been written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.out.send(Outgoing::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Emits `notifications/message` if `level` passes the session's minimum.
    pub fn log(&self, level: LogLevel, data: Value) -> bool {
        if level < self.state().log_level {
            return false;
        }
        self.log_unfiltered(level, data);
        true
    }

    /// Emits `notifications/message` whatever the session's minimum (the
    /// `log-ignores-level` fault).
    pub fn log_unfiltered(&self, level: LogLevel, data: Value) {
        let shown = if self.faults().has(crate::faults::Fault::LogLevelInvalid) {
            "WARN"
        } else {
            level.as_str()
        };
        let params = json!({
            "level": shown,
            "logger": "mcp-reference-server",
            "data": data,
        });
        if self.faults().has(crate::faults::Fault::NotificationWithId) {
            let id = self.next_request_id();
            self.send(
                json!({"jsonrpc": "2.0", "id": id, "method": "notifications/message",
                "params": params}),
            );
        } else {
            self.notify("notifications/message", Some(params));
        }
    }

    /// Runs `fut` as a task serving request `id`, cancellable through
    /// `notifications/cancelled` (a cancelled request gets no response).
    /// With `deliver` the task sends its response itself and yields `None`;
    /// otherwise it yields the response (used to assemble batch answers).
    pub fn spawn_request(
        self: &Arc<Self>,
        id: &Value,
        fut: BoxFuture<Result<Value, RpcError>>,
        deliver: bool,
    ) -> tokio::task::JoinHandle<Option<Value>> {
        let key = id_key(id);
        let session = Arc::clone(self);
        let id = id.clone();
        // Hold the state lock across spawn + registration so the task cannot
        // finish (and deregister) before it has been registered.
        let mut st = self.state();
        let handle = tokio::spawn(async move {
            let outcome = fut.await;
            session.state().in_flight.remove(&id_key(&id));
            let msg = match outcome {
                Ok(result) => session.responder.success(&id, result),
                Err(err) => session.responder.error(&id, &err),
            };
            if deliver {
                session.send(msg);
                None
            } else {
                Some(msg)
            }
        });
        st.in_flight.insert(key, handle.abort_handle());
        handle
    }

    /// Cancels an in-flight request. Returns false if the id is unknown.
    pub fn cancel(&self, id: &Value) -> bool {
        // A cancelled `subscriptions/listen` ends its subscription.
        self.config.subscriptions.end(self, id);
        let mut st = self.state();
        match st.in_flight.remove(&id_key(id)) {
            Some(handle) => {
                handle.abort();
                true
            }
            None => false,
        }
    }

    /// Delivers a client response to the matching pending request; unknown
    /// ids are ignored.
    pub fn deliver_response(&self, id: &Value, outcome: Result<Value, Value>) {
        let waiter = self.state().pending.remove(&id_key(id));
        if let Some(tx) = waiter {
            let _ = tx.send(outcome);
        }
    }

    /// Allocates an id for a request sent by the server.
    pub fn next_request_id(&self) -> Value {
        let n = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        let n = if self
            .faults()
            .has(crate::faults::Fault::ServerRequestIdReuse)
        {
            1
        } else {
            n
        };
        Value::String(format!("srv-{n}"))
    }

    /// Sends a request to the client without waiting for the answer (the
    /// answer, if any, is ignored).
    pub fn send_request_detached(&self, method: &str, params: Option<Value>) {
        let id = self.next_request_id();
        self.send(jsonrpc::request(&id, method, params));
    }

    /// Sends a request to the client and waits for its response.
    pub async fn request_client(
        self: &Arc<Self>,
        method: &str,
        params: Option<Value>,
        timeout: Duration,
    ) -> Result<Value, ClientRequestError> {
        let id = self.next_request_id();
        let (tx, rx) = oneshot::channel();
        self.state().pending.insert(id_key(&id), tx);
        // Removes the pending entry however this future ends (also on abort).
        let _guard = PendingGuard {
            session: Arc::clone(self),
            key: id_key(&id),
        };
        self.send(jsonrpc::request(&id, method, params));
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(error))) => Err(ClientRequestError::Error(error)),
            Ok(Err(_)) => Err(ClientRequestError::Closed),
            Err(_) => {
                self.notify(
                    "notifications/cancelled",
                    Some(json!({"requestId": id, "reason": "timed out"})),
                );
                Err(ClientRequestError::Timeout)
            }
        }
    }
}

struct PendingGuard {
    session: Arc<Session>,
    key: String,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.session.state().pending.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_aborts_and_suppresses_response() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let s = Session::new(Config::default(), tx);
        let h = s.spawn_request(
            &json!(7),
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(json!({}))
            }),
            true,
        );
        assert!(
            !s.cancel(&json!("7")),
            "string id must not match integer id"
        );
        assert!(s.cancel(&json!(7)));
        assert!(h.await.is_err_and(|e| e.is_cancelled()));
        assert!(!s.cancel(&json!(7)));
        assert!(rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn client_request_round_trip_and_timeout() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let s = Session::new(Config::default(), tx);
        let s2 = Arc::clone(&s);
        let task = tokio::spawn(async move {
            s2.request_client("roots/list", None, Duration::from_secs(5))
                .await
        });
        let Some(Outgoing::Message(req)) = rx.recv().await else {
            panic!("expected request");
        };
        assert_eq!(req["method"], "roots/list");
        s.deliver_response(&json!("unknown"), Ok(json!({})));
        s.deliver_response(&req["id"], Ok(json!({"roots": []})));
        assert_eq!(task.await.expect("join"), Ok(json!({"roots": []})));
        let r = s
            .request_client("roots/list", None, Duration::from_millis(10))
            .await;
        assert_eq!(r, Err(ClientRequestError::Timeout));
        assert!(s.state().pending.is_empty());
    }
}
