//! The protocol rules judged on all traffic of a conversation, whatever the case is
//! about: the envelope and `_meta` keys ([`super::wire`]), each message against its
//! revision's schema ([`super::schema`]), and the rules that depend on what the two
//! sides declared and sent (capability use, server-request modes, cancellation,
//! MOD-12, output that is no message at all).
//!
//! Every function here is pure: it gets the message and a [`Conversation`] (what the
//! client declared and sent, what the server declared, the revision) and returns the
//! violations. Keeping that state is the session's job (`client::session`).

use std::collections::HashMap;

use serde_json::Value;

use super::{schema, wire, Violation};
use crate::outcome::Severity;

/// What the rules know of the conversation when a message arrives.
#[derive(Debug, Clone, Copy)]
pub struct Conversation<'a> {
    /// The revision whose rules apply: the case's, or the one `initialize` negotiated.
    pub revision: Option<&'a str>,
    /// The capabilities the client declared.
    pub client_capabilities: &'a Value,
    /// The capabilities the server declared, once an `initialize` result was seen.
    pub server_capabilities: Option<&'a Value>,
    /// The method of each request the client sent, by id (JSON text, so `1` ≠ `"1"`).
    pub sent_methods: &'a HashMap<String, String>,
    /// The ids of the requests the server sent (JSON text).
    pub server_request_ids: &'a [String],
}

impl Conversation<'_> {
    /// The method of the client request that `msg` answers, if it is a response to one.
    pub fn answered_method(&self, msg: &Value) -> Option<&str> {
        msg.get("id")
            .filter(|_| msg.get("method").is_none())
            .and_then(|id| self.sent_methods.get(&id.to_string()))
            .map(String::as_str)
    }
}

/// The envelope rules for one received value (a message, or a batch answer) and the
/// `_meta` key format (RPC-15, from 2025-06-18); the whole value is the evidence.
pub fn judge_envelope(msg: &Value, revision: Option<&str>) -> Vec<Violation> {
    let mut out = wire::judge(msg);
    out.extend(wire::judge_meta_keys(msg, revision));
    out
}

/// The rules for one received message object (a batch's items one by one): its
/// revision's schema, capability use (LIFE-07), server-request modes (SRVREQ-02) and
/// cancellation (CANC-05).
pub fn judge_message(msg: &Value, conv: &Conversation<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(rev) = conv.revision {
        out.extend(schema::judge(rev, msg, conv.answered_method(msg)));
    }
    if let Some(caps) = conv.server_capabilities {
        if let Some((severity, reqs, message)) = undeclared_capability_use(caps, conv.revision, msg)
        {
            out.push(Violation::at(severity, reqs, message, msg));
        }
    }
    out.extend(judge_request_mode(msg, conv));
    out.extend(judge_cancellation(msg, conv));
    out
}

/// MOD-12: a 2026-07-28 server asks for input with `InputRequiredResult`; a JSON-RPC
/// request to the client breaks the rule (a client of that revision answers none).
pub fn request_to_stateless_client(msg: &Value) -> Violation {
    Violation::must(
        &["MOD-12"],
        "the server sent a JSON-RPC request to the client, which 2026-07-28 forbids (input is asked for with InputRequiredResult)".into(),
        msg,
    )
}

/// Output that is not a JSON-RPC message (`reason` says why; `raw` is what came).
/// STDIO-05 (UTF-8) is stated from 2025-03-26; before, a line that is not UTF-8 is
/// still no JSON text (RFC 8259 §8.1), hence no valid message: STDIO-01/02 on stdio,
/// RPC-01 over HTTP.
pub fn not_a_message(raw: &str, reason: &str, revision: Option<&str>, stdio: bool) -> Violation {
    let utf8_rule = revision.is_none_or(|r| r >= "2025-03-26");
    let requirements: &[&str] = if reason.contains("UTF-8") && utf8_rule {
        &["STDIO-05"]
    } else if stdio {
        &["STDIO-01", "STDIO-02"]
    } else {
        &["RPC-01"]
    };
    Violation::must(
        requirements,
        format!("server output that is not a JSON-RPC message: {reason}"),
        &Value::String(raw.to_string()),
    )
}

/// SRVREQ-02 (from 2025-11-25), for every request the server sends.
fn judge_request_mode(msg: &Value, conv: &Conversation<'_>) -> Option<Violation> {
    if msg.get("id").is_none() || conv.revision.is_none_or(|r| r < "2025-11-25") {
        return None;
    }
    undeclared_request_mode(conv.client_capabilities, msg)
        .map(|p| Violation::must(&["SRVREQ-02"], p, msg))
}

