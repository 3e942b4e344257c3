//! The watchdog: a second copy of the harness binary that outlives the harness just
//! long enough to kill every server process of its run, however the harness ended
//! (see the module doc of [`super::children`] for the whole mechanism).
//!
//! Every server process the harness starts carries `MCP_CONFORM_RUN=<tag>` in its
//! environment (a tag unique to the run), and so does everything those processes
//! start without clearing their environment. The watchdog is started by the harness
//! with `MCP_CONFORM_WATCHDOG=<tag>` and a pipe on its stdin whose write end only the
//! harness holds; it blocks on that pipe until end of file (the harness closed it at
//! its end, or died) and then SIGKILLs every process whose `/proc/PID/environ` holds
//! that exact entry. It never carries the tag itself, so it never kills itself, and it
//! touches no process without the tag.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nix::sys::signal::{kill, signal, SigHandler, Signal};
use nix::unistd::Pid;

/// The environment variable that marks every server process of one run.
pub const RUN_ENV: &str = "MCP_CONFORM_RUN";

/// The environment variable that starts the binary as the watchdog of a run.
pub const WATCHDOG_ENV: &str = "MCP_CONFORM_WATCHDOG";

/// Set once the binary has said (by calling [`main_or_enable`]) that it understands
/// [`WATCHDOG_ENV`]; only then may the harness start itself again as a watchdog. Any
/// other program calling the library (a test binary, say) gets no watchdog.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Called first thing in `main`: in a watchdog (started with [`WATCHDOG_ENV`]) it
/// watches and exits, never returning; otherwise it allows the harness to start a
/// watchdog later and returns.
pub fn main_or_enable() {
    match std::env::var(WATCHDOG_ENV) {
        Ok(tag) if valid_tag(&tag) => {
            watch(&tag);
            std::process::exit(0);
        }
        _ => ENABLED.store(true, Ordering::SeqCst),
    }
}

/// Whether this process may start a watchdog (see [`main_or_enable`]).
pub fn enabled() -> bool {
    cfg!(target_os = "linux") && ENABLED.load(Ordering::SeqCst)
}

/// A tag unique to this run: the pid, the time and 64 random bits, in hex.
pub fn new_tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    format!(
        "{:x}-{nanos:x}-{:x}",
        std::process::id(),
        u64::from_le_bytes(random)
    )
}

/// A tag as [`new_tag`] makes them: never empty, hex digits and dashes only (so a
/// stray environment variable cannot make the watchdog match something broad).
fn valid_tag(tag: &str) -> bool {
    tag.len() >= 8 && tag.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Starts the watchdog of the run tagged `tag`: this very binary, in its own session
/// (terminal signals to the harness's group do not reach it), ignoring SIGINT, SIGTERM
/// and SIGHUP, with a pipe on its stdin. The pipe's write end is in the returned
/// child and is close-on-exec, so no server inherits it: the watchdog sees end of
/// file exactly when the harness closes it or dies.
pub fn spawn(tag: &str) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.env(WATCHDOG_ENV, tag)
        // Inherited from an outer harness (this one is a server under test): the
        // outer watchdog must not kill this watchdog, or this run's servers survive.
        .env_remove(RUN_ENV)
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: the closure runs between fork and exec and calls only setsid(2) and
    // sigaction(2) through nix, both async-signal-safe; it allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            ignore_stop_signals();
            Ok(())
        });
    }
    cmd.spawn()
}

/// SIGINT, SIGTERM and SIGHUP are ignored (they stay ignored across exec).
fn ignore_stop_signals() {
    for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: SIG_IGN installs no handler code.
        let _ = unsafe { signal(s, SigHandler::SigIgn) };
    }
}

/// The watchdog's whole life: wait for end of file on stdin, then kill the run.
fn watch(tag: &str) {
    ignore_stop_signals();
    let _ = nix::unistd::setsid();
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 256];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    kill_tagged(tag);
}

/// SIGKILLs every process carrying `MCP_CONFORM_RUN=<tag>` except this one, in rounds
/// (a process may start another between two looks) until a round finds none, at most
/// 50 rounds. Returns how many it signalled. Blocking (sleeps 20 ms between rounds).
pub fn kill_tagged(tag: &str) -> usize {
    if !cfg!(target_os = "linux") || !valid_tag(tag) {
        return 0;
    }
    let entry = format!("{RUN_ENV}={tag}");
    let me = std::process::id() as i32;
    let mut killed = 0;
    for _round in 0..50 {
        let found: Vec<i32> = tagged(&entry)
            .into_iter()
            .filter(|&pid| pid != me)
            .collect();
        if found.is_empty() {
            break;
        }
        for &pid in &found {
            if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                killed += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    killed
}

/// The pids whose initial environment holds exactly `entry` (`NAME=value`). A zombie
/// or a process of another user reads as empty and is not listed.
fn tagged(entry: &str) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| carries(pid, entry))
        .collect()
}

fn carries(pid: i32, entry: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|env| env.split(|b| *b == 0).any(|e| e == entry.as_bytes()))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_unique_and_valid() {
        let (a, b) = (new_tag(), new_tag());
        assert_ne!(a, b);
        assert!(valid_tag(&a), "{a}");
        assert!(!valid_tag(""));
        assert!(!valid_tag("abc"));
        assert!(!valid_tag("deadbeef*"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn kill_tagged_kills_the_tagged_process_and_spares_the_other() {
        use std::os::unix::process::ExitStatusExt;
        let tag = new_tag();
        let start = |run: &str| {
            Command::new("sleep")
                .arg("30")
                .env(RUN_ENV, run)
                .spawn()
                .expect("start sleep")
        };
        let mut tagged_sleep = start(&tag);
        let mut other_sleep = start(&new_tag());
        assert_eq!(kill_tagged(&tag), 1);
        let status = tagged_sleep.wait().expect("wait for the tagged sleep");
        assert_eq!(status.signal(), Some(Signal::SIGKILL as i32));
        assert!(
            matches!(other_sleep.try_wait(), Ok(None)),
            "a process with another tag was killed"
        );
        let _ = other_sleep.kill();
        let _ = other_sleep.wait();
    }

    #[test]
    fn carries_matches_whole_entries_only() {
        let me = std::process::id() as i32;
        let (name, value) = std::env::vars()
            .find(|(_, v)| !v.is_empty())
            .expect("a test runs with some environment");
        assert!(carries(me, &format!("{name}={value}")));
        assert!(!carries(me, &format!("{name}={value}x")));
        assert!(!carries(me, &format!("{name}=")));
        assert!(!carries(-1, &format!("{name}={value}")));
    }
}
