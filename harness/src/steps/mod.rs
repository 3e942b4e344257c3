//! The step interpreter: executes one case at the revision the suite chose
//! (`suite::plan`) — set up the session, run the steps, and turn what happened into a
//! verdict with evidence.
//!
//! This file holds the per-case state (`Ctx`), what a step tells the interpreter to do
//! next (`Flow`), the one dispatch over step kinds (`run_step`) and the run of a whole
//! case (`execute`). Each step kind is one function in the file of its family:
//!
//! | file | steps |
//! |---|---|
//! | `message.rs` | `send`, `send_raw`, `expect`, `expect_silence`, `cancel` |
//! | `http.rs` | `http`, `expect_http`, `break_stream`, `listen` |
//! | `process.rs` | `close_input`, `expect_exit` |
//! | `control.rs` | `for_each`, `skip_unless`, `check`, `sleep_ms` |
//! | `paginate.rs` | `paginate` |
//! | `collect.rs` | `collect` |
//! | `derive.rs` | `derive` (its computations, `header_probes` among them) |
//!
//! A family file imports only this module (`Ctx`, `Flow`, `StepResult`, `StepError`,
//! `substitute`, `note_failed_send`) and the layers below (`client`, `check`, `transport`); never another
//! family file.
//!
//! How to add a step kind:
//! 1. Add the variant to `Step` in `case/` with its struct, documented: the doc
//!    comments are the case format's reference. If the step judges, it carries a
//!    `Judgement` (flattened) and `case::judgements` lists it; the loader checks its
//!    matchers and cited ids.
//! 2. Write `pub(super) async fn NAME(step: &T, session: &mut Session, ctx: &mut Ctx<'_>)
//!    -> StepResult` in the family file it belongs to (a new file for a new family,
//!    declared below). Record broken expectations with `ctx.fail` (or `ctx.matches` for
//!    a matcher); return `Err` only when the harness cannot carry the step out.
//! 3. Add its arm to the match in `run_step` (the only list of step kinds here).
//! 4. Describe it in `cases/README.md` and bring `schemas/case.schema.json` up to date.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::{Case, Given, Judgement, Step, TransportKind};
use crate::check::matcher::{self, Mismatch, Vars};
use crate::check::Violation;
use crate::check::{finding, verdict_of};
use crate::client::session::{Handover, Session};
use crate::evidence::{Budget, Pool, CASE_FINDING_BYTES};
use crate::outcome::{CaseResult, Finding, Severity, Verdict};
use crate::revision::{ALL_REVISIONS, SESSION_REVISIONS};
use crate::transport::TransportError;

use crate::client::facts::Facts;
use crate::client::handshake::{handshake, Hello};
use crate::client::RunConfig;

pub mod auth_vars;
mod collect;
mod control;
mod derive;
mod http;
mod message;
mod paginate;
mod process;
mod shared;

pub use shared::Lane;

/// `${name}` substitution in case values (the template rules of matchers, written once
/// in `check::matcher`).
pub use crate::check::matcher::substitute;
use auth_vars as auth;

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

/// The result of a case that does not run, with the reason.
pub fn skipped(case: &Case, reason: String) -> CaseResult {
    CaseResult {
        verdict: Verdict::Skip,
        reason: Some(reason),
        ..base_result(case)
    }
}

/// Runs one case at `revision` (the suite's plan chose it) on a server of its own and
/// gives its verdict.
pub async fn execute(case: &Case, cfg: &RunConfig, facts: &Facts, revision: &str) -> CaseResult {
    execute_in(case, cfg, facts, revision, None).await
}

