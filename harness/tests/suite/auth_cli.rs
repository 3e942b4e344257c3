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
        tokens_from_the_environment,
        a_variable_named_by_bearer_env_must_be_set,
        a_token_on_the_command_line_warns,
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

/// mcp-conform without the token variables of the caller's environment.
fn conform() -> Command {
    let mut c = Command::new(conform_binary());
    c.env_remove("MCP_CONFORM_BEARER")
        .env_remove("MCP_CONFORM_SCOPED_BEARER");
    c
}

fn run(args: &[&str]) -> (i32, Value) {
    run_with_env(args, &[]).0
}

/// Runs with these environment variables; the exit code, report and stderr.
fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> ((i32, Value), String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = conform()
        .args(["--format", "json", "-o"])
        .arg(dir.path())
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run mcp-conform");
    let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap_or_else(|e| {
        panic!(
            "no report.json ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    ((out.status.code().unwrap_or(-1), report), stderr)
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
    let out = conform()
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

/// The authorization cases that need both tokens, with the hints that name the
/// scope-challenge request.
fn auth_args(hints: &str, url: &str) -> Vec<String> {
    ["--hints", hints, "--only", "auth.*", url]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// MCP_CONFORM_BEARER and MCP_CONFORM_SCOPED_BEARER supply both tokens: every auth
/// case passes, no warning is printed, and no report shows a token. Then the same
/// through variables named by --bearer-env and --scoped-bearer-env.
fn tokens_from_the_environment() {
    let (_server, url) = start();
    let hints = repo_root().join("fixtures/reference-hints.yaml");
    let args = auth_args(&hints.display().to_string(), &url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env = [
        ("MCP_CONFORM_BEARER", TOKEN),
        ("MCP_CONFORM_SCOPED_BEARER", SCOPED),
    ];
    let ((code, report), stderr) = run_with_env(&args, &env);
    assert_eq!(code, 0, "{report}\n{stderr}");
    for c in report["cases"].as_array().expect("cases") {
        assert_eq!(c["verdict"], "pass", "{}: {}", c["id"], c["reason"]);
    }
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(!report.to_string().contains(TOKEN) && !stderr.contains(TOKEN));
    let mut named = vec![
        "--bearer-env",
        "MY_TOKEN",
        "--scoped-bearer-env",
        "MY_SCOPED",
    ];
    named.extend_from_slice(&args);
    let env = [("MY_TOKEN", TOKEN), ("MY_SCOPED", SCOPED)];
    let ((code, report), stderr) = run_with_env(&named, &env);
    assert_eq!(code, 0, "{report}\n{stderr}");
    assert_eq!(report["server"]["token_missing"], Value::Null, "{stderr}");
}

/// --bearer-env NAME with NAME unset or empty is bad usage (exit 2) naming NAME, before
/// any server is reached.
fn a_variable_named_by_bearer_env_must_be_set() {
    for env in [vec![], vec![("MY_TOKEN", "")]] {
        let out = conform()
            .args(["--bearer-env", "MY_TOKEN", "http://127.0.0.1:9/mcp"])
            .env_remove("MY_TOKEN")
            .envs(env)
            .output()
            .expect("run mcp-conform");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("MY_TOKEN is not set or is empty"),
            "{stderr}"
        );
    }
}

/// A token given with --bearer still works, and a warning (which never shows the
/// token) names the variable to use instead.
fn a_token_on_the_command_line_warns() {
    let (_server, url) = start();
    let ((code, report), stderr) = run_with_env(
        &["--bearer", TOKEN, "--only", "auth.token-required", &url],
        &[],
    );
    assert_eq!(code, 0, "{report}\n{stderr}");
    assert_eq!(case(&report, "auth.token-required")["verdict"], "pass");
    assert!(
        stderr.contains("visible to `ps`") && stderr.contains("MCP_CONFORM_BEARER"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(TOKEN),
        "the warning shows the token: {stderr}"
    );
}
