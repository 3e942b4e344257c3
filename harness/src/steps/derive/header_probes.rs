//! The `x-mcp-header` computations of `derive` (`x_mcp_headers`, `header_arguments`,
//! `header_probe`), for 2026-07-28 cases: where a tool's inputSchema places its
//! annotations (MOD-22), and the arguments and header values that probe how a server
//! checks an `Mcp-Param-*` header against the body (MOD-23).

use std::ops::ControlFlow;

use serde_json::{json, Map, Value};

use crate::json_schema::example;
use crate::json_schema::walk::walk;
use crate::transport::http::{base64, header_value};

/// Nesting and count caps for walking a published schema.
const MAX_DEPTH: usize = 32;
const MAX_FOUND: usize = 64;

/// One `x-mcp-header` annotation found in a schema.
struct Found {
    pointer: String,
    header: Value,
    ty: Value,
    /// The chain from the root is made of `properties` keys only (and is not empty).
    reachable: bool,
    /// The property path in the arguments (for reachable annotations).
    path: Vec<String>,
}

/// Every `x-mcp-header` in `schema`, wherever it sits; depth- and count-capped.
fn found_in(schema: &Value) -> Vec<Found> {
    let mut out = Vec::new();
    walk(schema, MAX_DEPTH, &mut |node| {
        if let Some(h) = node.schema.get("x-mcp-header") {
            let path = node.properties.filter(|p| !p.is_empty());
            out.push(Found {
                pointer: node.pointer.to_string(),
                header: h.clone(),
                ty: node.schema.get("type").cloned().unwrap_or(Value::Null),
                reachable: path.is_some(),
                path: path.map(<[String]>::to_vec).unwrap_or_default(),
            });
            if out.len() >= MAX_FOUND {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    out
}

/// `x_mcp_headers`: for each tool of the array `from`, `{tool, annotations: [{pointer,
/// header, key, type, reachable}]}`, where `key` is the header lowercased (for a
/// case-insensitive uniqueness check) and `reachable` says the annotation sits at the
/// end of a non-empty chain of `properties` keys from the root.
pub fn x_mcp_headers(tools: &Value) -> Value {
    let list = tools.as_array().map(Vec::as_slice).unwrap_or_default();
    let out: Vec<Value> = list
        .iter()
        .map(|t| {
            let schema = t.get("inputSchema").unwrap_or(&Value::Null);
            let annotations: Vec<Value> = found_in(schema)
                .into_iter()
                .map(|f| {
                    let key = f.header.as_str().map(str::to_ascii_lowercase);
                    json!({"pointer": f.pointer, "header": f.header, "key": key,
                        "type": f.ty, "reachable": f.reachable})
                })
                .collect();
            json!({"tool": t.get("name").cloned().unwrap_or(Value::Null), "annotations": annotations})
        })
        .collect();
    Value::Array(out)
}

fn set_at(args: &mut Map<String, Value>, path: &[String], v: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = args;
    for key in parents {
        let slot = cur.entry(key.clone()).or_insert_with(|| json!({}));
        if !slot.is_object() {
            *slot = json!({});
        }
        let Some(next) = slot.as_object_mut() else {
            return;
        };
        cur = next;
    }
    cur.insert(last.clone(), v);
}

fn remove_at(args: &mut Map<String, Value>, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = args;
    for key in parents {
        match cur.get_mut(key).and_then(Value::as_object_mut) {
            Some(next) => cur = next,
            None => return,
        }
    }
    cur.remove(last);
}

fn get_at<'a>(args: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    rest.iter().try_fold(args.get(first)?, |v, k| v.get(k))
}

/// The subschema at a chain of `properties` keys.
fn property_schema<'a>(schema: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(schema, |s, k| s.get("properties").and_then(|p| p.get(k)))
}

/// A value for an annotated property: its example when that fits the type.
fn value_for(prop: &Value) -> Value {
    match prop.get("type").and_then(Value::as_str) {
        Some("integer") => match example(prop, 1) {
            v @ Value::Number(_) if v.is_i64() => v,
            _ => json!(1),
        },
        Some("boolean") => match example(prop, 1) {
            v @ Value::Bool(_) => v,
            _ => json!(true),
        },
        _ => match example(prop, 1) {
            v @ Value::String(_) => v,
            _ => json!("mcp-conform"),
        },
    }
}

/// `schema_example` of `schema` plus a value (not null) for every property that carries
/// `x-mcp-header` and is reachable through `properties` keys (nested ones included).
pub fn header_arguments(schema: &Value) -> Value {
    let mut args = match example(schema, 0) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for f in found_in(schema).into_iter().filter(|f| f.reachable) {
        if get_at(&args, &f.path).is_some_and(|v| !v.is_null()) {
            continue;
        }
        if let Some(prop) = property_schema(schema, &f.path) {
            set_at(&mut args, &f.path, value_for(prop));
        }
    }
    Value::Object(args)
}

/// The header text a value is mirrored as (before any Base64 form).
fn plain_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `header_probe`: probes for the first well-placed annotation of the inputSchema `from`
/// (reachable, a token, on a string, integer or boolean property), else null:
/// `{header` (lowercase `mcp-param-…`), `path`, `args` (as `header_arguments`), `value`
/// (the header text of the argument), `other` (a different value), `base64` (`value` in
/// the Base64 sentinel form), `corrupt` (a sentinel that is not Base64), `invalid_args`
/// and `invalid` (arguments and a raw header value with a non-ASCII character: the same
/// text when the property is a free string, else `value` with the character appended),
/// `absent_args` (without the argument), `null_args` (the argument null)`}`.
///
/// Given an array of tools instead, the tools that have such an annotation, each as
/// `{name, annotations, probe}` (at most `MAX_FOUND`).
pub fn header_probe(from: &Value) -> Value {
    let Some(tools) = from.as_array() else {
        return probe_schema(from);
    };
    let probed = tools.iter().filter_map(|t| {
        let probe = probe_schema(t.get("inputSchema").unwrap_or(&Value::Null));
        (!probe.is_null()).then(|| {
            json!({"name": t.get("name").cloned().unwrap_or(Value::Null),
                "annotations": t.get("annotations").cloned().unwrap_or(Value::Null),
                "probe": probe})
        })
    });
    Value::Array(probed.take(MAX_FOUND).collect())
}

fn probe_schema(schema: &Value) -> Value {
    let token = |h: &str| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    let chosen = found_in(schema).into_iter().find(|f| {
        f.reachable
            && f.header.as_str().is_some_and(token)
            && matches!(f.ty.as_str(), Some("string" | "integer" | "boolean"))
    });
    let Some(f) = chosen else {
        return Value::Null;
    };
    let Some(name) = f.header.as_str() else {
        return Value::Null;
    };
    let args = match header_arguments(schema) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let Some(value) = get_at(&args, &f.path).cloned() else {
        return Value::Null;
    };
    let text = plain_text(&value);
    let other = match &value {
        Value::Bool(b) => (!b).to_string(),
        Value::Number(n) => n.as_i64().map_or("2".into(), |i| (i ^ 1).to_string()),
        _ => format!("{text}-mismatch"),
    };
    let prop = property_schema(schema, &f.path).unwrap_or(&Value::Null);
    let free_string = prop.get("type").and_then(Value::as_str) == Some("string")
        && ["enum", "const", "pattern", "format", "maxLength"]
            .iter()
            .all(|k| prop.get(k).is_none());
    let mut invalid_args = args.clone();
    let invalid = format!("{text}\u{e9}");
    if free_string {
        set_at(&mut invalid_args, &f.path, json!(invalid));
    }
    let mut absent_args = args.clone();
    remove_at(&mut absent_args, &f.path);
    let mut null_args = args.clone();
    set_at(&mut null_args, &f.path, Value::Null);
    json!({
        "header": format!("mcp-param-{}", name.to_ascii_lowercase()),
        "path": f.path,
        "args": args,
        "value": header_value(&text),
        "other": header_value(&other),
        "base64": format!("=?base64?{}?=", base64(text.as_bytes())),
        "corrupt": "=?base64?*not*base64*?=",
        "invalid_args": invalid_args,
        "invalid": invalid,
        "absent_args": absent_args,
        "null_args": null_args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "opts": {"type": "object", "properties": {
                "tenant": {"type": "integer", "x-mcp-header": "Tenant"},
                "list": {"type": "array", "items": {"type": "string", "x-mcp-header": "Item"}},
            }},
            "choice": {"anyOf": [{"type": "string", "x-mcp-header": "Choice"}]},
            "x-mcp-header": {"type": "string", "default": {"x-mcp-header": "NotOne"}},
        }, "$defs": {"d": {"type": "string", "x-mcp-header": "Def"}}})
    }

    #[test]
    fn annotations_are_found_everywhere_and_only_properties_chains_are_reachable() {
        let got = x_mcp_headers(&json!([{"name": "t", "inputSchema": schema()}]));
        let ann = got[0]["annotations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let by = |h: &str| {
            ann.iter()
                .find(|a| a["header"] == h)
                .map(|a| (a["pointer"].clone(), a["reachable"].clone()))
        };
        assert_eq!(ann.len(), 5, "{ann:?}");
        assert_eq!(
            by("Region"),
            Some((json!("/properties/region"), json!(true)))
        );
        assert_eq!(
            by("Tenant"),
            Some((json!("/properties/opts/properties/tenant"), json!(true)))
        );
        assert_eq!(
            by("Item"),
            Some((
                json!("/properties/opts/properties/list/items"),
                json!(false)
            ))
        );
        assert_eq!(
            by("Choice"),
            Some((json!("/properties/choice/anyOf/0"), json!(false)))
        );
        assert_eq!(by("Def"), Some((json!("/$defs/d"), json!(false))));
        assert_eq!(by("NotOne"), None);
        assert_eq!(
            ann[0]["key"],
            json!(ann[0]["header"].as_str().map(str::to_ascii_lowercase))
        );
    }

    #[test]
    fn header_arguments_fill_nested_annotated_properties() {
        let args = header_arguments(&schema());
        assert!(args.pointer("/opts/tenant").is_some_and(Value::is_i64));
        assert!(args.get("region").is_some_and(Value::is_string));
        assert!(args.pointer("/opts/list").is_none_or(|l| !l.is_string()));
    }

    #[test]
    fn probe_values_for_a_string_property() {
        let s = json!({"type": "object", "properties": {
            "text": {"type": "string", "x-mcp-header": "Text"}}, "required": ["text"]});
        let p = header_probe(&s);
        assert_eq!(p["header"], "mcp-param-text");
        let text = p["args"]["text"].as_str().unwrap_or_default().to_string();
        assert_eq!(p["value"], json!(text));
        assert_ne!(p["other"], p["value"]);
        assert_eq!(
            p["base64"],
            json!(format!("=?base64?{}?=", base64(text.as_bytes())))
        );
        assert_eq!(p["invalid_args"]["text"], p["invalid"]);
        assert!(p["absent_args"].get("text").is_none());
        assert_eq!(p["null_args"]["text"], Value::Null);
    }

    #[test]
    fn probe_values_for_a_nested_integer_and_none_without_a_valid_annotation() {
        let s = json!({"type": "object", "properties": {"o": {"type": "object",
            "properties": {"n": {"type": "integer", "x-mcp-header": "N"}}}}});
        let p = header_probe(&s);
        assert_eq!(p["header"], "mcp-param-n");
        let n = p["args"]["o"]["n"].as_i64().unwrap_or(-1);
        assert_eq!(p["value"], json!(n.to_string()));
        assert_eq!(p["other"], json!((n ^ 1).to_string()));
        assert_eq!(
            p["base64"],
            json!(format!("=?base64?{}?=", base64(n.to_string().as_bytes())))
        );
        assert_eq!(p["invalid_args"], p["args"]);
        assert!(p["absent_args"]["o"].get("n").is_none());
        let bad = json!({"type": "object", "properties": {
            "a": {"type": "number", "x-mcp-header": "A"},
            "b": {"type": "array", "items": {"type": "string", "x-mcp-header": "B"}}}});
        assert_eq!(header_probe(&bad), Value::Null);
        let tools = json!([{"name": "x", "inputSchema": bad}, {"name": "y", "inputSchema": s,
            "annotations": {"readOnlyHint": true}}]);
        let listed = header_probe(&tools);
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
        assert_eq!(listed[0]["name"], "y");
        assert_eq!(listed[0]["annotations"]["readOnlyHint"], true);
        assert_eq!(listed[0]["probe"], p);
    }
}
