//! JSON and JSON Schema helpers shared by the checks, the steps and the fuzzer:
//! example generation ([`example`]), JSON Pointers ([`pointer`], the one escaping
//! helper) and the JSON type names.
//!
//! This module is a leaf: it imports nothing of the engine.

use serde_json::Value;

mod example;
pub mod pointer;

pub use example::example;

/// The JSON Schema type name of a value (`integer` for whole numbers).
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
