//! Legal chatter (variants `server-pings`, `unsolicited-logs`, `chatty-stderr`): traffic a
//! correct server may send at any time besides the answers a client asked for. A client,
//! and a conformance suite, must take it in its stride.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::json;

use crate::core::{Phase, Session};
use crate::logging::LogLevel;
use crate::variants::Variant;

/// How often the `server-pings` variant pings its client.
const PING_EVERY: Duration = Duration::from_millis(150);

/// Right after the `initialize` response: with `early-ping`, one ping to the client,
/// before `notifications/initialized` has arrived. Until then a server should send no
/// requests "other than pings and logging" (lifecycle page, every session-era revision).
///
/// With `early-log`, a log message at level info at the same moment: logging is the
/// other traffic that sentence allows (the server declares `logging`, and before any
/// `logging/setLevel` it chooses what to send).
pub fn after_initialize_answered(session: &Session) {
    if session.config.variants.has(Variant::EarlyPing) {
        session.send_request_detached("ping", None);
    }
    if session.config.variants.has(Variant::EarlyLog) {
        session.log(LogLevel::Info, json!("initialize answered"));
    }
}

/// After `notifications/initialized`: with `server-pings`, ping the client every
/// [`PING_EVERY`] for as long as the session lives. Either party may send a ping, and
/// the client answers it (ping page, session era).
pub fn after_initialized(session: &Arc<Session>) {
    if !session.config.variants.has(Variant::ServerPings) {
        return;
    }
    let weak: Weak<Session> = Arc::downgrade(session);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(PING_EVERY).await;
            let Some(session) = weak.upgrade() else {
                return;
            };
            if session.is_closed() {
                return;
            }
            session.send_request_detached("ping", None);
        }
    });
}

/// Before serving a request of an initialized session: with `unsolicited-logs`, a log
/// message at level info (sent only when the level the client set lets it through).
pub fn before_request(session: &Session, method: &str, phase: Phase) {
    if session.config.variants.has(Variant::UnsolicitedLogs) && phase == Phase::Operating {
        session.log(LogLevel::Info, json!(format!("serving {method}")));
    }
}

/// With `chatty-stderr`: a line on stderr for every message received (the first few
/// hundred bytes of it); the server may log anything to stderr (stdio transport).
pub fn on_input(session: &Session, text: &str) {
    if session.config.variants.has(Variant::ChattyStderr) {
        let head: String = text.chars().take(200).collect();
        eprintln!(
            "mcp-reference-server: received {} bytes: {head}",
            text.len()
        );
    }
}

/// With `chatty-stderr`: a burst of lines on stderr at startup, some not ending in a
/// newline until much later, and some non-ASCII text.
pub fn at_startup(variants: &crate::variants::Variants) {
    if variants.has(Variant::ChattyStderr) {
        for i in 0..300 {
            eprintln!("mcp-reference-server: warming up, step {i} of 300 — ünïcödé ✓");
        }
    }
}
