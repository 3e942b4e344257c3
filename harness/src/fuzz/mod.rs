//! Property-based fuzzing of tool inputs: proptest strategies generated from a tool's
//! `inputSchema` (valid inputs, and invalid ones that break one rule at a time), a
//! fixed set of `tools/call` envelope variations ([`envelope`]), an oracle judging
//! every call, shrinking to a minimal failing input, and seeds that replay exactly.
//!
//! Flow: start the server once, `initialize`, list the tools (following
//! `nextCursor`), then per tool three campaigns (`valid`, `invalid`, `envelope`) on
//! one long-lived process ([`campaign`]), and one [`CaseResult`] per campaign
//! ([`results`]).

pub mod campaign;
pub mod envelope;
pub mod oracle;
pub mod results;
pub mod server;
pub mod strategy;

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::RunConfig;
use crate::outcome::CaseResult;

use campaign::{Family, Settings, ToolPlan};
use server::FuzzServer;
use strategy::SchemaGen;

/// Default cases per tool and family: small enough for CI.
pub const DEFAULT_CASES: u32 = 64;
/// Cases of the envelope family per tool, whatever `--fuzz-cases` says.
pub const ENVELOPE_CASES: u32 = envelope::CASES;
/// Default calls in flight at once.
pub const DEFAULT_WINDOW: usize = 16;
/// Default per-call timeout (the CLI's `--timeout` default).
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 5000;
/// Default budget of a fuzzing run, in seconds.
pub const DEFAULT_BUDGET_SECS: u64 = 60;
/// Most `tools/list` pages followed.
const MAX_PAGES: usize = 100;

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    pub cases: u32,
    pub seed: u64,
    /// Budget for the whole fuzzing run (generation, confirming and shrinking; a call
    /// under way when it ends may overrun it by one timeout).
    pub budget: Duration,
    /// Only these tools (empty: all).
    pub tools: Vec<String>,
    pub allow_destructive: bool,
    pub call_timeout: Duration,
    pub window: usize,
    /// How to run the harness again (program words before the flags), for replay lines.
    pub replay_prefix: String,
    /// The target as the user wrote it, for replay lines.
    pub target_words: Vec<String>,
}

/// A seed from the clock and the process id, for runs without `--fuzz-seed`.
pub fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let bytes = strategy::seed_bytes(nanos ^ u64::from(std::process::id()).rotate_left(32));
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

/// The seed of one campaign: FNV-1a over the run seed, the tool name and the family,
/// so a tool's inputs do not depend on which other tools run.
pub fn campaign_seed(seed: u64, tool: &str, family: Family) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    seed.to_le_bytes().into_iter().for_each(&mut eat);
    tool.bytes().for_each(&mut eat);
    eat(0);
    family.label().bytes().for_each(&mut eat);
    h
}

/// The fuzzing part of a report: one result per campaign, plus notes for the report.
#[derive(Debug, Default)]
pub struct FuzzRun {
    pub results: Vec<CaseResult>,
    pub notes: Vec<String>,
    /// Total tool calls made (generation and shrinking).
    pub calls: u64,
}

/// Why a listed tool is not fuzzed, if it is not.
fn leave_out(tool: &Value, cfg: &FuzzConfig) -> Option<String> {
    let destructive = tool.pointer("/annotations/destructiveHint") == Some(&Value::Bool(true));
    if destructive && !cfg.allow_destructive {
        return Some(
            "annotated destructiveHint: true; not fuzzed without --allow-destructive".into(),
        );
    }
    if tool
        .pointer("/execution/taskSupport")
        .and_then(Value::as_str)
        == Some("required")
    {
        return Some("execution.taskSupport is `required`; the fuzzer does not use tasks".into());
    }
    None
}

fn plan_tool(tool: &Value, revision: &str) -> Result<ToolPlan, String> {
    let name = tool
        .get("name")
        .and_then(Value::as_str)
        .ok_or("tool without a string name")?
        .to_string();
    let input = tool
        .get("inputSchema")
        .ok_or_else(|| format!("tool `{name}` has no inputSchema"))?;
    let gen = SchemaGen::new(input).map_err(|e| e.to_string())?;
    let compile = |s: &Value| {
        jsonschema::options()
            .should_validate_formats(true)
            .build(s)
            .ok()
    };
    let output_validator = match tool.get("outputSchema") {
        Some(s) => Some(
            compile(s).ok_or_else(|| format!("tool `{name}`: outputSchema does not compile"))?,
        ),
        None => None,
    };
    Ok(ToolPlan {
        tool_08: revision >= "2025-11-25",
        stateless: crate::revision::is_modern(revision),
        input_validator: compile(input),
        output_validator,
        gen,
        name,
        empty_answered: Default::default(),
    })
}

/// Fuzzes the tools of the server at `revision`. `Err` when the server cannot be
/// initialized or its tools cannot be listed.
pub async fn run(cfg: &RunConfig, fz: &FuzzConfig, revision: &str) -> Result<FuzzRun, String> {
    let started = Instant::now();
    let mut server = FuzzServer::new(cfg, revision);
    server.start().await?;
    let listed = server.list_tools(MAX_PAGES).await?;
    let mut run = FuzzRun::default();
    let chosen = chosen_tools(&listed, fz, &mut run.notes);
    let mut left_out = Vec::new();
    let fuzzable = chosen
        .iter()
        .filter(|t| leave_out(t, fz).is_none())
        .count()
        .max(1) as u32;
    let mut done = 0u32;
    for tool in chosen {
        let name = tool
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)")
            .to_string();
        if let Some(why) = leave_out(tool, fz) {
            left_out.push(format!("{name} ({why})"));
            run.results.push(results::skipped(&name, revision, why));
            continue;
        }
        let plan = match plan_tool(tool, revision) {
            Ok(p) => p,
            Err(why) => {
                run.results.push(results::skipped(
                    &name,
                    revision,
                    format!("cannot generate inputs: {why}"),
                ));
                continue;
            }
        };
        // Time left is shared among the tools still to come.
        let remaining = fz.budget.saturating_sub(started.elapsed());
        let share = remaining / (fuzzable - done).max(1);
        done += 1;
        let tool_end = Instant::now() + share;
        fuzz_tool(&mut server, &plan, tool_end, fz, revision, &mut run).await;
    }
    server.stop().await;
    run.notes.push(format!(
        "fuzzing started the server {} times (restarts after crashes and hangs, and one fresh process per evidence run)",
        server.starts()
    ));
    if !left_out.is_empty() {
        run.notes.push(format!(
            "tools left out of fuzzing: {}",
            left_out.join("; ")
        ));
    }
    Ok(run)
}

