//! JSON Schemas that a server publishes (`inputSchema`, `outputSchema`, …): whether they
//! are valid for their dialect (RPC-16) and whether a value conforms to one (TOOL-10).
//!
//! These schemas come from the server under test, so they are compiled offline: a
//! `$ref` to a URL or a file is never fetched. What the harness cannot judge (a dialect
//! it does not implement, a reference outside the document) is said so
//! ([`Judged::CannotJudge`]), never taken for a broken rule.
//!
//! The dialect of a schema without `$schema` is JSON Schema 2020-12 from 2025-11-25 on
//! (basic/index.mdx §JSON Schema Usage). Earlier revisions name no dialect, so there
//! the harness assumes none: a schema or value that holds under 2020-12 or draft-07
//! holds.

use std::ops::ControlFlow;

use serde_json::Value;

use crate::json_schema::refs::REF_KEYWORDS;
use crate::json_schema::walk::walk;

/// How deep the search for external references goes.
const MAX_REF_DEPTH: usize = 64;

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";
const DRAFT_07: &str = "http://json-schema.org/draft-07/schema";

const DIALECTS: [&str; 5] = [
    DRAFT_2020_12,
    "https://json-schema.org/draft/2019-09/schema",
    DRAFT_07,
    "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-04/schema",
];

/// The outcome of judging a published schema, or a value against one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    Holds,
    /// The rule is broken: why.
    Broken(String),
    /// The harness cannot decide (unsupported dialect, external reference): why.
    CannotJudge(String),
}

/// The revision's default dialect for a schema without `$schema`, if it names one.
fn default_dialect(revision: Option<&str>) -> Option<&'static str> {
    revision
        .filter(|r| *r >= "2025-11-25")
        .map(|_| DRAFT_2020_12)
}

/// The schema with its dialect made explicit: one document, or one per dialect the
/// harness tries when the revision names no default.
fn with_dialect(schema: &Value, revision: Option<&str>) -> Result<Vec<Value>, Judged> {
    let Value::Object(map) = schema else {
        return match schema {
            Value::Bool(_) => Ok(vec![schema.clone()]),
            other => Err(Judged::Broken(format!(
                "a schema is an object or a boolean, not {other}"
            ))),
        };
    };
    if let Some(r) = external_ref(schema) {
        return Err(Judged::CannotJudge(format!(
            "the schema refers to {r:?} outside itself, which the harness does not fetch"
        )));
    }
    match map.get("$schema") {
        None => {
            let dialects = match default_dialect(revision) {
                Some(d) => vec![d],
                None => vec![DRAFT_2020_12, DRAFT_07],
            };
            Ok(dialects
                .into_iter()
                .map(|d| {
                    let mut m = map.clone();
                    m.insert("$schema".into(), Value::String(d.into()));
                    Value::Object(m)
                })
                .collect())
        }
        Some(Value::String(s)) if DIALECTS.contains(&s.trim_end_matches('#')) => {
            Ok(vec![schema.clone()])
        }
        Some(Value::String(s)) => Err(Judged::CannotJudge(format!(
            "the schema's dialect {s:?} is not one the harness implements"
        ))),
        Some(other) => Err(Judged::Broken(format!(
            "`$schema` must be a URI string, not {other}"
        ))),
    }
}

/// The first `$ref` (or `$dynamicRef`, `$recursiveRef`) of a subschema that does not
/// point into the document itself (`#…`); instance data (`const`, `default`, …) is not
/// searched.
fn external_ref(schema: &Value) -> Option<String> {
    let mut found = None;
    walk(schema, MAX_REF_DEPTH, &mut |node| {
        found = REF_KEYWORDS
            .iter()
            .filter_map(|k| node.schema.get(*k).and_then(Value::as_str))
            .find(|r| !r.starts_with('#'))
            .map(str::to_string);
        match found {
            Some(_) => ControlFlow::Break(()),
            None => ControlFlow::Continue(()),
        }
    });
    found
}

