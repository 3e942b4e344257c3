//! Path-traversal probes: a temp sandbox with canary files outside the server's
//! root ([`sandbox`]), probe families of path strings ([`probes`]) sent to every
//! tool argument that takes a path or URI and to `resources/read`, and an oracle
//! that only counts canary content (or a file name no probe named) coming back
//! ([`oracle`]).
//!
//! Like the fuzzer, traversal is a campaign outside the YAML cases: one
//! [`CaseResult`] per family (`traversal.<family>`, area `traversal`) is appended to
//! the report. Requirement ids: TOOL-15 for tool probes, RES-10 for resource probes.

pub mod oracle;
pub mod probes;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::case::MessageKind;
use crate::client::handshake::{campaign_capabilities, Stage};
use crate::client::{Connection, RunConfig};
use crate::outcome::{CaseResult, Direction, Finding, Severity, TranscriptEntry, Verdict};

use crate::sandbox::{Sandbox, ALLOWED_TEXT};
pub use probes::Family;
use probes::{Probe, Shape};

/// Default time budget of all traversal families together.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(180);
/// Unanswered probes after which a target is given up for the rest of a family.
const GIVE_UP_AFTER: usize = 3;
/// Most leak findings kept per family.
const MAX_FINDINGS: usize = 8;
/// Most resource templates probed.
const MAX_TEMPLATES: usize = 5;
/// Most list pages followed.
const MAX_PAGES: usize = 20;

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct TraversalConfig {
    /// The sandbox; `None` when there is none (then every family skips with `unavailable`).
    pub sandbox: Option<Arc<Sandbox>>,
    /// Why there is no sandbox, and how to get one.
    pub unavailable: String,
    /// The families selected by `--only`/`--skip`.
    pub families: Vec<Family>,
    pub allow_destructive: bool,
    /// The user's hints (`traversal: {tools: {NAME: [ARG, …]}}` is read here).
    pub hints: Value,
    pub budget: Duration,
}

/// What every traversal family checks: tool inputs are validated (TOOL-15) and
/// resource paths cannot escape their root (RES-10).
pub const REQUIREMENTS: [&str; 2] = ["TOOL-15", "RES-10"];

/// The traversal part of a report.
#[derive(Debug, Default)]
pub struct TraversalRun {
    pub results: Vec<CaseResult>,
    pub notes: Vec<String>,
}

fn base(family: Family, revision: Option<&str>) -> CaseResult {
    CaseResult::generated(
        (family.id(), format!("Path traversal: {}", family.title())),
        "traversal",
        &REQUIREMENTS,
        "(generated: traversal probes)",
        revision,
    )
}

/// Every selected family skipped with one reason.
pub fn skipped_all(families: &[Family], revision: Option<&str>, why: &str) -> Vec<CaseResult> {
    families
        .iter()
        .map(|f| CaseResult {
            verdict: Verdict::Skip,
            reason: Some(why.to_string()),
            ..base(*f, revision)
        })
        .collect()
}

/// One exchange: what was sent and everything that came back meanwhile.
struct Exchange {
    sent: Value,
    response: Option<Value>,
    others: Vec<Value>,
    /// Why no response (timeout, connection closed, could not start).
    problem: Option<String>,
}

/// One server connection, restarted when it dies or stops answering.
struct Conn<'a> {
    conn: Connection<'a>,
    next_id: u64,
}

