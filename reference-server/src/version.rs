//! Protocol revisions and version negotiation.

use crate::faults::{Fault, Faults};
use crate::variants::{Variant, Variants};

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

/// The session revisions the server speaks under its variants, newest first.
pub fn supported(variants: &Variants) -> Vec<Revision> {
    match variants.only_revision() {
        Some(only) => vec![only],
        None => Revision::ALL.iter().rev().copied().collect(),
    }
}

/// Negotiation under the legal variants. `Err` carries the `data` of the
/// `-32602 "Unsupported protocol version"` error (`version-error-form`, for a
/// requested version the server does not speak); without variants this is
/// [`negotiate`].
pub fn negotiate_variant(
    requested: &str,
    faults: &Faults,
    variants: &Variants,
) -> Result<Negotiated, serde_json::Value> {
    let speaks = supported(variants);
    let known = Revision::parse(requested).filter(|r| speaks.contains(r));
    if known.is_none() && variants.has(Variant::VersionErrorForm) {
        let names: Vec<&str> = speaks.iter().map(|r| r.as_str()).collect();
        return Err(serde_json::json!({"supported": names, "requested": requested}));
    }
    Ok(match variants.only_revision() {
        Some(only) => Negotiated::of(only),
        None => negotiate(requested, faults),
    })
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
    fn variant_negotiation() {
        let none = Faults::none();
        let only = |name: &str| Variants::parse(&[name]).expect("known variant");
        let old = only("only-2024-11-05");
        for rev in Revision::ALL {
            let n = negotiate_variant(rev.as_str(), &none, &old).expect("counter-offer");
            assert_eq!(n.answered, "2024-11-05");
            assert_eq!(n.behaves_as, Revision::V2024_11_05);
        }
        let new = only("only-2025-11-25");
        let n = negotiate_variant("2024-11-05", &none, &new).expect("counter-offer");
        assert_eq!(n.answered, "2025-11-25");
        let err = only("version-error-form");
        assert_eq!(
            negotiate_variant("2025-06-18", &none, &err).map(|n| n.answered),
            Ok("2025-06-18".to_string())
        );
        let data = negotiate_variant("1.0.0", &none, &err).expect_err("error form");
        assert_eq!(data["requested"], "1.0.0");
        assert_eq!(data["supported"][0], "2025-11-25");
        let both = Variants::parse(&["version-error-form", "only-2024-11-05"]).expect("known");
        let data = negotiate_variant("2025-11-25", &none, &both).expect_err("error form");
        assert_eq!(data["supported"], serde_json::json!(["2024-11-05"]));
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
