//! Executes one case: decide whether it applies, set up the session, interpret the
//! steps, and turn what happened into a verdict with evidence.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::{
    Cancel, Case, ExitExpect, Expect, ForEach, Given, Judgement, OnTimeout, Silence, Step,
    TransportKind,
};
use crate::check::matcher::{self, lookup, Vars};
use crate::check::{finding, verdict_of};
use crate::client::session::{Session, Unanswered};
use crate::outcome::{CaseResult, Finding, Severity, Verdict};
use crate::revision::{is_modern, ALL_REVISIONS, SESSION_REVISIONS};

use crate::client::handshake::{handshake, Hello};
use crate::client::RunConfig;
use crate::suite::auth_probe as auth;
use crate::suite::preflight::Facts;

pub mod discover;
mod header_probes;
mod http;
pub mod substitute;

use http as http_steps;
pub use substitute::substitute;

fn base_result(case: &Case) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        title: case.title.clone(),
        area: case.area().to_string(),
        requirements: case.requirements.clone(),
        severity: case.severity,
        file: case.file.clone(),
        revision: None,
        verdict: Verdict::Skip,
        reason: None,
        duration_ms: 0,
        findings: Vec::new(),
        transcript: Vec::new(),
        stderr: String::new(),
    }
}

pub fn harness_error(case: &Case, reason: String) -> CaseResult {
    CaseResult {
        verdict: Verdict::Error,
        reason: Some(reason),
        ..base_result(case)
    }
}

fn skipped(case: &Case, reason: String) -> CaseResult {
    CaseResult {
        verdict: Verdict::Skip,
        reason: Some(reason),
        ..base_result(case)
    }
}

/// Why a case does not run against this server, or the revision it runs at.
pub fn plan(case: &Case, cfg: &RunConfig, facts: &Facts) -> Result<String, String> {
    let kind = cfg.transport_kind();
    if !case.applies_to_transport(kind) {
        return Err(format!("does not apply to the {} transport", kind.as_str()));
    }
    if let Some(why) = auth::blocked(case, cfg, facts.auth.as_ref()) {
        return Err(why);
    }
    let wanted = case.revisions.members();
    if let Some(pin) = &cfg.revision_pin {
        if !wanted.contains(&pin.as_str()) {
            return Err(format!(
                "applies to {}; the run is pinned to {pin}",
                case.revisions.describe()
            ));
        }
    }
    let runnable = facts.runnable();
    let candidates: Vec<&String> = runnable
        .iter()
        .filter(|r| wanted.contains(&r.as_str()))
        .filter(|r| cfg.revision_pin.as_ref().is_none_or(|p| p == *r))
        .collect();
    // Without a token, a server that demands one answers no probe: the `auth` cases,
    // which are about exactly that, run at the newest revision they apply to. (Not when
    // the probes were answered: then the server's revisions are known, and a case for
    // other revisions skips.)
    if candidates.is_empty()
        && runnable.is_empty()
        && case.area() == "auth"
        && facts.auth.as_ref().is_some_and(|a| a.demands_token())
    {
        if let Some(newest) = wanted
            .iter()
            .rev()
            .find(|r| cfg.revision_pin.as_ref().is_none_or(|p| p == *r))
        {
            return Ok(newest.to_string());
        }
    }
    // A server that answers `initialize` but echoes no revision still gets the cases
    // that start from a fresh process: they are what shows it is broken.
    // (Not for a stateless-only server that refuses `initialize`: it is of another era.)
    let answers_initialize = facts.outcomes.values().any(|o| o.result.is_some());
    if candidates.is_empty()
        && facts.supported.is_empty()
        && (facts.modern.is_empty() || answers_initialize)
        && case.given == Given::Fresh
        && wanted.iter().all(|r| !is_modern(r))
    {
        if let Some(newest) = wanted.last() {
            return Ok(newest.to_string());
        }
    }
    let Some(revision) = candidates.last() else {
        let supported = if runnable.is_empty() {
            "none".to_string()
        } else {
            runnable.join(", ")
        };
        return Err(format!(
            "applies to {}; the server supports {supported}",
            case.revisions.describe()
        ));
    };
    for need in &case.requires {
        let declared = facts
            .init_result(revision)
            .and_then(|r| r.get("capabilities"))
            .is_some_and(|caps| capability_declared(caps, need));
        if !declared {
            return Err(format!("capability `{need}` not declared by the server"));
        }
    }
    Ok((*revision).clone())
}

