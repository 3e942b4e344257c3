//! `--suggest-hints` (issue 17): the file it writes for the reference server, passed
//! back with `--hints`, runs every case that skips without hints for want of a hint,
//! and those cases pass; its hints name the tools of the hand-written
//! `fixtures/reference-hints.yaml`.

use std::collections::BTreeSet;
use std::path::Path;

use libtest_mimic::Trial;
use serde_json::Value;

use crate::http_servers;
use crate::support::{
    conform_binary, reference_server, reference_server_str, repo_root, run_conform,
};

pub fn trials() -> Vec<Trial> {
    tests![
        suggested_hints_unlock_the_hint_cases,
        over_http_with_two_tokens_the_scope_hint_is_verified,
        unreachable_target_exits_3
    ]
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// A skip reason that names a missing hint (`no `log_message` hint: …`).
fn missing_hint(reason: &str) -> bool {
    reason
        .strip_prefix("no ")
        .and_then(|r| r.split_once(' '))
        .is_some_and(|(_, after)| after.starts_with("hint"))
}

/// The case ids of the `unlocks N cases: a, b` comments, checking each N.
fn unlocked(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start_matches(['#', ' ']).strip_prefix("unlocks ") else {
            continue;
        };
        let (count, list) = rest.split_once(' ').expect("unlocks N …");
        let listed: Vec<&str> = list
            .split_once(": ")
            .map(|(_, l)| l.split(", ").collect())
            .unwrap_or_default();
        assert_eq!(count.parse::<usize>().ok(), Some(listed.len()), "{line}");
        ids.extend(listed.into_iter().map(str::to_string));
    }
    ids
}

/// (id@revision, verdict, reason) of every case in a report.json.
fn verdicts(dir: &Path) -> Vec<(String, String, String)> {
    let report = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    let report: Value = serde_json::from_str(&report).expect("report.json is JSON");
    let field = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let key = format!("{}@{}", field(c, "id"), field(c, "revision"));
            (key, field(c, "verdict"), field(c, "reason"))
        })
        .collect()
}

/// One stdio run of the cases in `ids` (with `extra` options), its report's verdicts.
fn run_cases(
    ids: &BTreeSet<String>,
    extra: &[String],
    out: &Path,
) -> Vec<(String, String, String)> {
    let mut args = strings(&["--no-traversal", "--format", "json", "-o"]);
    args.push(out.display().to_string());
    for id in ids {
        args.extend(["--only".to_string(), id.clone()]);
    }
    args.extend(extra.iter().cloned());
    args.extend(strings(&["--", reference_server_str()]));
    // Without hints every case may skip: a run that judged nothing exits 3.
    let code = run_conform(&args);
    assert!(
        (0..=3).contains(&code) && code != 2,
        "exit {code} for {args:?}"
    );
    verdicts(out)
}

fn suggested_hints_unlock_the_hint_cases() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("hints.yaml");
    let args = [
        "--suggest-hints",
        "--suggest-out",
        &file.display().to_string(),
        "--",
        reference_server_str(),
    ];
    assert_eq!(run_conform(&strings(&args)), 0, "--suggest-hints exit code");
    let text = std::fs::read_to_string(&file).expect("the hints file");
    let suggested = yaml(&file);

    // The hand-written hints name the same tools (and the same lists).
    let written = yaml(&repo_root().join("fixtures/reference-hints.yaml"));
    for hint in [
        "list_changed",
        "resource_updated",
        "log_message",
        "progress",
        "long_running",
        "server_request",
    ] {
        assert_eq!(
            suggested[hint]["tool"], written[hint]["tool"],
            "{hint}:\n{text}"
        );
        assert!(
            text.contains(&format!("# {hint}: verified: ")),
            "{hint} not verified:\n{text}"
        );
    }
    assert_eq!(
        suggested["list_changed"]["lists"], written["list_changed"]["lists"],
        "{text}"
    );
    assert_eq!(
        suggested["resource_updated"]["uri"], written["resource_updated"]["uri"],
        "{text}"
    );
    assert_eq!(
        suggested["server_request"]["method"], written["server_request"]["method"],
        "{text}"
    );
    // No tokens were given: the scope hint is only a commented-out placeholder.
    assert!(suggested.get("insufficient_scope").is_none(), "{text}");

    let ids = unlocked(&text);
    assert!(
        ids.contains("logging.message-shape") && ids.contains("progress.token-echoed"),
        "{text}"
    );
    let without = run_cases(&ids, &[], &tmp.path().join("without"));
    let waiting: BTreeSet<String> = without
        .iter()
        .filter(|(_, v, reason)| v == "skip" && missing_hint(reason))
        .map(|(k, _, _)| k.clone())
        .collect();
    assert!(
        waiting.len() >= 10,
        "few cases wait for a hint: {without:?}"
    );

    let hints = strings(&["--hints", &file.display().to_string()]);
    let with = run_cases(&ids, &hints, &tmp.path().join("with"));
    for (key, verdict, reason) in with.iter().filter(|(k, _, _)| waiting.contains(k)) {
        assert!(
            verdict == "pass" || verdict == "note",
            "{key} with the suggested hints: {verdict} ({reason})\n{text}"
        );
    }
    let ran: BTreeSet<&String> = with.iter().map(|(k, _, _)| k).collect();
    assert!(
        waiting.iter().all(|k| ran.contains(k)),
        "a case went missing: {with:?}"
    );
}

