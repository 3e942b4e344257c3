//! Schema-agnostic stressor values.

use proptest::prelude::*;
use serde_json::{json, Map, Number, Value};

use super::input::InvalidKind;

/// Characters in [`InvalidKind::HugeString`] values.
pub(crate) const HUGE_STRING_CHARS: usize = 100_000;
/// Nesting depth of [`InvalidKind::DeepNesting`] values.
pub(crate) const DEEP_NESTING: usize = 256;

fn nested_arrays(depth: usize) -> Value {
    (0..depth).fold(json!(0), |inner, _| Value::Array(vec![inner]))
}

fn nested_objects(depth: usize) -> Value {
    (0..depth).fold(json!(0), |inner, _| {
        let mut m = Map::new();
        m.insert("a".into(), inner);
        Value::Object(m)
    })
}

/// The stressor kinds, in catalog order.
pub(crate) const STRESSORS: [InvalidKind; 5] = [
    InvalidKind::EmptyString,
    InvalidKind::UnicodeEdge,
    InvalidKind::HugeNumber,
    InvalidKind::HugeString,
    InvalidKind::DeepNesting,
];

/// The candidate values of one stressor kind (shrinking moves toward the
/// first, which is the most typical one).
pub(crate) fn values(kind: InvalidKind) -> Vec<Value> {
    match kind {
        InvalidKind::EmptyString => vec![json!("")],
        InvalidKind::UnicodeEdge => [
            "\u{0}",
            "a\u{0}b",
            "\u{FFFF}",
            "\u{10FFFF}",
            "\u{202E}gnp.exe",
            "e\u{301}\u{302}\u{303}\u{304}\u{305}",
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}",
            "\u{FEFF}bom",
            "\u{200B}",
            "\r\n\t\u{7F}",
        ]
        .iter()
        .map(|s| json!(s))
        .collect(),
        InvalidKind::HugeNumber => {
            let mut v = vec![
                json!(9_007_199_254_740_993u64),
                json!(-9_007_199_254_740_993i64),
                json!(i64::MIN),
                json!(u64::MAX),
            ];
            v.extend(
                [1e300, -1e300, f64::MAX, 5e-324]
                    .into_iter()
                    .filter_map(Number::from_f64)
                    .map(Value::Number),
            );
            v
        }
        InvalidKind::HugeString => vec![
            Value::String("A".repeat(HUGE_STRING_CHARS)),
            Value::String("\u{E9}".repeat(HUGE_STRING_CHARS)),
            Value::String("\u{1F600}".repeat(HUGE_STRING_CHARS)),
        ],
        InvalidKind::DeepNesting => vec![nested_arrays(DEEP_NESTING), nested_objects(DEEP_NESTING)],
        _ => Vec::new(),
    }
}

/// Strategy over [`values`]`(kind)`. Huge strings are drawn with a length from 1 to
/// [`HUGE_STRING_CHARS`] (mostly long), so that shrinking can find the length at which a
/// server starts to fail instead of stopping at one fixed size.
pub(crate) fn strategy(kind: InvalidKind) -> Option<SBoxedStrategy<Value>> {
    if kind == InvalidKind::HugeString {
        let chars = prop::sample::select(vec!['A', '\u{E9}', '\u{1F600}']);
        return Some(
            (chars, 1usize..=HUGE_STRING_CHARS)
                .prop_map(|(c, n)| Value::String(std::iter::repeat_n(c, n).collect()))
                .sboxed(),
        );
    }
    let v = values(kind);
    (!v.is_empty()).then(|| prop::sample::select(v).sboxed())
}
