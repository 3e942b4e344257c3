//! JSON Schemas that a server publishes (`inputSchema`, `outputSchema`, …): whether they
//! are valid for their dialect (RPC-16) and whether a value conforms to one (TOOL-10).
//!
//! These schemas come from the server under test, so they are compiled offline: a
//! `$ref` to a URL or a file is never fetched, and an unknown `$schema` dialect is an
//! explicit error rather than a panic or a silent pass.

use serde_json::Value;

const DIALECTS: [&str; 5] = [
    "https://json-schema.org/draft/2020-12/schema",
    "https://json-schema.org/draft/2019-09/schema",
    "http://json-schema.org/draft-07/schema",
    "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-04/schema",
];

/// The schema with its dialect made explicit (2020-12 when absent, per MCP 2025-11-25).
fn with_dialect(schema: &Value) -> Result<Value, String> {
    let Value::Object(map) = schema else {
        return match schema {
            Value::Bool(_) => Ok(schema.clone()),
            other => Err(format!("a schema is an object or a boolean, not {other}")),
        };
    };
    match map.get("$schema") {
        None => {
            let mut m = map.clone();
            m.insert("$schema".into(), Value::String(DIALECTS[0].into()));
            Ok(Value::Object(m))
        }
        Some(Value::String(s)) if DIALECTS.contains(&s.trim_end_matches('#')) => Ok(schema.clone()),
        Some(other) => Err(format!("unsupported `$schema` dialect {other}")),
    }
}

/// Ok when the value is a valid JSON Schema of its dialect and compiles offline.
pub fn is_schema(schema: &Value) -> Result<(), String> {
    let doc = with_dialect(schema)?;
    if doc.is_object() {
        jsonschema::meta::validate(&doc).map_err(|e| {
            let at = e.instance_path().to_string();
            format!("at {}: {e}", if at.is_empty() { "/" } else { &at })
        })?;
    }
    jsonschema::options()
        .offline()
        .build(&doc)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Ok when `instance` validates against `schema` (compiled offline).
pub fn conforms(schema: &Value, instance: &Value) -> Result<(), String> {
    let doc = with_dialect(schema)?;
    let v = jsonschema::options()
        .offline()
        .build(&doc)
        .map_err(|e| format!("the schema does not compile: {e}"))?;
    let problems: Vec<String> = v
        .iter_errors(instance)
        .take(3)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("at {}: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn external_references_are_not_fetched() {
        let s = json!({"$ref": "http://127.0.0.1:9/never.json"});
        assert!(conforms(&s, &json!(1)).is_err());
        let s = json!({"$ref": "file:///etc/hostname"});
        assert!(is_schema(&s).is_err());
    }

    #[test]
    fn dialects_are_explicit() {
        assert!(is_schema(&json!({"type": "object"})).is_ok());
        assert!(is_schema(
            &json!({"$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object"})
        )
        .is_ok());
        assert!(is_schema(&json!({"$schema": 3})).is_err());
        assert!(is_schema(&json!("object")).is_err());
    }
}