/// A dotted path into `capabilities`; a sub-flag (e.g. `resources.subscribe`) must be `true`.
fn capability_declared(caps: &Value, path: &str) -> bool {
    let mut cur = caps;
    for part in path.split('.') {
        match cur.get(part) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    !cur.is_null() && cur != &Value::Bool(false)
}

pub async fn execute(case: &Case, cfg: &RunConfig, facts: &Facts) -> CaseResult {
    let revision = match plan(case, cfg, facts) {
        Ok(r) => r,
        Err(reason) => return skipped(case, reason),
    };
    let started = Instant::now();
    let mut result =
        match tokio::time::timeout(cfg.case_budget, run_case(case, cfg, facts, &revision)).await {
            Ok(r) => r,
            Err(_) => harness_error(
                case,
                format!(
                    "the case did not finish within {} s",
                    cfg.case_budget.as_secs()
                ),
            ),
        };
    result.revision = Some(revision);
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.requirements = for_transport(&result.requirements, cfg.transport_kind());
    result
}

/// A case may cite rules of several transports (RPC-10 with STDIO-09, say); a result
/// names only those of the transport it ran on, unless that would leave none.
fn for_transport(ids: &[String], kind: TransportKind) -> Vec<String> {
    let foreign = |id: &String| match kind {
        TransportKind::Stdio => id.starts_with("HTTP-") || id.starts_with("SSE-"),
        TransportKind::StreamableHttp => id.starts_with("STDIO-") || id.starts_with("SSE-"),
        TransportKind::Sse => id.starts_with("STDIO-"),
    };
    let kept: Vec<String> = ids.iter().filter(|id| !foreign(id)).cloned().collect();
    if kept.is_empty() {
        ids.to_vec()
    } else {
        kept
    }
}

/// Per-case state while the steps run.
pub(super) struct Ctx<'a> {
    pub(super) case: &'a Case,
    pub(super) cfg: &'a RunConfig,
    pub(super) vars: Vars,
    pub(super) findings: Vec<Finding>,
    pub(super) last_sent: Option<Value>,
    /// The message the last `expect` received (for `check` steps without a value).
    pub(super) last_received: Option<Value>,
    /// HTTP exchanges named by `http` steps → exchange index.
    pub(super) exchanges: BTreeMap<String, usize>,
    /// Set by a `skip_if` that held: the rest of the case is not run.
    pub(super) skipped: Option<String>,
    /// Set by an `expect` with `on_timeout: cancel_and_skip` whose request went
    /// unanswered: the rest of the current `for_each` element (or of the case) is not run.
    pub(super) item_skipped: Option<String>,
    /// Every `for_each` element passed over that way, with the reason (shown when the
    /// case passes on the others).
    pub(super) passed_over: Vec<String>,
}

/// What the interpreter does after a step.
pub(super) enum Flow {
    Next,
    /// Stop here: the behaviour cannot be observed on this server (the reason says why).
    Skip(String),
}

/// Default cap on `for_each` iterations.
const FOR_EACH_CAP: usize = 20;

impl Ctx<'_> {
    fn judge(&self, j: &Judgement) -> (Vec<String>, Severity) {
        (
            j.requirements
                .clone()
                .unwrap_or_else(|| self.case.requirements.clone()),
            j.severity.unwrap_or(self.case.severity),
        )
    }

    pub(super) fn fail(
        &mut self,
        j: &Judgement,
        message: String,
        expected: Option<Value>,
        actual: Option<Value>,
    ) {
        let (reqs, sev) = self.judge(j);
        let message = match &j.because {
            Some(b) => format!("{b} — {message}"),
            None => message,
        };
        self.findings.push(finding(
            &reqs,
            sev,
            message,
            self.last_sent.clone(),
            expected,
            actual,
        ));
    }

    /// Applies a `skip_if` matcher to what was received: when it holds, the rest of the
    /// case cannot observe its subject, so the case ends as skipped (`because` says why).
    pub(super) fn skip_if(
        &mut self,
        skip_if: Option<&Value>,
        doc: &Value,
        j: &Judgement,
        session: &mut Session,
    ) -> bool {
        let Some(skip) = skip_if else {
            return false;
        };
        let skip = substitute(skip, &self.vars);
        if !matcher::check(&skip, Some(doc), &self.vars).is_empty() {
            return false;
        }
        let why = j
            .because
            .clone()
            .unwrap_or_else(|| "the server's answer leaves nothing to observe".into());
        session.note(format!("skipping the rest of the case: {why}"));
        self.skipped = Some(why);
        true
    }

    /// True once a MUST expectation has failed: later steps would only pile up noise.
    fn must_failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Must)
    }
}

