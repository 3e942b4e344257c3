//! Scheduling: which cases run, at which revision, in which order and how many at once.

pub mod auth;
mod discover;
pub mod exec;
mod header_probes;
mod http_steps;
pub mod probe;
pub mod substitute;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::case::{Case, TransportKind};
use crate::report::model::CaseResult;
use crate::transport::stdio::Launch;
use crate::transport::{
    HttpTransport, Limits, SseTransport, StdioTransport, Transport, TransportError,
};

pub use discover::example as schema_example;
pub use probe::Facts;

/// Everything a case needs to reach the server and pace itself.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub launch: Launch,
    /// Default wait for an expected message.
    pub timeout: Duration,
    /// Upper bound for one whole case.
    pub case_budget: Duration,
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
            revision_pin: None,
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .max(2),
            limits: Limits::default(),
            hints: serde_json::json!({}),
            progress: false,
            http: None,
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

    pub fn transport_kind(&self) -> TransportKind {
        self.http.as_ref().map_or(TransportKind::Stdio, |h| h.kind)
    }

    /// Opens a fresh connection to the server: for stdio a new process; over HTTP a
    /// new client whose first `initialize` starts a new session on the same server.
    pub fn connect(&self) -> Result<Transport, TransportError> {
        match &self.http {
            None => StdioTransport::start(&self.launch, self.limits.clone()).map(Transport::Stdio),
            Some(h) if h.kind == TransportKind::Sse => {
                SseTransport::open(h.url.clone(), self.limits.clone(), h.bearer.clone())
                    .map(Transport::Sse)
            }
            Some(h) => HttpTransport::new(h.url.clone(), self.limits.clone(), h.bearer.clone())
                .map(Transport::StreamableHttp),
        }
    }
}

/// Runs the cases (at most `jobs` at once) and returns their results in case order.
pub async fn run_cases(cases: &[Case], cfg: &RunConfig, facts: &Facts) -> Vec<CaseResult> {
    let cfg = Arc::new(cfg.clone());
    let facts = Arc::new(facts.clone());
    let gate = Arc::new(Semaphore::new(cfg.jobs.max(1)));
    let done = Arc::new(AtomicUsize::new(0));
    let total = cases.len();
    let mut handles = Vec::with_capacity(cases.len());
    for case in cases {
        let (case, cfg, facts, gate, done) = (
            case.clone(),
            cfg.clone(),
            facts.clone(),
            gate.clone(),
            done.clone(),
        );
        handles.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let result = exec::execute(&case, &cfg, &facts).await;
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if cfg.progress {
                // \r + clear line: one line that redraws, erased at the end.
                eprint!("\r\x1b[2K[{n}/{total}] {}", case.id);
                if n == total {
                    eprint!("\r\x1b[2K");
                }
            }
            result
        }));
    }
    let mut results = Vec::with_capacity(handles.len());
    for (handle, case) in handles.into_iter().zip(cases) {
        match handle.await {
            Ok(r) => results.push(r),
            Err(e) => results.push(exec::harness_error(
                case,
                format!("the case task failed: {e}"),
            )),
        }
    }
    results
}
