//! Expected-failures baseline: lets a server's CI go green while known conformance
//! gaps are being fixed, and go red as soon as anything changes.
//!
//! # File format
//!
//! A YAML list of entries, each naming one case that is expected to fail (verdict
//! `fail` or `error`) and why:
//!
//! ```yaml
//! # mcp-conform expected failures
//! - id: jsonrpc.batch-rejected
//!   reason: we still accept JSON-RPC batches (issue #12)
//! - id: lifecycle.shutdown-stdio
//!   reason: the process ignores EOF on stdin
//! ```
//!
//! `id` is required and must be unique; `reason` is free text (optional, but please
//! say why). No other keys are allowed, so typos are caught. An empty file or `[]` is
//! an empty baseline. [`write`] produces this format from a run.
//!
//! # Judging a run
//!
//! A case id counts as failing when any of its results is `fail` or `error`; a `note`
//! counts as a pass (it rests on no MUST or SHOULD). Each
//! baseline entry is then a *known failure* (still failing), *stale* (the case ran and
//! now passes, notes or warns: remove the entry), *not run* (every result was `skip`) or
//! *unknown* (no case with that id in the run, e.g. a filtered run or a renamed case).
//! Failing cases without an entry are *new failures*. The run is accepted
//! ([`BaselineOutcome::accepted`]) when there are neither new failures nor stale
//! entries.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::outcome::{RunReport, Verdict};

/// One expected failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub id: String,
    #[serde(default)]
    pub reason: String,
}

/// The loaded baseline, entries in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub entries: Vec<BaselineEntry>,
}

/// A baseline entry whose case ran and no longer fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleEntry {
    pub id: String,
    /// The best verdict the case got in this run (`pass`, `note` or `warn`).
    pub verdict: Verdict,
}

/// A failing case that the baseline does not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFailure {
    pub id: String,
    pub verdict: Verdict,
    pub reason: Option<String>,
}

/// The comparison of a run with a baseline. Every list is in a stable order: baseline
/// entries in file order, new failures in report order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineOutcome {
    /// In the baseline and still failing.
    pub known_failures: Vec<BaselineEntry>,
    /// Failing but not in the baseline.
    pub new_failures: Vec<NewFailure>,
    /// In the baseline, but the case now passes, notes or warns.
    pub stale: Vec<StaleEntry>,
    /// In the baseline, but the case was skipped, so it says nothing either way.
    pub not_run: Vec<BaselineEntry>,
    /// In the baseline, but no case with that id was in the run.
    pub unknown_ids: Vec<BaselineEntry>,
}

impl BaselineOutcome {
    /// True when there are no new failures and no stale entries.
    pub fn accepted(&self) -> bool {
        self.new_failures.is_empty() && self.stale.is_empty()
    }
}

impl fmt::Display for BaselineOutcome {
    /// A human summary, one line per entry, for the terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "baseline: {} known failure(s), {} new failure(s), {} stale, {} not run, {} unknown",
            self.known_failures.len(),
            self.new_failures.len(),
            self.stale.len(),
            self.not_run.len(),
            self.unknown_ids.len()
        )?;
        for n in &self.new_failures {
            match &n.reason {
                Some(r) => writeln!(f, "  NEW    {} ({}): {r}", n.id, n.verdict.as_str())?,
                None => writeln!(f, "  NEW    {} ({})", n.id, n.verdict.as_str())?,
            }
        }
        for s in &self.stale {
            writeln!(
                f,
                "  STALE  {} now {}: remove it from the baseline",
                s.id,
                s.verdict.as_str()
            )?;
        }
        for e in &self.not_run {
            writeln!(f, "  NOTRUN {} was skipped", e.id)?;
        }
        for e in &self.unknown_ids {
            writeln!(f, "  UNKNOWN {} is not a case of this run", e.id)?;
        }
        Ok(())
    }
}

/// Reads and checks a baseline file. Errors name the file and say what is wrong.
pub fn load(path: impl AsRef<Path>) -> Result<Baseline, String> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("baseline {}: {e}", path.display()))
}

