//! The heuristics: for each hint, the tools that look like its trigger, best first,
//! each with the evidence (annotation, name, description words, schema properties)
//! and the arguments to call it with (the schema's example, adjusted).

use serde_json::{json, Map, Value};

use super::inventory::{Inventory, Tool};
use crate::json_schema::example;

/// Most candidates kept per hint (the verification tries them in order).
const PER_HINT: usize = 3;

/// One suggestion for one hint.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub hint: &'static str,
    /// The hint's value as it would be written (`{tool, arguments, …}`).
    pub value: Value,
    /// Why this tool: one short phrase per clue.
    pub evidence: Vec<String>,
    /// The tool it calls.
    pub tool: Tool,
    /// For `list_changed`: the lists the server announces changes of.
    pub lists: Vec<&'static str>,
    score: u32,
}

/// Words of a text: runs of letters and digits (`toggle_extra` → toggle, extra).
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Scores `tool` by its name's and its text's words: 3 per word of `wanted` in the
/// name, 1 per word found only in the title or description.
fn word_score(tool: &Tool, wanted: &[&str], evidence: &mut Vec<String>) -> u32 {
    let name = tool.name.to_lowercase();
    let in_name: Vec<&str> = words(&name)
        .into_iter()
        .filter(|w| wanted.contains(w))
        .collect();
    let text_words = words(&tool.text);
    let mut in_text: Vec<&str> = text_words
        .into_iter()
        .filter(|w| wanted.contains(w) && !in_name.contains(w))
        .collect();
    in_text.dedup();
    if !in_name.is_empty() {
        evidence.push(format!("name has \"{}\"", in_name.join("\", \"")));
    }
    if !in_text.is_empty() {
        evidence.push(format!(
            "description mentions \"{}\"",
            in_text.join("\", \"")
        ));
    }
    3 * in_name.len() as u32 + in_text.len() as u32
}

/// 2 when the text contains `phrase` (a method name, say).
fn phrase_score(tool: &Tool, phrase: &str, evidence: &mut Vec<String>) -> u32 {
    if tool.text.contains(phrase) {
        evidence.push(format!("description mentions `{phrase}`"));
        2
    } else {
        0
    }
}

fn annotation_note(tool: &Tool, evidence: &mut Vec<String>) {
    if let Some(why) = tool.not_callable() {
        evidence.push(why.to_string());
    } else if tool.annotated("readOnlyHint") {
        evidence.push("annotated readOnlyHint: true".into());
    }
}

fn candidate(
    hint: &'static str,
    tool: &Tool,
    value: Value,
    evidence: Vec<String>,
    score: u32,
) -> Candidate {
    Candidate {
        hint,
        value,
        evidence,
        tool: tool.clone(),
        lists: Vec::new(),
        score,
    }
}

/// The schema's example arguments (an object; `{}` when the example is not one).
pub fn example_args(tool: &Tool) -> Map<String, Value> {
    match example(&tool.schema, 0) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Keeps the best `PER_HINT` with a score above 0, best first (ties: listing order).
fn best(mut found: Vec<Candidate>) -> Vec<Candidate> {
    found.retain(|c| c.score > 0);
    found.sort_by_key(|c| std::cmp::Reverse(c.score));
    found.truncate(PER_HINT);
    found
}

/// `log_message`: a tool that logs.
pub fn log_message(inv: &Inventory) -> Vec<Candidate> {
    let found = inv.tools.iter().map(|t| {
        let mut ev = Vec::new();
        let score = word_score(t, &["log", "logs", "logging", "logger"], &mut ev)
            + phrase_score(t, "notifications/message", &mut ev);
        let mut args = example_args(t);
        // A severe level passes any threshold the server keeps.
        if let Some(levels) = t
            .schema
            .pointer("/properties/level/enum")
            .and_then(Value::as_array)
        {
            if levels.contains(&json!("error")) {
                args.insert("level".into(), json!("error"));
            }
        }
        annotation_note(t, &mut ev);
        candidate(
            "log_message",
            t,
            json!({"tool": t.name, "arguments": args}),
            ev,
            score,
        )
    });
    best(found.collect())
}

/// The unit of a time-like property: milliseconds or seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Millis,
    Seconds,
}

