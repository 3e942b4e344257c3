//! The result of one run, as every report format sees it.
//!
//! This is the stable data model behind the JSON report (whose schema lives in
//! `reports/report.schema.json`); the terminal, JUnit, HTML and GitHub outputs are
//! all renderings of it. Field names are part of the public contract: add, never rename.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the JSON report structure.
pub const REPORT_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub format_version: u32,
    /// Version of mcp-conform that produced the report.
    pub tool_version: String,
    pub target: TargetInfo,
    pub server: ServerFacts,
    /// RFC 3339 UTC timestamp of the start of the run.
    pub started_at: String,
    pub duration_ms: u64,
    pub cases: Vec<CaseResult>,
    pub summary: Summary,
    /// Set when the run proves nothing (exit code 3): nothing could be judged, or only
    /// the authorization cases ran for want of a token. Why, in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nothing_judged: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetInfo {
    /// What the user asked to test, as text (command line or URL).
    pub description: String,
    /// `stdio`, `streamable-http` or `sse`.
    pub transport: String,
    /// Name of the server entry when taken from a Claude Desktop config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_name: Option<String>,
}

/// What the harness learnt about the server before running cases.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ServerFacts {
    /// Revisions the server accepted when asked for them (echoed in `initialize`).
    pub supported_revisions: Vec<String>,
    /// The revision most cases ran at (the newest supported one, or the pinned one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negotiated_revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_info: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Value>,
    /// Why revisions were not tested, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The server demanded a token (401 without one) and the run had none: only the
    /// authorization cases could run, so the run says nothing about the protocol.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub token_missing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Warn,
    Skip,
    Error,
    /// Passed, with an observation that rests on no MUST or SHOULD (security practice
    /// that no revision states with a keyword). Never counts: not a warning, never
    /// changes the exit code or a baseline.
    Note,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Skip => "skip",
            Verdict::Error => "error",
            Verdict::Note => "note",
        }
    }

    /// Whether the verdict counts against the server (fail or error); a note never does.
    pub fn is_failure(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Error)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A MUST / MUST NOT / REQUIRED: a broken expectation fails the case.
    Must,
    /// A SHOULD / SHOULD NOT: a broken expectation warns.
    Should,
    /// Practice that no revision states with a keyword: a broken expectation is a
    /// note, which never counts.
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Must => "must",
            Severity::Should => "should",
            Severity::Note => "note",
        }
    }

    /// The upper-case label the reports print before a finding.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Must => "MUST",
            Severity::Should => "SHOULD",
            Severity::Note => "NOTE",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub title: String,
    /// First segment of the id, also the folder under `cases/`.
    pub area: String,
    pub requirements: Vec<String>,
    pub severity: Severity,
    /// Path of the case file, relative to the cases folder's parent.
    pub file: String,
    /// Protocol revision the case ran at, if it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub verdict: Verdict,
    /// One line: why it failed, warned, was skipped or errored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    /// Every check that did not hold (empty on pass).
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Everything exchanged with the server during the case.
    #[serde(default)]
    pub transcript: Vec<TranscriptEntry>,
    /// What the server wrote to stderr (kept as evidence, never judged), capped.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
}

impl CaseResult {
    /// A MUST-level result that has observed nothing yet (a pass until a finding
    /// says otherwise): the start of every generated result (fuzzing, traversal).
    pub fn generated(
        (id, title): (String, String),
        area: &str,
        requirements: &[&str],
        file: &str,
        revision: Option<&str>,
    ) -> CaseResult {
        CaseResult {
            id,
            title,
            area: area.into(),
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            severity: Severity::Must,
            file: file.into(),
            revision: revision.map(str::to_string),
            verdict: Verdict::Pass,
            reason: None,
            duration_ms: 0,
            findings: Vec::new(),
            transcript: Vec::new(),
            stderr: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub requirements: Vec<String>,
    pub severity: Severity,
    pub message: String,
    /// The message the harness sent that this finding is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    /// Unified diff of pretty-printed expected vs actual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Harness → server.
    Sent,
    /// Server → harness.
    Received,
    /// Harness-side event (connection closed, process exited, timeout, …).
    Event,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscriptEntry {
    /// Milliseconds since the case started.
    pub at_ms: u64,
    pub direction: Direction,
    /// The message when it was JSON, otherwise the raw text (as a JSON string).
    pub body: Body,
}

/// A transcript entry's body, held as compact JSON text: a parsed value takes several
/// times the memory of its text, and a run keeps thousands of entries. It reads and
/// writes as the JSON value itself.
#[derive(Debug, Clone)]
pub struct Body(Box<serde_json::value::RawValue>);

impl Body {
    /// The body as a JSON value.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }
}

impl From<Value> for Body {
    fn from(v: Value) -> Body {
        let raw = serde_json::value::to_raw_value(&v)
            .or_else(|_| serde_json::value::RawValue::from_string("null".to_string()));
        match raw {
            Ok(r) => Body(r),
            // Unreachable: "null" is JSON.
            Err(_) => Body(Box::default()),
        }
    }
}

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // As a value, so that a pretty report indents it like the rest.
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Body, D::Error> {
        Value::deserialize(d).map(Body::from)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
    pub errored: usize,
    /// Cases with a note only (counted apart: a note is neither a pass nor a warning).
    /// Absent in reports written before notes existed.
    #[serde(default)]
    pub noted: usize,
}

/// The current UTC time as RFC 3339, without pulling in a date crate.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

impl Summary {
    pub fn from_cases(cases: &[CaseResult]) -> Summary {
        let mut s = Summary {
            total: cases.len(),
            ..Summary::default()
        };
        for c in cases {
            match c.verdict {
                Verdict::Pass => s.passed += 1,
                Verdict::Fail => s.failed += 1,
                Verdict::Warn => s.warned += 1,
                Verdict::Skip => s.skipped += 1,
                Verdict::Error => s.errored += 1,
                Verdict::Note => s.noted += 1,
            }
        }
        s
    }
}
