//! The steps of a case: one variant of [`Step`] per step kind, with its fields.
//!
//! Adding a step kind: a variant here (its doc comment is the schema's description;
//! `MCP_CONFORM_BLESS=1 cargo test -p mcp-conform case_schema` regenerates
//! `schemas/case.schema.json`), its interpreter in one file of `steps/`, and a line in
//! `cases/README.md`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::format::{
    json_object, message, one_key_object, IDENT, JSON_POINTER, REQUIREMENT_ID, VAR_PATH,
};
use crate::check::matcher::Matcher;
use crate::outcome::Severity;

/// One step: an object with exactly one key, the step kind.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[schemars(transform = one_key_object)]
pub enum Step {
    /// Send a JSON-RPC message (or a batch) as one message; `"${name}"` strings are
    /// replaced by variables.
    Send(#[schemars(schema_with = "message")] Value),
    /// Send this text verbatim as one message (a newline is added on stdio).
    SendRaw(String),
    /// Wait for the next message of a kind and judge it.
    Expect(Expect),
    /// Judge that no message of a kind arrives within a time window.
    ExpectSilence(Silence),
    /// Close the server's input (stdin EOF on stdio).
    CloseInput {},
    /// Judge that the server process exits within a time window.
    ExpectExit(ExitExpect),
    /// Wait this many milliseconds (at most 60000).
    SleepMs(#[schemars(range(max = 60000))] u64),
    /// Over Streamable HTTP in the session revisions: open the standalone GET stream, as
    /// a client that wants messages outside any request does, so they can arrive (the
    /// transport follows it when the server closes its connection). A server without
    /// one answers 405, which is noted, not judged. On stdio and legacy SSE, and at
    /// 2026-07-28, nothing happens.
    Listen {},
    /// Send one HTTP request to the server's endpoint (Streamable HTTP only). The
    /// transport's own headers (Accept, Content-Type, MCP-Session-Id once issued,
    /// MCP-Protocol-Version from 2025-06-18; at 2026-07-28 also Mcp-Method, Mcp-Name and
    /// Mcp-Param-* derived from the body) are sent unless overridden in `headers` or
    /// listed in `omit_headers` (a name, or a prefix ending in `*`). JSON-RPC messages in
    /// the answer reach the session like any other, so `expect` steps see them.
    Http(HttpStep),
    /// Judge an HTTP exchange. The matcher applies to {method, url, request_headers
    /// (what the harness sent, lowercase names), status, headers (lowercase names), body
    /// (text), json (the body parsed, null when it is not JSON or is SSE), events:
    /// [{exchange, id, event, data, message (data parsed as JSON, else null), retry}],
    /// first_event, complete, error}; with `exchange: all` to {exchanges: [...], events:
    /// [every SSE event of the session]}. The step waits for the response head; it also
    /// waits (up to within_ms) for the end of the body when the matcher or a capture
    /// looks at `body`, `json`, `events` or `complete`.
    ExpectHttp(ExpectHttp),
    /// Break the SSE stream that carries a request (Streamable HTTP), as a network
    /// failure would. Resume it with an `http` GET carrying `Last-Event-ID`.
    BreakStream(BreakStream),
    /// Cancel a request the way its transport and era prescribe: over Streamable HTTP at
    /// 2026-07-28 the client closes the request's SSE response stream; everywhere else
    /// it sends `notifications/cancelled`.
    Cancel(Cancel),
    /// Call a list method and follow every `nextCursor` to the end (page cap
    /// `max_pages`, default 50; reaching it warns), collecting the items of `key` into
    /// variable `into` (the page count into `<into>_pages`, and each page's result
    /// without its items into `<into>_results`). An error, a missing array, a repeated
    /// cursor or (with `unique_by`) a duplicate item is a finding.
    Paginate(Paginate),
    /// Run `steps` once per element of the array variable `in` (a name/pointer path is
    /// allowed) that matches `where`, at most `max` (default 20) times, with the element
    /// bound to `as` and its position to `<as>_index`. No element: the case is skipped
    /// (reason `if_empty`, or "nothing to probe").
    ForEach(ForEach),
    /// Skip the case with `reason` when `value` (after `${…}` substitution) is absent,
    /// null or empty, or does not match `match`.
    SkipUnless(SkipUnless),
    /// Judge a value, or the message the last `expect` received, against a matcher
    /// (e.g. with severity should).
    Check(Check),
    /// Gather the messages of `kind` (matching `match`) that are queued or arrive within
    /// `within_ms` into array variable `into`; the others stay queued.
    Collect(Collect),
    /// Compute variable `into` from `from`, as `how` says (each value of `how` says
    /// what `into` receives).
    Derive(Derive),
}

/// Deserializes a list of steps, naming the step (`step 2.1: …`) in an error, as a
/// matcher's spelling mistake is only found here.
pub(super) fn numbered_steps<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Step>, D::Error> {
    let raw = Vec::<Value>::deserialize(d)?;
    raw.into_iter()
        .enumerate()
        .map(|(i, v)| {
            Step::deserialize(v).map_err(|e| {
                let e = e.to_string();
                let at = i + 1;
                serde::de::Error::custom(match e.strip_prefix("step ") {
                    Some(inner) => format!("step {at}.{inner}"),
                    None => format!("step {at}: {e}"),
                })
            })
        })
        .collect()
}

/// Fields every judging step shares: how a broken expectation is reported.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
pub struct Judgement {
    /// Overrides the case severity for this step.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Overrides the case requirement ids for this step.
    #[serde(default)]
    #[schemars(length(min = 1), inner(regex(pattern = REQUIREMENT_ID)))]
    pub requirements: Option<Vec<String>>,
    /// One sentence shown when the expectation does not hold.
    #[serde(default)]
    pub because: Option<String>,
}

/// Wait for the next message of a kind (or the response with an id) and judge it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
#[schemars(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub kind: MessageKind,
    /// Wait for the response with this id (other messages stay queued) instead of the
    /// next message of `kind`.
    #[serde(default)]
    pub id: Option<Value>,
    /// A matcher applied to the whole message.
    #[serde(rename = "match", default)]
    pub matcher: Option<Matcher>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub within_ms: Option<u64>,
    /// Severity when no message arrives at all (default: the step's severity). For
    /// rules that allow a server to stay silent in some settings, e.g. STDIO-09.
    #[serde(default)]
    pub missing_severity: Option<Severity>,
    /// Variables to capture from the matched message: name → JSON pointer.
    #[serde(default)]
    #[schemars(extend("additionalProperties" = {"type": "string", "pattern": "^(/.*)?$"}))]
    pub capture: BTreeMap<String, String>,
    /// A matcher on the received message; when it matches, the rest of the case cannot
    /// observe what it is about (a tool it needs is missing, say): it ends as `skip`,
    /// with `because` as the reason.
    #[serde(default)]
    pub skip_if: Option<Matcher>,
    /// What a response that does not come within `within_ms` means. Default: a finding.
    #[serde(default)]
    pub on_timeout: OnTimeout,
    /// Variable that receives how many milliseconds the response took to arrive.
    #[serde(default)]
    pub elapsed_into: Option<String>,
    #[serde(flatten)]
    pub judgement: Judgement,
}

/// How an `expect` treats silence until its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    /// A finding (with `missing_severity` or the step's severity).
    #[default]
    Fail,
    /// Cancel the request (`notifications/cancelled`, or closing its stream where that
    /// is the cancellation), as the lifecycle page's Timeouts section has the sender do,
    /// and skip the current `for_each` element (the case, outside one), naming the
    /// request and the wait in the reason. For calls whose duration no rule bounds, such
    /// as a tool run with placeholder arguments.
    CancelAndSkip,
}

