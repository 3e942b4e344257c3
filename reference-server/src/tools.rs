//! The tools feature: `tools/list` and `tools/call`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::core::{ClientRequestError, Phase, Session};
use crate::faults::Fault;
use crate::jsonrpc::{self, is_valid_id, RpcError};
use crate::logging::LogLevel;
use crate::pagination::paginate_for;
use crate::protocol::Handled;
use crate::schema::validate;
use crate::variants::{Variant, Variants};
use crate::version::Revision;

/// How long `ask_roots` waits for the client's `roots/list` answer.
pub const ROOTS_TIMEOUT: Duration = Duration::from_secs(5);

/// A tool definition.
struct ToolDef {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    input_schema: Value,
    /// Announced from 2025-06-18.
    output_schema: Option<Value>,
    /// Announced from 2025-03-26.
    annotations: Option<Value>,
}

fn no_args() -> Value {
    json!({"type": "object", "properties": {}, "additionalProperties": false})
}

fn catalog(extra: bool, variants: &Variants) -> Vec<ToolDef> {
    let read_only = json!({"readOnlyHint": true});
    let mut tools = vec![
        ToolDef {
            name: "echo",
            title: "Echo",
            description: "Returns the given text unchanged as text content.",
            input_schema: json!({
                "type": "object",
                "properties": {"text": {"type": "string", "description": "Text to echo"}},
                "required": ["text"],
            }),
            output_schema: None,
            annotations: Some(read_only.clone()),
        },
        ToolDef {
            name: "add",
            title: "Add",
            description: "Adds two numbers and returns the sum.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "a": {"type": "number", "description": "First addend"},
                    "b": {"type": "number", "description": "Second addend"},
                },
                "required": ["a", "b"],
            }),
            output_schema: Some(json!({
                "type": "object",
                "properties": {"sum": {"type": "number"}},
                "required": ["sum"],
            })),
            annotations: Some(read_only.clone()),
        },
        ToolDef {
            name: "slow",
            title: "Slow",
            description: "Works for steps x delay_ms milliseconds, reporting progress after \
                          each step; cancellable with notifications/cancelled.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "steps": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
                    "delay_ms": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 50},
                },
            }),
            output_schema: None,
            annotations: None,
        },
        ToolDef {
            name: "fail",
            title: "Fail",
            description: "Always fails with a tool error (isError: true).",
            input_schema: no_args(),
            output_schema: None,
            annotations: None,
        },
        ToolDef {
            name: "log",
            title: "Log",
            description: "Emits a notifications/message at the given level if it passes the \
                          level set with logging/setLevel (default: info).",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "level": {"type": "string", "enum": LogLevel::ALL.map(LogLevel::as_str)},
                    "message": {"type": "string"},
                },
                "required": ["level", "message"],
            }),
            output_schema: None,
            annotations: None,
        },
        ToolDef {
            name: "touch",
            title: "Touch",
            description: "Marks a resource as changed: sends notifications/resources/updated \
                          if the uri is subscribed.",
            input_schema: json!({
                "type": "object",
                "properties": {"uri": {"type": "string"}},
                "required": ["uri"],
            }),
            output_schema: None,
            annotations: None,
        },
        ToolDef {
            name: "toggle_extra",
            title: "Toggle extra",
            description: "Adds or removes the extra tool, resource and prompt and sends the \
                          list_changed notifications.",
            input_schema: no_args(),
            output_schema: None,
            annotations: Some(json!({"destructiveHint": false, "idempotentHint": false})),
        },
        ToolDef {
            name: "greeting",
            title: "Greeting",
            description: "Returns the ref://text/hello resource embedded in its result.",
            input_schema: no_args(),
            output_schema: None,
            annotations: Some(read_only.clone()),
        },
        ToolDef {
            name: "ask_roots",
            title: "Ask roots",
            description: "Sends roots/list to the client and returns the roots' URIs.",
            input_schema: no_args(),
            output_schema: None,
            annotations: None,
        },
    ];
    tools.extend(variant_tools(variants));
    if extra {
        tools.push(ToolDef {
            name: "extra",
            title: "Extra",
            description: "Present only while toggle_extra has enabled it.",
            input_schema: no_args(),
            output_schema: None,
            annotations: None,
        });
    }
    tools
}