fn builtin_vars(facts: &Facts, revision: &str) -> Vars {
    let mut vars = Vars::new();
    vars.insert("revision".into(), json!(revision));
    vars.insert("supported_revisions".into(), json!(facts.supported));
    vars.insert("newest_revision".into(), json!(facts.newest_supported()));
    vars.insert("known_revisions".into(), json!(ALL_REVISIONS));
    vars.insert("session_revisions".into(), json!(SESSION_REVISIONS));
    vars.insert("modern_revisions".into(), json!(facts.modern));
    vars.insert(
        "discover_result".into(),
        facts
            .discover
            .as_ref()
            .and_then(|d| d.result.clone())
            .unwrap_or(Value::Null),
    );
    vars
}

async fn run_case(case: &Case, cfg: &RunConfig, facts: &Facts, revision: &str) -> CaseResult {
    // `_sandbox` (a case's own `{root}`, if the command names one) lives until the
    // server process is gone.
    let (transport, _sandbox) = match cfg.connect_for_case() {
        Ok(t) => t,
        Err(e) => return harness_error(case, e),
    };
    let client_caps = case
        .client_capabilities
        .clone()
        .unwrap_or_else(|| json!({}));
    let mut session = Session::new(transport, client_caps.clone());
    session.set_revision(revision);
    let mut ctx = Ctx {
        case,
        cfg,
        vars: {
            let mut v = builtin_vars(facts, revision);
            v.insert("hints".into(), cfg.hints.clone());
            v.insert("auth".into(), auth::vars(cfg, facts.auth.as_ref()));
            v.insert("target".into(), auth::target_vars(cfg));
            v
        },
        findings: Vec::new(),
        last_sent: None,
        last_received: None,
        exchanges: BTreeMap::new(),
        skipped: None,
        item_skipped: None,
        passed_over: Vec::new(),
    };

    let setup = setup(
        &mut session,
        case.given,
        revision,
        &client_caps,
        cfg.timeout,
    )
    .await;
    let mut setup_error = None;
    let mut skip_reason = None;
    match setup {
        Ok(Some(init)) => {
            ctx.vars.insert("init_result".into(), init);
        }
        Ok(None) => {}
        Err(e) => setup_error = Some(e),
    }
    if setup_error.is_none() {
        for step in &case.steps {
            if ctx.must_failed() {
                break;
            }
            match run_step(step, &mut session, &mut ctx).await {
                Ok(Flow::Next) => {
                    let passed_over = ctx
                        .item_skipped
                        .take()
                        .map(|why| format!("nothing could be judged: {why}"));
                    if let Some(reason) = ctx.skipped.take().or(passed_over) {
                        skip_reason = Some(reason);
                        break;
                    }
                }
                Ok(Flow::Skip(reason)) => {
                    skip_reason = Some(reason);
                    break;
                }
                Err(e) => {
                    setup_error = Some(e);
                    break;
                }
            }
        }
    }

    // Judge what is already buffered, so a late refusal is seen too.
    session.settle().await;
    let refusals = session.refusals().to_vec();
    let (transcript, stderr, violations) = session.finish().await;
    let mut findings = ctx.findings;
    for v in violations {
        let message = v.message.clone();
        if !findings.iter().any(|f| f.message == message) {
            findings.push(finding(
                &v.requirements,
                v.severity,
                message,
                None,
                None,
                Some(v.evidence),
            ));
        }
    }
    let kind = cfg.transport_kind();
    for f in &mut findings {
        f.requirements = for_transport(&f.requirements, kind);
    }
    let (verdict, reason) = match setup_error {
        // The harness's own safety policy refused something: what followed (a send that
        // failed, an answer that never came) says nothing about the server's rules.
        _ if !refusals.is_empty() => (Verdict::Error, Some(refusals.join("; "))),
        // A broken wire rule explains a failed setup better than the setup error does.
        Some(e) if findings.is_empty() => (Verdict::Error, Some(e)),
        // Nothing observed that could pass or fail: not a pass.
        None if findings.is_empty() && skip_reason.is_some() => (Verdict::Skip, skip_reason),
        _ => {
            let verdict = verdict_of(&findings);
            let reason = findings.first().map(|f| {
                let reqs = f.requirements.join(", ");
                format!("[{reqs}] {}", f.message)
            });
            let reason = reason.or_else(|| {
                (!ctx.passed_over.is_empty())
                    .then(|| format!("not judged: {}", ctx.passed_over.join("; ")))
            });
            (verdict, reason)
        }
    };
    CaseResult {
        verdict,
        reason,
        findings,
        transcript,
        stderr,
        ..base_result(case)
    }
}

