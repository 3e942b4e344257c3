//! Pieces of the case schema that the case types name in their attributes: patterns,
//! schemas of fields typed as plain JSON, and the one-key-object form of the step enum.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};

use crate::revision::{RevisionSet, ALL_REVISIONS};

/// A requirement id of REQUIREMENTS.md.
pub(super) const REQUIREMENT_ID: &str = r"^[A-Z]+-[0-9]{2}$";
/// A variable name.
pub(super) const IDENT: &str = r"^[A-Za-z_][A-Za-z0-9_]*$";
/// A variable name, optionally with a JSON pointer into it (`tool/inputSchema`).
pub(super) const VAR_PATH: &str = r"^[A-Za-z_][A-Za-z0-9_]*(/.*)?$";
/// A JSON pointer.
pub(super) const JSON_POINTER: &str = r"^(/.*)?$";
/// A mutant name in `fixtures/mutants.yaml`.
pub(super) const MUTANT: &str = r"^[a-z0-9-]+$";
/// A case id: `area.name`.
pub(super) const CASE_ID: &str = r"^[a-z0-9-]+(\.[a-z0-9-]+)+$";
/// A dotted path into `capabilities`.
pub(super) const CAPABILITY: &str = r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$";

/// A JSON-RPC message or batch: an object or an array.
pub(super) fn message(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": ["object", "array"] })
}

/// Any JSON object.
pub(super) fn json_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object" })
}

/// Rewrites an externally tagged enum's `oneOf` (one single-key object per variant) as
/// one object with exactly one of the variants' keys, so that a validation error names
/// the step kind and the field instead of "not valid under any of the schemas".
pub(super) fn one_key_object(schema: &mut Schema) {
    let Some(Value::Array(variants)) = schema.remove("oneOf") else {
        return;
    };
    let mut properties = Map::new();
    for variant in variants {
        let Value::Object(mut v) = variant else {
            continue;
        };
        let description = v.remove("description");
        let Some(Value::Object(props)) = v.remove("properties") else {
            continue;
        };
        for (name, mut inner) in props {
            if let (Some(d), Value::Object(o)) = (&description, &mut inner) {
                o.insert("description".into(), d.clone());
            }
            properties.insert(name, inner);
        }
    }
    schema.insert("type".into(), "object".into());
    schema.insert("minProperties".into(), 1.into());
    schema.insert("maxProperties".into(), 1.into());
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("additionalProperties".into(), false.into());
}

impl JsonSchema for RevisionSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RevisionSet".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let entry = json_schema!({
            "type": "string",
            "pattern": format!("^({})\\+?$", ALL_REVISIONS.join("|")),
        });
        json_schema!({
            "description": "all (every session-based revision, the default), one revision, or a list of revisions; REV+ means REV and later within its era.",
            "oneOf": [
                entry,
                { "const": "all" },
                { "type": "array", "minItems": 1, "items": entry },
            ]
        })
    }
}
