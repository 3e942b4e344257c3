//! The fuzzing oracle: what one `tools/call` observation says about the server.
//!
//! Pure functions over what was observed (the reply, wire violations, whether the
//! server still answered `ping`), so every verdict is unit-testable without a server.
//! Severity follows REQUIREMENTS.md: a broken MUST fails, a broken SHOULD warns.

use serde_json::Value;

use crate::outcome::Severity;

/// JSON-RPC "invalid params".
pub const INVALID_PARAMS: i64 = -32602;
/// 2026-07-28 `HeaderMismatch`.
pub const HEADER_MISMATCH: i64 = -32020;
/// JSON-RPC "internal error".
pub const INTERNAL_ERROR: i64 = -32603;

/// What came back for one call.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The JSON-RPC response with the call's id.
    Response(Value),
    /// Nothing within the timeout; `progressed` when the server sent progress
    /// notifications for this call (it is working, not hung).
    Timeout { progressed: bool },
    /// The connection ended (process exit, stdout closed, stdin unwritable).
    Closed(String),
    /// Over HTTP the POST was refused (a 4xx or 5xx) without a JSON-RPC response: the
    /// status and body.
    Refused(String),
}

/// Everything the oracle looks at for one call.
#[derive(Debug, Clone)]
pub struct Observation {
    pub reply: Reply,
    /// Envelope violations (check/wire.rs) seen in this call's response.
    pub wire: Vec<(Vec<String>, String)>,
    /// Whether `ping` was answered after the call (`None`: not asked).
    pub ping_ok: Option<bool>,
}

/// A rule of the oracle; shrinking keeps the rule fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The server process exited or closed the connection.
    Crash,
    /// No answer and `ping` unanswered either.
    Hang,
    /// No answer to an invalid input, while `ping` still works (validation is quick).
    Unanswered,
    /// Non-object `arguments` not answered with a -32602 error (25-11+).
    ArgumentsNotObject,
    /// Envelope family: a request failing `CallToolRequest` (`name` missing or not a
    /// string, `params` missing or not an object, `arguments` not an object) not
    /// answered with a -32602 error (25-11+).
    MalformedCallAccepted,
    /// The call was answered but `ping` no longer is.
    StopsAnsweringPing,
    /// The response breaks the JSON-RPC envelope.
    MalformedResponse,
    /// A success result without a `content` array.
    BadResultShape,
    /// `structuredContent` missing or not conforming to `outputSchema`.
    OutputSchema,
    /// -32602 / -32603 for a valid input.
    ProtocolErrorOnValid,
    /// Another JSON-RPC error code for a valid input.
    OtherErrorOnValid,
    /// A plain success for an input that breaks the schema.
    SuccessOnInvalid,
    /// A JSON-RPC error other than -32602 for an invalid input.
    WrongCodeOnInvalid,
    /// Over HTTP the POST was refused without a JSON-RPC response.
    RefusedWithoutAnswer,
}

impl Rule {
    pub fn severity(self) -> Severity {
        match self {
            Rule::Crash
            | Rule::Hang
            | Rule::Unanswered
            | Rule::StopsAnsweringPing
            | Rule::MalformedResponse
            | Rule::BadResultShape
            | Rule::ArgumentsNotObject
            | Rule::MalformedCallAccepted
            | Rule::OutputSchema => Severity::Must,
            _ => Severity::Should,
        }
    }

    /// Stable label (used in reports and tests).
    pub fn label(self) -> &'static str {
        match self {
            Rule::Crash => "crash",
            Rule::Hang => "hang",
            Rule::Unanswered => "unanswered",
            Rule::ArgumentsNotObject => "arguments-not-object-accepted",
            Rule::MalformedCallAccepted => "malformed-call-not-refused",
            Rule::StopsAnsweringPing => "stops-answering-ping",
            Rule::MalformedResponse => "malformed-response",
            Rule::BadResultShape => "bad-result-shape",
            Rule::OutputSchema => "output-schema",
            Rule::ProtocolErrorOnValid => "protocol-error-on-valid-input",
            Rule::OtherErrorOnValid => "other-error-on-valid-input",
            Rule::SuccessOnInvalid => "success-on-invalid-input",
            Rule::WrongCodeOnInvalid => "wrong-code-on-invalid-input",
            Rule::RefusedWithoutAnswer => "refused-without-answer",
        }
    }

    /// True when judging the rule needs a `ping` after the call.
    pub fn needs_ping(self) -> bool {
        matches!(
            self,
            Rule::Hang | Rule::Unanswered | Rule::StopsAnsweringPing
        )
    }

    /// True when the rule leaves the server unusable (restart before the next call).
    pub fn kills_server(self) -> bool {
        matches!(self, Rule::Crash | Rule::Hang | Rule::StopsAnsweringPing)
    }
}

