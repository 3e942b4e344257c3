//! Legal answers that the negotiation and completion cases must accept, and broken ones
//! they must still refuse, judged with the matchers of the bundled case files: the
//! `-32602 "Unsupported protocol version"` error of a server that does not speak the
//! requested revision (LIFE-04), and an error for a prompt argument the server cannot
//! complete (COMP-02: only a result is judged).

use std::path::PathBuf;

use libtest_mimic::Trial;
use mcp_conform::check::matcher::{check, Matcher, Vars};
use serde_json::{json, Value};

pub fn trials() -> Vec<Trial> {
    tests![
        a_server_of_one_revision_may_answer_the_unsupported_version_error,
        an_argument_the_server_cannot_complete_may_get_an_error,
    ]
}

fn matcher(rel: &str, pointer: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../cases")
        .join(rel);
    let text = std::fs::read_to_string(&path).expect("the case file");
    let doc: Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    doc.pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("{rel} has no matcher at {pointer}"))
}

fn holds(m: &Value, answer: &Value, vars: &Vars) -> bool {
    check(&parsed(m.clone()), Some(answer), vars).is_empty()
}

fn a_server_of_one_revision_may_answer_the_unsupported_version_error() {
    let mut vars = Vars::new();
    vars.insert("supported_revisions".into(), json!(["2025-11-25"]));
    for rev in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let m = matcher(
            &format!("negotiation/request-{rev}.yaml"),
            "/steps/1/expect/match",
        );
        let error = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602,
            "message": "Unsupported protocol version",
            "data": {"supported": ["2025-11-25"], "requested": rev}}});
        assert!(holds(&m, &error, &vars), "{rev}: the error form");
        let counter =
            json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}});
        assert!(holds(&m, &counter, &vars), "{rev}: a counter-offer");
        // A counter-offer of a revision the server does not speak stays broken.
        let shifted =
            json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2099-01-01"}});
        assert!(
            !holds(&m, &shifted, &vars),
            "{rev}: an unspoken counter-offer"
        );
        let other = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "x"}});
        assert!(!holds(&m, &other, &vars), "{rev}: another error");
    }
}

fn an_argument_the_server_cannot_complete_may_get_an_error() {
    let m = matcher(
        "completion/prompt-argument.yaml",
        "/steps/1/for_each/steps/1/expect/match",
    );
    let vars = Vars::new();
    let error = json!({"jsonrpc": "2.0", "id": "complete-0", "error": {"code": -32602,
        "message": "cannot complete this argument"}});
    assert!(holds(&m, &error, &vars));
    let ok =
        json!({"jsonrpc": "2.0", "id": "complete-0", "result": {"completion": {"values": ["a"]}}});
    assert!(holds(&m, &ok, &vars));
    let values: Vec<String> = (0..101).map(|i| format!("v{i}")).collect();
    let too_many =
        json!({"jsonrpc": "2.0", "id": "complete-0", "result": {"completion": {"values": values}}});
    assert!(!holds(&m, &too_many, &vars));
}

fn parsed(m: Value) -> Matcher {
    Matcher::parse(m).expect("the case's matcher parses")
}
