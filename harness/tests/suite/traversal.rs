//! The path-traversal probes judged against the reference server with `--root`:
//! every family passes on the correct server (stdio with a fresh sandbox, and over
//! HTTP with `--root` beside a folder it serves), no canary ever comes back from it,
//! and each `traversal-*` mutant is caught by the family that targets it, with canary
//! content as evidence.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::Trial;
use mcp_conform::case::TransportKind;
use mcp_conform::client::RunConfig;
use mcp_conform::outcome::{CaseResult, Verdict};
use mcp_conform::sandbox::Sandbox;
use mcp_conform::transport::stdio::Launch;
use mcp_conform::traversal::{self, Family, TraversalConfig};
use serde_json::json;

use crate::http_servers;
use crate::support::{reference_server, reference_server_str, repo_root, run_conform};

pub fn trials() -> Vec<Trial> {
    tests![
        every_family_passes_on_the_reference_server_over_stdio,
        every_family_passes_at_the_stateless_revision,
        every_applicable_family_passes_over_http_with_root,
        each_traversal_mutant_is_caught_by_its_family,
        a_write_that_escapes_the_root_is_caught,
        every_traversal_mutant_is_tested_here,
        the_cli_substitutes_root_and_honours_only_and_no_traversal,
    ]
}

const REVISION: &str = "2025-11-25";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn tc(sb: Sandbox) -> TraversalConfig {
    TraversalConfig {
        sandbox: Some(Arc::new(sb)),
        unavailable: String::new(),
        families: Family::ALL.to_vec(),
        allow_destructive: false,
        hints: json!({}),
        budget: Duration::from_secs(120),
    }
}

/// Runs every family against the reference server over stdio with a fresh sandbox.
fn stdio_run(fault: Option<&str>) -> Vec<CaseResult> {
    let extra: Vec<&str> = fault.map(|f| vec!["--fault", f]).unwrap_or_default();
    stdio_run_at(REVISION, &extra)
}

/// Runs every family at `revision` against the reference server started with `extra`
/// arguments, over stdio with a fresh sandbox.
fn stdio_run_at(revision: &str, extra: &[&str]) -> Vec<CaseResult> {
    let sb = Sandbox::create().expect("sandbox");
    let mut args = vec!["--root".to_string(), sb.substitute("{root}")];
    args.extend(extra.iter().map(|a| a.to_string()));
    let mut cfg = RunConfig::new(Launch {
        program: reference_server_str().to_string(),
        args,
        env: Vec::new(),
        cwd: None,
    });
    cfg.timeout = Duration::from_secs(5);
    let tc = tc(sb);
    runtime()
        .block_on(traversal::run(&cfg, &tc, revision))
        .results
}

fn summary(results: &[CaseResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| format!("{} {} {:?}", r.id, r.verdict.as_str(), r.reason))
        .collect()
}

fn no_canary_anywhere(results: &[CaseResult]) {
    let text = serde_json::to_string(results).expect("serialize");
    assert!(
        !text.contains("MCPCONFORM-CANARY-"),
        "a canary token in the results: {:?}",
        summary(results)
    );
}

fn every_family_passes_on_the_reference_server_over_stdio() {
    let results = stdio_run(None);
    assert_eq!(results.len(), Family::ALL.len(), "{:?}", summary(&results));
    for r in &results {
        assert_eq!(r.verdict, Verdict::Pass, "{:?}", summary(&results));
        assert!(r.findings.is_empty());
        assert_eq!(r.area, "traversal");
        // Both the file tools and the file resources were probed.
        assert_eq!(r.requirements, ["TOOL-15", "RES-10"], "{}", r.id);
    }
    no_canary_anywhere(&results);
}

/// At the stateless revision the traversal connection needs no `initialize`: it
/// learns the capabilities from `server/discover` and every probe carries the
/// per-request `_meta` (the same handshake as the cases and fuzzing), so a server
/// that speaks only 2026-07-28 is probed too.
fn every_family_passes_at_the_stateless_revision() {
    let results = stdio_run_at("2026-07-28", &["--modern-only"]);
    assert_eq!(results.len(), Family::ALL.len(), "{:?}", summary(&results));
    for r in &results {
        assert_eq!(r.verdict, Verdict::Pass, "{:?}", summary(&results));
        assert_eq!(r.revision.as_deref(), Some("2026-07-28"));
        assert_eq!(r.requirements, ["TOOL-15", "RES-10"], "{}", r.id);
    }
    no_canary_anywhere(&results);
}

fn every_applicable_family_passes_over_http_with_root() {
    let outer = tempfile::tempdir().expect("tmp");
    let data = outer.path().join("data");
    std::fs::create_dir_all(data.join("docs")).expect("mkdir");
    std::fs::write(data.join("docs/readme.txt"), "served\n").expect("write");
    let args = ["--root".to_string(), data.display().to_string()];
    let server = http_servers::start_owned("traversal", reference_server(), &args)
        .expect("start the reference server");
    let mcp = server.base.join("mcp").expect("url");
    let mut cfg = RunConfig::for_url(mcp, TransportKind::StreamableHttp);
    cfg.timeout = Duration::from_secs(5);
    let sb = Sandbox::beside(&data).expect("canaries beside the root");
    let canary_dir = sb.dir.clone();
    let tc = tc(sb);
    let results = runtime()
        .block_on(traversal::run(&cfg, &tc, REVISION))
        .results;
    for r in &results {
        if r.id == "traversal.symlink" {
            assert_eq!(r.verdict, Verdict::Skip, "{:?}", summary(&results));
            assert!(r.reason.as_deref().is_some_and(|w| w.contains("--root")));
        } else {
            assert_eq!(r.verdict, Verdict::Pass, "{:?}", summary(&results));
        }
    }
    no_canary_anywhere(&results);
    drop(tc);
    assert!(!canary_dir.exists(), "the canary folder is removed");
}