/// Brings the session to the case's starting state. Returns the initialize result.
async fn setup(
    session: &mut Session,
    given: Given,
    revision: &str,
    client_caps: &Value,
    wait: Duration,
) -> Result<Option<Value>, String> {
    let hello = Hello {
        revision,
        client_capabilities: client_caps,
        stage: given.into(),
        wait,
        require_echo: true,
    };
    handshake(session, &hello)
        .await
        .map_err(|e| format!("setup: {e}"))
}

type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<Flow, String>> + Send + 'a>>;

/// Runs one step. `Err` means the harness could not carry it out (not a finding).
pub(super) fn run_step<'a, 'c: 'a>(
    step: &'a Step,
    session: &'a mut Session,
    ctx: &'a mut Ctx<'c>,
) -> StepFuture<'a> {
    Box::pin(async move {
        match step {
            Step::Send(msg) => {
                let msg = substitute(msg, &ctx.vars);
                ctx.last_sent = Some(session.decorate(&msg));
                send_or_note(session.send(&msg).await, session, ctx)?;
            }
            Step::SendRaw(text) => {
                ctx.last_sent = Some(Value::String(text.clone()));
                send_or_note(session.send_raw(text).await, session, ctx)?;
            }
            Step::Expect(e) => expect(e, session, ctx).await,
            Step::ExpectSilence(s) => silence(s, session, ctx).await,
            Step::CloseInput {} => match session.transport().as_stdio() {
                Some(t) => {
                    t.close_stdin();
                    session.note("closed the server's stdin");
                }
                None => return Err("`close_input` needs the stdio transport".into()),
            },
            Step::Http(h) => http_steps::http(h, session, ctx).await?,
            Step::ExpectHttp(e) => http_steps::expect_http(e, session, ctx).await?,
            Step::BreakStream(b) => http_steps::break_stream(b, session, ctx)?,
            Step::Cancel(c) => cancel(c, session, ctx).await?,
            Step::ExpectExit(e) => expect_exit(e, session, ctx).await,
            Step::SleepMs(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
            Step::Listen {} => http_steps::listen(session, ctx).await,
            Step::Paginate(p) => discover::paginate(p, session, ctx).await,
            Step::ForEach(f) => return for_each(f, session, ctx).await,
            Step::SkipUnless(s) => return Ok(discover::skip_unless(s, ctx)),
            Step::Check(c) => discover::check(c, ctx),
            Step::Collect(c) => discover::collect(c, session, ctx).await,
            Step::Derive(d) => discover::derive(d, ctx),
        }
        Ok(Flow::Next)
    })
}

