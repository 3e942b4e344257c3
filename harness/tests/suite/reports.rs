//! The `mcp-conform` binary end to end against the reference server and a mutant:
//! every report format from one run, the JSON against its schema, the JUnit file read
//! by a real JUnit consumer (Python `junitparser`), the HTML rendered by headless
//! Chromium, the SARIF against the official SARIF 2.1.0 schema and the Markdown, baseline
//! exit codes, and servers taken from a Claude Desktop config.
//!
//! The external consumers are installed by `.ci/run`, which sets
//! MCP_CONFORM_REQUIRE_EXTERNAL=1 so that their absence fails the run there. Elsewhere
//! a missing consumer is reported on stderr and that one check is not made.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::Trial;
use serde_json::Value;

use crate::support::{conform_binary, reference_server_str, repo_root};

pub fn trials() -> Vec<Trial> {
    tests![
        every_format_from_one_run_against_the_reference_server,
        every_format_from_one_run_against_a_mutant,
        sarif_and_markdown_from_a_run_against_a_mutant,
        a_note_is_listed_apart_in_every_format_and_never_changes_the_exit_code,
        a_harness_refusal_is_an_error_naming_its_policy,
        a_message_over_the_size_cap_is_an_error_naming_the_policy,
        baseline_gates_new_failures_and_stale_entries,
        servers_from_a_claude_desktop_config,
    ]
}

fn conform(args: &[&str]) -> Output {
    Command::new(conform_binary())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcp-conform")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn external_required() -> bool {
    std::env::var("MCP_CONFORM_REQUIRE_EXTERNAL").is_ok_and(|v| v == "1")
}

/// Runs every format into `dir`; returns the process output.
fn all_formats(dir: &Path, server_args: &[&str]) -> Output {
    all_formats_with(dir, &[], server_args)
}

/// Runs every format into `dir` with further options of mcp-conform's own.
fn all_formats_with(dir: &Path, options: &[&str], server_args: &[&str]) -> Output {
    let d = dir.display().to_string();
    let hints = repo_root().join("fixtures/reference-hints.yaml");
    let h = hints.display().to_string();
    let mut args = vec![
        "--hints", &h, "--format", "terminal", "--format", "json", "--format", "junit", "--format",
        "html", "--format", "github", "-o", &d,
    ];
    args.extend_from_slice(options);
    args.push("--");
    args.push(reference_server_str());
    args.extend_from_slice(server_args);
    conform(&args)
}

fn summary(report: &Value) -> (u64, u64, u64, u64, u64, u64) {
    let s = &report["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
    (
        n("total"),
        n("passed"),
        n("failed"),
        n("warned"),
        n("skipped"),
        n("errored"),
    )
}

fn noted(report: &Value) -> u64 {
    report["summary"]["noted"].as_u64().unwrap_or(u64::MAX)
}

fn check_json_against_schema(path: &Path) -> Value {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("reports/report.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("report.json")).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json breaks its schema: {errors:?}"
    );
    report
}

/// Reads the JUnit file with Python's junitparser and returns (tests, failures+errors, skipped).
fn junit_counts(path: &Path) -> Option<(u64, u64, u64)> {
    let script = r#"
import sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
tests = failures = skipped = 0
for suite in xml:
    for case in suite:
        tests += 1
        kinds = {type(r).__name__ for r in case.result}
        if kinds & {"Failure", "Error"}:
            failures += 1
        elif "Skipped" in kinds:
            skipped += 1
print(tests, failures, skipped)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .ok()?;
    if !out.status.success() {
        let err = text(&out.stderr);
        if err.contains("No module named 'junitparser'") {
            return None;
        }
        panic!("junitparser could not read {}: {err}", path.display());
    }
    let nums: Vec<u64> = text(&out.stdout)
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(nums.len(), 3, "junitparser output: {}", text(&out.stdout));
    Some((nums[0], nums[1], nums[2]))
}

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// The text of the element with this id in a rendered DOM dump.
fn element_text<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let start = dom.find(&format!("id=\"{id}\""))?;
    let rest = &dom[start..];
    let open_end = rest.find('>')? + 1;
    let close = rest[open_end..].find('<')?;
    Some(rest[open_end..open_end + close].trim())
}

