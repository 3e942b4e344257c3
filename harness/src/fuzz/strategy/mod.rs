//! Input generation for the tool-argument fuzzer.
//!
//! [`SchemaGen`] turns an MCP tool's `inputSchema` (JSON Schema draft-04/06/07,
//! 2019-09 or 2020-12, as a [`serde_json::Value`]) into two families of
//! [proptest] strategies:
//!
//! * [`SchemaGen::valid`]: every generated value satisfies the schema.
//! * [`SchemaGen::invalid`]: each value breaks exactly one rule at one spot of
//!   the document (labelled by [`InvalidKind`] and a JSON pointer), or replaces
//!   one spot with a schema-agnostic *stressor* (huge strings, deep nesting,
//!   integers beyond 2^53, unicode edge cases, empty strings).
//!
//! Everything is built from proptest combinators, so failing inputs shrink:
//! valid values toward small ones, invalid ones toward small documents whose
//! broken rule stays broken (the kind and the spot never change while
//! shrinking).
//!
//! Reproducibility: [`runner_for_seed`] maps a `u64` seed to a
//! [`TestRunner`]; the same seed yields the same sequence of values.
//!
//! Supported keywords: `type` (string or array), `enum`, `const`, `minimum`,
//! `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numeric and draft-04
//! boolean forms), `multipleOf`, `minLength`, `maxLength`, `pattern` (through
//! proptest's regex generator, else filtering; lookaround and back-references
//! are unsupported), `format` (date-time, date, time, duration, email,
//! idn-email, hostname, idn-hostname, ipv4, ipv6, uri, iri, uri-reference,
//! iri-reference, uri-template, uuid, json-pointer, relative-json-pointer,
//! regex; other formats are treated as annotations), `items` (schema or
//! draft-07 tuple array), `prefixItems`, `additionalItems`, `minItems`,
//! `maxItems`, `uniqueItems`, `contains`, `properties`, `required`,
//! `additionalProperties` (bool or schema), `patternProperties`, `allOf`,
//! `anyOf`, `oneOf`, `not`, `$ref` (local JSON pointers such as `#/$defs/x`
//! and `#/definitions/x`, `$anchor`s, recursion bounded), `$recursiveRef` and
//! `$dynamicRef` (as plain `$ref`), boolean schemas, a missing `type`
//! (inferred from the keywords present, else any JSON). Enforced by
//! filtering only: `minContains`, `maxContains`, `minProperties`,
//! `maxProperties`, `propertyNames`, `dependentRequired`, `dependentSchemas`,
//! `dependencies`, `if`/`then`/`else`. Before 2019-09 (`$schema` draft-04/06/07)
//! keywords beside `$ref` are ignored, as the spec says.
//! `unevaluatedProperties: false` / `unevaluatedItems: false` only stop extra
//! members from being generated. Other keywords are ignored.

use std::fmt;
use std::sync::Arc;

use proptest::strategy::{BoxedStrategy, SBoxedStrategy, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use crate::json_schema::refs::Root;

pub use input::{InvalidInput, InvalidKind, UnsupportedSchema};

// Imports go one way: probe, schema <- numbers, text <- valid <- invalid
// (hostile, input: leaves); the schema-generic parts live in `json_schema`.
mod hostile;
mod input;
mod invalid;
mod numbers;
mod probe;
mod schema;
mod text;
mod valid;

#[cfg(test)]
mod tests;

/// Strategies for one tool's input schema. Cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct SchemaGen {
    valid: SBoxedStrategy<Value>,
    violations: Option<SBoxedStrategy<InvalidInput>>,
    stressors: SBoxedStrategy<InvalidInput>,
    invalid: SBoxedStrategy<InvalidInput>,
    alternatives: Vec<invalid::Alternative>,
    catalog: Vec<(InvalidKind, String)>,
    notes: Vec<String>,
}

impl fmt::Debug for SchemaGen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaGen")
            .field("catalog", &self.catalog)
            .field("notes", &self.notes)
            .finish_non_exhaustive()
    }
}

