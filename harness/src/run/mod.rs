//! Scheduling: which cases run, at which revision, in which order and how many at once.

mod discover;
pub mod exec;
pub mod probe;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::case::{Case, TransportKind};
use crate::report::model::CaseResult;
use crate::transport::stdio::Launch;
use crate::transport::{Limits, StdioTransport, Transport, TransportError};

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
        }
    }

    pub fn transport_kind(&self) -> TransportKind {
        TransportKind::Stdio
    }

    /// Opens a fresh connection to the server (for stdio: starts a new process).
    pub fn connect(&self) -> Result<Transport, TransportError> {
        StdioTransport::start(&self.launch, self.limits.clone()).map(Transport::Stdio)
    }
}

/// Runs the cases (at most `jobs` at once) and returns their results in case order.
pub async fn run_cases(cases: &[Case], cfg: &RunConfig, facts: &Facts) -> Vec<CaseResult> {
    let cfg = Arc::new(cfg.clone());
    let facts = Arc::new(facts.clone());
    let gate = Arc::new(Semaphore::new(cfg.jobs.max(1)));
    let mut handles = Vec::with_capacity(cases.len());
    for case in cases {
        let (case, cfg, facts, gate) = (case.clone(), cfg.clone(), facts.clone(), gate.clone());
        handles.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            exec::execute(&case, &cfg, &facts).await
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
