//! `--suggest-hints`: reads what a server offers and writes a hints file for it.
//!
//! The server is probed as for a run ([`preflight`]), then one session at the newest
//! revision both support lists its tools, resources, resource templates and prompts
//! ([`inventory`]). For each hint the heuristics ([`pick`]) rank the tools that look
//! like its trigger (annotations, name and description words, schema properties), and
//! each candidate is tried on a fresh session ([`verify`]) until one shows the
//! behaviour; tools annotated destructive or open-world are never called. The file
//! ([`write`]) keeps verified hints, comments out the rest, and says for each hint how
//! many cases it unlocks.

pub mod inventory;
pub mod pick;
pub mod verify;
pub mod write;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::client::handshake::Stage;
use crate::client::{Connection, RunConfig};
use crate::suite::preflight::{self, SetupError};
use inventory::{clip, Inventory};
use pick::Candidate;
use verify::Tried;
use write::Entry;

/// The hints file for the server of `cfg` (described as `target`), with the cases
/// each hint unlocks (`uses`: hint name → case ids); an error when the server cannot
/// be started or reached.
pub async fn suggest(
    cfg: &RunConfig,
    target: &str,
    uses: &BTreeMap<String, Vec<String>>,
) -> Result<String, SetupError> {
    let facts = preflight::reachable(preflight::probe(cfg).await, target)?;
    let unreachable = |reason: String| SetupError::Unreachable {
        target: target.to_string(),
        reason,
    };
    // `--revision` when the server speaks it, else the newest session revision (the
    // hint cases mostly run there), else the newest stateless one.
    let runnable = facts.runnable();
    let pinned = cfg
        .revision_pin
        .as_deref()
        .filter(|p| runnable.iter().any(|r| r == p));
    let revision = match pinned
        .or(facts.newest_supported())
        .or(facts.modern.last().map(String::as_str))
    {
        Some(r) => r.to_string(),
        None => {
            return Err(unreachable(
                "it supports no revision the harness speaks".into(),
            ))
        }
    };
    let mut conn = Connection::new(
        cfg,
        &revision,
        verify::client_capabilities(),
        Stage::Described,
    );
    let init = conn.start().await.map_err(|e| unreachable(e.to_string()))?;
    let inv = inventory::read(&mut conn, init).await;
    conn.stop().await;
    let mut entries = Vec::new();
    for hint in write::HINTS {
        let entry = match *hint {
            "insufficient_scope" => insufficient_scope(cfg, &revision, &inv).await,
            h => choose(cfg, &revision, h, candidates(&inv, h), &inv).await,
        };
        entries.push(entry);
    }
    Ok(write::render(&header(target, &inv), &entries, uses))
}

fn header(target: &str, inv: &Inventory) -> Vec<String> {
    let mut lines = vec![
        format!(
            "Hints for {}, suggested by mcp-conform --suggest-hints",
            clip(target)
        ),
        format!(
            "at revision {}: {} tools, {} resources, {} resource templates, {} prompts.",
            inv.revision,
            inv.tools.len(),
            inv.resources.len(),
            inv.templates,
            inv.prompts
        ),
        "Use with: mcp-conform --hints THIS_FILE ... (see cases/README.md, \"Hints\").".into(),
        "\"verified\": the harness called the tool on a fresh server and saw the behaviour;".into(),
        "anything else is commented out: check it, then uncomment.".into(),
    ];
    for p in &inv.problems {
        lines.push(format!("Could not list: {}", clip(p)));
    }
    lines
}

fn candidates(inv: &Inventory, hint: &str) -> Vec<Candidate> {
    match hint {
        "log_message" => pick::log_message(inv),
        "progress" => pick::timed(inv, "progress"),
        "long_running" => pick::timed(inv, "long_running"),
        "list_changed" => pick::list_changed(inv),
        "resource_updated" => pick::resource_updated(inv),
        "server_request" => pick::server_request(inv),
        _ => Vec::new(),
    }
}

/// Why no candidate was found for `hint`.
fn none_found(hint: &str, inv: &Inventory) -> String {
    match hint {
        "list_changed" if pick::announced_lists(inv).is_empty() => {
            "the server declares no listChanged capability".into()
        }
        "resource_updated" if !inv.declares("resources.subscribe") => {
            "the server does not declare resources.subscribe".into()
        }
        "resource_updated" if inv.resources.is_empty() => "the server lists no resource".into(),
        "log_message" if !inv.declares("logging") => {
            "the server declares no logging capability and no tool mentions logging".into()
        }
        _ => "no tool's name, description or schema suggests one".into(),
    }
}

