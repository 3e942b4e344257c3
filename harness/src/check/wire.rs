//! Checks applied to every message a server sends, in every case.
//!
//! A server that breaks the JSON-RPC envelope breaks it everywhere, so these rules are
//! judged on all traffic rather than in one case: a violation becomes a finding of
//! the case during which it was seen.

use serde_json::Value;

use crate::json_schema::{json_type, pointer};

/// One rule broken by a received message: requirement ids and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct WireViolation {
    pub requirements: Vec<&'static str>,
    pub message: String,
}

fn violation(reqs: &[&'static str], message: String) -> WireViolation {
    WireViolation {
        requirements: reqs.to_vec(),
        message,
    }
}

/// RPC-15: every `_meta` key a server emits is `[prefix/]name`, where the prefix is
/// dot-separated labels (a letter first, a letter or digit last, hyphens inside) and
/// the name, unless empty, starts and ends with a letter or digit (with `-`, `_`, `.`
/// inside). The rule exists from 2025-06-18 on; older revisions are not judged. Only
/// protocol `_meta` positions are judged (`params._meta`, `result._meta` and the `_meta`
/// of objects the schema defines), never tool or schema data (see `OPAQUE_MEMBERS`).
pub fn judge_meta_keys(msg: &Value, revision: Option<&str>) -> Vec<WireViolation> {
    let mut out = Vec::new();
    if revision.is_some_and(|r| r >= "2025-06-18") {
        walk_meta(msg, "", 0, &mut out);
    }
    out
}

/// Members whose value is data of a tool, a schema or an error, not a protocol object:
/// a `_meta` key inside them is the server's data, which RPC-15 does not govern (tool
/// `arguments` and `structuredContent`, JSON Schemas, error and log `data`, opaque
/// `experimental` capabilities and sampling `metadata`). The walk does not enter them.
const OPAQUE_MEMBERS: &[&str] = &[
    "arguments",
    "structuredContent",
    "inputSchema",
    "outputSchema",
    "requestedSchema",
    "data",
    "experimental",
    "metadata",
];

/// Depth and count caps: a hostile message must not make the walk expensive.
const META_DEPTH_CAP: usize = 64;
const META_VIOLATION_CAP: usize = 5;

fn walk_meta(v: &Value, at: &str, depth: usize, out: &mut Vec<WireViolation>) {
    if depth > META_DEPTH_CAP || out.len() >= META_VIOLATION_CAP {
        return;
    }
    match v {
        Value::Object(obj) => {
            for (k, child) in obj {
                let here = pointer::join(at, k);
                if k == "_meta" {
                    if let Value::Object(meta) = child {
                        for key in meta.keys() {
                            if !meta_key_ok(key) && out.len() < META_VIOLATION_CAP {
                                out.push(violation(
                                    &["RPC-15"],
                                    format!("`_meta` key {key:?} at {here} is not of the form [prefix/]name"),
                                ));
                            }
                        }
                    }
                }
                if !OPAQUE_MEMBERS.contains(&k.as_str()) {
                    walk_meta(child, &here, depth + 1, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_meta(item, &format!("{at}/{i}"), depth + 1, out);
            }
        }
        _ => {}
    }
}

fn meta_key_ok(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphabetic()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    let prefix_ok = prefix.is_none_or(|p| p.split('.').all(label_ok));
    let n = name.as_bytes();
    let name_ok = n.is_empty()
        || (n[0].is_ascii_alphanumeric()
            && n[n.len() - 1].is_ascii_alphanumeric()
            && n.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')));
    prefix_ok && name_ok
}

/// Judges one received JSON value (a message, or a batch answer).
pub fn judge(msg: &Value) -> Vec<WireViolation> {
    let mut out = Vec::new();
    match msg {
        Value::Array(items) => {
            if items.is_empty() {
                out.push(violation(
                    &["RPC-03"],
                    "server sent an empty JSON array".into(),
                ));
            }
            for item in items {
                judge_object(item, &mut out);
            }
        }
        other => judge_object(other, &mut out),
    }
    out
}

fn judge_object(msg: &Value, out: &mut Vec<WireViolation>) {
    let Value::Object(obj) = msg else {
        out.push(violation(
            &["RPC-01"],
            format!("message is a JSON {}, not an object", json_type(msg)),
        ));
        return;
    };
    match obj.get("jsonrpc") {
        Some(Value::String(s)) if s == "2.0" => {}
        Some(other) => out.push(violation(
            &["RPC-01"],
            format!("`jsonrpc` is {other}, not \"2.0\""),
        )),
        None => out.push(violation(
            &["RPC-01"],
            "message has no `jsonrpc` field".into(),
        )),
    }
    let has_method = obj.contains_key("method");
    let has_result = obj.contains_key("result");
    let has_error = obj.contains_key("error");
    if has_method {
        if !obj.get("method").is_some_and(Value::is_string) {
            out.push(violation(&["RPC-01"], "`method` is not a string".into()));
        }
        let is_notification = obj
            .get("method")
            .and_then(Value::as_str)
            .is_some_and(|m| m.starts_with("notifications/"));
        if is_notification && obj.contains_key("id") {
            out.push(violation(
                &["RPC-08"],
                "a notification (`notifications/…` method) carries an `id`".into(),
            ));
            return;
        }
        if let Some(id) = obj.get("id") {
            if !(id.is_string() || id.is_i64() || id.is_u64()) {
                out.push(violation(
                    &["RPC-06"],
                    format!("server request has an id of type {}", json_type(id)),
                ));
            }
        }
        return;
    }
    if has_result && has_error {
        out.push(violation(
            &["RPC-03"],
            "response has both `result` and `error`".into(),
        ));
    } else if !has_result && !has_error {
        out.push(violation(
            &["RPC-03"],
            "message has neither `method`, `result` nor `error`".into(),
        ));
    }
    // An error may lack an id (25-11 allows it for unattributable errors); a result may not.
    if has_result && !obj.contains_key("id") {
        out.push(violation(&["RPC-02"], "result response has no `id`".into()));
    }
    if has_result && !has_error && !obj.get("result").is_some_and(Value::is_object) {
        out.push(violation(
            &["RPC-03"],
            format!(
                "`result` is a {}, not an object",
                obj.get("result").map(json_type).unwrap_or("nothing")
            ),
        ));
    }
    if let Some(err) = obj.get("error").filter(|_| !has_result) {
        match err {
            Value::Object(e) => {
                match e.get("code") {
                    Some(c) if c.is_i64() => {}
                    Some(c) => out.push(violation(
                        &["RPC-04"],
                        format!("error `code` is a {} ({c}), not an integer", json_type(c)),
                    )),
                    None => out.push(violation(&["RPC-03"], "error has no `code`".into())),
                }
                if !e.get("message").is_some_and(Value::is_string) {
                    out.push(violation(
                        &["RPC-03"],
                        "error has no string `message`".into(),
                    ));
                }
            }
            other => out.push(violation(
                &["RPC-03"],
                format!("`error` is a {}, not an object", json_type(other)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_keys_follow_the_prefix_name_format() {
        for good in [
            "progressToken",
            "io.modelcontextprotocol/related-task",
            "com.example/x_y.z",
            "a/",
            "",
        ] {
            assert!(meta_key_ok(good), "{good}");
        }
        for bad in ["bad key", "-x", "x-", "1abc.example/x", "a..b/x", "/x", "é"] {
            assert!(!meta_key_ok(bad), "{bad}");
        }
        let msg = serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "t", "_meta": {"bad key": 1}}]}});
        let v = judge_meta_keys(&msg, Some("2025-11-25"));
        assert_eq!(v.len(), 1);
        assert!(
            v[0].message.contains("/result/tools/0/_meta"),
            "{}",
            v[0].message
        );
        assert!(judge_meta_keys(&msg, Some("2025-03-26")).is_empty());
    }

    #[test]
    fn meta_keys_inside_tool_and_schema_data_are_not_judged() {
        let bad = serde_json::json!({"_meta": {"bad key": 1, "-x": 2}});
        let result = serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {
            "content": [{"type": "text", "text": "t"}],
            "structuredContent": {"echo": bad.clone(), "_meta": {"bad key": 1}},
        }});
        assert!(judge_meta_keys(&result, Some("2025-11-25")).is_empty());
        let tools = serde_json::json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": [{
            "name": "t",
            "inputSchema": {"type": "object", "properties": {"_meta": {"type": "object"}},
                "default": bad.clone()},
            "outputSchema": {"type": "object", "examples": [bad.clone()]},
        }]}});
        assert!(judge_meta_keys(&tools, Some("2025-11-25")).is_empty());
        let error = serde_json::json!({"jsonrpc": "2.0", "id": 3,
            "error": {"code": -32603, "message": "x", "data": bad.clone()}});
        assert!(judge_meta_keys(&error, Some("2025-11-25")).is_empty());
        let log = serde_json::json!({"jsonrpc": "2.0", "method": "notifications/message",
            "params": {"level": "info", "data": bad.clone()}});
        assert!(judge_meta_keys(&log, Some("2025-11-25")).is_empty());
        let request = serde_json::json!({"jsonrpc": "2.0", "id": 4, "method": "elicitation/create",
            "params": {"message": "m", "requestedSchema": {"type": "object", "properties": {}, "default": bad}}});
        assert!(judge_meta_keys(&request, Some("2025-11-25")).is_empty());
        // The protocol's own positions are still judged: the params and a content block.
        let notif = serde_json::json!({"jsonrpc": "2.0", "method": "notifications/progress",
            "params": {"progressToken": 1, "progress": 1, "_meta": {"bad key": 1}}});
        assert_eq!(judge_meta_keys(&notif, Some("2025-11-25")).len(), 1);
        let block = serde_json::json!({"jsonrpc": "2.0", "id": 5, "result": {
            "content": [{"type": "text", "text": "t", "_meta": {"bad key": 1}}],
            "structuredContent": {}}});
        assert_eq!(judge_meta_keys(&block, Some("2025-11-25")).len(), 1);
    }
    use serde_json::json;

    #[test]
    fn a_clean_response_has_no_violations() {
        assert!(judge(&json!({"jsonrpc":"2.0","id":1,"result":{}})).is_empty());
        assert!(
            judge(&json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}))
                .is_empty()
        );
        assert!(
            judge(&json!({"jsonrpc":"2.0","method":"notifications/message","params":{}}))
                .is_empty()
        );
    }

    #[test]
    fn envelope_faults_are_named() {
        let v = judge(&json!({"id":1,"result":{}}));
        assert_eq!(v[0].requirements, vec!["RPC-01"]);
        let v = judge(&json!({"jsonrpc":"2.0","id":1,"result":{},"error":null}));
        assert_eq!(v[0].requirements, vec!["RPC-03"]);
        let v = judge(&json!({"jsonrpc":"2.0","id":1,"error":{"code":"-32601","message":"x"}}));
        assert_eq!(v[0].requirements, vec!["RPC-04"]);
        let v = judge(&json!({"jsonrpc":"2.0","id":null,"method":"roots/list"}));
        assert_eq!(v[0].requirements, vec!["RPC-06"]);
    }
}
