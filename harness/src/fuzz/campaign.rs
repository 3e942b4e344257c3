//! One fuzzing campaign: one tool, one family of inputs (valid, invalid or envelope),
//! driven by a proptest [`TestRunner`] from [`runner_for_seed`].
//!
//! Inputs are drawn as value trees, called in windows, and judged by the oracle.
//! The first input breaking each rule keeps its tree; a MUST breach that reproduces
//! on its own ends generation. Each kept tree is then shrunk exactly as proptest's
//! runner shrinks (simplify while the rule stays broken, complicate when it does
//! not), one call per step, restarting the server whenever it died. Generation uses
//! only the runner's RNG, so a seed gives the same inputs whatever the timing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use serde_json::Value;

use super::envelope::{self, Edit};
use super::oracle::{self, Breach, Context, EnvelopeFacts, Observation, Reply, Rule};
use super::server::FuzzServer;
use super::strategy::{runner_for_seed, InvalidInput, InvalidKind, SchemaGen};

/// Which inputs a campaign draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Valid,
    Invalid,
    /// The `tools/call` envelope varied around valid arguments (`fuzz::envelope`).
    Envelope,
}

impl Family {
    /// Every family, in the order a tool's campaigns run.
    pub const ALL: [Family; 3] = [Family::Valid, Family::Invalid, Family::Envelope];

    pub fn label(self) -> &'static str {
        match self {
            Family::Valid => "valid",
            Family::Invalid => "invalid",
            Family::Envelope => "envelope",
        }
    }
}

/// One generated input with what the generator meant it to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub value: Value,
    /// For the invalid family: the rule broken (or stressor) and where.
    pub kind: Option<(InvalidKind, String, String)>,
    /// For the envelope family: how the request differs from a plain call (`value`
    /// holds the valid arguments it carries, where the edits keep them).
    pub envelope: Option<Vec<Edit>>,
}

impl Probe {
    /// The edits of the request (none outside the envelope family).
    pub fn edits(&self) -> &[Edit] {
        self.envelope.as_deref().unwrap_or(&[])
    }

    pub fn describe(&self) -> String {
        if let Some(edits) = &self.envelope {
            return format!("envelope: {}", envelope::describe(edits));
        }
        match &self.kind {
            None => "valid input".into(),
            Some((kind, pointer, detail)) => {
                let at = if pointer.is_empty() { "/" } else { pointer };
                if detail.contains(kind.label()) {
                    detail.clone()
                } else {
                    format!("{kind} at {at}: {detail}")
                }
            }
        }
    }
}

/// A tool ready to be fuzzed.
pub struct ToolPlan {
    pub name: String,
    pub gen: SchemaGen,
    /// The `inputSchema`, compiled to classify each input (valid or not).
    pub input_validator: Option<jsonschema::Validator>,
    pub output_validator: Option<jsonschema::Validator>,
    /// The session's revision has TOOL-08 (2025-11-25 and later).
    pub tool_08: bool,
    /// The revision is the stateless one (2026-07-28).
    pub stateless: bool,
    /// The envelope family's plain call with `arguments: {}` was answered in time, so
    /// the same call with `arguments` omitted owes an answer in time too.
    pub empty_answered: AtomicBool,
}

impl ToolPlan {
    fn input_valid(&self, probe: &Probe) -> Option<bool> {
        match &self.input_validator {
            Some(v) => Some(v.is_valid(&probe.value)),
            None => match &probe.kind {
                None => Some(true),
                Some((k, _, _)) if k.is_schema_breaking() => Some(false),
                Some(_) => None,
            },
        }
    }

