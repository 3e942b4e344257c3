//! What ends a run early, and the exit code each kind gives (README "Exit codes").

use crate::suite::verdict::{NothingJudged, RunVerdict};
use crate::suite::SetupError;

/// Nothing failed.
pub const EXIT_OK: i32 = 0;
/// A case failed or errored, or the baseline was broken.
pub const EXIT_FAILED: i32 = 1;
/// Bad usage or bad case files.
pub const EXIT_USAGE: i32 = 2;
/// The target cannot be started or reached, or nothing could be judged.
pub const EXIT_UNREACHABLE: i32 = 3;

/// Why the command line stops (for the whole run, or for one of several servers).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments, case files, hints, baseline, patterns, or report files that
    /// cannot be written: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The target cannot be started or reached: exit 3.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// Every case was skipped or ended in error: exit 3.
    #[error(transparent)]
    NothingJudged(#[from] NothingJudged),
    /// The async runtime cannot start: exit 3.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

impl CliError {
    /// A usage error (exit 2) with this message.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// The exit code of this kind of error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Setup(_) | CliError::NothingJudged(_) | CliError::Runtime(_) => {
                EXIT_UNREACHABLE
            }
        }
    }

    /// Prints the error (`mcp-conform: …`) and gives its exit code.
    pub fn report(&self) -> i32 {
        eprintln!("mcp-conform: {self}");
        self.exit_code()
    }
}

/// The exit code of a run that judged something.
pub fn verdict_code(verdict: RunVerdict) -> i32 {
    match verdict {
        RunVerdict::Passed => EXIT_OK,
        RunVerdict::Failed => EXIT_FAILED,
    }
}