impl<'a> Conn<'a> {
    /// Starts the server and runs the handshake (`client::handshake`, in either era);
    /// returns the server's description (the `initialize` result, or at 2026-07-28
    /// the `server/discover` result), which carries its capabilities.
    async fn start(&mut self) -> Result<Value, String> {
        match self.conn.start().await {
            Ok(Some(result)) => Ok(result),
            Ok(None) => Err("the handshake gave no description of the server".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn stop(&mut self) {
        self.conn.stop().await;
    }

    async fn request(&mut self, method: &str, params: Value) -> Exchange {
        self.next_id += 1;
        let id = json!(format!("trav-{}", self.next_id));
        let sent = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut ex = Exchange {
            sent: sent.clone(),
            response: None,
            others: Vec::new(),
            problem: None,
        };
        if !self.conn.is_open() {
            if let Err(e) = self.start().await {
                ex.problem = Some(format!("the server could not be (re)started: {e}"));
                return ex;
            }
        }
        let wait = self.conn.config().timeout;
        let Some(session) = self.conn.session() else {
            ex.problem = Some("no session".into());
            return ex;
        };
        if let Err(e) = session.send(&sent).await {
            ex.problem = Some(format!("could not send: {e}"));
            self.stop().await;
            return ex;
        }
        let deadline = Instant::now() + wait;
        loop {
            match session.next_of(MessageKind::Any, deadline).await {
                Some(msg) => {
                    let mine = MessageKind::of(&msg) == MessageKind::Response
                        && msg.get("id") == Some(&id);
                    if mine {
                        ex.response = Some(msg);
                        break;
                    }
                    if ex.others.len() < 100 {
                        ex.others.push(msg);
                    }
                }
                None => {
                    ex.problem = Some(match session.closed() {
                        Some(why) => format!("the connection closed: {why}"),
                        None => format!("no answer within {} ms", wait.as_millis()),
                    });
                    break;
                }
            }
        }
        session.take_violations();
        if ex.problem.is_some() {
            // A server that stopped answering starts afresh for the next probe.
            self.stop().await;
        }
        ex
    }

    async fn list(&mut self, method: &str, key: &str) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        let mut cursor: Option<Value> = None;
        for _ in 0..MAX_PAGES {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let ex = self.request(method, params).await;
            let resp = ex
                .response
                .ok_or_else(|| ex.problem.unwrap_or_else(|| "no answer".into()))?;
            let result = resp
                .get("result")
                .ok_or_else(|| format!("{method} failed: {resp}"))?;
            if let Some(page) = result.get(key).and_then(Value::as_array) {
                items.extend(page.iter().cloned());
            }
            match result.get("nextCursor") {
                Some(c) if !c.is_null() => cursor = Some(c.clone()),
                _ => break,
            }
        }
        Ok(items)
    }
}

/// Where probes go.
#[derive(Debug, Clone)]
enum Target {
    Tool {
        tool: String,
        arg: String,
        shape: Shape,
        base: Map<String, Value>,
        read_only: bool,
    },
    /// `resources/read` of `file://` URIs (the server lists file resources).
    FileUris,
    /// `resources/read` of a template with the probe in its first variable.
    Template(String),
}

impl Target {
    fn requirement(&self) -> &'static str {
        match self {
            Target::Tool { .. } => "TOOL-15",
            _ => "RES-10",
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Tool { tool, arg, .. } => format!("tools/call `{tool}` argument `{arg}`"),
            Target::FileUris => "resources/read of a file:// URI".into(),
            Target::Template(t) => format!("resources/read via template `{t}`"),
        }
    }

    fn request(&self, sb: &Sandbox, probe: &Probe) -> (&'static str, Value) {
        match self {
            Target::Tool {
                tool,
                arg,
                shape,
                base,
                ..
            } => {
                let mut args = base.clone();
                let v = match shape {
                    Shape::String => json!(probe.text),
                    Shape::Array => json!([probe.text]),
                };
                args.insert(arg.clone(), v);
                ("tools/call", json!({"name": tool, "arguments": args}))
            }
            Target::FileUris => (
                "resources/read",
                json!({"uri": probes::as_file_uri(sb, probe)}),
            ),
            Target::Template(t) => ("resources/read", json!({"uri": expand(t, &probe.text)})),
        }
    }
}

/// Puts `text` into the first expression of a URI template (with its operator's
/// prefix); other expressions get `allowed.txt`.
pub fn expand(template: &str, text: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    let mut first = true;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let expr = &rest[open + 1..open + close];
        let value = if first { text } else { "allowed.txt" };
        first = false;
        let name = expr.trim_start_matches(['+', '#', '.', '/', ';', '?', '&']);
        let name = name.split([',', ':', '*']).next().unwrap_or("");
        match expr.chars().next() {
            Some('#') => out.push_str(&format!("#{value}")),
            Some('.') => out.push_str(&format!(".{value}")),
            Some('/') => out.push_str(&format!("/{value}")),
            Some(';') => out.push_str(&format!(";{name}={value}")),
            Some('?') => out.push_str(&format!("?{name}={value}")),
            Some('&') => out.push_str(&format!("&{name}={value}")),
            _ => out.push_str(value),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

fn hinted_args(hints: &Value, tool: &str) -> Vec<String> {
    hints
        .pointer("/traversal/tools")
        .and_then(|t| t.get(tool))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The tool targets, and the tools left out (with why).
fn tool_targets(tools: &[Value], tc: &TraversalConfig) -> (Vec<Target>, Vec<String>) {
    let mut targets = Vec::new();
    let mut left_out = Vec::new();
    for tool in tools {
        let Some(name) = tool.get("name").and_then(Value::as_str) else {
            continue;
        };
        let schema = tool.get("inputSchema").cloned().unwrap_or(json!({}));
        let args = probes::path_args(&schema, &hinted_args(&tc.hints, name));
        if args.is_empty() {
            continue;
        }
        if tool.pointer("/annotations/destructiveHint") == Some(&Value::Bool(true))
            && !tc.allow_destructive
        {
            left_out.push(format!(
                "{name} (destructiveHint: true; --allow-destructive)"
            ));
            continue;
        }
        if tool.pointer("/annotations/openWorldHint") == Some(&Value::Bool(true)) {
            // Its other arguments (defaults included) may make it reach the network.
            left_out.push(format!("{name} (openWorldHint: true)"));
            continue;
        }
        if tool
            .pointer("/execution/taskSupport")
            .and_then(Value::as_str)
            == Some("required")
        {
            left_out.push(format!("{name} (execution.taskSupport is `required`)"));
            continue;
        }
        let read_only = tool.pointer("/annotations/readOnlyHint") == Some(&Value::Bool(true));
        let mut base = match crate::json_schema::example(&schema, 0) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        // Other path-like arguments that must be given point at a file in the root.
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (arg, shape) in &args {
            if required.contains(&arg.as_str()) {
                let v = match shape {
                    Shape::String => json!("allowed.txt"),
                    Shape::Array => json!(["allowed.txt"]),
                };
                base.insert(arg.clone(), v);
            }
        }
        for (arg, shape) in args {
            targets.push(Target::Tool {
                tool: name.to_string(),
                arg,
                shape,
                base: base.clone(),
                read_only,
            });
        }
    }
    (targets, left_out)
}

#[derive(Default)]
struct FamilyState {
    sent: usize,
    answered: usize,
    unanswered: Vec<(Value, String)>,
    findings: Vec<Finding>,
    transcript: Vec<TranscriptEntry>,
    requirements: Vec<&'static str>,
    stopped: Option<String>,
}

fn shorten(v: &Value, cap: usize) -> Value {
    let text = v.to_string();
    if text.len() <= cap {
        return v.clone();
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Value::String(format!(
        "{}… ({} characters in all)",
        &text[..end],
        text.len()
    ))
}

fn probe_text(p: &Probe) -> String {
    let shown: String = p.text.chars().take(120).collect();
    let more = if p.text.chars().count() > 120 {
        format!("… ({} characters)", p.text.chars().count())
    } else {
        String::new()
    };
    format!("`{}`{more}", shown.escape_debug())
}

/// Runs every selected family against the server at `revision`.
pub async fn run(cfg: &RunConfig, tc: &TraversalConfig, revision: &str) -> TraversalRun {
    let mut out = TraversalRun::default();
    let Some(sb) = tc.sandbox.clone() else {
        out.results = skipped_all(&tc.families, Some(revision), &tc.unavailable);
        return out;
    };
    if tc.families.is_empty() {
        return out;
    }
    let started = Instant::now();
    let mut conn = Conn {
        conn: Connection::new(cfg, revision, campaign_capabilities(), Stage::Described),
        next_id: 0,
    };
    let init = match conn.start().await {
        Ok(r) => r,
        Err(e) => {
            let mut r = skipped_all(&tc.families, Some(revision), "");
            for c in &mut r {
                c.verdict = Verdict::Error;
                c.reason = Some(format!("cannot start the server for traversal probes: {e}"));
            }
            out.results = r;
            return out;
        }
    };
    let caps = init.get("capabilities").cloned().unwrap_or(json!({}));
    let (targets, why_none) = find_targets(&mut conn, tc, &caps, &mut out.notes).await;
    if sb.owns_root && !targets.is_empty() {
        out.notes.push(control(&mut conn, &sb, &targets).await);
    }
    let needles = oracle::needles(&sb);
    let deadline = started + tc.budget;
    for family in &tc.families {
        let family_started = Instant::now();
        let probes = probes::probes(&sb, *family);
        let mut st = FamilyState::default();
        let mut given_up: HashMap<usize, usize> = HashMap::new();
        'probes: for probe in &probes {
            for (k, target) in targets.iter().enumerate() {
                if Instant::now() >= deadline {
                    st.stopped = Some(format!(
                        "the traversal time budget ({} s) ran out",
                        tc.budget.as_secs()
                    ));
                    break 'probes;
                }
                if given_up.get(&k).copied().unwrap_or(0) >= GIVE_UP_AFTER {
                    continue;
                }
                let answered = send_probe(&mut conn, &sb, &needles, (target, probe), &mut st).await;
                if !answered {
                    *given_up.entry(k).or_default() += 1;
                }
            }
        }
        let mut r = base(*family, Some(revision));
        r.duration_ms = family_started.elapsed().as_millis() as u64;
        r.title = format!("{} ({} probes sent)", r.title, st.sent);
        if !st.requirements.is_empty() {
            r.requirements = st.requirements.iter().map(|s| s.to_string()).collect();
        }
        finish_family(&mut r, st, &probes, &targets, &why_none, &sb);
        out.results.push(r);
    }
    conn.stop().await;
    if let Some(first) = out.results.iter_mut().find(|r| r.verdict == Verdict::Fail) {
        first.stderr = conn.conn.take_stderr_log();
    }
    out.notes.push(format!(
        "traversal probes: sandbox {} (root {}), server started {} times",
        sb.dir.display(),
        sb.root.display(),
        conn.conn.starts()
    ));
    out
}

/// Where the probes go: the tools with a path or URI argument, `file://` resources,
/// resource templates with a variable; and why some kind of target is missing.
async fn find_targets(
    conn: &mut Conn<'_>,
    tc: &TraversalConfig,
    caps: &Value,
    notes: &mut Vec<String>,
) -> (Vec<Target>, Vec<String>) {
    let mut targets = Vec::new();
    let mut why_none = Vec::new();
    if caps.get("tools").is_some() {
        match conn.list("tools/list", "tools").await {
            Ok(tools) => {
                let (t, left_out) = tool_targets(&tools, tc);
                if t.is_empty() {
                    why_none.push("no tool takes a path or URI argument (name, format or description; add a `traversal` hint to name one)".to_string());
                }
                targets.extend(t);
                if !left_out.is_empty() {
                    notes.push(format!(
                        "tools left out of traversal probes: {}",
                        left_out.join(", ")
                    ));
                }
            }
            Err(e) => why_none.push(format!("tools/list failed: {e}")),
        }
    } else {
        why_none.push("the server declares no tools".into());
    }
    if caps.get("resources").is_some() {
        resource_targets(conn, &mut targets, &mut why_none).await;
    } else {
        why_none.push("the server declares no resources".into());
    }
    (targets, why_none)
}

/// The resource targets: `file://` URIs when the server lists any, and up to
/// [`MAX_TEMPLATES`] templates with a variable.
async fn resource_targets(
    conn: &mut Conn<'_>,
    targets: &mut Vec<Target>,
    why_none: &mut Vec<String>,
) {
    let listed = conn
        .list("resources/list", "resources")
        .await
        .unwrap_or_default();
    if listed.iter().any(|r| {
        r.get("uri")
            .and_then(Value::as_str)
            .is_some_and(|u| u.starts_with("file://"))
    }) {
        targets.push(Target::FileUris);
    } else {
        why_none.push("no listed resource has a file:// URI".into());
    }
    let templates = conn
        .list("resources/templates/list", "resourceTemplates")
        .await
        .unwrap_or_default();
    let with_vars: Vec<String> = templates
        .iter()
        .filter_map(|t| t.get("uriTemplate").and_then(Value::as_str))
        .filter(|t| t.contains('{'))
        .take(MAX_TEMPLATES)
        .map(str::to_string)
        .collect();
    if with_vars.is_empty() {
        why_none.push("no resource template has a variable".into());
    }
    targets.extend(with_vars.into_iter().map(Target::Template));
}

/// Sends one probe to one target and judges the answer into `st`: canary content
/// that came back, a write that escaped the root, or no answer. Returns whether the
/// probe was answered.
async fn send_probe(
    conn: &mut Conn<'_>,
    sb: &Sandbox,
    needles: &[(String, String, String)],
    (target, probe): (&Target, &Probe),
    st: &mut FamilyState,
) -> bool {
    let (method, params) = target.request(sb, probe);
    let watch = matches!(
        target,
        Target::Tool {
            read_only: false,
            ..
        }
    );
    let before = watch.then(|| sb.snapshot());
    let ex = conn.request(method, params).await;
    st.sent += 1;
    if !st.requirements.contains(&target.requirement()) {
        st.requirements.push(target.requirement());
    }
    let received: Vec<&Value> = ex.others.iter().chain(ex.response.iter()).collect();
    let leak = received.iter().find_map(|m| oracle::find(needles, m));
    if let Some(leak) = leak {
        if st.findings.len() < MAX_FINDINGS {
            record_leak(st, &ex, &received, &leak, (target, probe));
        }
    }
    if let Some(before) = before {
        let changed = crate::sandbox::changes(&before, &sb.snapshot());
        if !changed.is_empty() && st.findings.len() < MAX_FINDINGS {
            st.findings.push(crate::check::finding(
                &["TOOL-15".to_string()],
                Severity::Must,
                format!(
                    "a write escaped the root: {} after {} with {}",
                    changed.join(", "),
                    target.describe(),
                    probe_text(probe)
                ),
                Some(shorten(&ex.sent, 16_000)),
                None,
                ex.response.as_ref().map(|r| shorten(r, 4000)),
            ));
        }
    }
    match (&ex.response, &ex.problem) {
        (Some(_), _) => {
            st.answered += 1;
            true
        }
        (None, problem) => {
            let why = problem.clone().unwrap_or_else(|| "no answer".into());
            st.unanswered.push((
                ex.sent.clone(),
                format!("{} with {}: {why}", target.describe(), probe_text(probe)),
            ));
            false
        }
    }
}

/// A canary that came back: a finding, and (for the first) the exchange as transcript.
fn record_leak(
    st: &mut FamilyState,
    ex: &Exchange,
    received: &[&Value],
    leak: &oracle::Leak,
    (target, probe): (&Target, &Probe),
) {
    let message = format!(
        "canary came back: {} (`{}`) in the answer to {} with {}",
        leak.what,
        leak.token,
        target.describe(),
        probe_text(probe)
    );
    st.findings.push(crate::check::finding(
        &[target.requirement().to_string()],
        Severity::Must,
        message,
        Some(shorten(&ex.sent, 16_000)),
        None,
        Some(json!({"excerpt": leak.excerpt,
            "message": shorten(received.last().copied().unwrap_or(&Value::Null), 4000)})),
    ));
    if st.transcript.is_empty() {
        st.transcript.push(TranscriptEntry {
            at_ms: 0,
            direction: Direction::Sent,
            body: shorten(&ex.sent, 16_000).into(),
        });
        for m in received {
            st.transcript.push(TranscriptEntry {
                at_ms: 0,
                direction: Direction::Received,
                body: shorten(m, 16_000).into(),
            });
        }
    }
}

/// The control: `allowed.txt` (inside the root) sent to every target, to show how
/// many of them reach the server's file handling at all (a note, not a verdict).
async fn control(conn: &mut Conn<'_>, sb: &Sandbox, targets: &[Target]) -> String {
    let probe = Probe {
        family: Family::Dotdot,
        text: "allowed.txt".into(),
        absolute: false,
    };
    let mut read = Vec::new();
    for t in targets {
        let (method, params) = t.request(sb, &probe);
        let ex = conn.request(method, params).await;
        if ex
            .response
            .is_some_and(|r| r.to_string().contains(ALLOWED_TEXT))
        {
            read.push(t.describe());
        }
    }
    format!(
        "traversal control: {} of {} probe targets returned the content of root/allowed.txt when asked for `allowed.txt`{}",
        read.len(),
        targets.len(),
        if read.is_empty() {
            " (the others may list, search or refuse the other arguments)".to_string()
        } else {
            format!(": {}", read.join(", "))
        }
    )
}

fn finish_family(
    r: &mut CaseResult,
    st: FamilyState,
    probes: &[Probe],
    targets: &[Target],
    why_none: &[String],
    sb: &Sandbox,
) {
    if !st.findings.is_empty() {
        r.verdict = Verdict::Fail;
        r.reason = st.findings.first().map(|f| f.message.clone());
        r.findings = st.findings;
        r.transcript = st.transcript;
        return;
    }
    if st.sent == 0 {
        r.verdict = Verdict::Skip;
        r.reason = Some(if probes.is_empty() && !sb.owns_root {
            "not applicable with --root: the root is not the harness's to write into, so no symlink was planted in it".into()
        } else if targets.is_empty() {
            format!("nothing to probe: {}", why_none.join("; "))
        } else {
            st.stopped
                .unwrap_or_else(|| "no probe could be sent".into())
        });
        return;
    }
    if st.answered == 0 {
        r.verdict = Verdict::Skip;
        r.reason = Some(format!(
            "not observed: none of the {} probes was answered (first: {})",
            st.sent,
            st.unanswered.first().map(|u| u.1.as_str()).unwrap_or("?")
        ));
        return;
    }
    if let Some((sent, first)) = st.unanswered.first() {
        let message = format!(
            "not fully observed: {} of {} probes got no answer (first: {first}); no canary came back in the {} answers",
            st.unanswered.len(),
            st.sent,
            st.answered
        );
        r.findings.push(crate::check::finding(
            &r.requirements,
            Severity::Should,
            message.clone(),
            Some(shorten(sent, 4000)),
            None,
            None,
        ));
        r.verdict = Verdict::Warn;
        r.reason = Some(message);
        return;
    }
    if let Some(stopped) = st.stopped {
        r.verdict = Verdict::Warn;
        let message = format!(
            "not fully observed: {stopped} after {} probes; no canary came back",
            st.sent
        );
        r.findings.push(crate::check::finding(
            &r.requirements,
            Severity::Should,
            message.clone(),
            None,
            None,
            None,
        ));
        r.reason = Some(message);
        return;
    }
    r.verdict = Verdict::Pass;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_the_server_stopped_answering_is_never_a_pass_or_fail() {
        let sb = Sandbox::create().expect("sandbox");
        let probes = probes::probes(&sb, Family::Dotdot);
        let targets = vec![Target::FileUris];
        let unanswered = || {
            vec![(
                json!({"method": "resources/read"}),
                "resources/read with `../x`: the connection closed".to_string(),
            )]
        };
        // Some answered, some not: a warning naming the probe that stopped it.
        let mut r = base(Family::Dotdot, Some("2025-11-25"));
        let st = FamilyState {
            sent: 5,
            answered: 4,
            unanswered: unanswered(),
            ..FamilyState::default()
        };
        finish_family(&mut r, st, &probes, &targets, &[], &sb);
        assert_eq!(r.verdict, Verdict::Warn);
        assert!(r
            .reason
            .as_deref()
            .is_some_and(|w| w.contains("not fully observed") && w.contains("connection closed")));
        // Nothing answered: not observed at all.
        let mut r = base(Family::Dotdot, None);
        let st = FamilyState {
            sent: 1,
            unanswered: unanswered(),
            ..FamilyState::default()
        };
        finish_family(&mut r, st, &probes, &targets, &[], &sb);
        assert_eq!(r.verdict, Verdict::Skip);
        // Out of time before the family ended: a warning too.
        let mut r = base(Family::Dotdot, None);
        let st = FamilyState {
            sent: 3,
            answered: 3,
            stopped: Some("the traversal time budget (1 s) ran out".into()),
            ..FamilyState::default()
        };
        finish_family(&mut r, st, &probes, &targets, &[], &sb);
        assert_eq!(r.verdict, Verdict::Warn);
        // Nothing to probe: skipped with the reasons.
        let mut r = base(Family::Dotdot, None);
        let why = vec!["the server declares no tools".to_string()];
        finish_family(&mut r, FamilyState::default(), &probes, &[], &why, &sb);
        assert_eq!(r.verdict, Verdict::Skip);
        assert!(r.reason.as_deref().is_some_and(|w| w.contains("no tools")));
    }

    #[test]
    fn templates_expand_with_their_operator() {
        assert_eq!(expand("file:///r/{+path}", "../x"), "file:///r/../x");
        assert_eq!(expand("ref://items/{id}", "a/b"), "ref://items/a/b");
        assert_eq!(expand("x://h{/p}{?q}", "../s"), "x://h/../s?q=allowed.txt");
        assert_eq!(expand("x://{a", "v"), "x://{a");
    }

    #[test]
    fn destructive_tools_are_left_out_unless_allowed() {
        let tools = vec![
            json!({"name": "read", "inputSchema": {"type": "object", "properties": {
                "path": {"type": "string"}, "n": {"type": "integer"}}, "required": ["path", "n"]},
                "annotations": {"readOnlyHint": true}}),
            json!({"name": "write", "inputSchema": {"type": "object", "properties": {
                "path": {"type": "string"}}}, "annotations": {"destructiveHint": true}}),
            json!({"name": "echo", "inputSchema": {"type": "object", "properties": {
                "text": {"type": "string"}}}}),
            json!({"name": "hinted", "inputSchema": {"type": "object", "properties": {
                "q": {"type": "string"}}}}),
            json!({"name": "fetch", "inputSchema": {"type": "object", "properties": {
                "url": {"type": "string"}}}, "annotations": {"openWorldHint": true}}),
        ];
        let mut tc = TraversalConfig {
            sandbox: None,
            unavailable: String::new(),
            families: Family::ALL.to_vec(),
            allow_destructive: false,
            hints: json!({"traversal": {"tools": {"hinted": ["q"]}}}),
            budget: DEFAULT_BUDGET,
        };
        let (t, left) = tool_targets(&tools, &tc);
        assert_eq!(t.len(), 2);
        assert!(left[0].starts_with("write"));
        assert!(left[1].starts_with("fetch (openWorldHint"));
        match &t[0] {
            Target::Tool {
                base, read_only, ..
            } => {
                assert_eq!(base.get("n"), Some(&json!(0)));
                assert!(read_only);
            }
            _ => panic!("a tool target"),
        }
        tc.allow_destructive = true;
        assert_eq!(tool_targets(&tools, &tc).0.len(), 3);
    }
}