impl SchemaGen {
    /// Builds the strategies for `root`, which is also the base for `$ref`
    /// resolution. Fails for a `false` root, a non-schema value, unresolvable
    /// or external `$ref`s, unsupported patterns on required strings, and
    /// schemas no value can satisfy (as far as generation can tell).
    pub fn new(root: &Value) -> Result<SchemaGen, UnsupportedSchema> {
        let root = Arc::new(Root::new(root).map_err(UnsupportedSchema::new)?);
        let builder = valid::Builder::new(Arc::clone(&root));
        builder.set_recording(true);
        let valid = builder
            .build_root(&[])
            .map_err(|u| UnsupportedSchema::new(u.0))?;
        builder.set_recording(false);
        let alternatives = invalid::build(&builder);
        let violations = invalid::pick(alternatives.iter().filter(|a| !a.kind.is_stressor()));
        let stressors = invalid::pick(alternatives.iter().filter(|a| a.kind.is_stressor()))
            .ok_or_else(|| UnsupportedSchema::new("no spot accepts a stressor"))?;
        let invalid = invalid::pick(&alternatives)
            .ok_or_else(|| UnsupportedSchema::new("no invalid input can be built"))?;
        let catalog = alternatives
            .iter()
            .map(|a| (a.kind, a.pointer.clone()))
            .collect();
        Ok(SchemaGen {
            valid,
            violations,
            stressors,
            invalid,
            alternatives,
            catalog,
            notes: builder.take_notes(),
        })
    }

    /// Values that satisfy the schema.
    pub fn valid(&self) -> BoxedStrategy<Value> {
        self.valid.clone().boxed()
    }

    /// Schema violations and stressors together. Each (kind, spot)
    /// alternative is picked with weight 3 for violations and 1 for
    /// stressors, and shrinking never changes the alternative.
    pub fn invalid(&self) -> BoxedStrategy<InvalidInput> {
        self.invalid.clone().boxed()
    }

    /// Only schema-breaking kinds; `None` when the schema constrains nothing
    /// that can be broken (e.g. `{}`).
    pub fn violations(&self) -> Option<BoxedStrategy<InvalidInput>> {
        self.violations.clone().map(Strategy::boxed)
    }

    /// Only stressor kinds.
    pub fn stressors(&self) -> BoxedStrategy<InvalidInput> {
        self.stressors.clone().boxed()
    }

    /// Every (kind, pointer) alternative that [`SchemaGen::invalid`] picks
    /// from; index `i` is [`SchemaGen::invalid_alternative`]`(i)`.
    pub fn catalog(&self) -> &[(InvalidKind, String)] {
        &self.catalog
    }

    /// The strategy of one catalog entry, for systematic coverage.
    pub fn invalid_alternative(&self, index: usize) -> Option<BoxedStrategy<InvalidInput>> {
        self.alternatives
            .get(index)
            .map(|a| a.strategy.clone().boxed())
    }

    /// Parts of the schema the valid family never generates, with the reason
    /// (e.g. an optional property with an unsupported `pattern`, an
    /// unsatisfiable `oneOf` branch).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

/// Shrinking iterations allowed by [`runner_for_seed`] at least.
pub const MIN_SHRINK_ITERS: u32 = 1024;

/// A [`TestRunner`] whose random sequence is fully determined by `seed`.
///
/// The 32 ChaCha seed bytes are four successive SplitMix64 outputs of `seed`
/// ([`seed_bytes`]), so nearby seeds give unrelated streams. The config is
/// [`Config::default`] with `cases` set, failure persistence disabled and
/// `max_shrink_iters` = max(4 × cases, [`MIN_SHRINK_ITERS`]) (proptest's
/// automatic limit is 4 × cases, too few for wide objects). The CLI prints
/// and accepts this `u64`; for another config use [`rng_for_seed`] with
/// [`TestRunner::new_with_rng`].
pub fn runner_for_seed(seed: u64, cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: cases.saturating_mul(4).max(MIN_SHRINK_ITERS),
        ..Config::default()
    };
    TestRunner::new_with_rng(config, rng_for_seed(seed))
}

/// The ChaCha [`TestRng`] behind [`runner_for_seed`].
pub fn rng_for_seed(seed: u64) -> TestRng {
    TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed))
}

/// The 32 seed bytes used by [`runner_for_seed`].
pub fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut out = [0u8; 32];
    for chunk in out.chunks_exact_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    out
}

/// Generates `n` values from `strategy` with `runner` (no shrinking); handy
/// for sampling and for determinism checks.
pub fn sample<S: Strategy>(
    strategy: &S,
    runner: &mut TestRunner,
    n: usize,
) -> Result<Vec<S::Value>, String> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let tree = strategy.new_tree(runner).map_err(|r| r.to_string())?;
        out.push(proptest::strategy::ValueTree::current(&tree));
    }
    Ok(out)
}
