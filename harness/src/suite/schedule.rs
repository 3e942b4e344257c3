//! Scheduling: runs the chosen cases, at most `jobs` at once, in case order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::case::Case;
use crate::client::facts::Facts;
use crate::client::RunConfig;
use crate::outcome::CaseResult;
use crate::steps as exec;

use super::plan::plan;

/// Runs one case: at the revision [`plan`] chooses, or skipped with its reason.
pub async fn run_one(case: &Case, cfg: &RunConfig, facts: &Facts) -> CaseResult {
    match plan(case, cfg, facts) {
        Ok(revision) => exec::execute(case, cfg, facts, &revision).await,
        Err(reason) => exec::skipped(case, reason),
    }
}

/// Runs the cases (at most `jobs` at once) and returns their results in case order.
/// They start in the order of their fixed waits, longest first (see
/// [`Case::fixed_waits_ms`]): a long case started last would end the run alone.
pub async fn run_cases(cases: &[Case], cfg: &RunConfig, facts: &Facts) -> Vec<CaseResult> {
    let cfg = Arc::new(cfg.clone());
    let facts = Arc::new(facts.clone());
    let gate = Arc::new(Semaphore::new(cfg.jobs.max(1)));
    let done = Arc::new(AtomicUsize::new(0));
    let total = cases.len();
    let mut order: Vec<usize> = (0..cases.len()).collect();
    // Stable: equal waits keep case order. The gate hands out places first come, first served.
    order.sort_by_key(|&i| std::cmp::Reverse(cases[i].fixed_waits_ms()));
    let mut handles: Vec<Option<tokio::task::JoinHandle<CaseResult>>> =
        (0..cases.len()).map(|_| None).collect();
    for i in order {
        let case = &cases[i];
        let (case, cfg, facts, gate, done) = (
            case.clone(),
            cfg.clone(),
            facts.clone(),
            gate.clone(),
            done.clone(),
        );
        handles[i] = Some(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let result = run_one(&case, &cfg, &facts).await;
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
        let joined = match handle {
            Some(h) => h.await.map_err(|e| e.to_string()),
            None => Err("the case was not started".to_string()),
        };
        match joined {
            Ok(r) => results.push(r),
            Err(e) => results.push(exec::harness_error(
                case,
                format!("the case task failed: {e}"),
            )),
        }
    }
    results
}
