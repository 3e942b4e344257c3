//! The `paginate` step: call a list method, follow every `nextCursor` to the end (with
//! a page cap) and gather the items into a variable, judging each page, repeated
//! cursors and (with `unique_by`) items listed twice.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::case::{MessageKind, Paginate};
use crate::check::finding;
use crate::check::matcher::compact;
use crate::client::session::Session;
use crate::json_schema::json_type;
use crate::outcome::Severity;

use super::{note_failed_send, substitute, Ctx, Flow, StepResult};

/// Default page cap of `paginate`.
const PAGE_CAP: u32 = 50;
/// Cap on items gathered by `paginate`, so a hostile server cannot exhaust memory.
const ITEM_CAP: usize = 10_000;

/// What the pages brought so far.
#[derive(Default)]
struct Pages {
    /// Every item of every page (up to `ITEM_CAP`).
    items: Vec<Value>,
    /// Each page's result without its items (cache hints, `_meta`, `resultType`, …).
    results: Vec<Value>,
    /// Every cursor the server returned, in order.
    cursors: Vec<Value>,
    /// Pages requested.
    count: u32,
}

pub(super) async fn paginate(p: &Paginate, session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    let wait = ctx.wait(p.within_ms);
    let cap = p.max_pages.unwrap_or(PAGE_CAP).max(1);
    let base = match p.params.as_ref().map(|v| substitute(v, &ctx.vars)) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut pages = Pages::default();
    let mut cursor: Option<Value> = None;
    loop {
        if pages.count >= cap {
            warn_page_cap(p, cap, ctx);
            break;
        }
        pages.count += 1;
        let mut params = base.clone();
        if let Some(c) = &cursor {
            params.insert("cursor".into(), c.clone());
        }
        let Some(resp) = request_page(p, params, pages.count, wait, session, ctx).await else {
            return Ok(Flow::Next);
        };
        let Some(result) = take_page(p, &resp, &mut pages, ctx) else {
            return Ok(Flow::Next);
        };
        match next_cursor(p, result, &resp, &pages.cursors, ctx) {
            Some(c) => {
                pages.cursors.push(c.clone());
                cursor = Some(c);
            }
            None => break,
        }
    }
    if let Some(pointer) = &p.unique_by {
        judge_duplicates(p, pointer, &pages, ctx);
    }
    ctx.vars
        .insert(format!("{}_pages", p.into), json!(pages.count));
    ctx.vars
        .insert(format!("{}_results", p.into), Value::Array(pages.results));
    ctx.vars.insert(p.into.clone(), Value::Array(pages.items));
    Ok(Flow::Next)
}

/// Reaching the page cap is a warning (whatever the step's severity): a listing that
/// never ends is bad practice, and the harness stops following it.
fn warn_page_cap(p: &Paginate, cap: u32, ctx: &mut Ctx<'_>) {
    let (reqs, _) = ctx.judge(&p.judgement);
    let msg = format!(
        "`{}` still returned a nextCursor after {cap} pages; stopped following it",
        p.method
    );
    ctx.findings.push(finding(
        &reqs,
        Severity::Should,
        msg,
        ctx.last_sent.clone(),
        None,
        None,
    ));
}

/// Sends the request for page `number` and waits for its response; none is a finding.
async fn request_page(
    p: &Paginate,
    params: Map<String, Value>,
    number: u32,
    wait: Duration,
    session: &mut Session,
    ctx: &mut Ctx<'_>,
) -> Option<Value> {
    let serial = session.next_serial();
    let id = json!(format!("mcp-conform-page-{}-{number}-{serial}", p.into));
    let msg = json!({"jsonrpc": "2.0", "id": id, "method": p.method, "params": params});
    ctx.last_sent = Some(msg.clone());
    note_failed_send(session.send(&msg).await, session);
    match session
        .reply(Some(&id), MessageKind::Response, Instant::now() + wait)
        .await
    {
        Ok(resp) => Some(resp),
        Err(u) => {
            let why = format!("page {number} of `{}`: {}", p.method, u.describe(wait));
            ctx.fail(&p.judgement, why, None, None);
            None
        }
    }
}

/// Adds a page's items and the rest of its result to `pages`, and returns the result;
/// a response without a result or without the items array is a finding.
fn take_page<'r>(
    p: &Paginate,
    resp: &'r Value,
    pages: &mut Pages,
    ctx: &mut Ctx<'_>,
) -> Option<&'r Value> {
    let number = pages.count;
    let Some(result) = resp.get("result").filter(|r| r.is_object()) else {
        ctx.fail(
            &p.judgement,
            format!(
                "page {number} of `{}` was not answered with a result",
                p.method
            ),
            None,
            Some(resp.clone()),
        );
        return None;
    };
    let Some(page) = result.get(&p.key).and_then(Value::as_array) else {
        ctx.fail(
            &p.judgement,
            format!("page {number} of `{}` has no `{}` array", p.method, p.key),
            None,
            Some(resp.clone()),
        );
        return None;
    };
    let room = ITEM_CAP.saturating_sub(pages.items.len());
    pages.items.extend(page.iter().take(room).cloned());
    let mut rest = result.clone();
    if let Some(o) = rest.as_object_mut() {
        o.remove(&p.key);
    }
    pages.results.push(rest);
    Some(result)
}

/// The cursor to follow after this page, if any. A cursor returned a second time, or
/// one that is not a string, is a finding and ends the listing.
fn next_cursor(
    p: &Paginate,
    result: &Value,
    resp: &Value,
    seen: &[Value],
    ctx: &mut Ctx<'_>,
) -> Option<Value> {
    match result.get("nextCursor") {
        None | Some(Value::Null) => None,
        Some(c @ Value::String(_)) => {
            if seen.contains(c) {
                ctx.fail(
                    &p.judgement,
                    format!(
                        "`{}` returned the cursor {} a second time: following it would never end",
                        p.method,
                        compact(c)
                    ),
                    None,
                    Some(resp.clone()),
                );
                return None;
            }
            Some(c.clone())
        }
        Some(other) => {
            ctx.fail(
                &p.judgement,
                format!("`nextCursor` is a {}, not a string", json_type(other)),
                None,
                Some(resp.clone()),
            );
            None
        }
    }
}

/// `unique_by`: two items with the same value at the pointer are a finding (the first
/// such value only).
fn judge_duplicates(p: &Paginate, pointer: &str, pages: &Pages, ctx: &mut Ctx<'_>) {
    let mut seen: Vec<&Value> = Vec::new();
    for item in &pages.items {
        if let Some(key) = item.pointer(pointer) {
            if seen.contains(&key) {
                ctx.fail(
                    &p.judgement,
                    format!(
                        "`{}` listed {} at {pointer} more than once across {} page(s)",
                        p.method,
                        compact(key),
                        pages.count
                    ),
                    None,
                    Some(Value::Array(pages.items.clone())),
                );
                break;
            }
            seen.push(key);
        }
    }
}