/// The tools some legal variants add (each read-only, so the cases call them).
fn variant_tools(variants: &Variants) -> Vec<ToolDef> {
    let read_only = json!({"readOnlyHint": true, "openWorldHint": false});
    let mut tools = Vec::new();
    if variants.has(Variant::MetaInToolData) {
        tools.push(ToolDef {
            name: "label",
            title: "Label",
            description: "Returns the text with the labels given in the argument named _meta.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "_meta": {
                        "type": "object",
                        "description": "Free-form labels (tool data, not protocol metadata)",
                        "additionalProperties": {"type": "string"},
                    },
                },
                "required": ["text"],
            }),
            output_schema: Some(json!({
                "type": "object",
                "properties": {"text": {"type": "string"}, "_meta": {"type": "object"}},
                "required": ["text", "_meta"],
            })),
            annotations: Some(read_only.clone()),
        });
    }
    if variants.has(Variant::ToolRefuses) {
        tools.push(ToolDef {
            name: "read_note",
            title: "Read note",
            description: "Returns a stored note by name; there is only the note \"welcome\".",
            input_schema: json!({
                "type": "object",
                "properties": {"name": {"type": "string", "description": "The note's name"}},
                "required": ["name"],
            }),
            output_schema: Some(json!({
                "type": "object",
                "properties": {"note": {"type": "string"}},
                "required": ["note"],
            })),
            annotations: Some(read_only.clone()),
        });
    }
    if variants.has(Variant::SlowTool) {
        tools.push(ToolDef {
            name: "wait",
            title: "Wait",
            description: "Waits the given number of seconds (30 by default), then answers.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "seconds": {"type": "integer", "minimum": 1, "maximum": 30, "default": 30},
                },
            }),
            output_schema: None,
            annotations: Some(read_only),
        });
    }
    tools
}

/// The file tools, present with `--root` (served by `files.rs`); with the
/// `traversal-write` fault also a careless `write_file`.
fn file_tools(session: &Session) -> Vec<ToolDef> {
    let mut tools: Vec<ToolDef> = crate::files::tool_defs()
        .into_iter()
        .map(|(name, title, description)| ToolDef {
            name,
            title,
            description,
            input_schema: crate::files::input_schema(),
            output_schema: None,
            annotations: Some(json!({"readOnlyHint": true, "openWorldHint": false})),
        })
        .collect();
    if session.faults().has(Fault::TraversalWrite) {
        tools.push(ToolDef {
            name: "write_file",
            title: "Write file",
            description: "Writes text to a file under the server's root folder.",
            input_schema: json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "Path relative to the root folder"},
                "content": {"type": "string"}}, "required": ["path", "content"]}),
            output_schema: None,
            annotations: Some(json!({"readOnlyHint": false, "destructiveHint": false,
                "openWorldHint": false})),
        });
    }
    tools
}

fn tool_json(def: &ToolDef, rev: Revision) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(def.name));
    if rev.has_2025_06_features() {
        m.insert("title".into(), json!(def.title));
    }
    m.insert("description".into(), json!(def.description));
    m.insert("inputSchema".into(), def.input_schema.clone());
    if rev.has_2025_06_features() {
        if let Some(out) = &def.output_schema {
            m.insert("outputSchema".into(), out.clone());
        }
    }
    if rev.has_2025_03_features() {
        if let Some(a) = &def.annotations {
            m.insert("annotations".into(), a.clone());
        }
    }
    Value::Object(m)
}

