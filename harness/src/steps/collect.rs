//! The `collect` step: gather the messages of a kind that arrive within a window into
//! a variable (those its matcher rejects stay queued).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::case::Collect;
use crate::check::matcher;
use crate::client::session::Session;

use super::{Ctx, Flow, StepResult};

/// Cap on messages gathered by `collect`.
const COLLECT_CAP: usize = 1_000;

pub(super) async fn collect(c: &Collect, session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    let deadline = Instant::now() + Duration::from_millis(c.within_ms);
    let m = c.matcher.as_ref();
    let vars = &ctx.vars;
    let fits = |msg: &Value| m.is_none_or(|m| matcher::check(m, Some(msg), vars).is_empty());
    // Done once `count` fitting messages are in; for responses, also once every
    // request sent has its answer.
    let enough = |got: &[Value]| {
        c.count
            .is_some_and(|n| got.iter().filter(|g| fits(g)).count() >= n)
    };
    let got = session.collect_until(c.kind, deadline, true, &enough).await;
    let mut kept = Vec::new();
    let mut rest = Vec::new();
    for msg in got {
        if fits(&msg) && kept.len() < COLLECT_CAP {
            kept.push(msg);
        } else {
            rest.push(msg);
        }
    }
    session.requeue(rest);
    ctx.vars.insert(c.into.clone(), Value::Array(kept));
    Ok(Flow::Next)
}
