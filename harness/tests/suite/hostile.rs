//! The harness survives any server: one trial per mode of the hostile-server corpus
//! (`fixtures/hostile`, `mcp-hostile --list-modes`), named `hostile::MODE`.
//!
//! Each trial runs the `mcp-conform` binary against the mode with short waits and a
//! run budget, and asserts from outside the harness's process:
//! - it ends by itself within its run budget plus a grace (a hard kill otherwise);
//! - its peak memory (`VmHWM` in `/proc/PID/status`, sampled every 20 ms) stays
//!   under [`RSS_LIMIT_KIB`];
//! - it ends with a verdict (a report whose every case that did not pass says why,
//!   no larger than [`REPORT_LIMIT`]) or a clear error (exit 3 with a message);
//! - no process of the server is left (a tag in the environment the servers
//!   inherit, looked for in `/proc/*/environ`);
//! - nothing connected to the foreign origin the hostile answers name.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Failed, Trial};

use crate::http_servers::{start_owned_as, Owned};
use crate::support::{conform_binary, hostile_binary};

/// The targets: peak RSS at the default `-j`, and the size of report.json.
const RSS_LIMIT_KIB: i64 = 256 * 1024;
const REPORT_LIMIT: u64 = 50 * 1024 * 1024;
/// The run budget each trial gives the harness, and how much later it must be gone.
const RUN_TIMEOUT_SECS: u64 = 40;
const GRACE: Duration = Duration::from_secs(20);

/// Modes whose floods of large messages test memory: they run enough cases to fill
/// every one of the default `-j` slots at once.
const MEMORY_HEAVY: &[&str] = &["near-cap", "notification-flood", "http-endless-sse"];
const MANY_CASES: &[&str] = &["lifecycle.*", "tools.*"];

/// Modes that refuse or never answer every request, so nothing can be judged: the
/// run must say so with exit 3, never pass (no false green).
const NOTHING_TO_JUDGE: &[&str] = &[
    "silent",
    "early-exit",
    "stdout-closed",
    "http-silent",
    "http-garbage",
    "http-redirect",
    "http-401",
    "http-foreign-metadata",
    "sse-redirect",
    "sse-401",
];

/// Cases that meet every misbehaviour: the handshake, a request after it, tool calls.
const CASES: &[&str] = &[
    "lifecycle.initialize-id-echoed",
    "ping.empty-result",
    "tools.unknown-tool",
];

/// One trial per mode the corpus lists.
pub fn trials() -> Vec<Trial> {
    let listed = Command::new(hostile_binary())
        .arg("--list-modes")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let modes: Vec<(String, String)> = listed
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?.to_string(), words.next()?.to_string()))
        })
        .collect();
    let mut trials = tests![
        a_case_over_its_budget_ends_as_error_with_its_transcript,
        a_slow_starting_server_gets_its_startup_timeout,
        a_target_refusing_everything_with_401_never_passes,
    ];
    if modes.len() < 20 {
        trials.push(Trial::test(
            "hostile::the_corpus_lists_its_modes",
            move || {
                Err(format!(
                    "mcp-hostile --list-modes listed {} modes: {listed}",
                    modes.len()
                )
                .into())
            },
        ));
        return trials;
    }
    trials.extend(modes.into_iter().map(|(mode, transport)| {
        Trial::test(format!("hostile::{mode}"), move || {
            survive(&mode, &transport)
        })
    }));
    trials
}

/// The JSON report of a run with `args` (exit code and report).
fn report_of(args: &[&str]) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let mut all: Vec<String> = vec!["--format".into(), "json".into(), "-o".into()];
    all.push(out.display().to_string());
    all.extend(args.iter().map(|s| s.to_string()));
    let code = crate::support::run_conform(&all);
    let report = std::fs::read_to_string(out.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    (code, report)
}

/// A case stopped by `--case-timeout` is an `error` that says so, and keeps what was
/// exchanged until then: here a server that drips its answers a byte at a time.
fn a_case_over_its_budget_ends_as_error_with_its_transcript() {
    let hostile = hostile_binary().display().to_string();
    let (code, report) = report_of(&[
        "--timeout",
        "20000",
        "--case-timeout",
        "1",
        "--only",
        "ping.empty-result",
        "--",
        &hostile,
        "--mode",
        "slow-drip",
    ]);
    // Its one case could not be judged, so nothing was: exit 3.
    assert_eq!(code, 3, "{report}");
    let case = &report["cases"][0];
    assert_eq!(case["verdict"], "error", "{case}");
    assert!(
        case["reason"]
            .as_str()
            .is_some_and(|r| r.contains("did not finish within 1 s")),
        "{case}"
    );
    let sent_initialize = case["transcript"].as_array().is_some_and(|t| {
        t.iter()
            .any(|e| e["direction"] == "sent" && e["body"]["method"] == "initialize")
    });
    assert!(sent_initialize, "the transcript is kept: {case}");
}

