//! One HTTP request and what came back, shared by the two HTTP transports.
//!
//! An exchange is recorded (status, headers, capped body, SSE events) so that case
//! steps can judge the HTTP layer, and every JSON-RPC message it carries is also
//! forwarded as an [`Incoming`] event to the session, so message-level cases run over
//! HTTP unchanged. Bodies, events and whole streams are capped; every wait is bounded.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use super::{classify_line, Incoming, Limits};

/// Cap on the whole of one SSE stream (a stream that never ends is cut here).
pub(super) const STREAM_CAP: usize = 64 * 1024 * 1024;
/// Cap on the body text kept in an exchange record (the message itself may be larger).
pub(super) const KEPT_BODY_CAP: usize = 64 * 1024;
/// Cap on SSE events kept per exchange record.
pub(super) const KEPT_EVENTS_CAP: usize = 1000;
/// Cap on the event data kept per exchange record, in bytes: later events are still
/// handed to the session, and only counted in the record.
pub(super) const KEPT_EVENT_BYTES_CAP: usize = 4 * 1024 * 1024;
/// Most HTTP requests of one transport in flight at once (a POST, a stream being
/// read); a further one waits for a place, at most the write timeout.
pub const MAX_IN_FLIGHT: usize = 16;
/// Most response ids remembered per transport (far more than a case sends requests).
const ANSWERED_CAP: usize = 10_000;
/// Longest wait for the response head of one request.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for the body of a non-SSE response.
const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// One SSE event as seen on the wire.
#[derive(Debug, Clone)]
pub struct SeenEvent {
    /// Index of the exchange (stream) it arrived on.
    pub exchange: usize,
    /// The event's own id, when it set one (see `event_stream::own_event_id`).
    pub id: Option<String>,
    pub event: String,
    pub data: String,
    pub retry_ms: Option<u64>,
}

impl SeenEvent {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "exchange": self.exchange,
            "id": self.id,
            "event": self.event,
            "data": self.data,
            "retry": self.retry_ms,
        });
        // The data parsed as JSON; absent otherwise (a priming event, say), so that
        // `$unique_by: /message` compares messages only.
        if let Ok(m) = serde_json::from_str::<Value>(&self.data) {
            v["message"] = m;
        }
        v
    }
}

/// One HTTP request/response pair.
#[derive(Debug, Default)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: BTreeMap<String, String>,
    /// JSON-RPC request ids carried in the request body.
    pub request_ids: Vec<Value>,
    pub status: Option<u16>,
    /// Response headers with lowercase names (repeated ones joined by ", ").
    pub headers: BTreeMap<String, String>,
    /// Body text (capped) for non-SSE responses.
    pub body: String,
    pub events: Vec<SeenEvent>,
    /// The body has ended (or could not be read further).
    pub complete: bool,
    pub error: Option<String>,
    /// Why the body ended before it was whole and will carry no more messages (a body
    /// shorter than its Content-Length, an SSE stream cut and not resumed, a cap hit):
    /// a request it carried that got no answer gets none from it.
    pub ended_short: Option<String>,
    /// Bytes of event data kept in `events` (at most [`KEPT_EVENT_BYTES_CAP`]).
    pub kept_event_bytes: usize,
    /// Events handed to the session but not kept here (a cap was reached).
    pub events_dropped: usize,
    /// Id of the last event delivered from this stream (for `Last-Event-ID`).
    pub last_event_id: Option<String>,
    /// Set when the harness broke the stream on purpose.
    pub broken: bool,
    /// A Streamable HTTP POST: requests in it must be answered as JSON or SSE (HTTP-08).
    pub answers_inline: bool,
    /// A request to another path than the MCP endpoint (a `/.well-known/…` document):
    /// its body is evidence for the case, not a JSON-RPC message.
    pub document: bool,
    /// Opened by the transport itself to follow exchange N (see `resume`).
    pub resumed_from: Option<usize>,
    /// A stream the transport keeps following when the server closes its connection
    /// (the standalone GET stream a case listens on, and what follows it).
    pub follow: bool,
    /// How many times in a row this stream was reopened without a new message
    /// arriving (see `resume`).
    pub idle_reconnects: usize,
    pub abort: Option<tokio::task::AbortHandle>,
    /// Its place among the requests in flight, held until every request it carried
    /// is answered or the exchange ends: a stream a server keeps open after its
    /// answers (a SHOULD, not a MUST) does not hold up the requests that follow.
    pub place: Option<OwnedSemaphorePermit>,
}

