//! No server process outlives the harness: not when a run ends, not when the harness
//! gets SIGTERM, SIGHUP or SIGINT, and not when it is SIGKILLed (the kernel's
//! parent-death signal, and the watchdog). Processes a server detached with `setsid()`
//! are killed too, even after a SIGKILL of the harness: the watchdog kills every
//! process carrying the run's tag once the harness is gone.
//!
//! The "server" is a shell that records its pid, starts a detached `sleep` (recording
//! that pid as well) and then becomes a `sleep` that never answers, so the harness is
//! still waiting on it when the signal comes. The hostile trials run `mcp-hostile` in
//! its `detached-grandchild` and `ignore-signals` modes instead, and find the processes
//! by a variable of their own in the harness's environment, which every descendant
//! inherits.

use libtest_mimic::Trial;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn trials() -> Vec<Trial> {
    tests![
        sigterm_leaves_no_server_and_no_detached_process,
        sighup_leaves_no_server_and_no_detached_process,
        sigkill_leaves_no_server_and_no_detached_process,
        a_finished_run_leaves_no_detached_process,
        sigkill_of_runs_against_hostile_servers_leaves_no_process,
        sigterm_of_runs_against_hostile_servers_leaves_no_process,
    ]
}

fn server_script(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "setsid sleep 300 & echo $! > '{d}/grand.'$$; echo $$ > '{d}/server.'$$; exec sleep 300"
    )
}

fn start_harness(dir: &Path, extra: &[&str]) -> Child {
    Command::new(crate::support::conform_binary())
        .args(extra)
        .args(["--timeout", "60000", "--only", "ping.*", "--", "sh", "-c"])
        .arg(server_script(dir))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mcp-conform")
}

/// The pids recorded under `dir` whose file name starts with `prefix`.
fn recorded(dir: &Path, prefix: &str) -> Vec<i32> {
    std::fs::read_dir(dir)
        .expect("read the pid folder")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|t| t.trim().parse().ok())
        .collect()
}

/// Alive = it exists and is not a zombie (a zombie has ended; whether init has
/// reaped it yet is not ours to wait for).
fn alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next());
    state != Some("Z")
}

/// Waits until every server has recorded itself and its detached child (the probe
/// starts one server per protocol revision).
fn wait_for_servers(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let servers = recorded(dir, "server.");
        let grands = recorded(dir, "grand.");
        if servers.len() >= 2 && grands.len() == servers.len() {
            std::thread::sleep(Duration::from_millis(200));
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the harness did not start its servers within 20 s");
}

fn left_alive(dir: &Path, prefixes: &[&str]) -> Vec<(String, i32)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left: Vec<(String, i32)> = prefixes
            .iter()
            .flat_map(|p| {
                recorded(dir, p)
                    .into_iter()
                    .map(move |pid| (p.to_string(), pid))
            })
            .filter(|(_, pid)| alive(*pid))
            .collect();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kill_leftovers(left: &[(String, i32)]) {
    for (_, pid) in left {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
}

fn signalled_run(signal: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path: PathBuf = dir.path().to_path_buf();
    let mut harness = start_harness(&path, &[]);
    wait_for_servers(&path);
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(harness.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
    let _ = harness.wait();
    let left = left_alive(&path, &["server.", "grand."]);
    kill_leftovers(&left);
    assert!(left.is_empty(), "left running after SIG{signal}: {left:?}");
}

fn sigterm_leaves_no_server_and_no_detached_process() {
    signalled_run("TERM");
}

fn sighup_leaves_no_server_and_no_detached_process() {
    signalled_run("HUP");
}

fn sigkill_leaves_no_server_and_no_detached_process() {
    signalled_run("KILL");
}

fn a_finished_run_leaves_no_detached_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let out = Command::new(crate::support::conform_binary())
        .args([
            "--timeout",
            "300",
            "--startup-timeout",
            "1",
            "--only",
            "ping.*",
            "--",
            "sh",
            "-c",
        ])
        .arg(server_script(&path))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run mcp-conform");
    assert_eq!(
        out.code(),
        Some(3),
        "a server that never answers cannot be tested"
    );
    assert!(
        !recorded(&path, "server.").is_empty(),
        "no server was started"
    );
    let left = left_alive(&path, &["server.", "grand."]);
    kill_leftovers(&left);
    assert!(left.is_empty(), "left running after the run: {left:?}");
}

/// The variable the hostile trials put in the harness's environment (every process it
/// starts inherits it, and so does theirs), with a value unique to one run.
const TAG_VAR: &str = "MCP_HOSTILE_TAG";

/// The hostile modes run, each with what marks its misbehaving process in its
/// arguments: the detached grandchild (`--linger`), the server ignoring signals.
const HOSTILE: &[(&str, &str)] = &[
    ("detached-grandchild", "--linger"),
    ("ignore-signals", "ignore-signals"),
];

/// A harness run against `mcp-hostile --mode MODE`, tagged `tag`. The hostile server's
/// stdin is an idle `sleep`, so it never answers and the harness is still waiting on
/// it when the signal comes; its misbehaviour (detaching a grandchild, ignoring
/// signals) starts at once all the same.
fn start_hostile_run(mode: &str, tag: &str) -> Child {
    Command::new(crate::support::conform_binary())
        .env(TAG_VAR, tag)
        .args(["--timeout", "60000", "--only", "ping.*", "--", "sh", "-c"])
        .arg(r#"sleep 600 | "$0" --mode "$1""#)
        .arg(crate::support::hostile_binary())
        .arg(mode)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mcp-conform")
}

/// Processes, each as its pid and its arguments.
type Processes = Vec<(i32, Vec<String>)>;

/// The live processes whose environment holds `MCP_HOSTILE_TAG=<tag>`.
fn tagged(tag: &str) -> Processes {
    let entry = format!("{TAG_VAR}={tag}");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|e| e == entry.as_bytes()))
        })
        .filter(|&pid| alive(pid))
        .map(|pid| (pid, arguments(pid)))
        .collect()
}

