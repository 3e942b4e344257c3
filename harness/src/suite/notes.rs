//! What the report says about the server besides the cases: its revisions,
//! `serverInfo` and capabilities, and notes on what was not tested and why.

use std::collections::BTreeSet;

use crate::client::facts::Facts;
use crate::client::RunConfig;
use crate::outcome::{CaseResult, ServerFacts, Verdict};
use crate::revision::MODERN_REVISIONS;

use super::plan::run_revision;

/// The server's facts for the report, with a note for every revision not tested.
pub fn server_facts(facts: &Facts, cfg: &RunConfig) -> ServerFacts {
    let negotiated = run_revision(cfg, facts);
    let init = negotiated
        .as_deref()
        .and_then(|r| facts.init_result(r))
        .or_else(|| facts.outcomes.values().find_map(|o| o.result.as_ref()));
    let discovered = facts.discover.as_ref().and_then(|d| d.result.as_ref());
    let mut notes = Vec::new();
    for (rev, o) in &facts.outcomes {
        if facts.supported.contains(rev) {
            continue;
        }
        let why = match (o.answered_version(), &o.problem) {
            (Some(v), _) => format!("asked for {rev}, the server answered {v}"),
            (None, Some(p)) => format!("asked for {rev}: {p}"),
            (None, None) => format!("asked for {rev}: no protocolVersion in the answer"),
        };
        notes.push(format!("{rev} not tested: {why}"));
    }
    notes.extend(modern_notes(facts, cfg));
    let bearer = cfg.http.as_ref().is_some_and(|h| h.bearer.is_some());
    let token_missing = facts.auth.as_ref().is_some_and(|a| a.demands_token()) && !bearer;
    if token_missing {
        notes.push(
            "the server answered 401 without a token: only the auth cases ran; pass \
             --bearer TOKEN to test the rest"
                .into(),
        );
    }
    ServerFacts {
        supported_revisions: facts.runnable(),
        negotiated_revision: negotiated,
        // A stateless-only server names itself in server/discover's `_meta`.
        server_info: init
            .and_then(|r| r.get("serverInfo"))
            .or_else(|| {
                discovered.and_then(|r| r.pointer("/_meta/io.modelcontextprotocol~1serverInfo"))
            })
            .cloned(),
        capabilities: init
            .and_then(|r| r.get("capabilities"))
            .or_else(|| discovered.and_then(|r| r.get("capabilities")))
            .cloned(),
        notes,
        token_missing,
    }
}

/// Why the stateless revision (2026-07-28) was or was not tested.
fn modern_notes(facts: &Facts, cfg: &RunConfig) -> Vec<String> {
    let mut notes = Vec::new();
    for rev in MODERN_REVISIONS {
        if facts.modern.iter().any(|m| m == rev) {
            if cfg.revision_pin.as_deref().is_some_and(|p| p != rev) {
                notes.push(format!(
                    "{rev} not tested: the server supports it (server/discover), but the run is pinned to another revision"
                ));
            }
            continue;
        }
        let why = match &facts.discover {
            None => "the legacy HTTP+SSE transport has no stateless form".to_string(),
            Some(d) => match (&d.result, &d.problem) {
                (Some(r), _) => format!(
                    "server/discover does not list it (supportedVersions: {})",
                    r.get("supportedVersions")
                        .unwrap_or(&serde_json::Value::Null)
                ),
                (None, Some(p)) => p.clone(),
                (None, None) => "no answer to server/discover".to_string(),
            },
        };
        notes.push(format!("{rev} not tested: {why}"));
    }
    notes
}

/// The note naming the revisions cases ran at, first among the notes (none when every
/// case skipped).
pub fn note_revisions_tested(server: &mut ServerFacts, results: &[CaseResult]) {
    let tested: BTreeSet<&str> = results
        .iter()
        .filter(|r| r.verdict != Verdict::Skip)
        .filter_map(|r| r.revision.as_deref())
        .collect();
    if !tested.is_empty() {
        let list: Vec<&str> = tested.into_iter().collect();
        server
            .notes
            .insert(0, format!("revisions tested: {}", list.join(", ")));
    }
}
