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
    out
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
}
