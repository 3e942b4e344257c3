//! What the harness learns about the server before the cases (the preflight in
//! `suite::preflight` fills it in): which revisions it speaks, its `initialize` and
//! `server/discover` answers, and how it answers a request without credentials.
//!
//! Plain data, read by every layer that runs something against the server.

use std::collections::BTreeMap;

use serde_json::Value;

/// One preflight request and what came of it: an `initialize` at one revision, or
/// `server/discover`.
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
    pub auth: Option<AuthProbe>,
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

/// The answer to a request sent without credentials.
#[derive(Debug, Clone, Default)]
pub struct AuthProbe {
    /// HTTP status, or `None` when the request failed.
    pub status: Option<u16>,
    /// The `WWW-Authenticate` header of that answer.
    pub challenge: Option<String>,
    /// Why there is no status.
    pub problem: Option<String>,
}

impl AuthProbe {
    /// The server refused the request for lack of credentials.
    pub fn demands_token(&self) -> bool {
        self.status == Some(401)
    }
}