/// Parses baseline YAML (see the module documentation for the format).
pub fn parse(text: &str) -> Result<Baseline, String> {
    // An empty document (or only comments) is an empty baseline.
    let doc: Option<Vec<BaselineEntry>> = serde_yaml_ng::from_str(text).map_err(|e| {
        format!(
            "{e} (the file is a YAML list of entries `- id: <case id>` with an optional `  reason: <text>`)"
        )
    })?;
    let entries = doc.unwrap_or_default();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if entry.id.trim().is_empty() {
            return Err(format!("entry {} has an empty `id`", i + 1));
        }
        if let Some(first) = seen.insert(entry.id.as_str(), i + 1) {
            return Err(format!(
                "id {:?} is listed twice (entries {first} and {})",
                entry.id,
                i + 1
            ));
        }
    }
    Ok(Baseline { entries })
}

/// What happened to one case id in a run, over all its results.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdState {
    Failing(Verdict),
    Ran(Verdict),
    Skipped,
}

/// The better of two verdicts of cases that ran and did not fail: pass, then note
/// (which rests on no keyword), then warn.
fn best(a: Verdict, b: Verdict) -> Verdict {
    let rank = |v: Verdict| match v {
        Verdict::Pass => 0,
        Verdict::Note => 1,
        _ => 2,
    };
    if rank(b) < rank(a) {
        b
    } else {
        a
    }
}

/// Compares a run with the baseline.
pub fn judge(baseline: &Baseline, report: &RunReport) -> BaselineOutcome {
    let mut order: Vec<&str> = Vec::new();
    let mut states: BTreeMap<&str, IdState> = BTreeMap::new();
    let mut reasons: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for case in &report.cases {
        let this = match case.verdict {
            Verdict::Fail | Verdict::Error => IdState::Failing(case.verdict),
            Verdict::Pass | Verdict::Warn | Verdict::Note => IdState::Ran(case.verdict),
            Verdict::Skip => IdState::Skipped,
        };
        let merged = match (states.get(case.id.as_str()).copied(), this) {
            (None, s) => {
                order.push(&case.id);
                s
            }
            (Some(IdState::Failing(v)), _) => IdState::Failing(v),
            (_, IdState::Failing(v)) => IdState::Failing(v),
            (Some(IdState::Ran(a)), IdState::Ran(b)) => IdState::Ran(best(a, b)),
            (Some(IdState::Ran(v)), IdState::Skipped) => IdState::Ran(v),
            (Some(_), s) => s,
        };
        if matches!(this, IdState::Failing(_)) && !reasons.contains_key(case.id.as_str()) {
            reasons.insert(&case.id, case.reason.clone());
        }
        states.insert(&case.id, merged);
    }

    let mut outcome = BaselineOutcome::default();
    let listed: HashSet<&str> = baseline.entries.iter().map(|e| e.id.as_str()).collect();
    for entry in &baseline.entries {
        match states.get(entry.id.as_str()) {
            Some(IdState::Failing(_)) => outcome.known_failures.push(entry.clone()),
            Some(IdState::Ran(v)) => outcome.stale.push(StaleEntry {
                id: entry.id.clone(),
                verdict: *v,
            }),
            Some(IdState::Skipped) => outcome.not_run.push(entry.clone()),
            None => outcome.unknown_ids.push(entry.clone()),
        }
    }
    for id in order {
        if let Some(IdState::Failing(verdict)) = states.get(id) {
            if !listed.contains(id) {
                outcome.new_failures.push(NewFailure {
                    id: id.to_string(),
                    verdict: *verdict,
                    reason: reasons.get(id).cloned().flatten(),
                });
            }
        }
    }
    outcome
}