impl Exchange {
    pub fn is_sse(&self) -> bool {
        self.headers
            .get("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"))
    }

    /// What a case's `expect_http` matcher is applied to.
    pub fn to_json(&self) -> Value {
        let parsed = if self.is_sse() {
            Value::Null
        } else {
            serde_json::from_str(&self.body).unwrap_or(Value::Null)
        };
        json!({
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "status": self.status,
            "headers": self.headers,
            "body": self.body,
            "json": parsed,
            "events": self.events.iter().map(SeenEvent::to_json).collect::<Vec<_>>(),
            "first_event": self.events.first().map(SeenEvent::to_json),
            "events_dropped": self.events_dropped,
            "complete": self.complete,
            "error": self.error,
        })
    }
}

/// State shared by a transport and its exchange tasks.
#[derive(Debug, Default)]
pub struct HttpState {
    pub session_id: Option<String>,
    /// Negotiated revision, learnt from the initialize result.
    pub protocol_version: Option<String>,
    /// 2026-07-28: per tool name, the `Mcp-Param-*` headers its inputSchema asks for
    /// (`x-mcp-header`): header name part and the property path in the arguments.
    pub param_headers: BTreeMap<String, Vec<(String, Vec<String>)>>,
    /// Ids of `initialize` requests sent, to recognise their answers.
    pub init_ids: Vec<Value>,
    pub exchanges: Vec<Exchange>,
    /// Every event id seen in this session, to detect reuse across streams (HTTP-28).
    pub seen_ids: BTreeMap<String, usize>,
    /// Ids of the responses received so far.
    pub answered: Vec<Value>,
    /// Requests whose stream a case broke: the case resumes them, not the transport.
    pub manual: Vec<Value>,
    /// Requests the case cancelled: their streams are not followed any more.
    pub cancelled: Vec<Value>,
    /// `--bearer`: the access token sent (to the target's origin only) with every request.
    pub bearer: Option<String>,
    /// `--scoped-bearer`, once a case has sent it: never shown, like `bearer`.
    pub scoped_bearer: Option<String>,
}

impl HttpState {
    /// Keeps the user's tokens out of what is recorded (and so out of every report):
    /// a value carrying one names the option it came from instead.
    pub fn redacted(&self, value: &str) -> String {
        let mut v = value.to_string();
        for (token, option) in [
            (&self.bearer, "--bearer"),
            (&self.scoped_bearer, "--scoped-bearer"),
        ] {
            if let Some(t) = token.as_deref().filter(|t| !t.is_empty() && v.contains(*t)) {
                v = v.replace(t, &format!("<the {option} token>"));
            }
        }
        v
    }

    fn redact(&self, headers: &mut BTreeMap<String, String>) {
        for v in headers.values_mut() {
            *v = self.redacted(v);
        }
    }
}

pub type Shared = Arc<Mutex<HttpState>>;

/// Fresh state for a new connection; `bearer` is the user's `--bearer` token.
pub fn new_shared(bearer: Option<String>) -> Shared {
    Arc::new(Mutex::new(HttpState {
        bearer,
        ..HttpState::default()
    }))
}

