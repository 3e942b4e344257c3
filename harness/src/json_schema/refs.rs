//! The root schema: draft detection and local `$ref` resolution (JSON pointers,
//! `$anchor`s, `$id`-relative references; nothing is fetched).

use std::collections::HashMap;
use std::ops::ControlFlow;

use serde_json::{Map, Value};

use super::walk::walk;

/// The keywords that refer to another schema (the later two are read as `$ref`).
pub(crate) const REF_KEYWORDS: [&str; 3] = ["$ref", "$recursiveRef", "$dynamicRef"];

/// The reference a schema object makes, if any (`$ref` first).
pub(crate) fn reference(schema: &Map<String, Value>) -> Option<&str> {
    REF_KEYWORDS
        .iter()
        .find_map(|k| schema.get(*k).and_then(Value::as_str))
}

/// Same-location `$ref` hops before a cycle is assumed.
pub(crate) const MAX_REF_HOPS: u32 = 64;

/// The dialect family, as far as `$ref` semantics go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Draft {
    Legacy4,
    Legacy6,
    Legacy7,
    Modern,
}

impl Draft {
    fn detect(root: &Value) -> Draft {
        let id = root.get("$schema").and_then(Value::as_str).unwrap_or("");
        if id.contains("draft-04") {
            Draft::Legacy4
        } else if id.contains("draft-06") {
            Draft::Legacy6
        } else if id.contains("draft-07") {
            Draft::Legacy7
        } else {
            Draft::Modern
        }
    }

    /// Before 2019-09, keywords beside `$ref` are ignored.
    pub(crate) fn ref_overrides_siblings(self) -> bool {
        !matches!(self, Draft::Modern)
    }
}

/// The root schema plus what `$ref` resolution needs.
#[derive(Debug)]
pub(crate) struct Root {
    pub(crate) value: Value,
    pub(crate) draft: Draft,
    base_id: Option<String>,
    anchors: HashMap<String, String>,
}

impl Root {
    /// The root `value`, once every `$ref` in it is known to resolve; else why not.
    pub(crate) fn new(value: &Value) -> Result<Root, String> {
        match value {
            Value::Bool(false) => return Err("root schema is `false`: no input is valid".into()),
            Value::Bool(true) | Value::Object(_) => {}
            _ => return Err("schema must be an object or a boolean".into()),
        }
        let base_id = value
            .get("$id")
            .or_else(|| value.get("id"))
            .and_then(Value::as_str)
            .map(|s| s.trim_end_matches('#').to_string())
            .filter(|s| !s.is_empty());
        let mut root = Root {
            value: value.clone(),
            draft: Draft::detect(value),
            base_id,
            anchors: HashMap::new(),
        };
        root.anchors = collect_anchors(&root.value);
        for r in collect_refs(&root.value) {
            root.resolve(&r)?;
        }
        Ok(root)
    }

    /// Resolves a `$ref` against the root document.
    pub(crate) fn resolve(&self, reference: &str) -> Result<&Value, String> {
        let mut fragment = reference;
        if let Some(base) = &self.base_id {
            if let Some(rest) = reference.strip_prefix(base.as_str()) {
                fragment = rest;
            }
        }
        let Some(fragment) = fragment.strip_prefix('#') else {
            return Err(format!(
                "unresolvable $ref `{reference}` (only local references are supported)"
            ));
        };
        let decoded = percent_decode(fragment);
        let found = if decoded.is_empty() {
            Some(&self.value)
        } else if decoded.starts_with('/') {
            self.value.pointer(&decoded)
        } else {
            self.anchors
                .get(&decoded)
                .and_then(|p| self.value.pointer(p))
        };
        found.ok_or_else(|| format!("unresolvable $ref `{reference}`"))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `$anchor`s and plain-name `$id`s (`#name`), each with the pointer of its schema.
fn collect_anchors(root: &Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    walk(root, usize::MAX, &mut |node| {
        let named = node.schema.get("$anchor").and_then(Value::as_str);
        let ids = ["$id", "id"].into_iter().filter_map(|key| {
            node.schema
                .get(key)
                .and_then(Value::as_str)
                .and_then(|s| s.strip_prefix('#'))
        });
        for a in named.into_iter().chain(ids) {
            out.insert(a.to_string(), node.pointer.to_string());
        }
        ControlFlow::Continue(())
    });
    out
}

/// Every `$ref`, `$recursiveRef` and `$dynamicRef` in the document.
fn collect_refs(root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, usize::MAX, &mut |node| {
        for key in REF_KEYWORDS {
            if let Some(r) = node.schema.get(key).and_then(Value::as_str) {
                out.push(r.to_string());
            }
        }
        ControlFlow::Continue(())
    });
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn resolves_pointers_anchors_and_base_relative_references() {
        let doc = json!({
            "$id": "https://example.com/s.json",
            "$defs": {"a b": {"$anchor": "A", "type": "string"}, "enum": {"$id": "#E", "type": "null"}},
            "properties": {"x": {"$ref": "#/$defs/a%20b"}, "y": {"$ref": "https://example.com/s.json#A"}}
        });
        let root = Root::new(&doc).expect("every reference resolves");
        assert_eq!(root.draft, Draft::Modern);
        let string = json!({"$anchor": "A", "type": "string"});
        assert_eq!(root.resolve("#/$defs/a%20b"), Ok(&string));
        assert_eq!(root.resolve("https://example.com/s.json#A"), Ok(&string));
        assert_eq!(
            root.resolve("#E"),
            Ok(&json!({"$id": "#E", "type": "null"}))
        );
        assert_eq!(root.resolve("#"), Ok(&doc));
    }

    #[test]
    fn refuses_what_it_cannot_resolve() {
        let external = Root::new(&json!({"$ref": "other.json#/x"})).expect_err("external");
        assert!(external.contains("only local references"), "{external}");
        let missing = Root::new(&json!({"items": {"$ref": "#/$defs/nope"}})).expect_err("missing");
        assert!(missing.contains("#/$defs/nope"), "{missing}");
        assert!(Root::new(&json!(false)).is_err());
        assert!(Root::new(&json!(3)).is_err());
        let legacy = Root::new(&json!({"$schema": "http://json-schema.org/draft-07/schema#"}));
        assert!(legacy.is_ok_and(|r| r.draft.ref_overrides_siblings()));
    }
}
