//! The SARIF 2.1.0 report (`report.sarif`), the format GitHub code scanning reads.
//!
//! * One run; `tool.driver` is mcp-conform, with one rule per requirement id that
//!   appears in the report (cited by a case or a finding), sorted by id: its paraphrase
//!   as `fullDescription` (cut short as `shortDescription`), its spec page as `helpUri`,
//!   and its keyword as `defaultConfiguration.level` (MUST → `error`, SHOULD →
//!   `warning`, MAY and `info` → `note`).
//! * One result per finding of a failed, warned or noted case (a case of that verdict
//!   without findings gives one result from its reason). `ruleId` is the finding's first
//!   requirement id (else the case's), `level` follows the finding's severity.
//! * Findings are about the server's behaviour, not a line of its source, but GitHub
//!   code scanning wants a physical location on every result: it is the case file
//!   (`cases/<area>/<name>.yaml`, line 1, percent-encoded), or `mcp-conform/<case id>`
//!   for generated results (fuzzing, traversal), whose `file` is a description. Each location also names the case as a logical
//!   location, and `partialFingerprints` (case id, rule id, ordinal) keep an alert the
//!   same across runs.
//! * A case the harness could not judge (verdict `error`) is no result: it is a
//!   `toolExecutionNotifications` entry (level `error`) of the invocation, whose
//!   `executionSuccessful` is false when there is any. The server's notes (revisions
//!   not tested, a missing token) are `toolConfigurationNotifications`.
//! * Passes and skips are not in the file.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::html::spec_url;
use crate::outcome::{CaseResult, Finding, RunReport, Severity, Verdict};
use crate::requirements;

/// The `$schema` of the log: the OASIS SARIF 2.1.0 schema (errata01), vendored as
/// `schemas/sarif/sarif-schema-2.1.0.json` for the tests.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Longest `shortDescription`, in characters (the full text is `fullDescription`).
const SHORT_DESCRIPTION: usize = 120;

/// The key of the fingerprint every result carries.
const FINGERPRINT: &str = "mcpConformCase/v1";

/// Renders the report as a pretty SARIF 2.1.0 log, ending with a newline.
pub fn render(report: &RunReport) -> String {
    let rules = rule_ids(report);
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut results = Vec::new();
    for case in &report.cases {
        if matches!(case.verdict, Verdict::Fail | Verdict::Warn | Verdict::Note) {
            for finding in judged_findings(case) {
                let rule = rule_of(case, &finding);
                let ordinal = seen.entry((case.id.clone(), rule.clone())).or_default();
                *ordinal += 1;
                results.push(result(
                    case,
                    &finding,
                    &rule,
                    index.get(rule.as_str()),
                    *ordinal,
                ));
            }
        }
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver(report, &rules)},
            "invocations": [invocation(report, &index)],
            "results": results,
            "properties": run_properties(report),
        }],
    });
    match serde_json::to_string_pretty(&log) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // Unreachable in practice: every map above has string keys.
        Err(e) => format!("{{\"error\": {}}}\n", Value::String(e.to_string())),
    }
}

/// Every requirement id the report names (cases and findings), sorted.
fn rule_ids(report: &RunReport) -> Vec<String> {
    let mut ids = BTreeSet::new();
    for case in &report.cases {
        ids.extend(case.requirements.iter().cloned());
        for f in &case.findings {
            ids.extend(f.requirements.iter().cloned());
        }
    }
    ids.into_iter().collect()
}

/// The findings a result is made of: the case's, or one from its reason when it has none.
fn judged_findings(case: &CaseResult) -> Vec<Finding> {
    if !case.findings.is_empty() {
        return case.findings.clone();
    }
    vec![Finding {
        requirements: case.requirements.clone(),
        severity: case.severity,
        message: case
            .reason
            .clone()
            .unwrap_or_else(|| format!("{}: {}", case.verdict.as_str(), case.title)),
        sent: None,
        expected: None,
        actual: None,
        diff: None,
    }]
}

/// The rule of a finding: its first requirement id, else the case's first, else
/// `mcp-conform` (no rule: a result may name a rule the driver does not list).
fn rule_of(case: &CaseResult, finding: &Finding) -> String {
    finding
        .requirements
        .first()
        .or_else(|| case.requirements.first())
        .cloned()
        .unwrap_or_else(|| "mcp-conform".to_string())
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Must => "error",
        Severity::Should => "warning",
        Severity::Note => "note",
    }
}

/// The level a requirement's keyword gives; an id not in the bundled list warns.
fn default_level(id: &str) -> &'static str {
    match requirements::strongest_level(id) {
        Some(s) => level(s),
        None if requirements::exists(id) => "note",
        None => "warning",
    }
}

fn driver(report: &RunReport, rules: &[String]) -> Value {
    let rules: Vec<Value> = rules.iter().map(|id| rule(id)).collect();
    json!({
        "name": "mcp-conform",
        "version": report.tool_version,
        "semanticVersion": report.tool_version,
        "informationUri": env!("CARGO_PKG_REPOSITORY"),
        "rules": rules,
    })
}

