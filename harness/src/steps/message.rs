//! The message steps of a case: `send`, `send_raw`, `expect` (wait for a message and
//! judge it), `expect_silence` and `cancel`. They work on every transport.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::{Cancel, Expect, Judgement, MessageKind, OnTimeout, Silence};
use crate::check::matcher::{self, lookup};
use crate::client::session::{Session, Unanswered};

use super::{note_failed_send, substitute, Ctx, Flow, StepError, StepResult};

pub(super) async fn send(msg: &Value, session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    let msg = substitute(msg, &ctx.vars);
    ctx.last_sent = Some(session.decorate(&msg));
    note_failed_send(session.send(&msg).await, session);
    Ok(Flow::Next)
}

pub(super) async fn send_raw(text: &str, session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    ctx.last_sent = Some(Value::String(text.to_string()));
    note_failed_send(session.send_raw(text).await, session);
    Ok(Flow::Next)
}

/// Cancels a request. At 2026-07-28 over Streamable HTTP closing the request's
/// response stream is the cancellation (no notification exists there); on stdio, and
/// in the session-based revisions, the client says so with `notifications/cancelled`.
pub(super) async fn cancel(c: &Cancel, session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    let id = substitute(&c.request_id, &ctx.vars);
    cancel_request(id, c.reason.as_deref(), session, ctx).await?;
    Ok(Flow::Next)
}

async fn cancel_request(
    id: Value,
    reason: Option<&str>,
    session: &mut Session,
    ctx: &mut Ctx<'_>,
) -> Result<(), StepError> {
    let stateless = session.request_meta().is_some();
    if let (true, Some(t)) = (stateless, session.transport().as_http()) {
        t.break_stream(&id).map_err(StepError::BreakStream)?;
        session.note(format!(
            "cancelled request {id} by closing its SSE response stream"
        ));
        return Ok(());
    }
    let mut params = json!({"requestId": id});
    if let Some(r) = reason {
        params["reason"] = Value::String(r.to_string());
    }
    let msg = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params});
    ctx.last_sent = Some(session.decorate(&msg));
    note_failed_send(session.send(&msg).await, session);
    Ok(())
}

/// Waits for the next message of a kind (or the response with an id), then judges it:
/// `skip_if`, the matcher, the captures.
pub(super) async fn expect(e: &Expect, session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    let wait = ctx.wait(e.within_ms);
    let matcher = e.matcher.as_ref();
    let started = Instant::now();
    let id = e.id.as_ref().map(|id| substitute(id, &ctx.vars));
    let received = session.reply(id.as_ref(), e.kind, started + wait).await;
    ctx.last_received = received.as_ref().ok().cloned();
    let msg = match received {
        Ok(msg) => msg,
        Err(Unanswered::Timeout) if e.on_timeout == OnTimeout::CancelAndSkip && id.is_some() => {
            let id = id.unwrap_or(Value::Null);
            pass_over(id, wait, session, ctx).await;
            return Ok(Flow::Next);
        }
        Err(unanswered) => {
            let expected = matcher.map(|m| m.shown(&ctx.vars));
            missing(e, unanswered, wait, expected, ctx);
            return Ok(Flow::Next);
        }
    };
    if let Some(name) = &e.elapsed_into {
        ctx.vars
            .insert(name.clone(), json!(started.elapsed().as_millis() as u64));
    }
    if ctx.skip_if(e.skip_if.as_ref(), &msg, &e.judgement, session) {
        return Ok(Flow::Next);
    }
    if let Some(m) = matcher {
        if !ctx.matches(&e.judgement, m, &msg) {
            return Ok(Flow::Next);
        }
    }
    ctx.capture(&e.judgement, &e.capture, &msg);
    Ok(Flow::Next)
}

/// `on_timeout: cancel_and_skip`: the request `id` went unanswered, so it is cancelled
/// and the rest of the current `for_each` element (or of the case) is not run.
async fn pass_over(id: Value, wait: Duration, session: &mut Session, ctx: &mut Ctx<'_>) {
    let why = format!(
        "request {} got no answer within {} ms and was cancelled",
        matcher::compact(&id),
        wait.as_millis()
    );
    // A failed cancellation is noted by `note_failed_send`; nothing else to do.
    let _ = cancel_request(
        id,
        Some("mcp-conform: no answer within its wait"),
        session,
        ctx,
    )
    .await;
    session.note(format!("{why} (not judged)"));
    ctx.item_skipped = Some(why);
}

/// No message came: a finding with the step's `missing_severity`, if it has one.
fn missing(
    e: &Expect,
    unanswered: Unanswered,
    wait: Duration,
    matcher: Option<Value>,
    ctx: &mut Ctx<'_>,
) {
    let why = match unanswered {
        Unanswered::Timeout => format!(
            "no {} arrived within {} ms",
            e.kind.as_str(),
            wait.as_millis()
        ),
        other => format!("no {} arrived: {}", e.kind.as_str(), other.describe(wait)),
    };
    let judgement = Judgement {
        severity: e.missing_severity.or(e.judgement.severity),
        ..e.judgement.clone()
    };
    ctx.fail(&judgement, why, matcher, None);
}

/// Judges that no message of a kind (matching the step's matcher, if any) arrives
/// within the window; the others stay queued for later expectations.
pub(super) async fn expect_silence(
    s: &Silence,
    session: &mut Session,
    ctx: &mut Ctx<'_>,
) -> StepResult {
    let extra = s
        .plus_ms_of
        .as_ref()
        .and_then(|name| lookup(&ctx.vars, name))
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .saturating_mul(s.plus_percent.unwrap_or(100))
        / 100;
    let window = s.within_ms.saturating_add(extra);
    // A silence about answers (the server's reaction to what was sent) may end on a
    // barrier; one sized to how long the server works (`plus_ms_of`), or about
    // messages the server may send on its own, keeps its whole window.
    let barrier =
        s.plus_ms_of.is_none() && matches!(s.kind, MessageKind::Response | MessageKind::Batch);
    let got = session
        .silence(
            s.kind,
            Instant::now() + Duration::from_millis(window),
            barrier,
        )
        .await;
    let matcher = s.matcher.as_ref();
    let (breaking, others): (Vec<Value>, Vec<Value>) = got.into_iter().partition(|m| {
        matcher
            .as_ref()
            .is_none_or(|mm| matcher::check(mm, Some(m), &ctx.vars).is_empty())
    });
    // Messages the silence is not about stay available to later expectations.
    session.requeue(others);
    if let Some(first) = breaking.into_iter().next() {
        ctx.fail(
            &s.judgement,
            format!(
                "expected no {} within {} ms, got one",
                s.kind.as_str(),
                window
            ),
            None,
            Some(first),
        );
    }
    Ok(Flow::Next)
}
