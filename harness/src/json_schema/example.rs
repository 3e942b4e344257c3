//! Example generation: a small instance of a JSON Schema, for the steps that must send
//! arguments a server will accept (`derive: schema_example`, header probes, traversal).

use serde_json::{json, Map, Value};

/// Nesting beyond which an example is `null`.
const MAX_DEPTH: usize = 8;
/// Most items put in an example array (`minItems` is honoured up to it).
const MAX_ITEMS: u64 = 8;

/// A small instance of a JSON Schema: `const`, `default`, first `examples`/`enum`
/// entry, else a value built from `type` and bounds. Best effort; depth-capped.
pub fn example(schema: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let Some(s) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(v) = given(s) {
        return v.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return example(first, depth + 1);
        }
    }
    match type_name(s) {
        "object" => object(s, depth),
        "array" => array(s, depth),
        "integer" => integer(s),
        "number" => number(s),
        "boolean" => json!(false),
        "string" => string(s),
        _ => Value::Null,
    }
}

/// A value the schema spells out: `const`, `default`, else the first of `examples` or
/// `enum`.
fn given(s: &Map<String, Value>) -> Option<&Value> {
    ["const", "default"]
        .into_iter()
        .find_map(|key| s.get(key))
        .or_else(|| {
            ["examples", "enum"]
                .into_iter()
                .find_map(|key| s.get(key).and_then(Value::as_array).and_then(|a| a.first()))
        })
}

/// The type to build: `type` (the first non-null one of a list), else `object` when
/// there are `properties`, else `null`.
fn type_name(s: &Map<String, Value>) -> &str {
    match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.contains_key("properties") => "object",
        _ => "null",
    }
}

fn bound(s: &Map<String, Value>, key: &str) -> Option<f64> {
    s.get(key).and_then(Value::as_f64)
}

/// The required properties only (a string for one without a schema).
fn object(s: &Map<String, Value>, depth: usize) -> Value {
    let mut out = Map::new();
    let required = s.get("required").and_then(Value::as_array);
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        let sub = s
            .get("properties")
            .and_then(|p| p.get(name))
            .cloned()
            .unwrap_or(json!({"type": "string"}));
        out.insert(name.to_string(), example(&sub, depth + 1));
    }
    Value::Object(out)
}

/// `minItems` copies of the `items` example.
fn array(s: &Map<String, Value>, depth: usize) -> Value {
    let n = s
        .get("minItems")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(MAX_ITEMS);
    let item = s
        .get("items")
        .map(|i| example(i, depth + 1))
        .unwrap_or(Value::Null);
    Value::Array((0..n).map(|_| item.clone()).collect())
}

fn integer(s: &Map<String, Value>) -> Value {
    let lo = bound(s, "minimum")
        .or_else(|| bound(s, "exclusiveMinimum").map(|m| m.floor() + 1.0))
        .unwrap_or(0.0)
        .max(bound(s, "maximum").map_or(f64::MIN, |m| m.min(0.0)));
    json!(lo.ceil() as i64)
}

fn number(s: &Map<String, Value>) -> Value {
    let lo = bound(s, "minimum")
        .or_else(|| bound(s, "exclusiveMinimum").map(|m| m + 1.0))
        .unwrap_or(0.0);
    json!(lo)
}

/// A recognisable text for the `format`, padded with `x` to `minLength`.
fn string(s: &Map<String, Value>) -> Value {
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let base = match s.get("format").and_then(Value::as_str) {
        Some("uri") | Some("uri-reference") => "https://example.invalid/mcp-conform",
        Some("email") => "mcp-conform@example.invalid",
        Some("date-time") => "2026-01-01T00:00:00Z",
        Some("date") => "2026-01-01",
        _ => "mcp-conform",
    };
    let mut text = base.to_string();
    while text.len() < min {
        text.push('x');
    }
    json!(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_satisfy_simple_schemas() {
        let s = json!({"type": "object", "properties": {
            "a": {"type": "number"}, "n": {"type": "integer", "minimum": 2},
            "e": {"enum": ["x", "y"]}, "t": {"type": "string", "minLength": 15},
            "o": {"type": "string"}}, "required": ["a", "n", "e", "t"]});
        let v = example(&s, 0);
        assert_eq!(
            v,
            json!({"a": 0.0, "n": 2, "e": "x", "t": "mcp-conformxxxx"})
        );
        assert!(crate::check::published::conforms(&s, &v).is_ok());
        assert_eq!(example(&json!({"type": "object"}), 0), json!({}));
        assert_eq!(example(&json!(null), 0), Value::Null);
    }
}
