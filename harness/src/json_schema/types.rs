//! JSON types: the JSON Schema type name of a value, and type sets as bits (the
//! `type` keyword, what a value is).

use serde_json::Value;

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

pub(crate) const T_NULL: u8 = 1;
pub(crate) const T_BOOL: u8 = 2;
pub(crate) const T_INT: u8 = 4;
pub(crate) const T_FRAC: u8 = 8;
pub(crate) const T_STR: u8 = 16;
pub(crate) const T_ARR: u8 = 32;
pub(crate) const T_OBJ: u8 = 64;
pub(crate) const T_NUM: u8 = T_INT | T_FRAC;
pub(crate) const T_ALL: u8 = 127;

/// Type bits in generation order (simplest first: unions shrink toward it).
pub(crate) const TYPE_ORDER: [u8; 7] = [T_NULL, T_BOOL, T_INT, T_FRAC, T_STR, T_ARR, T_OBJ];

pub(crate) fn type_bits(name: &str) -> u8 {
    match name {
        "null" => T_NULL,
        "boolean" => T_BOOL,
        "integer" => T_INT,
        "number" => T_NUM,
        "string" => T_STR,
        "array" => T_ARR,
        "object" => T_OBJ,
        _ => 0,
    }
}

/// The type bit of a JSON value (whole floats count as integers, as in
/// draft-06 and later).
pub(crate) fn value_type(v: &Value) -> u8 {
    match v {
        Value::Null => T_NULL,
        Value::Bool(_) => T_BOOL,
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                T_INT
            } else {
                T_FRAC
            }
        }
        Value::String(_) => T_STR,
        Value::Array(_) => T_ARR,
        Value::Object(_) => T_OBJ,
    }
}

/// `type` keyword value to bits; `None` when absent or malformed.
pub(crate) fn type_keyword_bits(t: &Value) -> Option<u8> {
    match t {
        Value::String(s) => Some(type_bits(s)),
        Value::Array(list) => Some(
            list.iter()
                .filter_map(Value::as_str)
                .map(type_bits)
                .fold(0, |a, b| a | b),
        ),
        _ => None,
    }
}