    fn context(&self, probe: &Probe) -> Context<'_> {
        if let Some(edits) = &probe.envelope {
            return self.envelope_context(&probe.value, edits);
        }
        Context {
            input_valid: self.input_valid(probe),
            output_schema: self.output_validator.as_ref(),
            arguments_not_object: !probe.value.is_object(),
            tool_08: self.tool_08,
            stateless: self.stateless,
            envelope: None,
        }
    }

    /// The oracle's view of an envelope input: whether an answer is due at once (an
    /// edit a server refuses, or arguments, `{}` when omitted, that break the
    /// inputSchema), and whether the request fails `CallToolRequest`.
    fn envelope_context(&self, arguments: &Value, edits: &[Edit]) -> Context<'_> {
        let args_invalid = envelope::effective_arguments(arguments, edits)
            .zip(self.input_validator.as_ref())
            .is_some_and(|(a, v)| !v.is_valid(&a));
        let due = if edits.iter().any(Edit::answer_due) {
            Some("no tool runs for such a request: it is refused at once")
        } else if args_invalid {
            Some("the arguments break the inputSchema: validation answers at once")
        } else if edits.contains(&Edit::OmitArguments)
            && self.empty_answered.load(Ordering::Relaxed)
        {
            Some("`arguments` is optional, and the same call with `arguments: {}` was answered in time")
        } else {
            None
        };
        let facts = EnvelopeFacts {
            label: envelope::describe(edits),
            due: due.map(str::to_string),
            breaks_call_schema: edits.iter().any(Edit::breaks_call_schema),
        };
        let other_tool = edits.iter().any(Edit::changes_tool);
        Context {
            input_valid: None,
            output_schema: self.output_validator.as_ref().filter(|_| !other_tool),
            arguments_not_object: false,
            tool_08: self.tool_08,
            stateless: self.stateless,
            envelope: Some(facts),
        }
    }

    fn judge(&self, probe: &Probe, obs: &Observation) -> Option<Breach> {
        oracle::judge(&self.context(probe), obs)
    }

    fn outlived(&self, probe: &Probe, obs: &Observation) -> bool {
        oracle::outlived_timeout(&self.context(probe), obs)
    }
}

/// Limits of one campaign.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cases: u32,
    /// The seed of this campaign (already derived for the tool and family).
    pub seed: u64,
    pub call_timeout: Duration,
    /// Calls in flight at once.
    pub window: usize,
    /// Generation stops here.
    pub deadline: Instant,
    /// Shrinking stops here.
    pub shrink_deadline: Instant,
}

/// A rule broken, with the smallest input that still breaks it.
#[derive(Debug, Clone)]
pub struct Found {
    pub breach: Breach,
    pub minimal: Probe,
    pub minimal_reply: Reply,
    pub original: Probe,
    /// Index of the generated case that first broke the rule.
    pub case_index: u32,
    /// Shrink steps tried (server calls).
    pub shrink_steps: u32,
    /// False when the breach did not happen again for the input alone (it is then
    /// reported as seen, unshrunk).
    pub reproduced: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub cases_run: u32,
    /// Tool calls made: generation, confirming and shrinking.
    pub calls: u64,
    /// Calls still reporting progress at the timeout (not judged).
    pub inconclusive: u32,
    /// Calls whose input the schema allows that got no answer within the timeout while
    /// the server still answered its liveness check: cancelled, not judged.
    pub outlived: u32,
    /// Breaches seen in a window that did not happen again alone (e.g. a call that
    /// only timed out while queued behind others).
    pub unconfirmed: Vec<String>,
    pub found: Vec<Found>,
    pub stopped: Option<String>,
    pub error: Option<String>,
}

/// Where a campaign's inputs come from: one strategy for every case, or (envelope)
/// one strategy per case index.
enum Source {
    One(BoxedStrategy<Probe>),
    PerCase(Vec<BoxedStrategy<Probe>>),
}