const TIME_WORDS: &[&str] = &[
    "delay",
    "sleep",
    "wait",
    "duration",
    "ms",
    "seconds",
    "secs",
    "interval",
    "millis",
    "milliseconds",
    "pause",
    "time",
];
const STEP_WORDS: &[&str] = &[
    "steps",
    "step",
    "count",
    "iterations",
    "repeat",
    "times",
    "ticks",
    "total",
];

/// The first property whose name has one of `wanted` as a word.
fn property_like(tool: &Tool, wanted: &[&str]) -> Option<String> {
    tool.properties().into_iter().find(|p| {
        let lower = p.to_lowercase();
        words(&lower).iter().any(|w| wanted.contains(w))
            || wanted.iter().any(|w| lower.ends_with(w) && w.len() > 2)
    })
}

fn unit_of(tool: &Tool, prop: &str) -> Unit {
    let lower = prop.to_lowercase();
    let schema = tool
        .schema
        .pointer(&format!("/properties/{prop}"))
        .cloned()
        .unwrap_or(json!({}));
    let described = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_lowercase();
    if lower.ends_with("ms")
        || lower.contains("milli")
        || described.contains("milli")
        || described.contains(" ms")
    {
        Unit::Millis
    } else if lower.contains("sec")
        || described.contains("second")
        || schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| m <= 60.0)
    {
        Unit::Seconds
    } else {
        Unit::Millis
    }
}

/// `want` within the property's bounds, an integer when its type is `integer`.
fn fit(tool: &Tool, prop: &str, want: f64) -> Value {
    let schema = tool
        .schema
        .pointer(&format!("/properties/{prop}"))
        .cloned()
        .unwrap_or(json!({}));
    let mut v = want;
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        v = v.max(min);
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
        v = v.min(max);
    }
    let integer = schema.get("type").and_then(Value::as_str) == Some("integer");
    if integer {
        json!(v.ceil() as i64)
    } else {
        json!(v)
    }
}

/// Arguments that make a timed tool work about `total_ms` in `steps` steps (when it
/// takes a step count), with a phrase saying how.
fn timed_args(tool: &Tool, total_ms: f64, steps: f64) -> Option<(Map<String, Value>, String)> {
    let time = property_like(tool, TIME_WORDS);
    let count = property_like(tool, STEP_WORDS);
    let mut args = example_args(tool);
    let mut how = Vec::new();
    let per_step = match &count {
        Some(c) => {
            let v = fit(tool, c, steps);
            how.push(format!("{c}: {v}"));
            let n = v.as_f64().unwrap_or(steps).max(1.0);
            args.insert(c.clone(), v);
            total_ms / n
        }
        None => total_ms,
    };
    if let Some(t) = &time {
        let unit = unit_of(tool, t);
        let want = if unit == Unit::Seconds {
            per_step / 1000.0
        } else {
            per_step
        };
        let v = fit(tool, t, want);
        how.push(format!(
            "{t}: {v} ({})",
            if unit == Unit::Seconds {
                "seconds"
            } else {
                "ms"
            }
        ));
        args.insert(t.clone(), v);
    }
    (time.is_some() || count.is_some()).then(|| (args, how.join(", ")))
}

/// `progress` (about 30 ms in 3 steps) and `long_running` (about 400 ms).
pub fn timed(inv: &Inventory, hint: &'static str) -> Vec<Candidate> {
    let (total, steps) = if hint == "progress" {
        (30.0, 3.0)
    } else {
        (400.0, 16.0)
    };
    let found = inv.tools.iter().filter_map(|t| {
        let mut ev = Vec::new();
        let mut score = phrase_score(t, "progress", &mut ev)
            + word_score(
                t,
                &["slow", "sleep", "wait", "delay", "long", "cancellable"],
                &mut ev,
            );
        let timing = property_like(t, TIME_WORDS);
        if let Some(p) = &timing {
            ev.push(format!("schema property `{p}`"));
            score += 2;
        }
        if let Some(p) = property_like(t, STEP_WORDS) {
            ev.push(format!("schema property `{p}`"));
            score += 1;
        }
        // Without a time-like property only a tool that says it reports progress.
        if timing.is_none() && !t.text.contains("progress") {
            return None;
        }
        let (args, how) =
            timed_args(t, total, steps).unwrap_or_else(|| (example_args(t), String::new()));
        if !how.is_empty() {
            ev.push(format!("arguments chosen for ~{total} ms: {how}"));
        }
        annotation_note(t, &mut ev);
        Some(candidate(
            hint,
            t,
            json!({"tool": t.name, "arguments": args}),
            ev,
            score,
        ))
    });
    best(found.collect())
}

