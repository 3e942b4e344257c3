//! GitHub Actions workflow commands, printed to stdout inside a workflow so that
//! failures show up as annotations on the run and on pull requests.
//!
//! * fail / error → `::error file=<case file>,title=<case id> [<requirement ids>]::<text>`
//! * warn → `::warning …` with the same shape
//! * note → `::notice …` with the same shape (a note never counts; it is shown apart)
//! * a final `::notice title=mcp-conform::<summary>`
//!
//! The text is the case's reason followed by its first finding. Data is escaped as the
//! Actions toolkit does (`%` → `%25`, `\r` → `%0D`, `\n` → `%0A`); property values
//! (file, title) additionally escape `:` → `%3A` and `,` → `%2C`.

use crate::outcome::{CaseResult, RunReport, Verdict};

/// Longest JSON excerpt (expected / actual) put in an annotation, in characters.
const MAX_EXCERPT: usize = 300;

/// Renders one workflow command per failing, erroring, warning or noted case, then a
/// notice with the summary. Each command ends with a newline.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    for case in &report.cases {
        let command = match case.verdict {
            Verdict::Fail | Verdict::Error => "error",
            Verdict::Warn => "warning",
            Verdict::Note => "notice",
            Verdict::Pass | Verdict::Skip => continue,
        };
        let title = if case.requirements.is_empty() {
            case.id.clone()
        } else {
            format!("{} [{}]", case.id, case.requirements.join(", "))
        };
        out.push_str(&format!(
            "::{command} file={},title={}::{}\n",
            escape_property(&case.file),
            escape_property(&title),
            escape_data(&message(case))
        ));
    }
    let s = &report.summary;
    let mut summary = format!(
        "{} cases: {} passed, {} failed, {} warned, {} noted, {} skipped, {} errored against {} ({})",
        s.total,
        s.passed,
        s.failed,
        s.warned,
        s.noted,
        s.skipped,
        s.errored,
        report.target.description,
        report.target.transport
    );
    if let Some(rev) = &report.server.negotiated_revision {
        summary.push_str(&format!(" at revision {rev}"));
    }
    out.push_str(&format!(
        "::notice title={}::{}\n",
        escape_property("mcp-conform"),
        escape_data(&summary)
    ));
    out
}

/// The annotation text: reason, then the first finding with its evidence.
fn message(case: &CaseResult) -> String {
    let mut text = case
        .reason
        .clone()
        .unwrap_or_else(|| format!("{}: {}", case.verdict.as_str(), case.title));
    if let Some(f) = case.findings.first() {
        // The reason usually is the first finding already; do not say it twice.
        if !text.contains(&f.message) {
            text.push('\n');
            text.push_str(&f.message);
            if !f.requirements.is_empty() {
                text.push_str(&format!(" ({})", f.requirements.join(", ")));
            }
        }
        if let Some(v) = &f.expected {
            text.push_str(&format!("\nexpected: {}", excerpt(&v.to_string())));
        }
        if let Some(v) = &f.actual {
            text.push_str(&format!("\nactual: {}", excerpt(&v.to_string())));
        }
        if case.findings.len() > 1 {
            text.push_str(&format!("\n(+{} more findings)", case.findings.len() - 1));
        }
    }
    text
}

fn excerpt(s: &str) -> String {
    if s.chars().count() <= MAX_EXCERPT {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX_EXCERPT).collect();
        format!("{cut}…")
    }
}

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`) of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{case, sample_report};

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        assert_eq!(escape_property("a: b, c%\n"), "a%3A b%2C c%25%0A");
    }

    #[test]
    fn newlines_and_percent_in_reason_cannot_inject_commands() {
        let mut report = sample_report();
        let mut c = case("jsonrpc.evil", Verdict::Fail);
        c.reason = Some("50% of\r\n::error::injected".to_string());
        c.file = "cases/a,b:c.yaml".to_string();
        report.cases = vec![c];
        let out = render(&report);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "::error file=cases/a%2Cb%3Ac.yaml,title=jsonrpc.evil [RPC-001]::50%25 of%0D%0A::error::injected"
        );
    }

    #[test]
    fn long_evidence_is_cut() {
        let mut report = sample_report();
        let mut c = case("jsonrpc.big", Verdict::Fail);
        let mut f = crate::report::fixtures::finding("big");
        f.actual = Some(serde_json::Value::String("x".repeat(2000)));
        c.findings = vec![f];
        report.cases = vec![c];
        let out = render(&report);
        assert!(out.contains(&format!("actual: \"{}…", "x".repeat(MAX_EXCERPT - 1))));
        assert!(!out.contains(&"x".repeat(MAX_EXCERPT + 1)));
    }
}
