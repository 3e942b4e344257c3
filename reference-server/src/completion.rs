//! `completion/complete` (from 2025-03-26).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::core::Session;
use crate::faults::Fault;
use crate::jsonrpc::RpcError;
use crate::prompts;
use crate::resources::ITEM_TEMPLATE;
use crate::variants::Variant;

const NAMES: &[&str] = &["Alice", "Alan", "Bob", "Carol"];
const STYLES: &[&str] = &["casual", "formal", "friendly"];
const ITEM_IDS: &[&str] = &["1", "2", "3"];

fn bad(msg: &str) -> RpcError {
    RpcError::invalid_params(format!("Invalid params: {msg}"))
}

/// Candidates starting with `prefix` (case-insensitive), in list order.
pub fn filter(candidates: &[&str], prefix: &str) -> Vec<String> {
    let prefix = prefix.to_lowercase();
    candidates
        .iter()
        .filter(|c| c.to_lowercase().starts_with(&prefix))
        .map(|c| c.to_string())
        .collect()
}

/// The candidates of an argument the server has no completions for: none, or with the
/// `completion-error` variant an error (the spec leaves the answer to the server).
fn cannot_complete(session: &Session, arg_name: &str) -> Result<&'static [&'static str], RpcError> {
    if session.config.variants.has(Variant::CompletionError) {
        return Err(bad(&format!(
            "no completions are available for argument {arg_name:?}"
        )));
    }
    Ok(&[])
}

/// `completion/complete`.
pub fn complete(session: &Arc<Session>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let reference = params
        .get("ref")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("\"ref\" must be an object"))?;
    let argument = params
        .get("argument")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("\"argument\" must be an object"))?;
    let arg_name = argument
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("\"argument.name\" must be a string"))?;
    let arg_value = argument
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("\"argument.value\" must be a string"))?;
    let candidates: &[&str] = match reference.get("type").and_then(Value::as_str) {
        Some("ref/prompt") => {
            let name = reference
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("\"ref.name\" must be a string"))?;
            if !prompts::exists(session, name) {
                if session.faults().has(Fault::CompletionUnknownPromptEmpty) {
                    return Ok(json!({"completion": {"values": []}}));
                }
                return Err(bad(&format!("unknown prompt {name:?}")));
            }
            match (name, arg_name) {
                ("greet", "name") => NAMES,
                ("greet", "style") => STYLES,
                _ => cannot_complete(session, arg_name)?,
            }
        }
        Some("ref/resource") => {
            let uri = reference
                .get("uri")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("\"ref.uri\" must be a string"))?;
            if uri != ITEM_TEMPLATE {
                return Err(bad(&format!("unknown resource template {uri:?}")));
            }
            if arg_name == "id" {
                ITEM_IDS
            } else {
                cannot_complete(session, arg_name)?
            }
        }
        _ => {
            return Err(bad(
                "\"ref.type\" must be \"ref/prompt\" or \"ref/resource\"",
            ))
        }
    };
    let mut values = filter(candidates, arg_value);
    if session.faults().has(Fault::CompletionTooMany) {
        values = (0..150).map(|i| format!("value-{i}")).collect();
    }
    Ok(json!({
        "completion": {"values": values, "total": values.len(), "hasMore": false}
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_filtering() {
        assert_eq!(filter(NAMES, "Al"), vec!["Alice", "Alan"]);
        assert_eq!(filter(NAMES, "al"), vec!["Alice", "Alan"]);
        assert_eq!(filter(NAMES, ""), NAMES.to_vec());
        assert!(filter(NAMES, "Z").is_empty());
        assert_eq!(filter(ITEM_IDS, "2"), vec!["2"]);
    }
}