async fn for_each(f: &ForEach, session: &mut Session, ctx: &mut Ctx<'_>) -> Result<Flow, String> {
    let items: Vec<Value> = match lookup(&ctx.vars, &f.items) {
        Some(Value::Array(xs)) => xs.clone(),
        _ => Vec::new(),
    };
    let selected: Vec<Value> = items
        .into_iter()
        .filter(|x| {
            f.filter.as_ref().is_none_or(|m| {
                matcher::check(&substitute(m, &ctx.vars), Some(x), &ctx.vars).is_empty()
            })
        })
        .take(f.max.unwrap_or(FOR_EACH_CAP))
        .collect();
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

/// A failed write is evidence about the server (it closed or stopped reading), so it
/// is recorded; the following expectation will then report what is missing.
/// Cancels a request. At 2026-07-28 over Streamable HTTP closing the request's
/// response stream is the cancellation (no notification exists there); on stdio, and
/// in the session-based revisions, the client says so with `notifications/cancelled`.
async fn cancel(c: &Cancel, session: &mut Session, ctx: &mut Ctx<'_>) -> Result<(), String> {
    let id = substitute(&c.request_id, &ctx.vars);
    cancel_request(id, c.reason.as_deref(), session, ctx).await
}

async fn cancel_request(
    id: Value,
    reason: Option<&str>,
    session: &mut Session,
    ctx: &mut Ctx<'_>,
) -> Result<(), String> {
    let stateless = session.request_meta().is_some();
    if let (true, Some(t)) = (stateless, session.transport().as_http()) {
        t.break_stream(&id)?;
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
    send_or_note(session.send(&msg).await, session, ctx)
}

fn send_or_note(
    res: Result<(), crate::transport::TransportError>,
    session: &mut Session,
    _ctx: &mut Ctx<'_>,
) -> Result<(), String> {
    if let Err(e) = res {
        session.note(format!("send failed: {e}"));
    }
    Ok(())
}

pub(super) async fn expect(e: &Expect, session: &mut Session, ctx: &mut Ctx<'_>) {
    let wait = Duration::from_millis(e.within_ms.unwrap_or(ctx.cfg.timeout.as_millis() as u64));
    let matcher = e.matcher.as_ref().map(|m| substitute(m, &ctx.vars));
    let started = Instant::now();
    let deadline = started + wait;
    let id = e.id.as_ref().map(|id| substitute(id, &ctx.vars));
    let received = session.reply(id.as_ref(), e.kind, deadline).await;
    ctx.last_received = received.as_ref().ok().cloned();
    let msg = match received {
        Ok(msg) => {
            if let Some(name) = &e.elapsed_into {
                ctx.vars
                    .insert(name.clone(), json!(started.elapsed().as_millis() as u64));
            }
            msg
        }
        Err(Unanswered::Timeout) if e.on_timeout == OnTimeout::CancelAndSkip && id.is_some() => {
            let id = id.unwrap_or(Value::Null);
            let why = format!(
                "request {} got no answer within {} ms and was cancelled",
                matcher::compact(&id),
                wait.as_millis()
            );
            // A failed cancellation is noted by `send_or_note`; nothing else to do.
            let _ = cancel_request(
                id,
                Some("mcp-conform: no answer within its wait"),
                session,
                ctx,
            )
            .await;
            session.note(format!("{why} (not judged)"));
            ctx.item_skipped = Some(why);
            return;
        }
        Err(unanswered) => {
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
            return;
        }
    };
    if ctx.skip_if(e.skip_if.as_ref(), &msg, &e.judgement, session) {
        return;
    }
    if let Some(m) = &matcher {
        let mismatches = matcher::check(m, Some(&msg), &ctx.vars);
        if !mismatches.is_empty() {
            let text: Vec<String> = mismatches.iter().take(4).map(|m| m.to_string()).collect();
            ctx.fail(&e.judgement, text.join("; "), Some(m.clone()), Some(msg));
            return;
        }
    }
    for (name, pointer) in &e.capture {
        match msg.pointer(pointer) {
            Some(v) => {
                ctx.vars.insert(name.clone(), v.clone());
            }
            None => {
                ctx.fail(
                    &e.judgement,
                    format!("nothing at {pointer} to capture as `{name}`"),
                    None,
                    Some(msg.clone()),
                );
            }
        }
    }
}

async fn silence(s: &Silence, session: &mut Session, ctx: &mut Ctx<'_>) {
    let extra = s
        .plus_ms_of
        .as_ref()
        .and_then(|name| lookup(&ctx.vars, name))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let window = s.within_ms.saturating_add(extra);
    let got = session
        .collect_until(s.kind, Instant::now() + Duration::from_millis(window))
        .await;
    let matcher = s.matcher.as_ref().map(|m| substitute(m, &ctx.vars));
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
}

async fn expect_exit(e: &ExitExpect, session: &mut Session, ctx: &mut Ctx<'_>) {
    let wait = Duration::from_millis(e.within_ms);
    let exited = match session.transport().as_stdio() {
        Some(t) => t.wait_exit(wait).await,
        None => Some("(no process to watch over HTTP)".to_string()),
    };
    match exited {
        Some(desc) => session.note(desc),
        None => ctx.fail(
            &e.judgement,
            format!(
                "the server process was still running {} ms later",
                e.within_ms
            ),
            None,
            None,
        ),
    }
}

#[cfg(test)]
mod transport_citation_tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn results_cite_only_the_rules_of_their_transport() {
        let both = ids(&["RPC-10", "STDIO-09"]);
        assert_eq!(for_transport(&both, TransportKind::Stdio), both);
        assert_eq!(
            for_transport(&both, TransportKind::StreamableHttp),
            ids(&["RPC-10"])
        );
        let sse = ids(&["SSE-04", "HTTP-02"]);
        assert_eq!(for_transport(&sse, TransportKind::Sse), sse);
        assert_eq!(
            for_transport(&sse, TransportKind::StreamableHttp),
            ids(&["HTTP-02"])
        );
        // Never an empty list: a stdio-only citation stays as it is.
        let only = ids(&["STDIO-01"]);
        assert_eq!(for_transport(&only, TransportKind::Sse), only);
    }
}

#[cfg(test)]
mod for_each_tests {
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