/// One rule: a requirement id with its paraphrase, spec page and level.
fn rule(id: &str) -> Value {
    let known = requirements::all().get(id);
    let text = known
        .map(|r| format!("{} ({}): {}", id, r.keyword, r.text))
        .unwrap_or_else(|| format!("{id}: a requirement of the MCP specification"));
    let mut rule = json!({
        "id": id,
        "shortDescription": {"text": super::markdown::cut(&text, SHORT_DESCRIPTION)},
        "fullDescription": {"text": text},
        "defaultConfiguration": {"level": default_level(id)},
    });
    if let Some(url) = spec_url(id) {
        // The alert page shows `help`; the paraphrase's backticks are Markdown already.
        rule["help"] = json!({
            "text": format!("{text}\nSpecification: {url}"),
            "markdown": format!("{text}\n\n[Specification]({url})"),
        });
        rule["helpUri"] = Value::String(url);
    }
    if let Some(r) = known {
        rule["properties"] = json!({
            "tags": ["mcp", r.area.to_ascii_lowercase()],
            "keyword": r.keyword,
            "revisions": r.revisions,
        });
    }
    rule
}

fn result(
    case: &CaseResult,
    finding: &Finding,
    rule: &str,
    index: Option<&usize>,
    ordinal: usize,
) -> Value {
    let mut result = json!({
        "ruleId": rule,
        "level": level(finding.severity),
        "kind": "fail",
        "message": {"text": format!("{}: {}", case.id, finding.message)},
        "locations": [location(case)],
        "partialFingerprints": {FINGERPRINT: format!("{}:{rule}:{ordinal}", case.id)},
        "properties": {
            "caseTitle": case.title,
            "verdict": case.verdict.as_str(),
            "requirements": finding.requirements,
        },
    });
    if let Some(i) = index {
        result["ruleIndex"] = json!(i);
    }
    if let Some(rev) = &case.revision {
        result["properties"]["revision"] = json!(rev);
    }
    result
}

/// Where a result "is": the case file, and the case as a logical location.
fn location(case: &CaseResult) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(case)},
            "region": {"startLine": 1},
        },
        "logicalLocations": [{"name": case.id, "fullyQualifiedName": case.id, "kind": "test"}],
    })
}

/// The case file as a relative URI (`cases/tools/list.yaml`); `mcp-conform/<id>` for a
/// generated result, whose `file` is a description such as `(generated by --fuzz)`.
fn artifact_uri(case: &CaseResult) -> String {
    let file = case.file.replace('\\', "/");
    let is_path = !file.is_empty() && !file.starts_with('(');
    let path = if is_path {
        file.trim_start_matches('/').to_string()
    } else {
        format!("mcp-conform/{}", case.id)
    };
    let mut uri = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// The invocation: cases that could not be judged, and the server's notes.
fn invocation(report: &RunReport, index: &BTreeMap<&str, usize>) -> Value {
    let errors: Vec<Value> = report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Error)
        .map(|c| {
            let reason = c.reason.as_deref().unwrap_or("no reason given");
            let mut n = json!({
                "level": "error",
                "message": {"text": format!("{} could not be judged: {reason}", c.id)},
                "locations": [location(c)],
            });
            if let Some((id, i)) = c
                .requirements
                .first()
                .and_then(|id| index.get(id.as_str()).map(|i| (id, i)))
            {
                n["associatedRule"] = json!({"id": id, "index": i});
            }
            n
        })
        .collect();
    let mut notes: Vec<Value> = report
        .server
        .notes
        .iter()
        .map(|n| json!({"level": "note", "message": {"text": n}}))
        .collect();
    if report.server.token_missing {
        notes.push(json!({"level": "error", "message": {"text":
            "the server demanded a token and the run had none: only the authorization cases ran"}}));
    }
    json!({
        "executionSuccessful": errors.is_empty(),
        "toolExecutionNotifications": errors,
        "toolConfigurationNotifications": notes,
    })
}

