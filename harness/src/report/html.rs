//! The HTML report: one self-contained file (inline CSS and JS, no external fetches)
//! rendered from `reports/report.html.j2` with minijinja.
//!
//! The template is registered under a name ending in `.html.j2`, so minijinja's
//! autoescape is on for every value. Everything shown is prepared here (pretty JSON,
//! diff lines with their class, spec links) so the template only lays it out.
//!
//! Stable hooks for browser tests: `#count-total`, `#count-pass`, `#count-fail`,
//! `#count-warn`, `#count-note`, `#count-skip`, `#count-error`, `#count-visible`; each case is a
//! `<details class="case" data-verdict="…" data-area="…" data-id="…">`; filter buttons
//! carry `data-filter-verdict`, the area select is `#area-filter` and each of its
//! options has `data-count`.

use serde::Serialize;

use crate::outcome::{CaseResult, Direction, Finding, RunReport, Severity, Verdict};

const TEMPLATE_NAME: &str = "report.html.j2";
const TEMPLATE: &str = include_str!("../../../reports/report.html.j2");

const SPEC_BASE: &str = "https://modelcontextprotocol.io/specification/2025-11-25/";
const MOD_CHANGELOG: &str = "https://modelcontextprotocol.io/specification/2026-07-28/changelog";

/// The specification page for a requirement id, from its prefix (the leading
/// letters, e.g. `TOOL` in `TOOL-012`); `None` for an unknown prefix.
pub fn spec_url(requirement: &str) -> Option<String> {
    let prefix: String = requirement
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    let page = match prefix.as_str() {
        "MOD" => return Some(MOD_CHANGELOG.to_string()),
        "RPC" => "basic",
        "LIFE" => "basic/lifecycle",
        "STDIO" | "HTTP" | "SSE" => "basic/transports",
        "PING" => "basic/utilities/ping",
        "CANC" => "basic/utilities/cancellation",
        "PROG" => "basic/utilities/progress",
        "PAGE" => "server/utilities/pagination",
        "TOOL" => "server/tools",
        "RES" => "server/resources",
        "PROMPT" => "server/prompts",
        "COMP" => "server/utilities/completion",
        "LOG" => "server/utilities/logging",
        "SRVREQ" => "client/roots",
        "AUTH" => "basic/authorization",
        "SEC" => "basic/security_best_practices",
        "TASK" => "basic/utilities/tasks",
        _ => return None,
    };
    Some(format!("{SPEC_BASE}{page}"))
}

/// Renders the report as one self-contained HTML page.
pub fn render(report: &RunReport) -> anyhow::Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    env.add_template(TEMPLATE_NAME, TEMPLATE)?;
    let template = env.get_template(TEMPLATE_NAME)?;
    let view = View::new(report);
    Ok(template.render(minijinja::Value::from(minijinja::value::Serde(&view)))?)
}

#[derive(Serialize)]
struct View<'a> {
    report: ReportHead<'a>,
    server_name: Option<String>,
    server_info_json: Option<String>,
    capabilities_json: Option<String>,
    counts: Vec<Count>,
    areas: Vec<AreaCount>,
    cases: Vec<CaseView<'a>>,
}

/// What the template shows of the report: everything but the cases, which it gets
/// as [`CaseView`]s (serializing them twice would double the memory of a large run).
#[derive(Serialize)]
struct ReportHead<'a> {
    duration_ms: u64,
    format_version: u32,
    server: &'a crate::outcome::ServerFacts,
    started_at: &'a str,
    summary: &'a crate::outcome::Summary,
    target: &'a crate::outcome::TargetInfo,
    tool_version: &'a str,
}

impl<'a> ReportHead<'a> {
    fn of(r: &'a RunReport) -> ReportHead<'a> {
        ReportHead {
            duration_ms: r.duration_ms,
            format_version: r.format_version,
            server: &r.server,
            started_at: &r.started_at,
            summary: &r.summary,
            target: &r.target,
            tool_version: &r.tool_version,
        }
    }
}

/// What the template shows of a case besides its findings and transcript.
#[derive(Serialize)]
struct CaseHead<'a> {
    area: &'a str,
    duration_ms: u64,
    file: &'a str,
    id: &'a str,
    reason: Option<&'a str>,
    revision: Option<&'a str>,
    stderr: &'a str,
    title: &'a str,
}

#[derive(Serialize)]
struct Count {
    verdict: &'static str,
    label: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct AreaCount {
    area: String,
    count: usize,
}

#[derive(Serialize)]
struct CaseView<'a> {
    case: CaseHead<'a>,
    verdict: &'static str,
    severity: &'static str,
    requirements: Vec<Requirement>,
    findings: Vec<FindingView<'a>>,
    transcript: Vec<EntryView>,
}

#[derive(Serialize)]
struct Requirement {
    id: String,
    url: Option<String>,
}