fn source(gen: &SchemaGen, family: Family) -> Source {
    match family {
        Family::Valid => Source::One(
            gen.valid()
                .prop_map(|value| Probe {
                    value,
                    kind: None,
                    envelope: None,
                })
                .boxed(),
        ),
        Family::Invalid => Source::One(
            gen.invalid()
                .prop_map(|i: InvalidInput| Probe {
                    value: i.value,
                    kind: Some((i.kind, i.pointer, i.detail)),
                    envelope: None,
                })
                .boxed(),
        ),
        Family::Envelope => Source::PerCase(
            (0..envelope::CASES)
                .map(|i| {
                    envelope::strategy(i, gen.valid())
                        .prop_map(|(edits, value)| Probe {
                            value,
                            kind: None,
                            envelope: Some(edits),
                        })
                        .boxed()
                })
                .collect(),
        ),
    }
}

type Tree = Box<dyn ValueTree<Value = Probe>>;

/// Candidates of one window that timed out, re-run alone before the breach counts
/// as unconfirmed.
const MAX_CONFIRM: usize = 4;

/// Calls the tool with one input (ping when the rule needs it) and judges it.
async fn call_once(
    server: &mut FuzzServer<'_>,
    tool: &ToolPlan,
    probe: &Probe,
    wait: Duration,
    ping_always: bool,
) -> Result<(Observation, Option<Breach>), String> {
    server.ensure().await?;
    let mut replies = server
        .call_window(&tool.name, &[(&probe.value, probe.edits())], wait)
        .await;
    let (reply, wire) = replies
        .pop()
        .unwrap_or((Reply::Closed("no reply".into()), Vec::new()));
    let ping_ok = match &reply {
        Reply::Closed(_) => Some(false),
        Reply::Timeout { .. } => Some(server.ping(wait).await),
        Reply::Response(_) | Reply::Refused(_) if ping_always => Some(server.ping(wait).await),
        Reply::Response(_) | Reply::Refused(_) => None,
    };
    let obs = Observation {
        reply,
        wire,
        ping_ok,
    };
    if ping_ok == Some(false) {
        server.stop().await;
    }
    let breach = tool.judge(probe, &obs);
    Ok((obs, breach))
}

/// Calls the tool once with `probe`, pings, and judges (for evidence runs).
pub async fn call_once_public(
    server: &mut FuzzServer<'_>,
    tool: &ToolPlan,
    probe: &Probe,
    wait: Duration,
) -> Option<Breach> {
    call_once(server, tool, probe, wait, true).await.ok()?.1
}

/// The breaches seen so far in one campaign.
#[derive(Default)]
struct Candidates {
    /// Per rule: the candidates (case index, tree) from the window where it first showed.
    kept: BTreeMap<Rule, Vec<(u32, Tree)>>,
    /// Per rule: the candidate that broke it again when called alone.
    confirmed: BTreeMap<Rule, (u32, Tree, Breach, Reply)>,
}

/// Runs one campaign against the long-lived `server`.
pub async fn run(
    server: &mut FuzzServer<'_>,
    tool: &ToolPlan,
    family: Family,
    st: &Settings,
) -> Outcome {
    let mut out = Outcome::default();
    let source = source(&tool.gen, family);
    let mut runner = runner_for_seed(st.seed, st.cases);
    let max_shrink = runner.config().max_shrink_iters;
    let mut seen = Candidates::default();
    while out.cases_run < st.cases {
        if Instant::now() >= st.deadline {
            out.stopped = Some(format!(
                "time budget used up after {} of {} cases",
                out.cases_run, st.cases
            ));
            break;
        }
        let n = st.window.max(1).min((st.cases - out.cases_run) as usize);
        let trees = match new_trees(&source, &mut runner, out.cases_run, n) {
            Ok(trees) => trees,
            Err(e) => {
                out.error = Some(format!("input generation failed: {e}"));
                break;
            }
        };
        if let Err(e) = server.ensure().await {
            out.error = Some(format!("could not (re)start the server: {e}"));
            break;
        }
        let new_must = call_window(server, tool, trees, st, &mut out, &mut seen).await;
        // A MUST breach ends generation once one candidate reproduces alone.
        if confirm_rules(server, tool, new_must, st, &mut out, &mut seen, true).await {
            break;
        }
    }
    let rules: Vec<Rule> = seen.kept.keys().copied().collect();
    confirm_rules(server, tool, rules, st, &mut out, &mut seen, false).await;
    for (rule, (index, tree, breach, reply)) in seen.confirmed {
        let found = shrink(
            server, tool, rule, index, tree, breach, reply, st, max_shrink,
        )
        .await;
        out.calls += u64::from(found.shrink_steps);
        out.found.push(found);
    }
    out.found.sort_by_key(|f| {
        (
            f.breach.severity() != crate::outcome::Severity::Must,
            f.case_index,
        )
    });
    out
}