fn check_html_in_chromium(html: &Path, report: &Value, shot_name: &str) {
    let Some(browser) = chromium() else {
        assert!(
            !external_required(),
            "chromium is required here but not installed"
        );
        eprintln!("NOTE: chromium not installed; the HTML report was not rendered in a browser");
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let url = format!(
        "file://{}",
        html.canonicalize().expect("html path").display()
    );
    let out = Command::new(&browser)
        .args(chromium_args(profile.path()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    let dom = text(&out.stdout);
    assert!(
        dom.contains("</html>"),
        "chromium rendered nothing: {}",
        text(&out.stderr)
    );
    let (total, passed, failed, warned, skipped, errored) = summary(report);
    for (id, want) in [
        ("count-total", total),
        ("count-pass", passed),
        ("count-fail", failed),
        ("count-warn", warned),
        ("count-note", noted(report)),
        ("count-skip", skipped),
        ("count-error", errored),
    ] {
        let shown = element_text(&dom, id).unwrap_or("(missing)");
        assert_eq!(shown, want.to_string(), "#{id} in the rendered page");
    }
    let rows = dom.matches("class=\"case\"").count() as u64;
    assert_eq!(rows, total, "one row per case in the rendered page");
    // A screenshot for reviewers, kept under target/.
    let shots = conform_binary()
        .parent()
        .expect("bin dir")
        .join("report-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let shot = shots.join(shot_name);
    let profile2 = tempfile::tempdir().expect("profile dir");
    let out = Command::new(&browser)
        .args(chromium_args(profile2.path()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,1600")
        .arg(&url)
        .output()
        .expect("run chromium");
    assert!(shot.exists(), "no screenshot: {}", text(&out.stderr));
    eprintln!("screenshot: {}", shot.display());
}

fn check_run(server_args: &[&str], want_exit: i32, shot: &str) -> Value {
    check_run_with(&[], server_args, want_exit, shot).0
}

/// Like `check_run`, with options of mcp-conform's own; also returns stdout.
fn check_run_with(
    options: &[&str],
    server_args: &[&str],
    want_exit: i32,
    shot: &str,
) -> (Value, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = all_formats_with(dir.path(), options, server_args);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(want_exit),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    let report = check_json_against_schema(&dir.path().join("report.json"));
    let (total, passed, failed, warned, skipped, errored) = summary(&report);
    let noted = noted(&report);
    assert_eq!(total, passed + failed + warned + noted + skipped + errored);
    assert!(stdout.contains(&format!(
        "{passed} passed, {failed} failed, {warned} warned, {noted} noted, {skipped} skipped"
    )));
    match junit_counts(&dir.path().join("report.junit.xml")) {
        Some((tests, bad, skips)) => {
            assert_eq!(tests, total, "JUnit test count");
            assert_eq!(bad, failed + errored, "JUnit failures + errors");
            assert_eq!(skips, skipped, "JUnit skips");
        }
        None => {
            assert!(
                !external_required(),
                "python junitparser is required here but not installed"
            );
            eprintln!(
                "NOTE: python junitparser not installed; the JUnit file was not read by a consumer"
            );
        }
    }
    check_html_in_chromium(&dir.path().join("report.html"), &report, shot);
    (report, stdout)
}

fn every_format_from_one_run_against_the_reference_server() {
    // With a root (a fresh traversal sandbox) so the traversal probes run too.
    let report = check_run(&["--root", "{root}"], 0, "reference.png");
    let (total, passed, _, _, skipped, _) = summary(&report);
    assert_eq!(
        total,
        passed + skipped,
        "the reference server passes every case that runs"
    );
    // Over stdio the only skips are the cases of the HTTP transports, and the rules for
    // servers that speak only 2026-07-28 (the reference server is dual-era).
    for c in report["cases"].as_array().expect("cases") {
        if c["verdict"] == "skip" {
            let reason = c["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains("transport") || reason.contains("speak only 2026-07-28"),
                "{}: {reason}",
                c["id"]
            );
        }
    }
}

fn every_format_from_one_run_against_a_mutant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = all_formats(dir.path(), &["--fault", "no-ping"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("PING-01"),
        "names the broken requirement:\n{stdout}"
    );
    assert!(
        stdout.contains("::error file=cases/lifecycle/ping-after-initialize.yaml"),
        "{stdout}"
    );
    let report = check_run(&["--fault", "no-ping"], 1, "mutant-no-ping.png");
    let (_, _, failed, ..) = summary(&report);
    assert!(failed > 0);
}

/// SARIF and Markdown from one run of the ping cases against the no-ping mutant: the
/// SARIF validates against the official SARIF 2.1.0 schema (vendored from a registry
/// package, see schemas/sarif/SOURCE.md) and has a result per finding of report.json;
/// alone, each format goes to stdout.
fn sarif_and_markdown_from_a_run_against_a_mutant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let base = [
        "--only",
        "*ping*",
        "--",
        reference_server_str(),
        "--fault",
        "no-ping",
    ];
    let mut args = vec![
        "--format", "json", "--format", "sarif", "--format", "markdown",
    ];
    args.extend_from_slice(&["-o", &d]);
    args.extend_from_slice(&base);
    let out = conform(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = check_json_against_schema(&dir.path().join("report.json"));
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.sarif")).expect("report.sarif"),
    )
    .expect("SARIF is JSON");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/sarif/sarif-schema-2.1.0.json"))
            .expect("the vendored SARIF schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.sarif breaks SARIF 2.1.0: {errors:?}"
    );
    let findings: usize = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| ["fail", "warn", "note"].contains(&c["verdict"].as_str().unwrap_or("")))
        .map(|c| c["findings"].as_array().map_or(1, |f| f.len().max(1)))
        .sum();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(findings > 0, "the mutant fails a ping case");
    assert_eq!(results.len(), findings, "a result per finding");
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "PING-01" && r["level"] == "error"),
        "{results:?}"
    );
    let md = std::fs::read_to_string(dir.path().join("report.md")).expect("report.md");
    assert!(md.starts_with("## mcp-conform: "), "{md}");
    assert!(
        md.contains("#### FAIL `lifecycle.ping-after-initialize`"),
        "{md}"
    );
    assert!(
        md.contains("[PING-01](https://modelcontextprotocol.io/"),
        "{md}"
    );
    // Alone, each format goes to stdout.
    for (format, starts) in [("sarif", "{"), ("markdown", "## mcp-conform: ")] {
        let mut args = vec!["--format", format];
        args.extend_from_slice(&base);
        let out = conform(&args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with(starts), "{format} on stdout");
    }
}

/// Two cases of our own: one the reference server passes, and one at severity `note`
/// that it cannot pass (its `ping` result has no such member).
fn note_cases(dir: &Path) -> PathBuf {
    let cases = dir.join("cases");
    let area = cases.join("notes");
    std::fs::create_dir_all(&area).expect("cases folder");
    let ping = r#"id: notes.ping
title: ping is answered
requirements: [PING-01]
severity: must
mutants: [no-ping]
steps:
  - send: {jsonrpc: "2.0", id: 1, method: ping}
  - expect: {id: 1, match: {result: {}}}
"#;
    let practice = r#"id: notes.practice
title: a practice no revision requires
requirements: [SEC-04]
severity: note
mutants: [no-ping]
steps:
  - send: {jsonrpc: "2.0", id: 1, method: ping}
  - expect:
      id: 1
      match: {result: {practice: {$present: true}}}
      because: the ping result names no practice
"#;
    std::fs::write(area.join("ping.yaml"), ping).expect("write case");
    std::fs::write(area.join("practice.yaml"), practice).expect("write case");
    cases
}

fn a_note_is_listed_apart_in_every_format_and_never_changes_the_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = note_cases(dir.path());
    let c = cases.display().to_string();
    // Even with warnings counted as failures, a note leaves the exit code at 0.
    let (report, stdout) = check_run_with(
        &["--cases", &c, "--no-traversal", "--warnings-as-failures"],
        &[],
        0,
        "notes.png",
    );
    let (total, passed, failed, warned, skipped, errored) = summary(&report);
    assert_eq!(
        (
            total,
            passed,
            failed,
            warned,
            noted(&report),
            skipped,
            errored
        ),
        (2, 1, 0, 0, 1, 0, 0)
    );
    let note = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == "notes.practice")
        .expect("the note case");
    assert_eq!(note["verdict"], "note");
    assert_eq!(note["severity"], "note");
    assert_eq!(note["findings"][0]["severity"], "note");
    // Terminal: its own status word and a section after everything that counts.
    assert!(stdout.contains("NOTE  notes.practice"), "{stdout}");
    assert!(stdout.contains("PASS  notes.ping"), "{stdout}");
    let section = stdout.find("Notes (").expect("a notes section");
    assert!(
        stdout[section..].contains("── notes.practice [note]"),
        "{stdout}"
    );
    // GitHub: a notice for the case, never an error or a warning.
    assert!(
        stdout.contains("::notice file=cases/notes/practice.yaml,title=notes.practice [SEC-04]::"),
        "{stdout}"
    );
    assert!(!stdout.contains("::error") && !stdout.contains("::warning"));
    // A baseline that lists nothing accepts it; one that lists it finds the entry stale.
    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "[]\n").expect("write baseline");
    let e = empty.display().to_string();
    let out = conform(&[
        "--cases",
        &c,
        "--no-traversal",
        "--baseline",
        &e,
        "--",
        reference_server_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed = dir.path().join("listed.yaml");
    std::fs::write(&listed, "- id: notes.practice\n").expect("write baseline");
    let l = listed.display().to_string();
    let out = conform(&[
        "--cases",
        &c,
        "--no-traversal",
        "--baseline",
        &l,
        "--",
        reference_server_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("STALE  notes.practice now note"),
        "{}",
        text(&out.stderr)
    );
}

/// The legacy SSE `endpoint` event may name another origin (no sentence of the
/// 2024-11-05 transport forbids it), where the harness sends nothing: the cases that
/// need it end as `error` naming the harness policy, never as a failure of the server.
fn a_harness_refusal_is_an_error_naming_its_policy() {
    let mut server = Command::new(reference_server_str())
        .args([
            "--http",
            "127.0.0.1:0",
            "--fault",
            "sse-endpoint-foreign-origin",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the reference server");
    let stderr = server.stderr.take().expect("stderr");
    let mut line = String::new();
    let mut reader = std::io::BufReader::new(stderr);
    let mut url = None;
    for _ in 0..10 {
        line.clear();
        if std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(at) = line.find("legacy SSE: ") {
            let rest = &line[at + "legacy SSE: ".len()..];
            url = Some(rest.trim().trim_end_matches(')').to_string());
            break;
        }
    }
    let Some(url) = url else {
        let _ = server.kill();
        panic!("the reference server printed no legacy SSE URL: {line}");
    };
    let out = conform(&[
        "--transport",
        "sse",
        "--only",
        "sse.endpoint-event",
        "--no-traversal",
        "--format",
        "json",
        &url,
    ]);
    let _ = server.kill();
    let _ = server.wait();
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let case = &report["cases"][0];
    assert_eq!(case["id"], "sse.endpoint-event");
    assert_eq!(case["verdict"], "error", "{case}");
    let reason = case["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("harness policy: ") && reason.contains("mcp-conform-foreign.invalid"),
        "{reason}"
    );
    // An error never passes a run (1; 3 when, as here, nothing at all was judged).
    assert!(
        matches!(out.status.code(), Some(1 | 3)),
        "{:?}",
        out.status.code()
    );
    assert!(
        report["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .all(|c| c["verdict"] != "fail"),
        "no failure is charged to the server"
    );
}

/// A stdio server that answers `ping` with one line over the harness's 4 MiB cap.
const BIG_PING_SERVER: &str = r#"
import json, sys
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if "id" not in msg or "method" not in msg:
        continue
    method, rid = msg["method"], msg["id"]
    if method == "initialize":
        result = {"protocolVersion": msg["params"]["protocolVersion"], "capabilities": {},
                  "serverInfo": {"name": "big-ping", "version": "0"}}
        out = {"jsonrpc": "2.0", "id": rid, "result": result}
    elif method == "ping":
        out = {"jsonrpc": "2.0", "id": rid, "result": {"_meta": {"pad": "x" * (5 << 20)}}}
    else:
        out = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no"}}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"#;

/// A message over the harness's size cap (no MCP rule limits message size) is the
/// harness's refusal: the case ends as `error` naming the policy, not as a failure of
/// STDIO-01/02.
fn a_message_over_the_size_cap_is_an_error_naming_the_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = note_cases(dir.path());
    let script = dir.path().join("big_ping.py");
    std::fs::write(&script, BIG_PING_SERVER).expect("write server");
    if Command::new("python3").arg("--version").output().is_err() {
        assert!(!external_required(), "python3 is required here");
        eprintln!("NOTE: python3 not installed; the size-cap refusal was not tried");
        return;
    }
    let c = cases.display().to_string();
    let s = script.display().to_string();
    let out = conform(&[
        "--cases",
        &c,
        "--only",
        "notes.ping",
        "--revision",
        "2025-11-25",
        "--no-traversal",
        "--format",
        "json",
        "--",
        "python3",
        &s,
    ]);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", text(&out.stderr)));
    let case = &report["cases"][0];
    assert_eq!(case["id"], "notes.ping");
    assert_eq!(case["verdict"], "error", "{case}");
    let reason = case["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("harness policy: ") && reason.contains("size cap"),
        "{reason}"
    );
}

fn baseline_gates_new_failures_and_stale_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("baseline.yaml");
    let b = base.display().to_string();
    // Write the failures of the no-ping mutant as the baseline.
    let out = conform(&[
        "--write-baseline",
        &b,
        "--",
        reference_server_str(),
        "--fault",
        "no-ping",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let written = std::fs::read_to_string(&base).expect("baseline written");
    assert!(
        written.contains("lifecycle.ping-after-initialize"),
        "{written}"
    );
    // Only known failures → 0.
    let out = conform(&[
        "--baseline",
        &b,
        "--",
        reference_server_str(),
        "--fault",
        "no-ping",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A new failure → 1, named.
    let out = conform(&[
        "--baseline",
        &b,
        "--",
        reference_server_str(),
        "--fault",
        "no-ping",
        "--fault",
        "stringify-ids",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("jsonrpc.integer-id"),
        "{}",
        text(&out.stderr)
    );
    // Stale entries (the reference server passes them now) → 1, named.
    let out = conform(&["--baseline", &b, "--", reference_server_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("lifecycle.ping-after-initialize"),
        "{}",
        text(&out.stderr)
    );
}

fn servers_from_a_claude_desktop_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("claude_desktop_config.json");
    let body = serde_json::json!({
        "mcpServers": {
            "good": {"command": reference_server_str(), "args": [], "env": {"MCP_CONFORM_TEST": "1"}},
            "broken": {"command": reference_server_str(), "args": ["--fault", "stringify-ids"]}
        }
    });
    std::fs::write(&config, body.to_string()).expect("write config");
    let c = config.display().to_string();
    let out_dir = dir.path().join("out");
    let o = out_dir.display().to_string();

    let out = conform(&[
        "--claude-config",
        &c,
        "--server",
        "good",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["target"]["config_name"], "good");

    let out = conform(&[
        "--claude-config",
        &c,
        "--all-servers",
        "--format",
        "json",
        "-o",
        &o,
    ]);
    assert_eq!(out.status.code(), Some(1), "the broken server fails");
    for name in ["good", "broken"] {
        let r = check_json_against_schema(&out_dir.join(name).join("report.json"));
        assert_eq!(r["target"]["config_name"], name);
    }

    let out = conform(&["--claude-config", &c, "--server", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("good"),
        "lists the names: {}",
        text(&out.stderr)
    );
}
