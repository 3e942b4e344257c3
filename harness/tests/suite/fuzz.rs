//! The tool-input fuzzer judged against the reference server and its fuzz mutants:
//! the reference server yields no finding, each fuzz mutant is found with the exact
//! minimal input the shrinker converges to, and the printed replay command gives the
//! same failure and the same minimal input again.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use libtest_mimic::Trial;
use mcp_conform::case::TransportKind;
use mcp_conform::client::RunConfig;
use mcp_conform::fuzz::{self, FuzzConfig};
use mcp_conform::outcome::{CaseResult, Verdict};
use mcp_conform::transport::stdio::Launch;
use serde_json::{json, Value};

use crate::http_servers;
use crate::support::{reference_server, reference_server_str, repo_root, run_conform};

pub fn trials() -> Vec<Trial> {
    tests![
        the_reference_server_yields_no_finding,
        a_refusing_tool_and_a_slow_tool_yield_no_finding,
        crash_on_big_int_is_found_and_shrunk,
        hang_on_missing_argument_is_found_and_shrunk,
        internal_error_on_long_string_is_found_and_shrunk,
        output_schema_violation_is_found_and_shrunk,
        the_printed_replay_command_reproduces_the_failure,
        same_seed_same_inputs,
        the_stateless_reference_server_yields_no_finding,
        crash_and_hang_are_found_at_the_stateless_revision,
        every_fuzz_mutant_is_tested_here,
        the_reference_server_over_http_yields_no_finding_in_either_era,
        an_http_refusal_without_an_answer_is_found_at_once_and_named,
        a_hang_without_arguments_is_found_by_the_envelope_family_and_replays,
    ]
}

const REVISION: &str = "2025-11-25";

fn config(fault: Option<&str>, timeout_ms: u64) -> RunConfig {
    let args = match fault {
        Some(f) => vec!["--fault".to_string(), f.to_string()],
        None => Vec::new(),
    };
    let mut cfg = RunConfig::new(Launch {
        program: reference_server_str().to_string(),
        args,
        env: Vec::new(),
        cwd: None,
    });
    cfg.timeout = Duration::from_millis(timeout_ms);
    cfg
}

fn fuzz_config(cfg: &RunConfig, seed: u64, cases: u32, tools: &[&str]) -> FuzzConfig {
    let mut target_words = vec![cfg.launch.program.clone()];
    target_words.extend(cfg.launch.args.iter().cloned());
    FuzzConfig {
        cases,
        seed,
        budget: Duration::from_secs(120),
        tools: tools.iter().map(|t| t.to_string()).collect(),
        allow_destructive: false,
        call_timeout: cfg.timeout,
        window: fuzz::DEFAULT_WINDOW,
        replay_prefix: "mcp-conform".into(),
        target_words,
    }
}

fn run(
    fault: Option<&str>,
    timeout_ms: u64,
    seed: u64,
    cases: u32,
    tools: &[&str],
) -> Vec<CaseResult> {
    let cfg = config(fault, timeout_ms);
    let fz = fuzz_config(&cfg, seed, cases, tools);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(fuzz::run(&cfg, &fz, REVISION))
        .expect("the reference server can be fuzzed")
        .results
}

fn result<'a>(results: &'a [CaseResult], id: &str) -> &'a CaseResult {
    results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no result {id} in {:?}", ids(results)))
}

fn ids(results: &[CaseResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| format!("{} {}", r.id, r.verdict.as_str()))
        .collect()
}

/// The minimal input of the first finding (the arguments of the call it shows).
fn minimal(r: &CaseResult) -> Value {
    let f = r
        .findings
        .first()
        .unwrap_or_else(|| panic!("{} has no finding: {:?}", r.id, r.reason));
    f.sent
        .as_ref()
        .and_then(|s| s.pointer("/params/arguments"))
        .cloned()
        .unwrap_or_else(|| panic!("{}: finding without sent arguments", r.id))
}

fn rule_of(r: &CaseResult) -> String {
    let msg = &r.findings[0].message;
    let start = msg.find("[rule ").map(|i| i + 6).unwrap_or(0);
    msg[start..].split(']').next().unwrap_or("").to_string()
}

fn the_reference_server_yields_no_finding() {
    let results = run(None, 2000, 7, 32, &[]);
    let tools = [
        "echo",
        "add",
        "slow",
        "fail",
        "log",
        "touch",
        "toggle_extra",
        "greeting",
        "ask_roots",
    ];
    assert_no_finding(&results, &tools, 32, None);
}

