//! Validation of every received message against the MCP schema of the negotiated
//! revision (`schemas/mcp/<revision>.json`, generated from the official schema.json).
//!
//! Each revision's schema is compiled once per process into a map of validators keyed
//! by JSON pointer. A result is validated against the result type of the request it
//! answers (the session knows the method of each id it sent), an error's `error`
//! member against the error type, notifications and server requests against the
//! definition whose `method` constant they carry.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::Violation;
use crate::revision::ALL_REVISIONS;

/// One place where a message breaks its revision's schema: the requirement and what
/// is wrong (the evidence, the message, is added by [`judge`]).
type Problem = (&'static str, String);

static SOURCES: [(&str, &str); 5] = [
    (
        "2024-11-05",
        include_str!("../../../schemas/mcp/2024-11-05.json"),
    ),
    (
        "2025-03-26",
        include_str!("../../../schemas/mcp/2025-03-26.json"),
    ),
    (
        "2025-06-18",
        include_str!("../../../schemas/mcp/2025-06-18.json"),
    ),
    (
        "2025-11-25",
        include_str!("../../../schemas/mcp/2025-11-25.json"),
    ),
    (
        "2026-07-28",
        include_str!("../../../schemas/mcp/2026-07-28.json"),
    ),
];

/// A compiled revision schema: validators by pointer, and the definitions that
/// server notifications and requests use, by method.
pub struct RevisionSchema {
    map: jsonschema::ValidatorMap,
    /// `#/definitions` or `#/$defs`.
    defs_prefix: &'static str,
    by_method: BTreeMap<String, String>,
    has: Vec<String>,
}

impl RevisionSchema {
    fn compile(text: &str) -> Result<RevisionSchema, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let (defs_prefix, defs) = match (doc.get("definitions"), doc.get("$defs")) {
            (Some(d), _) => ("#/definitions", d),
            (_, Some(d)) => ("#/$defs", d),
            _ => return Err("no definitions".into()),
        };
        let has: Vec<String> = defs
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut by_method = BTreeMap::new();
        for union in ["ServerNotification", "ServerRequest"] {
            let members = defs
                .pointer(&format!("/{union}/anyOf"))
                .and_then(Value::as_array);
            for member in members.into_iter().flatten() {
                let Some(name) = member
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.rsplit('/').next())
                else {
                    continue;
                };
                if let Some(method) = defs
                    .pointer(&format!("/{name}/properties/method/const"))
                    .and_then(Value::as_str)
                {
                    by_method.insert(method.to_string(), name.to_string());
                }
            }
        }
        let map = jsonschema::validator_map_for(&doc).map_err(|e| format!("invalid: {e}"))?;
        Ok(RevisionSchema {
            map,
            defs_prefix,
            by_method,
            has,
        })
    }

    fn validator(&self, pointer_in_defs: &str) -> Option<&jsonschema::Validator> {
        self.map
            .get(&format!("{}/{pointer_in_defs}", self.defs_prefix))
    }

    fn has_def(&self, name: &str) -> bool {
        self.has.iter().any(|d| d == name)
    }
}

/// The compiled schema of a revision (compiled on first use, once per process).
pub fn revision_schema(revision: &str) -> Option<&'static RevisionSchema> {
    static COMPILED: OnceLock<Vec<OnceLock<Option<RevisionSchema>>>> = OnceLock::new();
    let slots = COMPILED.get_or_init(|| SOURCES.iter().map(|_| OnceLock::new()).collect());
    let i = SOURCES.iter().position(|(r, _)| *r == revision)?;
    slots
        .get(i)?
        .get_or_init(|| match RevisionSchema::compile(SOURCES[i].1) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("mcp-conform: the bundled {revision} schema does not compile: {e}");
                None
            }
        })
        .as_ref()
}

/// The schema definition for the result of a client request, and the requirement
/// that a malformed result breaks.
pub fn result_type(method: &str) -> Option<(&'static str, &'static str)> {
    Some(match method {
        "initialize" => ("InitializeResult", "LIFE-02"),
        "ping" => ("EmptyResult", "PING-01"),
        "tools/list" => ("ListToolsResult", "TOOL-03"),
        "tools/call" => ("CallToolResult", "TOOL-06"),
        "resources/list" => ("ListResourcesResult", "RES-02"),
        "resources/templates/list" => ("ListResourceTemplatesResult", "RES-05"),
        "resources/read" => ("ReadResourceResult", "RES-03"),
        "resources/subscribe" | "resources/unsubscribe" => ("EmptyResult", "RES-07"),
        "prompts/list" => ("ListPromptsResult", "PROMPT-02"),
        "prompts/get" => ("GetPromptResult", "PROMPT-03"),
        "completion/complete" => ("CompleteResult", "COMP-02"),
        "logging/setLevel" => ("EmptyResult", "LOG-02"),
        "server/discover" => ("DiscoverResult", "MOD-01"),
        "subscriptions/listen" => ("SubscriptionsListenResult", "MOD-13"),
        _ => return None,
    })
}

fn notification_requirement(method: &str) -> &'static str {
    match method {
        "notifications/message" => "LOG-04",
        "notifications/progress" => "PROG-01",
        "notifications/resources/updated" => "RES-07",
        _ => "RPC-01",
    }
}

const MAX_ERRORS: usize = 3;

