//! The stdio transport: the server is a child process; newline-delimited JSON-RPC
//! goes to its stdin and comes from its stdout; stderr is kept as evidence.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::inbox;
use super::{children, classify_line, Incoming, Limits, TransportError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// How much stderr is kept per process.
const STDERR_CAP: usize = 64 * 1024;

/// How to start a stdio server.
#[derive(Debug, Clone)]
pub struct Launch {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
}

impl Launch {
    pub fn describe(&self) -> String {
        let mut parts = vec![self.program.clone()];
        parts.extend(self.args.iter().cloned());
        parts.join(" ")
    }
}

pub struct StdioTransport {
    child: Option<Child>,
    pgid: i32,
    stdin: Option<ChildStdin>,
    events: inbox::Receiver,
    stderr: Arc<Mutex<String>>,
    limits: Limits,
    closed: bool,
    /// Why stdin was let go after a write that did not complete.
    stalled: Option<String>,
}

impl StdioTransport {
    pub fn start(launch: &Launch, limits: Limits) -> Result<StdioTransport, TransportError> {
        let mut cmd = Command::new(&launch.program);
        cmd.args(&launch.args)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        if let Some(dir) = &launch.cwd {
            cmd.current_dir(dir);
        }
        children::die_with_parent(&mut cmd);
        let (mut child, pgid) = {
            let _spawning = children::spawn_lock();
            let child = cmd.spawn().map_err(|e| {
                TransportError::Unreachable(format!("cannot start `{}`: {e}", launch.program))
            })?;
            let pgid = child.id().map(|p| p as i32).unwrap_or(0);
            children::register(pgid);
            (child, pgid)
        };

        let (tx, rx) = inbox::default_channel();
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(out) = child.stdout.take() {
            tokio::spawn(read_stdout(out, tx, limits.max_message_bytes));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(read_stderr(err, stderr.clone()));
        }
        Ok(StdioTransport {
            stdin: child.stdin.take(),
            child: Some(child),
            pgid,
            events: rx,
            stderr,
            limits,
            closed: false,
            stalled: None,
        })
    }

    pub async fn send_line(&mut self, text: &str) -> Result<(), TransportError> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(match &self.stalled {
                Some(why) => TransportError::Stalled(format!("earlier: {why}")),
                None => TransportError::Closed("stdin already closed".into()),
            });
        };
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(b'\n');
        let write = async {
            stdin.write_all(&bytes).await?;
            stdin.flush().await
        };
        match tokio::time::timeout(self.limits.write_timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(TransportError::Closed(format!("writing to stdin: {e}"))),
            Err(_) => {
                // Part of the line may have gone out: nothing more can be written after
                // it, so the harness lets go of stdin and later sends fail at once.
                let why = format!(
                    "stdin write did not complete within {} ms",
                    self.limits.write_timeout.as_millis()
                );
                self.stdin = None;
                self.stalled = Some(why.clone());
                Err(TransportError::Stalled(why))
            }
        }
    }

    /// Closes the server's stdin (the first step of a stdio shutdown).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub async fn recv(&mut self, wait: Duration) -> Option<Incoming> {
        if self.closed {
            return None;
        }
        match tokio::time::timeout(wait, self.events.recv()).await {
            Ok(Some(ev)) => Some(ev),
            Ok(None) => {
                self.closed = true;
                let status = self.exit_status(Duration::from_millis(200)).await;
                Some(Incoming::Closed {
                    reason: format!("stdout closed; {status}"),
                })
            }
            Err(_) => None,
        }
    }

    /// Waits for the process to exit; describes the outcome.
    pub async fn exit_status(&mut self, wait: Duration) -> String {
        match self.wait_exit(wait).await {
            Some(desc) => desc,
            None => "process still running".into(),
        }
    }

    /// `Some(description)` once the process has exited within `wait`.
    pub async fn wait_exit(&mut self, wait: Duration) -> Option<String> {
        let child = self.child.as_mut()?;
        match tokio::time::timeout(wait, child.wait()).await {
            Ok(Ok(status)) => Some(format!("process exited ({status})")),
            Ok(Err(e)) => Some(format!("process state unknown ({e})")),
            Err(_) => None,
        }
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub async fn shutdown(&mut self) {
        self.stdin = None;
        children::kill_group(self.pgid);
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
        }
        children::unregister(self.pgid);
        // Processes of this server that left its group are re-parented to the harness
        // now that the server is gone.
        let _ = tokio::task::spawn_blocking(children::kill_orphans).await;
    }
}

impl Drop for StdioTransport {
    fn drop(&mut self) {
        if self.child.is_some() {
            children::kill_group(self.pgid);
            children::unregister(self.pgid);
        }
    }
}

/// Reads stdout line by line with a size cap; an over-long line is reported and skipped.
async fn read_stdout(out: tokio::process::ChildStdout, tx: inbox::Sender, cap: usize) {
    let mut reader = BufReader::new(out);
    let mut line: Vec<u8> = Vec::new();
    let mut oversized = false;
    while let Ok(buf) = reader.fill_buf().await {
        if buf.is_empty() {
            // EOF: a final line without newline still counts.
            if !line.is_empty() && !oversized {
                if let Some(ev) = classify_line(&line) {
                    let _ = tx.send(ev, line.len()).await;
                }
            }
            break;
        }
        let (chunk, found_newline) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let used = chunk.len();
        if !oversized {
            if line.len() + used > cap + 1 {
                oversized = true;
                let prefix = String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned();
                let ev = Incoming::PolicyRefusal {
                    policy: super::size_cap_policy(cap, "a line of output"),
                    evidence: format!("{prefix}…"),
                };
                line.clear();
                if tx.note(ev).await.is_err() {
                    return;
                }
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(used);
        if found_newline {
            if !oversized {
                if let Some(ev) = classify_line(&line) {
                    if tx.send(ev, line.len()).await.is_err() {
                        return;
                    }
                }
            }
            line.clear();
            oversized = false;
        }
    }
}

async fn read_stderr(err: tokio::process::ChildStderr, sink: Arc<Mutex<String>>) {
    let mut reader = BufReader::new(err);
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Ok(mut s) = sink.lock() {
                    if s.len() < STDERR_CAP {
                        let room = STDERR_CAP - s.len();
                        let text = String::from_utf8_lossy(&buf[..n]);
                        let take: String = text.chars().take(room).collect();
                        s.push_str(&take);
                    }
                }
            }
        }
    }
}
