//! The stdio transport: newline-delimited JSON on stdin/stdout.
//!
//! The reader feeds each line to the session core; a single writer task
//! drains the session's output channel, writing one compact message per
//! line and flushing after each. Nothing but MCP messages goes to stdout
//! (unless the `banner-on-stdout` fault is active); logs go to stderr.

use std::io::Write as _;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::core::{Config, Control, Outgoing, Session};
use crate::faults::Fault;

/// Lines longer than this are rejected with a parse error, unread.
pub const MAX_LINE: usize = 4 * 1024 * 1024;

/// How output is encoded on stdout.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputStyle {
    pub pretty: bool,
    pub latin1: bool,
}

impl OutputStyle {
    /// Encodes one message as the bytes of its line (newline included).
    pub fn encode(self, msg: &serde_json::Value) -> Vec<u8> {
        let text = if self.pretty {
            serde_json::to_string_pretty(msg)
        } else {
            serde_json::to_string(msg)
        }
        .unwrap_or_else(|_| String::from("null"));
        let mut bytes: Vec<u8> = if self.latin1 {
            text.chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect()
        } else {
            text.into_bytes()
        };
        bytes.push(b'\n');
        bytes
    }
}

/// One line read from the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Text(Vec<u8>),
    TooLong,
    Eof,
}

/// Reads one newline-terminated line of at most `max` bytes (without the
/// newline); longer lines are skipped to their end and reported as `TooLong`.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => Line::Eof,
                (true, true) => Line::TooLong,
                (true, false) => Line::Text(buf),
            });
        }
        any = true;
        let (part, used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(pos) => (&chunk[..pos], pos + 1, true),
            None => (chunk, chunk.len(), false),
        };
        if !too_long {
            if buf.len() + part.len() > max {
                too_long = true;
                buf = Vec::new();
            } else {
                buf.extend_from_slice(part);
            }
        }
        reader.consume(used);
        if done {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Text(buf)
            });
        }
    }
}

async fn writer(mut rx: mpsc::UnboundedReceiver<Outgoing>, style: OutputStyle) {
    let mut out = tokio::io::stdout();
    let mut broken = false;
    while let Some(item) = rx.recv().await {
        match item {
            Outgoing::Message(msg) => {
                if broken {
                    continue;
                }
                let bytes = style.encode(&msg);
                let res = async {
                    out.write_all(&bytes).await?;
                    out.flush().await
                }
                .await;
                if let Err(e) = res {
                    eprintln!("mcp-reference-server: stdout write failed: {e}");
                    broken = true;
                }
            }
            Outgoing::Flush(ack) => {
                let _ = ack.send(());
            }
        }
    }
}

/// Serves one session over stdin/stdout; returns the process exit code.
pub async fn run(config: Config) -> i32 {
    let faults = config.faults.clone();
    if faults.has(Fault::BannerOnStdout) {
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(b"mcp-reference-server ready\n");
        let _ = stdout.flush();
    }
    let style = OutputStyle {
        pretty: faults.has(Fault::PrettyPrint),
        latin1: faults.has(Fault::Latin1Output),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(writer(rx, style));
    let session = Session::new(config, tx);
    let mut reader = BufReader::new(tokio::io::stdin());
    loop {
        let control = match read_line(&mut reader, MAX_LINE).await {
            Ok(Line::Text(bytes)) => match std::str::from_utf8(&bytes) {
                Ok(text) => {
                    let text = text.trim_end_matches('\r');
                    if text.trim().is_empty() {
                        continue;
                    }
                    session.handle_text(text)
                }
                Err(_) => session.parse_error("input is not valid UTF-8"),
            },
            Ok(Line::TooLong) => {
                session.parse_error(&format!("message longer than {MAX_LINE} bytes"))
            }
            Ok(Line::Eof) => break,
            Err(e) => {
                eprintln!("mcp-reference-server: stdin read failed: {e}");
                break;
            }
        };
        if let Control::Exit(code) = control {
            session.flush().await;
            eprintln!("mcp-reference-server: exiting with code {code}");
            return code;
        }
    }
    if faults.has(Fault::IgnoreEof) {
        eprintln!("mcp-reference-server: stdin closed; ignoring EOF (fault ignore-eof)");
        std::future::pending::<()>().await;
    }
    session.flush().await;
    eprintln!("mcp-reference-server: stdin closed, exiting");
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn reads_lines_and_skips_oversized_ones() {
        let input: &[u8] = b"abc\r\n0123456789\nxy\n\nlast";
        let mut r = BufReader::with_capacity(4, input);
        assert_eq!(
            read_line(&mut r, 8).await.ok(),
            Some(Line::Text(b"abc\r".to_vec()))
        );
        assert_eq!(read_line(&mut r, 8).await.ok(), Some(Line::TooLong));
        assert_eq!(
            read_line(&mut r, 8).await.ok(),
            Some(Line::Text(b"xy".to_vec()))
        );
        assert_eq!(
            read_line(&mut r, 8).await.ok(),
            Some(Line::Text(Vec::new()))
        );
        assert_eq!(
            read_line(&mut r, 8).await.ok(),
            Some(Line::Text(b"last".to_vec()))
        );
        assert_eq!(read_line(&mut r, 8).await.ok(), Some(Line::Eof));
    }

    #[test]
    fn output_styles() {
        let msg = json!({"a": "é✓"});
        assert_eq!(
            OutputStyle::default().encode(&msg),
            "{\"a\":\"é✓\"}\n".as_bytes()
        );
        let latin1 = OutputStyle {
            pretty: false,
            latin1: true,
        }
        .encode(&msg);
        assert_eq!(latin1, b"{\"a\":\"\xe9?\"}\n");
        assert!(std::str::from_utf8(&latin1).is_err());
        let pretty = OutputStyle {
            pretty: true,
            latin1: false,
        }
        .encode(&msg);
        assert!(pretty.iter().filter(|&&b| b == b'\n').count() > 1);
    }
}
