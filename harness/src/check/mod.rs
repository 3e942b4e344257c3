//! Judging: expectations against what was observed, producing findings with evidence.
//!
//! `matcher` is the case language for expected messages; `schema` validates every
//! received message against its revision's MCP schema; `wire` holds the envelope
//! checks applied to every message a server sends, whatever the case is about;
//! `traffic` the rules that depend on the conversation (capability use, modes,
//! cancellation). Every global rule reports a [`Violation`].
//!
//! `check` is a leaf: it imports only the result model, revisions and JSON helpers,
//! never the client, the transports or the step interpreter.

pub mod matcher;
pub mod published;
pub mod schema;
pub mod traffic;
mod violation;
pub mod wire;

pub use violation::Violation;

use serde_json::Value;
use similar::TextDiff;

use crate::outcome::{Finding, Severity, Verdict};

/// A unified diff between pretty-printed expected and actual values.
pub fn diff(expected: &Value, actual: &Value) -> Option<String> {
    let e = pretty(expected);
    let a = pretty(actual);
    if e == a {
        return None;
    }
    let text = TextDiff::from_lines(&e, &a)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string();
    Some(text)
}

pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    s.push('\n');
    s
}

/// Builds a finding; `expected`/`actual` get a diff when both are present.
pub fn finding(
    requirements: &[String],
    severity: Severity,
    message: String,
    sent: Option<Value>,
    expected: Option<Value>,
    actual: Option<Value>,
) -> Finding {
    let diff = match (&expected, &actual) {
        (Some(e), Some(a)) => diff(e, a),
        _ => None,
    };
    Finding {
        requirements: requirements.to_vec(),
        severity,
        message,
        sent,
        expected,
        actual,
        diff,
    }
}

/// The verdict that a list of findings amounts to for a case that ran to its end:
/// any MUST finding fails; else any SHOULD finding warns; else any note notes; else
/// the case passes. A note never counts as a warning.
pub fn verdict_of(findings: &[Finding]) -> Verdict {
    let has = |s: Severity| findings.iter().any(|f| f.severity == s);
    if has(Severity::Must) {
        Verdict::Fail
    } else if has(Severity::Should) {
        Verdict::Warn
    } else if has(Severity::Note) {
        Verdict::Note
    } else {
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(severity: Severity) -> Finding {
        finding(
            &["HTTP-02".to_string()],
            severity,
            format!("a {} finding", severity.as_str()),
            None,
            None,
            None,
        )
    }

    #[test]
    fn the_strongest_severity_decides_and_a_note_never_warns() {
        use Severity::{Must, Note, Should};
        let cases: [(&[Severity], Verdict); 8] = [
            (&[], Verdict::Pass),
            (&[Note], Verdict::Note),
            (&[Note, Note], Verdict::Note),
            (&[Should], Verdict::Warn),
            (&[Note, Should], Verdict::Warn),
            (&[Must], Verdict::Fail),
            (&[Note, Must], Verdict::Fail),
            (&[Should, Note, Must], Verdict::Fail),
        ];
        for (severities, want) in cases {
            let findings: Vec<Finding> = severities.iter().map(|s| at(*s)).collect();
            assert_eq!(verdict_of(&findings), want, "{severities:?}");
        }
    }
}
