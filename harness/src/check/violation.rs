//! One broken rule, as seen on the wire: the type every global check returns (the
//! envelope and `_meta` rules, schema validation, the traffic rules, and what a
//! transport alone can see), and the session keeps for the case to report.

use serde_json::Value;

use crate::outcome::Severity;

/// A rule broken by something the server sent, with what shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub requirements: Vec<String>,
    pub message: String,
    /// What the server sent (a message, or the raw text that is not one).
    pub evidence: Value,
    /// `Should` when the rule is a SHOULD in the negotiated revision (LIFE-07 before
    /// 2025-06-18); most global rules are MUSTs.
    pub severity: Severity,
}

impl Violation {
    /// A broken MUST.
    pub fn must(requirements: &[&str], message: String, evidence: &Value) -> Violation {
        Violation::at(Severity::Must, requirements, message, evidence)
    }

    pub fn at(
        severity: Severity,
        requirements: &[&str],
        message: String,
        evidence: &Value,
    ) -> Violation {
        Violation {
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            message,
            evidence: evidence.clone(),
            severity,
        }
    }
}