/// The listed tools `--fuzz-tools` chose (all when it names none), with a note for
/// each name it gives that the server does not list.
fn chosen_tools<'a>(
    listed: &'a [Value],
    fz: &FuzzConfig,
    notes: &mut Vec<String>,
) -> Vec<&'a Value> {
    for wanted in &fz.tools {
        if !listed
            .iter()
            .any(|t| t.get("name").and_then(Value::as_str) == Some(wanted))
        {
            notes.push(format!("--fuzz-tools: the server lists no tool `{wanted}`"));
        }
    }
    listed
        .iter()
        .filter(|t| {
            let name = t.get("name").and_then(Value::as_str).unwrap_or("");
            fz.tools.is_empty() || fz.tools.iter().any(|w| w == name)
        })
        .collect()
}

/// Runs the three campaign families on one tool until `tool_end`, with their evidence
/// runs.
async fn fuzz_tool(
    server: &mut FuzzServer<'_>,
    plan: &ToolPlan,
    tool_end: Instant,
    fz: &FuzzConfig,
    revision: &str,
    run: &mut FuzzRun,
) {
    for family in Family::ALL {
        // Each family gets its part of the tool's share (valid 2/5, invalid 2/5, the
        // short envelope family the rest, with what the others left over): 60% for
        // generation, the rest for confirming and shrinking, less a reserve for calls
        // under way.
        let now = Instant::now();
        let left = tool_end.saturating_duration_since(now);
        let slice = match family {
            Family::Valid => left * 2 / 5,
            Family::Invalid => left * 2 / 3,
            Family::Envelope => left,
        };
        // Calls under way at a deadline and the evidence run may overrun it.
        let reserve = (fz.call_timeout * 2).min(slice / 3);
        let work = slice.saturating_sub(reserve);
        let settings = Settings {
            cases: match family {
                Family::Envelope => ENVELOPE_CASES,
                _ => fz.cases,
            },
            seed: campaign_seed(fz.seed, &plan.name, family),
            call_timeout: fz.call_timeout,
            window: fz.window,
            deadline: now + work.mul_f64(0.6),
            shrink_deadline: now + work,
        };
        let began = Instant::now();
        let outcome = campaign::run(server, plan, family, &settings).await;
        run.calls += outcome.calls;
        // The evidence run replays the minimal input in a fresh process, unless the
        // tool's share of the budget is spent.
        let evidence = if Instant::now() < tool_end {
            results::evidence(server, plan, &outcome, fz.call_timeout).await
        } else {
            results::Evidence::none()
        };
        run.results.push(results::campaign_result(
            plan,
            family,
            revision,
            fz,
            &settings,
            &outcome,
            evidence,
            began.elapsed(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(allow_destructive: bool) -> FuzzConfig {
        FuzzConfig {
            cases: 8,
            seed: 5,
            budget: Duration::from_secs(10),
            tools: Vec::new(),
            allow_destructive,
            call_timeout: Duration::from_millis(DEFAULT_CALL_TIMEOUT_MS),
            window: DEFAULT_WINDOW,
            replay_prefix: "mcp-conform".into(),
            target_words: vec!["python3".into(), "my server.py".into()],
        }
    }

    #[test]
    fn destructive_and_task_only_tools_are_left_out() {
        let wipe = json!({"name": "wipe", "inputSchema": {"type": "object"},
            "annotations": {"destructiveHint": true}});
        let tasks = json!({"name": "t", "inputSchema": {"type": "object"},
            "execution": {"taskSupport": "required"}});
        let plain = json!({"name": "p", "inputSchema": {"type": "object"},
            "annotations": {"destructiveHint": false}});
        assert!(leave_out(&wipe, &config(false)).is_some_and(|w| w.contains("--allow-destructive")));
        assert_eq!(leave_out(&wipe, &config(true)), None);
        assert!(leave_out(&tasks, &config(true)).is_some_and(|w| w.contains("taskSupport")));
        assert_eq!(leave_out(&plain, &config(false)), None);
    }

    #[test]
    fn replay_command_quotes_the_target() {
        let line = results::replay_command(&config(false), "add it");
        assert_eq!(
            line,
            "mcp-conform --fuzz --fuzz-seed 5 --fuzz-cases 8 --fuzz-tools 'add it' -- python3 'my server.py'"
        );
    }

    #[test]
    fn campaign_seeds_are_stable() {
        // Changing these values changes every printed replay seed: keep them fixed.
        assert_eq!(
            campaign_seed(1, "add", Family::Valid),
            8_194_009_126_099_318_313
        );
        assert_ne!(
            campaign_seed(1, "add", Family::Valid),
            campaign_seed(1, "add", Family::Invalid)
        );
        assert_ne!(
            campaign_seed(1, "ab", Family::Valid),
            campaign_seed(1, "a", Family::Valid)
        );
    }
}