/// No message of a kind (matching `match`) within a window.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
#[schemars(deny_unknown_fields)]
pub struct Silence {
    #[schemars(range(min = 1))]
    pub within_ms: u64,
    /// A variable holding milliseconds (from an `expect`'s `elapsed_into`, say) that is
    /// added to the window.
    #[serde(default)]
    pub plus_ms_of: Option<String>,
    /// How much of `plus_ms_of` is added, in percent (default 100): a window sized to
    /// how long the server took once allows a slower second time in proportion.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub plus_percent: Option<u64>,
    #[serde(default)]
    pub kind: MessageKind,
    /// Only messages matching this matcher break the silence.
    #[serde(rename = "match", default)]
    pub matcher: Option<Matcher>,
    #[serde(flatten)]
    pub judgement: Judgement,
}

/// The server process exits within a window.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
#[schemars(deny_unknown_fields)]
pub struct ExitExpect {
    #[schemars(range(min = 1))]
    pub within_ms: u64,
    #[serde(flatten)]
    pub judgement: Judgement,
}

/// Which incoming messages an expectation looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// An object with an `id` and no `method` (a result or an error).
    #[default]
    Response,
    /// An object with a `method` and no `id`.
    Notification,
    /// An object with a `method` and an `id` (a server-to-client request).
    Request,
    /// An array (a batch answer).
    Batch,
    /// Anything.
    Any,
}