/// The whole suite against a target that answers every request with 401 and no
/// token given: over legacy SSE nothing can be judged, so exit 3; over Streamable
/// HTTP only the authorization cases run, and this server's 401 lacks the
/// `WWW-Authenticate` challenge they require (AUTH-05), so exit 1 with that finding.
fn a_target_refusing_everything_with_401_never_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let foreign = dir.path().join("foreign.log");
    let (_sse, url) = start_http("sse-401", &foreign).expect("sse-401 starts");
    let sse_url = url.replace("/mcp", "/sse");
    let (code, report) = report_of(&["--transport", "sse", &sse_url]);
    assert_eq!(code, 3, "{}", report["summary"]);
    let (_http, url) = start_http("http-401", &foreign).expect("http-401 starts");
    let (code, report) = report_of(&[&url]);
    assert_eq!(code, 1, "{}", report["summary"]);
    assert_eq!(report["server"]["token_missing"], true);
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    let failed: Vec<&serde_json::Value> = cases.iter().filter(|c| c["verdict"] == "fail").collect();
    assert!(
        failed
            .iter()
            .all(|c| c["id"].as_str().is_some_and(|id| id.starts_with("auth."))),
        "only authorization cases can fail without a token"
    );
    assert!(failed.iter().any(|c| c["requirements"]
        .as_array()
        .is_some_and(|r| r.contains(&serde_json::json!("AUTH-05")))));
}

/// A server that takes 2 s to start is tested when `--startup-timeout` allows it,
/// however short `--timeout` is, and cannot be tested when it does not.
fn a_slow_starting_server_gets_its_startup_timeout() {
    let server = crate::support::reference_server_str();
    let slow = ["--", "sh", "-c", "sleep 2; exec \"$0\"", server];
    let mut patient = vec![
        "--timeout",
        "500",
        "--startup-timeout",
        "20",
        "--only",
        "ping.*",
    ];
    patient.extend(slow);
    let (code, report) = report_of(&patient);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["passed"], 1, "{report}");
    let mut hasty = vec![
        "--timeout",
        "500",
        "--startup-timeout",
        "1",
        "--only",
        "ping.*",
    ];
    hasty.extend(slow);
    let (code, _) = report_of(&hasty);
    assert_eq!(
        code, 3,
        "a server silent for its whole start-up allowance cannot be tested"
    );
}

/// What one run of the harness came to, seen from outside.
struct Run {
    /// The exit code, or `None` when it had to be killed.
    code: Option<i32>,
    wall: Duration,
    peak_rss_kib: i64,
    stderr: String,
}

fn survive(mode: &str, transport: &str) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let tag = format!("mcp-conform-hostile-{}-{mode}", std::process::id());
    let foreign = dir.path().join("foreign.log");
    let out = dir.path().join("out");
    let mut args: Vec<String> = [
        "--timeout",
        "1000",
        "--startup-timeout",
        "5",
        "--case-timeout",
        "15",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(["--run-timeout".into(), RUN_TIMEOUT_SECS.to_string()]);
    let cases = if MEMORY_HEAVY.contains(&mode) {
        MANY_CASES
    } else {
        CASES
    };
    for c in cases {
        args.extend(["--only".into(), c.to_string()]);
    }
    args.extend(["--format".into(), "json".into(), "-o".into()]);
    args.push(out.display().to_string());
    // An HTTP mode's server runs for the trial; a stdio one is the harness's child.
    let _server = match transport {
        "stdio" => {
            args.extend(["--".into(), hostile_binary().display().to_string()]);
            args.extend(["--mode".into(), mode.to_string()]);
            None
        }
        _ => {
            let (server, url) = start_http(mode, &foreign)?;
            if transport == "sse" {
                args.extend(["--transport".into(), "sse".into()]);
                args.push(url.replace("/mcp", "/sse"));
            } else {
                args.push(url);
            }
            Some(server)
        }
    };
    let run = run_measured(&args, &tag)?;
    let report = std::fs::metadata(out.join("report.json")).map_or(0, |m| m.len());
    println!(
        "hostile::{mode}: exit {:?}, {:.1} s, peak RSS {} MiB, report {} KiB",
        run.code,
        run.wall.as_secs_f64(),
        run.peak_rss_kib / 1024,
        report / 1024
    );
    let left = processes_tagged(&tag, Duration::from_secs(5));
    judge(mode, &run, &out)?;
    if !left.is_empty() {
        return Err(format!("{mode}: processes left behind: {left:?}").into());
    }
    let foreign_hits = std::fs::read_to_string(&foreign).unwrap_or_default();
    if !foreign_hits.trim().is_empty() {
        return Err(format!(
            "{mode}: the harness connected to the foreign origin:\n{foreign_hits}"
        )
        .into());
    }
    Ok(())
}

