//! The default human-readable output: one line per case, details of what went
//! wrong, and a closing count line.

use std::fmt::Write as _;

use crate::outcome::{CaseResult, RunReport, Verdict};

fn label(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS ",
        Verdict::Fail => "FAIL ",
        Verdict::Warn => "WARN ",
        Verdict::Skip => "SKIP ",
        Verdict::Error => "ERROR",
        Verdict::Note => "NOTE ",
    }
}

fn paint(v: Verdict, text: &str, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match v {
        Verdict::Pass => "32",
        Verdict::Fail | Verdict::Error => "31",
        Verdict::Warn => "33",
        Verdict::Skip => "90",
        Verdict::Note => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

pub fn case_line(c: &CaseResult, color: bool) -> String {
    let mut line = format!("{} {}", paint(c.verdict, label(c.verdict), color), c.id);
    if c.verdict != Verdict::Skip {
        let _ = write!(line, " ({} ms)", c.duration_ms);
    }
    if let Some(reason) = &c.reason {
        let _ = write!(line, " — {}", first_line(reason));
    }
    line
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Details for every case that did not pass or skip: findings with their evidence.
pub fn details(c: &CaseResult) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "── {} [{}] {}", c.id, c.verdict.as_str(), c.title);
    let _ = writeln!(out, "   file: {}", c.file);
    if let Some(rev) = &c.revision {
        let _ = writeln!(out, "   revision: {rev}");
    }
    if c.findings.is_empty() {
        if let Some(reason) = &c.reason {
            let _ = writeln!(out, "   {reason}");
        }
    }
    for f in &c.findings {
        let _ = writeln!(
            out,
            "   {} [{}] {}",
            f.severity.label(),
            f.requirements.join(", "),
            f.message
        );
        if let Some(sent) = &f.sent {
            let _ = writeln!(out, "     sent:     {}", compact(sent));
        }
        match (&f.diff, &f.actual) {
            (Some(diff), _) => {
                for l in diff.lines() {
                    let _ = writeln!(out, "     {l}");
                }
            }
            (None, Some(actual)) => {
                let _ = writeln!(out, "     received: {}", compact(actual));
            }
            (None, None) => {}
        }
    }
    let err = c.stderr.trim();
    if !err.is_empty() {
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        // stderr for stdio servers; for HTTP ones the transport lists its exchanges.
        let _ = writeln!(out, "   server stderr / HTTP exchanges (last lines):");
        for l in tail.into_iter().rev() {
            let _ = writeln!(out, "     | {l}");
        }
    }
    out
}

fn compact(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 300 {
        let cut: String = s.chars().take(297).collect();
        format!("{cut}...")
    } else {
        s
    }
}

pub fn summary_line(r: &RunReport) -> String {
    let s = &r.summary;
    let mut line = format!(
        "{} passed, {} failed, {} warned, {} noted, {} skipped",
        s.passed, s.failed, s.warned, s.noted, s.skipped
    );
    if s.errored > 0 {
        let _ = write!(line, ", {} errors", s.errored);
    }
    line
}

/// The whole terminal report.
pub fn render(r: &RunReport, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "mcp-conform {} — {} ({})",
        r.tool_version, r.target.description, r.target.transport
    );
    let facts = &r.server;
    if let Some(info) = &facts.server_info {
        let _ = writeln!(out, "server: {}", compact(info));
    }
    let supported = if facts.supported_revisions.is_empty() {
        "none".to_string()
    } else {
        facts.supported_revisions.join(", ")
    };
    let _ = writeln!(out, "revisions supported: {supported}");
    for n in &facts.notes {
        let _ = writeln!(out, "note: {n}");
    }
    let _ = writeln!(out);
    for c in &r.cases {
        let _ = writeln!(out, "{}", case_line(c, color));
    }
    let troubled: Vec<&CaseResult> = r
        .cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Warn | Verdict::Error))
        .collect();
    if !troubled.is_empty() {
        let _ = writeln!(out);
        for c in troubled {
            out.push_str(&details(c));
        }
    }
    // Notes rest on no MUST or SHOULD: listed apart, after what counts.
    let noted: Vec<&CaseResult> = r
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Note)
        .collect();
    if !noted.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Notes (they rest on no MUST or SHOULD and never count as a warning or a failure):"
        );
        for c in noted {
            out.push_str(&details(c));
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{} ({} ms)", summary_line(r), r.duration_ms);
    if let Some(line) = skips_line(r) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// Why cases skipped, in a few words each: the kinds of skip reason the suite gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SkipKind {
    Hint,
    Transport,
    Revision,
    Capability,
    Authorization,
    Sandbox,
    NothingToJudge,
    Other,
}

