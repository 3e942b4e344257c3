//! JSON and JSON Schema helpers shared by the checks, the steps and the fuzzer:
//! example generation ([`example`]), JSON Pointers ([`pointer`], the one escaping
//! helper), JSON types ([`types`]), `$ref` resolution ([`refs`]), ECMA-262 patterns
//! ([`pattern`]), value comparison ([`value`]) and a small offline validator
//! ([`validate`]), and [`walk`]ing a schema's subschemas. Proptest strategies stay in `fuzz::strategy`.
//!
//! This module is a leaf: it imports nothing of the engine.

mod example;
pub mod pattern;
pub mod pointer;
pub mod refs;
pub mod types;
pub mod validate;
pub mod value;
pub mod walk;

pub use example::example;
pub use types::json_type;