#[derive(Serialize)]
struct FindingView<'a> {
    finding: &'a Finding,
    severity: &'static str,
    requirements: Vec<Requirement>,
    sent: Option<String>,
    expected: Option<String>,
    actual: Option<String>,
    diff: Vec<DiffLine>,
}

#[derive(Serialize)]
struct DiffLine {
    class: &'static str,
    text: String,
}

#[derive(Serialize)]
struct EntryView {
    at_ms: u64,
    direction: &'static str,
    body: String,
}

impl<'a> View<'a> {
    fn new(report: &'a RunReport) -> View<'a> {
        let s = &report.summary;
        let counts = vec![
            count(Verdict::Pass, "passed", s.passed),
            count(Verdict::Fail, "failed", s.failed),
            count(Verdict::Warn, "warned", s.warned),
            count(Verdict::Note, "noted", s.noted),
            count(Verdict::Skip, "skipped", s.skipped),
            count(Verdict::Error, "errored", s.errored),
        ];
        let mut areas: Vec<AreaCount> = Vec::new();
        for case in &report.cases {
            match areas.iter_mut().find(|a| a.area == case.area) {
                Some(a) => a.count += 1,
                None => areas.push(AreaCount {
                    area: case.area.clone(),
                    count: 1,
                }),
            }
        }
        let server_name = report.server.server_info.as_ref().and_then(|info| {
            let name = info.get("name")?.as_str()?;
            Some(match info.get("version").and_then(|v| v.as_str()) {
                Some(version) => format!("{name} {version}"),
                None => name.to_string(),
            })
        });
        View {
            report: ReportHead::of(report),
            server_name,
            server_info_json: report.server.server_info.as_ref().map(pretty),
            capabilities_json: report.server.capabilities.as_ref().map(pretty),
            counts,
            areas,
            cases: report.cases.iter().map(case_view).collect(),
        }
    }
}

fn count(verdict: Verdict, label: &'static str, count: usize) -> Count {
    Count {
        verdict: verdict.as_str(),
        label,
        count,
    }
}

/// Transcript entries the HTML report shows per case (report.json keeps them all):
/// a page a browser can open even after a flood.
const HTML_ENTRIES: usize = 200;

fn case_view(case: &CaseResult) -> CaseView<'_> {
    let mut view = CaseView {
        case: CaseHead {
            area: &case.area,
            duration_ms: case.duration_ms,
            file: &case.file,
            id: &case.id,
            reason: case.reason.as_deref(),
            revision: case.revision.as_deref(),
            stderr: &case.stderr,
            title: &case.title,
        },
        verdict: case.verdict.as_str(),
        severity: severity(case.severity),
        requirements: requirements(&case.requirements),
        findings: case
            .findings
            .iter()
            .map(|f| FindingView {
                finding: f,
                severity: severity(f.severity),
                requirements: requirements(&f.requirements),
                sent: f.sent.as_ref().map(pretty),
                expected: f.expected.as_ref().map(pretty),
                actual: f.actual.as_ref().map(pretty),
                diff: f.diff.as_deref().map(diff_lines).unwrap_or_default(),
            })
            .collect(),
        transcript: case
            .transcript
            .iter()
            .take(HTML_ENTRIES)
            .map(|e| EntryView {
                at_ms: e.at_ms,
                direction: match e.direction {
                    Direction::Sent => "sent",
                    Direction::Received => "received",
                    Direction::Event => "event",
                },
                body: match &e.body.value() {
                    serde_json::Value::String(s) => s.clone(),
                    other => pretty(other),
                },
            })
            .collect(),
    };
    let left_out = case.transcript.len().saturating_sub(HTML_ENTRIES);
    if left_out > 0 {
        view.transcript.push(EntryView {
            at_ms: case.transcript.last().map_or(0, |e| e.at_ms),
            direction: "event",
            body: format!("… {left_out} further entries, in report.json"),
        });
    }
    view
}

fn requirements(ids: &[String]) -> Vec<Requirement> {
    ids.iter()
        .map(|id| Requirement {
            id: id.clone(),
            url: spec_url(id),
        })
        .collect()
}

