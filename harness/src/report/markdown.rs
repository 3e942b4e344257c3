//! The Markdown report (`report.md`), for `$GITHUB_STEP_SUMMARY` and a pull-request
//! comment: a headline and a summary table, then the failures and errors, the
//! warnings and the notes, each with its requirement ids (linked to the spec), its
//! findings and their evidence (sent / expected / actual as fenced JSON, shortened),
//! then the skips grouped by reason.
//!
//! GitHub refuses a comment over 65,536 characters: the report stays under
//! [`MAX_CHARS`] (bytes, so characters too). The headline and table always fit; a case
//! that would pass the cap is left out, and a last line says how many of each kind were.
//!
//! Text from the server (messages, reasons) is escaped: Markdown and HTML characters
//! get a backslash, and `@` is followed by a zero-width space so that no one is
//! mentioned. Evidence sits in fenced blocks longer than any backtick run inside.

use std::collections::BTreeMap;

use super::html::spec_url;
use crate::outcome::{CaseResult, Finding, RunReport, Verdict};

/// The most the report may take, in bytes: under GitHub's 65,536-character limit of a
/// comment, with room for a line a workflow adds around it.
pub const MAX_CHARS: usize = 60_000;

/// Longest JSON value shown as evidence, in characters.
const MAX_EVIDENCE: usize = 1_500;

/// Longest finding message or reason, in characters.
const MAX_MESSAGE: usize = 1_000;

/// Most skip reasons listed.
const MAX_SKIP_REASONS: usize = 40;

/// Renders the report as Markdown, ending with a newline.
pub fn render(report: &RunReport) -> String {
    let mut out = Capped::new(head(report));
    let sections: [Section; 3] = [
        ("Failures", "failures", |v| v.is_failure()),
        ("Warnings", "warnings", |v| v == Verdict::Warn),
        ("Notes", "notes", |v| v == Verdict::Note),
    ];
    for (title, kind, wanted) in sections {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| wanted(c.verdict)).collect();
        if cases.is_empty() {
            continue;
        }
        out.push(format!("\n### {title} ({})\n", cases.len()), None);
        for case in cases {
            out.push(case_block(case), Some(kind));
        }
    }
    out.push(skips(report), Some("skips"));
    out.finish()
}

/// A section of cases: its heading, what its cases are called, which verdicts it shows.
type Section = (&'static str, &'static str, fn(Verdict) -> bool);

/// Text that stops growing before [`MAX_CHARS`], counting what it left out.
struct Capped {
    text: String,
    /// Set by the first block that did not fit: every later one is left out too, so
    /// that no case shows without its heading.
    full: bool,
    left_out: BTreeMap<&'static str, usize>,
}

/// Room kept for the closing line.
const CLOSING_ROOM: usize = 400;

impl Capped {
    fn new(head: String) -> Capped {
        Capped {
            text: head,
            full: false,
            left_out: BTreeMap::new(),
        }
    }

    /// Adds a block while it fits; `kind` counts it when left out (a heading has none).
    fn push(&mut self, block: String, kind: Option<&'static str>) {
        if block.is_empty() {
            return;
        }
        self.full = self.full || self.text.len() + block.len() + CLOSING_ROOM > MAX_CHARS;
        if self.full {
            if let Some(kind) = kind {
                *self.left_out.entry(kind).or_default() += 1;
            }
        } else {
            self.text.push_str(&block);
        }
    }

    fn finish(mut self) -> String {
        if !self.left_out.is_empty() {
            let parts: Vec<String> = self
                .left_out
                .iter()
                .map(|(kind, n)| match *kind {
                    "skips" => "the skip reasons".to_string(),
                    kind => format!("{n} {kind}"),
                })
                .collect();
            self.text.push_str(&format!(
                "\n_Left out to stay under GitHub's 65,536-character limit: {}. \
                 report.json and report.html have every case._\n",
                parts.join(", ")
            ));
        }
        self.text
    }
}

