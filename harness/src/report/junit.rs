//! The JUnit XML report, for CI systems that show test results.
//!
//! One `<testsuite>` per area (in order of first appearance), one `<testcase>` per
//! case with `classname` = area and `name` = case id. Verdicts map as follows:
//!
//! | verdict | JUnit                                                               |
//! |---------|---------------------------------------------------------------------|
//! | pass    | passed                                                              |
//! | fail    | `<failure>`: message = reason, text = the findings and their evidence |
//! | error   | `<error>`: same content                                             |
//! | skip    | `<skipped>` with the reason                                         |
//! | warn    | passed with a `WARN: …` system-out note, or a `<failure>` when warnings count as failures |
//! | note    | passed with a `NOTE: …` system-out note, always (a note never counts)  |

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::outcome::{CaseResult, Finding, RunReport, Severity, TranscriptEntry, Verdict};

/// Renders the report as JUnit XML. With `warnings_as_failures`, warn cases become
/// `<failure>`s (type `warning`) instead of passed test cases with a note.
pub fn render(report: &RunReport, warnings_as_failures: bool) -> anyhow::Result<String> {
    let mut junit = Report::new("mcp-conform");
    junit.set_time(Duration::from_millis(report.duration_ms));

    let mut areas: Vec<(&str, Vec<&CaseResult>)> = Vec::new();
    for case in &report.cases {
        match areas.iter_mut().find(|(area, _)| *area == case.area) {
            Some((_, cases)) => cases.push(case),
            None => areas.push((&case.area, vec![case])),
        }
    }

    for (area, cases) in areas {
        let mut suite = TestSuite::new(area);
        suite.set_time(Duration::from_millis(
            cases.iter().map(|c| c.duration_ms).sum(),
        ));
        suite.add_property(("target", report.target.description.as_str()));
        suite.add_property(("transport", report.target.transport.as_str()));
        if let Some(name) = &report.target.config_name {
            suite.add_property(("config_name", name.as_str()));
        }
        if let Some(rev) = &report.server.negotiated_revision {
            suite.add_property(("negotiated_revision", rev.as_str()));
        }
        suite.add_property(("started_at", report.started_at.as_str()));
        suite.add_property(("tool_version", report.tool_version.as_str()));
        for case in cases {
            suite.add_test_case(test_case(case, warnings_as_failures));
        }
        junit.add_test_suite(suite);
    }

    Ok(junit.to_string()?)
}

fn test_case(case: &CaseResult, warnings_as_failures: bool) -> TestCase {
    let reason = case
        .reason
        .clone()
        .or_else(|| case.findings.first().map(|f| f.message.clone()))
        .unwrap_or_else(|| case.verdict.as_str().to_string());
    let status = match case.verdict {
        Verdict::Pass | Verdict::Note => TestCaseStatus::success(),
        Verdict::Warn if !warnings_as_failures => TestCaseStatus::success(),
        Verdict::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(reason.as_str());
            s
        }
        Verdict::Fail | Verdict::Warn | Verdict::Error => {
            let (kind, ty) = match case.verdict {
                Verdict::Error => (NonSuccessKind::Error, "error"),
                Verdict::Warn => (NonSuccessKind::Failure, "warning"),
                _ => (NonSuccessKind::Failure, "failure"),
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(reason.as_str());
            s.set_type(ty);
            s.set_description(describe(case));
            s
        }
    };
    let mut tc = TestCase::new(case.id.as_str(), status);
    tc.set_classname(case.area.as_str());
    tc.set_time(Duration::from_millis(case.duration_ms));
    tc.add_property(("title", case.title.as_str()));
    tc.add_property(("file", case.file.as_str()));
    tc.add_property(("requirements", case.requirements.join(", ").as_str()));
    tc.add_property(("severity", severity(case.severity)));
    if let Some(rev) = &case.revision {
        tc.add_property(("revision", rev.as_str()));
    }

    let mut out = String::new();
    let label = match case.verdict {
        Verdict::Warn if !warnings_as_failures => Some("WARN"),
        Verdict::Note => Some("NOTE"),
        _ => None,
    };
    if let Some(label) = label {
        out.push_str(&format!("{label}: {reason}\n"));
        for (i, f) in case.findings.iter().enumerate() {
            push_finding(&mut out, i, f);
        }
    }
    if matches!(
        case.verdict,
        Verdict::Fail | Verdict::Error | Verdict::Warn | Verdict::Note
    ) && !case.transcript.is_empty()
    {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Transcript:\n");
        for entry in &case.transcript {
            push_entry(&mut out, entry);
        }
    }
    if !out.is_empty() {
        tc.set_system_out(out);
    }
    if !case.stderr.is_empty() {
        tc.set_system_err(case.stderr.as_str());
    }
    tc
}