/// The lists whose changes the server declares it announces.
pub fn announced_lists(inv: &Inventory) -> Vec<&'static str> {
    ["tools", "resources", "prompts"]
        .into_iter()
        .filter(|l| {
            inv.declares(&format!("{l}.listChanged"))
                && inv.capabilities.pointer(&format!("/{l}/listChanged")) == Some(&json!(true))
        })
        .collect()
}

/// `list_changed`: a tool that adds, removes or toggles something listed.
pub fn list_changed(inv: &Inventory) -> Vec<Candidate> {
    let lists = announced_lists(inv);
    if lists.is_empty() {
        return Vec::new();
    }
    let verbs = [
        "add",
        "remove",
        "toggle",
        "register",
        "unregister",
        "enable",
        "disable",
        "install",
        "uninstall",
        "load",
        "unload",
        "create",
        "delete",
        "refresh",
        "reload",
        "adds",
        "removes",
        "registers",
        "toggles",
    ];
    let found = inv.tools.iter().map(|t| {
        let mut ev = Vec::new();
        let mut score = word_score(t, &verbs, &mut ev);
        for phrase in ["list_changed", "listchanged", "list changed"] {
            score += phrase_score(t, phrase, &mut ev);
        }
        // `add` of two numbers is arithmetic, not a list change.
        if t.text.contains("sum") || t.text.contains("number") {
            score = score.saturating_sub(4);
        }
        annotation_note(t, &mut ev);
        let mut c = candidate(
            "list_changed",
            t,
            json!({"tool": t.name, "arguments": example_args(t)}),
            ev,
            score,
        );
        c.lists = lists.clone();
        c
    });
    best(found.collect())
}

const URI_WORDS: &[&str] = &["uri", "url", "resource", "resourceuri", "resource_uri"];

/// The property of `tool` that takes a resource URI, if any.
pub fn uri_property(tool: &Tool) -> Option<String> {
    tool.properties()
        .into_iter()
        .find(|p| URI_WORDS.contains(&p.to_lowercase().as_str()))
}

/// `resource_updated`: a subscribable resource and a tool that changes it.
pub fn resource_updated(inv: &Inventory) -> Vec<Candidate> {
    if inv.resources.is_empty() || !inv.declares("resources.subscribe") {
        return Vec::new();
    }
    let verbs = [
        "touch", "update", "updates", "write", "modify", "change", "changes", "changed", "set",
        "edit", "append", "mark", "marks", "bump",
    ];
    let mut found = Vec::new();
    for t in &inv.tools {
        let mut ev = Vec::new();
        let mut score =
            word_score(t, &verbs, &mut ev) + phrase_score(t, "resources/updated", &mut ev);
        let prop = uri_property(t);
        match &prop {
            Some(p) => {
                ev.push(format!("schema property `{p}` (set to the resource's URI)"));
                score += 2;
            }
            None => score = score.saturating_sub(2),
        }
        annotation_note(t, &mut ev);
        for (rank, (uri, named)) in resources_for(inv, t).into_iter().enumerate() {
            let mut ev = ev.clone();
            if named {
                ev.push(format!("description names {uri}"));
            }
            let mut args = example_args(t);
            if let Some(p) = &prop {
                args.insert(p.clone(), json!(uri));
            }
            let value = json!({"uri": uri, "tool": t.name, "arguments": args});
            let score = (score + 2 * u32::from(named)).saturating_sub(rank as u32);
            found.push(candidate("resource_updated", t, value, ev, score));
        }
    }
    best(found)
}

/// Up to two resource URIs to try with `tool`: those its description names first
/// (`true`), then the first listed.
fn resources_for<'a>(inv: &'a Inventory, tool: &Tool) -> Vec<(&'a str, bool)> {
    let mut uris: Vec<(&str, bool)> = inv
        .resources
        .iter()
        .filter(|u| tool.text.contains(&u.to_lowercase()))
        .map(|u| (u.as_str(), true))
        .collect();
    for u in &inv.resources {
        if !uris.iter().any(|(v, _)| v == u) {
            uris.push((u.as_str(), false));
        }
    }
    uris.truncate(2);
    uris
}