/// One broken rule with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    pub rule: Rule,
    pub requirements: Vec<String>,
    pub message: String,
}

impl Breach {
    fn new(rule: Rule, reqs: &[&str], message: String) -> Breach {
        Breach {
            rule,
            requirements: reqs.iter().map(|r| r.to_string()).collect(),
            message,
        }
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }
}

/// What the oracle knows about the input and the tool.
pub struct Context<'a> {
    /// Whether the input validates against the tool's `inputSchema` (`None`: unknown,
    /// so only the rules that hold for every input are judged).
    pub input_valid: Option<bool>,
    /// Compiled `outputSchema`, when the tool declares one.
    pub output_schema: Option<&'a jsonschema::Validator>,
    /// The `arguments` sent are not a JSON object (they break `CallToolRequest`).
    pub arguments_not_object: bool,
    /// The session's revision has TOOL-08 (2025-11-25 and later).
    pub tool_08: bool,
    /// The revision is the stateless one (2026-07-28): the liveness check is
    /// `server/discover`, as `ping` no longer exists, and a dead server breaks RPC-02.
    pub stateless: bool,
    /// For the envelope family: what the request's envelope is like.
    pub envelope: Option<EnvelopeFacts>,
}

/// What the oracle knows about an envelope input (see `fuzz::envelope`).
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeFacts {
    /// The edits, described.
    pub label: String,
    /// Why an answer is due within the timeout, when it is: no tool runs for the
    /// request (refused at once), its arguments break the inputSchema (validation is
    /// quick), or the same call with `arguments: {}` was answered in time.
    pub due: Option<String>,
    /// The request fails `CallToolRequest` as TOOL-08 names it: -32602 is due (25-11+).
    pub breaks_call_schema: bool,
}

impl Context<'_> {
    /// An answer is due within the timeout: the input breaks the inputSchema
    /// (validation is quick) or its envelope is one a server refuses at once.
    pub fn answer_due(&self) -> bool {
        self.input_valid == Some(false) || self.envelope.as_ref().is_some_and(|e| e.due.is_some())
    }
}

/// The first text of a result's content, shortened, for messages.
pub fn result_text(result: &Value) -> String {
    let text = result
        .get("content")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find_map(|b| b.get("text").and_then(Value::as_str)))
        .unwrap_or("(no text content)");
    shorten(text, 200)
}