/// What was tested, and the counts (the whole report is `report.json`).
fn run_properties(report: &RunReport) -> Value {
    json!({
        "target": report.target.description,
        "transport": report.target.transport,
        "negotiatedRevision": report.server.negotiated_revision,
        "startedAt": report.started_at,
        "durationMs": report.duration_ms,
        "summary": report.summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{case, snapshot_report};

    /// The official SARIF 2.1.0 schema, vendored (see `schemas/sarif/SOURCE.md`).
    const OFFICIAL_SCHEMA: &str = include_str!("../../../schemas/sarif/sarif-schema-2.1.0.json");

    fn errors(instance: &Value) -> Vec<String> {
        let schema: Value = serde_json::from_str(OFFICIAL_SCHEMA).expect("schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect()
    }

    fn log(report: &RunReport) -> Value {
        serde_json::from_str(&render(report)).expect("render gives JSON")
    }

    #[test]
    fn the_vendored_schema_is_the_official_draft_04_one() {
        let schema: Value = serde_json::from_str(OFFICIAL_SCHEMA).expect("JSON");
        assert_eq!(schema["id"], SCHEMA_URI);
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
        // The draft the validator picks must be 4, where `id` names the schema.
        assert_eq!(
            jsonschema::Draft::default().detect(&schema),
            jsonschema::Draft::Draft4
        );
    }

    #[test]
    fn the_snapshot_report_validates_against_the_official_schema() {
        let v = log(&snapshot_report());
        assert_eq!(errors(&v), Vec::<String>::new());
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["$schema"], SCHEMA_URI);
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "mcp-conform");
        assert!(run["tool"]["driver"]["informationUri"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://")));
    }

    #[test]
    fn a_result_per_finding_with_a_physical_location() {
        let v = log(&snapshot_report());
        let results = v["runs"][0]["results"].as_array().expect("results");
        // fail (2 findings) + warn (1) + note (1) + fuzz breach (1); the error case is
        // a notification, passes and skips are absent.
        assert_eq!(results.len(), 5);
        for r in results {
            let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert!(uri.as_str().is_some_and(|u| !u.is_empty()), "{r}");
        }
        let levels: Vec<&str> = results.iter().filter_map(|r| r["level"].as_str()).collect();
        assert_eq!(levels, ["error", "error", "warning", "note", "error"]);
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "cases/jsonrpc/jsonrpc.id-echo.yaml"
        );
        assert_eq!(
            results[4]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "mcp-conform/fuzz.echo.strings"
        );
        // Two findings of one case under one rule: distinct fingerprints.
        assert_ne!(
            results[0]["partialFingerprints"],
            results[1]["partialFingerprints"]
        );
        let notes = &v["runs"][0]["invocations"][0]["toolExecutionNotifications"];
        assert_eq!(notes.as_array().map(Vec::len), Some(1));
        assert!(notes[0]["message"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("lifecycle.shutdown could not be judged")));
        assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], false);
    }

    #[test]
    fn rules_carry_the_requirement_text_link_and_level() {
        let mut report = snapshot_report();
        let mut c = case("tools.x", Verdict::Warn);
        c.requirements = vec!["RPC-02".into(), "LOG-02".into(), "STDIO-04".into()];
        report.cases.push(c);
        let v = log(&report);
        assert_eq!(errors(&v), Vec::<String>::new());
        let rules = v["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        let rule = |id: &str| {
            rules
                .iter()
                .find(|r| r["id"] == id)
                .unwrap_or_else(|| panic!("no rule {id}"))
        };
        let rpc = rule("RPC-02");
        assert_eq!(rpc["defaultConfiguration"]["level"], "error");
        assert_eq!(
            rpc["helpUri"],
            "https://modelcontextprotocol.io/specification/2025-11-25/basic"
        );
        let short = rpc["shortDescription"]["text"].as_str().expect("text");
        assert!(short.starts_with("RPC-02 (MUST): A response carries the same `id`"));
        assert!(short.chars().count() <= SHORT_DESCRIPTION);
        assert!(rpc["help"]["markdown"]
            .as_str()
            .is_some_and(|m| m.ends_with(
                "[Specification](https://modelcontextprotocol.io/specification/2025-11-25/basic)"
            )));
        assert_eq!(rule("LOG-02")["defaultConfiguration"]["level"], "error");
        assert_eq!(rule("PROG-002")["defaultConfiguration"]["level"], "warning");
        assert_eq!(rule("STDIO-04")["defaultConfiguration"]["level"], "note");
        let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        // ruleIndex points at the rule it names.
        for r in v["runs"][0]["results"].as_array().expect("results") {
            let i = r["ruleIndex"].as_u64().expect("index") as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
        }
    }

    #[test]
    fn odd_file_names_become_uri_references() {
        let mut c = case("a.b", Verdict::Fail);
        c.file = "my cases/a b.yaml".into();
        assert_eq!(artifact_uri(&c), "my%20cases/a%20b.yaml");
        c.file = "(generated: traversal probes)".into();
        assert_eq!(artifact_uri(&c), "mcp-conform/a.b");
        c.file = "/abs/dir/ü.yaml".into();
        assert_eq!(artifact_uri(&c), "abs/dir/%C3%BC.yaml");
        c.file = String::new();
        assert_eq!(artifact_uri(&c), "mcp-conform/a.b");
    }

    #[test]
    fn an_empty_report_validates() {
        let mut report = snapshot_report();
        report.cases.clear();
        report.server = Default::default();
        let v = log(&report);
        assert_eq!(errors(&v), Vec::<String>::new());
        assert_eq!(v["runs"][0]["results"], json!([]));
        assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], true);
    }
}