/// The next `n` input trees of the campaign, the first being case `first`.
fn new_trees(
    source: &Source,
    runner: &mut proptest::test_runner::TestRunner,
    first: u32,
    n: usize,
) -> Result<Vec<Tree>, proptest::test_runner::Reason> {
    (first..first + n as u32)
        .map(|i| match source {
            Source::One(s) => s.new_tree(runner),
            Source::PerCase(list) => match list.get(i as usize) {
                Some(s) => s.new_tree(runner),
                None => Err("no more envelope inputs".into()),
            },
        })
        .collect()
}

/// Calls the tool once per tree (one window), pings, and keeps the breaches as
/// candidates; returns the MUST rules that showed for the first time.
async fn call_window(
    server: &mut FuzzServer<'_>,
    tool: &ToolPlan,
    trees: Vec<Tree>,
    st: &Settings,
    out: &mut Outcome,
    seen: &mut Candidates,
) -> Vec<Rule> {
    let n = trees.len();
    let probes: Vec<Probe> = trees.iter().map(|t| t.current()).collect();
    let calls: Vec<(&Value, &[Edit])> = probes.iter().map(|p| (&p.value, p.edits())).collect();
    let replies = server
        .call_window(&tool.name, &calls, st.call_timeout)
        .await;
    out.calls += n as u64;
    let any_closed = replies.iter().any(|r| matches!(r.0, Reply::Closed(_)));
    let ping_ok = if any_closed {
        false
    } else {
        server.ping(st.call_timeout).await
    };
    if !ping_ok {
        server.stop().await;
    }
    // The control of omitted `arguments` (see `envelope`), before any verdict.
    for (probe, (reply, _)) in probes.iter().zip(&replies) {
        if probe.edits() == [Edit::EmptyArguments] && matches!(reply, Reply::Response(_)) {
            tool.empty_answered.store(true, Ordering::Relaxed);
        }
    }
    let base = out.cases_run;
    out.cases_run += n as u32;
    let mut new_must = Vec::new();
    for (i, ((reply, wire), tree)) in replies.into_iter().zip(trees).enumerate() {
        if matches!(reply, Reply::Timeout { progressed: true }) {
            out.inconclusive += 1;
        }
        let obs = Observation {
            reply,
            wire,
            ping_ok: Some(ping_ok),
        };
        if tool.outlived(&probes[i], &obs) {
            out.outlived += 1;
        }
        let Some(b) = tool.judge(&probes[i], &obs) else {
            continue;
        };
        if seen.confirmed.contains_key(&b.rule) {
            continue;
        }
        let list = seen.kept.entry(b.rule).or_default();
        if list.first().is_some_and(|(idx, _)| *idx < base) {
            continue; // candidates come from the first window only
        }
        if list.is_empty() && b.severity() == crate::outcome::Severity::Must {
            new_must.push(b.rule);
        }
        list.push((base + i as u32, tree));
    }
    new_must
}

