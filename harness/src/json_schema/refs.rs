//! The root schema: draft detection and local `$ref` resolution (JSON pointers,
//! `$anchor`s, `$id`-relative references; nothing is fetched).

use std::collections::HashMap;

use serde_json::Value;

use super::pointer;

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
        let mut anchors = HashMap::new();
        collect_anchors(&root.value, String::new(), &mut anchors);
        root.anchors = anchors;
        let mut refs = Vec::new();
        collect_refs(&root.value, &mut refs);
        for r in refs {
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

/// Keywords whose values are data, not subschemas.
const DATA_KEYWORDS: [&str; 5] = ["enum", "const", "default", "examples", "example"];

fn collect_anchors(v: &Value, pointer: String, out: &mut HashMap<String, String>) {
    match v {
        Value::Object(o) => {
            if let Some(a) = o.get("$anchor").and_then(Value::as_str) {
                out.insert(a.to_string(), pointer.clone());
            }
            for key in ["$id", "id"] {
                if let Some(a) = o
                    .get(key)
                    .and_then(Value::as_str)
                    .and_then(|s| s.strip_prefix('#'))
                {
                    out.insert(a.to_string(), pointer.clone());
                }
            }
            for (k, child) in o {
                if !DATA_KEYWORDS.contains(&k.as_str()) {
                    collect_anchors(child, pointer::join(&pointer, k), out);
                }
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                collect_anchors(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for key in ["$ref", "$recursiveRef", "$dynamicRef"] {
                if let Some(r) = o.get(key).and_then(Value::as_str) {
                    out.push(r.to_string());
                }
            }
            for (k, child) in o {
                if !DATA_KEYWORDS.contains(&k.as_str()) && k != "properties" {
                    collect_refs(child, out);
                }
            }
            // Under `properties`, keys are names and values schemas.
            if let Some(Value::Object(props)) = o.get("properties") {
                for child in props.values() {
                    collect_refs(child, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}
