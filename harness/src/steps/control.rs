//! The steps that steer the case: `for_each` (run nested steps per element of an
//! array), `skip_unless`, `check` (judge a value) and `sleep_ms`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::case::{Check, ForEach, SkipUnless};
use crate::check::matcher::{self, lookup};
use crate::client::session::Session;

use super::{run_step, substitute, Ctx, Flow, StepResult};

/// Default cap on `for_each` iterations.
const FOR_EACH_CAP: usize = 20;

pub(super) async fn sleep_ms(ms: u64) -> StepResult {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(Flow::Next)
}

/// Runs the nested steps once per selected element (bound to `as`, its position to
/// `<as>_index`); skips the case when no element is selected.
pub(super) async fn for_each(f: &ForEach, session: &mut Session, ctx: &mut Ctx<'_>) -> StepResult {
    let selected = select(f, ctx);
    if selected.is_empty() {
        let reason = f.if_empty.clone().unwrap_or_else(|| {
            format!(
                "nothing to probe: no element of `{}`{}",
                f.items,
                if f.filter.is_some() { " fits" } else { "" }
            )
        });
        return Ok(Flow::Skip(reason));
    }
    let count = selected.len();
    let mut passed_over: Vec<String> = Vec::new();
    for (i, item) in selected.into_iter().enumerate() {
        ctx.vars.insert(f.bind.clone(), item);
        ctx.vars.insert(format!("{}_index", f.bind), json!(i));
        for step in &f.steps {
            if ctx.must_failed() {
                return Ok(Flow::Next);
            }
            if let Flow::Skip(reason) = run_step(step, session, ctx).await? {
                return Ok(Flow::Skip(reason));
            }
            if let Some(reason) = ctx.skipped.take() {
                return Ok(Flow::Skip(reason));
            }
            if let Some(reason) = ctx.item_skipped.take() {
                ctx.passed_over.push(reason.clone());
                passed_over.push(reason);
                break;
            }
        }
    }
    Ok(after_for_each(count, passed_over))
}

/// The elements of the `in` array that fit `where`, at most `max`.
fn select(f: &ForEach, ctx: &Ctx<'_>) -> Vec<Value> {
    let items: Vec<Value> = match lookup(&ctx.vars, &f.items) {
        Some(Value::Array(xs)) => xs.clone(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter(|x| {
            f.filter
                .as_ref()
                .is_none_or(|m| matcher::check(m, Some(x), &ctx.vars).is_empty())
        })
        .take(f.max.unwrap_or(FOR_EACH_CAP))
        .collect()
}

/// The flow after a `for_each` some of whose elements were passed over (their request
/// went unanswered and was cancelled): the case skips when nothing was left to judge.
fn after_for_each(count: usize, passed_over: Vec<String>) -> Flow {
    if count > 0 && passed_over.len() == count {
        Flow::Skip(format!(
            "nothing could be judged: {}",
            passed_over.join("; ")
        ))
    } else {
        Flow::Next
    }
}

/// A value that shows nothing: absent (unresolved `${…}`), null, or empty.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty() || (s.starts_with("${") && s.ends_with('}')),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Skips the case with the step's reason unless the value shows something (and fits
/// the matcher, when one is given).
pub(super) fn skip_unless(s: &SkipUnless, ctx: &Ctx<'_>) -> StepResult {
    let value = substitute(&s.value, &ctx.vars);
    let fits = !is_empty(&value)
        && s.matcher
            .as_ref()
            .is_none_or(|m| matcher::check(m, Some(&value), &ctx.vars).is_empty());
    if fits {
        Ok(Flow::Next)
    } else {
        Ok(Flow::Skip(s.reason.clone()))
    }
}

/// Judges a value (by default the message the last `expect` received) with a matcher.
pub(super) fn check(c: &Check, ctx: &mut Ctx<'_>) -> StepResult {
    let value = match &c.value {
        Some(v) => substitute(v, &ctx.vars),
        // The last expected message; without one, its `expect` already reported the absence.
        None => match ctx.last_received.clone() {
            Some(m) => m,
            None => return Ok(Flow::Next),
        },
    };
    ctx.matches(&c.judgement, &c.matcher, &value);
    Ok(Flow::Next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_for_each_skips_only_when_every_element_was_passed_over() {
        let why = |n: usize| -> Vec<String> {
            (0..n)
                .map(|i| format!("request \"x-{i}\" got no answer within 10 ms and was cancelled"))
                .collect()
        };
        assert!(matches!(after_for_each(3, why(0)), Flow::Next));
        assert!(matches!(after_for_each(3, why(2)), Flow::Next));
        match after_for_each(2, why(2)) {
            Flow::Skip(reason) => {
                assert!(reason.starts_with("nothing could be judged: "), "{reason}");
                assert!(
                    reason.contains("\"x-0\"") && reason.contains("\"x-1\""),
                    "{reason}"
                );
            }
            Flow::Next => panic!("every element was passed over: the case must skip"),
        }
    }
}