pub fn lock(shared: &Shared) -> MutexGuard<'_, HttpState> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// What an exchange task needs besides the request.
#[derive(Clone)]
pub struct Sink {
    pub shared: Shared,
    /// The session's queue, bounded in bytes (see `inbox`).
    pub tx: super::inbox::Sender,
    pub limits: Limits,
    /// Legacy HTTP+SSE: messages must come as `message` events (SSE-03), and an
    /// `endpoint` event is meaningful. Streamable HTTP names no event type, so the
    /// data of any event is taken as a message there.
    pub legacy: bool,
    /// Set for Streamable HTTP: how to follow a stream the server closed early.
    pub resume: Option<super::resume::Resumer>,
    /// Places for requests in flight ([`MAX_IN_FLIGHT`]), shared by the transport's
    /// requests: a flood of server requests cannot open connections without bound.
    pub places: Arc<Semaphore>,
}

/// The places of a new transport's requests in flight.
pub fn new_places() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_IN_FLIGHT))
}

/// Why a request found no place among those in flight.
pub fn too_many_in_flight(waited: Duration) -> String {
    format!(
        "too many requests in flight: {MAX_IN_FLIGHT} HTTP requests of this connection were still open after {} ms",
        waited.as_millis()
    )
}

/// A place among the requests in flight, waited for at most the write timeout.
pub async fn take_place(sink: &Sink) -> Result<OwnedSemaphorePermit, String> {
    let wait = sink.limits.write_timeout;
    match tokio::time::timeout(wait, sink.places.clone().acquire_owned()).await {
        Ok(Ok(place)) => Ok(place),
        _ => Err(too_many_in_flight(wait)),
    }
}

/// Lowercase-named headers of a response.
fn header_map(h: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in h {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        out.entry(name.as_str().to_ascii_lowercase())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&text);
            })
            .or_insert(text);
    }
    out
}

/// A JSON object parsed one level at a time: members (and members of `params`) that
/// cannot be parsed on their own, too deep say, are left out.
pub fn shallow_parse(text: &str) -> Value {
    use serde_json::value::RawValue;
    fn members(text: &str) -> Option<serde_json::Map<String, Value>> {
        let raw: std::collections::BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(text).ok()?;
        Some(
            raw.into_iter()
                .filter_map(|(k, v)| {
                    let value = match serde_json::from_str::<Value>(v.get()) {
                        Ok(value) => value,
                        Err(_) if k == "params" => Value::Object(members(v.get())?),
                        Err(_) => return None,
                    };
                    Some((k, value))
                })
                .collect(),
        )
    }
    members(text).map(Value::Object).unwrap_or(Value::Null)
}

/// The ids an outgoing body names, read in one parse.
#[derive(Debug, Default, PartialEq)]
pub struct BodyIds {
    /// Ids of the requests it carries.
    pub requests: Vec<Value>,
    /// The id of an `initialize` among them.
    pub initialize: Option<Value>,
    /// The ids its `notifications/cancelled` messages name.
    pub cancelled: Vec<Value>,
}

/// JSON-RPC request ids (and whether one is `initialize`), and the ids cancelled, in
/// an outgoing body.
pub fn request_ids(body: &str) -> BodyIds {
    let v = serde_json::from_str::<Value>(body).unwrap_or_else(|_| shallow_parse(body));
    let items = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    let mut ids = BodyIds::default();
    for m in items {
        let method = m.get("method").and_then(Value::as_str);
        match (m.get("id"), method) {
            (Some(id), Some(method)) => {
                ids.requests.push(id.clone());
                if method == "initialize" {
                    ids.initialize = Some(id.clone());
                }
            }
            (None, Some("notifications/cancelled")) => {
                ids.cancelled
                    .extend(m.pointer("/params/requestId").cloned());
            }
            _ => {}
        }
    }
    ids
}