impl SkipKind {
    /// What the cases of this kind do, for one case and for several.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            SkipKind::Hint => (
                "needs a hint (run --suggest-hints; see cases/README.md)",
                "need a hint (run --suggest-hints; see cases/README.md)",
            ),
            SkipKind::Transport => ("applies to another transport", "apply to another transport"),
            SkipKind::Revision => ("applies to another revision", "apply to another revision"),
            SkipKind::Capability => (
                "needs a capability the server does not declare",
                "need a capability the server does not declare",
            ),
            SkipKind::Authorization => (
                "needs a token (MCP_CONFORM_BEARER) or a server that uses authorization",
                "need a token (MCP_CONFORM_BEARER) or a server that uses authorization",
            ),
            SkipKind::Sandbox => (
                "needs a traversal sandbox ({root} or --root DIR)",
                "need a traversal sandbox ({root} or --root DIR)",
            ),
            SkipKind::NothingToJudge => (
                "found nothing to judge on this server",
                "found nothing to judge on this server",
            ),
            SkipKind::Other => ("for another reason", "for other reasons"),
        }
    }
}

/// The kind of a skip reason, from its wording (the reasons come from the planner,
/// the steps and the cases' own `reason:` texts).
fn classify_skip(reason: &str) -> SkipKind {
    let r = reason.trim();
    if r.starts_with("does not apply to the ") && r.ends_with(" transport") {
        SkipKind::Transport
    } else if r.starts_with("applies to ")
        || r.starts_with("the rule applies to servers that speak only")
    {
        SkipKind::Revision
    } else if names_missing_hint(r) {
        SkipKind::Hint
    } else if r.contains("--bearer")
        || r.contains("--scoped-bearer")
        || r.starts_with("authorization is not in use")
    {
        SkipKind::Authorization
    } else if r.contains("not declared")
        || r.contains("does not declare")
        || r.contains("declares no ")
    {
        SkipKind::Capability
    } else if r.starts_with("no sandbox") {
        SkipKind::Sandbox
    } else if r.contains("another origin") {
        SkipKind::Other
    } else if r.contains("nothing")
        || r.contains(" arrived")
        || r.contains("no notification is due")
    {
        SkipKind::NothingToJudge
    } else {
        SkipKind::Other
    }
}

/// "no `progress` hint: …", "no server_request hint (see …)": a reason that names a
/// hint the run was not given (and not "the hinted call …").
fn names_missing_hint(reason: &str) -> bool {
    let Some(rest) = reason.strip_prefix("no ") else {
        return false;
    };
    let Some((_name, after)) = rest.split_once(' ') else {
        return false;
    };
    after
        .strip_prefix("hint")
        .is_some_and(|tail| tail.is_empty() || tail.starts_with([' ', ':', ',', ';', '(']))
}