/// Time, memory and the outcome of one run.
fn judge(mode: &str, run: &Run, out: &Path) -> Result<(), Failed> {
    let budget = Duration::from_secs(RUN_TIMEOUT_SECS) + GRACE;
    let Some(code) = run.code else {
        return Err(format!(
            "{mode}: mcp-conform did not end within {} s and was killed; stderr:\n{}",
            budget.as_secs(),
            run.stderr
        )
        .into());
    };
    if run.wall > budget {
        return Err(format!("{mode}: took {:?} (budget {budget:?})", run.wall).into());
    }
    if run.peak_rss_kib > RSS_LIMIT_KIB {
        return Err(format!(
            "{mode}: peak RSS {} MiB over the {} MiB target",
            run.peak_rss_kib / 1024,
            RSS_LIMIT_KIB / 1024
        )
        .into());
    }
    if NOTHING_TO_JUDGE.contains(&mode) && code != 3 {
        return Err(format!(
            "{mode}: nothing can be judged against this server, yet the exit code is {code}; stderr:\n{}",
            run.stderr
        )
        .into());
    }
    match code {
        0 | 1 => report_explains(mode, &out.join("report.json")),
        3 if run.stderr.contains("mcp-conform:") => Ok(()),
        other => Err(format!(
            "{mode}: exit code {other} without a report or a clear error; stderr:\n{}",
            run.stderr
        )
        .into()),
    }
}

/// A report no larger than the target, every case of which passed or says why not.
fn report_explains(mode: &str, path: &Path) -> Result<(), Failed> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{mode}: no report.json: {e}"))?
        .len();
    if size > REPORT_LIMIT {
        return Err(format!("{mode}: report.json is {size} bytes").into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{mode}: {e}"))?;
    let report: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{mode}: report.json: {e}"))?;
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    if cases.is_empty() {
        return Err(format!("{mode}: the report holds no case").into());
    }
    for c in &cases {
        let reason = c["reason"].as_str().unwrap_or("");
        if c["verdict"] != "pass" && reason.trim().is_empty() {
            return Err(format!(
                "{mode}: case {} is {} without a reason",
                c["id"], c["verdict"]
            )
            .into());
        }
    }
    Ok(())
}

/// Runs mcp-conform with `args` (the tag in its environment), kills it at the budget
/// plus grace, and samples its peak memory.
fn run_measured(args: &[String], tag: &str) -> Result<Run, Failed> {
    let mut child = Command::new(conform_binary())
        .args(args)
        .env("MCP_HOSTILE_TAG", tag)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start mcp-conform: {e}"))?;
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(err) = stderr {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if text.len() < 64 * 1024 {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
        }
        text
    });
    let pid = child.id() as i32;
    let started = Instant::now();
    let hard_limit = Duration::from_secs(RUN_TIMEOUT_SECS) + GRACE + Duration::from_secs(30);
    let mut killed = false;
    // The kernel's high-water mark of the harness's own memory, read while it runs
    // (ru_maxrss from wait4 would start at this test binary's size, inherited at fork).
    let mut rss = 0;
    let status = loop {
        rss = rss.max(high_water_kib(pid));
        if let Some(status) = reaped(pid) {
            break status;
        }
        if started.elapsed() > hard_limit && !killed {
            let _ = child.kill();
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed();
    let stderr = reader.join().unwrap_or_default();
    let code = (!killed && nix::libc::WIFEXITED(status)).then(|| nix::libc::WEXITSTATUS(status));
    Ok(Run {
        code,
        wall,
        peak_rss_kib: rss,
        stderr,
    })
}

/// The raw status of `pid` once it has ended (not waiting).
fn reaped(pid: i32) -> Option<i32> {
    let mut status = 0;
    // SAFETY: waitpid writes only into the out-pointer, valid for the call.
    let r = unsafe { nix::libc::waitpid(pid, &mut status, nix::libc::WNOHANG) };
    (r == pid).then_some(status)
}

/// `VmHWM` of a live process (its peak resident memory so far), in KiB; 0 when gone.
fn high_water_kib(pid: i32) -> i64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Starts the hostile server of an HTTP mode (untagged: it is the trial's, not the
/// harness's; it logs foreign connections to `foreign`); returns it and its
/// `http://127.0.0.1:PORT/mcp` URL.
fn start_http(mode: &str, foreign: &Path) -> Result<(Owned, String), Failed> {
    let args: Vec<String> = vec![
        "--mode".into(),
        mode.into(),
        "--foreign-log".into(),
        foreign.display().to_string(),
    ];
    let server = start_owned_as(mode, hostile_binary(), &args)?;
    let url = server.base.join("mcp").map_err(|e| e.to_string())?;
    Ok((server, url.to_string()))
}

/// Pids of live processes whose environment carries `MCP_HOSTILE_TAG=tag`, after
/// waiting up to `wait` for them to go; every one found is killed before returning.
fn processes_tagged(tag: &str, wait: Duration) -> Vec<i32> {
    let needle = format!("MCP_HOSTILE_TAG={tag}");
    let deadline = Instant::now() + wait;
    loop {
        let found = tagged(&needle);
        if found.is_empty() || Instant::now() > deadline {
            for pid in &found {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(*pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            return found;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tagged(needle: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id() as i32;
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me && !zombie(*pid))
        .filter(|pid| {
            let path = PathBuf::from(format!("/proc/{pid}/environ"));
            std::fs::read(path)
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
        })
        .collect()
}

fn zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            == Some("Z")
    })
}
