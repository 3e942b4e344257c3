//! Steps that let a case discover what a server offers and work on any server:
//! `paginate` (follow every cursor), `skip_unless`, `check`, `collect` and `derive`.
//! (`for_each` lives in `exec`, since it runs nested steps.)

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::case::{
    Check, Collect, Derive, DeriveHow, Judgement, MessageKind, Paginate, SkipUnless,
};
use crate::check::matcher::{self, compact};
use crate::client::session::Session;
use crate::outcome::Severity;

use super::{substitute, Ctx, Flow};

/// Default page cap of `paginate`.
const PAGE_CAP: u32 = 50;
/// Cap on items gathered by `paginate`, so a hostile server cannot exhaust memory.
const ITEM_CAP: usize = 10_000;
/// Cap on messages gathered by `collect`.
const COLLECT_CAP: usize = 1_000;

pub(super) async fn paginate(p: &Paginate, session: &mut Session, ctx: &mut Ctx<'_>) {
    let wait = Duration::from_millis(p.within_ms.unwrap_or(ctx.cfg.timeout.as_millis() as u64));
    let cap = p.max_pages.unwrap_or(PAGE_CAP).max(1);
    let base = match p.params.as_ref().map(|v| substitute(v, &ctx.vars)) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut items: Vec<Value> = Vec::new();
    // Each page's result without its items (cache hints, `_meta`, `resultType`, …).
    let mut results: Vec<Value> = Vec::new();
    let mut cursors: Vec<Value> = Vec::new();
    let mut cursor: Option<Value> = None;
    let mut pages = 0u32;
    loop {
        if pages >= cap {
            let (reqs, _) = judged(ctx, &p.judgement);
            let msg = format!(
                "`{}` still returned a nextCursor after {cap} pages; stopped following it",
                p.method
            );
            ctx.findings.push(crate::check::finding(
                &reqs,
                Severity::Should,
                msg,
                ctx.last_sent.clone(),
                None,
                None,
            ));
            break;
        }
        pages += 1;
        let mut params = base.clone();
        if let Some(c) = &cursor {
            params.insert("cursor".into(), c.clone());
        }
        let id = json!(format!("mcp-conform-page-{}-{pages}", p.into));
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": p.method, "params": params});
        ctx.last_sent = Some(msg.clone());
        if let Err(e) = session.send(&msg).await {
            session.note(format!("send failed: {e}"));
        }
        let resp = match session
            .reply(Some(&id), MessageKind::Response, Instant::now() + wait)
            .await
        {
            Ok(resp) => resp,
            Err(u) => {
                let why = format!("page {pages} of `{}`: {}", p.method, u.describe(wait));
                ctx.fail(&p.judgement, why, None, None);
                return;
            }
        };
        let Some(result) = resp.get("result").filter(|r| r.is_object()) else {
            ctx.fail(
                &p.judgement,
                format!(
                    "page {pages} of `{}` was not answered with a result",
                    p.method
                ),
                None,
                Some(resp),
            );
            return;
        };
        let Some(page) = result.get(&p.key).and_then(Value::as_array) else {
            ctx.fail(
                &p.judgement,
                format!("page {pages} of `{}` has no `{}` array", p.method, p.key),
                None,
                Some(resp.clone()),
            );
            return;
        };
        let room = ITEM_CAP.saturating_sub(items.len());
        items.extend(page.iter().take(room).cloned());
        let mut rest = result.clone();
        if let Some(o) = rest.as_object_mut() {
            o.remove(&p.key);
        }
        results.push(rest);
        match result.get("nextCursor") {
            None | Some(Value::Null) => break,
            Some(c @ Value::String(_)) => {
                if cursors.contains(c) {
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
                    break;
                }
                cursors.push(c.clone());
                cursor = Some(c.clone());
            }
            Some(other) => {
                ctx.fail(
                    &p.judgement,
                    format!(
                        "`nextCursor` is a {}, not a string",
                        crate::json_schema::json_type(other)
                    ),
                    None,
                    Some(resp.clone()),
                );
                break;
            }
        }
    }
    if let Some(pointer) = &p.unique_by {
        let mut seen: Vec<&Value> = Vec::new();
        for item in &items {
            if let Some(key) = item.pointer(pointer) {
                if seen.contains(&key) {
                    ctx.fail(
                        &p.judgement,
                        format!(
                            "`{}` listed {} at {pointer} more than once across {pages} page(s)",
                            p.method,
                            compact(key)
                        ),
                        None,
                        Some(Value::Array(items.clone())),
                    );
                    break;
                }
                seen.push(key);
            }
        }
    }
    ctx.vars.insert(format!("{}_pages", p.into), json!(pages));
    ctx.vars
        .insert(format!("{}_results", p.into), Value::Array(results));
    ctx.vars.insert(p.into.clone(), Value::Array(items));
}

