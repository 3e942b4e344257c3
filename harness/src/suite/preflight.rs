//! Before the cases: ask the server which revisions it speaks, and whether it demands
//! a token. The answers are the [`Facts`] every case is planned from.
//!
//! Over HTTP, one request without credentials goes first ([`probe_auth`]).
//! Authorization is "in use" when the user gave `--bearer` or when the server answered
//! that request with 401. The `auth` cases run only then; when the server demands a
//! token and the user gave none, every other case is skipped with that reason.
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

use std::time::Duration;

use serde_json::{json, Value};

use crate::case::TransportKind;
use crate::client::connection;
use crate::client::facts::{AuthProbe, Facts, ProbeOutcome};
use crate::client::handshake::initialize_params;
use crate::client::RunConfig;
use crate::outcome::Direction;
use crate::revision::{MODERN_REVISIONS, SESSION_REVISIONS, STATELESS_REVISION};
use crate::transport::http::client;

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
    let mut session = match connection::connect(cfg, requested, &json!({})).await {
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

/// Sends one `initialize` (Streamable HTTP) or opens the SSE stream (legacy) without an
/// `Authorization` header; `None` for stdio targets.
pub async fn probe_auth(cfg: &RunConfig) -> Option<AuthProbe> {
    let target = cfg.http.as_ref()?;
    let mut out = AuthProbe::default();
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            out.problem = Some(e.to_string());
            return Some(out);
        }
    };
    let newest = crate::revision::SESSION_REVISIONS
        .last()
        .copied()
        .unwrap_or("2025-11-25");
    let req = match target.kind {
        TransportKind::Sse => client
            .get(target.url.clone())
            .header("accept", "text/event-stream"),
        _ => client
            .post(target.url.clone())
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(
                json!({
                    "jsonrpc": "2.0",
                    "id": "mcp-conform-auth-probe",
                    "method": "initialize",
                    "params": initialize_params(newest, &json!({})),
                })
                .to_string(),
            ),
    };
    // Only the head matters; the body (perhaps an endless stream) is dropped unread.
    match tokio::time::timeout(cfg.timeout.max(Duration::from_secs(1)), req.send()).await {
        Ok(Ok(resp)) => {
            out.status = Some(resp.status().as_u16());
            out.challenge = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
        }
        Ok(Err(e)) => out.problem = Some(e.to_string()),
        Err(_) => out.problem = Some("no answer in time".into()),
    }
    Some(out)
}

/// Probes every session-based revision and `server/discover` and derives the facts.
pub async fn probe(cfg: &RunConfig) -> Facts {
    let auth = probe_auth(cfg).await;
    let bearer = cfg.http.as_ref().is_some_and(|h| h.bearer.is_some());
    if !bearer && auth.as_ref().is_some_and(|a| a.demands_token()) {
        // Every initialize (and server/discover) would get the same 401: only the auth
        // cases can run.
        return Facts {
            auth,
            ..Facts::default()
        };
    }
    let mut facts = Facts {
        auth,
        ..Facts::default()
    };
    // First the newest session revision and `server/discover` (the legacy HTTP+SSE
    // transport has no stateless form); the other revisions only when either got any
    // answer, so that a server that says nothing is known as such after one start-up
    // wait, not after one per revision.
    let (newest, older) = match SESSION_REVISIONS.split_last() {
        Some((newest, older)) => (*newest, older),
        None => return facts,
    };
    let discover = (cfg.transport_kind() != TransportKind::Sse).then(|| {
        let cfg = cfg.clone();
        tokio::spawn(async move { probe_discover(&cfg).await })
    });
    let first = probe_revision(cfg, newest).await;
    let discovered = match discover {
        Some(h) => h.await.ok(),
        None => None,
    };
    let heard = first.answered || discovered.as_ref().is_some_and(|d| d.answered);
    facts.outcomes.insert(first.requested.clone(), first);
    if heard {
        let mut set = tokio::task::JoinSet::new();
        for rev in older {
            let cfg = cfg.clone();
            set.spawn(async move { probe_revision(&cfg, rev).await });
        }
        while let Some(done) = set.join_next().await {
            if let Ok(o) = done {
                facts.outcomes.insert(o.requested.clone(), o);
            }
        }
    }
    if let Some(d) = discovered {
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

/// Why the suite cannot run against a target at all.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// No probe got any answer: the target cannot be started or reached.
    #[error("the target `{target}` cannot be tested: {reason}")]
    Unreachable { target: String, reason: String },
}

/// The facts, unless no probe got any answer from the target described as `target`.
pub fn reachable(facts: Facts, target: &str) -> Result<Facts, SetupError> {
    if facts.unreachable() {
        return Err(SetupError::Unreachable {
            target: target.to_string(),
            reason: facts.unreachable_reason(),
        });
    }
    Ok(facts)
}
