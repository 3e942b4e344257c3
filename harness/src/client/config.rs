//! How to reach the server under test: the run's configuration and fresh connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::session::Session;
use crate::case::TransportKind;
use crate::evidence::Pool;
use crate::sandbox::Sandbox;
use crate::transport::stdio::Launch;
use crate::transport::{Limits, Transport, TransportError};

/// Everything a case needs to reach the server and pace itself.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub launch: Launch,
    /// Default wait for an expected message.
    pub timeout: Duration,
    /// Upper bound for one whole case (setup, steps and teardown).
    pub case_budget: Duration,
    /// How long a freshly started server may take to send its first answer (it may
    /// be compiling, downloading, loading), however short the wait for that answer.
    pub startup_timeout: Duration,
    /// Places for servers starting at once: a case, probe or campaign holds one from
    /// starting its server until the server's first answer.
    pub startup_gate: Arc<Semaphore>,
    /// Longest the whole run may take (`--run-timeout`); the suite sets
    /// `run_deadline` from it when the run starts.
    pub run_timeout: Option<Duration>,
    /// When the whole run must end: cases not started by then are not run, and a
    /// running case ends by then.
    pub run_deadline: Option<Instant>,
    /// The bytes of evidence the run's report may still keep.
    pub evidence: Pool,
    /// Run only at this revision.
    pub revision_pin: Option<String>,
    pub jobs: usize,
    pub limits: Limits,
    /// User-provided hints (`--hints FILE`), visible to cases as variable `hints`:
    /// how to trigger behaviours no generic probe can (see cases/README.md).
    pub hints: serde_json::Value,
    /// Draw a progress line on stderr (only when stderr is a terminal).
    pub progress: bool,
    /// Set for a URL target: where and how to reach the server (`launch` is unused then).
    pub http: Option<HttpTarget>,
    /// For a command naming `{root}`/`{sandbox}`: the command before substitution.
    /// Each case then starts the server on a fresh sandbox of its own, so no case sees
    /// files that another case's calls left behind; `launch` holds the run's shared
    /// sandbox (the probe, path traversal and fuzzing use it).
    pub launch_template: Option<Launch>,
}

/// The default of `--startup-timeout`.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The default number of cases at once. Cases mostly wait on the server, so this is
/// set for waiting, not for the cores; heavy servers are held back by the start-up
/// limit ([`default_startup_jobs`]) instead.
pub const DEFAULT_JOBS: usize = 8;

/// The default number of servers starting at once: the machine's cores, at least two.
pub fn default_startup_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

/// A server reached over HTTP.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    pub url: url::Url,
    /// `StreamableHttp` or `Sse`.
    pub kind: TransportKind,
    /// `--bearer`: an access token for every request to the target.
    pub bearer: Option<String>,
    /// `--scoped-bearer`: a second valid token with fewer scopes, sent only by `http`
    /// steps that ask for it (`bearer: scoped`).
    pub scoped_bearer: Option<String>,
}

impl RunConfig {
    pub fn new(launch: Launch) -> RunConfig {
        RunConfig {
            launch,
            timeout: Duration::from_secs(5),
            case_budget: Duration::from_secs(60),
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            startup_gate: Arc::new(Semaphore::new(default_startup_jobs())),
            run_timeout: None,
            run_deadline: None,
            evidence: Pool::default(),
            revision_pin: None,
            jobs: DEFAULT_JOBS,
            limits: Limits::default(),
            hints: serde_json::json!({}),
            progress: false,
            http: None,
            launch_template: None,
        }
    }

