//! Every child process the harness started, so that none outlives it.
//!
//! Children run in their own process group; on shutdown, on SIGINT/SIGTERM/SIGHUP and
//! on drop the whole group is killed, which also reaps grandchildren such as
//! `npx` → `node`. Each child also gets SIGKILL from the kernel when the harness dies
//! (parent-death signal). A descendant that left the group (`setsid()`) escapes the
//! group kill; on Linux the harness is a child subreaper, so such a process is
//! re-parented to the harness when its own parent dies, and [`kill_orphans`] kills and
//! reaps it.
//!
//! None of that helps once the harness itself is SIGKILLed: a detached descendant is
//! then adopted by init. So on Linux every server process also carries
//! `MCP_CONFORM_RUN=<tag>` in its environment (the tag is unique to the run: pid, time,
//! random bits), which its descendants inherit, and the first server the harness starts
//! also starts a [`watchdog`](super::watchdog): the harness binary again, in its own
//! session, ignoring SIGINT/SIGTERM/SIGHUP, reading a pipe whose write end only the
//! harness holds (close-on-exec). When that pipe ends — the harness closed it at the
//! end of the run, or died, however — the watchdog SIGKILLs every process whose
//! `/proc/PID/environ` carries the tag, in rounds until none is left, and exits. The
//! harness sweeps the tagged processes itself too ([`kill_all`], at the end of a run
//! and on a signal). A run that starts no server process (`--list`, `--help`, a URL
//! target) starts no watchdog. Caveat: a process started with a cleared environment
//! (`env -i`, or an explicit empty environment) carries no tag and escapes the
//! watchdog; only the parent-death signal and the subreaper then stand between it and
//! init.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use super::watchdog;

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

/// Kills every registered group, every orphan and every process carrying the run's
/// tag (at the end of a run, and on a signal before exiting). Blocking.
pub fn kill_all() {
    let groups: Vec<i32> = match registry().lock() {
        Ok(set) => set.iter().copied().collect(),
        Err(_) => Vec::new(),
    };
    for g in groups {
        kill_group(g);
    }
    kill_orphans();
    if let Some(tag) = RUN_TAG.get() {
        watchdog::kill_tagged(tag);
    }
}

/// The end of a run: [`kill_all`], then the watchdog is let go (its pipe closed; it
/// finds nothing left to kill) and reaped, waiting at most two seconds. Blocking.
pub fn finish() {
    kill_all();
    let child = WATCHDOG
        .get()
        .and_then(|w| w.lock().ok().and_then(|mut c| c.take()));
    let Some(mut child) = child else {
        return;
    };
    drop(child.stdin.take());
    for _ in 0..200 {
        match child.try_wait() {
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            _ => return,
        }
    }
}

/// The tag of this run's server processes (see the module doc), made on first use.
static RUN_TAG: OnceLock<String> = OnceLock::new();

/// The watchdog process, started with the first server; `None` once let go, or when it
/// could not be started.
static WATCHDOG: OnceLock<Mutex<Option<std::process::Child>>> = OnceLock::new();

/// Its pid (0 when none), which [`kill_orphans`] must not take for an orphan.
static WATCHDOG_PID: AtomicI32 = AtomicI32::new(0);

/// Starts the watchdog unless it runs already (or this process may not start one, see
/// [`watchdog::enabled`]); returns the run's tag. Holds [`spawn_lock`] while starting
/// it, so must not be called with that lock held.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn start_watchdog() -> &'static str {
    let tag = RUN_TAG.get_or_init(watchdog::new_tag);
    if !watchdog::enabled() {
        return tag;
    }
    WATCHDOG.get_or_init(|| {
        let _spawning = spawn_lock();
        match watchdog::spawn(tag) {
            Ok(child) => {
                WATCHDOG_PID.store(child.id() as i32, Ordering::SeqCst);
                Mutex::new(Some(child))
            }
            Err(e) => {
                eprintln!(
                    "mcp-conform: cannot start the watchdog ({e}); a SIGKILLed run may leave detached server processes behind"
                );
                Mutex::new(None)
            }
        }
    });
    tag
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
///
/// On Linux it also tags the child with the run's tag and starts the watchdog if it
/// does not run yet (see the module doc): every place that starts a server process
/// calls this, before taking [`spawn_lock`].
pub fn die_with_parent(cmd: &mut tokio::process::Command) {
    #[cfg(target_os = "linux")]
    {
        cmd.env(watchdog::RUN_ENV, start_watchdog());
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
            let watchdog = WATCHDOG_PID.load(Ordering::SeqCst);
            own_children()
                .into_iter()
                .filter(|pid| !ours.contains(pid) && *pid != watchdog)
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
