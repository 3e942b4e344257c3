//! Before the cases: ask the server which revisions it speaks.
//!
//! For every session-based revision the harness starts the server, sends `initialize`
//! with that revision and records the answer. A revision counts as supported when
//! the server echoes it (LIFE-03). The answers also give the declared capabilities
//! that capability-gated cases need.
//!
//! In parallel, a fresh server is asked `server/discover` with 2026-07-28 per-request
//! metadata (the era probe of the 2026-07-28 stdio binding): a `DiscoverResult` naming
//! 2026-07-28 means the stateless cases run too; any other answer is recorded as the
//! reason why they do not.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::client::connection;
use crate::client::handshake::initialize_params;
use crate::outcome::Direction;
use crate::revision::{MODERN_REVISIONS, SESSION_REVISIONS, STATELESS_REVISION};

use crate::client::RunConfig;

#[derive(Debug, Clone, Default)]
pub struct ProbeOutcome {
    pub requested: String,
    /// The `initialize` result, when the server sent one.
    pub result: Option<Value>,
    /// Why there is no result (error response, timeout, crash).
    pub problem: Option<String>,
    /// Whether the server said anything at all (a result, an error, or unparseable output).
    pub answered: bool,
    pub stderr: String,
}

impl ProbeOutcome {
    pub fn answered_version(&self) -> Option<&str> {
        self.result.as_ref()?.get("protocolVersion")?.as_str()
    }
}

/// What the harness knows about the server before running cases.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub outcomes: BTreeMap<String, ProbeOutcome>,
    /// Session-based revisions the server echoed, oldest first.
    pub supported: Vec<String>,
    /// Over HTTP: the answer to a request without credentials.
    pub auth: Option<super::auth_probe::AuthProbe>,
    /// The `server/discover` probe (2026-07-28), when it ran.
    pub discover: Option<ProbeOutcome>,
    /// Stateless revisions the server named in `supportedVersions`.
    pub modern: Vec<String>,
}

impl Facts {
    /// The newest session-based revision the server supports.
    pub fn newest_supported(&self) -> Option<&str> {
        self.supported.last().map(String::as_str)
    }

    /// Every revision cases can run at: the session-based ones, then the stateless ones.
    pub fn runnable(&self) -> Vec<String> {
        self.supported.iter().chain(&self.modern).cloned().collect()
    }

    /// The `initialize` result for a session-based revision the server supports, or
    /// the `server/discover` result for a stateless one (both carry `capabilities`).
    pub fn init_result(&self, rev: &str) -> Option<&Value> {
        if crate::revision::is_modern(rev) {
            return self.discover.as_ref()?.result.as_ref();
        }
        self.outcomes.get(rev)?.result.as_ref()
    }

    /// True when no probe got any answer: the target cannot be tested at all.
    pub fn unreachable(&self) -> bool {
        self.outcomes.values().all(|o| !o.answered)
            && !self.auth.as_ref().is_some_and(|a| a.demands_token())
            && self.discover.as_ref().is_none_or(|o| !o.answered)
    }

    /// The most telling reason why the server could not be reached.
    pub fn unreachable_reason(&self) -> String {
        let first = self.outcomes.values().next();
        match first {
            Some(o) => {
                let mut text = o.problem.clone().unwrap_or_else(|| "no answer".into());
                let err = o.stderr.trim();
                if !err.is_empty() {
                    let tail: String = err
                        .chars()
                        .rev()
                        .take(600)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    text.push_str(&format!("\nserver stderr:\n{tail}"));
                }
                text
            }
            None => "no probe ran".into(),
        }
    }
}

/// Sends one request to a fresh server (process or HTTP session) and records the
/// outcome: `judge` turns the response into the result to keep, or why there is none;
/// `no_answer` words a missing answer. The probe only learns; judging a malformed
/// envelope is the cases' job.
async fn ask(
    cfg: &RunConfig,
    requested: &str,
    (method, params): (&str, Value),
    judge: impl Fn(&Value) -> Result<Value, String>,
    no_answer: impl Fn(String) -> String,
) -> ProbeOutcome {
    let mut outcome = ProbeOutcome {
        requested: requested.to_string(),
        ..ProbeOutcome::default()
    };
    let mut session = match connection::connect(cfg, requested, &json!({})) {
        Ok(s) => s,
        Err(e) => {
            outcome.problem = Some(e.to_string());
            return outcome;
        }
    };
    let id = json!(format!("mcp-conform-probe-{}", method.replace('/', "-")));
    match session.request(id, method, params, cfg.timeout).await {
        Ok(resp) => {
            outcome.answered = true;
            match judge(&resp) {
                Ok(r) => outcome.result = Some(r),
                Err(why) => outcome.problem = Some(why),
            }
        }
        Err(e) => outcome.problem = Some(no_answer(e)),
    }
    let (transcript, stderr, _) = session.finish().await;
    // Output that is not JSON-RPC (a pretty-printed answer, say) still shows a live server.
    outcome.answered |= transcript
        .iter()
        .any(|t| t.direction == Direction::Received);
    outcome.stderr = stderr;
    outcome
}