impl MessageKind {
    pub fn of(msg: &Value) -> MessageKind {
        match msg {
            Value::Array(_) => MessageKind::Batch,
            Value::Object(o) => match (o.contains_key("method"), o.contains_key("id")) {
                (true, true) => MessageKind::Request,
                (true, false) => MessageKind::Notification,
                _ => MessageKind::Response,
            },
            _ => MessageKind::Any,
        }
    }

    pub fn accepts(self, msg: &Value) -> bool {
        self == MessageKind::Any || MessageKind::of(msg) == self
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Response => "response",
            MessageKind::Notification => "notification",
            MessageKind::Request => "request",
            MessageKind::Batch => "batch",
            MessageKind::Any => "message",
        }
    }
}

/// A list method followed through every page.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
#[schemars(deny_unknown_fields)]
pub struct Paginate {
    /// `tools/list`, `resources/list`, `resources/templates/list`, `prompts/list`, …
    pub method: String,
    /// The result member that holds the page's items (`tools`, `resources`, …).
    pub key: String,
    /// Variable that receives every item of every page; `<into>_pages` the page count.
    #[schemars(regex(pattern = IDENT))]
    pub into: String,
    /// Extra params sent with every page (the cursor is added by the engine).
    #[serde(default)]
    #[schemars(schema_with = "json_object")]
    pub params: Option<Value>,
    /// Stop after this many pages (default 50); reaching it is a warning.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub max_pages: Option<u32>,
    /// JSON pointer into each item: two items with the same value there are a finding.
    #[serde(default)]
    #[schemars(regex(pattern = JSON_POINTER))]
    pub unique_by: Option<String>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub within_ms: Option<u64>,
    #[serde(flatten)]
    pub judgement: Judgement,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    /// The array variable (a `name/pointer` path is allowed).
    #[serde(rename = "in")]
    #[schemars(regex(pattern = VAR_PATH))]
    pub items: String,
    /// Variable bound to the element; `<as>_index` holds its position.
    #[serde(rename = "as")]
    #[schemars(regex(pattern = IDENT))]
    pub bind: String,
    /// Only elements that match this matcher.
    #[serde(rename = "where", default)]
    pub filter: Option<Matcher>,
    /// At most this many elements (default 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub max: Option<usize>,
    /// Skip reason when no element is left (default: "nothing to probe: …").
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub if_empty: Option<String>,
    #[serde(deserialize_with = "numbered_steps")]
    #[schemars(length(min = 1))]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipUnless {
    /// The value to test; `"${name}"` strings are replaced by variables.
    pub value: Value,
    /// When given, the value must also match this matcher.
    #[serde(rename = "match", default)]
    pub matcher: Option<Matcher>,
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// A value judged against a matcher.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
#[schemars(deny_unknown_fields)]
pub struct Check {
    /// The value to judge (after `${…}` substitution); absent: the message the last
    /// `expect` received.
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(rename = "match")]
    pub matcher: Matcher,
    #[serde(flatten)]
    pub judgement: Judgement,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Collect {
    /// How long to keep gathering (0: only what is already queued).
    #[schemars(range(max = 60000))]
    pub within_ms: u64,
    #[serde(default)]
    pub kind: MessageKind,
    /// Only messages matching this; the others stay queued.
    #[serde(rename = "match", default)]
    pub matcher: Option<Matcher>,
    /// Stop as soon as this many (matching) messages are gathered: what the case
    /// judges is complete then, so a fast server does not wait out the window.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub count: Option<usize>,
    #[schemars(regex(pattern = IDENT))]
    pub into: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    #[schemars(regex(pattern = IDENT))]
    pub into: String,
    /// The input (after `${…}` substitution).
    pub from: Value,
    pub how: DeriveHow,
}

/// What a `derive` step computes from `from`. Each variant says what `into` receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeriveHow {
    /// A small instance of the JSON Schema `from`: its `const`, `default`, first
    /// `examples` or `enum` entry, first `anyOf`/`oneOf`/`allOf` branch, else a value
    /// built from `type` and bounds (best effort, depth-capped).
    SchemaExample,
    /// `{NAME: "mcp-conform", …}` for every required entry of a prompt's `arguments`
    /// array `from`.
    PromptArguments,
    /// The `WWW-Authenticate` header `from`, parsed: `{schemes, bearer: {param: value},
    /// resource_metadata, metadata_path, metadata_foreign, fetch_path}`
    /// (`metadata_path` only on the target's origin; `fetch_path`: `metadata_path`,
    /// else the path-inserted well-known URI).
    AuthChallenge,
    /// `{count, distinct, min_length, varying_positions}` of an array of identifiers.
    IdVariation,
    /// `{same_origin, oauth_path, oidc_path}`: where an authorization server's metadata
    /// lies (path-inserted well-known URIs), when the issuer URL `from` is on the
    /// target's origin; the paths are null otherwise.
    IssuerPaths,
    /// `schema_example`, plus a value for every property of the schema `from` that
    /// carries `x-mcp-header` and is reachable through `properties` keys (so a call
    /// mirrors it into an `Mcp-Param-*` header).
    HeaderArguments,
    /// `{header, path, args, value, other, base64, corrupt, invalid_args, invalid,
    /// absent_args, null_args}`: arguments and header values probing the first
    /// well-placed `x-mcp-header` of the inputSchema `from` (reachable, a token, on a
    /// string, integer or boolean property); null when there is none.
    HeaderProbe,
    /// `[{tool, annotations: [{pointer, header, key (lowercased), type, reachable}]}]`:
    /// every `x-mcp-header` in the inputSchemas of the array of tools `from`, wherever
    /// it sits.
    XMcpHeaders,
}

