//! Every child process the harness started, so that none outlives it.
//!
//! Children run in their own process group; on shutdown, on Ctrl-C and on drop the
//! whole group is killed, which also reaps grandchildren such as `npx` → `node`.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

fn registry() -> &'static Mutex<HashSet<i32>> {
    static REG: OnceLock<Mutex<HashSet<i32>>> = OnceLock::new();
    REG.get_or_init(|| Mutex::new(HashSet::new()))
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

/// Kills every registered group (used on Ctrl-C before exiting).
pub fn kill_all() {
    let groups: Vec<i32> = match registry().lock() {
        Ok(set) => set.iter().copied().collect(),
        Err(_) => return,
    };
    for g in groups {
        kill_group(g);
    }
}
