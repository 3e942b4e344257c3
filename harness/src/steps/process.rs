//! The steps about the server process: `close_input` (stdin EOF) and `expect_exit`.
//! There is a process to watch on stdio only.

use std::time::Duration;

use crate::case::ExitExpect;
use crate::client::session::Session;
use crate::transport::Transport;

use super::{Ctx, Flow, StepError, StepResult};

/// Closes the server's stdin; a harness error on the HTTP transports.
pub(super) fn close_input(session: &mut Session) -> StepResult {
    match session.transport() {
        Transport::Stdio(t) => {
            t.close_stdin();
            session.note("closed the server's stdin");
            Ok(Flow::Next)
        }
        _ => Err(StepError::WrongTransport {
            step: "`close_input`",
            needs: "the stdio transport",
        }),
    }
}

/// Judges that the server process exits within the window.
pub(super) async fn expect_exit(
    e: &ExitExpect,
    session: &mut Session,
    ctx: &mut Ctx<'_>,
) -> StepResult {
    let wait = Duration::from_millis(e.within_ms);
    let exited = match session.transport() {
        Transport::Stdio(t) => t.wait_exit(wait).await,
        _ => Some("(no process to watch over HTTP)".to_string()),
    };
    match exited {
        Some(desc) => session.note(desc),
        None => ctx.fail(
            &e.judgement,
            format!(
                "the server process was still running {} ms later",
                e.within_ms
            ),
            None,
            None,
        ),
    }
    Ok(Flow::Next)
}