/// An HTTP request of a case. The transport's defaults (`Accept`, `Content-Type`,
/// `MCP-Session-Id`, `MCP-Protocol-Version`) apply unless overridden or omitted.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("not" = {"required": ["body", "body_raw"]}))]
pub struct HttpStep {
    /// `POST` (default), `GET`, `DELETE`, …
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z]+$"))]
    pub method: Option<String>,
    /// name → value; replaces a default header of the same name (case-insensitive);
    /// `"${name}"` is replaced by variables in names and values; a value with characters
    /// beyond ASCII is sent as its raw UTF-8 bytes.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Default headers to leave out (case-insensitive names, or prefixes ending in `*`).
    #[serde(default)]
    pub omit_headers: Vec<String>,
    /// A JSON body; `"${name}"` strings are replaced by variables.
    #[serde(default)]
    pub body: Option<Value>,
    /// A body sent verbatim.
    #[serde(default)]
    pub body_raw: Option<String>,
    /// A label for `expect_http: {exchange: NAME}`.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*$"))]
    pub name: Option<String>,
    /// Another path (and ?query) on the target's origin (`/.well-known/…`, `${var}`
    /// substituted); the default is the endpoint. The origin itself can never be changed.
    #[serde(default)]
    #[schemars(regex(pattern = r"^(/|\$\{)"))]
    pub path: Option<String>,
    /// `scoped`: send the `--scoped-bearer` token instead of the `--bearer` one.
    #[serde(default)]
    pub bearer: Option<BearerChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BearerChoice {
    /// The `--scoped-bearer` token (a valid token with fewer scopes).
    Scoped,
}

