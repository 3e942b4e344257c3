//! Answers the specification allows must satisfy the matchers of the cases that judge
//! them, and answers it forbids must not. Each row names a case file, the JSON pointer
//! of one matcher inside it, and an answer; the matcher is taken from the bundled case
//! file itself, so a case that narrows it again fails here.

use std::path::PathBuf;

use libtest_mimic::Trial;
use mcp_conform::check::matcher::{check, Matcher, Vars};
use serde_json::{json, Value};

pub fn trials() -> Vec<Trial> {
    tests![
        legal_answers_pass_and_illegal_ones_do_not,
        a_ping_before_initialized_is_not_judged,
        one_server_request_is_not_an_id_reuse,
    ]
}

fn case_doc(rel: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("cases")
        .join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn matcher(rel: &str, pointer: &str) -> Value {
    case_doc(rel)
        .pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("{rel} has no matcher at {pointer}"))
}

fn matches(rel: &str, pointer: &str, answer: &Value) -> bool {
    check(&parsed(matcher(rel, pointer)), Some(answer), &Vars::new()).is_empty()
}

/// (case file, pointer of the matcher, a legal answer, an answer that breaks the rule)
fn rows() -> Vec<(&'static str, &'static str, Value, Value)> {
    vec![
        (
            // Schema: at least one of inputRequests and requestState; an empty map
            // beside a requestState is allowed.
            "modern/input-required-shape.yaml",
            "/steps/2/expect/match",
            json!({"result": {"resultType": "input_required", "requestState": "opaque", "inputRequests": {}}}),
            json!({"result": {"resultType": "input_required", "inputRequests": {"a": {"method": "elicitation/create", "params": {}}}}}),
        ),
        (
            // The acknowledgement reports the agreed subset; a type set to false is
            // not agreed to, and no keyword says it must be left out instead.
            "modern/subscriptions-acknowledged.yaml",
            "/steps/4/expect/match",
            json!({"method": "notifications/subscriptions/acknowledged", "params": {
                "_meta": {"io.modelcontextprotocol/subscriptionId": "listen-1"},
                "notifications": {"toolsListChanged": true, "promptsListChanged": false}}}),
            json!({"method": "notifications/subscriptions/acknowledged", "params": {
                "_meta": {"io.modelcontextprotocol/subscriptionId": "listen-1"},
                "notifications": {"toolsListChanged": true, "resourceSubscriptions": ["file:///x"]}}}),
        ),
        (
            // A listed resource may fail to read (-32603, -32002): no MIME type to judge.
            "resources/mime-types.yaml",
            "/steps/2/for_each/steps/1/expect/match",
            json!({"id": "mime-0", "error": {"code": -32603, "message": "backend unavailable"}}),
            json!({"id": "mime-0", "result": {"contents": [{"uri": "a:b", "text": "x", "mimeType": "plain text"}]}}),
        ),
        (
            // MCP-Protocol-Version names a version the body does not (-32020) and that a
            // modern-only server does not speak (-32022): either refusal is due.
            "modern/http-header-mismatch.yaml",
            "/steps/7/expect_http/match",
            json!({"status": 400, "body": "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32022,\"message\":\"Unsupported protocol version\",\"data\":{\"supported\":[\"2026-07-28\"],\"requested\":\"2025-11-25\"}}}"}),
            json!({"status": 200, "body": "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"tools\":[]}}"}),
        ),
        (
            // A body without its version under an MCP-Protocol-Version header: the
            // missing field (-32602) or the header mismatch (-32020), both with 400.
            "modern/http-error-status.yaml",
            "/steps/5/expect_http/match",
            json!({"status": 400, "body": "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32020,\"message\":\"Header mismatch\"}}"}),
            json!({"status": 200, "body": "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32602,\"message\":\"Missing _meta\"}}"}),
        ),
        (
            // params that are not structured make an Invalid Request, one of JSON-RPC's
            // examples of an error in detecting the id: a null id is allowed (the Python
            // SDK answers so); a result is not.
            "jsonrpc/params-not-object.yaml",
            "/steps/1/expect/match",
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32602, "message": "Invalid request parameters"}}),
            json!({"jsonrpc": "2.0", "id": 8, "result": {}}),
        ),
        (
            "modern/params-not-object.yaml",
            "/steps/1/expect/match",
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid request"}}),
            json!({"jsonrpc": "2.0", "id": 8, "error": {"code": -32601, "message": "Method not found"}}),
        ),
    ]
}

fn legal_answers_pass_and_illegal_ones_do_not() {
    for (case, pointer, legal, illegal) in rows() {
        assert!(
            matches(case, pointer, &legal),
            "{case} {pointer} rejects a legal answer: {legal}"
        );
        assert!(
            !matches(case, pointer, &illegal),
            "{case} {pointer} accepts an answer that breaks the rule: {illegal}"
        );
    }
}

/// A ping before notifications/initialized is allowed (lifecycle, every session-era
/// revision: "other than pings and logging"); a roots/list is not. The silence step
/// judges only what its matcher matches.
fn a_ping_before_initialized_is_not_judged() {
    let case = "lifecycle/no-requests-before-initialized.yaml";
    let pointer = "/steps/0/expect_silence/match";
    let ping = json!({"jsonrpc": "2.0", "id": 0, "method": "ping"});
    let roots = json!({"jsonrpc": "2.0", "id": 1, "method": "roots/list"});
    assert!(!matches(case, pointer, &ping), "a ping breaks the silence");
    assert!(matches(case, pointer, &roots), "a roots/list goes unjudged");
}

/// A server may ask once and reuse the answer: a single request is not judged for id
/// reuse (the case skips), and the id-type check still passes it.
fn one_server_request_is_not_an_id_reuse() {
    let case = "lifecycle/server-request-ids.yaml";
    let one = json!([{"jsonrpc": "2.0", "id": 0, "method": "roots/list"}]);
    assert!(matches(case, "/steps/7/check/match", &one));
    assert!(
        !matches(case, "/steps/8/skip_unless/match", &one),
        "one request must lead to the skip"
    );
    let reused = json!([
        {"jsonrpc": "2.0", "id": 3, "method": "roots/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "roots/list"}
    ]);
    assert!(matches(case, "/steps/8/skip_unless/match", &reused));
    assert!(!matches(case, "/steps/9/check/match", &reused));
}

fn parsed(m: Value) -> Matcher {
    Matcher::parse(m).expect("the case's matcher parses")
}