/// The headline, the summary table and the server's notes.
fn head(report: &RunReport) -> String {
    let s = &report.summary;
    let headline = if let Some(why) = &report.nothing_judged {
        format!("nothing could be judged (exit code 3): {}", escape(why))
    } else if s.failed + s.errored > 0 {
        let mut parts = vec![format!("{} failed", s.failed)];
        if s.errored > 0 {
            let noun = if s.errored == 1 { "error" } else { "errors" };
            parts.push(format!("{} {noun}", s.errored));
        }
        if s.warned > 0 {
            parts.push(format!("{} warned", s.warned));
        }
        parts.join(", ")
    } else if s.warned > 0 {
        let noun = if s.warned == 1 { "warning" } else { "warnings" };
        format!("passed with {} {noun}", s.warned)
    } else {
        "passed".to_string()
    };
    let mut out = format!("## mcp-conform: {headline}\n\n");
    out.push_str(
        "| Target | Transport | Revision | Passed | Failed | Warned | Noted | Skipped | Errors | Duration |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        cell(&code(&report.target.description)),
        cell(&escape(&report.target.transport)),
        cell(&escape(
            report
                .server
                .negotiated_revision
                .as_deref()
                .unwrap_or("none")
        )),
        s.passed,
        s.failed,
        s.warned,
        s.noted,
        s.skipped,
        s.errored,
        duration(report.duration_ms),
    ));
    out.push_str(&format!(
        "\n{} cases, mcp-conform {}, started {}.\n",
        s.total,
        escape(&report.tool_version),
        escape(&report.started_at)
    ));
    let mut notes: Vec<String> = report.server.notes.iter().map(|n| escape(n)).collect();
    if report.server.token_missing {
        notes.push(
            "The server demanded a token and the run had none: only the authorization \
             cases ran (set MCP\\_CONFORM\\_BEARER)."
                .to_string(),
        );
    }
    for n in notes {
        out.push_str(&format!("\n> {n}\n"));
    }
    out
}

/// One failed, errored, warned or noted case: heading, requirements, findings.
fn case_block(case: &CaseResult) -> String {
    let label = match case.verdict {
        Verdict::Fail => "FAIL",
        Verdict::Error => "ERROR",
        Verdict::Warn => "WARN",
        Verdict::Note => "NOTE",
        Verdict::Pass | Verdict::Skip => "",
    };
    let mut out = format!(
        "\n#### {label} {}: {}\n\n",
        code(&case.id),
        escape(&case.title)
    );
    let mut facts = vec![requirement_links(&case.requirements)];
    if let Some(rev) = &case.revision {
        facts.push(format!("revision {}", escape(rev)));
    }
    facts.push(code(&case.file));
    out.push_str(&facts.join(" · "));
    out.push('\n');
    let reason = case.reason.as_deref().unwrap_or_default();
    let reason_shown = case.findings.iter().any(|f| reason.contains(&f.message));
    if !reason.is_empty() && !reason_shown {
        // "Reason:" first: a reason that starts with `1.` or `-` is no list.
        out.push_str(&format!(
            "\nReason: {}\n",
            escape(&cut(reason, MAX_MESSAGE))
        ));
    }
    for f in &case.findings {
        out.push_str(&finding_block(f));
    }
    out
}

fn finding_block(f: &Finding) -> String {
    let mut out = format!(
        "\n**{}** {}",
        f.severity.label(),
        escape(&cut(&f.message, MAX_MESSAGE))
    );
    if !f.requirements.is_empty() {
        out.push_str(&format!(" ({})", requirement_links(&f.requirements)));
    }
    out.push('\n');
    let evidence: Vec<(&str, &serde_json::Value)> = [
        ("sent", &f.sent),
        ("expected", &f.expected),
        ("actual", &f.actual),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.as_ref().map(|v| (name, v)))
    .collect();
    if evidence.is_empty() {
        return out;
    }
    out.push_str("\n<details><summary>Evidence</summary>\n");
    for (name, value) in evidence {
        let pretty = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        out.push_str(&format!("\n{name}:\n\n{}", fenced(&pretty)));
    }
    out.push_str("\n</details>\n");
    out
}

/// The skips, grouped by reason, most frequent first.
fn skips(report: &RunReport) -> String {
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for c in report.cases.iter().filter(|c| c.verdict == Verdict::Skip) {
        *by_reason
            .entry(c.reason.as_deref().unwrap_or("no reason given"))
            .or_default() += 1;
    }
    if by_reason.is_empty() {
        return String::new();
    }
    let mut rows: Vec<(&str, usize)> = by_reason.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let total: usize = rows.iter().map(|r| r.1).sum();
    let mut out = format!("\n### Skipped ({total})\n\n| Cases | Reason |\n| ---: | --- |\n");
    for (reason, n) in rows.iter().take(MAX_SKIP_REASONS) {
        out.push_str(&format!(
            "| {n} | {} |\n",
            cell(&escape(&cut(reason, MAX_MESSAGE)))
        ));
    }
    if rows.len() > MAX_SKIP_REASONS {
        let rest: usize = rows[MAX_SKIP_REASONS..].iter().map(|r| r.1).sum();
        out.push_str(&format!(
            "\n{rest} more skips for {} other reasons.\n",
            rows.len() - MAX_SKIP_REASONS
        ));
    }
    out
}

