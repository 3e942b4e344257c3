//! The prompts feature: `prompts/list` and `prompts/get`.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::core::Session;
use crate::faults::Fault;
use crate::jsonrpc::RpcError;
use crate::pagination::paginate_for;
use crate::version::Revision;

/// One prompt argument: (name, description, required).
type ArgDef = (&'static str, &'static str, bool);

struct PromptDef {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    arguments: &'static [ArgDef],
}

const GREET_ARGS: &[ArgDef] = &[
    ("name", "Who to greet", true),
    ("style", "Greeting style, e.g. formal or casual", false),
];
const SUMMARIZE_ARGS: &[ArgDef] = &[("text", "The text to summarize", true)];

fn catalog(extra: bool) -> Vec<PromptDef> {
    let mut list = vec![
        PromptDef {
            name: "greet",
            title: "Greet",
            description: "Asks for a greeting for someone.",
            arguments: GREET_ARGS,
        },
        PromptDef {
            name: "summarize",
            title: "Summarize",
            description: "Asks for a summary of a text.",
            arguments: SUMMARIZE_ARGS,
        },
        PromptDef {
            name: "plain",
            title: "Plain",
            description: "A prompt without arguments.",
            arguments: &[],
        },
    ];
    if extra {
        list.push(PromptDef {
            name: "extra",
            title: "Extra",
            description: "Present only while toggle_extra has enabled it.",
            arguments: &[],
        });
    }
    list
}

/// Whether a prompt of that name currently exists.
pub fn exists(session: &Session, name: &str) -> bool {
    let extra = session.extra_resource_and_prompt();
    catalog(extra).iter().any(|p| p.name == name)
}

fn prompt_json(def: &PromptDef, rev: Revision, required_as_text: bool) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(def.name));
    if rev.has_2025_06_features() {
        m.insert("title".into(), json!(def.title));
    }
    m.insert("description".into(), json!(def.description));
    if !def.arguments.is_empty() {
        let args: Vec<Value> = def
            .arguments
            .iter()
            .map(|(name, description, required)| {
                let required = if required_as_text {
                    json!(required.to_string())
                } else {
                    json!(required)
                };
                json!({"name": name, "description": description, "required": required})
            })
            .collect();
        m.insert("arguments".into(), Value::Array(args));
    }
    Value::Object(m)
}

/// `prompts/list`.
pub fn list(session: &Arc<Session>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let rev = session.revision();
    let extra = session.extra_resource_and_prompt();
    let as_text = session.faults().has(Fault::PromptRequiredString);
    let items = catalog(extra)
        .iter()
        .map(|p| prompt_json(p, rev, as_text))
        .collect();
    paginate_for(session, "prompts", items, params)
}

/// `prompts/get`.
pub fn get(session: &Arc<Session>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("Invalid params: a string \"name\" is required"))?;
    let mut args: Map<String, Value> = Map::new();
    match params.get("arguments") {
        None => {}
        Some(Value::Object(a)) => args = a.clone(),
        Some(_) => {
            return Err(RpcError::invalid_params(
                "Invalid params: \"arguments\" must be an object",
            ))
        }
    }
    let mut values: Map<String, Value> = Map::new();
    for (k, v) in args {
        if !v.is_string() {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: argument \"{k}\" must be a string"
            )));
        }
        values.insert(k, v);
    }
    let extra = session.extra_resource_and_prompt();
    let defs = catalog(extra);
    let def = defs.iter().find(|p| p.name == name).ok_or_else(|| {
        if session.faults().has(Fault::UnknownPromptWrongCode) {
            RpcError::method_not_found(&format!("prompts/get {name}"))
        } else {
            RpcError::invalid_params(format!("Unknown prompt: {name}"))
        }
    })?;
    let lenient = session.faults().has(Fault::PromptMissingArgumentOk);
    for (arg, _, required) in def.arguments {
        if *required && !lenient && !values.contains_key(*arg) {
            return Err(RpcError::invalid_params(format!(
                "Missing required argument: {arg}"
            )));
        }
    }
    let arg = |k: &str| values.get(k).and_then(Value::as_str).unwrap_or_default();
    let text = match def.name {
        "greet" => {
            let style = match arg("style") {
                "" => "friendly",
                s => s,
            };
            format!("Please write a {style} greeting for {}.", arg("name"))
        }
        "summarize" => format!("Please summarize the following text:\n\n{}", arg("text")),
        "plain" => "Tell me something interesting about the Model Context Protocol.".into(),
        _ => "This is the extra prompt.".into(),
    };
    let role = if session.faults().has(Fault::PromptBadRole) {
        "system"
    } else {
        "user"
    };
    Ok(json!({
        "description": def.description,
        "messages": [{"role": role, "content": {"type": "text", "text": text}}],
    }))
}
