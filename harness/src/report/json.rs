//! The JSON report: the [`RunReport`] serialized as pretty JSON.
//!
//! Its structure is described by `reports/report.schema.json` (JSON Schema draft
//! 2020-12). The schema is strict (`additionalProperties: false`), so a field added to
//! the model must be added to the schema too; the tests below catch a mismatch.

use crate::outcome::RunReport;

/// The schema of the JSON report, as shipped in `reports/report.schema.json`.
pub const SCHEMA: &str = include_str!("../../../reports/report.schema.json");

/// Serializes the report as pretty-printed JSON, ending with a newline.
pub fn render(report: &RunReport) -> String {
    match serde_json::to_string_pretty(report) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // Unreachable in practice: every map in the model has string keys.
        Err(e) => format!(
            "{{\"error\": {}}}\n",
            serde_json::Value::String(format!("cannot serialize report: {e}"))
        ),
    }
}

/// Report fixtures shared by the tests of every report format.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::outcome::*;
    use serde_json::json;

    pub(crate) fn case(id: &str, verdict: Verdict) -> CaseResult {
        let area = id.split(['.', '/']).next().unwrap_or(id).to_string();
        CaseResult {
            id: id.to_string(),
            title: format!("Title of {id}"),
            area: area.clone(),
            requirements: vec!["RPC-001".to_string()],
            severity: Severity::Must,
            file: format!("cases/{area}/{id}.yaml"),
            revision: Some("2025-11-25".to_string()),
            verdict,
            reason: match verdict {
                Verdict::Pass => None,
                Verdict::Fail => Some("response id does not match request id".to_string()),
                Verdict::Warn => Some("server did not send a progress notification".to_string()),
                Verdict::Skip => Some("server does not declare the tools capability".to_string()),
                Verdict::Error => Some("server closed stdout before answering".to_string()),
                Verdict::Note => {
                    Some("a request with a foreign Host header was served".to_string())
                }
            },
            duration_ms: 12,
            findings: Vec::new(),
            transcript: vec![
                TranscriptEntry {
                    at_ms: 0,
                    direction: Direction::Sent,
                    body: json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
                },
                TranscriptEntry {
                    at_ms: 3,
                    direction: Direction::Received,
                    body: json!({"jsonrpc": "2.0", "id": 1, "result": {}}),
                },
                TranscriptEntry {
                    at_ms: 4,
                    direction: Direction::Event,
                    body: json!("connection closed"),
                },
            ],
            stderr: String::new(),
        }
    }

    pub(crate) fn finding(message: &str) -> Finding {
        Finding {
            requirements: vec!["RPC-003".to_string(), "LIFE-002".to_string()],
            severity: Severity::Must,
            message: message.to_string(),
            sent: Some(json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"})),
            expected: Some(json!({"jsonrpc": "2.0", "id": 7})),
            actual: Some(json!({"jsonrpc": "2.0", "id": 8})),
            diff: Some(
                "--- expected\n+++ actual\n@@ -1,4 +1,4 @@\n {\n   \"jsonrpc\": \"2.0\",\n-  \"id\": 7\n+  \"id\": 8\n }\n"
                    .to_string(),
            ),
        }
    }

    /// A report with every verdict, three areas, findings, stderr and notes.
    pub(crate) fn sample_report() -> RunReport {
        let mut fail = case("jsonrpc.id-echo", Verdict::Fail);
        fail.findings = vec![
            finding("response id 8 does not echo request id 7"),
            finding("second finding"),
        ];
        fail.stderr = "warning: something odd\n".to_string();
        let mut warn = case("tools.progress", Verdict::Warn);
        warn.severity = Severity::Should;
        warn.requirements = vec!["PROG-002".to_string(), "TOOL-010".to_string()];
        warn.findings = vec![Finding {
            requirements: vec!["PROG-002".to_string()],
            severity: Severity::Should,
            message: "no notifications/progress before the result".to_string(),
            sent: None,
            expected: None,
            actual: None,
            diff: None,
        }];
        let mut error = case("lifecycle.shutdown", Verdict::Error);
        error.requirements = vec!["LIFE-010".to_string(), "STDIO-004".to_string()];
        error.findings = vec![finding("no response within 5000 ms")];
        error.stderr = "panic: boom\n".to_string();
        let mut skip = case("tools.call-unknown", Verdict::Skip);
        skip.revision = None;
        skip.transcript.clear();
        let mut note = case("http.foreign-host-rejected", Verdict::Note);
        note.severity = Severity::Note;
        note.requirements = vec!["SEC-04".to_string()];
        note.findings = vec![Finding {
            requirements: vec!["SEC-04".to_string()],
            severity: Severity::Note,
            message: "status 200 for Host: rebind.invalid".to_string(),
            sent: None,
            expected: None,
            actual: Some(json!({"status": 200})),
            diff: None,
        }];
        let cases = vec![
            case("jsonrpc.ping", Verdict::Pass),
            fail,
            case("lifecycle.initialize", Verdict::Pass),
            error,
            warn,
            skip,
            case("tools.list", Verdict::Pass),
            note,
        ];
        RunReport {
            format_version: REPORT_FORMAT_VERSION,
            tool_version: "0.1.0".to_string(),
            target: TargetInfo {
                description: "node server.js --stdio".to_string(),
                transport: "stdio".to_string(),
                config_name: Some("example".to_string()),
            },
            server: ServerFacts {
                supported_revisions: vec!["2025-06-18".to_string(), "2025-11-25".to_string()],
                negotiated_revision: Some("2025-11-25".to_string()),
                server_info: Some(json!({"name": "example-server", "version": "1.2.3"})),
                capabilities: Some(json!({"tools": {"listChanged": true}})),
                notes: vec!["2024-11-05 not tested: server rejected it".to_string()],
            },
            started_at: "2025-11-25T10:00:00Z".to_string(),
            duration_ms: 1234,
            summary: Summary::from_cases(&cases),
            cases,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::sample_report;
    use super::*;
    use crate::outcome::{Severity, Verdict, REPORT_FORMAT_VERSION};
    use serde_json::Value;

    fn schema() -> Value {
        serde_json::from_str(SCHEMA).expect("schema is JSON")
    }

    fn validator() -> jsonschema::Validator {
        jsonschema::validator_for(&schema()).expect("schema compiles")
    }

    fn errors(instance: &Value) -> Vec<String> {
        validator()
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    #[test]
    fn schema_is_valid_draft_2020_12() {
        let schema = schema();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        jsonschema::meta::validate(&schema).expect("schema is a valid 2020-12 schema");
        assert_eq!(
            schema["properties"]["format_version"]["const"],
            REPORT_FORMAT_VERSION
        );
    }

    #[test]
    fn rendered_report_with_every_verdict_validates() {
        let report = sample_report();
        for v in [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Warn,
            Verdict::Skip,
            Verdict::Error,
            Verdict::Note,
        ] {
            assert!(report.cases.iter().any(|c| c.verdict == v), "{v:?} missing");
        }
        assert!(report.cases.iter().any(|c| c.severity == Severity::Note));
        let text = render(&report);
        assert!(text.ends_with("}\n"));
        let instance: Value = serde_json::from_str(&text).expect("render gives JSON");
        assert_eq!(errors(&instance), Vec::<String>::new());
    }

    #[test]
    fn minimal_report_validates() {
        let mut report = sample_report();
        report.cases.clear();
        report.summary = Default::default();
        report.server = Default::default();
        report.target.config_name = None;
        let instance: Value = serde_json::from_str(&render(&report)).expect("JSON");
        assert_eq!(errors(&instance), Vec::<String>::new());
    }

    #[test]
    fn round_trips_through_the_model() {
        let report = sample_report();
        let text = render(&report);
        let back: RunReport = serde_json::from_str(&text).expect("parses back");
        assert_eq!(render(&back), text);
    }

    #[test]
    fn notes_have_a_count_of_their_own() {
        let report = sample_report();
        let s = &report.summary;
        assert_eq!((s.noted, s.warned, s.passed), (1, 1, 3));
        assert_eq!(
            s.total,
            s.passed + s.failed + s.warned + s.noted + s.skipped + s.errored
        );
        let instance: Value = serde_json::from_str(&render(&report)).expect("JSON");
        assert_eq!(instance["summary"]["noted"], 1);
        let note = &instance["cases"][7];
        assert_eq!(
            (&note["verdict"], &note["severity"]),
            (&Value::from("note"), &Value::from("note"))
        );
        assert_eq!(note["findings"][0]["severity"], "note");
        // A report written before notes existed still reads (and validates).
        let mut old = instance.clone();
        if let Some(summary) = old["summary"].as_object_mut() {
            summary.remove("noted");
        }
        assert_eq!(errors(&old), Vec::<String>::new());
        let back: RunReport = serde_json::from_value(old).expect("old report parses");
        assert_eq!(back.summary.noted, 0);
    }

    #[test]
    fn broken_reports_are_rejected() {
        let good: Value = serde_json::from_str(&render(&sample_report())).expect("JSON");
        type Breakage = (&'static str, fn(&mut Value));
        let breakages: Vec<Breakage> = vec![
            ("verdict maybe", |v| {
                v["cases"][0]["verdict"] = "maybe".into()
            }),
            ("severity may", |v| v["cases"][1]["severity"] = "may".into()),
            ("direction", |v| {
                v["cases"][0]["transcript"][0]["direction"] = "sideways".into()
            }),
            ("transport", |v| {
                v["target"]["transport"] = "carrier-pigeon".into()
            }),
            ("extra field", |v| v["cases"][0]["colour"] = "red".into()),
            ("extra top-level", |v| v["extra"] = 1.into()),
            ("negative count", |v| v["summary"]["passed"] = (-1).into()),
            ("missing id", |v| {
                if let Some(o) = v["cases"][0].as_object_mut() {
                    o.remove("id");
                }
            }),
            ("format version", |v| v["format_version"] = 2.into()),
            ("started_at", |v| v["started_at"] = "yesterday".into()),
            ("finding severity", |v| {
                v["cases"][1]["findings"][0]["severity"] = "could".into()
            }),
            ("negative noted", |v| v["summary"]["noted"] = (-1).into()),
        ];
        for (name, breakage) in breakages {
            let mut bad = good.clone();
            breakage(&mut bad);
            assert!(!errors(&bad).is_empty(), "{name}: broken report validated");
        }
    }
}