/// Starts one exchange in the background. The returned receiver resolves when the
/// response head has arrived (or the request failed); the body is read on. `place`:
/// the exchange's place among the requests in flight, when the caller has taken one
/// already (else the exchange waits for one).
pub fn start(
    request: reqwest::RequestBuilder,
    record: Exchange,
    sink: &Sink,
    place: Option<OwnedSemaphorePermit>,
) -> (usize, oneshot::Receiver<Result<u16, String>>) {
    let mut record = record;
    let index = {
        let mut st = lock(&sink.shared);
        st.redact(&mut record.request_headers);
        st.exchanges.push(record);
        st.exchanges.len() - 1
    };
    (index, spawn_at(index, request, sink, place))
}

/// Like [`start`], for the transport following a stream by itself: nothing starts
/// when a case has taken over one of the requests (checked under the same lock as
/// the record is added, so `break_stream` always sees the new connection).
pub fn start_follow(request: reqwest::RequestBuilder, record: Exchange, sink: &Sink) {
    let mut record = record;
    let index = {
        let mut st = lock(&sink.shared);
        if record
            .request_ids
            .iter()
            .any(|id| st.manual.contains(id) || st.cancelled.contains(id))
        {
            return;
        }
        st.redact(&mut record.request_headers);
        st.exchanges.push(record);
        st.exchanges.len() - 1
    };
    // Nobody waits for the head of a followed stream.
    drop(spawn_at(index, request, sink, None));
}

fn spawn_at(
    index: usize,
    request: reqwest::RequestBuilder,
    sink: &Sink,
    place: Option<OwnedSemaphorePermit>,
) -> oneshot::Receiver<Result<u16, String>> {
    let (head_tx, head_rx) = oneshot::channel();
    let sink2 = sink.clone();
    let task = tokio::spawn(async move {
        // The place is held until the exchange ends (or its task is aborted).
        let place = match place {
            Some(p) => p,
            None => match take_place(&sink2).await {
                Ok(p) => p,
                Err(why) => {
                    finish(&sink2, index, Some(why.clone()));
                    let _ = head_tx.send(Err(why));
                    return;
                }
            },
        };
        if let Some(x) = lock(&sink2.shared).exchanges.get_mut(index) {
            x.place = Some(place);
        }
        run(request, index, &sink2, head_tx).await;
        if let Some(x) = lock(&sink2.shared).exchanges.get_mut(index) {
            x.place = None;
        }
    });
    if let Some(x) = lock(&sink.shared).exchanges.get_mut(index) {
        if x.broken {
            // Broken before the task could be registered.
            task.abort();
        } else {
            x.abort = Some(task.abort_handle());
        }
    }
    head_rx
}

async fn run(
    request: reqwest::RequestBuilder,
    index: usize,
    sink: &Sink,
    head_tx: oneshot::Sender<Result<u16, String>>,
) {
    let response = match tokio::time::timeout(HEAD_TIMEOUT, request.send()).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            let why = describe_reqwest(&e);
            finish(sink, index, Some(why.clone()));
            let _ = head_tx.send(Err(why));
            return;
        }
        Err(_) => {
            let why = format!("no response head within {} s", HEAD_TIMEOUT.as_secs());
            finish(sink, index, Some(why.clone()));
            let _ = head_tx.send(Err(why));
            return;
        }
    };
    let status = response.status().as_u16();
    let headers = header_map(response.headers());
    let redirect = (300..400)
        .contains(&status)
        .then(|| redirect_reason(status, headers.get("location")));
    let sse = {
        let mut st = lock(&sink.shared);
        let is_init = st.exchanges.get(index).is_some_and(|x| {
            x.request_ids
                .iter()
                .any(|id| lock_free_contains(&st.init_ids, id))
        });
        if is_init {
            if let Some(sid) = headers.get("mcp-session-id") {
                st.session_id = Some(sid.clone());
            }
        }
        match st.exchanges.get_mut(index) {
            Some(x) => {
                x.status = Some(status);
                x.headers = headers;
                if redirect.is_some() {
                    // Never followed (see `http::client`): named as what it is.
                    x.error = redirect;
                }
                x.is_sse()
            }
            None => false,
        }
    };
    let _ = head_tx.send(Ok(status));
    if let Some(v) = wrong_answer_type(&sink.shared, index) {
        let _ = sink.tx.note(v).await;
    }
    let document = lock(&sink.shared)
        .exchanges
        .get(index)
        .is_some_and(|x| x.document);
    if sse && document {
        // A case's own stream request: the head is what it judges; the stream (which
        // would belong to another session) is dropped unread.
        finish(sink, index, None);
    } else if sse {
        super::event_stream::read_sse(response, index, sink).await;
    } else {
        read_body(response, index, sink).await;
        legacy_stream_refused(sink, index).await;
    }
}

