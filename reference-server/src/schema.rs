//! A deliberately small JSON Schema subset, enough to validate tool
//! arguments against the server's own input schemas: `type`, `required`,
//! `properties`, `additionalProperties: false`, `enum`, `minimum`, `maximum`.

use serde_json::{Map, Value};

/// Validates an arguments object against an object schema.
pub fn validate(schema: &Value, args: &Map<String, Value>) -> Result<(), String> {
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for key in required.iter().filter_map(Value::as_str) {
            if !args.contains_key(key) {
                return Err(format!("missing required argument \"{key}\""));
            }
        }
    }
    let props = schema.get("properties").and_then(Value::as_object);
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    for (key, value) in args {
        match props.and_then(|p| p.get(key)) {
            Some(prop) => check(key, prop, value)?,
            None if closed => return Err(format!("unexpected argument \"{key}\"")),
            None => {}
        }
    }
    Ok(())
}

fn is_integer(v: &Value) -> bool {
    v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0)
}

fn check(key: &str, schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(ty) = schema.get("type").and_then(Value::as_str) {
        let ok = match ty {
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => is_integer(value),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            "null" => value.is_null(),
            _ => true,
        };
        if !ok {
            return Err(format!("argument \"{key}\" must be of type {ty}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err(format!(
                "argument \"{key}\" must be one of {}",
                Value::Array(allowed.clone())
            ));
        }
    }
    if let (Some(min), Some(x)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if x < min {
            return Err(format!("argument \"{key}\" must be at least {min}"));
        }
    }
    if let (Some(max), Some(x)) = (
        schema.get("maximum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if x > max {
            return Err(format!("argument \"{key}\" must be at most {max}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn validates_required_types_and_ranges() {
        let schema = json!({
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "n": {"type": "integer", "minimum": 1, "maximum": 100},
                "level": {"type": "string", "enum": ["info", "debug"]},
            },
            "required": ["text"],
        });
        assert!(validate(&schema, &args(json!({"text": "x"}))).is_ok());
        assert!(validate(&schema, &args(json!({"text": "x", "n": 5.0}))).is_ok());
        assert!(validate(&schema, &args(json!({"text": "x", "other": 1}))).is_ok());
        for bad in [
            json!({}),
            json!({"text": 1}),
            json!({"text": "x", "n": 0}),
            json!({"text": "x", "n": 101}),
            json!({"text": "x", "n": 1.5}),
            json!({"text": "x", "level": "loud"}),
        ] {
            assert!(validate(&schema, &args(bad.clone())).is_err(), "{bad}");
        }
        let closed = json!({"type": "object", "properties": {}, "additionalProperties": false});
        assert!(validate(&closed, &Map::new()).is_ok());
        assert!(validate(&closed, &args(json!({"x": 1}))).is_err());
    }
}