/// `tools/list`.
pub fn list(session: &Arc<Session>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let rev = session.revision();
    let extra = session.state().extra_enabled;
    let faults = session.faults();
    let mut tools: Vec<Value> = catalog(extra, &session.config.variants)
        .iter()
        .map(|t| tool_json(t, rev))
        .collect();
    if session.config.root.is_some() {
        tools.extend(file_tools(session).iter().map(|t| tool_json(t, rev)));
    }
    if faults.has(Fault::ToolsNoInputSchema) {
        if let Some(Value::Object(first)) = tools.first_mut() {
            first.remove("inputSchema");
        }
    }
    if faults.has(Fault::ToolsDuplicateName) {
        let first = tools.first().and_then(|t| t.get("name")).cloned();
        if let (Some(name), Some(last)) = (first, tools.last_mut()) {
            last["name"] = name;
        }
    }
    if faults.has(Fault::MetaKeyInvalid) {
        if let Some(Value::Object(first)) = tools.first_mut() {
            first.insert("_meta".into(), json!({"not a key!": true}));
        }
    }
    for t in tools.iter_mut() {
        if faults.has(Fault::ToolsBadAnnotation) {
            if let Some(a) = t.get_mut("annotations").and_then(Value::as_object_mut) {
                a.insert("readOnlyHint".into(), json!("yes"));
            }
        }
        if faults.has(Fault::InputSchemaInvalid) && t["name"] == "echo" {
            t["inputSchema"]["properties"]["text"]["type"] = json!("text");
        }
    }
    paginate_for(session, "tools", tools, params)
}

/// A successful tool result with one text block.
pub fn text_result(text: impl Into<String>) -> Value {
    json!({"content": [{"type": "text", "text": text.into()}]})
}

/// A tool-level error result (`isError: true`).
pub fn error_result(text: impl Into<String>) -> Value {
    json!({"content": [{"type": "text", "text": text.into()}], "isError": true})
}

fn int_arg(args: &Map<String, Value>, key: &str, default: u64) -> u64 {
    args.get(key)
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)))
        .unwrap_or(default)
}

fn str_arg<'a>(args: &'a Map<String, Value>, key: &str) -> &'a str {
    args.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Why the arguments of a call to one of the catalogue's tools are refused, if they
/// are: not an object (-32602), or not valid for the tool's inputSchema (a tool error).
/// For the tools the stateless era serves on its own path.
pub fn refuse_arguments(session: &Arc<Session>, params: &Map<String, Value>) -> Option<Handled> {
    let name = params.get("name").and_then(Value::as_str)?;
    let args = match params.get("arguments") {
        None => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => {
            let code = if session.faults().has(Fault::InvalidParamsInternalError) {
                jsonrpc::INTERNAL_ERROR
            } else {
                jsonrpc::INVALID_PARAMS
            };
            let msg = "Invalid params: \"arguments\" must be an object";
            return Some(Handled::Error(RpcError::new(code, msg)));
        }
    };
    let tools = catalog(session.state().extra_enabled, &session.config.variants);
    let def = tools.iter().find(|t| t.name == name)?;
    if session.faults().has(Fault::ToolArgsUnchecked) {
        return None;
    }
    validate(&def.input_schema, &args).err().map(|msg| {
        Handled::Result(error_result(format!(
            "Invalid arguments for tool {name}: {msg}"
        )))
    })
}

