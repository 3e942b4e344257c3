//! The verdict on a whole run against one server: passed or failed (with the
//! expected-failures baseline and `--warnings-as-failures` applied), or nothing judged
//! at all. The command line turns it into an exit code.

use std::collections::BTreeMap;

use crate::outcome::{RunReport, Verdict};

use super::baseline::{self, Baseline};

/// How a run that judged something ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVerdict {
    /// Nothing failed (or only what the baseline expects).
    Passed,
    /// A case failed or errored (a new failure, a stale baseline entry), or warned
    /// under `--warnings-as-failures`.
    Failed,
}

/// A run in which no case could judge anything: it proves nothing, so it never passes.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NothingJudged(pub String);

/// Judges the run: nothing judged, else the baseline's verdict (printed) when there is
/// one, else whether a case failed or errored; a warning fails the run when
/// `warnings_as_failures`.
pub fn run_verdict(
    report: &RunReport,
    base: Option<&Baseline>,
    warnings_as_failures: bool,
) -> Result<RunVerdict, NothingJudged> {
    if let Some(why) = nothing_judged(report) {
        return Err(NothingJudged(why));
    }
    let warned = warnings_as_failures && report.cases.iter().any(|c| c.verdict == Verdict::Warn);
    let passed = match base {
        Some(b) => {
            let outcome = baseline::judge(b, report);
            eprint!("{outcome}");
            outcome.accepted()
        }
        None => !any_failed(report),
    };
    Ok(if passed && !warned {
        RunVerdict::Passed
    } else {
        RunVerdict::Failed
    })
}

/// A run in which no case could judge anything (every one skipped or errored, e.g.
/// because the target refused every request) proves nothing, so it must not pass: the
/// reason, with the most frequent skip and error reasons, for exit code 3. So is a run
/// against a server that demanded a token the run did not have, where nothing failed:
/// only the authorization cases could run, and they say nothing about the protocol.
pub fn nothing_judged(report: &RunReport) -> Option<String> {
    let judged_some = report
        .cases
        .iter()
        .any(|c| !matches!(c.verdict, Verdict::Skip | Verdict::Error));
    if report.cases.is_empty() {
        return None;
    }
    if judged_some {
        return token_missing(report);
    }
    let mut reasons: BTreeMap<&str, usize> = Default::default();
    for c in &report.cases {
        *reasons
            .entry(c.reason.as_deref().unwrap_or("no reason given"))
            .or_default() += 1;
    }
    let mut top: Vec<(&str, usize)> = reasons.into_iter().collect();
    top.sort_by_key(|r| std::cmp::Reverse(r.1));
    let lines: Vec<String> = top
        .iter()
        .take(3)
        .map(|(r, n)| format!("  {n} × {r}"))
        .collect();
    Some(format!(
        "nothing could be judged: all {} cases were skipped or ended in error, so this run \
         proves nothing about the server (exit 3). Most frequent reasons:\n{}",
        report.cases.len(),
        lines.join("\n")
    ))
}

/// A run against a server that demanded a token the run did not have, where nothing
/// failed: only the authorization cases ran, which says nothing about the protocol.
fn token_missing(report: &RunReport) -> Option<String> {
    if !report.server.token_missing || any_failed(report) {
        return None;
    }
    let ran = report
        .cases
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Skip))
        .count();
    Some(format!(
        "the protocol could not be tested: the server answers 401 without a token and the \
         run had none, so only {ran} authorization case(s) ran and {} were skipped (exit 3); \
         pass --bearer TOKEN to test the rest",
        report.cases.len() - ran
    ))
}

/// Whether a case failed or ended in error.
fn any_failed(report: &RunReport) -> bool {
    report
        .cases
        .iter()
        .any(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error))
}