/// Each mutant and the family that must catch it.
const MUTANTS: [(&str, &str); 5] = [
    ("traversal-dotdot", "traversal.dotdot"),
    ("traversal-encoded", "traversal.percent-encoded"),
    ("traversal-absolute", "traversal.absolute"),
    ("traversal-symlink", "traversal.symlink"),
    ("traversal-prefix", "traversal.prefix-sibling"),
];

fn each_traversal_mutant_is_caught_by_its_family() {
    for (fault, family) in MUTANTS {
        let results = stdio_run(Some(fault));
        let r = results
            .iter()
            .find(|r| r.id == family)
            .unwrap_or_else(|| panic!("{fault}: no {family} in {:?}", summary(&results)));
        assert_eq!(r.verdict, Verdict::Fail, "{fault}: {:?}", summary(&results));
        let f = &r.findings[0];
        assert!(
            f.message.contains("MCPCONFORM-CANARY-"),
            "{fault}: {}",
            f.message
        );
        let excerpt = f
            .actual
            .as_ref()
            .and_then(|a| a.get("excerpt"))
            .and_then(|e| e.as_str())
            .unwrap_or_default();
        assert!(excerpt.contains("MCPCONFORM-CANARY-"), "{fault}: {excerpt}");
        assert!(f.sent.is_some(), "{fault}: the request is evidence");
        // Only canary content or a never-sent listing token fails a family.
        for other in results.iter().filter(|r| r.verdict == Verdict::Fail) {
            assert!(other
                .findings
                .iter()
                .all(|f| f.message.contains("MCPCONFORM-CANARY-")
                    || f.message.contains("mcpconform-list-")));
        }
    }
}

fn a_write_that_escapes_the_root_is_caught() {
    let results = stdio_run(Some("traversal-write"));
    let r = results
        .iter()
        .find(|r| r.id == "traversal.dotdot")
        .expect("dotdot");
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", summary(&results));
    let f = r
        .findings
        .iter()
        .find(|f| f.message.contains("a write escaped the root"))
        .unwrap_or_else(|| panic!("no write finding: {:?}", summary(&results)));
    // The file outside the root is named, and the request is the evidence.
    assert!(f.message.contains("sibling/secret.txt"), "{}", f.message);
    assert!(f
        .sent
        .as_ref()
        .is_some_and(|s| s.pointer("/params/name") == Some(&json!("write_file"))));
}

fn every_traversal_mutant_is_tested_here() {
    let root = repo_root();
    let catalogue =
        mcp_conform::mutants::load(&root.join("fixtures/mutants.yaml")).expect("catalogue");
    let listed: BTreeSet<&str> = catalogue
        .iter()
        .filter(|m| m.used_by == "traversal")
        .map(|m| m.name.as_str())
        .collect();
    let mut tested: BTreeSet<&str> = MUTANTS.iter().map(|(m, _)| *m).collect();
    tested.insert("traversal-write");
    assert_eq!(listed, tested);
}

fn cli(words: &[&str]) -> (i32, Vec<CaseResult>) {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path().display().to_string();
    let mut argv: Vec<String> = vec!["--format".into(), "json".into()];
    argv.extend(["-o".to_string(), d]);
    argv.extend(words.iter().map(|w| w.to_string()));
    let code = run_conform(&argv);
    let text = std::fs::read_to_string(dir.path().join("report.json")).expect("report.json");
    let report: mcp_conform::outcome::RunReport = serde_json::from_str(&text).expect("report");
    (code, report.cases)
}

fn the_cli_substitutes_root_and_honours_only_and_no_traversal() {
    let (code, cases) = cli(&[
        "--only",
        "traversal.*",
        "--",
        reference_server_str(),
        "--root",
        "{root}",
    ]);
    assert_eq!(code, 0, "{:?}", summary(&cases));
    assert_eq!(cases.len(), Family::ALL.len());
    assert!(cases.iter().all(|c| c.verdict == Verdict::Pass));
    let (code, cases) = cli(&[
        "--only",
        "traversal.dotdot",
        "--",
        reference_server_str(),
        "--root",
        "{root}",
        "--fault",
        "traversal-dotdot",
    ]);
    assert_eq!(code, 1);
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].verdict, Verdict::Fail);
    // Without {root} or --root: every family skips and says how to enable it; a run
    // that judged nothing exits 3.
    let (code, cases) = cli(&["--only", "traversal.*", "--", reference_server_str()]);
    assert_eq!(code, 3);
    assert!(cases
        .iter()
        .all(|c| c.verdict == Verdict::Skip
            && c.reason.as_deref().is_some_and(|r| r.contains("{root}"))));
    let (_, cases) = cli(&[
        "--only",
        "ping.*",
        "--no-traversal",
        "--",
        reference_server_str(),
        "--root",
        "{root}",
    ]);
    assert!(!cases.is_empty());
    assert!(cases.iter().all(|c| c.area != "traversal"));
}
