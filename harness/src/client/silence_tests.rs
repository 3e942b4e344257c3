//! `Session::silence`: a window about answers ends on a barrier request, yet still
//! sees an answer the server writes before the barrier's, or a little after it.
//! The servers are small Python scripts on stdio.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::session::Session;
use crate::case::MessageKind;
use crate::outcome::Direction;
use crate::transport::stdio::Launch;
use crate::transport::{Limits, Transport};

/// A stdio server: for every line read, `on_line(msg)` in Python decides what to write.
/// `msg` is the parsed message; `out(obj)` writes one message.
fn server(on_line: &str) -> Session {
    let script = format!(
        "import sys, json, time\n\
         def out(o):\n    sys.stdout.write(json.dumps(o) + '\\n'); sys.stdout.flush()\n\
         for line in sys.stdin:\n    msg = json.loads(line)\n{on_line}\n"
    );
    let launch = Launch {
        program: "python3".into(),
        args: vec!["-c".into(), script],
        env: Vec::new(),
        cwd: None,
    };
    let transport = Transport::stdio(&launch, Limits::default()).expect("python3 starts");
    Session::new(transport, json!({}))
}

/// Sends a notification, then watches for answers for `window`; returns what the
/// silence found, how long it took, and the transcript.
fn watch(on_line: &str, window: Duration, barrier: bool) -> (Vec<Value>, Duration, Vec<Value>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut session = server(on_line);
        let subject = json!({"jsonrpc": "2.0", "method": "notifications/unknown"});
        session.send(&subject).await.expect("sent");
        let started = Instant::now();
        let found = session
            .silence(MessageKind::Response, started + window, barrier)
            .await;
        let took = started.elapsed();
        // Nothing of the barrier is left for a later step.
        let later = session
            .collect_until(MessageKind::Any, Instant::now(), true, &|_: &[Value]| false)
            .await;
        assert!(later.is_empty(), "left queued: {later:?}");
        let (transcript, _, _) = session.finish().await;
        let bodies = transcript
            .into_iter()
            .filter(|t| t.direction != Direction::Event)
            .map(|t| t.body.value())
            .collect();
        (found, took, bodies)
    })
}

const PING_ANSWER: &str = "    if msg.get('method') == 'ping':\n        out({'jsonrpc': '2.0', 'id': msg['id'], 'result': {}})";
const WINDOW: Duration = Duration::from_secs(20);

#[test]
fn a_quiet_server_ends_the_window_at_its_barrier_answer() {
    let (found, took, transcript) = watch(PING_ANSWER, WINDOW, true);
    assert!(found.is_empty(), "{found:?}");
    // Ended on the barrier, not the 20 s window (a generous bound: any early end shows it).
    assert!(took < WINDOW / 2, "took {took:?}");
    let ping = transcript
        .iter()
        .find(|m| m["method"] == "ping")
        .expect("a barrier ping was sent");
    let answered = transcript
        .iter()
        .any(|m| m["id"] == ping["id"] && m.get("result").is_some());
    assert!(
        answered,
        "the barrier's answer is kept in the transcript: {transcript:?}"
    );
}

#[test]
fn an_answer_written_before_the_barrier_answer_is_found() {
    let on_line = format!(
        "    if msg.get('method') == 'notifications/unknown':\n        out({{'jsonrpc': '2.0', 'id': None, 'error': {{'code': -32601, 'message': 'no'}}}})\n{PING_ANSWER}"
    );
    let (found, _, _) = watch(&on_line, WINDOW, true);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].get("error").is_some(), "{found:?}");
}

#[test]
fn an_answer_written_just_after_the_barrier_answer_is_found() {
    // An asynchronous handler: the subject's answer follows the barrier's by 40 ms.
    let on_line = format!(
        "{PING_ANSWER}\n        time.sleep(0.04)\n        out({{'jsonrpc': '2.0', 'id': 7, 'result': {{}}}})"
    );
    let (found, _, _) = watch(&on_line, WINDOW, true);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], 7);
}

#[test]
fn without_a_barrier_answer_the_whole_window_is_watched() {
    let window = Duration::from_millis(600);
    let on_line = "    if msg.get('method') == 'ping':\n        time.sleep(0.3)\n        out({'jsonrpc': '2.0', 'id': 9, 'result': {}})";
    let (found, took, _) = watch(on_line, window, true);
    assert!(took >= window, "took {took:?}");
    assert_eq!(
        found.len(),
        1,
        "an answer to nothing the harness sent is found: {found:?}"
    );
}

#[test]
fn no_barrier_is_sent_when_none_is_asked_for() {
    let (found, took, transcript) = watch(PING_ANSWER, Duration::from_millis(300), false);
    assert!(found.is_empty());
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert!(
        transcript.iter().all(|m| m["method"] != "ping"),
        "{transcript:?}"
    );
}
