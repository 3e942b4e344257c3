//! No server process outlives the harness: not when a run ends, not when the harness
//! gets SIGTERM, SIGHUP or SIGINT, and not when it is SIGKILLed (the kernel's
//! parent-death signal). Processes a server detached with `setsid()` are killed too,
//! except after a SIGKILL of the harness, which leaves nobody to do it.
//!
//! The "server" is a shell that records its pid, starts a detached `sleep` (recording
//! that pid as well) and then becomes a `sleep` that never answers, so the harness is
//! still waiting on it when the signal comes.

use libtest_mimic::Trial;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn trials() -> Vec<Trial> {
    tests![
        sigterm_leaves_no_server_and_no_detached_process,
        sighup_leaves_no_server_and_no_detached_process,
        sigkill_leaves_no_server,
        a_finished_run_leaves_no_detached_process,
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

fn signalled_run(signal: &str, expect_grandchildren_gone: bool) {
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
    let prefixes: &[&str] = if expect_grandchildren_gone {
        &["server.", "grand."]
    } else {
        &["server."]
    };
    let left = left_alive(&path, prefixes);
    kill_leftovers(&left);
    // A SIGKILLed harness cannot kill the detached ones: clean them up here.
    kill_leftovers(&left_alive(&path, &["grand."]));
    assert!(left.is_empty(), "left running after SIG{signal}: {left:?}");
}

fn sigterm_leaves_no_server_and_no_detached_process() {
    signalled_run("TERM", true);
}

fn sighup_leaves_no_server_and_no_detached_process() {
    signalled_run("HUP", true);
}

fn sigkill_leaves_no_server() {
    signalled_run("KILL", false);
}

fn a_finished_run_leaves_no_detached_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let out = Command::new(crate::support::conform_binary())
        .args(["--timeout", "300", "--only", "ping.*", "--", "sh", "-c"])
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