fn judged(ctx: &Ctx<'_>, j: &Judgement) -> (Vec<String>, Severity) {
    (
        j.requirements
            .clone()
            .unwrap_or_else(|| ctx.case.requirements.clone()),
        j.severity.unwrap_or(ctx.case.severity),
    )
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

pub(super) fn skip_unless(s: &SkipUnless, ctx: &Ctx<'_>) -> Flow {
    let value = substitute(&s.value, &ctx.vars);
    let fits = !is_empty(&value)
        && s.matcher
            .as_ref()
            .is_none_or(|m| matcher::check(m, Some(&value), &ctx.vars).is_empty());
    if fits {
        Flow::Next
    } else {
        Flow::Skip(s.reason.clone())
    }
}

pub(super) fn check(c: &Check, ctx: &mut Ctx<'_>) {
    let value = match &c.value {
        Some(v) => substitute(v, &ctx.vars),
        // The last expected message; without one, its `expect` already reported the absence.
        None => match ctx.last_received.clone() {
            Some(m) => m,
            None => return,
        },
    };
    let m = &c.matcher;
    let mismatches = matcher::check(m, Some(&value), &ctx.vars);
    if !mismatches.is_empty() {
        let text: Vec<String> = mismatches.iter().take(4).map(|m| m.to_string()).collect();
        ctx.fail(
            &c.judgement,
            text.join("; "),
            Some(m.shown(&ctx.vars)),
            Some(value),
        );
    }
}

pub(super) async fn collect(c: &Collect, session: &mut Session, ctx: &mut Ctx<'_>) {
    let deadline = Instant::now() + Duration::from_millis(c.within_ms);
    let got = session.collect_until(c.kind, deadline).await;
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
}

pub(super) fn derive(d: &Derive, ctx: &mut Ctx<'_>) {
    let from = substitute(&d.from, &ctx.vars);
    let value = match d.how {
        DeriveHow::SchemaExample => example(&from, 0),
        DeriveHow::PromptArguments => prompt_arguments(&from),
        // An unset variable stays as its `${…}` text: no header.
        DeriveHow::AuthChallenge => crate::suite::auth_probe::parse_challenge(
            from.as_str().filter(|s| !s.starts_with("${")).unwrap_or(""),
            ctx.cfg.http.as_ref().map(|h| &h.url),
        ),
        DeriveHow::IdVariation => crate::suite::auth_probe::id_variation(&from),
        DeriveHow::IssuerPaths => crate::suite::auth_probe::issuer_paths(
            from.as_str().unwrap_or(""),
            ctx.cfg.http.as_ref().map(|h| &h.url),
        ),
        DeriveHow::HeaderArguments => super::header_probes::header_arguments(&from),
        DeriveHow::HeaderProbe => super::header_probes::header_probe(&from),
        DeriveHow::XMcpHeaders => super::header_probes::x_mcp_headers(&from),
    };
    ctx.vars.insert(d.into.clone(), value);
}

fn prompt_arguments(args: &Value) -> Value {
    let mut out = Map::new();
    for a in args.as_array().into_iter().flatten() {
        if a.get("required") == Some(&Value::Bool(true)) {
            if let Some(name) = a.get("name").and_then(Value::as_str) {
                out.insert(name.to_string(), json!("mcp-conform"));
            }
        }
    }
    Value::Object(out)
}

/// A small instance of a JSON Schema: `const`, `default`, first `examples`/`enum`
/// entry, else a value built from `type` and bounds. Best effort; depth-capped.
pub fn example(schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    let Some(s) = schema.as_object() else {
        return Value::Null;
    };
    for key in ["const", "default"] {
        if let Some(v) = s.get(key) {
            return v.clone();
        }
    }
    for key in ["examples", "enum"] {
        if let Some(v) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return v.clone();
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return example(first, depth + 1);
        }
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.contains_key("properties") => "object",
        _ => "null",
    };
    let bound = |k: &str| s.get(k).and_then(Value::as_f64);
    match ty {
        "object" => {
            let mut out = Map::new();
            let required = s.get("required").and_then(Value::as_array);
            for name in required.into_iter().flatten().filter_map(Value::as_str) {
                let sub = s
                    .get("properties")
                    .and_then(|p| p.get(name))
                    .cloned()
                    .unwrap_or(json!({"type": "string"}));
                out.insert(name.to_string(), example(&sub, depth + 1));
            }
            Value::Object(out)
        }
        "array" => {
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .min(8);
            let item = s
                .get("items")
                .map(|i| example(i, depth + 1))
                .unwrap_or(Value::Null);
            Value::Array((0..n).map(|_| item.clone()).collect())
        }
        "integer" => {
            let lo = bound("minimum")
                .or_else(|| bound("exclusiveMinimum").map(|m| m.floor() + 1.0))
                .unwrap_or(0.0)
                .max(bound("maximum").map_or(f64::MIN, |m| m.min(0.0)));
            json!(lo.ceil() as i64)
        }
        "number" => {
            let lo = bound("minimum")
                .or_else(|| bound("exclusiveMinimum").map(|m| m + 1.0))
                .unwrap_or(0.0);
            json!(lo)
        }
        "boolean" => json!(false),
        "string" => {
            let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            let base = match s.get("format").and_then(Value::as_str) {
                Some("uri") | Some("uri-reference") => "https://example.invalid/mcp-conform",
                Some("email") => "mcp-conform@example.invalid",
                Some("date-time") => "2026-01-01T00:00:00Z",
                Some("date") => "2026-01-01",
                _ => "mcp-conform",
            };
            let mut text = base.to_string();
            while text.len() < min {
                text.push('x');
            }
            json!(text)
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_satisfy_simple_schemas() {
        let s = json!({"type": "object", "properties": {
            "a": {"type": "number"}, "n": {"type": "integer", "minimum": 2},
            "e": {"enum": ["x", "y"]}, "t": {"type": "string", "minLength": 15},
            "o": {"type": "string"}}, "required": ["a", "n", "e", "t"]});
        let v = example(&s, 0);
        assert_eq!(
            v,
            json!({"a": 0.0, "n": 2, "e": "x", "t": "mcp-conformxxxx"})
        );
        assert!(crate::check::published::conforms(&s, &v).is_ok());
        assert_eq!(example(&json!({"type": "object"}), 0), json!({}));
        assert_eq!(example(&json!(null), 0), Value::Null);
    }

    #[test]
    fn prompt_arguments_fill_required_ones() {
        let args =
            json!([{"name": "a", "required": true}, {"name": "b"}, {"name": 3, "required": true}]);
        assert_eq!(prompt_arguments(&args), json!({"a": "mcp-conform"}));
        assert_eq!(prompt_arguments(&json!("x")), json!({}));
    }
}