/// Legacy HTTP+SSE: the transport's own GET was answered with something other than
/// an event stream (a redirect, a 401, a page). Said at once as the end of the one
/// stream, so that nobody waits for an `endpoint` event that cannot come.
async fn legacy_stream_refused(sink: &Sink, index: usize) {
    if !sink.legacy {
        return;
    }
    let reason = {
        let st = lock(&sink.shared);
        let Some(x) = st.exchanges.get(index) else {
            return;
        };
        if x.method != "GET" || x.document {
            return;
        }
        match why_unanswered(x) {
            Some(why) if x.status.is_some_and(|s| (300..400).contains(&s)) => why,
            _ => format!(
                "the GET of the SSE endpoint was answered {} ({}), not with an event stream: {}",
                x.status.map_or("-".to_string(), |s| s.to_string()),
                x.headers
                    .get("content-type")
                    .map_or("no content type", |c| c.as_str()),
                body_excerpt(&x.body)
            ),
        }
    };
    stream_ended(sink, index, reason).await;
}

/// Tells the session that the stream of exchange `index` ended, and why.
pub(super) async fn stream_ended(sink: &Sink, index: usize, reason: String) {
    let _ = sink
        .tx
        .note(Incoming::StreamEnded {
            exchange: index,
            reason,
        })
        .await;
}

/// What a redirect is reported as: the harness follows none.
pub fn redirect_reason(status: u16, location: Option<&String>) -> String {
    match location {
        Some(l) => format!(
            "the server answered {status} with Location: {}, which the harness does not follow (it talks only to the target's origin)",
            l.chars().take(500).collect::<String>()
        ),
        None => format!(
            "the server answered {status} without a Location header; the harness follows no redirect (it talks only to the target's origin)"
        ),
    }
}

/// The start of a body, as a reason quotes it.
fn body_excerpt(body: &str) -> String {
    let text: String = body.chars().take(200).collect();
    if text.trim().is_empty() {
        "empty body".to_string()
    } else {
        text.trim().to_string()
    }
}

/// HTTP-08: a successful answer to a POST that carried requests is JSON or SSE.
fn wrong_answer_type(shared: &Shared, index: usize) -> Option<Incoming> {
    let st = lock(shared);
    let x = st.exchanges.get(index)?;
    let status = x.status?;
    if !x.answers_inline || x.request_ids.is_empty() || !(200..300).contains(&status) {
        return None;
    }
    let ctype = x.headers.get("content-type").cloned().unwrap_or_default();
    let lower = ctype.to_ascii_lowercase();
    if lower.starts_with("application/json") || lower.starts_with("text/event-stream") {
        return None;
    }
    Some(super::violation(
        "HTTP-08",
        format!(
            "a POST carrying a request was answered {status} with Content-Type `{ctype}`, neither application/json nor text/event-stream"
        ),
        format!("{} {} → {status} {ctype}", x.method, x.url),
    ))
}

fn lock_free_contains(list: &[Value], v: &Value) -> bool {
    list.iter().any(|x| x == v)
}

pub(super) fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    text
}

