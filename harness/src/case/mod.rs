//! The case model: what a YAML file under `cases/` says, and the loader that reads it.
//!
//! A case is data only. Its steps are interpreted by `run::exec`; its expectations by
//! `check`. The JSON Schema of this format is `schemas/case.schema.json`; the two are
//! kept in step by a test that validates every bundled case against that schema.

pub mod load;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::outcome::Severity;
use crate::revision::RevisionSet;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub title: String,
    /// Requirement ids from REQUIREMENTS.md that this case checks.
    pub requirements: Vec<String>,
    /// `must` → a broken expectation is a failure; `should` → a warning; `note` → a
    /// note, which never counts (practice that no revision states with a keyword).
    pub severity: Severity,
    #[serde(default)]
    pub revisions: RevisionSet,
    /// Transports the case applies to; absent means all.
    #[serde(default)]
    pub transports: Option<Vec<TransportKind>>,
    /// Session state before the first step.
    #[serde(default)]
    pub given: Given,
    /// The case is about authorization (how the server treats requests without valid
    /// credentials): against a server that demands a token the user did not give, it
    /// still runs when it starts from `given: fresh`, and when that server answered no
    /// probe, at the newest revision the case applies to.
    #[serde(default)]
    pub tests_authorization: bool,
    /// Server capabilities the case needs, as dotted paths into `capabilities`
    /// (`tools`, `resources.subscribe`). Not declared → skip.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Capabilities the harness declares as a client in `initialize`.
    #[serde(default)]
    pub client_capabilities: Option<Value>,
    /// Names of mutants in `fixtures/mutants.yaml` that must fail this case.
    #[serde(default)]
    pub mutants: Vec<String>,
    /// Further mutants that must fail the case on one transport only: their fault
    /// concerns a mechanism the other transports do not use (the stdio way of
    /// cancelling, say).
    #[serde(default)]
    pub mutants_on: BTreeMap<TransportKind, Vec<String>>,
    /// Free text for readers of the case file.
    #[serde(default)]
    pub notes: Option<String>,
    pub steps: Vec<Step>,
    /// Where the case was loaded from (set by the loader).
    #[serde(skip)]
    pub file: String,
}

