//! The JSON-Schema example generator that `derive` (`schema_example`, the header
//! probes) and the traversal probes use. It is no step: it moves to `json_schema/`.

use serde_json::{json, Map, Value};

/// A small instance of a JSON Schema: `const`, `default`, first `examples`/`enum`
/// entry, else a value built from `type` and bounds. Best effort; depth-capped.
pub fn example(schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    let Some(s) = schema.as_object() else {
        return Value::Null;
    };
    for key in ["const", "default"] {
        if let Some(v) = s.get(key) {
            return v.clone();
        }
    }
    for key in ["examples", "enum"] {
        if let Some(v) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return v.clone();
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return example(first, depth + 1);
        }
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.contains_key("properties") => "object",
        _ => "null",
    };
    let bound = |k: &str| s.get(k).and_then(Value::as_f64);
    match ty {
        "object" => {
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
        "array" => {
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .min(8);
            let item = s
                .get("items")
                .map(|i| example(i, depth + 1))
                .unwrap_or(Value::Null);
            Value::Array((0..n).map(|_| item.clone()).collect())
        }
        "integer" => {
            let lo = bound("minimum")
                .or_else(|| bound("exclusiveMinimum").map(|m| m.floor() + 1.0))
                .unwrap_or(0.0)
                .max(bound("maximum").map_or(f64::MIN, |m| m.min(0.0)));
            json!(lo.ceil() as i64)
        }
        "number" => {
            let lo = bound("minimum")
                .or_else(|| bound("exclusiveMinimum").map(|m| m + 1.0))
                .unwrap_or(0.0);
            json!(lo)
        }
        "boolean" => json!(false),
        "string" => {
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
        _ => Value::Null,
    }
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