/// Probes one revision in a fresh server process.
pub async fn probe_revision(cfg: &RunConfig, revision: &str) -> ProbeOutcome {
    let judge = |resp: &Value| match (resp.get("result"), resp.get("error")) {
        (Some(r), _) if r.is_object() => Ok(r.clone()),
        (_, Some(e)) => Err(format!("error response to initialize: {e}")),
        _ => Err(format!("malformed answer to initialize: {resp}")),
    };
    let params = initialize_params(revision, &json!({}));
    ask(cfg, revision, ("initialize", params), judge, |e| e).await
}

/// Asks a fresh server `server/discover` at 2026-07-28. The outcome's `result` is the
/// `DiscoverResult`; `problem` says why there is none (a legacy server's error, say).
pub async fn probe_discover(cfg: &RunConfig) -> ProbeOutcome {
    let judge = |resp: &Value| match (resp.get("result"), resp.get("error")) {
        (Some(r), _) if r.get("supportedVersions").is_some_and(Value::is_array) => Ok(r.clone()),
        (Some(r), _) => Err(format!(
            "server/discover was answered without supportedVersions: {r}"
        )),
        (_, Some(e)) if e.get("code") == Some(&json!(-32022)) => Err(format!(
            "a modern server that does not support 2026-07-28 (it supports {})",
            e.pointer("/data/supported").unwrap_or(&Value::Null)
        )),
        (_, Some(e)) => Err(format!(
            "server/discover was answered with an error, so the server is of the session era: {e}"
        )),
        _ => Err(format!("malformed answer to server/discover: {resp}")),
    };
    ask(
        cfg,
        STATELESS_REVISION,
        ("server/discover", json!({})),
        judge,
        |e| format!("{e}: the server is of the session era"),
    )
    .await
}

/// Probes every session-based revision and `server/discover` (in parallel) and
/// derives the facts.
pub async fn probe(cfg: &RunConfig) -> Facts {
    let auth = super::auth_probe::probe(cfg).await;
    let bearer = cfg.http.as_ref().is_some_and(|h| h.bearer.is_some());
    if !bearer && auth.as_ref().is_some_and(|a| a.demands_token()) {
        // Every initialize (and server/discover) would get the same 401: only the auth
        // cases can run.
        return Facts {
            auth,
            ..Facts::default()
        };
    }
    let mut set = tokio::task::JoinSet::new();
    for rev in SESSION_REVISIONS {
        let cfg = cfg.clone();
        set.spawn(async move { probe_revision(&cfg, rev).await });
    }
    // The legacy HTTP+SSE transport has no stateless form.
    let discover = (cfg.transport_kind() != crate::case::TransportKind::Sse).then(|| {
        let cfg = cfg.clone();
        tokio::spawn(async move { probe_discover(&cfg).await })
    });
    let mut facts = Facts {
        auth,
        ..Facts::default()
    };
    while let Some(done) = set.join_next().await {
        if let Ok(o) = done {
            facts.outcomes.insert(o.requested.clone(), o);
        }
    }
    if let Some(Ok(d)) = match discover {
        Some(h) => Some(h.await),
        None => None,
    } {
        let named = d
            .result
            .as_ref()
            .and_then(|r| r.get("supportedVersions"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        facts.modern = MODERN_REVISIONS
            .iter()
            .filter(|r| named.iter().any(|n| n.as_str() == Some(**r)))
            .map(|r| r.to_string())
            .collect();
        facts.discover = Some(d);
    }
    facts.supported = SESSION_REVISIONS
        .iter()
        .filter(|r| facts.outcomes.get(**r).and_then(|o| o.answered_version()) == Some(**r))
        .map(|r| r.to_string())
        .collect();
    facts
}