/// Shortens to `max` characters, whitespace runs (newlines too) folded to one space.
pub fn shorten(text: &str, max: usize) -> String {
    let text = &text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// True when a call got no answer within the timeout while the server still answered
/// its liveness check, for an input not known to break the schema: not a finding (the
/// call was cancelled), but worth a note.
pub fn outlived_timeout(ctx: &Context<'_>, obs: &Observation) -> bool {
    obs.reply == Reply::Timeout { progressed: false }
        && obs.ping_ok == Some(true)
        && !ctx.answer_due()
}

/// The names of the liveness check in this era: the request and its requirement.
fn alive_check(ctx: &Context<'_>) -> (&'static str, &'static str) {
    if ctx.stateless {
        ("server/discover", "RPC-02")
    } else {
        ("ping", "PING-01")
    }
}

/// Judges one observation; `None` when every rule holds (or nothing can be judged,
/// as for a call that was still reporting progress at the timeout).
pub fn judge(ctx: &Context<'_>, obs: &Observation) -> Option<Breach> {
    let response = match response_of(ctx, obs) {
        Ok(response) => response,
        Err(verdict) => return verdict,
    };
    if let Some((reqs, message)) = obs.wire.first() {
        let reqs: Vec<&str> = reqs.iter().map(String::as_str).collect();
        return Some(Breach::new(
            Rule::MalformedResponse,
            &reqs,
            format!("malformed response: {message}"),
        ));
    }
    if obs.ping_ok == Some(false) {
        let (alive, alive_req) = alive_check(ctx);
        return Some(Breach::new(
            Rule::StopsAnsweringPing,
            &[alive_req],
            format!("the call was answered, but afterwards {alive} was not"),
        ));
    }
    if let Some(env) = &ctx.envelope {
        return judge_envelope(ctx, env, response);
    }
    if ctx.arguments_not_object {
        return judge_non_object_arguments(ctx, response);
    }
    if let Some(err) = response.get("error") {
        return judge_error(ctx, err);
    }
    // Neither result nor error: a wire violation, judged above.
    judge_result(ctx, response.get("result")?)
}

/// The response the call got, or (as `Err`) the verdict on a call without one.
fn response_of<'o>(ctx: &Context<'_>, obs: &'o Observation) -> Result<&'o Value, Option<Breach>> {
    let ping_failed = obs.ping_ok == Some(false);
    let (alive, alive_req) = alive_check(ctx);
    let invalid_note = if ctx.input_valid != Some(false) {
        ""
    } else {
        " (the input breaks the inputSchema: servers must validate tool inputs, TOOL-15)"
    };
    let breach = match &obs.reply {
        Reply::Response(r) => return Ok(r),
        Reply::Closed(why) => {
            let mut reqs = vec![alive_req];
            if ctx.input_valid == Some(false) {
                reqs.push("TOOL-15");
            }
            Breach::new(
                Rule::Crash,
                &reqs,
                format!("the server died during the call ({why}){invalid_note}"),
            )
        }
        Reply::Timeout { progressed: true } => return Err(None),
        Reply::Refused(why) => Breach::new(
            Rule::RefusedWithoutAnswer,
            &["HTTP-08"],
            format!("no JSON-RPC answer: {why}{invalid_note}"),
        ),
        Reply::Timeout { progressed: false } if ping_failed => {
            let reqs: &[&str] = if ctx.stateless {
                &["RPC-02"]
            } else {
                &["RPC-02", "PING-01"]
            };
            Breach::new(
                Rule::Hang,
                reqs,
                format!("no answer to the call within the timeout, and {alive} went unanswered too"),
            )
        }
        Reply::Timeout { progressed: false } if ctx.envelope.is_some() && ctx.answer_due() => {
            let (label, due) = ctx
                .envelope
                .as_ref()
                .map(|e| (e.label.as_str(), e.due.as_deref().unwrap_or("")))
                .unwrap_or_default();
            Breach::new(
                Rule::Unanswered,
                &["RPC-02"],
                format!("no answer within the timeout to a tools/call with {label} ({due}; {alive} still answered, no progress reported)"),
            )
        }
        Reply::Timeout { progressed: false } if ctx.input_valid == Some(false) => Breach::new(
            Rule::Unanswered,
            &["RPC-02", "TOOL-15"],
            format!("no answer within the timeout to an input that breaks the inputSchema ({alive} still answered, no progress reported)"),
        ),
        // A schema-valid input may take as long as the tool needs: no rule bounds it.
        // The call was cancelled at the timeout (as the lifecycle page's Timeouts section
        // has the sender do) and the campaign notes it (see [`outlived_timeout`]).
        Reply::Timeout { progressed: false } => return Err(None),
    };
    Err(Some(breach))
}

/// An answer to an envelope input: any JSON-RPC error will do, except where the
/// request fails `CallToolRequest` at a revision with TOOL-08 (-32602 is due, or at
/// 2026-07-28 the header check's -32020); a result
/// must have the shape of a `CallToolResult` (and, for the tool named, conform to its
/// outputSchema). Whether the arguments were valid is not judged here (the valid and
/// invalid families do).
fn judge_envelope(ctx: &Context<'_>, env: &EnvelopeFacts, response: &Value) -> Option<Breach> {
    let code = response.pointer("/error/code").and_then(Value::as_i64);
    // At 2026-07-28 over HTTP the Mcp-Name header cannot mirror a missing or
    // non-string name: the header check may answer first.
    let header_first = ctx.stateless && code == Some(HEADER_MISMATCH);
    if env.breaks_call_schema && ctx.tool_08 && code != Some(INVALID_PARAMS) && !header_first {
        let got = match code {
            Some(c) => format!("JSON-RPC error {c}"),
            None => "a result".to_string(),
        };
        return Some(Breach::new(
            Rule::MalformedCallAccepted,
            &["TOOL-08"],
            format!(
                "a tools/call with {} got {got}, not a -32602 error",
                env.label
            ),
        ));
    }
    if response.get("error").is_some() {
        return None;
    }
    judge_result(ctx, response.get("result")?)
}

/// A call whose `arguments` were not an object must get -32602 (TOOL-08 where the
/// revision states it, else the general rules).
fn judge_non_object_arguments(ctx: &Context<'_>, response: &Value) -> Option<Breach> {
    let code = response.pointer("/error/code").and_then(Value::as_i64);
    if code == Some(INVALID_PARAMS) {
        return None;
    }
    let got = match code {
        Some(c) => format!("JSON-RPC error {c}"),
        None => "a result".to_string(),
    };
    let message = format!("non-object `arguments` got {got}, not a -32602 error");
    Some(if ctx.tool_08 {
        Breach::new(Rule::ArgumentsNotObject, &["TOOL-08"], message)
    } else if code.is_some() {
        Breach::new(Rule::WrongCodeOnInvalid, &["RPC-12"], message)
    } else {
        Breach::new(Rule::SuccessOnInvalid, &["TOOL-09"], message)
    })
}

/// A JSON-RPC error answer to a call.
fn judge_error(ctx: &Context<'_>, err: &Value) -> Option<Breach> {
    let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = err.get("message").and_then(Value::as_str).unwrap_or("");
    let message = shorten(message, 200);
    if ctx.input_valid == Some(true) {
        if code == INVALID_PARAMS || code == INTERNAL_ERROR {
            Some(Breach::new(
                Rule::ProtocolErrorOnValid,
                &["RPC-12"],
                format!("a valid input got JSON-RPC error {code} ({message})"),
            ))
        } else {
            Some(Breach::new(
                Rule::OtherErrorOnValid,
                &["TOOL-09"],
                format!("a valid input got JSON-RPC error {code} ({message}); execution failures belong in an isError result"),
            ))
        }
    } else if code == INVALID_PARAMS || ctx.input_valid.is_none() {
        None
    } else if ctx.stateless && code == HEADER_MISMATCH {
        // A value the schema does not allow may be one no header can mirror (an
        // object where an x-mcp-header string belongs): the header check answers first.
        None
    } else {
        Some(Breach::new(
            Rule::WrongCodeOnInvalid,
            &["RPC-12"],
            format!("an invalid input got JSON-RPC error {code} ({message}), not -32602 or an isError result"),
        ))
    }
}

/// A result answer to a call.
fn judge_result(ctx: &Context<'_>, result: &Value) -> Option<Breach> {
    // 2026-07-28: the server asks the client for input first (the fuzzer gives none);
    // not a tool result, so there is nothing more to judge.
    if result.get("resultType").and_then(Value::as_str) == Some("input_required") {
        return None;
    }
    if !result.get("content").is_some_and(Value::is_array) {
        return Some(Breach::new(
            Rule::BadResultShape,
            &["TOOL-06"],
            "the tools/call result has no `content` array".into(),
        ));
    }
    // `isError: true` is how a tool reports a failure of its own (a file not found, an
    // upstream API error): normal tool behaviour for any input the schema allows, and
    // the answer the spec prefers for an input it does not.
    if result.get("isError") == Some(&Value::Bool(true)) {
        return None;
    }
    if let Some(validator) = ctx.output_schema {
        match result.get("structuredContent") {
            None => {
                return Some(Breach::new(
                    Rule::OutputSchema,
                    &["TOOL-10"],
                    "the tool declares an outputSchema, but the success result has no structuredContent".into(),
                ))
            }
            Some(sc) => {
                let errors: Vec<String> = validator
                    .iter_errors(sc)
                    .take(3)
                    .map(|e| format!("{} at `{}`", e, e.instance_path()))
                    .collect();
                if !errors.is_empty() {
                    return Some(Breach::new(
                        Rule::OutputSchema,
                        &["TOOL-10"],
                        format!(
                            "structuredContent does not conform to the outputSchema: {}",
                            errors.join("; ")
                        ),
                    ));
                }
            }
        }
    }
    if ctx.input_valid == Some(false) {
        return Some(Breach::new(
            Rule::SuccessOnInvalid,
            &["TOOL-09"],
            "an input that breaks the inputSchema got a plain success (expected -32602 or an isError result)".into(),
        ));
    }
    None
}

#[cfg(test)]
#[path = "oracle_tests.rs"]
mod tests;
