//! The command line: parse the arguments ([`args`]), choose the cases and the servers
//! ([`targets`]), run the suite on each server and write its reports ([`run`]), and
//! turn what happened into an exit code ([`error`]). Nothing here judges a server: that
//! is `suite` and below.
//!
//! # How to add a command-line option
//!
//! 1. A field in [`args::Args`] whose doc comment is its `--help` text. What clap can
//!    say, it says: `requires`, `conflicts_with`, `value_parser`, defaults.
//! 2. A check clap cannot make (it depends on the target or on a file's content)
//!    returns `CliError::Usage` with a message that names the option: in `args.rs`
//!    for the options alone, in `targets.rs` when it depends on the target.
//! 3. Hand the value on where it is used: `RunConfig` in `Run::configure`, the
//!    fuzzing or traversal options in `run.rs`, or a choice in `run_cli` below.
//! 4. README "Testing your server" (or the section of its feature), and a test in
//!    `harness/tests/suite/cli.rs` (registered in its `trials()`) when it can fail.
//!
//! # How to add an exit code
//!
//! 1. A constant in [`error`], and the `CliError` variant (or `RunVerdict`) that gives
//!    it in `CliError::exit_code` (or `verdict_code`). A run over several servers
//!    exits with the highest code of any server.
//! 2. README "Exit codes" and the `after_help` text of [`args::Args`].
//! 3. A test in `harness/tests/suite/cli.rs` (registered in its `trials()`).

use clap::Parser;

use crate::case::Case;
use crate::transport::children;
use crate::traversal::Family;

pub mod args;
pub mod claude_config;
pub mod error;
pub mod run;
pub mod targets;
pub mod tokens;

use args::{load_cases, select, select_families};
pub use args::{load_hints, Args};
pub use error::{CliError, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE};

/// Entry point shared by the binary and tests; returns the exit code.
pub fn main_with(argv: Vec<String>) -> i32 {
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return CliError::Runtime(e).report(),
    };
    children::become_subreaper();
    let code = runtime.block_on(async {
        stop_servers_on_signals();
        run_cli(args).await.unwrap_or_else(|e| e.report())
    });
    children::finish();
    code
}

/// SIGINT (Ctrl-C), SIGTERM (`timeout`, `docker stop`, a cancelled CI job) and SIGHUP
/// (a closed terminal) all stop every server process before the harness exits with
/// 128 + the signal's number.
fn stop_servers_on_signals() {
    use tokio::signal::unix::{signal, SignalKind};
    for (kind, number, name) in [
        (SignalKind::interrupt(), 2, "interrupted"),
        (SignalKind::terminate(), 15, "terminated"),
        (SignalKind::hangup(), 1, "hung up"),
    ] {
        let Ok(mut stream) = signal(kind) else {
            eprintln!(
                "mcp-conform: cannot watch for signal {number}; servers may outlive a {name} run"
            );
            continue;
        };
        tokio::spawn(async move {
            if stream.recv().await.is_some() {
                children::kill_all();
                eprintln!("\nmcp-conform: {name}; server processes stopped");
                std::process::exit(128 + number);
            }
        });
    }
}

/// Chooses the cases, answers `--coverage` and `--list`, then tests every server: the
/// highest exit code of any of them.
async fn run_cli(mut args: Args) -> Result<i32, CliError> {
    let cases = load_cases(args.cases.as_ref())?;
    let cases = select(cases, &args.only, &args.skip)?;
    args::check_revision(args.revision.as_deref())?;
    if args.coverage {
        print!(
            "{}",
            crate::coverage::render(&crate::coverage::compute(&cases))
        );
        return Ok(EXIT_OK);
    }
    let families = select_families(&args.only, &args.skip)?;
    if args.list {
        list(&cases, &families);
        return Ok(EXIT_OK);
    }
    let (tokens, warnings) = tokens::resolve(&args, &|name| std::env::var(name).ok())?;
    for w in warnings {
        eprintln!("mcp-conform: {w}");
    }
    args.tokens = tokens;
    if args.suggest_hints {
        return run::suggest_hints(&args, &cases).await;
    }
    let run = run::Run::new(&args, cases, families)?;
    let servers = targets::targets_of(&args)?;
    let many = servers.len() > 1;
    let mut worst = EXIT_OK;
    for (name, target) in servers {
        worst = worst.max(run.test(name, target, many).await?);
    }
    Ok(worst)
}

/// `--list`: the cases and the traversal families that would run.
fn list(cases: &[Case], families: &[Family]) {
    for c in cases {
        println!("{:<48} [{}] {}", c.id, c.requirements.join(", "), c.title);
    }
    println!("{} cases", cases.len());
    for f in families {
        println!(
            "{:<48} [TOOL-15, RES-10] Path traversal: {}",
            f.id(),
            f.title()
        );
    }
    println!("{} traversal probe families", families.len());
}