/// Requirement ids, each linked to its spec page when it has one.
fn requirement_links(ids: &[String]) -> String {
    if ids.is_empty() {
        return "no requirement cited".to_string();
    }
    ids.iter()
        .map(|id| match spec_url(id) {
            Some(url) => format!("[{}]({url})", escape(id)),
            None => escape(id),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fenced block of JSON, cut to [`MAX_EVIDENCE`] characters, with a fence longer
/// than any run of backticks inside.
fn fenced(text: &str) -> String {
    let total = text.chars().count();
    let mut body = cut(text, MAX_EVIDENCE);
    if total > MAX_EVIDENCE {
        body.push_str(&format!(
            "\n(shortened: {} more characters)",
            total - MAX_EVIDENCE + 1
        ));
    }
    let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
    format!("{fence}json\n{body}\n{fence}\n")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Inline code, with a delimiter longer than any backtick run inside.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    if s.starts_with('`') || s.ends_with('`') {
        format!("{ticks} {s} {ticks}")
    } else {
        format!("{ticks}{s}{ticks}")
    }
}

/// Escapes text for a table cell (a pipe ends the cell, even inside code).
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Escapes Markdown and HTML in inline text: one line, no emphasis, links, tags or
/// entities, and no @-mentions.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200B}"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with `…` when cut.
pub(super) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{case, finding, sample_report};

    #[test]
    fn server_text_cannot_inject_markdown_html_or_mentions() {
        let mut report = sample_report();
        let mut c = case("jsonrpc.evil", Verdict::Fail);
        let mut f = finding("<img src=x> **bold** [link](http://x) @octocat | cell\n# heading");
        f.actual = Some(serde_json::json!("```\n</details>\n```"));
        c.findings = vec![f];
        report.cases = vec![c];
        let md = render(&report);
        assert!(md.contains("\\<img src=x\\> \\*\\*bold\\*\\* \\[link\\](http://x)"));
        assert!(md.contains("@\u{200B}octocat \\| cell \\# heading"));
        assert!(!md.contains("@octocat"));
        // The evidence fence is longer than the backtick run inside it.
        assert!(md.contains("````json\n\"```\\n</details>\\n```\"\n````\n"));
    }

    #[test]
    fn a_run_that_proves_nothing_never_reads_as_passed() {
        let mut report = sample_report();
        report.cases = vec![case("auth.token-required", Verdict::Pass)];
        report.nothing_judged = Some("the server demands a token; give --bearer".into());
        let md = render(&report);
        let headline = md.lines().next().unwrap_or_default();
        assert!(
            headline.contains("nothing could be judged (exit code 3)"),
            "{headline}"
        );
        assert!(!headline.contains("passed"), "{headline}");
    }

    #[test]
    fn long_evidence_is_shortened() {
        let mut report = sample_report();
        let mut c = case("jsonrpc.big", Verdict::Fail);
        let mut f = finding("big");
        f.actual = Some(serde_json::Value::String("x".repeat(5000)));
        c.findings = vec![f];
        report.cases = vec![c];
        let md = render(&report);
        assert!(md.contains("(shortened: 3503 more characters)"));
        assert!(!md.contains(&"x".repeat(MAX_EVIDENCE)));
    }

    #[test]
    fn a_large_run_stays_under_the_comment_limit_and_says_what_it_left_out() {
        let mut report = sample_report();
        let mut cases = Vec::new();
        for i in 0..300 {
            let mut c = case(&format!("tools.case-{i:03}"), Verdict::Fail);
            let mut f = finding(&"long message ".repeat(50));
            f.actual = Some(serde_json::Value::String("y".repeat(1000)));
            c.findings = vec![f];
            cases.push(c);
        }
        cases.push(case("tools.skipped", Verdict::Skip));
        report.summary = crate::outcome::Summary::from_cases(&cases);
        report.cases = cases;
        let md = render(&report);
        assert!(md.len() <= MAX_CHARS, "{} bytes", md.len());
        assert!(md.starts_with("## mcp-conform: 300 failed"));
        assert!(md.contains("| 0 | 300 | 0 | 0 | 1 | 0 |"));
        let shown = md.matches("\n#### FAIL ").count();
        assert!(shown > 10 && shown < 300, "{shown} shown");
        assert!(md.ends_with(&format!(
            "_Left out to stay under GitHub's 65,536-character limit: {} failures, the skip reasons. \
             report.json and report.html have every case._\n",
            300 - shown
        )), "{}", &md[md.len() - 300..]);
    }

    #[test]
    fn skips_are_grouped_by_reason_most_frequent_first() {
        let mut report = sample_report();
        let mut cases = Vec::new();
        for (i, reason) in ["b needs a hint", "a other transport", "b needs a hint"]
            .iter()
            .enumerate()
        {
            let mut c = case(&format!("x.s{i}"), Verdict::Skip);
            c.reason = Some(reason.to_string());
            cases.push(c);
        }
        report.cases = cases;
        let md = render(&report);
        assert!(md.contains(
            "### Skipped (3)\n\n| Cases | Reason |\n| ---: | --- |\n| 2 | b needs a hint |\n| 1 | a other transport |\n"
        ));
    }
}
