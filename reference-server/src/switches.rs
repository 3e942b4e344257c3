//! Named switches of the reference server's command line: the fault switches
//! (`--fault`, mutants) and the legal variants (`--variant`) are both a list of
//! `Variant => "name": "description"` lines, turned by [`switches!`] into an enum (its
//! names, descriptions and lookup) and a set type (parsed from the command line).

/// `switches! { /// doc; Kind, Set { Variant => "name": "description", … } }`
macro_rules! switches {
    ($(#[$doc:meta])* $kind:ident, $set:ident { $( $variant:ident => $name:literal : $desc:literal ),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $kind {
            $( $variant, )*
        }

        impl $kind {
            /// Every switch, in documentation order.
            pub const ALL: &'static [$kind] = &[ $( $kind::$variant, )* ];

            /// The command-line name.
            pub fn name(self) -> &'static str {
                match self {
                    $( $kind::$variant => $name, )*
                }
            }

            /// One line on what the switch does.
            pub fn description(self) -> &'static str {
                match self {
                    $( $kind::$variant => $desc, )*
                }
            }

            /// Looks a switch up by its command-line name.
            pub fn from_name(name: &str) -> Option<$kind> {
                Self::ALL.iter().copied().find(|s| s.name() == name)
            }
        }

        impl std::fmt::Display for $kind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        /// The set of switches that are on (empty: the default reference server).
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $set(std::collections::BTreeSet<$kind>);

        #[allow(dead_code)] // each set uses a different part of this
        impl $set {
            /// None on.
            pub fn none() -> Self {
                Self::default()
            }

            /// Parses command-line names; returns the first unknown name as error.
            pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
                let mut set = std::collections::BTreeSet::new();
                for name in names {
                    let name = name.as_ref();
                    set.insert($kind::from_name(name).ok_or_else(|| name.to_string())?);
                }
                Ok($set(set))
            }

            /// Builds a set directly (used by tests).
            pub fn of(list: &[$kind]) -> Self {
                $set(list.iter().copied().collect())
            }

            /// Whether a switch is on.
            pub fn has(&self, switch: $kind) -> bool {
                self.0.contains(&switch)
            }

            /// Whether none is on.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// Comma-separated names, for logs ("none" when empty).
            pub fn names(&self) -> String {
                if self.0.is_empty() {
                    return "none".to_string();
                }
                let names: Vec<&str> = self.0.iter().map(|s| s.name()).collect();
                names.join(",")
            }
        }
    };
}

pub(crate) use switches;

#[cfg(test)]
mod tests {
    use crate::faults::{Fault, Faults};
    use crate::variants::{Variant, Variants};

    #[test]
    fn names_round_trip_and_are_unique_across_both_lists() {
        let mut seen = std::collections::BTreeSet::new();
        let faults = Fault::ALL.iter().map(|f| (f.name(), f.description()));
        let variants = Variant::ALL.iter().map(|v| (v.name(), v.description()));
        for (name, description) in faults.chain(variants) {
            assert!(seen.insert(name), "duplicate name {name}");
            assert!(!description.is_empty(), "{name} has no description");
        }
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Some(*f));
        }
        for v in Variant::ALL {
            assert_eq!(Variant::from_name(v.name()), Some(*v));
        }
    }

    #[test]
    fn parse_rejects_unknown_and_names_say_none_when_empty() {
        assert_eq!(
            Faults::parse(&["no-ping", "bogus"]),
            Err("bogus".to_string())
        );
        let f = Faults::parse(&["no-ping", "stringify-ids"]).expect("valid");
        assert!(f.has(Fault::NoPing) && f.has(Fault::StringifyIds));
        assert!(!f.has(Fault::NoBatch));
        let v = Variants::parse(&["one-item-per-page"]).expect("valid");
        assert!(v.has(Variant::OneItemPerPage));
        assert_eq!(v.names(), "one-item-per-page");
        assert_eq!(Variants::none().names(), "none");
        assert!(Faults::none().is_empty());
    }
}