/// Whether nothing more can arrive over Streamable HTTP: every exchange's body has
/// ended whole (its messages were delivered before it was marked complete), and none is
/// a stream the transport follows or may resume. A server can then say nothing until
/// the client sends again.
pub fn quiescent(shared: &Shared) -> bool {
    lock(shared)
        .exchanges
        .iter()
        .all(|x| x.complete && !x.follow && !x.broken && x.ended_short.is_none())
}

pub(super) fn finish(sink: &Sink, index: usize, error: Option<String>) {
    if let Some(x) = lock(&sink.shared).exchanges.get_mut(index) {
        x.complete = true;
        if error.is_some() {
            x.error = error;
        }
    }
}

/// Forwards one JSON-RPC text to the session, learning the negotiated revision.
pub(super) async fn deliver(sink: &Sink, text: &str) {
    let Some(ev) = classify_line(text.as_bytes()) else {
        return;
    };
    if let Incoming::Message(msg) = &ev {
        let mut st = lock(&sink.shared);
        let items: Vec<&Value> = match msg {
            Value::Array(a) => a.iter().collect(),
            one => vec![one],
        };
        let mut any_answer = false;
        for m in items {
            if let (Some(id), None) = (m.get("id"), m.get("method")) {
                any_answer = true;
                // Bounded: a server sending responses without end grows nothing here.
                if st.answered.len() < ANSWERED_CAP && !st.answered.contains(id) {
                    st.answered.push(id.clone());
                }
            }
        }
        if any_answer {
            release_answered_places(&mut st);
        }
        let is_init_answer = msg
            .get("id")
            .is_some_and(|id| lock_free_contains(&st.init_ids, id));
        if is_init_answer {
            if let Some(v) = msg
                .pointer("/result/protocolVersion")
                .and_then(Value::as_str)
            {
                st.protocol_version = Some(v.to_string());
            }
        }
    }
    let _ = sink.tx.send(ev, text.len()).await;
}

/// Gives back the place of every exchange whose requests are all answered.
fn release_answered_places(st: &mut HttpState) {
    let HttpState {
        exchanges,
        answered,
        ..
    } = st;
    for x in exchanges.iter_mut() {
        if x.place.is_some()
            && !x.request_ids.is_empty()
            && x.request_ids.iter().all(|id| answered.contains(id))
        {
            x.place = None;
        }
    }
}

/// How reading a body ended early.
enum BodyEnd {
    /// Over the size cap (announced by Content-Length, or seen while reading).
    OverCap,
    /// The connection failed (the reason).
    Broken(String),
    TimedOut,
}

/// Reads `response` into `body`, stopping at the size cap.
async fn read_capped(
    response: &mut reqwest::Response,
    body: &mut Vec<u8>,
    cap: usize,
) -> Result<(), BodyEnd> {
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(BodyEnd::OverCap);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err(BodyEnd::Broken(describe_reqwest(&e))),
        }
    }
}

/// Why a body that broke off after `got` bytes will never be whole.
fn broken_body(got: usize, announced: Option<u64>, error: &str) -> String {
    let how = if error.contains("end of file") || error.contains("closed before") {
        "connection closed".to_string()
    } else {
        error.to_string()
    };
    match announced {
        Some(n) if (got as u64) < n => format!(
            "the response body ended after {got} of {n} bytes announced by Content-Length ({how})"
        ),
        _ => format!("the response body broke off after {got} bytes ({how})"),
    }
}

