//! Running the suite against one server: what the server supports ([`preflight`]),
//! which cases run at which revision ([`plan`]), running them ([`schedule`]), then
//! fuzzing and the traversal probes when asked; the report's notes on the server
//! ([`notes`]), the verdict on the run ([`verdict`]) and the expected-failures
//! baseline ([`baseline`]).
//!
//! [`run_suite`] is the whole run; the command line (`cli`) only chooses what to run
//! and turns the verdict into an exit code.

use std::time::Instant;

use crate::case::Case;
use crate::client::facts::Facts;
use crate::client::RunConfig;
use crate::fuzz::FuzzConfig;
use crate::outcome::{CaseResult, RunReport, Summary, TargetInfo, Verdict, REPORT_FORMAT_VERSION};
use crate::traversal::TraversalConfig;

pub mod baseline;
pub mod notes;
pub mod plan;
pub mod preflight;
pub mod schedule;
pub mod verdict;

pub use preflight::SetupError;
pub use schedule::{run_in, run_one};

/// Probes the server, runs the cases, then fuzzes (`fuzz`) and runs the traversal
/// probes (`traversal`) when given; `target` describes the server in the report.
/// An error when the target cannot be started or reached.
pub async fn run_suite(
    target: &str,
    cases: &[Case],
    cfg: &RunConfig,
    fuzz: Option<&FuzzConfig>,
    traversal: Option<&TraversalConfig>,
) -> Result<RunReport, SetupError> {
    let started = Instant::now();
    let started_at = crate::outcome::now_rfc3339();
    let mut timed = cfg.clone();
    timed.run_deadline = cfg.run_timeout.map(|t| started + t);
    let cfg = &timed;
    let facts = preflight::reachable(preflight::probe(cfg).await, target)?;
    let mut results = schedule::run_cases(cases, cfg, &facts).await;
    let mut server = notes::server_facts(&facts, cfg);
    notes::note_revisions_tested(&mut server, &results);
    if let Some(fz) = fuzz {
        let (fuzzed, notes) = fuzz_results(cfg, fz, &facts).await;
        results.extend(fuzzed);
        server.notes.extend(notes);
    }
    if let Some(tc) = traversal {
        let (probed, notes) = traversal_results(cfg, tc, &facts).await;
        results.extend(probed);
        server.notes.extend(notes);
    }
    let mut report = RunReport {
        format_version: REPORT_FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        target: TargetInfo {
            description: target.to_string(),
            transport: cfg.transport_kind().as_str().to_string(),
            config_name: None,
        },
        server,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        summary: Summary::from_cases(&results),
        cases: results,
        nothing_judged: None,
    };
    report.nothing_judged = verdict::nothing_judged(&report);
    Ok(report)
}

/// The reason fuzzing and the traversal probes skip when no revision is known.
const NO_REVISION: &str = "the server echoed no protocol revision in initialize";

/// Runs the fuzzer at the run's revision; a server that cannot be fuzzed gives one
/// `error` entry, one that declares no tools one `skip` entry.
async fn fuzz_results(
    cfg: &RunConfig,
    fz: &FuzzConfig,
    facts: &Facts,
) -> (Vec<CaseResult>, Vec<String>) {
    let revision = plan::run_revision(cfg, facts);
    let mut notes = vec![format!("fuzzing seed: {}", fz.seed)];
    if revision.is_some() && !declares_tools(facts, revision.as_deref()) {
        let r = crate::fuzz::results::skipped(
            "tools",
            revision.as_deref().unwrap_or(""),
            "the server does not declare the tools capability: nothing to fuzz".into(),
        );
        return (vec![r], notes);
    }
    let outcome = match &revision {
        Some(rev) => crate::fuzz::run(cfg, fz, rev).await,
        None => Err(NO_REVISION.into()),
    };
    match outcome {
        Ok(run) => {
            notes.extend(run.notes);
            notes.push(format!("fuzzing made {} tool calls", run.calls));
            (run.results, notes)
        }
        Err(e) => {
            let mut r = crate::fuzz::results::skipped(
                "tools",
                revision.as_deref().unwrap_or(""),
                String::new(),
            );
            r.verdict = Verdict::Error;
            r.reason = Some(format!("cannot fuzz: {e}"));
            (vec![r], notes)
        }
    }
}

/// Whether the server declares the tools capability at `revision`: in its
/// `initialize` result, or at the stateless revision in `server/discover`'s.
fn declares_tools(facts: &Facts, revision: Option<&str>) -> bool {
    match revision {
        Some(r) if crate::revision::is_modern(r) => facts
            .discover
            .as_ref()
            .and_then(|d| d.result.as_ref())
            .is_some_and(|d| d.pointer("/capabilities/tools").is_some()),
        Some(r) => facts
            .init_result(r)
            .is_some_and(|r| r.pointer("/capabilities/tools").is_some()),
        None => false,
    }
}

/// Runs the traversal probe families at the run's revision; without one, every
/// family skips.
async fn traversal_results(
    cfg: &RunConfig,
    tc: &TraversalConfig,
    facts: &Facts,
) -> (Vec<CaseResult>, Vec<String>) {
    match plan::run_revision(cfg, facts) {
        Some(rev) => {
            let run = crate::traversal::run(cfg, tc, &rev).await;
            (run.results, run.notes)
        }
        None => (
            crate::traversal::skipped_all(&tc.families, None, NO_REVISION),
            Vec::new(),
        ),
    }
}
