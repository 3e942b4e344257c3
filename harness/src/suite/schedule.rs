//! Scheduling: runs the chosen cases, at most `jobs` at once, and returns their
//! results in case order.
//!
//! Each of the `jobs` workers takes the next case from one queue and keeps a
//! [`Lane`]: the cases that may share a server run on the worker's, one after another
//! (see `steps::shared`); every other case starts its own. At most [`SHARING_LANES`]
//! workers keep a shared server at once, so a heavy server is not started once per
//! worker for cases that take milliseconds each. The queue holds the cases with the
//! longest fixed waits first ([`Case::fixed_waits_ms`]), so that a long case does not
//! start last and end the run alone.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::case::Case;
use crate::client::facts::Facts;
use crate::client::RunConfig;
use crate::outcome::CaseResult;
use crate::steps::{self as exec, Lane};

use super::plan::plan;

/// Runs one case: at the revision [`plan`] chooses, or skipped with its reason.
pub async fn run_one(case: &Case, cfg: &RunConfig, facts: &Facts) -> CaseResult {
    run_in(case, cfg, facts, None).await
}

/// As [`run_one`], on `lane`'s server when the case may share one.
pub async fn run_in(
    case: &Case,
    cfg: &RunConfig,
    facts: &Facts,
    lane: Option<&mut Lane>,
) -> CaseResult {
    match plan(case, cfg, facts) {
        Ok(revision) => exec::execute_in(case, cfg, facts, &revision, lane).await,
        Err(reason) => exec::skipped(case, reason),
    }
}

/// Most workers that keep a shared server at once.
pub const SHARING_LANES: usize = 2;

/// What the workers share: the queue of case indexes, the results so far.
struct Work {
    queue: Mutex<Queue>,
    results: Mutex<Vec<Option<CaseResult>>>,
    done: Mutex<usize>,
}

/// The cases not started yet (indexes, in the order they start), and how many workers
/// keep a shared server.
struct Queue {
    waiting: VecDeque<usize>,
    shares: Vec<bool>,
    sharing_lanes: usize,
}

impl Queue {
    /// The next case for a worker that keeps a shared server (`serving`) or not: a
    /// server keeper takes the next case that may share; a worker without one becomes
    /// a keeper while there are fewer than [`SHARING_LANES`], else takes a case that
    /// starts its own server. `None` when nothing is left for it.
    fn next(&mut self, serving: bool) -> Option<usize> {
        let sharing = |q: &Queue| q.waiting.iter().position(|&i| q.shares[i]);
        let own = |q: &Queue| q.waiting.iter().position(|&i| !q.shares[i]);
        let pos = if serving {
            sharing(self).or_else(|| own(self))
        } else if self.sharing_lanes < SHARING_LANES && sharing(self).is_some() {
            self.sharing_lanes += 1;
            sharing(self)
        } else {
            own(self)
        }?;
        self.waiting.remove(pos)
    }
}

/// Runs the cases (at most `jobs` at once) and returns their results in case order.
pub async fn run_cases(cases: &[Case], cfg: &RunConfig, facts: &Facts) -> Vec<CaseResult> {
    let cases = Arc::new(cases.to_vec());
    let cfg = Arc::new(cfg.clone());
    let facts = Arc::new(facts.clone());
    let mut order: Vec<usize> = (0..cases.len()).collect();
    // Stable: equal waits keep case order.
    order.sort_by_key(|&i| std::cmp::Reverse(cases[i].fixed_waits_ms()));
    let work = Arc::new(Work {
        queue: Mutex::new(Queue {
            waiting: order.into(),
            shares: cases.iter().map(Case::shares_server).collect(),
            sharing_lanes: 0,
        }),
        results: Mutex::new(vec![None; cases.len()]),
        done: Mutex::new(0),
    });
    let workers = cfg.jobs.max(1).min(cases.len().max(1));
    let mut handles = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (cases, cfg, facts, work) = (cases.clone(), cfg.clone(), facts.clone(), work.clone());
        handles.push(tokio::spawn(async move {
            worker(&cases, &cfg, &facts, &work).await;
        }));
    }
    let mut failure = None;
    for handle in handles {
        if let Err(e) = handle.await {
            failure = Some(e.to_string());
        }
    }
    let mut results = match work.results.lock() {
        Ok(mut r) => std::mem::take(&mut *r),
        Err(_) => vec![None; cases.len()],
    };
    cases
        .iter()
        .zip(results.iter_mut())
        .map(|(case, r)| {
            r.take().unwrap_or_else(|| {
                let why = failure.clone().unwrap_or_else(|| "it was not run".into());
                exec::harness_error(case, format!("the case task failed: {why}"))
            })
        })
        .collect()
}

/// One worker: runs cases from the queue until it is empty, then stops its lane's server.
async fn worker(cases: &[Case], cfg: &RunConfig, facts: &Facts, work: &Work) {
    let mut lane = Lane::default();
    let mut serving = false;
    let total = cases.len();
    loop {
        let next = work.queue.lock().ok().and_then(|mut q| {
            if serving && !lane.has_server() {
                // Its server went away: the worker is no keeper until it takes one again.
                q.sharing_lanes = q.sharing_lanes.saturating_sub(1);
                serving = false;
            }
            let i = q.next(serving)?;
            serving = serving || q.shares[i];
            Some(i)
        });
        let Some(i) = next else { break };
        let case = &cases[i];
        let result = run_in(case, cfg, facts, Some(&mut lane)).await;
        if let Ok(mut results) = work.results.lock() {
            results[i] = Some(result);
        }
        let n = match work.done.lock() {
            Ok(mut done) => {
                *done += 1;
                *done
            }
            Err(_) => 0,
        };
        if cfg.progress {
            // \r + clear line: one line that redraws, erased at the end.
            eprint!("\r\x1b[2K[{n}/{total}] {}", case.id);
            if n == total {
                eprint!("\r\x1b[2K");
            }
        }
    }
    lane.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(shares: &[bool]) -> Queue {
        Queue {
            waiting: (0..shares.len()).collect(),
            shares: shares.to_vec(),
            sharing_lanes: 0,
        }
    }

    #[test]
    fn at_most_two_workers_keep_a_shared_server() {
        let mut q = queue(&[false, true, true, false, true, false]);
        // Three workers without a server: two become keepers, the third starts its own.
        assert_eq!(q.next(false), Some(1));
        assert_eq!(q.next(false), Some(2));
        assert_eq!(q.next(false), Some(0));
        // A keeper takes the next sharing case; others the next case of their own.
        assert_eq!(q.next(true), Some(4));
        assert_eq!(q.next(false), Some(3));
        // No sharing case left: a keeper takes one of its own.
        assert_eq!(q.next(true), Some(5));
        assert_eq!(q.next(true), None);
    }

    #[test]
    fn a_worker_without_a_server_leaves_sharing_cases_to_the_keepers() {
        let mut q = queue(&[true, true, true]);
        q.sharing_lanes = SHARING_LANES;
        assert_eq!(q.next(false), None);
        assert_eq!(q.next(true), Some(0));
    }
}