/// CANC-05: the server cancels only requests it sent itself (at 2026-07-28 it may
/// also end a subscription by cancelling the client's `subscriptions/listen`).
fn judge_cancellation(msg: &Value, conv: &Conversation<'_>) -> Option<Violation> {
    if msg.get("id").is_some() && msg.get("method").is_some() {
        return None; // a request, not a cancellation
    }
    if msg.get("method").and_then(Value::as_str) != Some("notifications/cancelled") {
        return None;
    }
    let named = msg.pointer("/params/requestId").map(Value::to_string)?;
    let client_method = conv.sent_methods.get(&named).map(String::as_str);
    let allowed =
        ends_subscription(conv.revision, client_method) || conv.server_request_ids.contains(&named);
    (!allowed).then(|| {
        Violation::must(
            &["CANC-05"],
            format!("server cancelled request {named}, which it never sent"),
            msg,
        )
    })
}

/// MOD-13: at 2026-07-28 the server ends a subscription by cancelling the client's own
/// `subscriptions/listen` request (`client_method`: the method of the client request
/// the cancellation names, if the client sent one with that id).
fn ends_subscription(revision: Option<&str>, client_method: Option<&str>) -> bool {
    revision == Some("2026-07-28") && client_method == Some("subscriptions/listen")
}
/// LIFE-07: a notification for a capability (or sub-flag) the server did not declare,
/// as (severity, requirement ids, message); `None` for any other message. The rule is
/// a MUST from 2025-06-18 and a SHOULD before ("Both parties SHOULD: … Only use
/// capabilities that were successfully negotiated"), except a log message without
/// `logging`, which LOG-01 forbids in every revision.
fn undeclared_capability_use(
    caps: &Value,
    revision: Option<&str>,
    msg: &Value,
) -> Option<(Severity, &'static [&'static str], String)> {
    if msg.get("id").is_some() {
        return None;
    }
    let method = msg.get("method").and_then(Value::as_str)?;
    let (flag, reqs): (&str, &'static [&'static str]) = match method {
        "notifications/tools/list_changed" => ("/tools/listChanged", &["LIFE-07", "TOOL-01"]),
        "notifications/resources/list_changed" => {
            ("/resources/listChanged", &["LIFE-07", "RES-01"])
        }
        "notifications/prompts/list_changed" => ("/prompts/listChanged", &["LIFE-07", "PROMPT-01"]),
        "notifications/resources/updated" => ("/resources/subscribe", &["LIFE-07", "RES-07"]),
        "notifications/message" => ("/logging", &["LIFE-07", "LOG-01"]),
        _ => return None,
    };
    let declared = caps
        .pointer(flag)
        .is_some_and(|v| !v.is_null() && v != &Value::Bool(false));
    if declared {
        return None;
    }
    let cap = flag.trim_start_matches('/').replace('/', ".");
    let (severity, reqs) = match revision {
        Some(r) if r < "2025-06-18" && method != "notifications/message" => {
            (Severity::Should, &["LIFE-07"][..])
        }
        _ => (Severity::Must, reqs),
    };
    Some((
        severity,
        reqs,
        format!("server sent `{method}` but did not declare capability `{cap}`"),
    ))
}