/// Tries the candidates in order; the first that shows the behaviour is kept.
async fn choose(
    cfg: &RunConfig,
    revision: &str,
    hint: &'static str,
    cands: Vec<Candidate>,
    inv: &Inventory,
) -> Entry {
    let mut details = Vec::new();
    let mut fallback: Option<(Value, String)> = None;
    for cand in &cands {
        let clues: Vec<String> = cand.evidence.iter().map(|e| clip(e)).collect();
        let evidence = format!("tool `{}`: {}", clip(&cand.tool.name), clues.join("; "));
        match verify::verify(cfg, revision, cand).await {
            Tried::Shown(seen, value) => {
                details.insert(0, format!("evidence: {evidence}"));
                return Entry {
                    hint,
                    value: Some(value),
                    commented: None,
                    status: format!("verified: {}", clip(&seen)),
                    details,
                };
            }
            Tried::NotShown(why) => {
                details.push(format!("candidate {evidence}; not kept: {}", clip(&why)));
                fallback.get_or_insert((cand.value.clone(), why));
            }
        }
    }
    match fallback {
        Some((value, why)) => Entry {
            hint,
            value: None,
            commented: Some(value),
            status: format!("unverified guess (the best candidate: {})", clip(&why)),
            details,
        },
        None => Entry {
            hint,
            value: None,
            commented: Some(placeholder(hint)),
            status: format!("none found: {}", none_found(hint, inv)),
            details,
        },
    }
}

/// The shape of a hint to fill in by hand.
fn placeholder(hint: &str) -> Value {
    match hint {
        "resource_updated" => json!({"uri": "URI", "tool": "TOOL", "arguments": {}}),
        "server_request" => {
            json!({"tool": "TOOL", "arguments": {}, "method": "roots/list", "capability": "roots"})
        }
        "insufficient_scope" => {
            json!({"method": "tools/call", "params": {"name": "TOOL", "arguments": {}}})
        }
        _ => json!({"tool": "TOOL", "arguments": {}}),
    }
}

/// `insufficient_scope` is about tokens, not tools: with two tokens, a call of each
/// tool not annotated destructive or open-world (read-only ones first, at most three)
/// is tried with both; the first the `--bearer` token may make and the
/// `--scoped-bearer` token may not is kept.
async fn insufficient_scope(cfg: &RunConfig, revision: &str, inv: &Inventory) -> Entry {
    let two_tokens = cfg
        .http
        .as_ref()
        .is_some_and(|h| h.bearer.is_some() && h.scoped_bearer.is_some());
    let mut tools: Vec<&inventory::Tool> = inv
        .tools
        .iter()
        .filter(|t| t.not_callable().is_none())
        .collect();
    tools.sort_by_key(|t| !t.annotated("readOnlyHint"));
    let mut details = Vec::new();
    let mut first = None;
    for t in tools.iter().take(3).filter(|_| two_tokens) {
        let value = json!({"method": "tools/call", "params": {"name": t.name, "arguments": pick::example_args(t)}});
        match verify::scope(cfg, revision, &value).await {
            Tried::Shown(seen, value) => {
                return Entry {
                    hint: "insufficient_scope",
                    value: Some(value),
                    commented: None,
                    status: format!("verified: {seen}"),
                    details: vec![format!("evidence: tool `{}`", clip(&t.name))],
                }
            }
            Tried::NotShown(why) => {
                details.push(format!(
                    "candidate tools/call `{}`; not kept: {}",
                    clip(&t.name),
                    clip(&why)
                ));
                first.get_or_insert(value);
            }
        }
    }
    let status = if two_tokens {
        "none found: no call tried was answered with the --bearer token and refused with 403 with the --scoped-bearer one"
    } else {
        "none found: it needs a URL target with two tokens (--bearer and --scoped-bearer), and a request only the first may make"
    };
    Entry {
        hint: "insufficient_scope",
        value: None,
        commented: Some(first.unwrap_or_else(|| placeholder("insufficient_scope"))),
        status: status.into(),
        details,
    }
}