fn severity(s: Severity) -> &'static str {
    s.label()
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn diff_lines(diff: &str) -> Vec<DiffLine> {
    diff.lines()
        .map(|line| DiffLine {
            class: if line.starts_with("+++") || line.starts_with("---") {
                "diff-file"
            } else if line.starts_with("@@") {
                "diff-hunk"
            } else if line.starts_with('+') {
                "diff-add"
            } else if line.starts_with('-') {
                "diff-del"
            } else {
                "diff-ctx"
            },
            text: line.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{case, sample_report};

    fn attr_values<'a>(html: &'a str, needle: &str) -> Vec<&'a str> {
        html.match_indices(needle)
            .map(|(i, _)| {
                let rest = &html[i + needle.len()..];
                &rest[..rest.find('"').unwrap_or(rest.len())]
            })
            .collect()
    }

    #[test]
    fn spec_links_by_prefix() {
        assert_eq!(
            spec_url("TOOL-012").as_deref(),
            Some("https://modelcontextprotocol.io/specification/2025-11-25/server/tools")
        );
        assert_eq!(
            spec_url("RPC-1").as_deref(),
            Some("https://modelcontextprotocol.io/specification/2025-11-25/basic")
        );
        assert_eq!(
            spec_url("SSE-3").as_deref(),
            Some("https://modelcontextprotocol.io/specification/2025-11-25/basic/transports")
        );
        assert_eq!(spec_url("MOD-001").as_deref(), Some(MOD_CHANGELOG));
        assert_eq!(spec_url("ZZZ-1"), None);
        assert_eq!(spec_url(""), None);
    }

    #[test]
    fn no_external_resources() {
        let mut report = sample_report();
        // A URL target must show as text, not become a link or a load.
        report.target.description = "https://evil.example/mcp".to_string();
        report.target.transport = "streamable-http".to_string();
        let html = render(&report).expect("renders");
        let lower = html.to_ascii_lowercase();
        for banned in [
            "<link", "@import", "url(", " src=", "<img", "<iframe", "<object",
        ] {
            assert!(!lower.contains(banned), "{banned} found");
        }
        // Every absolute URL is the href of an <a> and points at the spec.
        let mut links = 0;
        for scheme in ["http://", "https://"] {
            for (i, _) in lower.match_indices(scheme) {
                let before = &html[..i];
                assert!(before.ends_with("href=\""), "bare URL at {i}");
                let tag_start = before.rfind('<').expect("inside a tag");
                assert!(html[tag_start..].starts_with("<a "), "URL outside <a>");
                assert!(
                    html[i..].starts_with("https://modelcontextprotocol.io/specification/"),
                    "non-spec URL at {i}"
                );
                links += 1;
            }
        }
        assert!(links > 0, "spec links expected");
        assert!(html.contains("https:&#x2f;&#x2f;evil.example&#x2f;mcp"));
    }

    #[test]
    fn counts_and_rows_are_addressable() {
        let report = sample_report();
        let html = render(&report).expect("renders");
        for (id, n) in [
            ("count-total", 8),
            ("count-pass", 3),
            ("count-fail", 1),
            ("count-warn", 1),
            ("count-note", 1),
            ("count-skip", 1),
            ("count-error", 1),
            ("count-visible", 8),
        ] {
            assert!(html.contains(&format!("id=\"{id}\">{n}<")), "{id} = {n}");
        }
        let verdicts = attr_values(&html, "<details class=\"case\" data-verdict=\"");
        assert_eq!(
            verdicts,
            ["pass", "fail", "pass", "error", "warn", "skip", "pass", "note"]
        );
        let areas = attr_values(&html, "\" data-area=\"");
        assert_eq!(areas.len(), 8);
        assert_eq!(areas[0], "jsonrpc");
        for area in ["jsonrpc", "lifecycle", "tools"] {
            assert!(html.contains(&format!("<option value=\"{area}\" data-count=\"")));
        }
        assert!(html.contains("<option value=\"tools\" data-count=\"3\">"));
        for v in ["all", "pass", "fail", "warn", "note", "skip", "error"] {
            assert!(
                html.contains(&format!("data-filter-verdict=\"{v}\"")),
                "{v}"
            );
        }
    }

    #[test]
    fn script_in_title_is_escaped() {
        let mut report = sample_report();
        let mut c = case("jsonrpc.<script>alert(1)</script>", Verdict::Fail);
        c.title = "<script>alert('x')</script> & \"quotes\"".to_string();
        c.area = "jsonrpc\"><script>".to_string();
        c.reason = Some("</details><script>boom()</script>".to_string());
        c.stderr = "<img src=x onerror=alert(1)>".to_string();
        c.findings = vec![crate::report::fixtures::finding("<b>bold</b>")];
        report.cases.push(c);
        report.server.server_info = Some(serde_json::json!({"name": "<script>srv</script>"}));
        let html = render(&report).expect("renders");
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<script>boom"));
        assert!(!html.contains("<script>srv"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>bold"));
        assert!(html.contains(
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt; &amp; &quot;quotes&quot;"
        ));
        // Only the page's own inline script.
        assert_eq!(html.matches("<script").count(), 1);
    }

    #[test]
    fn empty_report_renders() {
        let mut report = sample_report();
        report.cases.clear();
        report.summary = Default::default();
        report.server = Default::default();
        let html = render(&report).expect("renders");
        assert!(html.contains("id=\"count-total\">0<"));
        assert!(html.contains("No cases ran."));
    }
}