/// SRVREQ-02: an elicitation in a mode the client did not declare, or a sampling
/// request with tools for a client without `sampling.tools`; `None` when neither.
fn undeclared_request_mode(client: &Value, msg: &Value) -> Option<String> {
    match msg.get("method").and_then(Value::as_str) {
        Some("elicitation/create") => {
            let mode = msg
                .pointer("/params/mode")
                .and_then(Value::as_str)
                .unwrap_or("form");
            // An empty `elicitation` object declares form mode (backwards compatible);
            // no `elicitation` at all is SRVREQ-01's business.
            let declared = match client.get("elicitation") {
                Some(Value::Object(m)) if m.is_empty() => mode == "form",
                Some(Value::Object(m)) => m.contains_key(mode),
                _ => true,
            };
            (!declared).then(|| {
                format!("server sent a `{mode}`-mode elicitation/create, a mode the client did not declare")
            })
        }
        Some("sampling/createMessage") => {
            let with_tools = msg.pointer("/params/tools").is_some_and(|t| !t.is_null());
            let declared =
                client.pointer("/sampling/tools").is_some() || client.get("sampling").is_none();
            (with_tools && !declared).then(|| {
                "server sent sampling/createMessage with tools, but the client did not declare sampling.tools".to_string()
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn capability_use_is_a_should_before_2025_06_18_except_log_messages() {
        let caps = json!({"tools": {}, "resources": {"subscribe": false}});
        let note = |method: &str| json!({"jsonrpc": "2.0", "method": method});
        let judged = |rev: &str, method: &str| {
            undeclared_capability_use(&caps, Some(rev), &note(method)).map(|(s, r, _)| (s, r))
        };
        for rev in ["2024-11-05", "2025-03-26"] {
            for method in [
                "notifications/tools/list_changed",
                "notifications/resources/list_changed",
                "notifications/prompts/list_changed",
                "notifications/resources/updated",
            ] {
                assert_eq!(
                    judged(rev, method),
                    Some((Severity::Should, &["LIFE-07"][..])),
                    "{rev} {method}"
                );
            }
            let log = judged(rev, "notifications/message").expect("undeclared logging");
            assert_eq!(log.0, Severity::Must);
            assert!(log.1.contains(&"LOG-01"));
        }
        for rev in ["2025-06-18", "2025-11-25"] {
            let (severity, reqs) =
                judged(rev, "notifications/tools/list_changed").expect("undeclared");
            assert_eq!(severity, Severity::Must);
            assert!(reqs.contains(&"TOOL-01"));
        }
        let declared = json!({"tools": {"listChanged": true}, "logging": {}});
        let list = note("notifications/tools/list_changed");
        assert!(undeclared_capability_use(&declared, Some("2025-11-25"), &list).is_none());
        let log = note("notifications/message");
        assert!(undeclared_capability_use(&declared, Some("2024-11-05"), &log).is_none());
    }

    #[test]
    fn a_subscription_ends_with_the_cancellation_of_its_listen_request_at_2026() {
        assert!(ends_subscription(
            Some("2026-07-28"),
            Some("subscriptions/listen")
        ));
        assert!(!ends_subscription(Some("2026-07-28"), Some("tools/call")));
        assert!(!ends_subscription(Some("2026-07-28"), None));
        assert!(!ends_subscription(
            Some("2025-11-25"),
            Some("subscriptions/listen")
        ));
    }

    #[test]
    fn request_modes_follow_the_declared_capabilities() {
        let req = |method: &str, params: Value| json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let form = req(
            "elicitation/create",
            json!({"message": "m", "requestedSchema": {}}),
        );
        let url = req(
            "elicitation/create",
            json!({"mode": "url", "message": "m", "url": "https://x.invalid", "elicitationId": "e"}),
        );
        let tools = req(
            "sampling/createMessage",
            json!({"messages": [], "maxTokens": 1, "tools": []}),
        );
        let plain = req(
            "sampling/createMessage",
            json!({"messages": [], "maxTokens": 1}),
        );
        let empty = json!({"elicitation": {}, "sampling": {}});
        assert!(
            undeclared_request_mode(&empty, &form).is_none(),
            "{{}} declares form"
        );
        assert!(undeclared_request_mode(&empty, &url).is_some());
        let url_only = json!({"elicitation": {"url": {}}});
        assert!(undeclared_request_mode(&url_only, &form).is_some());
        let both = json!({"elicitation": {"url": {}, "form": {}}});
        assert!(undeclared_request_mode(&both, &url).is_none());
        assert!(undeclared_request_mode(&empty, &tools).is_some());
        assert!(undeclared_request_mode(&empty, &plain).is_none());
        let sampling_tools = json!({"sampling": {"tools": {}}});
        assert!(undeclared_request_mode(&sampling_tools, &tools).is_none());
    }

    #[test]
    fn a_cancellation_is_judged_against_what_each_side_sent() {
        let mut sent = HashMap::new();
        sent.insert("\"listen\"".to_string(), "subscriptions/listen".to_string());
        sent.insert("7".to_string(), "tools/call".to_string());
        let server_ids = vec!["\"s1\"".to_string()];
        let client = json!({});
        let conv = |revision| Conversation {
            revision,
            client_capabilities: &client,
            server_capabilities: None,
            sent_methods: &sent,
            server_request_ids: &server_ids,
        };
        let cancel = |id: Value| json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": id}});
        let judged = |rev, id| judge_message(&cancel(id), &conv(rev));
        assert!(judged(Some("2025-11-25"), json!("s1")).is_empty());
        let v = judged(Some("2025-11-25"), json!(7));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].requirements, vec!["CANC-05"]);
        assert_eq!(v[0].evidence, cancel(json!(7)));
        assert!(judged(Some("2026-07-28"), json!("listen")).is_empty());
        assert_eq!(judged(Some("2025-11-25"), json!("listen")).len(), 1);
    }

    #[test]
    fn output_that_is_no_message_names_the_rule_of_its_transport_and_revision() {
        let reqs =
            |reason, revision, stdio| not_a_message("x", reason, revision, stdio).requirements;
        assert_eq!(
            reqs("output is not valid UTF-8", None, true),
            vec!["STDIO-05"]
        );
        assert_eq!(
            reqs("output is not valid UTF-8", Some("2024-11-05"), true),
            vec!["STDIO-01", "STDIO-02"]
        );
        assert_eq!(
            reqs("line is not JSON", Some("2025-11-25"), false),
            vec!["RPC-01"]
        );
        let v = not_a_message("x", "line is not JSON", None, true);
        assert_eq!(v.evidence, json!("x"));
        assert_eq!(v.severity, Severity::Must);
    }
}