async fn read_body(mut response: reqwest::Response, index: usize, sink: &Sink) {
    let cap = sink.limits.max_message_bytes;
    let announced = response.content_length();
    let mut body: Vec<u8> = Vec::new();
    let end = if announced.is_some_and(|n| n > cap as u64) {
        // Refused unread: nothing of a body this size is buffered.
        Err(BodyEnd::OverCap)
    } else {
        tokio::time::timeout(BODY_TIMEOUT, read_capped(&mut response, &mut body, cap))
            .await
            .unwrap_or(Err(BodyEnd::TimedOut))
    };
    drop(response);
    let text = String::from_utf8_lossy(&body).into_owned();
    if let Some(x) = lock(&sink.shared).exchanges.get_mut(index) {
        x.body = text.chars().take(KEPT_BODY_CAP).collect();
    }
    let short = match end {
        Ok(()) => None,
        Err(BodyEnd::OverCap) => {
            let policy = super::size_cap_policy(cap, "an HTTP response body");
            let _ = sink
                .tx
                .note(Incoming::PolicyRefusal {
                    policy: policy.clone(),
                    evidence: text.chars().take(200).collect(),
                })
                .await;
            Some(policy)
        }
        Err(BodyEnd::Broken(e)) => Some(broken_body(body.len(), announced, &e)),
        Err(BodyEnd::TimedOut) => Some(format!(
            "the response body was not complete within {} s",
            BODY_TIMEOUT.as_secs()
        )),
    };
    if short.is_none() && !text.trim().is_empty() {
        // The lock is not held while a refusal's body is parsed.
        let (json, status) = lock(&sink.shared)
            .exchanges
            .get(index)
            .map_or((false, None), |x| (body_is_message(x), x.status));
        if json && refusal_body_is_message(status, &text) {
            deliver(sink, &text).await;
        }
    }
    end_short(sink, index, short);
}

/// Ends exchange `index`; `short`: why its body ended before it was whole (kept as
/// its error too).
pub(super) fn end_short(sink: &Sink, index: usize, short: Option<String>) {
    if let Some(x) = lock(&sink.shared).exchanges.get_mut(index) {
        x.complete = true;
        if let Some(why) = short {
            x.error = Some(why.clone());
            x.ended_short = Some(why);
        }
    }
}

