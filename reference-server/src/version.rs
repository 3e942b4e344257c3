//! Protocol revisions and version negotiation.

use crate::faults::{Fault, Faults};

/// A session-based MCP protocol revision this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Revision {
    V2024_11_05,
    V2025_03_26,
    V2025_06_18,
    V2025_11_25,
}

impl Revision {
    /// All supported revisions, oldest first.
    pub const ALL: [Revision; 4] = [
        Revision::V2024_11_05,
        Revision::V2025_03_26,
        Revision::V2025_06_18,
        Revision::V2025_11_25,
    ];

    /// The newest supported revision.
    pub const LATEST: Revision = Revision::V2025_11_25;

    /// The oldest supported revision.
    pub const OLDEST: Revision = Revision::V2024_11_05;

    /// The revision string as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Revision::V2024_11_05 => "2024-11-05",
            Revision::V2025_03_26 => "2025-03-26",
            Revision::V2025_06_18 => "2025-06-18",
            Revision::V2025_11_25 => "2025-11-25",
        }
    }

    /// Parses a wire revision string.
    pub fn parse(s: &str) -> Option<Revision> {
        Revision::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    /// The next newer revision (the newest maps to itself).
    pub fn newer(self) -> Revision {
        match self {
            Revision::V2024_11_05 => Revision::V2025_03_26,
            Revision::V2025_03_26 => Revision::V2025_06_18,
            Revision::V2025_06_18 | Revision::V2025_11_25 => Revision::V2025_11_25,
        }
    }

    /// The next older revision (the oldest maps to itself).
    pub fn older(self) -> Revision {
        match self {
            Revision::V2024_11_05 | Revision::V2025_03_26 => Revision::V2024_11_05,
            Revision::V2025_06_18 => Revision::V2025_03_26,
            Revision::V2025_11_25 => Revision::V2025_06_18,
        }
    }

    /// Tool annotations, `completions` capability, audio content, progress `message`.
    pub fn has_2025_03_features(self) -> bool {
        self >= Revision::V2025_03_26
    }

    /// `title` fields, `outputSchema` and `structuredContent`.
    pub fn has_2025_06_features(self) -> bool {
        self >= Revision::V2025_06_18
    }

    /// JSON-RPC batching is part of the protocol only in 2025-03-26.
    pub fn allows_batches(self) -> bool {
        self == Revision::V2025_03_26
    }
}

/// Outcome of version negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The `protocolVersion` string put into the initialize result.
    pub answered: String,
    /// The revision whose rules the session follows afterwards.
    pub behaves_as: Revision,
}

impl Negotiated {
    fn of(rev: Revision) -> Self {
        Negotiated {
            answered: rev.as_str().to_string(),
            behaves_as: rev,
        }
    }
}

/// Negotiates the protocol version for a requested one, honouring the
/// version-related faults.
pub fn negotiate(requested: &str, faults: &Faults) -> Negotiated {
    let known = Revision::parse(requested);
    if faults.has(Fault::EchoAnyVersion) {
        return Negotiated {
            answered: requested.to_string(),
            behaves_as: known.unwrap_or(Revision::LATEST),
        };
    }
    if faults.has(Fault::VersionShiftUp) {
        return Negotiated::of(known.map_or(Revision::LATEST, Revision::newer));
    }
    if faults.has(Fault::VersionShiftDown) {
        return Negotiated::of(known.map_or(Revision::OLDEST, Revision::older));
    }
    match known {
        Some(rev) => Negotiated::of(rev),
        None if faults.has(Fault::CounterOfferOldest) => Negotiated::of(Revision::OLDEST),
        None => Negotiated::of(Revision::LATEST),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(req: &str, faults: &[Fault]) -> String {
        negotiate(req, &Faults::of(faults)).answered
    }

    #[test]
    fn correct_negotiation_echoes_known_and_offers_latest() {
        for rev in Revision::ALL {
            let n = negotiate(rev.as_str(), &Faults::none());
            assert_eq!(n.answered, rev.as_str());
            assert_eq!(n.behaves_as, rev);
        }
        assert_eq!(answered("1999-01-01", &[]), "2025-11-25");
        assert_eq!(answered("2026-07-28", &[]), "2025-11-25");
        assert_eq!(answered("", &[]), "2025-11-25");
    }

    #[test]
    fn shifted_negotiation_faults() {
        let up = [Fault::VersionShiftUp];
        assert_eq!(answered("2024-11-05", &up), "2025-03-26");
        assert_eq!(answered("2025-03-26", &up), "2025-06-18");
        assert_eq!(answered("2025-06-18", &up), "2025-11-25");
        assert_eq!(answered("2025-11-25", &up), "2025-11-25");
        assert_eq!(answered("x", &up), "2025-11-25");
        let down = [Fault::VersionShiftDown];
        assert_eq!(answered("2025-11-25", &down), "2025-06-18");
        assert_eq!(answered("2025-06-18", &down), "2025-03-26");
        assert_eq!(answered("2025-03-26", &down), "2024-11-05");
        assert_eq!(answered("2024-11-05", &down), "2024-11-05");
        assert_eq!(answered("x", &down), "2024-11-05");
    }

    #[test]
    fn echo_and_oldest_faults() {
        let n = negotiate("9999-01-01", &Faults::of(&[Fault::EchoAnyVersion]));
        assert_eq!(n.answered, "9999-01-01");
        assert_eq!(n.behaves_as, Revision::LATEST);
        assert_eq!(
            answered("9999-01-01", &[Fault::CounterOfferOldest]),
            "2024-11-05"
        );
        assert_eq!(
            answered("2025-06-18", &[Fault::CounterOfferOldest]),
            "2025-06-18"
        );
    }

    #[test]
    fn feature_gates() {
        assert!(!Revision::V2024_11_05.has_2025_03_features());
        assert!(Revision::V2025_03_26.has_2025_03_features());
        assert!(!Revision::V2025_03_26.has_2025_06_features());
        assert!(Revision::V2025_06_18.has_2025_06_features());
        let batching: Vec<bool> = Revision::ALL.iter().map(|r| r.allows_batches()).collect();
        assert_eq!(batching, vec![false, true, false, false]);
    }
}
