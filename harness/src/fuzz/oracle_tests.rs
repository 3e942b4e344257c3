//! Unit tests of the oracle's verdict table.

use serde_json::json;

use super::*;
use crate::outcome::Severity;

fn obs(reply: Reply, ping_ok: Option<bool>) -> Observation {
    Observation {
        reply,
        wire: Vec::new(),
        ping_ok,
    }
}

fn ok(result: Value) -> Reply {
    Reply::Response(json!({"jsonrpc": "2.0", "id": 1, "result": result}))
}

fn err(code: i64) -> Reply {
    Reply::Response(json!({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": "m"}}))
}

fn rule(
    valid: Option<bool>,
    schema: Option<&jsonschema::Validator>,
    o: &Observation,
) -> Option<Rule> {
    let ctx = Context {
        input_valid: valid,
        output_schema: schema,
        arguments_not_object: false,
        tool_08: true,
        stateless: false,
        envelope: None,
    };
    judge(&ctx, o).map(|b| b.rule)
}

#[test]
fn verdict_table() {
    let text = json!({"content": [{"type": "text", "text": "x"}]});
    let tool_err = json!({"content": [{"type": "text", "text": "bad"}], "isError": true});
    let v = Some(true);
    let i = Some(false);
    assert_eq!(rule(v, None, &obs(ok(text.clone()), None)), None);
    assert_eq!(rule(i, None, &obs(ok(tool_err.clone()), None)), None);
    assert_eq!(rule(i, None, &obs(err(INVALID_PARAMS), None)), None);
    // A tool may refuse input its schema allows (a file not found): normal behaviour.
    assert_eq!(rule(v, None, &obs(ok(tool_err.clone()), None)), None);
    assert_eq!(
        rule(v, None, &obs(err(INTERNAL_ERROR), None)),
        Some(Rule::ProtocolErrorOnValid)
    );
    assert_eq!(
        rule(v, None, &obs(err(INVALID_PARAMS), None)),
        Some(Rule::ProtocolErrorOnValid)
    );
    assert_eq!(
        rule(v, None, &obs(err(-32000), None)),
        Some(Rule::OtherErrorOnValid)
    );
    assert_eq!(
        rule(i, None, &obs(err(INTERNAL_ERROR), None)),
        Some(Rule::WrongCodeOnInvalid)
    );
    assert_eq!(
        rule(i, None, &obs(ok(text.clone()), None)),
        Some(Rule::SuccessOnInvalid)
    );
    assert_eq!(rule(None, None, &obs(ok(text.clone()), None)), None);
    assert_eq!(rule(None, None, &obs(err(INTERNAL_ERROR), None)), None);
    assert_eq!(
        rule(v, None, &obs(Reply::Closed("exit".into()), Some(false))),
        Some(Rule::Crash)
    );
    assert_eq!(
        rule(
            v,
            None,
            &obs(Reply::Timeout { progressed: false }, Some(false))
        ),
        Some(Rule::Hang)
    );
    // A valid input may run longer than the timeout: cancelled and noted, not judged.
    assert_eq!(
        rule(
            v,
            None,
            &obs(Reply::Timeout { progressed: false }, Some(true))
        ),
        None
    );
    assert_eq!(
        rule(
            i,
            None,
            &obs(Reply::Timeout { progressed: false }, Some(true))
        ),
        Some(Rule::Unanswered)
    );
    assert_eq!(
        rule(
            v,
            None,
            &obs(Reply::Timeout { progressed: true }, Some(true))
        ),
        None
    );
    assert_eq!(
        rule(v, None, &obs(ok(text.clone()), Some(false))),
        Some(Rule::StopsAnsweringPing)
    );
    assert_eq!(
        rule(v, None, &obs(ok(json!({"x": 1})), None)),
        Some(Rule::BadResultShape)
    );
    let mut malformed = obs(ok(text), None);
    malformed
        .wire
        .push((vec!["RPC-01".into()], "no jsonrpc".into()));
    assert_eq!(rule(v, None, &malformed), Some(Rule::MalformedResponse));
}

#[test]
fn output_schema_is_checked_on_every_success() {
    let schema = jsonschema::validator_for(&json!({
        "type": "object", "properties": {"sum": {"type": "number"}}, "required": ["sum"]
    }))
    .expect("compiles");
    let good = json!({"content": [], "structuredContent": {"sum": 3}});
    let bad = json!({"content": [], "structuredContent": {"sum": "3"}});
    let missing = json!({"content": []});
    let tool_err = json!({"content": [], "isError": true});
    for valid in [Some(true), Some(false)] {
        assert_eq!(
            rule(valid, Some(&schema), &obs(ok(bad.clone()), None)),
            Some(Rule::OutputSchema)
        );
        assert_eq!(
            rule(valid, Some(&schema), &obs(ok(missing.clone()), None)),
            Some(Rule::OutputSchema)
        );
    }
    assert_eq!(rule(Some(true), Some(&schema), &obs(ok(good), None)), None);
    assert_eq!(
        rule(Some(false), Some(&schema), &obs(ok(tool_err), None)),
        None
    );
}

#[test]
fn severities_follow_the_keywords() {
    for r in [
        Rule::Crash,
        Rule::Hang,
        Rule::Unanswered,
        Rule::OutputSchema,
    ] {
        assert_eq!(r.severity(), Severity::Must, "{}", r.label());
    }
    for r in [Rule::ProtocolErrorOnValid, Rule::SuccessOnInvalid] {
        assert_eq!(r.severity(), Severity::Should, "{}", r.label());
    }
}

#[test]
fn non_object_arguments_need_invalid_params() {
    let judge_with = |tool_08: bool, reply: Reply| {
        let ctx = Context {
            input_valid: Some(false),
            output_schema: None,
            arguments_not_object: true,
            tool_08,
            stateless: false,
            envelope: None,
        };
        judge(&ctx, &obs(reply, None)).map(|b| (b.rule, b.severity()))
    };
    let tool_err = json!({"content": [], "isError": true});
    assert_eq!(judge_with(true, err(INVALID_PARAMS)), None);
    assert_eq!(
        judge_with(true, err(INTERNAL_ERROR)),
        Some((Rule::ArgumentsNotObject, Severity::Must))
    );
    assert_eq!(
        judge_with(true, ok(tool_err.clone())),
        Some((Rule::ArgumentsNotObject, Severity::Must))
    );
    assert_eq!(
        judge_with(false, err(INTERNAL_ERROR)),
        Some((Rule::WrongCodeOnInvalid, Severity::Should))
    );
    assert_eq!(
        judge_with(false, ok(tool_err)),
        Some((Rule::SuccessOnInvalid, Severity::Should))
    );
}

#[test]
fn an_input_required_result_is_not_judged_as_a_tool_result() {
    let asks = json!({"resultType": "input_required",
        "inputRequests": {"roots": {"method": "roots/list", "params": {}}}});
    assert_eq!(rule(Some(true), None, &obs(ok(asks.clone()), None)), None);
    assert_eq!(rule(Some(false), None, &obs(ok(asks), None)), None);
    let bare = json!({"resultType": "complete"});
    assert_eq!(
        rule(Some(true), None, &obs(ok(bare), None)),
        Some(Rule::BadResultShape)
    );
}

#[test]
fn the_stateless_revision_names_server_discover_and_rpc_02() {
    let judge_stateless = |reply: Reply, alive: Option<bool>| {
        let ctx = Context {
            input_valid: Some(true),
            output_schema: None,
            arguments_not_object: false,
            tool_08: true,
            stateless: true,
            envelope: None,
        };
        judge(&ctx, &obs(reply, alive))
    };
    let crash = judge_stateless(Reply::Closed("exit".into()), None);
    assert_eq!(crash.as_ref().map(|b| b.rule), Some(Rule::Crash));
    assert_eq!(
        crash.map(|b| b.requirements),
        Some(vec!["RPC-02".to_string()])
    );
    let hang = judge_stateless(Reply::Timeout { progressed: false }, Some(false));
    assert_eq!(hang.as_ref().map(|b| b.rule), Some(Rule::Hang));
    assert!(hang.is_some_and(|b| b.message.contains("server/discover")));
}

#[test]
fn header_mismatch_refuses_invalid_inputs_only_at_the_stateless_revision() {
    let judge_at = |stateless: bool, valid: Option<bool>| {
        let ctx = Context {
            input_valid: valid,
            output_schema: None,
            arguments_not_object: false,
            tool_08: true,
            stateless,
            envelope: None,
        };
        judge(&ctx, &obs(err(HEADER_MISMATCH), None)).map(|b| b.rule)
    };
    // 2026-07-28: an invalid value may be one no Mcp-Param header can carry.
    assert_eq!(judge_at(true, Some(false)), None);
    // A valid input is mirrored correctly, so -32020 is the server's mistake.
    assert_eq!(judge_at(true, Some(true)), Some(Rule::OtherErrorOnValid));
    // In the session era -32020 is just another code.
    assert_eq!(judge_at(false, Some(false)), Some(Rule::WrongCodeOnInvalid));
}

#[test]
fn an_http_refusal_is_named_as_such_not_as_a_timeout() {
    let o = obs(Reply::Refused("answered 415".into()), None);
    let ctx = Context {
        input_valid: Some(false),
        output_schema: None,
        arguments_not_object: false,
        tool_08: true,
        stateless: true,
        envelope: None,
    };
    let b = judge(&ctx, &o).expect("a refusal is a finding");
    assert_eq!(b.rule, Rule::RefusedWithoutAnswer);
    assert_eq!(b.rule.severity(), Severity::Should);
    assert!(b.message.contains("answered 415"), "{}", b.message);
}

#[test]
fn a_valid_call_that_outlives_the_timeout_is_noted_not_judged() {
    let ctx = |valid: Option<bool>| Context {
        input_valid: valid,
        output_schema: None,
        arguments_not_object: false,
        tool_08: true,
        stateless: false,
        envelope: None,
    };
    let slow = obs(Reply::Timeout { progressed: false }, Some(true));
    for valid in [Some(true), None] {
        assert!(outlived_timeout(&ctx(valid), &slow));
        assert_eq!(judge(&ctx(valid), &slow), None);
    }
    // Invalid input left unanswered is a finding, and so is a server that stopped
    // answering ping: neither is a note.
    assert!(!outlived_timeout(&ctx(Some(false)), &slow));
    let dead = obs(Reply::Timeout { progressed: false }, Some(false));
    assert!(!outlived_timeout(&ctx(Some(true)), &dead));
    assert_eq!(
        judge(&ctx(Some(true)), &dead).map(|b| b.rule),
        Some(Rule::Hang)
    );
}

fn envelope_ctx(answer_due: bool, breaks_call_schema: bool, tool_08: bool) -> Context<'static> {
    Context {
        input_valid: None,
        output_schema: None,
        arguments_not_object: false,
        tool_08,
        stateless: false,
        envelope: Some(EnvelopeFacts {
            label: "`arguments` omitted".into(),
            due: answer_due.then(|| "no tool runs for it".to_string()),
            breaks_call_schema,
        }),
    }
}

#[test]
fn envelope_inputs_need_an_answer_in_time_and_any_error_will_do() {
    let silent = obs(Reply::Timeout { progressed: false }, Some(true));
    // A request refused at once (or with arguments the schema refuses) must be answered.
    let due = envelope_ctx(true, false, true);
    let b = judge(&due, &silent).expect("unanswered");
    assert_eq!(
        (b.rule, b.requirements.clone()),
        (Rule::Unanswered, vec!["RPC-02".to_string()])
    );
    assert!(b.message.contains("`arguments` omitted"), "{}", b.message);
    assert!(!outlived_timeout(&due, &silent));
    // A legal request whose tool runs long is noted, not judged.
    let legal = envelope_ctx(false, false, true);
    assert_eq!(judge(&legal, &silent), None);
    assert!(outlived_timeout(&legal, &silent));
    // Any JSON-RPC error answers a request that keeps CallToolRequest's shape.
    for code in [-32600, INVALID_PARAMS, INTERNAL_ERROR, -32000] {
        assert_eq!(judge(&due, &obs(err(code), Some(true))), None);
    }
    // A result is judged for its shape only.
    let text = json!({"content": [{"type": "text", "text": "x"}]});
    assert_eq!(judge(&due, &obs(ok(text.clone()), Some(true))), None);
    assert_eq!(
        judge(&due, &obs(ok(json!({})), Some(true))).map(|b| b.rule),
        Some(Rule::BadResultShape)
    );
    // A request failing CallToolRequest wants -32602 from 2025-11-25 (TOOL-08) only.
    let broken = envelope_ctx(true, true, true);
    assert_eq!(judge(&broken, &obs(err(INVALID_PARAMS), Some(true))), None);
    for reply in [err(-32600), ok(text.clone())] {
        let b = judge(&broken, &obs(reply, Some(true))).expect("TOOL-08");
        assert_eq!(b.rule, Rule::MalformedCallAccepted);
        assert_eq!(b.requirements, vec!["TOOL-08".to_string()]);
    }
    let mut stateless = envelope_ctx(true, true, true);
    stateless.stateless = true;
    assert_eq!(
        judge(&stateless, &obs(err(HEADER_MISMATCH), Some(true))),
        None
    );
    assert!(judge(&broken, &obs(err(HEADER_MISMATCH), Some(true))).is_some());
    let older = envelope_ctx(true, true, false);
    assert_eq!(judge(&older, &obs(err(-32600), Some(true))), None);
    // Crashes and dead servers are judged as for every input.
    assert_eq!(
        judge(&legal, &obs(Reply::Closed("exit".into()), None)).map(|b| b.rule),
        Some(Rule::Crash)
    );
}