/// As [`execute`]; with a `lane`, a case that may share a server runs on the lane's
/// (see `shared`).
pub async fn execute_in(
    case: &Case,
    cfg: &RunConfig,
    facts: &Facts,
    revision: &str,
    lane: Option<&mut Lane>,
) -> CaseResult {
    let started = Instant::now();
    let budget = cfg.case_time_left();
    let mut result = if budget.is_zero() {
        harness_error(
            case,
            "not run: the run reached its time limit (--run-timeout) first".into(),
        )
    } else {
        match lane {
            Some(lane) if case.shares_server() => {
                shared::run_shared(case, cfg, facts, revision, budget, lane).await
            }
            _ => run_case(case, cfg, facts, revision, budget).await,
        }
    };
    result.revision = Some(revision.to_string());
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
    case: &'a Case,
    cfg: &'a RunConfig,
    vars: Vars,
    findings: Vec<Finding>,
    last_sent: Option<Value>,
    /// The message the last `expect` received (for `check` steps without a value).
    last_received: Option<Value>,
    /// HTTP exchanges named by `http` steps → exchange index.
    exchanges: BTreeMap<String, usize>,
    /// Set by a `skip_if` that held: the rest of the case is not run.
    skipped: Option<String>,
    /// Set by an `expect` with `on_timeout: cancel_and_skip` whose request went
    /// unanswered: the rest of the current `for_each` element (or of the case) is not run.
    item_skipped: Option<String>,
    /// Every `for_each` element passed over that way, with the reason (shown when the
    /// case passes on the others).
    passed_over: Vec<String>,
}

/// What the interpreter does after a step.
pub(super) enum Flow {
    Next,
    /// Stop here: the behaviour cannot be observed on this server (the reason says why).
    Skip(String),
}

/// What every step returns. `Err` means the harness could not carry the step out (not
/// a finding about the server).
pub(super) type StepResult = Result<Flow, StepError>;

/// Why the harness could not carry a step out. The case ends as `error` with this as
/// its reason, unless a finding explains more.
#[derive(Debug, thiserror::Error)]
pub(super) enum StepError {
    /// The step needs a transport the case does not run on (the case should have
    /// limited its `transports`).
    #[error("{step} needs {needs}")]
    WrongTransport {
        step: &'static str,
        needs: &'static str,
    },
    #[error("this step sends the --scoped-bearer token, which was not given")]
    NoScopedBearer,
    /// The transport could not start the request.
    #[error("{0}")]
    Send(TransportError),
    /// The transport could not break the stream (why).
    #[error("{0}")]
    BreakStream(String),
}