impl Case {
    /// The first segment of the id, which is also the folder the case lives in.
    pub fn area(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    /// Every mutant that must fail the case on `kind`.
    pub fn mutants_for(&self, kind: TransportKind) -> Vec<&String> {
        let extra = self.mutants_on.get(&kind).into_iter().flatten();
        self.mutants.iter().chain(extra).collect()
    }

    /// Every mutant the case names, on any transport.
    pub fn all_mutants(&self) -> impl Iterator<Item = &String> {
        self.mutants
            .iter()
            .chain(self.mutants_on.values().flatten())
    }

    /// Whether the case can end with a `note` verdict: its own severity is `note`, or
    /// a step lowers its judgement (or its silence) to `note`.
    pub fn may_note(&self) -> bool {
        self.severity == Severity::Note
            || judgements(&self.steps).iter().any(|(j, missing)| {
                j.severity == Some(Severity::Note) || *missing == Some(Severity::Note)
            })
    }

    pub fn applies_to_transport(&self, kind: TransportKind) -> bool {
        match &self.transports {
            None => true,
            Some(list) => list.contains(&kind),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransportKind {
    Stdio,
    StreamableHttp,
    Sse,
}

impl TransportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Stdio => "stdio",
            TransportKind::StreamableHttp => "streamable-http",
            TransportKind::Sse => "sse",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Given {
    /// The server was just started; nothing has been sent.
    Fresh,
    /// `initialize` was answered; `notifications/initialized` was not sent yet.
    InitializeAnswered,
    /// `initialize` answered and `notifications/initialized` sent.
    #[default]
    Initialized,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Send a JSON value (object or array) as one message. Strings of the form
    /// `${name}` are replaced by captured values.
    Send(Value),
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
    /// Wait this many milliseconds.
    SleepMs(u64),
    /// Over Streamable HTTP (session revisions), open the standalone GET stream so that
    /// messages the server sends outside any request can arrive; elsewhere, nothing.
    Listen {},
    /// Send one HTTP request with chosen method, headers and body (HTTP transports).
    Http(HttpStep),
    /// Judge an HTTP exchange (status, headers, body, SSE events) with a matcher.
    ExpectHttp(ExpectHttp),
    /// Break the SSE stream carrying a request, as a network failure would.
    BreakStream(BreakStream),
    /// Cancel a request the way its transport and era prescribe: close its SSE
    /// response stream over Streamable HTTP at 2026-07-28, otherwise send
    /// `notifications/cancelled`.
    Cancel(Cancel),
    /// Call a list method, follow every `nextCursor` to the end (with a page cap) and
    /// collect the items into a variable, judging duplicates.
    Paginate(Paginate),
    /// Repeat sub-steps for each element of an array variable (with a cap); skip the
    /// case when there is nothing to probe.
    ForEach(ForEach),
    /// Skip the case with a reason when a value is absent or empty (or fails a matcher).
    SkipUnless(SkipUnless),
    /// Judge a value (usually a variable) against a matcher.
    Check(Check),
    /// Gather the messages of a kind that arrive within a window into a variable.
    Collect(Collect),
    /// Compute a value from another: an example instance of a JSON Schema, or the
    /// arguments object a prompt needs.
    Derive(Derive),
}

#[derive(Debug, Clone, Deserialize)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
pub struct Paginate {
    /// `tools/list`, `resources/list`, `resources/templates/list`, `prompts/list`, …
    pub method: String,
    /// The result member that holds the page's items (`tools`, `resources`, …).
    pub key: String,
    /// Variable that receives every item of every page; `<into>_pages` the page count.
    pub into: String,
    /// Extra params sent with every page (the cursor is added by the engine).
    #[serde(default)]
    pub params: Option<Value>,
    /// Stop after this many pages (default 50); reaching it is a warning.
    #[serde(default)]
    pub max_pages: Option<u32>,
    /// JSON pointer into each item: two items with the same value there are a finding.
    #[serde(default)]
    pub unique_by: Option<String>,
    #[serde(default)]
    pub within_ms: Option<u64>,
    #[serde(flatten)]
    pub judgement: Judgement,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    /// The array variable (a `name/pointer` path is allowed).
    #[serde(rename = "in")]
    pub items: String,
    /// Variable bound to the element; `<as>_index` holds its position.
    #[serde(rename = "as")]
    pub bind: String,
    /// Only elements that match this matcher.
    #[serde(rename = "where", default)]
    pub filter: Option<Value>,
    /// At most this many elements (default 20).
    #[serde(default)]
    pub max: Option<usize>,
    /// Skip reason when no element is left (default: "nothing to probe: …").
    #[serde(default)]
    pub if_empty: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipUnless {
    /// The value to test; `"${name}"` strings are replaced by variables.
    pub value: Value,
    /// When given, the value must also match this matcher.
    #[serde(rename = "match", default)]
    pub matcher: Option<Value>,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
pub struct Check {
    /// The value to judge; absent: the message the last `expect` received.
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(rename = "match")]
    pub matcher: Value,
    #[serde(flatten)]
    pub judgement: Judgement,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collect {
    /// How long to keep gathering (0: only what is already queued).
    pub within_ms: u64,
    #[serde(default)]
    pub kind: MessageKind,
    /// Only messages matching this; the others stay queued.
    #[serde(rename = "match", default)]
    pub matcher: Option<Value>,
    pub into: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    pub into: String,
    pub from: Value,
    pub how: DeriveHow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeriveHow {
    /// A small instance that satisfies a JSON Schema (defaults, consts, enums, minimums).
    SchemaExample,
    /// `{name: "mcp-conform", …}` for every required entry of a prompt's `arguments`.
    PromptArguments,
    /// A parsed `WWW-Authenticate` header: `{schemes, bearer, resource_metadata,
    /// metadata_path, metadata_foreign}` (`metadata_path` only on the target's origin).
    AuthChallenge,
    /// `{count, distinct, min_length, varying_positions}` of an array of identifiers.
    IdVariation,
    /// `{same_origin, oauth_path, oidc_path}`: where an authorization server's metadata
    /// lies, when the issuer URL `from` is on the target's origin.
    IssuerPaths,
    /// `schema_example`, plus a value for every property reachable through `properties`
    /// keys that carries `x-mcp-header` (so a call mirrors it into an `Mcp-Param-*` header).
    HeaderArguments,
    /// Arguments and header values probing the first well-placed `x-mcp-header` of an
    /// inputSchema (null when there is none).
    HeaderProbe,
    /// Every `x-mcp-header` in the inputSchemas of an array of tools, with where it sits.
    XMcpHeaders,
}

/// An HTTP request of a case. The transport's defaults (`Accept`, `Content-Type`,
/// `MCP-Session-Id`, `MCP-Protocol-Version`) apply unless overridden or omitted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpStep {
    /// `POST` (default), `GET`, `DELETE`, …
    #[serde(default)]
    pub method: Option<String>,
    /// Headers to set, replacing a default of the same name (`${var}` substituted).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Names of default headers to leave out (case-insensitive).
    #[serde(default)]
    pub omit_headers: Vec<String>,
    /// A JSON body (`${var}` substituted).
    #[serde(default)]
    pub body: Option<Value>,
    /// A body sent verbatim.
    #[serde(default)]
    pub body_raw: Option<String>,
    /// A label for `expect_http: {exchange: NAME}`.
    #[serde(default)]
    pub name: Option<String>,
    /// Another path on the target's origin (`/.well-known/…`, `${var}` substituted);
    /// the default is the endpoint. The origin itself can never be changed.
    #[serde(default)]
    pub path: Option<String>,
    /// `scoped`: send the `--scoped-bearer` token instead of the `--bearer` one.
    #[serde(default)]
    pub bearer: Option<BearerChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BearerChoice {
    Scoped,
}

#[derive(Debug, Clone, Deserialize)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
pub struct ExpectHttp {
    /// `last` (default: the newest exchange), `first`, `all`, or a name given in an
    /// `http` step.
    #[serde(default)]
    pub exchange: Option<String>,
    /// Or: the newest exchange whose request carried this JSON-RPC id.
    #[serde(default)]
    pub request_id: Option<Value>,
    /// A matcher applied to `{method, url, request_headers, status, headers, body, json, events, complete, error}`
    /// (for `all`: `{exchanges: [...], events: [...]}`).
    #[serde(rename = "match", default)]
    pub matcher: Option<Value>,
    #[serde(default)]
    pub within_ms: Option<u64>,
    /// Variables to capture: name → JSON pointer into the same document.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// When the document matches this, the rest of the case cannot observe what it is
    /// about: it ends as `skip` with `because` as the reason.
    #[serde(default)]
    pub skip_if: Option<Value>,
    #[serde(flatten)]
    pub judgement: Judgement,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakStream {
    /// The JSON-RPC id of the request whose SSE stream is broken.
    pub request_id: Value,
    /// Variable that receives the last event id delivered on that stream (null if none).
    #[serde(default)]
    pub capture_last_event_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    /// The JSON-RPC id of the request to cancel.
    pub request_id: Value,
    /// The `reason` of the notification (when one is sent).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Which incoming messages an expectation looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
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

/// The judgement of every judging step, in order and inside `for_each` too, each with
/// its `missing_severity` (an `expect`'s severity when nothing arrives).
pub fn judgements(steps: &[Step]) -> Vec<(&Judgement, Option<Severity>)> {
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Expect(e) => out.push((&e.judgement, e.missing_severity)),
            Step::ExpectSilence(x) => out.push((&x.judgement, None)),
            Step::ExpectExit(x) => out.push((&x.judgement, None)),
            Step::ExpectHttp(x) => out.push((&x.judgement, None)),
            Step::Paginate(p) => out.push((&p.judgement, None)),
            Step::Check(c) => out.push((&c.judgement, None)),
            Step::ForEach(f) => out.extend(judgements(&f.steps)),
            _ => {}
        }
    }
    out
}

/// Fields every judging step shares: how a broken expectation is reported.
#[derive(Debug, Clone, Default, Deserialize)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
pub struct Judgement {
    /// Overrides the case severity for this step.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Overrides the case requirement ids for this step.
    #[serde(default)]
    pub requirements: Option<Vec<String>>,
    /// One sentence shown when the expectation does not hold.
    #[serde(default)]
    pub because: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
pub struct Expect {
    #[serde(default)]
    pub kind: MessageKind,
    /// Wait for the response with this id (earlier messages stay queued), instead
    /// of the next message of `kind`.
    #[serde(default)]
    pub id: Option<Value>,
    /// A matcher (see `check::matcher`) applied to the whole message.
    #[serde(rename = "match", default)]
    pub matcher: Option<Value>,
    #[serde(default)]
    pub within_ms: Option<u64>,
    /// Severity when no message arrives at all (defaults to the step's severity).
    /// For rules that allow a server to stay silent in some settings, e.g. STDIO-09.
    #[serde(default)]
    pub missing_severity: Option<Severity>,
    /// Variables to capture from the matched message: name → JSON pointer.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// When the received message matches this, the rest of the case cannot observe
    /// what it is about (a tool it needs is missing, say): it ends as `skip`, with
    /// `because` as the reason.
    #[serde(default)]
    pub skip_if: Option<Value>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    /// A finding (with `missing_severity` or the step's severity).
    #[default]
    Fail,
    /// Cancel the request (`notifications/cancelled`, or closing its stream where that
    /// is the cancellation), as the lifecycle page's Timeouts section has the sender do,
    /// and skip the current `for_each` element (the case, outside one). For calls whose
    /// duration no rule bounds, such as a tool run with placeholder arguments.
    CancelAndSkip,
}

#[derive(Debug, Clone, Deserialize)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
pub struct Silence {
    pub within_ms: u64,
    /// A variable holding milliseconds (e.g. from `elapsed_into`) added to the window.
    #[serde(default)]
    pub plus_ms_of: Option<String>,
    #[serde(default)]
    pub kind: MessageKind,
    /// Only messages matching this count as breaking the silence.
    #[serde(rename = "match", default)]
    pub matcher: Option<Value>,
    #[serde(flatten)]
    pub judgement: Judgement,
}

#[derive(Debug, Clone, Deserialize)]
// Unknown keys are caught by the case schema (serde cannot deny them next to `flatten`).
pub struct ExitExpect {
    pub within_ms: u64,
    #[serde(flatten)]
    pub judgement: Judgement,
}
