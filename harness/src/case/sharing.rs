//! Which cases may run on a server process that earlier cases used (one after
//! another, never at once), and the request ids a case sends.
//!
//! A case shares only when nothing it does can change what a later case sees, nor be
//! changed by what an earlier case left behind: it starts from an initialized session,
//! sends only requests (no notifications, no raw text) to methods that change no server
//! state, waits only for answers by id, and uses no transport-level step. Anything else
//! (lifecycle, stdin close, tool calls, subscriptions, log levels, silence windows,
//! waits for notifications, HTTP exchanges) gets its own process, as does a case that
//! says `fresh: true`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Case, Given, OnTimeout, Step};

/// Methods whose requests may change what the server later says or sends: a case
/// that sends one runs on its own process.
const STATEFUL_METHODS: &[&str] = &[
    "initialize",
    "tools/call",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
    "subscriptions/listen",
    "sampling/createMessage",
    "elicitation/create",
];

impl Case {
    /// Whether the case may run on a server process (or HTTP session) that earlier
    /// cases used: see the module doc.
    pub fn shares_server(&self) -> bool {
        self.fresh != Some(true) && self.given == Given::Initialized && steps_share(&self.steps)
    }

    /// The request ids the case's `send` steps use, as written (JSON text; an id with
    /// `${…}` stands for every id it may become). Two cases whose sets meet never run
    /// on the same server process, so no id is used twice in one session.
    pub fn request_ids(&self) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        collect_ids(&self.steps, &mut ids);
        ids
    }
}

fn steps_share(steps: &[Step]) -> bool {
    steps.iter().all(|step| match step {
        Step::Check(_) | Step::SkipUnless(_) | Step::Derive(_) | Step::Paginate(_) => true,
        Step::ForEach(f) => steps_share(&f.steps),
        Step::Send(msg) => sends_share(msg),
        // An answer found by its id cannot be one an earlier case caused; a step that
        // cancels on timeout leaves a request running into the next case.
        Step::Expect(e) => e.id.is_some() && e.on_timeout == OnTimeout::Fail,
        _ => false,
    })
}

/// A message (or batch) of requests with ids, to methods named literally and not
/// among [`STATEFUL_METHODS`].
fn sends_share(msg: &Value) -> bool {
    let items: Vec<&Value> = match msg {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    !items.is_empty()
        && items.iter().all(|m| {
            let has_id = m.get("id").is_some();
            let method = m.get("method").and_then(Value::as_str);
            has_id
                && method
                    .is_some_and(|name| !name.contains("${") && !STATEFUL_METHODS.contains(&name))
        })
}

fn collect_ids(steps: &[Step], ids: &mut BTreeSet<String>) {
    for step in steps {
        match step {
            Step::Send(Value::Array(items)) => {
                for m in items {
                    if let Some(id) = m.get("id") {
                        ids.insert(id.to_string());
                    }
                }
            }
            Step::Send(m) => {
                if let Some(id) = m.get("id") {
                    ids.insert(id.to_string());
                }
            }
            Step::ForEach(f) => collect_ids(&f.steps, ids),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::case::load::parse;

    fn case(steps: &str, extra: &str) -> crate::case::Case {
        let text = format!(
            "id: t.x\ntitle: t\nrequirements: [PING-01]\nseverity: must\n{extra}steps:\n{steps}"
        );
        parse("t/x.yaml", &text).expect("a valid case")
    }

    #[test]
    fn read_only_requests_answered_by_id_share() {
        let c = case(
            "  - send: {jsonrpc: \"2.0\", id: 1, method: ping}\n  - expect: {id: 1}\n  - paginate: {method: tools/list, key: tools, into: tools}\n",
            "",
        );
        assert!(c.shares_server());
        assert_eq!(c.request_ids().into_iter().collect::<Vec<_>>(), ["1"]);
    }

    #[test]
    fn anything_that_changes_or_watches_the_server_does_not() {
        let cases = [
            ("  - send: {jsonrpc: \"2.0\", id: 1, method: tools/call, params: {name: x}}\n  - expect: {id: 1}\n", ""),
            ("  - send: {jsonrpc: \"2.0\", method: notifications/x}\n", ""),
            ("  - send: {jsonrpc: \"2.0\", id: 1, method: ping}\n  - expect: {kind: notification}\n", ""),
            ("  - send: {jsonrpc: \"2.0\", id: 1, method: ping}\n  - expect_silence: {within_ms: 10}\n", ""),
            ("  - send_raw: \"{\"\n", ""),
            ("  - send: {jsonrpc: \"2.0\", id: 1, method: \"${m}\"}\n", ""),
            ("  - send: {jsonrpc: \"2.0\", id: 1, method: ping}\n", "fresh: true\n"),
            ("  - send: {jsonrpc: \"2.0\", id: 1, method: ping}\n", "given: fresh\n"),
            ("  - for_each: {in: xs, as: x, steps: [{send: {jsonrpc: \"2.0\", id: 1, method: logging/setLevel}}]}\n", ""),
        ];
        for (steps, extra) in cases {
            assert!(!case(steps, extra).shares_server(), "{extra}{steps}");
        }
    }
}