fn run(
    schema: &RevisionSchema,
    pointer_in_defs: &str,
    instance: &Value,
    at: &str,
    what: String,
    requirement: &'static str,
    out: &mut Vec<Problem>,
) {
    let Some(v) = schema.validator(pointer_in_defs) else {
        return;
    };
    let problems: Vec<String> = v
        .iter_errors(instance)
        .take(MAX_ERRORS)
        .map(|e| {
            let path = e.instance_path().to_string();
            format!("at {at}{path}: {e}")
        })
        .collect();
    if !problems.is_empty() {
        out.push((
            requirement,
            format!("{what} breaks the schema: {}", problems.join("; ")),
        ));
    }
}

/// Validates one received message (not a batch array). `answered_method` is the method
/// of the request this message answers, when it is a response to one the harness sent.
/// Every violation carries the message as evidence.
pub fn judge(revision: &str, msg: &Value, answered_method: Option<&str>) -> Vec<Violation> {
    problems(revision, msg, answered_method)
        .into_iter()
        .map(|(requirement, message)| Violation::must(&[requirement], message, msg))
        .collect()
}

/// The definition a result is judged against: the one of the method it answers,
/// unless the result says it is an interim one.
fn result_definition(schema: &RevisionSchema, def: &'static str, result: &Value) -> &'static str {
    // A task-augmented call answers with CreateTaskResult; the harness sends none,
    // but a result that says it is one is judged as one.
    if def == "CallToolResult" && result.get("task").is_some() && schema.has_def("CreateTaskResult")
    {
        "CreateTaskResult"
    } else if result.get("resultType").and_then(Value::as_str) == Some("input_required")
        && schema.has_def("InputRequiredResult")
    {
        // 2026-07-28 multi round-trip: an interim result asking for client input.
        "InputRequiredResult"
    } else {
        def
    }
}

fn problems(revision: &str, msg: &Value, answered_method: Option<&str>) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(schema) = revision_schema(revision) else {
        return out;
    };
    let Some(obj) = msg.as_object() else {
        return out;
    };
    if let Some(method) = obj.get("method").and_then(Value::as_str) {
        if let Some(def) = schema.by_method.get(method) {
            let kind = if obj.contains_key("id") {
                "request"
            } else {
                "notification"
            };
            run(
                schema,
                def,
                msg,
                "",
                format!("{revision} {def} ({kind} `{method}`)"),
                notification_requirement(method),
                &mut out,
            );
        }
        return out;
    }
    if let Some(result) = obj.get("result").filter(|_| !obj.contains_key("error")) {
        let Some((def, req)) = answered_method.and_then(result_type) else {
            return out;
        };
        let def = result_definition(schema, def, result);
        if schema.has_def(def) {
            let method = answered_method.unwrap_or_default();
            run(
                schema,
                def,
                result,
                "/result",
                format!("{revision} {def} (result of `{method}`)"),
                req,
                &mut out,
            );
        }
        return out;
    }
    if let Some(error) = obj.get("error").filter(|_| !obj.contains_key("result")) {
        // The id is judged by JSON-RPC rules (null is allowed there; see schemas/README.md).
        let pointer = if schema.has_def("Error") {
            "Error".to_string()
        } else {
            "JSONRPCError/properties/error".to_string()
        };
        run(
            schema,
            &pointer,
            error,
            "/error",
            format!("{revision} error object"),
            "RPC-03",
            &mut out,
        );
    }
    out
}

/// Every revision whose schema is bundled.
pub fn bundled_revisions() -> Vec<&'static str> {
    ALL_REVISIONS
        .iter()
        .copied()
        .filter(|r| SOURCES.iter().any(|(s, _)| s == r))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_bundled_schema_compiles_and_knows_its_notifications() {
        for rev in bundled_revisions() {
            let s = revision_schema(rev).expect("compiles");
            assert!(
                s.by_method.contains_key("notifications/progress"),
                "{rev} lacks progress"
            );
            assert!(s.validator("CallToolResult").is_some(), "{rev}");
        }
        assert_eq!(bundled_revisions().len(), 5);
    }

    #[test]
    fn results_are_judged_by_the_method_they_answer() {
        let good = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": [
            {"name": "a", "inputSchema": {"type": "object"}}]}});
        // 2026-07-28 results also need resultType and cache hints (MOD-06, MOD-15).
        for rev in crate::revision::SESSION_REVISIONS {
            assert!(judge(rev, &good, Some("tools/list")).is_empty(), "{rev}");
        }
        assert!(!judge("2026-07-28", &good, Some("tools/list")).is_empty());
        let bad = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": [
            {"name": "a", "inputSchema": {"type": "string"}}]}});
        let v = judge("2025-11-25", &bad, Some("tools/list"));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].requirements, vec!["TOOL-03"]);
        assert!(
            v[0].message.contains("/result/tools/0/inputSchema/type"),
            "{v:?}"
        );
        // Unknown method: nothing to validate against.
        assert!(judge("2025-11-25", &bad, None).is_empty());
    }

    #[test]
    fn notifications_and_errors_are_validated() {
        let n = json!({"jsonrpc": "2.0", "method": "notifications/message",
            "params": {"level": "loud", "data": 1}});
        let v = judge("2024-11-05", &n, None);
        assert_eq!(v[0].requirements, vec!["LOG-04"]);
        let e = json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "x"}});
        for rev in bundled_revisions() {
            assert!(judge(rev, &e, None).is_empty(), "{rev}");
        }
        let e = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 1.5, "message": "x"}});
        assert_eq!(judge("2025-06-18", &e, None).len(), 1);
    }
}