/// The baseline YAML of the run's current failures (fail or error), one entry per
/// case id in report order, with the case's reason.
pub fn write(report: &RunReport) -> String {
    let mut seen: HashSet<&str> = HashSet::new();
    let entries: Vec<BaselineEntry> = report
        .cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error))
        .filter(|c| seen.insert(c.id.as_str()))
        .map(|c| BaselineEntry {
            id: c.id.clone(),
            reason: c
                .reason
                .clone()
                .unwrap_or_else(|| c.verdict.as_str().to_string()),
        })
        .collect();
    let header = format!(
        "# mcp-conform expected failures ({} case(s)), written from a run against\n# {} ({}) started {}.\n# Each entry: `id` of a case expected to fail, `reason` why.\n",
        entries.len(),
        report.target.description.replace(['\n', '\r'], " "),
        report.target.transport,
        report.started_at
    );
    match serde_yaml_ng::to_string(&entries) {
        Ok(body) => header + &body,
        // Unreachable in practice: the entries are plain strings.
        Err(e) => format!("{header}# cannot serialize the baseline: {e}\n[]\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Summary;
    use crate::report::fixtures::{case, sample_report};

    fn entry(id: &str) -> BaselineEntry {
        BaselineEntry {
            id: id.to_string(),
            reason: format!("because {id}"),
        }
    }

    fn baseline(ids: &[&str]) -> Baseline {
        Baseline {
            entries: ids.iter().map(|id| entry(id)).collect(),
        }
    }

    // sample_report fails jsonrpc.id-echo, errors lifecycle.shutdown, warns
    // tools.progress, notes http.foreign-host-rejected, skips tools.call-unknown and
    // passes the rest.

    #[test]
    fn only_known_failures_is_clean() {
        let out = judge(
            &baseline(&["jsonrpc.id-echo", "lifecycle.shutdown"]),
            &sample_report(),
        );
        assert_eq!(out.known_failures.len(), 2);
        assert!(out.new_failures.is_empty() && out.stale.is_empty());
        assert!(out.accepted());
    }

    #[test]
    fn a_new_failure_fails() {
        let out = judge(&baseline(&["jsonrpc.id-echo"]), &sample_report());
        assert_eq!(
            out.new_failures,
            vec![NewFailure {
                id: "lifecycle.shutdown".to_string(),
                verdict: Verdict::Error,
                reason: Some("server closed stdout before answering".to_string()),
            }]
        );
        assert!(!out.accepted());
        assert!(out
            .to_string()
            .contains("NEW    lifecycle.shutdown (error)"));
    }

    #[test]
    fn a_stale_entry_fails() {
        let out = judge(
            &baseline(&[
                "jsonrpc.id-echo",
                "lifecycle.shutdown",
                "jsonrpc.ping",
                "tools.progress",
            ]),
            &sample_report(),
        );
        assert_eq!(
            out.stale,
            vec![
                StaleEntry {
                    id: "jsonrpc.ping".to_string(),
                    verdict: Verdict::Pass
                },
                StaleEntry {
                    id: "tools.progress".to_string(),
                    verdict: Verdict::Warn
                },
            ]
        );
        assert!(!out.accepted());
    }

    #[test]
    fn a_note_is_never_a_failure_of_the_baseline() {
        // Not listed: no new failure.
        let out = judge(
            &baseline(&["jsonrpc.id-echo", "lifecycle.shutdown"]),
            &sample_report(),
        );
        assert!(out.new_failures.is_empty(), "{out}");
        assert!(out.accepted());
        // Listed: the case ran and did not fail, so the entry is stale.
        let out = judge(
            &baseline(&[
                "jsonrpc.id-echo",
                "lifecycle.shutdown",
                "http.foreign-host-rejected",
            ]),
            &sample_report(),
        );
        assert_eq!(
            out.stale,
            vec![StaleEntry {
                id: "http.foreign-host-rejected".to_string(),
                verdict: Verdict::Note
            }]
        );
        // Never written into a baseline.
        assert!(!write(&sample_report()).contains("http.foreign-host-rejected"));
        // Over several revisions the best verdict is kept: pass, then note, then warn.
        let mut report = sample_report();
        report.cases = vec![
            case("http.x", Verdict::Warn),
            case("http.x", Verdict::Note),
            case("http.y", Verdict::Note),
            case("http.y", Verdict::Pass),
        ];
        let out = judge(&baseline(&["http.x", "http.y"]), &report);
        let verdicts: Vec<Verdict> = out.stale.iter().map(|s| s.verdict).collect();
        assert_eq!(verdicts, [Verdict::Note, Verdict::Pass]);
    }

    #[test]
    fn skipped_and_unknown_entries_are_listed_but_accepted() {
        let out = judge(
            &baseline(&[
                "jsonrpc.id-echo",
                "lifecycle.shutdown",
                "tools.call-unknown",
                "gone.case",
            ]),
            &sample_report(),
        );
        assert_eq!(out.not_run, vec![entry("tools.call-unknown")]);
        assert_eq!(out.unknown_ids, vec![entry("gone.case")]);
        assert!(out.accepted());
    }

    #[test]
    fn a_case_failing_at_any_revision_counts_as_failing() {
        let mut report = sample_report();
        report.cases = vec![
            case("jsonrpc.ping", Verdict::Pass),
            case("jsonrpc.ping", Verdict::Fail),
            case("tools.list", Verdict::Skip),
            case("tools.list", Verdict::Pass),
        ];
        report.summary = Summary::from_cases(&report.cases);
        let out = judge(&baseline(&["jsonrpc.ping", "tools.list"]), &report);
        assert_eq!(out.known_failures, vec![entry("jsonrpc.ping")]);
        assert_eq!(out.stale.len(), 1);
        assert_eq!(out.stale[0].id, "tools.list");
    }

    #[test]
    fn round_trip_write_load() {
        let report = sample_report();
        let text = write(&report);
        assert!(text.starts_with("# mcp-conform expected failures"));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("baseline.yaml");
        std::fs::write(&path, &text).expect("write");
        let loaded = load(&path).expect("loads");
        assert_eq!(
            loaded.entries,
            vec![
                BaselineEntry {
                    id: "jsonrpc.id-echo".to_string(),
                    reason: "response id does not match request id".to_string(),
                },
                BaselineEntry {
                    id: "lifecycle.shutdown".to_string(),
                    reason: "server closed stdout before answering".to_string(),
                },
            ]
        );
        let out = judge(&loaded, &report);
        assert!(out.accepted());
        assert_eq!(out.known_failures.len(), 2);
    }

    #[test]
    fn writing_a_clean_run_gives_an_empty_baseline() {
        let mut report = sample_report();
        report.cases.retain(|c| c.verdict == Verdict::Pass);
        let loaded = parse(&write(&report)).expect("parses");
        assert!(loaded.entries.is_empty());
    }

    #[test]
    fn empty_documents_are_empty_baselines() {
        for text in ["", "# nothing yet\n", "[]\n", "---\n"] {
            assert_eq!(parse(text), Ok(Baseline::default()), "{text:?}");
        }
        assert_eq!(
            parse("- id: a\n- id: b\n  reason: r\n")
                .expect("parses")
                .entries
                .len(),
            2
        );
    }

    #[test]
    fn errors_name_the_path_and_the_problem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let check = |name: &str, text: &str, needles: &[&str]| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            let err = load(&path).expect_err("should fail");
            assert!(err.contains(&path.display().to_string()), "{err}");
            for n in needles {
                assert!(err.contains(n), "{n:?} not in {err}");
            }
        };
        check(
            "missing-id.yaml",
            "- reason: no id here\n",
            &["missing field `id`"],
        );
        check("bad.yaml", "- id: [unclosed\n", &["line"]);
        check(
            "not-list.yaml",
            "id: x\nreason: y\n",
            &["expected a sequence", "YAML list"],
        );
        check("typo.yaml", "- id: x\n  reson: y\n", &["reson"]);
        check(
            "empty-id.yaml",
            "- id: \"\"\n",
            &["entry 1 has an empty `id`"],
        );
        check(
            "dup.yaml",
            "- id: x\n- id: y\n- id: x\n",
            &["\"x\" is listed twice (entries 1 and 3)"],
        );
        let missing = dir.path().join("nope.yaml");
        let err = load(&missing).expect_err("missing file");
        assert!(err.starts_with("cannot read baseline "), "{err}");
        assert!(err.contains("nope.yaml"), "{err}");
    }
}