/// `tools/call`.
pub fn call(session: &Arc<Session>, params: &Map<String, Value>) -> Handled {
    let bad_params = |msg: &str| {
        let code = if session.faults().has(Fault::InvalidParamsInternalError) {
            jsonrpc::INTERNAL_ERROR
        } else {
            jsonrpc::INVALID_PARAMS
        };
        Handled::Error(RpcError::new(code, format!("Invalid params: {msg}")))
    };
    if session.faults().has(Fault::FuzzHangWithoutArguments) && !params.contains_key("arguments") {
        return Handled::Async(Box::pin(std::future::pending()));
    }
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return bad_params("tools/call requires a string \"name\"");
    };
    let args = match params.get("arguments") {
        None => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => return bad_params("\"arguments\" must be an object"),
    };
    let extra = session.state().extra_enabled;
    let mut tools = catalog(extra, &session.config.variants);
    if let Some(root) = session.config.root.clone() {
        if file_tools(session).iter().any(|t| t.name == name) {
            if !args.get("path").is_some_and(Value::is_string) {
                return Handled::Result(error_result(format!(
                    "Invalid arguments for tool {name}: a string \"path\" is required"
                )));
            }
            let path = crate::files::path_arg(&args).to_string();
            if name == "write_file" {
                let content = str_arg(&args, "content").to_string();
                return Handled::Result(crate::files::write_careless(&root, &path, &content));
            }
            return Handled::Result(crate::files::call_tool(session, &root, name, &path));
        }
        tools.extend(file_tools(session));
    }
    let Some(def) = tools.iter().find(|t| t.name == name) else {
        if session.faults().has(Fault::UnknownToolIsErrorResult) {
            return Handled::Result(error_result(format!("Unknown tool: {name}")));
        }
        return Handled::Error(RpcError::invalid_params(format!("Unknown tool: {name}")));
    };
    if let Some(handled) = fuzz_fault(session, def, &args) {
        return handled;
    }
    let checked = !session.faults().has(Fault::ToolArgsUnchecked);
    if let Err(msg) = validate(&def.input_schema, &args).or_else(|e| match checked {
        true => Err(e),
        false => Ok(()),
    }) {
        return Handled::Result(error_result(format!(
            "Invalid arguments for tool {name}: {msg}"
        )));
    }
    let rev = session.revision();
    let handled = serve(session, name, params, &args, rev);
    if session.faults().has(Fault::ToolContentBadType) {
        if let Handled::Result(mut v) = handled {
            if let Some(blocks) = v.get_mut("content").and_then(Value::as_array_mut) {
                for b in blocks {
                    b["type"] = json!("txt");
                }
            }
            return Handled::Result(v);
        }
    }
    handled
}