/// Confirms each rule not confirmed yet, in order; with `first_only`, stops at the
/// first that reproduces alone. True when one did.
async fn confirm_rules(
    server: &mut FuzzServer<'_>,
    tool: &ToolPlan,
    rules: Vec<Rule>,
    st: &Settings,
    out: &mut Outcome,
    seen: &mut Candidates,
    first_only: bool,
) -> bool {
    let mut any = false;
    for rule in rules {
        if seen.confirmed.contains_key(&rule) {
            continue;
        }
        if let Some(c) = confirm(server, tool, rule, &mut seen.kept, st, out).await {
            seen.confirmed.insert(rule, c);
            any = true;
            if first_only {
                break;
            }
        }
    }
    any
}

/// Re-runs the candidates of `rule` alone, in generation order; the first that breaks
/// the rule again is returned. When none does, a crash is still reported (the process
/// did die), other rules are noted as unconfirmed.
async fn confirm(
    server: &mut FuzzServer<'_>,
    tool: &ToolPlan,
    rule: Rule,
    kept: &mut BTreeMap<Rule, Vec<(u32, Tree)>>,
    st: &Settings,
    out: &mut Outcome,
) -> Option<(u32, Tree, Breach, Reply)> {
    let candidates = kept.remove(&rule)?;
    let mut first_seen = None;
    // Re-running a candidate that answers is quick; one that times out is not, so
    // only a few of those are tried. The budget rules either way.
    let limit = match rule {
        Rule::Hang | Rule::Unanswered => MAX_CONFIRM,
        _ => usize::MAX,
    };
    for (n, (index, tree)) in candidates.into_iter().enumerate() {
        if n >= limit || (n > 0 && Instant::now() >= st.shrink_deadline) {
            if first_seen.is_none() {
                first_seen = Some((index, tree));
            }
            break;
        }
        let probe = tree.current();
        out.calls += 1;
        match call_once(server, tool, &probe, st.call_timeout, rule.needs_ping()).await {
            Ok((obs, Some(b))) if b.rule == rule => return Some((index, tree, b, obs.reply)),
            Ok(_) => {}
            Err(e) => {
                out.error = Some(format!("could not (re)start the server: {e}"));
                return None;
            }
        }
        if first_seen.is_none() {
            first_seen = Some((index, tree));
        }
    }
    let (index, tree) = first_seen?;
    if rule == Rule::Crash {
        let probe = tree.current();
        out.found.push(Found {
            breach: Breach {
                rule,
                requirements: vec!["PING-01".into()],
                message: "the server died while calls were in flight; no single input reproduces it alone".into(),
            },
            minimal: probe.clone(),
            minimal_reply: Reply::Closed("see message".into()),
            original: probe,
            case_index: index,
            shrink_steps: 0,
            reproduced: false,
        });
    } else {
        out.unconfirmed.push(format!(
            "{} seen at case {index} did not happen again for that input alone",
            rule.label()
        ));
    }
    None
}

#[allow(clippy::too_many_arguments)]
async fn shrink(
    server: &mut FuzzServer<'_>,
    tool: &ToolPlan,
    rule: Rule,
    index: u32,
    mut tree: Tree,
    breach: Breach,
    reply: Reply,
    st: &Settings,
    max_shrink: u32,
) -> Found {
    let original = tree.current();
    let mut best = (original.clone(), breach, reply);
    let mut steps = 0u32;
    if tree.simplify() {
        loop {
            if steps >= max_shrink || Instant::now() >= st.shrink_deadline {
                break;
            }
            steps += 1;
            let probe = tree.current();
            let outcome = call_once(server, tool, &probe, st.call_timeout, rule.needs_ping()).await;
            match outcome {
                Ok((obs, Some(b))) if b.rule == rule => {
                    best = (probe, b, obs.reply);
                    if !tree.simplify() {
                        break;
                    }
                }
                Ok(_) => {
                    if !tree.complicate() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    }
    Found {
        breach: best.1,
        minimal: best.0,
        minimal_reply: best.2,
        original,
        case_index: index,
        shrink_steps: steps,
        reproduced: true,
    }
}
