//! HTTP server processes for the conformance suite: the reference server and each
//! HTTP mutant, started once per test binary on 127.0.0.1 (port 0), shared by the
//! trials, and always killed when the binary ends (and by the kernel if it dies).
//! `start_owned` starts one that belongs to a single test and is stopped when dropped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

struct Running {
    child: Child,
    base: url::Url,
}

type Registry = Mutex<BTreeMap<String, Arc<Mutex<Option<Running>>>>>;

type SpawnRequest = (Command, std::sync::mpsc::Sender<std::io::Result<Child>>);

/// Spawns on one thread that lives as long as the test binary. The parent-death signal
/// fires when the *thread* that forked ends, so servers spawned from a trial's thread
/// would be killed as soon as the test harness retired that thread, under other trials.
fn spawn(cmd: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<std::sync::mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<SpawnRequest>();
        std::thread::spawn(move || {
            for (mut cmd, reply) in rx {
                let _ = reply.send(cmd.spawn());
            }
        });
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = std::sync::mpsc::channel();
    tx.lock()
        .map_err(|_| std::io::Error::other("spawner poisoned"))?
        .send((cmd, reply_tx))
        .map_err(|_| std::io::Error::other("spawner gone"))?;
    reply_rx
        .recv()
        .map_err(|_| std::io::Error::other("spawner gone"))?
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// The base URL (`http://127.0.0.1:N/`) of the server `name`, started on first use
/// with `args` (fault switches) added to `--http 127.0.0.1:0`.
pub fn base_url(name: &str, binary: &Path, args: &[String]) -> Result<url::Url, String> {
    let slot = {
        let mut reg = registry().lock().map_err(|_| "registry poisoned")?;
        reg.entry(name.to_string()).or_default().clone()
    };
    let mut running = slot.lock().map_err(|_| "server slot poisoned")?;
    if let Some(r) = running.as_ref() {
        return Ok(r.base.clone());
    }
    let (child, base) = spawn_listening(name, binary, args)?;
    *running = Some(Running {
        child,
        base: base.clone(),
    });
    Ok(base)
}

/// Starts `binary --http 127.0.0.1:0 ARGS` and waits for its `listening on` line;
/// returns the child and its base URL (`http://127.0.0.1:N/`).
fn spawn_listening(
    name: &str,
    binary: &Path,
    args: &[String],
) -> Result<(Child, url::Url), String> {
    let mut all = vec!["--http".to_string(), "127.0.0.1:0".to_string()];
    all.extend_from_slice(args);
    listen_as(name, binary, &all)
}

/// Starts `binary ARGS`, a server that picks its own port on 127.0.0.1, and waits for
/// its `listening on` line; returns the child and its base URL.
fn listen_as(name: &str, binary: &Path, args: &[String]) -> Result<(Child, url::Url), String> {
    let mut cmd = Command::new(binary);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only an async-signal-safe prctl call runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
    let mut child = spawn(cmd).map_err(|e| format!("cannot start {name}: {e}"))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads the URL line, then keeps draining stderr so the server never blocks on it.
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(url);
                    sent = true;
                }
            }
        }
    });
    let url = match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(u) => u,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{name}: no `listening on` line within 10 s"));
        }
    };
    match url::Url::parse(&url).and_then(|u| u.join("/")) {
        Ok(base) => Ok((child, base)),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{name}: bad URL {url}: {e}"))
        }
    }
}

/// A server that belongs to one test: killed and reaped when dropped.
pub struct Owned {
    child: Child,
    pub base: url::Url,
}

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server of the test's own (not shared with other tests).
pub fn start_owned(name: &str, binary: &Path, args: &[String]) -> Result<Owned, String> {
    let (child, base) = spawn_listening(name, binary, args)?;
    Ok(Owned { child, base })
}

/// As [`start_owned`], for a server whose arguments already make it listen on
/// 127.0.0.1 (the hostile fixture server).
pub fn start_owned_as(name: &str, binary: &Path, args: &[String]) -> Result<Owned, String> {
    let (child, base) = listen_as(name, binary, args)?;
    Ok(Owned { child, base })
}

/// Kills and reaps every server started by this binary.
pub fn stop_all() {
    let slots: Vec<_> = match registry().lock() {
        Ok(reg) => reg.values().cloned().collect(),
        Err(_) => return,
    };
    for slot in slots {
        if let Ok(mut s) = slot.lock() {
            if let Some(mut r) = s.take() {
                let _ = r.child.kill();
                let _ = r.child.wait();
            }
        }
    }
}
