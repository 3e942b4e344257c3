//! The protocol revisions mcp-conform knows, and how a case names a set of them.

use serde::{Deserialize, Serialize};

/// `_meta` keys of the 2026-07-28 per-request protocol fields.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

/// Revisions that use the `initialize` handshake and sessions, oldest first.
pub const SESSION_REVISIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// The stateless revision (no `initialize`); cases must name it explicitly.
pub const STATELESS_REVISION: &str = "2026-07-28";

/// Revisions without `initialize`: every request carries its version and the client's
/// capabilities in `_meta` (the "modern" era of the 2026-07-28 versioning page).
pub const MODERN_REVISIONS: [&str; 1] = [STATELESS_REVISION];

/// Whether a revision is of the stateless (modern) era.
pub fn is_modern(rev: &str) -> bool {
    MODERN_REVISIONS.contains(&rev)
}

/// Every revision, oldest first.
pub const ALL_REVISIONS: [&str; 5] = [
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    "2026-07-28",
];

pub fn is_known(rev: &str) -> bool {
    ALL_REVISIONS.contains(&rev)
}

/// Position of a revision in time order (revision strings are ISO dates, so
/// string order is time order, but we only order the ones we know).
pub fn rank(rev: &str) -> Option<usize> {
    ALL_REVISIONS.iter().position(|r| *r == rev)
}

/// A case's `revisions:` field: `all` (every session-based revision), or a list whose
/// entries are a revision (`2025-03-26`) or a revision and everything after it in the
/// session era (`2025-06-18+`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum RevisionSet {
    #[default]
    #[serde(skip)]
    AllSession,
    Keyword(String),
    List(Vec<String>),
}

/// Why a `revisions:` field names no revision set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    #[error("`revisions` is an empty list")]
    EmptyList,
    #[error(
        "unknown revision `{0}` in `revisions` (known: {known}, `REV+` for REV and later, or `all`)",
        known = ALL_REVISIONS.join(", ")
    )]
    Unknown(String),
}

impl RevisionSet {
    /// Checks the spelling; returns the reason when an entry names no known revision.
    pub fn validate(&self) -> Result<(), RevisionError> {
        match self {
            RevisionSet::AllSession => Ok(()),
            RevisionSet::Keyword(k) if k == "all" => Ok(()),
            RevisionSet::Keyword(k) => Self::validate_entry(k),
            RevisionSet::List(items) => {
                if items.is_empty() {
                    return Err(RevisionError::EmptyList);
                }
                items.iter().try_for_each(|e| Self::validate_entry(e))
            }
        }
    }

    fn validate_entry(entry: &str) -> Result<(), RevisionError> {
        let base = entry.strip_suffix('+').unwrap_or(entry);
        if is_known(base) {
            Ok(())
        } else {
            Err(RevisionError::Unknown(entry.to_string()))
        }
    }

    /// Whether the set contains `rev`.
    pub fn contains(&self, rev: &str) -> bool {
        match self {
            RevisionSet::AllSession => SESSION_REVISIONS.contains(&rev),
            RevisionSet::Keyword(k) if k == "all" => SESSION_REVISIONS.contains(&rev),
            RevisionSet::Keyword(k) => Self::entry_contains(k, rev),
            RevisionSet::List(items) => items.iter().any(|e| Self::entry_contains(e, rev)),
        }
    }

    fn entry_contains(entry: &str, rev: &str) -> bool {
        match entry.strip_suffix('+') {
            Some(base) => match (rank(base), rank(rev)) {
                // `REV+` stays within the era of REV: session revisions never reach 2026-07-28.
                (Some(b), Some(r)) => {
                    r >= b && (rev != STATELESS_REVISION || base == STATELESS_REVISION)
                }
                _ => false,
            },
            None => entry == rev,
        }
    }

    /// The member revisions, oldest first.
    pub fn members(&self) -> Vec<&'static str> {
        ALL_REVISIONS
            .iter()
            .copied()
            .filter(|r| self.contains(r))
            .collect()
    }

    pub fn describe(&self) -> String {
        self.members().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_suffix_stays_in_the_session_era() {
        let set = RevisionSet::List(vec!["2025-06-18+".into()]);
        assert_eq!(set.members(), vec!["2025-06-18", "2025-11-25"]);
        assert!(!set.contains("2026-07-28"));
    }

    #[test]
    fn default_is_every_session_revision() {
        assert_eq!(RevisionSet::default().members(), SESSION_REVISIONS.to_vec());
        assert_eq!(RevisionSet::Keyword("all".into()).members().len(), 4);
    }

    #[test]
    fn unknown_entries_are_rejected() {
        assert!(RevisionSet::List(vec!["2025-13-01".into()])
            .validate()
            .is_err());
        assert!(RevisionSet::List(vec![]).validate().is_err());
        assert!(RevisionSet::Keyword("2025-03-26".into()).validate().is_ok());
        let text = RevisionSet::List(vec!["2025-13-01".into()])
            .validate()
            .expect_err("unknown")
            .to_string();
        assert_eq!(
            text,
            format!(
                "unknown revision `2025-13-01` in `revisions` (known: {}, `REV+` for REV and later, or `all`)",
                ALL_REVISIONS.join(", ")
            )
        );
        assert_eq!(
            RevisionSet::List(vec![])
                .validate()
                .expect_err("empty")
                .to_string(),
            "`revisions` is an empty list"
        );
    }
}