/// `server_request`: a tool that asks the client for roots, a sampling or an
/// elicitation.
pub fn server_request(inv: &Inventory) -> Vec<Candidate> {
    let kinds: [(&[&str], &str, &str); 3] = [
        (&["roots", "root"], "roots/list", "roots"),
        (
            &["sampling", "sample", "createmessage", "llm"],
            "sampling/createMessage",
            "sampling",
        ),
        (
            &["elicit", "elicitation", "elicits"],
            "elicitation/create",
            "elicitation",
        ),
    ];
    let mut found = Vec::new();
    for t in &inv.tools {
        for (wanted, method, capability) in kinds {
            let mut ev = Vec::new();
            let score = word_score(t, wanted, &mut ev) + phrase_score(t, method, &mut ev);
            annotation_note(t, &mut ev);
            let value = json!({"tool": t.name, "arguments": example_args(t), "method": method, "capability": capability});
            found.push(candidate("server_request", t, value, ev, score));
        }
    }
    best(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(listed: Value) -> Tool {
        Tool::from_listed(&listed).expect("a tool")
    }

    fn inventory(tools: Vec<Value>) -> Inventory {
        Inventory {
            revision: "2025-11-25".into(),
            capabilities: json!({"tools": {"listChanged": true}, "logging": {}, "resources": {"subscribe": true}}),
            tools: tools.into_iter().map(tool).collect(),
            resources: vec!["file:///a.txt".into()],
            ..Inventory::default()
        }
    }

    #[test]
    fn names_descriptions_and_schemas_rank_the_candidates() {
        let inv = inventory(vec![
            json!({"name": "add", "description": "Adds two numbers and returns the sum.", "inputSchema": {"type": "object"}}),
            json!({"name": "register_plugin", "description": "Adds a tool.", "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}),
            json!({"name": "wait", "description": "Sleeps.", "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number", "maximum": 10}}, "required": ["seconds"]}}),
            json!({"name": "write_note", "description": "Writes a resource.", "inputSchema": {"type": "object", "properties": {"uri": {"type": "string"}, "text": {"type": "string"}}, "required": ["uri", "text"]}, "annotations": {"destructiveHint": true}}),
            json!({"name": "emit_log", "description": "Writes a log line.", "inputSchema": {"type": "object", "properties": {"level": {"enum": ["debug", "error"]}}, "required": ["level"]}}),
        ]);
        let lc = list_changed(&inv);
        assert_eq!(
            lc.first().map(|c| c.tool.name.as_str()),
            Some("register_plugin")
        );
        assert_eq!(lc[0].value["arguments"], json!({"id": "mcp-conform"}));
        assert_eq!(lc[0].lists, vec!["tools"]);
        assert!(lc.iter().all(|c| c.tool.name != "add"), "{lc:?}");

        let long = timed(&inv, "long_running");
        assert_eq!(long[0].tool.name, "wait");
        assert_eq!(long[0].value["arguments"], json!({"seconds": 0.4}));

        let upd = resource_updated(&inv);
        assert_eq!(upd[0].tool.name, "write_note");
        assert_eq!(upd[0].value["arguments"]["uri"], json!("file:///a.txt"));
        assert_eq!(
            upd[0].tool.not_callable(),
            Some("annotated destructiveHint: true")
        );

        let log = log_message(&inv);
        assert_eq!(log[0].tool.name, "emit_log");
        assert_eq!(log[0].value["arguments"], json!({"level": "error"}));
        assert!(server_request(&inv).is_empty());
    }

    #[test]
    fn steps_and_delay_in_milliseconds_share_the_total() {
        let inv = inventory(vec![
            json!({"name": "slow", "description": "Reports progress.",
            "inputSchema": {"type": "object", "properties": {"steps": {"type": "integer", "minimum": 1, "maximum": 100}, "delay_ms": {"type": "integer", "maximum": 1000}}}}),
        ]);
        assert_eq!(
            timed(&inv, "progress")[0].value["arguments"],
            json!({"steps": 3, "delay_ms": 10})
        );
        assert_eq!(
            timed(&inv, "long_running")[0].value["arguments"],
            json!({"steps": 16, "delay_ms": 25})
        );
    }
}