/// An HTTP exchange judged with a matcher.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
#[schemars(deny_unknown_fields)]
pub struct ExpectHttp {
    /// `last` (default: the newest exchange, also one made by `send`), `first`, `all`,
    /// or the `name` of an `http` step.
    #[serde(default)]
    pub exchange: Option<String>,
    /// Or: the newest exchange whose request carried this JSON-RPC id.
    #[serde(default)]
    pub request_id: Option<Value>,
    /// A matcher applied to the exchange's document (see the step).
    #[serde(rename = "match", default)]
    pub matcher: Option<Matcher>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub within_ms: Option<u64>,
    /// Variables to capture: name → JSON pointer into the same document (e.g.
    /// `/headers/mcp-session-id`).
    #[serde(default)]
    #[schemars(extend("additionalProperties" = {"type": "string", "pattern": "^(/.*)?$"}))]
    pub capture: BTreeMap<String, String>,
    /// When the document matches this, the rest of the case cannot observe what it is
    /// about: it ends as `skip` with `because` as the reason.
    #[serde(default)]
    pub skip_if: Option<Matcher>,
    #[serde(flatten)]
    pub judgement: Judgement,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakStream {
    /// The JSON-RPC id of the request whose SSE stream is broken.
    pub request_id: Value,
    /// Variable that receives the id of the last event delivered on that stream (null
    /// if none).
    #[serde(default)]
    pub capture_last_event_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    /// The JSON-RPC id of the request to cancel.
    pub request_id: Value,
    /// The `reason` of `notifications/cancelled` (when one is sent).
    #[serde(default)]
    pub reason: Option<String>,
}

impl Step {
    /// A judging step's judgement, with its `missing_severity` (an `expect`'s severity
    /// when nothing arrives).
    pub fn judgement(&self) -> Option<(&Judgement, Option<Severity>)> {
        match self {
            Step::Expect(e) => Some((&e.judgement, e.missing_severity)),
            Step::ExpectSilence(x) => Some((&x.judgement, None)),
            Step::ExpectExit(x) => Some((&x.judgement, None)),
            Step::ExpectHttp(x) => Some((&x.judgement, None)),
            Step::Paginate(p) => Some((&p.judgement, None)),
            Step::Check(c) => Some((&c.judgement, None)),
            _ => None,
        }
    }

    /// The steps nested in this one (a `for_each`'s).
    pub fn sub_steps(&self) -> &[Step] {
        match self {
            Step::ForEach(f) => &f.steps,
            _ => &[],
        }
    }
}

/// The judgement of every judging step, in order and inside `for_each` too, each with
/// its `missing_severity` (an `expect`'s severity when nothing arrives).
pub fn judgements(steps: &[Step]) -> Vec<(&Judgement, Option<Severity>)> {
    let mut out = Vec::new();
    for step in steps {
        out.extend(step.judgement());
        out.extend(judgements(step.sub_steps()));
    }
    out
}