fn arguments(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a process tagged `tag` runs the hostile binary with `marker` among its
/// arguments, waiting up to 20 s for one (then 300 ms more, for the other servers the
/// probe starts at the same time).
fn wait_for_hostile(tag: &str, marker: &str) -> bool {
    let hostile = crate::support::hostile_binary().display().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let running = tagged(tag)
            .into_iter()
            .any(|(_, args)| args.first() == Some(&hostile) && args.iter().any(|a| a == marker));
        if running {
            std::thread::sleep(Duration::from_millis(300));
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The processes still tagged `tag` after up to 10 s, SIGKILLed before they are
/// returned, so that a failing trial leaves nothing behind.
fn left_tagged(tag: &str) -> Processes {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut left = tagged(tag);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        left = tagged(tag);
    }
    for (pid, _) in &left {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    left
}

/// One harness per hostile mode, all started at once; once each has its misbehaving
/// server running, each gets `signal`, then no process of any of them may be left.
fn hostile_runs_signalled(signal: &str) {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut runs: Vec<(&str, &str, String, Child)> = HOSTILE
        .iter()
        .map(|&(mode, marker)| {
            let tag = format!("{}-{stamp}-{signal}-{mode}", std::process::id());
            let harness = start_hostile_run(mode, &tag);
            (mode, marker, tag, harness)
        })
        .collect();
    let not_started: Vec<&str> = runs
        .iter()
        .filter(|(_, marker, tag, _)| !wait_for_hostile(tag, marker))
        .map(|(mode, ..)| *mode)
        .collect();
    for (_, _, _, harness) in &mut runs {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(harness.id().to_string())
            .status();
        let _ = harness.wait();
    }
    let left: Vec<(&str, Processes)> = runs
        .iter()
        .map(|(mode, _, tag, _)| (*mode, left_tagged(tag)))
        .filter(|(_, procs)| !procs.is_empty())
        .collect();
    assert!(
        not_started.is_empty(),
        "no misbehaving server ran within 20 s for modes {not_started:?}"
    );
    assert!(
        left.is_empty(),
        "left running after SIG{signal} of the harness: {left:?}"
    );
}

fn sigkill_of_runs_against_hostile_servers_leaves_no_process() {
    hostile_runs_signalled("KILL");
}

fn sigterm_of_runs_against_hostile_servers_leaves_no_process() {
    hostile_runs_signalled("TERM");
}