fn valid_schema(doc: &Value) -> Result<(), String> {
    if doc.is_object() {
        jsonschema::meta::validate(doc).map_err(|e| {
            let at = e.instance_path().to_string();
            format!("at {}: {e}", if at.is_empty() { "/" } else { &at })
        })?;
    }
    jsonschema::options()
        .offline()
        .build(doc)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Whether the value is a valid JSON Schema of its dialect (at `revision`) and compiles.
pub fn judge_schema(schema: &Value, revision: Option<&str>) -> Judged {
    let docs = match with_dialect(schema, revision) {
        Ok(d) => d,
        Err(j) => return j,
    };
    let mut first_problem = None;
    for doc in &docs {
        match valid_schema(doc) {
            Ok(()) => return Judged::Holds,
            Err(e) => {
                first_problem.get_or_insert(e);
            }
        }
    }
    Judged::Broken(first_problem.unwrap_or_default())
}

/// Whether `instance` validates against `schema` (at `revision`). A schema that does
/// not compile cannot be judged against (its validity is the business of RPC-16).
pub fn judge_instance(schema: &Value, instance: &Value, revision: Option<&str>) -> Judged {
    let docs = match with_dialect(schema, revision) {
        Ok(d) => d,
        Err(j) => return j,
    };
    let mut first_problem = None;
    for doc in &docs {
        let Ok(v) = jsonschema::options().offline().build(doc) else {
            continue;
        };
        let problems: Vec<String> = v
            .iter_errors(instance)
            .take(3)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("at {}: {e}", if at.is_empty() { "/" } else { &at })
            })
            .collect();
        if problems.is_empty() {
            return Judged::Holds;
        }
        first_problem.get_or_insert(problems.join("; "));
    }
    match first_problem {
        Some(p) => Judged::Broken(p),
        None => Judged::CannotJudge("the schema does not compile".into()),
    }
}

/// Ok unless `instance` surely breaks `schema` (no revision assumed).
pub fn conforms(schema: &Value, instance: &Value) -> Result<(), String> {
    match judge_instance(schema, instance, None) {
        Judged::Broken(e) => Err(e),
        Judged::Holds | Judged::CannotJudge(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LATEST: Option<&str> = Some("2025-11-25");

    #[test]
    fn external_references_are_not_fetched_and_not_judged() {
        let s = json!({"$ref": "http://127.0.0.1:9/never.json"});
        assert!(matches!(
            judge_instance(&s, &json!(1), LATEST),
            Judged::CannotJudge(_)
        ));
        let s = json!({"type": "object", "properties": {"a": {"$ref": "file:///etc/hostname"}}});
        assert!(matches!(judge_schema(&s, LATEST), Judged::CannotJudge(_)));
        // A `$ref` member of instance data is data, not a reference.
        let s = json!({"type": "object", "default": {"$ref": "http://127.0.0.1:9/x"}});
        assert_eq!(judge_schema(&s, LATEST), Judged::Holds);
        // A reference inside the document is judged.
        let s = json!({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n"});
        assert_eq!(judge_schema(&s, LATEST), Judged::Holds);
        assert!(matches!(
            judge_instance(&s, &json!("x"), LATEST),
            Judged::Broken(_)
        ));
    }

    #[test]
    fn dialects_are_explicit_and_an_unknown_one_cannot_be_judged() {
        assert_eq!(
            judge_schema(&json!({"type": "object"}), LATEST),
            Judged::Holds
        );
        assert_eq!(
            judge_schema(
                &json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}),
                LATEST
            ),
            Judged::Holds
        );
        assert!(matches!(
            judge_schema(
                &json!({"$schema": "https://example.com/my-dialect", "type": "object"}),
                LATEST
            ),
            Judged::CannotJudge(_)
        ));
        assert!(matches!(
            judge_instance(
                &json!({"$schema": "https://example.com/my-dialect"}),
                &json!(1),
                LATEST
            ),
            Judged::CannotJudge(_)
        ));
        assert!(matches!(
            judge_schema(&json!({"$schema": 3}), LATEST),
            Judged::Broken(_)
        ));
        assert!(matches!(
            judge_schema(&json!("object"), LATEST),
            Judged::Broken(_)
        ));
        assert!(matches!(
            judge_schema(&json!({"type": "objekt"}), LATEST),
            Judged::Broken(_)
        ));
    }

    #[test]
    fn the_2020_12_default_holds_only_from_2025_11_25() {
        // draft-07 tuple validation: `items` as an array. Under 2020-12 `items` must be
        // a schema, so the schema is broken there; before 2025-11-25 no dialect is
        // assumed, and it holds under draft-07.
        let tuple = json!({"type": "array", "items": [{"type": "string"}, {"type": "integer"}]});
        assert!(matches!(judge_schema(&tuple, LATEST), Judged::Broken(_)));
        assert_eq!(judge_schema(&tuple, Some("2025-06-18")), Judged::Holds);
        assert_eq!(
            judge_instance(&tuple, &json!(["a", 1]), Some("2025-06-18")),
            Judged::Holds
        );
        assert!(matches!(
            judge_instance(&tuple, &json!([1, "a"]), Some("2025-06-18")),
            Judged::Broken(_)
        ));
    }
}