impl<'a> Ctx<'a> {
    /// The state before the first step: the built-in variables (revisions, the
    /// discovery result), the hints, `auth` and `target`.
    fn new(case: &'a Case, cfg: &'a RunConfig, facts: &Facts, revision: &str) -> Ctx<'a> {
        let mut vars = builtin_vars(facts, revision);
        vars.insert("hints".into(), cfg.hints.clone());
        vars.insert("auth".into(), auth::vars(cfg, facts.auth.as_ref()));
        vars.insert("target".into(), auth::target_vars(cfg));
        Ctx {
            case,
            cfg,
            vars,
            findings: Vec::new(),
            last_sent: None,
            last_received: None,
            exchanges: BTreeMap::new(),
            skipped: None,
            item_skipped: None,
            passed_over: Vec::new(),
        }
    }

    /// The requirement ids and severity a step's findings carry: its own, else the case's.
    fn judge(&self, j: &Judgement) -> (Vec<String>, Severity) {
        (
            j.requirements
                .clone()
                .unwrap_or_else(|| self.case.requirements.clone()),
            j.severity.unwrap_or(self.case.severity),
        )
    }

    /// Records a broken expectation of a step (prefixed with its `because`).
    fn fail(
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

    /// Judges `actual` against the matcher `m` (its templates rendered): a mismatch is a finding
    /// showing both. True when it matched.
    fn matches(&mut self, j: &Judgement, m: &matcher::Matcher, actual: &Value) -> bool {
        let mismatches = matcher::check(m, Some(actual), &self.vars);
        if mismatches.is_empty() {
            return true;
        }
        let text = mismatch_text(&mismatches);
        self.fail(j, text, Some(m.shown(&self.vars)), Some(actual.clone()));
        false
    }

    /// Captures variables from a received document: name → JSON pointer. A pointer
    /// that leads nowhere is a finding.
    fn capture(&mut self, j: &Judgement, capture: &BTreeMap<String, String>, doc: &Value) {
        for (name, pointer) in capture {
            match doc.pointer(pointer) {
                Some(v) => {
                    self.vars.insert(name.clone(), v.clone());
                }
                None => self.fail(
                    j,
                    format!("nothing at {pointer} to capture as `{name}`"),
                    None,
                    Some(doc.clone()),
                ),
            }
        }
    }

    /// Applies a `skip_if` matcher to what was received: when it holds, the rest of the
    /// case cannot observe its subject, so the case ends as skipped (`because` says why).
    fn skip_if(
        &mut self,
        skip_if: Option<&matcher::Matcher>,
        doc: &Value,
        j: &Judgement,
        session: &mut Session,
    ) -> bool {
        let Some(skip) = skip_if else {
            return false;
        };
        if !matcher::check(skip, Some(doc), &self.vars).is_empty() {
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

    /// How long a step waits: its own `within_ms`, else the run's timeout.
    fn wait(&self, within_ms: Option<u64>) -> Duration {
        Duration::from_millis(within_ms.unwrap_or(self.cfg.timeout.as_millis() as u64))
    }
}

/// A failed write is evidence about the server (it closed or stopped reading), so it
/// is noted in the transcript; the following expectation will then report what is
/// missing.
fn note_failed_send(res: Result<(), TransportError>, session: &mut Session) {
    if let Err(e) = res {
        session.note(format!("send failed: {e}"));
    }
}

/// The text of a failed match: its first four mismatches, joined.
fn mismatch_text(mismatches: &[Mismatch]) -> String {
    let text: Vec<String> = mismatches.iter().take(4).map(|m| m.to_string()).collect();
    text.join("; ")
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

/// Runs a case within `budget`: setup and steps; when the budget runs out they stop
/// where they are and the case ends as `error`, with the transcript and the server's
/// diagnostics gathered so far. The teardown after is bounded on its own.
async fn run_case(
    case: &Case,
    cfg: &RunConfig,
    facts: &Facts,
    revision: &str,
    budget: Duration,
) -> CaseResult {
    let client_caps = case
        .client_capabilities
        .clone()
        .unwrap_or_else(|| json!({}));
    let mut ctx = Ctx::new(case, cfg, facts, revision);
    if let Some(reason) = decided_before_start(&case.steps, &ctx) {
        return skipped(case, reason);
    }
    let slot = cfg.startup_slot().await;
    // `_sandbox` (a case's own `{root}`, if the command names one) lives until the
    // server process is gone.
    let (transport, _sandbox) = match cfg.connect_for_case() {
        Ok(t) => t,
        Err(e) => return harness_error(case, e.to_string()),
    };
    let mut session = cfg.session(transport, client_caps.clone(), slot);
    session.set_revision(revision);

    let body = run_body(case, &mut session, &mut ctx, &client_caps, revision);
    let ended = match tokio::time::timeout(budget, body).await {
        Ok(ended) => ended,
        Err(_) => {
            let why = format!("the case did not finish within {} s", budget.as_secs());
            session.note(format!("stopped: {why}"));
            Ended::Error(why)
        }
    };

    conclude(ctx, ended, gather(session).await)
}

/// Ends a session whose server goes with its case: what it gathered. What is already
/// buffered is judged first, so a late refusal is seen too.
async fn gather(mut session: Session) -> Gathered {
    session.settle().await;
    let refusals = session.refusals();
    let (transcript, stderr, violations) = session.finish().await;
    Gathered {
        transcript,
        stderr,
        violations,
        refusals,
    }
}

/// What a case's session gathered, for its result.
struct Gathered {
    transcript: Vec<crate::outcome::TranscriptEntry>,
    stderr: String,
    violations: Vec<Violation>,
    refusals: Vec<String>,
}

impl From<Handover> for Gathered {
    fn from(h: Handover) -> Gathered {
        Gathered {
            transcript: h.transcript,
            stderr: h.stderr,
            violations: h.violations,
            refusals: h.refusals,
        }
    }
}

/// The result of a case from how its steps ended and what its session gathered.
fn conclude(ctx: Ctx<'_>, ended: Ended, g: Gathered) -> CaseResult {
    let cfg = ctx.cfg;
    let mut findings = with_violations(ctx.findings, g.violations, cfg.transport_kind());
    bound_findings(&mut findings, &cfg.evidence);
    let (verdict, reason) = if g.refusals.is_empty() {
        verdict(&findings, ended, &ctx.passed_over)
    } else {
        // The harness's own safety policy refused something: what followed (a send that
        // failed, an answer that never came) says nothing about the server's rules.
        (Verdict::Error, Some(g.refusals.join("; ")))
    };
    CaseResult {
        verdict,
        reason,
        findings,
        transcript: g.transcript,
        stderr: g.stderr,
        ..base_result(ctx.case)
    }
}

/// The skip reason of a case whose first `skip_unless` steps already decide, from
/// what is known before any server starts (hints, the probe's facts, the revision),
/// that it cannot observe its subject; `None` when a server is needed to know.
fn decided_before_start(steps: &[Step], ctx: &Ctx<'_>) -> Option<String> {
    for step in steps {
        let Step::SkipUnless(s) = step else {
            return None;
        };
        let mut names = matcher::references(&s.value);
        if let Some(m) = &s.matcher {
            names.extend(matcher::references(m.source()));
        }
        if !names.iter().all(|n| ctx.vars.contains_key(n)) {
            return None;
        }
        if let Ok(Flow::Skip(reason)) = control::skip_unless(s, ctx) {
            return Some(reason);
        }
    }
    None
}

/// Setup, then the steps.
async fn run_body(
    case: &Case,
    session: &mut Session,
    ctx: &mut Ctx<'_>,
    client_caps: &Value,
    revision: &str,
) -> Ended {
    let wait = ctx.cfg.timeout;
    match setup(session, case.given, revision, client_caps, wait).await {
        Ok(init) => {
            if let Some(init) = init {
                ctx.vars.insert("init_result".into(), init);
            }
            run_steps(&case.steps, session, ctx).await
        }
        Err(e) => Ended::Error(e),
    }
}

/// Most findings one case reports; a server that breaks a rule in every message of a
/// flood repeats itself.
const FINDINGS_CAP: usize = 100;
/// Longest diff a finding keeps (characters).
const DIFF_CAP: usize = 16 * 1024;

/// Keeps a case's findings within the evidence budgets: at most [`FINDINGS_CAP`],
/// large values elided (see `evidence`), long diffs cut.
fn bound_findings(findings: &mut Vec<Finding>, pool: &Pool) {
    if findings.len() > FINDINGS_CAP {
        let left_out = findings.len() - FINDINGS_CAP;
        findings.truncate(FINDINGS_CAP);
        if let Some(last) = findings.last_mut() {
            last.message
                .push_str(&format!(" (and {left_out} further findings not kept)"));
        }
    }
    let mut budget = Budget::new(CASE_FINDING_BYTES, pool.clone());
    for f in findings.iter_mut() {
        for value in [&mut f.sent, &mut f.expected, &mut f.actual] {
            if let Some(v) = value.take() {
                *value = Some(budget.keep_or_elide(v));
            }
        }
        if let Some(diff) = &mut f.diff {
            if diff.len() > DIFF_CAP {
                let cut: String = diff.chars().take(DIFF_CAP).collect();
                *diff = format!("{cut}\n… (diff cut at {DIFF_CAP} characters)");
            }
        }
    }
}

/// How the steps of a case ended.
enum Ended {
    /// Every step ran, or a MUST expectation failed and the rest were left out.
    Done,
    /// The rest of the case could not observe its subject on this server (why).
    Skipped(String),
    /// The harness could not set the session up or carry a step out (why).
    Error(String),
}

/// Runs the steps in order until one fails a MUST, skips the case or cannot be carried out.
async fn run_steps(steps: &[Step], session: &mut Session, ctx: &mut Ctx<'_>) -> Ended {
    for step in steps {
        if ctx.must_failed() {
            break;
        }
        match run_step(step, session, ctx).await {
            Ok(Flow::Next) => {
                let passed_over = ctx
                    .item_skipped
                    .take()
                    .map(|why| format!("nothing could be judged: {why}"));
                if let Some(reason) = ctx.skipped.take().or(passed_over) {
                    return Ended::Skipped(reason);
                }
            }
            Ok(Flow::Skip(reason)) => return Ended::Skipped(reason),
            Err(e) => return Ended::Error(e.to_string()),
        }
    }
    Ended::Done
}

/// The steps' findings, then each rule the session judged on its own that no step
/// already reported, every one citing only the rules of the transport `kind`.
fn with_violations(
    mut findings: Vec<Finding>,
    violations: Vec<Violation>,
    kind: TransportKind,
) -> Vec<Finding> {
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
    for f in &mut findings {
        f.requirements = for_transport(&f.requirements, kind);
    }
    findings
}

/// The verdict of a case whose run the harness did not refuse, and its reason.
fn verdict(
    findings: &[Finding],
    ended: Ended,
    passed_over: &[String],
) -> (Verdict, Option<String>) {
    match ended {
        // A broken wire rule explains a failed setup better than the setup error does.
        Ended::Error(e) if findings.is_empty() => (Verdict::Error, Some(e)),
        // Nothing observed that could pass or fail: not a pass.
        Ended::Skipped(reason) if findings.is_empty() => (Verdict::Skip, Some(reason)),
        _ => {
            let reason = findings.first().map(|f| {
                let reqs = f.requirements.join(", ");
                format!("[{reqs}] {}", f.message)
            });
            let reason = reason.or_else(|| {
                (!passed_over.is_empty()).then(|| format!("not judged: {}", passed_over.join("; ")))
            });
            (verdict_of(findings), reason)
        }
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
    let init = handshake(session, &hello)
        .await
        .map_err(|e| format!("setup: {e}"))?;
    if given == Given::Initialized && crate::revision::is_modern(revision) {
        // Nothing is exchanged before the steps at this revision: make sure the server
        // runs before the first step's wait starts.
        session.await_ready(wait).await;
    }
    Ok(init)
}

type StepFuture<'a> = Pin<Box<dyn Future<Output = StepResult> + Send + 'a>>;

/// Runs one step: the one list of step kinds, each carried out by its family's file.
fn run_step<'a, 'c: 'a>(
    step: &'a Step,
    session: &'a mut Session,
    ctx: &'a mut Ctx<'c>,
) -> StepFuture<'a> {
    Box::pin(async move {
        match step {
            Step::Send(msg) => message::send(msg, session, ctx).await,
            Step::SendRaw(text) => message::send_raw(text, session, ctx).await,
            Step::Expect(e) => message::expect(e, session, ctx).await,
            Step::ExpectSilence(s) => message::expect_silence(s, session, ctx).await,
            Step::Cancel(c) => message::cancel(c, session, ctx).await,
            Step::Http(h) => http::http(h, session, ctx).await,
            Step::ExpectHttp(e) => http::expect_http(e, session, ctx).await,
            Step::BreakStream(b) => http::break_stream(b, session, ctx),
            Step::Listen {} => http::listen(session, ctx).await,
            Step::CloseInput {} => process::close_input(session),
            Step::ExpectExit(e) => process::expect_exit(e, session, ctx).await,
            Step::SleepMs(ms) => control::sleep_ms(*ms).await,
            Step::ForEach(f) => control::for_each(f, session, ctx).await,
            Step::SkipUnless(s) => control::skip_unless(s, ctx),
            Step::Check(c) => control::check(c, ctx),
            Step::Paginate(p) => paginate::paginate(p, session, ctx).await,
            Step::Collect(c) => collect::collect(c, session, ctx).await,
            Step::Derive(d) => derive::derive(d, ctx),
        }
    })
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