    /// A configuration for a server at `url`, spoken to with `kind`.
    pub fn for_url(url: url::Url, kind: TransportKind) -> RunConfig {
        let mut cfg = RunConfig::new(Launch {
            program: String::new(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
        });
        cfg.http = Some(HttpTarget {
            url,
            kind,
            bearer: None,
            scoped_bearer: None,
        });
        cfg
    }

    /// For a server the harness starts: a place among the servers starting at once
    /// (waited for), to hold until its first answer; `None` for an HTTP target.
    pub async fn startup_slot(&self) -> Option<OwnedSemaphorePermit> {
        if self.http.is_some() {
            return None;
        }
        self.startup_gate.clone().acquire_owned().await.ok()
    }

    /// How long a case may still run: its budget, or less near the end of the run.
    pub fn case_time_left(&self) -> Duration {
        match self.run_deadline {
            Some(end) => self
                .case_budget
                .min(end.saturating_duration_since(Instant::now())),
            None => self.case_budget,
        }
    }

    pub fn transport_kind(&self) -> TransportKind {
        self.http.as_ref().map_or(TransportKind::Stdio, |h| h.kind)
    }

    /// Opens a fresh connection to the server: for stdio a new process; over HTTP a
    /// new client whose first `initialize` starts a new session on the same server.
    pub fn connect(&self) -> Result<Transport, TransportError> {
        let limits = self.limits.clone();
        match &self.http {
            None => Transport::stdio(&self.launch, limits),
            Some(h) if h.kind == TransportKind::Sse => {
                Transport::sse(h.url.clone(), limits, h.bearer.clone())
            }
            Some(h) => Transport::streamable_http(h.url.clone(), limits, h.bearer.clone()),
        }
    }
}

/// `launch` with `{root}` and `{sandbox}` replaced by the folders of `sandbox`.
pub fn launch_in(sandbox: &Sandbox, launch: &Launch) -> Launch {
    Launch {
        program: sandbox.substitute(&launch.program),
        args: launch.args.iter().map(|a| sandbox.substitute(a)).collect(),
        env: launch
            .env
            .iter()
            .map(|(k, v)| (k.clone(), sandbox.substitute(v)))
            .collect(),
        cwd: launch.cwd.clone(),
    }
}

impl RunConfig {
    /// A session on a fresh connection: its transcript draws on the run's evidence
    /// pool; a server the harness started gets the start-up allowance for its first
    /// answer and holds `slot` until then.
    pub fn session(
        &self,
        transport: Transport,
        client_capabilities: serde_json::Value,
        slot: Option<OwnedSemaphorePermit>,
    ) -> Session {
        let mut session = Session::new(transport, client_capabilities);
        session.share_evidence(self.evidence.clone());
        if self.http.is_none() {
            session.starting_up(self.startup_timeout, slot);
        }
        session
    }

    /// A fresh connection for one case (see [`RunConfig::connect`]). With a
    /// `launch_template` the server process starts on a sandbox of its own, returned so
    /// that it outlives the process (it is removed when dropped).
    pub fn connect_for_case(&self) -> Result<(Transport, Option<Sandbox>), CaseConnectError> {
        let template = self
            .launch_template
            .as_ref()
            .filter(|_| self.http.is_none());
        let Some(template) = template else {
            return Ok((self.connect()?, None));
        };
        let sandbox = Sandbox::create().map_err(|e| CaseConnectError::Sandbox(e.to_string()))?;
        let launch = launch_in(&sandbox, template);
        let transport = Transport::stdio(&launch, self.limits.clone())?;
        Ok((transport, Some(sandbox)))
    }
}

/// Why a case could not get its connection.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CaseConnectError {
    /// The case's own sandbox could not be made (why).
    #[error("the case's sandbox: {0}")]
    Sandbox(String),
    #[error("{0}")]
    Transport(#[from] TransportError),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command that names `{root}` gives every case a sandbox of its own: a file a
    /// server left in its root is not in the next case's root, and each root goes
    /// away with its case.
    #[test]
    fn each_case_starts_the_server_on_a_fresh_root() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let mut cfg = RunConfig::new(Launch {
                program: "sh".into(),
                args: vec!["-c".into(), "touch '{root}/left-behind'; exec cat".into()],
                env: Vec::new(),
                cwd: None,
            });
            cfg.launch_template = Some(cfg.launch.clone());
            let (first, first_root) = cfg.connect_for_case().expect("first case starts");
            let first_root = first_root.expect("a sandbox of its own");
            let mark = first_root.root.join("left-behind");
            for _ in 0..200 {
                if mark.exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert!(mark.exists(), "the first server wrote into its root");
            let (second, second_root) = cfg.connect_for_case().expect("second case starts");
            let second_root = second_root.expect("a sandbox of its own");
            assert_ne!(first_root.root, second_root.root);
            assert!(second_root.root.is_dir());
            drop((first, second));
            let gone = first_root.dir.clone();
            drop(first_root);
            assert!(!gone.exists(), "a case's sandbox is removed after it");
        });
    }
}
