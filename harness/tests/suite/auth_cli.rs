//! `mcp-conform` against a reference server that demands a token (`--bearer`): without
//! the token only the auth cases run and every other case is skipped with the reason;
//! with it, every auth case passes.

use std::process::Command;

use libtest_mimic::Trial;
use serde_json::Value;

use crate::http_servers;
use crate::support::{conform_binary, reference_server, repo_root};

pub fn trials() -> Vec<Trial> {
    tests![
        without_a_token_only_the_auth_cases_run,
        with_the_token_every_auth_case_passes,
        a_run_that_judges_nothing_exits_3,
    ]
}

const TOKEN: &str = "auth-cli-test-token";
const SCOPED: &str = "auth-cli-test-scoped-token";

/// The HTTP reference server demanding TOKEN, with its `/mcp` URL.
fn start() -> (http_servers::Owned, String) {
    let args = [
        "--bearer".to_string(),
        TOKEN.to_string(),
        "--scoped-bearer".to_string(),
        SCOPED.to_string(),
    ];
    let server = http_servers::start_owned("auth-cli", reference_server(), &args)
        .expect("start the reference server");
    let url = server.base.join("mcp").expect("url").to_string();
    (server, url)
}

fn run(args: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(conform_binary())
        .args(["--format", "json", "-o"])
        .arg(dir.path())
        .args(args)
        .output()
        .expect("run mcp-conform");
    let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap_or_else(|e| {
        panic!(
            "no report.json ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    (out.status.code().unwrap_or(-1), report)
}

fn case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("case {id} missing from the report"))
}

/// Without the token the server demands, only the authorization cases can run: they
/// pass, the rest skip saying how to run them, and the run exits 3 — it says nothing
/// about the protocol, so it must not look green (it used to exit 0).
fn without_a_token_only_the_auth_cases_run() {
    let (_server, url) = start();
    let (code, report) = run(&[&url]);
    assert_eq!(code, 3, "only the auth cases ran: {report}");
    assert_eq!(
        report["server"]["token_missing"], true,
        "{}",
        report["server"]
    );
    assert_eq!(case(&report, "auth.missing-token-401")["verdict"], "pass");
    assert_eq!(case(&report, "auth.token-required")["verdict"], "pass");
    let other = case(&report, "tools.list-shape");
    assert_eq!(other["verdict"], "skip");
    assert!(
        other["reason"].as_str().unwrap_or("").contains("--bearer"),
        "the skip says how to run it: {other}"
    );
    let notes = report["server"]["notes"].to_string();
    assert!(notes.contains("only the auth cases ran"), "notes: {notes}");
}

fn with_the_token_every_auth_case_passes() {
    let (_server, url) = start();
    let hints = repo_root().join("fixtures/reference-hints.yaml");
    let hints = hints.display().to_string();
    let (code, report) = run(&[
        "--bearer",
        TOKEN,
        "--scoped-bearer",
        SCOPED,
        "--hints",
        &hints,
        "--only",
        "auth.*",
        "--only",
        "modern.auth-*",
        &url,
    ]);
    assert_eq!(code, 0, "{report}");
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 13, "all auth cases ran: {}", cases.len());
    for c in &cases {
        assert_eq!(c["verdict"], "pass", "{}: {}", c["id"], c["reason"]);
    }
    // The tokens went out with the requests, and no report shows them.
    let text = report.to_string();
    assert!(
        !text.contains(TOKEN) && !text.contains(SCOPED),
        "a token leaked into the report"
    );
    assert!(
        text.contains("<the --scoped-bearer token>"),
        "the scoped request is recorded, redacted"
    );
}

/// The legacy HTTP+SSE transport of a server that demands a token nobody gave: every
/// case is skipped, which proves nothing about the server, so the run must not pass
/// (exit 3, with the reason) — it used to end with exit 0.
fn a_run_that_judges_nothing_exits_3() {
    let (server, _url) = start();
    let sse = server.base.join("sse").expect("url").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(conform_binary())
        .args(["--format", "json", "-o"])
        .arg(dir.path())
        .args(["--transport", "sse", &sse])
        .output()
        .expect("run mcp-conform");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(
        stderr.contains("nothing could be judged"),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains("--bearer"),
        "the reason says what to do: {stderr}"
    );
    assert!(
        dir.path().join("report.json").is_file(),
        "the report is still written"
    );
}