/// Every tool's three campaigns ran (`cases` inputs each, the fixed number of envelope
/// inputs for that family, at `revision` when given) and passed; the `fail` tool's
/// isError for every input is normal tool behaviour.
fn assert_no_finding(results: &[CaseResult], tools: &[&str], cases: u32, revision: Option<&str>) {
    assert_eq!(results.len(), tools.len() * 3, "{:?}", ids(results));
    for r in results {
        if let Some(rev) = revision {
            assert_eq!(r.revision.as_deref(), Some(rev), "{}", r.id);
        }
        assert_eq!(r.verdict, Verdict::Pass, "{}: {:?}", r.id, r.reason);
        let cases = if r.id.ends_with(".envelope") {
            fuzz::ENVELOPE_CASES
        } else {
            cases
        };
        let n = format!("{cases} cases");
        assert!(r.title.contains(&n), "{}: {}", r.id, r.title);
    }
}

/// Legal variants: `read_note` refuses every schema-valid name but one with isError
/// (note not found), `wait` runs 30 s for its default input (longer than the timeout
/// for every valid one). Neither is a finding; the cancelled calls are in the notes.
fn a_refusing_tool_and_a_slow_tool_yield_no_finding() {
    let mut cfg = config(None, 400);
    cfg.launch.args = ["--variant", "tool-refuses", "--variant", "slow-tool"]
        .map(String::from)
        .to_vec();
    let tools = ["read_note", "wait"];
    let fz = fuzz_config(&cfg, 3, 8, &tools);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let results = rt
        .block_on(fuzz::run(&cfg, &fz, REVISION))
        .expect("the variant server can be fuzzed")
        .results;
    assert_no_finding(&results, &tools, 8, Some(REVISION));
    let slow = result(&results, "fuzz.wait.valid");
    let reason = slow.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("8 calls") && reason.contains("cancelled"),
        "{reason}"
    );
}

fn crash_on_big_int_is_found_and_shrunk() {
    let results = run(Some("fuzz-crash-big-int"), 1000, 1, 64, &["add"]);
    let r = result(&results, "fuzz.add.invalid");
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", r.reason);
    assert_eq!(rule_of(r), "crash");
    assert!(r.findings[0].requirements.contains(&"PING-01".to_string()));
    // The huge-number stressor shrinks to the first of its candidates (2^53 + 1) and
    // the other argument to 0, the origin of the integer shrinker.
    assert_eq!(minimal(r), json!({"a": 0, "b": 9_007_199_254_740_993u64}));
    // Valid inputs stay below 2^53 and never crash it.
    assert_eq!(result(&results, "fuzz.add.valid").verdict, Verdict::Pass);
}

fn hang_on_missing_argument_is_found_and_shrunk() {
    let results = run(Some("fuzz-hang-missing-arg"), 300, 1, 64, &["echo"]);
    let r = result(&results, "fuzz.echo.invalid");
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", r.reason);
    assert_eq!(rule_of(r), "unanswered");
    // `text` is echo's only property: without it, and with every extra member
    // shrunk away, nothing is left.
    assert_eq!(minimal(r), json!({}));
    assert_eq!(result(&results, "fuzz.echo.valid").verdict, Verdict::Pass);
}

fn internal_error_on_long_string_is_found_and_shrunk() {
    let results = run(
        Some("fuzz-internal-error-long-string"),
        1000,
        1,
        64,
        &["echo"],
    );
    let r = result(&results, "fuzz.echo.invalid");
    // -32603 for an input the schema allows (echo has no maxLength): RPC-12, a SHOULD.
    assert_eq!(r.verdict, Verdict::Warn, "{:?}", r.reason);
    assert_eq!(rule_of(r), "protocol-error-on-valid-input");
    assert_eq!(r.findings[0].requirements, vec!["RPC-12".to_string()]);
    // The huge-string stressor shrinks its length and its character: the fault fires
    // above 1000 characters, so the minimal input is exactly 1001 ASCII `A`s.
    let m = minimal(r);
    let text = m["text"].as_str().unwrap_or_default();
    assert_eq!(
        (text.chars().count(), text.chars().all(|c| c == 'A')),
        (1001, true),
        "minimal input has {} characters",
        text.chars().count()
    );
    assert_eq!(m, json!({"text": "A".repeat(1001)}));
}

fn output_schema_violation_is_found_and_shrunk() {
    let results = run(Some("fuzz-violate-output-schema"), 1000, 1, 64, &["add"]);
    let r = result(&results, "fuzz.add.valid");
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", r.reason);
    assert_eq!(rule_of(r), "output-schema");
    assert_eq!(r.findings[0].requirements, vec!["TOOL-10".to_string()]);
    // proptest shrinks one property at a time: `a` first, by binary search down to the
    // smallest value that still makes a + b > 100 for the generated `b`, then `b` down
    // to the smallest that keeps it so. The sum is 101, the boundary of the fault;
    // neither argument can get smaller on its own.
    let m = minimal(r);
    assert_eq!(m, json!({"a": 88, "b": 13}));
}

