//! The HTTP-level steps of a case: `http` (send a request of the case's choosing),
//! `expect_http` (judge an exchange), `break_stream`, `listen` (open the standalone GET
//! stream). Except `listen`, they need an HTTP transport; on stdio they are a harness
//! error (the case should have limited its `transports`).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::{BearerChoice, BreakStream, ExpectHttp, HttpStep};
use crate::client::session::Session;
use crate::transport::exchange::{lock, Shared};
use crate::transport::http::HttpRequest;
use crate::transport::Transport;

use super::{substitute, Ctx, Flow, StepError, StepResult};

fn shared_of(session: &mut Session) -> Result<Shared, StepError> {
    match session.transport() {
        Transport::StreamableHttp(t) => Ok(t.shared().clone()),
        Transport::Sse(t) => Ok(t.shared().clone()),
        Transport::Stdio(_) => Err(StepError::WrongTransport {
            step: "this step",
            needs: "an HTTP transport",
        }),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Sends an HTTP request of the case's choosing; its response head is noted, not judged.
pub(super) async fn http(step: &HttpStep, session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    let (req, shared) = request_of(step, session, ctx)?;
    let sent = shown(&req, &shared);
    ctx.last_sent = Some(sent.clone());
    let started = match session.transport() {
        Transport::StreamableHttp(t) => t.request(&req).map_err(StepError::Send)?,
        Transport::Sse(t) => t.request(&req).map_err(StepError::Send)?,
        Transport::Stdio(_) => {
            return Err(StepError::WrongTransport {
                step: "the `http` step",
                needs: "an HTTP transport",
            })
        }
    };
    session.note_sent(sent);
    let (index, head) = started;
    if let Some(name) = &step.name {
        ctx.exchanges.insert(name.clone(), index);
    }
    let wait = ctx.cfg.timeout;
    match tokio::time::timeout(wait, head).await {
        Ok(Ok(Ok(status))) => session.note(format!("HTTP #{index} answered {status}")),
        Ok(Ok(Err(e))) => session.note(format!("HTTP #{index} failed: {e}")),
        _ => session.note(format!(
            "HTTP #{index}: no response head within {} ms",
            wait.as_millis()
        )),
    }
    // A GET with Last-Event-ID resumes a stream: it carries that stream's requests.
    let resumed = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("last-event-id"))
        .map(|(_, v)| v.clone());
    if let (Some(last), Transport::StreamableHttp(t)) = (resumed, session.transport()) {
        t.adopt_requests(index, &last);
    }
    Ok(Flow::Next)
}

/// The request an `http` step describes, `${…}` substituted; with `bearer: scoped`,
/// the --scoped-bearer token replaces the authorization header (and is redacted from
/// then on).
fn request_of(
    step: &HttpStep,
    session: &mut Session,
    ctx: &Ctx<'_>,
) -> Result<(HttpRequest, Shared), StepError> {
    let mut headers: Vec<(String, String)> = step
        .headers
        .iter()
        .map(|(k, v)| {
            let name = text_of(&substitute(&json!(k), &ctx.vars));
            (name, text_of(&substitute(&json!(v), &ctx.vars)))
        })
        .collect();
    let body = match (&step.body, &step.body_raw) {
        // In the stateless revision the body gets the per-request `_meta` like any send.
        (Some(b), _) => Some(session.decorate(&substitute(b, &ctx.vars)).to_string()),
        (None, Some(raw)) => Some(raw.clone()),
        (None, None) => None,
    };
    let shared = shared_of(session)?;
    if step.bearer == Some(BearerChoice::Scoped) {
        let token = ctx
            .cfg
            .http
            .as_ref()
            .and_then(|h| h.scoped_bearer.clone())
            .ok_or(StepError::NoScopedBearer)?;
        lock(&shared).scoped_bearer = Some(token.clone()); // redacted from now on
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
        headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    let req = HttpRequest {
        method: step.method.clone().unwrap_or_default(),
        headers,
        omit: step.omit_headers.clone(),
        body,
        path: step
            .path
            .as_ref()
            .map(|p| text_of(&substitute(&json!(p), &ctx.vars))),
    };
    Ok((req, shared))
}

/// The request as the transcript (and a finding's `sent`) shows it: tokens redacted,
/// a JSON body parsed.
fn shown(req: &HttpRequest, shared: &Shared) -> Value {
    let shown_headers: Vec<String> = {
        let st = lock(shared);
        req.headers
            .iter()
            .map(|(k, v)| format!("{k}: {}", st.redacted(v)))
            .collect()
    };
    json!({
        "http": req.method.clone(),
        "headers": shown_headers,
        "omitted": req.omit.clone(),
        "path": req.path.clone(),
        "body": req.body.as_deref().map(|b| serde_json::from_str::<Value>(b).unwrap_or(json!(b))),
    })
}

/// Whether judging needs the whole body (the matcher or a capture looks at it).
fn needs_body(e: &ExpectHttp) -> bool {
    looks_at(
        e,
        &[
            "body",
            "json",
            "events",
            "first_event",
            "complete",
            "exchanges",
        ],
    )
}

/// Whether the matcher or a capture looks at one of these top-level keys.
fn looks_at(e: &ExpectHttp, keys: &[&str]) -> bool {
    let in_matcher = e
        .matcher
        .as_ref()
        .and_then(|m| m.source().as_object())
        .is_some_and(|m| keys.iter().any(|k| m.contains_key(*k)));
    let in_capture = e
        .capture
        .values()
        .any(|p| keys.iter().any(|k| p.starts_with(&format!("/{k}"))));
    in_matcher || in_capture
}

/// The document an `expect_http` judges, or why there is none yet.
fn snapshot(shared: &Shared, e: &ExpectHttp, ctx: &Ctx<'_>) -> Result<(Value, bool), String> {
    let st = lock(shared);
    let which = e.exchange.as_deref().unwrap_or("last");
    if which == "all" && e.request_id.is_none() {
        let events: Vec<Value> = st
            .exchanges
            .iter()
            .flat_map(|x| x.events.iter().map(|ev| ev.to_json()))
            .collect();
        let exchanges: Vec<Value> = st.exchanges.iter().map(|x| x.to_json()).collect();
        // Events need every stream ended; the exchanges' bodies only the non-SSE
        // answers read (a stream that stays open must not hold the judgement).
        let done = if looks_at(e, &["events"]) {
            st.exchanges.iter().all(|x| x.complete)
        } else {
            st.exchanges
                .iter()
                .all(|x| x.complete || (x.status.is_some() && x.is_sse()))
        };
        return Ok((json!({"exchanges": exchanges, "events": events}), done));
    }
    let index = match (&e.request_id, which) {
        (Some(id), _) => {
            let id = substitute(id, &ctx.vars);
            st.exchanges
                .iter()
                .rposition(|x| x.request_ids.contains(&id))
                .ok_or_else(|| format!("no HTTP request carried id {id}"))?
        }
        (None, "last") => st
            .exchanges
            .len()
            .checked_sub(1)
            .ok_or("no HTTP exchange yet")?,
        (None, "first") => {
            if st.exchanges.is_empty() {
                return Err("no HTTP exchange yet".into());
            }
            0
        }
        (None, name) => *ctx
            .exchanges
            .get(name)
            .ok_or_else(|| format!("no `http` step was named `{name}`"))?,
    };
    let x = st.exchanges.get(index).ok_or("exchange vanished")?;
    let ready = x.status.is_some() || x.complete;
    let done = x.complete;
    if !ready {
        return Err("no response head yet".into());
    }
    Ok((x.to_json(), done))
}

/// Waits for the exchange to judge (its head, or its whole body when the matcher or a
/// capture looks at it), then judges it: `skip_if`, the matcher, the captures.
pub(super) async fn expect_http(
    e: &ExpectHttp,
    session: &mut Session,
    ctx: &mut Ctx<'_>,
) -> StepResult {
    let shared = shared_of(session)?;
    let wait = ctx.wait(e.within_ms);
    let deadline = Instant::now() + wait;
    let body = needs_body(e);
    let doc = loop {
        let snap = snapshot(&shared, e, ctx);
        let now = Instant::now();
        match snap {
            Ok((doc, done)) if done || !body || now >= deadline => break Some(doc),
            Err(_) if now >= deadline => break None,
            _ => {}
        }
        // Keep the session's inbox fed (and server requests answered) while waiting.
        session.idle(Duration::from_millis(20)).await;
    };
    let Some(doc) = doc else {
        let why = snapshot(&shared, e, ctx)
            .err()
            .unwrap_or_else(|| "nothing to judge".into());
        ctx.fail(
            &e.judgement,
            format!(
                "no HTTP answer to judge within {} ms: {why}",
                wait.as_millis()
            ),
            e.matcher.as_ref().map(|m| m.shown(&ctx.vars)),
            None,
        );
        return Ok(Flow::Next);
    };
    if ctx.skip_if(e.skip_if.as_ref(), &doc, &e.judgement, session) {
        return Ok(Flow::Next);
    }
    if let Some(m) = &e.matcher {
        if !ctx.matches(&e.judgement, m, &doc) {
            return Ok(Flow::Next);
        }
    }
    ctx.capture(&e.judgement, &e.capture, &doc);
    Ok(Flow::Next)
}

/// Opens the standalone GET stream over Streamable HTTP in the session revisions. A
/// server may offer none (405, HTTP-16); the answer is noted, never judged, and a
/// case that needs what would come on it skips when it does not arrive.
pub(super) async fn listen(session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    if session.request_meta().is_some() {
        return Ok(Flow::Next); // 2026-07-28 has no standalone stream
    }
    let started = match session.transport() {
        Transport::StreamableHttp(t) => t.listen(),
        _ => return Ok(Flow::Next),
    };
    let (index, head) = match started {
        Ok(s) => s,
        Err(e) => {
            session.note(format!("could not open the GET stream: {e}"));
            return Ok(Flow::Next);
        }
    };
    match tokio::time::timeout(ctx.cfg.timeout, head).await {
        Ok(Ok(Ok(status))) => session.note(format!(
            "opened the standalone GET stream (HTTP #{index}): answered {status}"
        )),
        Ok(Ok(Err(e))) => session.note(format!("GET stream (HTTP #{index}) failed: {e}")),
        _ => session.note(format!(
            "GET stream (HTTP #{index}): no response head in time"
        )),
    }
    Ok(Flow::Next)
}

/// Breaks the SSE stream carrying a request, as a network failure would.
pub(super) fn break_stream(
    b: &BreakStream,
    session: &mut Session,
    ctx: &mut Ctx<'_>,
) -> StepResult {
    let id = substitute(&b.request_id, &ctx.vars);
    let last = match session.transport() {
        Transport::StreamableHttp(t) => t.break_stream(&id).map_err(StepError::BreakStream)?,
        _ => {
            return Err(StepError::WrongTransport {
                step: "`break_stream`",
                needs: "the Streamable HTTP transport",
            })
        }
    };
    session.note(format!(
        "broke the SSE stream carrying request {id}; last event id {}",
        last.as_deref().unwrap_or("(none)")
    ));
    if let Some(var) = &b.capture_last_event_id {
        ctx.vars
            .insert(var.clone(), last.map(Value::String).unwrap_or(Value::Null));
    }
    Ok(Flow::Next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(v: Value) -> ExpectHttp {
        serde_json::from_value(v).expect("a valid expect_http step")
    }

    #[test]
    fn a_matcher_on_the_exchanges_waits_for_their_bodies() {
        // Without the wait, a document GET whose head came but whose body was not yet
        // read would show `json: null` and fail the case.
        let e = step(
            json!({"exchange": "all", "match": {"exchanges": {"$contains": {"status": 200}}}}),
        );
        assert!(needs_body(&e));
        assert!(!looks_at(&e, &["events"]));
        let status_only = step(json!({"match": {"status": 200}}));
        assert!(!needs_body(&status_only));
    }
}
