//! `auth.metadata-2025-03-26` judged on the exchanges of a 2025-03-26 server without
//! authorization-server metadata: the fallback /authorize and /token are what the MUST
//! asks for; /register belongs to Dynamic Client Registration, a SHOULD, so its absence
//! is a warning and never a failure (AUTH-08 as corrected).

use std::path::Path;

use libtest_mimic::Trial;
use mcp_conform::check::matcher::{check, Matcher, Vars};
use serde_json::{json, Value};

pub fn trials() -> Vec<Trial> {
    tests![fallback_endpoints_without_register_only_warn,]
}

/// The case's `expect_http` steps as (severity override, matcher).
fn expectations() -> Vec<(Option<String>, Value)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases/auth/metadata-2025-03-26.yaml");
    let text = std::fs::read_to_string(&path).expect("the case file");
    let case: Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    case["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s.get("expect_http"))
        .map(|e| {
            (
                e.get("severity")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                e["match"].clone(),
            )
        })
        .collect()
}

fn exchanges(statuses: [(&str, u16); 4]) -> Value {
    let list: Vec<Value> = statuses
        .iter()
        .map(
            |(path, status)| json!({"url": format!("http://127.0.0.1:9/{path}"), "status": status}),
        )
        .collect();
    json!({"exchanges": list})
}

/// The severities of the expectations that do not hold.
fn broken(doc: &Value) -> Vec<String> {
    expectations()
        .into_iter()
        .filter(|(_, m)| !check(&parsed(m.clone()), Some(doc), &Vars::new()).is_empty())
        .map(|(s, _)| s.unwrap_or_else(|| "must".into()))
        .collect()
}

fn fallback_endpoints_without_register_only_warn() {
    let no_register = exchanges([
        (".well-known/oauth-authorization-server", 404),
        ("authorize", 400),
        ("token", 405),
        ("register", 404),
    ]);
    assert_eq!(broken(&no_register), vec!["should".to_string()]);
    let with_register = exchanges([
        (".well-known/oauth-authorization-server", 404),
        ("authorize", 400),
        ("token", 405),
        ("register", 405),
    ]);
    assert!(broken(&with_register).is_empty());
    let nothing = exchanges([
        (".well-known/oauth-authorization-server", 404),
        ("authorize", 404),
        ("token", 404),
        ("register", 404),
    ]);
    assert!(broken(&nothing).contains(&"must".to_string()));
}

fn parsed(m: Value) -> Matcher {
    Matcher::parse(m).expect("the case's matcher parses")
}
