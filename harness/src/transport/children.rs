//! Every child process the harness started, so that none outlives it.
//!
//! Children run in their own process group; on shutdown, on SIGINT/SIGTERM/SIGHUP and
//! on drop the whole group is killed, which also reaps grandchildren such as
//! `npx` → `node`. Each child also gets SIGKILL from the kernel when the harness dies
//! (parent-death signal), so even a SIGKILLed harness leaves no server behind. A
//! descendant that left the group (`setsid()`) escapes the group kill; on Linux the
//! harness is a child subreaper, so such a process is re-parented to the harness when
//! its own parent dies, and [`kill_orphans`] kills and reaps it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

fn registry() -> &'static Mutex<HashSet<i32>> {
    static REG: OnceLock<Mutex<HashSet<i32>>> = OnceLock::new();
    REG.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Held while a child is spawned and registered, and while orphans are looked for, so
/// that a child between its fork and its registration is never taken for an orphan.
pub fn spawn_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn register(pgid: i32) {
    if let Ok(mut set) = registry().lock() {
        set.insert(pgid);
    }
}

pub fn unregister(pgid: i32) {
    if let Ok(mut set) = registry().lock() {
        set.remove(&pgid);
    }
}

/// Sends SIGKILL to a process group; errors (already gone) are irrelevant.
pub fn kill_group(pgid: i32) {
    if pgid > 0 {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

/// Kills every registered group and every orphan (on a signal, before exiting).
pub fn kill_all() {
    let groups: Vec<i32> = match registry().lock() {
        Ok(set) => set.iter().copied().collect(),
        Err(_) => return,
    };
    for g in groups {
        kill_group(g);
    }
    kill_orphans();
}

/// Makes the harness the reaper of its descendants' orphans (Linux), so that a server's
/// process that called `setsid()` comes back to it when its parent dies. Without it
/// (other systems, or a refusal) such a process is adopted by init instead.
///
/// Only a process that opted in here looks for orphans at all: in any other process
/// (a test binary, say) a child the harness did not start is not the harness's business.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        if nix::sys::prctl::set_child_subreaper(true).is_ok() {
            SUBREAPER.store(true, Ordering::SeqCst);
        }
    }
}

static SUBREAPER: AtomicBool = AtomicBool::new(false);

/// Asks the kernel to SIGKILL the child when the harness dies; called in the child
/// between fork and exec. The signal fires when the forking *thread* ends, so children
/// must be spawned from threads that live as long as the run (the runtime's workers).
pub fn die_with_parent(cmd: &mut tokio::process::Command) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the closure runs between fork and exec and calls only prctl(2)
        // through nix, which is async-signal-safe; it allocates nothing.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// Kills and reaps every child of the harness that it did not start itself: processes
/// that left a server's process group and were re-parented to the harness (see
/// [`become_subreaper`]). Returns how many it found.
/// Killing one may orphan its own children in turn, so it looks again, a few rounds.
/// Blocking (short waits for the killed processes to be reaped).
pub fn kill_orphans() -> usize {
    if !SUBREAPER.load(Ordering::SeqCst) {
        return 0;
    }
    let mut found = 0;
    for _round in 0..5 {
        let orphans: Vec<i32> = {
            let _guard = spawn_lock();
            let ours: HashSet<i32> = registry().lock().map(|s| s.clone()).unwrap_or_default();
            own_children()
                .into_iter()
                .filter(|pid| !ours.contains(pid))
                .collect()
        };
        if orphans.is_empty() {
            break;
        }
        for &pid in &orphans {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        for &pid in &orphans {
            reap(pid);
        }
        found += orphans.len();
    }
    found
}

/// Waits up to half a second for a killed child to be reaped (never blocks longer: a
/// process stuck in the kernel is left to init when the harness exits).
fn reap(pid: i32) {
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    for _ in 0..50 {
        match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(10)),
            _ => return,
        }
    }
}

/// The pids whose parent is this process, from /proc (empty where there is none).
fn own_children() -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| parent_of(pid) == Some(me))
        .collect()
}

/// The parent pid from `/proc/PID/stat` (the field after the parenthesised name, which
/// may itself contain spaces and parentheses).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_of_reads_this_process() {
        let me = std::process::id() as i32;
        let parent = nix::unistd::getppid().as_raw();
        assert_eq!(parent_of(me), Some(parent));
        assert_eq!(parent_of(-1), None);
    }
}