fn severity(s: Severity) -> &'static str {
    s.label()
}

/// The failure text: the case, then every finding with its evidence.
fn describe(case: &CaseResult) -> String {
    let mut out = format!("{} — {}\n", case.id, case.title);
    out.push_str(&format!("file: {}\n", case.file));
    if !case.requirements.is_empty() {
        out.push_str(&format!("requirements: {}\n", case.requirements.join(", ")));
    }
    out.push_str(&format!("severity: {}\n", severity(case.severity)));
    if let Some(rev) = &case.revision {
        out.push_str(&format!("revision: {rev}\n"));
    }
    if let Some(reason) = &case.reason {
        out.push_str(&format!("reason: {reason}\n"));
    }
    for (i, f) in case.findings.iter().enumerate() {
        out.push('\n');
        push_finding(&mut out, i, f);
    }
    out
}

fn push_finding(out: &mut String, index: usize, f: &Finding) {
    out.push_str(&format!(
        "finding {} [{}] ({}): {}\n",
        index + 1,
        severity(f.severity),
        f.requirements.join(", "),
        f.message
    ));
    for (label, value) in [
        ("sent", &f.sent),
        ("expected", &f.expected),
        ("actual", &f.actual),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("  {label}:\n"));
            push_indented(out, &pretty(v));
        }
    }
    if let Some(diff) = &f.diff {
        out.push_str("  diff:\n");
        push_indented(out, diff);
    }
}

