//! Before the cases: ask the server which revisions it speaks.
//!
//! For every session-based revision the harness starts the server, sends `initialize`
//! with that revision and records the answer. A revision counts as supported when
//! the server echoes it (LIFE-03). The answers also give the declared capabilities
//! that capability-gated cases need.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::report::model::Direction;
use crate::revision::SESSION_REVISIONS;
use crate::session::Session;

use super::RunConfig;

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
    /// Revisions the server echoed, oldest first.
    pub supported: Vec<String>,
    /// Over HTTP: the answer to a request without credentials.
    pub auth: Option<super::auth::AuthProbe>,
}

impl Facts {
    pub fn newest_supported(&self) -> Option<&str> {
        self.supported.last().map(String::as_str)
    }

    /// The `initialize` result for a revision the server supports.
    pub fn init_result(&self, rev: &str) -> Option<&Value> {
        self.outcomes.get(rev)?.result.as_ref()
    }

    /// True when no probe got any answer: the target cannot be tested at all.
    pub fn unreachable(&self) -> bool {
        self.outcomes.values().all(|o| !o.answered)
            && !self.auth.as_ref().is_some_and(|a| a.demands_token())
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

pub fn initialize_params(revision: &str, client_capabilities: &Value) -> Value {
    json!({
        "protocolVersion": revision,
        "capabilities": client_capabilities,
        "clientInfo": {"name": "mcp-conform", "version": env!("CARGO_PKG_VERSION")}
    })
}

/// Probes one revision in a fresh server process.
pub async fn probe_revision(cfg: &RunConfig, revision: &str) -> ProbeOutcome {
    let mut outcome = ProbeOutcome {
        requested: revision.to_string(),
        ..ProbeOutcome::default()
    };
    let transport = match cfg.connect() {
        Ok(t) => t,
        Err(e) => {
            outcome.problem = Some(e.to_string());
            return outcome;
        }
    };
    let mut session = Session::new(transport, json!({}));
    let answer = session
        .request(
            json!("mcp-conform-probe"),
            "initialize",
            initialize_params(revision, &json!({})),
            cfg.timeout,
        )
        .await;
    match answer {
        Ok(resp) => {
            outcome.answered = true;
            // The probe only learns; judging a malformed envelope is the cases' job.
            match (resp.get("result"), resp.get("error")) {
                (Some(r), _) if r.is_object() => outcome.result = Some(r.clone()),
                (_, Some(e)) => {
                    outcome.problem = Some(format!("error response to initialize: {e}"))
                }
                _ => outcome.problem = Some(format!("malformed answer to initialize: {resp}")),
            }
        }
        Err(e) => outcome.problem = Some(e),
    }
    let (transcript, stderr, _) = session.finish().await;
    // Output that is not JSON-RPC (a pretty-printed answer, say) still shows a live server.
    outcome.answered |= transcript
        .iter()
        .any(|t| t.direction == Direction::Received);
    outcome.stderr = stderr;
    outcome
}

/// Probes every session-based revision (in parallel) and derives the facts.
pub async fn probe(cfg: &RunConfig) -> Facts {
    let mut set = tokio::task::JoinSet::new();
    for rev in SESSION_REVISIONS {
        let cfg = cfg.clone();
        set.spawn(async move { probe_revision(&cfg, rev).await });
    }
    let mut facts = Facts {
        auth: super::auth::probe(cfg).await,
        ..Facts::default()
    };
    let bearer = cfg.http.as_ref().is_some_and(|h| h.bearer.is_some());
    if !bearer && facts.auth.as_ref().is_some_and(|a| a.demands_token()) {
        // Every initialize would get the same 401: only the auth cases can run.
        return facts;
    }
    while let Some(done) = set.join_next().await {
        if let Ok(o) = done {
            facts.outcomes.insert(o.requested.clone(), o);
        }
    }
    facts.supported = SESSION_REVISIONS
        .iter()
        .filter(|r| facts.outcomes.get(**r).and_then(|o| o.answered_version()) == Some(**r))
        .map(|r| r.to_string())
        .collect();
    facts
}
