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
    // Responses: done once every request sent has its answer.
    let got = session.collect_until(c.kind, deadline, true).await;
    let m = c.matcher.as_ref();
    let mut kept = Vec::new();
    let mut rest = Vec::new();
    for msg in got {
        let fits = m
            .as_ref()
            .is_none_or(|m| matcher::check(m, Some(&msg), &ctx.vars).is_empty());
        if fits && kept.len() < COLLECT_CAP {
            kept.push(msg);
        } else {
            rest.push(msg);
        }
    }
    session.requeue(rest);
    ctx.vars.insert(c.into.clone(), Value::Array(kept));
    Ok(Flow::Next)
}