fn push_entry(out: &mut String, entry: &TranscriptEntry) {
    let arrow = match entry.direction {
        crate::outcome::Direction::Sent => "-> sent",
        crate::outcome::Direction::Received => "<- received",
        crate::outcome::Direction::Event => "** event",
    };
    let body = match &entry.body.value() {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    out.push_str(&format!("[{:>6} ms] {arrow}: {body}\n", entry.at_ms));
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn push_indented(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{case, sample_report};

    struct SuiteCounts {
        name: String,
        tests: usize,
        failures: usize,
        errors: usize,
        skipped: usize,
    }

    fn counts(xml: &str) -> Vec<SuiteCounts> {
        let parsed = Report::deserialize_from_str(xml).expect("output parses as JUnit");
        parsed
            .test_suites
            .iter()
            .map(|s| SuiteCounts {
                name: s.name.as_str().to_string(),
                tests: s.tests,
                failures: s.failures,
                errors: s.errors,
                skipped: s.skipped,
            })
            .collect()
    }

    fn find<'a>(suites: &'a [SuiteCounts], name: &str) -> &'a SuiteCounts {
        suites
            .iter()
            .find(|s| s.name == name)
            .expect("suite exists")
    }

    #[test]
    fn one_suite_per_area_with_counts() {
        let xml = render(&sample_report(), false).expect("renders");
        let suites = counts(&xml);
        let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["jsonrpc", "lifecycle", "tools", "http"]);
        let rpc = find(&suites, "jsonrpc");
        assert_eq!(
            (rpc.tests, rpc.failures, rpc.errors, rpc.skipped),
            (2, 1, 0, 0)
        );
        let life = find(&suites, "lifecycle");
        assert_eq!(
            (life.tests, life.failures, life.errors, life.skipped),
            (2, 0, 1, 0)
        );
        let tools = find(&suites, "tools");
        assert_eq!(
            (tools.tests, tools.failures, tools.errors, tools.skipped),
            (3, 0, 0, 1)
        );
    }

    #[test]
    fn warnings_as_failures_counts_them() {
        let xml = render(&sample_report(), true).expect("renders");
        let tools = counts(&xml)
            .into_iter()
            .find(|s| s.name == "tools")
            .expect("tools suite");
        assert_eq!(
            (tools.tests, tools.failures, tools.errors, tools.skipped),
            (3, 1, 0, 1)
        );
        // A note stays a passed test case, with warnings counted as failures too.
        let http = counts(&xml)
            .into_iter()
            .find(|s| s.name == "http")
            .expect("http suite");
        assert_eq!(
            (http.tests, http.failures, http.errors, http.skipped),
            (1, 0, 0, 0)
        );
    }

    #[test]
    fn a_note_is_a_passed_test_case_with_its_note_in_system_out() {
        for warnings_as_failures in [false, true] {
            let xml = render(&sample_report(), warnings_as_failures).expect("renders");
            let parsed = Report::deserialize_from_str(&xml).expect("parses");
            let tc = parsed
                .test_suites
                .iter()
                .flat_map(|s| s.test_cases.iter())
                .find(|t| t.name.as_str() == "http.foreign-host-rejected")
                .expect("case present");
            assert!(
                matches!(tc.status, TestCaseStatus::Success { .. }),
                "{:?}",
                tc.status
            );
            let out = tc.system_out.as_ref().expect("system-out").as_str();
            assert!(
                out.starts_with("NOTE: a request with a foreign Host header was served\n"),
                "{out}"
            );
            assert!(out.contains("[NOTE] (SEC-04): status 200 for Host: rebind.invalid"));
            assert!(!out.contains("WARN"));
            assert!(xml.contains(r#"<property name="severity" value="NOTE"/>"#));
        }
    }

    #[test]
    fn failure_carries_reason_and_evidence() {
        let report = sample_report();
        let xml = render(&report, false).expect("renders");
        let parsed = Report::deserialize_from_str(&xml).expect("parses");
        let tc = parsed
            .test_suites
            .iter()
            .flat_map(|s| s.test_cases.iter())
            .find(|t| t.name.as_str() == "jsonrpc.id-echo")
            .expect("case present");
        assert_eq!(tc.classname.as_ref().map(|c| c.as_str()), Some("jsonrpc"));
        let TestCaseStatus::NonSuccess {
            kind,
            message,
            description,
            ..
        } = &tc.status
        else {
            panic!("expected a failure, got {:?}", tc.status);
        };
        assert_eq!(*kind, NonSuccessKind::Failure);
        assert_eq!(
            message.as_ref().map(|m| m.as_str()),
            Some("response id does not match request id")
        );
        assert!(description.is_some(), "the findings as the failure's text");
        assert_eq!(
            tc.system_err.as_ref().map(|s| s.as_str().trim_end()),
            Some("warning: something odd")
        );
    }

    #[test]
    fn error_skip_and_warn_shapes() {
        let xml = render(&sample_report(), false).expect("renders");
        let parsed = Report::deserialize_from_str(&xml).expect("parses");
        let all: Vec<&TestCase> = parsed
            .test_suites
            .iter()
            .flat_map(|s| s.test_cases.iter())
            .collect();
        let by = |id: &str| {
            *all.iter()
                .find(|t| t.name.as_str() == id)
                .expect("case present")
        };
        assert!(matches!(
            by("lifecycle.shutdown").status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                ..
            }
        ));
        let TestCaseStatus::Skipped { message, .. } = &by("tools.call-unknown").status else {
            panic!("expected skipped");
        };
        assert_eq!(
            message.as_ref().map(|m| m.as_str()),
            Some("server does not declare the tools capability")
        );
        let warn = by("tools.progress");
        assert!(matches!(warn.status, TestCaseStatus::Success { .. }));
        let out = warn.system_out.as_ref().expect("system-out").as_str();
        assert!(out.starts_with("WARN: server did not send a progress notification\n"));
        assert!(out.contains("no notifications/progress before the result"));
    }

    #[test]
    fn xml_special_characters_are_escaped() {
        let mut report = sample_report();
        let mut c = case("jsonrpc.<odd>&\"quote\"", Verdict::Fail);
        c.reason = Some("a < b && c > \"d\" \u{1b}[31m]]>".to_string());
        report.cases = vec![c];
        let xml = render(&report, false).expect("renders");
        assert!(!xml.contains("<odd>"));
        let parsed = Report::deserialize_from_str(&xml).expect("still parses");
        let tc = &parsed.test_suites[0].test_cases[0];
        assert_eq!(tc.name.as_str(), "jsonrpc.<odd>&\"quote\"");
    }

    #[test]
    fn empty_report_renders() {
        let mut report = sample_report();
        report.cases.clear();
        let xml = render(&report, false).expect("renders");
        assert!(Report::deserialize_from_str(&xml)
            .expect("parses")
            .test_suites
            .is_empty());
    }
}