fn serve(
    session: &Arc<Session>,
    name: &str,
    params: &Map<String, Value>,
    args: &Map<String, Value>,
    rev: Revision,
) -> Handled {
    let args = args.clone();
    match name {
        "echo" => Handled::Result(text_result(str_arg(&args, "text"))),
        "add" => {
            let mut r = add(
                &args,
                rev,
                session.faults().has(Fault::FuzzViolateOutputSchema),
            );
            if session.faults().has(Fault::StructuredContentMismatch) {
                if let Some(sum) = r.pointer("/structuredContent/sum").cloned() {
                    r["structuredContent"] = json!({"total": sum});
                }
            }
            Handled::Result(r)
        }
        "slow" => slow(session, params, &args),
        "fail" => Handled::Result(error_result(
            "The fail tool always fails: this is a deliberate tool error.",
        )),
        "log" => {
            let level = LogLevel::parse(str_arg(&args, "level"));
            // Without the logging capability there are no log messages (LIFE-07).
            if let Some(level) =
                level.filter(|_| session.config.variants.declares_in_session("logging"))
            {
                if session.faults().has(Fault::LogIgnoresLevel) {
                    session.log_unfiltered(LogLevel::Debug, json!(str_arg(&args, "message")));
                } else {
                    session.log(level, json!(str_arg(&args, "message")));
                }
            }
            Handled::Result(text_result("logged"))
        }
        "touch" => {
            let uri = str_arg(&args, "uri");
            let subscribed = session.state().subscriptions.contains(uri);
            if subscribed {
                session.notify("notifications/resources/updated", Some(json!({"uri": uri})));
                if session.faults().has(Fault::UpdatedUnsubscribedUri) {
                    let other = format!("{uri}-never-subscribed");
                    session.notify(
                        "notifications/resources/updated",
                        Some(json!({"uri": other})),
                    );
                }
                Handled::Result(text_result(format!("touched {uri} (subscribed)")))
            } else {
                Handled::Result(text_result(format!("touched {uri} (not subscribed)")))
            }
        }
        "toggle_extra" if session.config.variants.has(Variant::ListChangedStatic) => {
            Handled::Result(text_result("the lists of this server never change"))
        }
        "toggle_extra" => {
            let enabled = {
                let mut st = session.state();
                st.extra_enabled = !st.extra_enabled;
                st.extra_enabled
            };
            let tools_only = session.config.variants.has(Variant::ListChangeToolsOnly);
            if !session.faults().has(Fault::NoListChanged) {
                for area in ["tools", "resources", "prompts"] {
                    if session.config.variants.declares(area) && (area == "tools" || !tools_only) {
                        session.notify(&format!("notifications/{area}/list_changed"), None);
                    }
                }
            }
            if tools_only {
                return Handled::Result(text_result(if enabled {
                    "extra tool added"
                } else {
                    "extra tool removed"
                }));
            }
            Handled::Result(text_result(if enabled {
                "extra tool, resource and prompt added"
            } else {
                "extra tool, resource and prompt removed"
            }))
        }
        // Without the resources capability a tool embeds no resource (TOOL-14).
        "greeting" if !session.config.variants.declares("resources") => {
            Handled::Result(text_result("Hello from the reference server"))
        }
        "greeting" => match crate::resources::contents("ref://text/hello", false) {
            Some(resource) => {
                Handled::Result(json!({"content": [{"type": "resource", "resource": resource}]}))
            }
            None => Handled::Result(error_result("ref://text/hello is gone")),
        },
        "ask_roots" => ask_roots(session),
        "extra" => Handled::Result(text_result("extra tool called")),
        "label" => {
            let text = str_arg(&args, "text");
            let labels = match args.get("_meta") {
                Some(Value::Object(m)) => Value::Object(m.clone()),
                _ => json!({"labelled by": "mcp-reference-server"}),
            };
            let structured = json!({"text": text, "_meta": labels});
            let mut r = text_result(structured.to_string());
            if rev.has_2025_06_features() {
                r["structuredContent"] = structured;
            }
            Handled::Result(r)
        }
        "read_note" => match str_arg(&args, "name") {
            "welcome" => {
                let mut r = text_result(r#"{"note":"Welcome to the reference server."}"#);
                if rev.has_2025_06_features() {
                    r["structuredContent"] = json!({"note": "Welcome to the reference server."});
                }
                Handled::Result(r)
            }
            other => Handled::Result(error_result(format!("Note not found: {other:?}"))),
        },
        "wait" => {
            let seconds = int_arg(&args, "seconds", 30);
            Handled::Async(Box::pin(async move {
                tokio::time::sleep(Duration::from_secs(seconds)).await;
                Ok(text_result(format!("waited {seconds} s")))
            }))
        }
        _ => Handled::Error(RpcError::invalid_params(format!("Unknown tool: {name}"))),
    }
}

/// The fuzz mutants' behaviour (see `faults.rs`), applied before validation.
fn fuzz_fault(session: &Arc<Session>, def: &ToolDef, args: &Map<String, Value>) -> Option<Handled> {
    let faults = session.faults();
    const LIMIT: u64 = 1 << 53;
    if faults.has(Fault::FuzzCrashBigInt) {
        let big = |v: &Value| match v {
            Value::Number(n) => n
                .as_u64()
                .map(|u| u > LIMIT)
                .or_else(|| n.as_i64().map(|i| i.unsigned_abs() > LIMIT))
                .or_else(|| n.as_f64().map(|f| f.abs() > LIMIT as f64))
                .unwrap_or(false),
            _ => false,
        };
        if args.values().any(big) {
            eprintln!("mcp-reference-server: numeric argument beyond 2^53, exiting (fault fuzz-crash-big-int)");
            std::process::exit(70);
        }
    }
    if faults.has(Fault::FuzzHangMissingArg) {
        let missing = def
            .input_schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .any(|k| !args.contains_key(k))
            });
        if missing {
            return Some(Handled::Async(Box::pin(std::future::pending())));
        }
    }
    if faults.has(Fault::FuzzInternalErrorLongString) {
        let long = args
            .values()
            .any(|v| v.as_str().is_some_and(|s| s.chars().count() > 1000));
        if long {
            return Some(Handled::Error(RpcError::new(
                jsonrpc::INTERNAL_ERROR,
                "Internal error: string argument too long",
            )));
        }
    }
    None
}