/// Whether the body of a (non-SSE) answer is handed to the session as a JSON-RPC
/// message. Only a body that claims to be JSON is one; an error page is evidence
/// only. So is the refusal of a GET the transport opened by itself (to follow a
/// stream): nobody asked for it, and its body answers no request.
fn body_is_message(x: &Exchange) -> bool {
    let own_refused =
        x.resumed_from.is_some() && !x.status.is_some_and(|s| (200..300).contains(&s));
    !x.document
        && !own_refused
        && x.headers
            .get("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().contains("json"))
}

/// A refusal (a status outside 2xx) often carries a body of another protocol: an
/// OAuth error object (`{"error":"invalid_token"}`) with a 401, a problem document with
/// a 403. Such a body is evidence for the status check, never a JSON-RPC message to
/// judge; a refusal's body is one only when it says so (a `jsonrpc` member, or an `id`
/// with `result` or `error`, in an object or in each object of an array). A 2xx body
/// that claims JSON is always judged as JSON-RPC.
fn refusal_body_is_message(status: Option<u16>, text: &str) -> bool {
    if status.is_none_or(|s| (200..300).contains(&s)) {
        return true;
    }
    fn claims_jsonrpc(v: &Value) -> bool {
        v.as_object().is_some_and(|o| {
            o.contains_key("jsonrpc")
                || (o.contains_key("id") && (o.contains_key("result") || o.contains_key("error")))
        })
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => !items.is_empty() && items.iter().all(claims_jsonrpc),
        Ok(v) => claims_jsonrpc(&v),
        // Not JSON at all though labelled so: the session's wire check reports it only
        // when it is offered as a message, which a refusal's body is not.
        Err(_) => false,
    }
}

/// Why request `id` will get no JSON-RPC response: the HTTP exchange that carried it
/// was redirected, or has ended with a non-2xx status, or its body ended short (see
/// [`why_unanswered`]), and no response to it arrived. `None` while that is not (yet)
/// known.
/// With `id` `None`: the newest POST, when its answer cannot hold a JSON-RPC message.
pub fn refused(shared: &Shared, id: Option<&Value>) -> Option<String> {
    let st = lock(shared);
    let x = match id {
        Some(id) => {
            if st.answered.contains(id) {
                return None;
            }
            st.exchanges
                .iter()
                .rev()
                .find(|x| x.request_ids.contains(id))?
        }
        None => {
            let x = st.exchanges.iter().rev().find(|x| x.method == "POST")?;
            let json = x
                .headers
                .get("content-type")
                .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
            if json && x.ended_short.is_none() {
                return None;
            }
            x
        }
    };
    why_unanswered(x)
}

/// Why the answer to exchange `x` holds no (further) JSON-RPC response: a redirect
/// (known from the head), a refusal (a non-2xx status, once its body is read), or a
/// body that ended short. `None` while the answer may still bring one.
pub fn why_unanswered(x: &Exchange) -> Option<String> {
    let status = x.status?;
    if (300..400).contains(&status) {
        return Some(redirect_reason(status, x.headers.get("location")));
    }
    if !x.complete {
        return None;
    }
    if (200..300).contains(&status) {
        return x.ended_short.clone();
    }
    let ctype = x
        .headers
        .get("content-type")
        .map_or("no content type", |c| c.as_str());
    Some(format!(
        "the HTTP {} carrying it was answered {status} ({ctype}) without a JSON-RPC response to it: {}",
        x.method,
        body_excerpt(&x.body)
    ))
}

/// Scheme, host and port of a URL: the only place the harness may send to.
pub fn origin_of(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_of_a_get_the_transport_opened_is_no_message() {
        let mut x = Exchange {
            method: "GET".into(),
            status: Some(405),
            resumed_from: Some(3),
            ..Exchange::default()
        };
        x.headers
            .insert("content-type".into(), "application/json".into());
        assert!(!body_is_message(&x));
        // The same answer to a POST (a JSON-RPC error for its request) is one.
        x.resumed_from = None;
        x.method = "POST".into();
        assert!(body_is_message(&x));
        x.headers.insert("content-type".into(), "text/html".into());
        assert!(!body_is_message(&x));
    }

    #[test]
    fn an_oauth_error_body_of_a_refusal_is_no_message() {
        let mut x = Exchange {
            method: "POST".into(),
            status: Some(401),
            ..Exchange::default()
        };
        x.headers
            .insert("content-type".into(), "application/json".into());
        assert!(body_is_message(&x));
        let refused = x.status;
        let oauth = r#"{"error":"invalid_token","error_description":"The access token expired"}"#;
        assert!(!refusal_body_is_message(refused, oauth));
        assert!(!refusal_body_is_message(refused, "<html>401</html>"));
        // A JSON-RPC error sent with the refusal is one (and judged as such).
        let rpc = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"unauthorized"}}"#;
        assert!(refusal_body_is_message(refused, rpc));
        assert!(refusal_body_is_message(
            refused,
            r#"{"id":1,"error":{"code":1,"message":"x"}}"#
        ));
        assert!(refusal_body_is_message(refused, &format!("[{rpc}]")));
        // A 2xx body that claims JSON is always offered to the session.
        assert!(refusal_body_is_message(Some(200), oauth));
    }

    #[test]
    fn request_ids_find_initialize_and_cancellations() {
        let ids = request_ids(r#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#);
        assert_eq!(ids.requests, vec![json!(1)]);
        assert_eq!(ids.initialize, Some(json!(1)));
        let ids = request_ids(
            r#"[{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","method":"n"}]"#,
        );
        assert_eq!(ids.requests, vec![json!("a")]);
        assert_eq!(ids.initialize, None);
        assert!(request_ids("not json").requests.is_empty());
        let one = r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"long-1"}}"#;
        assert_eq!(request_ids(one).cancelled, vec![json!("long-1")]);
        let batch = r#"[{"jsonrpc":"2.0","id":3,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}]"#;
        assert_eq!(request_ids(batch).cancelled, vec![json!(3)]);
        assert!(request_ids(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            .cancelled
            .is_empty());
        assert!(request_ids("not json").cancelled.is_empty());
    }
}