fn unreachable_target_exits_3() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("hints.yaml");
    let args = [
        "--suggest-hints",
        "--suggest-out",
        &file.display().to_string(),
        "--startup-timeout",
        "2",
        "--",
        "/nonexistent/mcp-conform-no-such-server",
    ];
    assert_eq!(run_conform(&strings(&args)), 3);
    assert!(!file.exists(), "no file for a server that never answered");
}

/// Over Streamable HTTP with `--bearer` and `--scoped-bearer` (from the environment),
/// the `insufficient_scope` hint is found and verified too, and the scope cases pass
/// with the file.
fn over_http_with_two_tokens_the_scope_hint_is_verified() {
    let args = strings(&["--bearer", "suggest-t1", "--scoped-bearer", "suggest-t2"]);
    let server = http_servers::start_owned("suggest", reference_server(), &args)
        .expect("start the reference server");
    let url = server.base.join("mcp").expect("url").to_string();
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("hints.yaml");
    let run = |extra: &[String]| {
        std::process::Command::new(conform_binary())
            .args(extra)
            .arg(&url)
            .env("MCP_CONFORM_BEARER", "suggest-t1")
            .env("MCP_CONFORM_SCOPED_BEARER", "suggest-t2")
            .stdout(std::process::Stdio::null())
            .status()
            .map(|s| s.code().unwrap_or(-1))
            .expect("run mcp-conform")
    };
    let suggest = strings(&[
        "--suggest-hints",
        "--suggest-out",
        &file.display().to_string(),
    ]);
    assert_eq!(run(&suggest), 0);
    let text = std::fs::read_to_string(&file).expect("the hints file");
    let suggested = yaml(&file);
    let written = yaml(&repo_root().join("fixtures/reference-hints.yaml"));
    assert!(text.contains("# insufficient_scope: verified: "), "{text}");
    assert_eq!(
        suggested["insufficient_scope"]["method"],
        written["insufficient_scope"]["method"]
    );
    assert_eq!(
        suggested["insufficient_scope"]["params"]["name"],
        written["insufficient_scope"]["params"]["name"]
    );

    let out = tmp.path().join("with");
    let mut args = strings(&["--no-traversal", "--format", "json", "--hints"]);
    args.push(file.display().to_string());
    args.extend(["-o".to_string(), out.display().to_string()]);
    args.extend(strings(&[
        "--only",
        "auth.insufficient-scope-403",
        "--only",
        "http.priming-event",
    ]));
    assert_eq!(run(&args), 0, "{text}");
    let verdicts = verdicts(&out);
    assert!(
        verdicts
            .iter()
            .any(|(k, v, _)| k.starts_with("auth.insufficient-scope-403@") && v == "pass"),
        "{verdicts:?}"
    );
    assert!(
        verdicts
            .iter()
            .any(|(k, v, _)| k.starts_with("http.priming-event@") && v == "pass"),
        "{verdicts:?}"
    );
}