/// Runs the mcp-conform binary as the printed replay line says (plus a JSON report) and
/// returns the report's results.
fn replay(line: &str, dir: &Path) -> Vec<CaseResult> {
    let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    assert_eq!(words.first().map(String::as_str), Some("mcp-conform"));
    let split = words
        .iter()
        .position(|w| w == "--")
        .expect("-- before the target");
    let mut argv = words[1..split].to_vec();
    argv.extend(["--fuzz-time", "120", "--format", "json", "-o"].map(String::from));
    argv.push(dir.display().to_string());
    argv.extend(words[split..].iter().cloned());
    let code = run_conform(&argv);
    assert_eq!(code, 1, "the replay must fail again");
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    let report: mcp_conform::outcome::RunReport =
        serde_json::from_str(&text).expect("report parses");
    report.cases
}

fn the_printed_replay_command_reproduces_the_failure() {
    let results = run(Some("fuzz-crash-big-int"), 1000, 1, 64, &["add"]);
    let first = result(&results, "fuzz.add.invalid");
    let message = &first.findings[0].message;
    let line = message
        .split("replay: ")
        .nth(1)
        .expect("a replay command in the finding");
    assert!(
        line.starts_with(
            "mcp-conform --fuzz --fuzz-seed 1 --fuzz-cases 64 --fuzz-tools add --timeout 1000 -- "
        ),
        "{line}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let again = replay(line, dir.path());
    let second = result(&again, "fuzz.add.invalid");
    assert_eq!(second.verdict, Verdict::Fail);
    assert_eq!(rule_of(second), rule_of(first));
    assert_eq!(minimal(second), minimal(first));
    // Same inputs, same counts: generation depends on the seed only.
    assert_eq!(second.title, first.title);
}

fn same_seed_same_inputs() {
    use mcp_conform::fuzz::campaign::Family;
    use mcp_conform::fuzz::strategy::{runner_for_seed, sample, SchemaGen};
    let schema = json!({"type": "object", "properties": {
        "a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]});
    let gen = SchemaGen::new(&schema).expect("supported");
    let draw = |seed: u64| {
        let s = fuzz::campaign_seed(seed, "add", Family::Invalid);
        let mut runner = runner_for_seed(s, 64);
        sample(&gen.invalid(), &mut runner, 64).expect("inputs")
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
    assert_ne!(
        fuzz::campaign_seed(1, "add", Family::Valid),
        fuzz::campaign_seed(1, "echo", Family::Valid)
    );
}

/// The reference server speaking 2026-07-28 only, fuzzed at that revision: no
/// handshake, every call with the per-request `_meta`, `server/discover` as the
/// liveness check.
fn run_stateless(
    fault: Option<&str>,
    timeout_ms: u64,
    cases: u32,
    tools: &[&str],
) -> Vec<CaseResult> {
    let mut cfg = config(fault, timeout_ms);
    cfg.launch.args.push("--modern-only".into());
    let fz = fuzz_config(&cfg, 7, cases, tools);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(fuzz::run(&cfg, &fz, "2026-07-28"))
        .expect("the modern-only reference server can be fuzzed at 2026-07-28")
        .results
}

fn the_stateless_reference_server_yields_no_finding() {
    // Without the per-request `_meta` every call would get -32602 (a finding). `slow`
    // is left out: it runs for seconds by design.
    let tools = [
        "echo",
        "add",
        "fail",
        "log",
        "touch",
        "toggle_extra",
        "ask_roots",
    ];
    let results = run_stateless(None, 2000, 16, &tools);
    assert_no_finding(&results, &tools, 16, Some("2026-07-28"));
}

fn crash_and_hang_are_found_at_the_stateless_revision() {
    let results = run_stateless(Some("fuzz-crash-big-int"), 1000, 64, &["add"]);
    let r = result(&results, "fuzz.add.invalid");
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", r.reason);
    assert_eq!(rule_of(r), "crash");
    assert!(r.findings[0].requirements.contains(&"RPC-02".to_string()));
    assert!(!r.findings[0].requirements.contains(&"PING-01".to_string()));
    assert_eq!(minimal(r), json!({"a": 0, "b": 9_007_199_254_740_993u64}));

    let results = run_stateless(Some("fuzz-hang-missing-arg"), 300, 64, &["echo"]);
    let r = result(&results, "fuzz.echo.invalid");
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", r.reason);
    assert_eq!(rule_of(r), "unanswered");
    assert!(
        r.findings[0].message.contains("server/discover"),
        "{}",
        r.findings[0].message
    );
    assert_eq!(minimal(r), json!({}));
}

fn every_fuzz_mutant_is_tested_here() {
    let root = repo_root();
    let catalogue =
        mcp_conform::mutants::load(&root.join("fixtures/mutants.yaml")).expect("catalogue");
    let fuzz_mutants: BTreeSet<String> = catalogue
        .iter()
        .filter(|m| m.used_by == "fuzz")
        .map(|m| m.name.clone())
        .collect();
    let tested: BTreeSet<String> = [
        "fuzz-refuse-deep-json",
        "fuzz-crash-big-int",
        "fuzz-hang-missing-arg",
        "fuzz-internal-error-long-string",
        "fuzz-violate-output-schema",
        "fuzz-hang-without-arguments",
    ]
    .map(String::from)
    .into();
    assert_eq!(fuzz_mutants, tested);
}

/// The reference server over Streamable HTTP (a server of the test's own, stopped on drop).
fn run_http(fault: Option<&str>, revision: &str, cases: u32, tools: &[&str]) -> Vec<CaseResult> {
    let mut args = Vec::new();
    if let Some(f) = fault {
        args.extend(["--fault".to_string(), f.to_string()]);
    }
    let server = http_servers::start_owned("fuzz", reference_server(), &args)
        .expect("start the reference server over HTTP");
    let url = server.base.join("mcp").expect("url");
    let mut cfg = RunConfig::for_url(url, TransportKind::StreamableHttp);
    cfg.timeout = Duration::from_millis(2000);
    let fz = fuzz_config(&cfg, 11, cases, tools);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(fuzz::run(&cfg, &fz, revision))
        .expect("the reference server can be fuzzed over HTTP")
        .results
}

fn the_reference_server_over_http_yields_no_finding_in_either_era() {
    for revision in [REVISION, "2026-07-28"] {
        let tools = ["echo", "add"];
        let results = run_http(None, revision, 16, &tools);
        assert_no_finding(&results, &tools, 16, Some(revision));
    }
}

fn an_http_refusal_without_an_answer_is_found_at_once_and_named() {
    let results = run_http(Some("fuzz-refuse-deep-json"), REVISION, 64, &["add"]);
    let r = result(&results, "fuzz.add.invalid");
    assert_eq!(r.verdict, Verdict::Warn, "{:?}", r.reason);
    assert_eq!(rule_of(r), "refused-without-answer");
    let f = &r.findings[0];
    assert!(f.requirements.contains(&"HTTP-08".to_string()));
    assert!(f.message.contains("415"), "{}", f.message);
    assert!(!f.message.contains("no answer within"), "{}", f.message);
}

/// A server that never answers a call without `arguments` (legal: they are optional)
/// passes the valid and invalid families, which always send them; the envelope family
/// finds it with the request reduced to `params: {name}` (`echo` requires `text`, so
/// an answer, an error or an isError result, is due at once; `fail` requires nothing,
/// and answered the same call with `arguments: {}` in time), and the printed replay
/// command finds the same request again.
fn a_hang_without_arguments_is_found_by_the_envelope_family_and_replays() {
    let results = run(
        Some("fuzz-hang-without-arguments"),
        300,
        1,
        16,
        &["echo", "fail"],
    );
    let control = result(&results, "fuzz.fail.envelope");
    assert_eq!(control.verdict, Verdict::Fail, "{:?}", control.reason);
    assert_eq!(rule_of(control), "unanswered");
    let message = &control.findings[0].message;
    assert!(
        message.contains("the same call with `arguments: {}` was answered in time"),
        "{message}"
    );
    assert_eq!(result(&results, "fuzz.echo.valid").verdict, Verdict::Pass);
    assert_eq!(result(&results, "fuzz.echo.invalid").verdict, Verdict::Pass);
    let first = result(&results, "fuzz.echo.envelope");
    assert_eq!(first.verdict, Verdict::Fail, "{:?}", first.reason);
    assert_eq!(rule_of(first), "unanswered");
    let f = &first.findings[0];
    assert_eq!(f.requirements, vec!["RPC-02".to_string()]);
    assert!(
        f.message.contains("envelope: `arguments` omitted"),
        "{}",
        f.message
    );
    let sent = f.sent.clone().expect("the request is shown");
    assert_eq!(
        sent,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "echo", "_meta": {"progressToken": 1}}})
    );
    let line = f
        .message
        .split("replay: ")
        .nth(1)
        .expect("a replay command in the finding");
    let dir = tempfile::tempdir().expect("temp dir");
    let again = replay(line, dir.path());
    let second = result(&again, "fuzz.echo.envelope");
    assert_eq!(second.verdict, Verdict::Fail, "{:?}", second.reason);
    assert_eq!(rule_of(second), "unanswered");
    assert_eq!(second.findings[0].sent, Some(sent));
    assert_eq!(second.title, first.title);
}
