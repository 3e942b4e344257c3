//! The harness's integration tests: one test binary (`cargo test --test suite`), run
//! with libtest-mimic so that the conformance trials, generated from cases/ and the
//! fixtures, and the plain test functions of the other modules share one binary, one
//! reference server build and one set of HTTP servers.
//!
//! Two phases, each with its own summary:
//! 1. the plain tests, named `module::function` (`reports::…`, `fuzz::…`, `cli::…`,
//!    `layout::…`), with libtest's default number of threads;
//! 2. the conformance trials (`stdio::…`, `http::…`, `sse::…`, `mutant::…`,
//!    `variant::…`, `suite::…`, …; see `conformance.rs`), eight at a time by default
//!    since they mostly wait.
//!
//! Filters apply to both (`cargo test --test suite -- mutant::`), and
//! `--test-threads` overrides both defaults. A new test function is registered in
//! its module's `trials()`; one left out is dead code, which clippy refuses.
//!
//! The trials share one process: a test runs the `mcp-conform` binary
//! (`support::run_conform`), never `mcp_conform::cli::main_with` in-process, which
//! would make this process a child subreaper that kills the other trials' servers.

use libtest_mimic::{Arguments, Trial};

/// The trials of a module's test functions, each named after the module and the
/// function.
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        vec![$($crate::support::trial(module_path!(), stringify!($name), $name)),*]
    };
}

/// As `tests!`, for `async fn`s; each runs on its own current-thread runtime.
macro_rules! async_tests {
    ($($name:ident),* $(,)?) => {
        vec![$($crate::support::trial(module_path!(), stringify!($name), || {
            $crate::support::block_on($name())
        })),*]
    };
}

mod action;
mod auth_cli;
mod auth_fallback;
mod cli;
mod conformance;
mod fuzz;
#[cfg(target_os = "linux")]
mod hostile;
mod http_servers;
mod layout;
mod legal_answers;
mod negotiation_completion_answers;
#[cfg(target_os = "linux")]
mod no_orphans;
mod reports;
mod stdio_process;
mod suggest;
mod support;
mod traversal;

/// Every plain test function, module by module.
fn plain_trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    trials.extend(action::trials());
    trials.extend(auth_cli::trials());
    trials.extend(auth_fallback::trials());
    trials.extend(cli::trials());
    trials.extend(fuzz::trials());
    #[cfg(target_os = "linux")]
    trials.extend(hostile::trials());
    trials.extend(layout::trials());
    trials.extend(legal_answers::trials());
    trials.extend(negotiation_completion_answers::trials());
    #[cfg(target_os = "linux")]
    trials.extend(no_orphans::trials());
    trials.extend(reports::trials());
    trials.extend(stdio_process::trials());
    trials.extend(suggest::trials());
    trials.extend(traversal::trials());
    trials
}

fn main() {
    let args = Arguments::from_args();
    let plain = plain_trials();
    let conformance = conformance::trials();
    if !args.list {
        // Built (or found fresh) before any trial, so that a build error is shown once.
        support::reference_server();
    }
    let first = libtest_mimic::run(&args, plain);
    let second = libtest_mimic::run(&conformance::arguments(&args), conformance);
    http_servers::stop_all();
    if first.has_failed() || second.has_failed() {
        std::process::exit(101);
    }
}
