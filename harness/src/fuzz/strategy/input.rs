//! What the strategies produce and why they may refuse: the invalid-input model
//! ([`InvalidKind`], [`InvalidInput`]) and [`UnsupportedSchema`].

use std::fmt;

use serde_json::Value;

/// Why a schema cannot be fuzzed; the fuzzer reports it as a skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedSchema {
    /// Human-readable reason, e.g. "unresolvable $ref `other.json#/x`".
    pub reason: String,
}

impl UnsupportedSchema {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        UnsupportedSchema {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for UnsupportedSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unsupported schema: {}", self.reason)
    }
}

impl std::error::Error for UnsupportedSchema {}

/// What an invalid input breaks.
///
/// Kinds for which [`InvalidKind::is_schema_breaking`] is true always produce a
/// value that fails validation. The others are *stressors*: hostile values
/// that may or may not be accepted by the schema (a 100k-character string is
/// valid where no `maxLength` exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InvalidKind {
    /// A property listed in `required` is absent.
    MissingRequired,
    /// The value's JSON type is not allowed by `type`.
    WrongType,
    /// A number below `minimum` / not above `exclusiveMinimum`.
    BelowMinimum,
    /// A number above `maximum` / not below `exclusiveMaximum`.
    AboveMaximum,
    /// An integer that is not a multiple of an integral `multipleOf`.
    NotMultipleOf,
    /// A string shorter than `minLength`.
    TooShort,
    /// A string longer than `maxLength`.
    TooLong,
    /// A string that does not match `pattern`.
    PatternMismatch,
    /// A property not allowed by `additionalProperties: false`.
    ExtraProperty,
    /// A value outside `enum`.
    NotInEnum,
    /// A value different from `const`.
    NotConst,
    /// An array shorter than `minItems`.
    TooFewItems,
    /// An array longer than `maxItems`.
    TooManyItems,
    /// An array with duplicates under `uniqueItems: true`.
    DuplicateItems,
    /// Stressor: a string of about 100k characters.
    HugeString,
    /// Stressor: arrays or objects nested 200+ levels deep.
    DeepNesting,
    /// Stressor: numbers beyond 2^53 (9007199254740993, 1e300, -2^63, ...).
    HugeNumber,
    /// Stressor: NUL, U+FFFF, U+10FFFF, RTL override, combining marks, ZWJ emoji.
    UnicodeEdge,
    /// Stressor: the empty string.
    EmptyString,
}

impl InvalidKind {
    /// Every kind, schema-breaking ones first.
    pub const ALL: [InvalidKind; 19] = [
        InvalidKind::MissingRequired,
        InvalidKind::WrongType,
        InvalidKind::BelowMinimum,
        InvalidKind::AboveMaximum,
        InvalidKind::NotMultipleOf,
        InvalidKind::TooShort,
        InvalidKind::TooLong,
        InvalidKind::PatternMismatch,
        InvalidKind::ExtraProperty,
        InvalidKind::NotInEnum,
        InvalidKind::NotConst,
        InvalidKind::TooFewItems,
        InvalidKind::TooManyItems,
        InvalidKind::DuplicateItems,
        InvalidKind::HugeString,
        InvalidKind::DeepNesting,
        InvalidKind::HugeNumber,
        InvalidKind::UnicodeEdge,
        InvalidKind::EmptyString,
    ];

    /// True when values of this kind never validate against the schema;
    /// false for stressors, which may still be valid.
    pub fn is_schema_breaking(self) -> bool {
        !self.is_stressor()
    }

    /// True for the schema-agnostic hostile values.
    pub fn is_stressor(self) -> bool {
        matches!(
            self,
            InvalidKind::HugeString
                | InvalidKind::DeepNesting
                | InvalidKind::HugeNumber
                | InvalidKind::UnicodeEdge
                | InvalidKind::EmptyString
        )
    }

    /// Stable snake_case label for reports.
    pub fn label(self) -> &'static str {
        match self {
            InvalidKind::MissingRequired => "missing_required",
            InvalidKind::WrongType => "wrong_type",
            InvalidKind::BelowMinimum => "below_minimum",
            InvalidKind::AboveMaximum => "above_maximum",
            InvalidKind::NotMultipleOf => "not_multiple_of",
            InvalidKind::TooShort => "too_short",
            InvalidKind::TooLong => "too_long",
            InvalidKind::PatternMismatch => "pattern_mismatch",
            InvalidKind::ExtraProperty => "extra_property",
            InvalidKind::NotInEnum => "not_in_enum",
            InvalidKind::NotConst => "not_const",
            InvalidKind::TooFewItems => "too_few_items",
            InvalidKind::TooManyItems => "too_many_items",
            InvalidKind::DuplicateItems => "duplicate_items",
            InvalidKind::HugeString => "stressor_huge_string",
            InvalidKind::DeepNesting => "stressor_deep_nesting",
            InvalidKind::HugeNumber => "stressor_huge_number",
            InvalidKind::UnicodeEdge => "stressor_unicode_edge",
            InvalidKind::EmptyString => "stressor_empty_string",
        }
    }
}

impl fmt::Display for InvalidKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One invalid (or hostile) tool-argument document.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidInput {
    /// The rule broken, or the stressor applied.
    pub kind: InvalidKind,
    /// JSON pointer (RFC 6901) of the broken spot in `value`: the object for
    /// `MissingRequired`/`ExtraProperty`, the replaced value otherwise (`""`
    /// is the whole document).
    pub pointer: String,
    /// Human-readable detail, e.g. "required property `path` removed".
    pub detail: String,
    /// The whole document to send.
    pub value: Value,
}