/// The skips grouped by kind, most frequent first: `72 skipped: 52 apply to another
/// transport, 20 need a hint (…)`. `None` when nothing skipped.
pub fn skips_line(r: &RunReport) -> Option<String> {
    let mut counts: std::collections::BTreeMap<SkipKind, usize> = Default::default();
    for c in r.cases.iter().filter(|c| c.verdict == Verdict::Skip) {
        let kind = c.reason.as_deref().map_or(SkipKind::Other, classify_skip);
        *counts.entry(kind).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    if total == 0 {
        return None;
    }
    let mut groups: Vec<(SkipKind, usize)> = counts.into_iter().collect();
    // Most frequent first; equal counts in the order of the kinds (stable sort).
    groups.sort_by_key(|g| std::cmp::Reverse(g.1));
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(kind, n)| {
            let (one, many) = kind.words();
            format!("{n} {}", if n == 1 { one } else { many })
        })
        .collect();
    Some(format!("{total} skipped: {}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::sample_report;

    #[test]
    fn no_notes_section_without_notes() {
        let mut report = sample_report();
        report.cases.retain(|c| c.verdict != Verdict::Note);
        report.summary = crate::outcome::Summary::from_cases(&report.cases);
        let out = render(&report, false);
        assert!(!out.contains("Notes ("));
        assert!(out.contains("0 noted"));
    }

    #[test]
    fn skip_reasons_are_classified_by_their_wording() {
        let cases = [
            ("does not apply to the stdio transport", SkipKind::Transport),
            ("applies to 2025-11-25; the server supports 2024-11-05", SkipKind::Revision),
            ("applies to 2024-11-05; the run is pinned to 2025-06-18", SkipKind::Revision),
            (
                "the rule applies to servers that speak only 2026-07-28; this one also speaks session-based revisions",
                SkipKind::Revision,
            ),
            ("no `progress` hint: nothing generic makes a server report progress", SkipKind::Hint),
            ("no server_request hint with a capability (see cases/README.md)", SkipKind::Hint),
            ("no log_message hint (see cases/README.md)", SkipKind::Hint),
            ("capability `tools` not declared by the server", SkipKind::Capability),
            (
                "the server does not declare the tools capability: nothing to fuzz",
                SkipKind::Capability,
            ),
            (
                "the server requires authorization (HTTP 401 without a token); pass --bearer TOKEN to run this case",
                SkipKind::Authorization,
            ),
            (
                "authorization is not in use (no --bearer, and the server served a request without a token)",
                SkipKind::Authorization,
            ),
            ("nothing to probe: the server lists no tools", SkipKind::NothingToJudge),
            (
                "no notifications/message arrived for the hinted call (logging is the server's choice)",
                SkipKind::NothingToJudge,
            ),
            (
                "the tool list is the same before and after the hinted call, so no notification is due",
                SkipKind::NothingToJudge,
            ),
            (
                "the metadata lies on another origin, where the harness sends nothing",
                SkipKind::Other,
            ),
            ("cannot generate inputs: a recursive schema", SkipKind::Other),
            (
                "no sandbox: give --root DIR, the folder the server serves (canaries go beside it)",
                SkipKind::Sandbox,
            ),
        ];
        for (reason, kind) in cases {
            assert_eq!(classify_skip(reason), kind, "{reason}");
        }
    }

    #[test]
    fn skips_line_groups_most_frequent_first() {
        let mut report = sample_report();
        let template = report.cases[0].clone();
        report.cases.clear();
        let reasons = [
            "does not apply to the sse transport",
            "no `progress` hint: nothing generic makes a server report progress",
            "does not apply to the streamable transport",
            "capability `logging` not declared by the server",
            "no log_message hint (see cases/README.md)",
            "does not apply to the sse transport",
        ];
        for (i, reason) in reasons.iter().enumerate() {
            let mut c = template.clone();
            c.id = format!("x.s{i}");
            c.verdict = Verdict::Skip;
            c.reason = Some((*reason).to_string());
            c.findings.clear();
            report.cases.push(c);
        }
        report.summary = crate::outcome::Summary::from_cases(&report.cases);
        assert_eq!(
            skips_line(&report).as_deref(),
            Some(
                "6 skipped: 3 apply to another transport, 2 need a hint (run --suggest-hints; \
                 see cases/README.md), 1 needs a capability the server does not declare"
            )
        );
        let out = render(&report, false);
        let line = skips_line(&report).unwrap_or_default();
        assert!(
            out.ends_with(&format!("6 skipped (1234 ms)\n{line}\n")),
            "{out}"
        );
        report.cases.retain(|c| c.verdict != Verdict::Skip);
        assert_eq!(skips_line(&report), None);
    }
}