fn add(args: &Map<String, Value>, rev: Revision, violate: bool) -> Value {
    let a = args.get("a").cloned().unwrap_or(json!(0));
    let b = args.get("b").cloned().unwrap_or(json!(0));
    let sum = match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) if x.checked_add(y).is_some() => Some(json!(x + y)),
        _ => {
            let s = a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0);
            serde_json::Number::from_f64(s).map(Value::Number)
        }
    };
    let Some(sum) = sum else {
        return error_result("The sum is not a finite number.");
    };
    let mut result = text_result(sum.to_string());
    if rev.has_2025_06_features() {
        let over = sum.as_f64().is_some_and(|s| s > 100.0);
        result["structuredContent"] = if violate && over {
            json!({"sum": sum.to_string()})
        } else {
            json!({"sum": sum})
        };
    }
    result
}

fn slow(session: &Arc<Session>, params: &Map<String, Value>, args: &Map<String, Value>) -> Handled {
    let steps = int_arg(args, "steps", 5);
    let delay = Duration::from_millis(int_arg(args, "delay_ms", 50));
    let token = params
        .get("_meta")
        .and_then(|m| m.get("progressToken"))
        .filter(|t| is_valid_id(t))
        .cloned();
    let with_message = session.revision().has_2025_03_features();
    let faults = session.faults().clone();
    let token = token.map(
        |t| match (faults.has(Fault::ProgressTokenStringified), &t) {
            (true, Value::Number(n)) => json!(n.to_string()),
            _ => t,
        },
    );
    let session = Arc::clone(session);
    if faults.has(Fault::ProgressAfterResponse) {
        if let Some(token) = token.clone() {
            let late = Arc::clone(&session);
            let total = steps as f64 * delay.as_millis() as f64;
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(total as u64 + 30)).await;
                let p = json!({"progressToken": token, "progress": steps + 1});
                late.notify("notifications/progress", Some(p));
            });
        }
    }
    Handled::Async(Box::pin(async move {
        for step in 1..=steps {
            tokio::time::sleep(delay).await;
            if let Some(token) = &token {
                let shown = if faults.has(Fault::ProgressNotIncreasing) {
                    1
                } else {
                    step
                };
                let mut p = json!({"progressToken": token, "progress": shown, "total": steps});
                if with_message {
                    p["message"] = json!(format!("step {step} of {steps}"));
                }
                session.notify("notifications/progress", Some(p));
            }
        }
        Ok(text_result(format!("slow: completed {steps} steps")))
    }))
}

fn ask_roots(session: &Arc<Session>) -> Handled {
    let (has_roots, phase) = {
        let st = session.state();
        (
            st.client_capabilities
                .get("roots")
                .is_some_and(Value::is_object),
            st.phase,
        )
    };
    if !has_roots && !session.faults().has(Fault::RootsWithoutCapability) {
        return Handled::Result(error_result(
            "The client did not declare the roots capability; roots/list was not sent.",
        ));
    }
    if phase != Phase::Operating {
        return Handled::Result(error_result(
            "notifications/initialized has not been received yet; roots/list was not sent.",
        ));
    }
    if session.faults().has(Fault::ElicitUrlUndeclared) {
        // Whatever the client declared, a URL-mode elicitation goes out first.
        session.send_request_detached(
            "elicitation/create",
            Some(json!({
                "mode": "url",
                "message": "Open this page to grant access to your roots",
                "url": "https://example.invalid/grant",
                "elicitationId": "ref-roots-grant",
            })),
        );
    }
    let session = Arc::clone(session);
    Handled::Async(Box::pin(async move {
        let outcome = session
            .request_client("roots/list", None, ROOTS_TIMEOUT)
            .await;
        Ok(match outcome {
            Ok(result) => match result.get("roots").and_then(Value::as_array) {
                Some(roots) => {
                    let uris: Vec<&str> = roots
                        .iter()
                        .filter_map(|r| r.get("uri").and_then(Value::as_str))
                        .collect();
                    if uris.is_empty() {
                        text_result("no roots")
                    } else {
                        text_result(uris.join("\n"))
                    }
                }
                None => error_result("The client's roots/list result has no \"roots\" array."),
            },
            Err(ClientRequestError::Error(e)) => {
                error_result(format!("The client answered roots/list with an error: {e}"))
            }
            Err(ClientRequestError::Timeout) => {
                error_result("The client did not answer roots/list within 5 seconds.")
            }
            Err(ClientRequestError::Closed) => error_result("The session was closed."),
        })
    }))
}
