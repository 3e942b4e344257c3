//! The hints file: one commented entry per hint (what was found, the evidence,
//! whether it was verified, the cases it unlocks), and which cases use which hint.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::case::Case;

/// One hint's entry in the file.
#[derive(Debug, Clone)]
pub struct Entry {
    pub hint: &'static str,
    /// The value written as an active line, if any.
    pub value: Option<Value>,
    /// A value written commented out (a candidate not to be used blindly).
    pub commented: Option<Value>,
    /// The headline: verified / unverified guess / none found, and why.
    pub status: String,
    /// Evidence and tried candidates, one line each.
    pub details: Vec<String>,
}

/// Every hint the cases can use, in the order of cases/README.md.
pub const HINTS: &[&str] = &[
    "list_changed",
    "resource_updated",
    "log_message",
    "progress",
    "long_running",
    "server_request",
    "insufficient_scope",
];

/// The names after `${hints/` in the `${…}` references of every string in `v` (a
/// reference is `${path}`, up to the first `}`, as the case templates read them).
fn hint_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else { break };
                if let Some(("hints", tail)) = after[..end].split_once('/') {
                    out.push(tail.split('/').next().unwrap_or("").to_string());
                }
                rest = &after[end + 1..];
            }
        }
        Value::Array(items) => items.iter().for_each(|i| hint_refs(i, out)),
        Value::Object(map) => map.values().for_each(|i| hint_refs(i, out)),
        _ => {}
    }
}

/// For each hint, the ids of the cases whose steps reference it, from the cases'
/// YAML sources (`(id, text)`).
pub fn hint_uses<'a>(
    sources: impl IntoIterator<Item = (&'a str, String)>,
) -> BTreeMap<String, Vec<String>> {
    let mut uses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, text) in sources {
        let Ok(doc) = serde_yaml_ng::from_str::<Value>(&text) else {
            continue;
        };
        let mut found = Vec::new();
        hint_refs(doc.get("steps").unwrap_or(&Value::Null), &mut found);
        found.sort();
        found.dedup();
        for h in found {
            uses.entry(h).or_default().push(id.to_string());
        }
    }
    for ids in uses.values_mut() {
        ids.sort();
    }
    uses
}

/// The YAML source of each case: from the bundled copy, or read again from `dir`
/// (`--cases`), where `case.file` is relative to the folder's parent.
pub fn case_sources<'a>(cases: &'a [Case], dir: Option<&Path>) -> Vec<(&'a str, String)> {
    cases
        .iter()
        .filter_map(|c| {
            let text = match dir {
                Some(d) => std::fs::read_to_string(d.parent().unwrap_or(d).join(&c.file)).ok()?,
                None => crate::case::load::BUNDLED_CASES
                    .iter()
                    .find(|(p, _)| *p == c.file)
                    .map(|(_, t)| t.to_string())?,
            };
            Some((c.id.as_str(), text))
        })
        .collect()
}

/// The file: a header, then one entry per hint.
pub fn render(
    header: &[String],
    entries: &[Entry],
    uses: &BTreeMap<String, Vec<String>>,
) -> String {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    for e in entries {
        out.push('\n');
        let _ = writeln!(out, "# {}: {}", e.hint, e.status);
        for d in &e.details {
            let _ = writeln!(out, "#   {d}");
        }
        let ids = uses.get(e.hint).map(Vec::as_slice).unwrap_or(&[]);
        let _ = match ids {
            [] => writeln!(out, "#   unlocks 0 cases"),
            [one] => writeln!(out, "#   unlocks 1 case: {one}"),
            many => writeln!(out, "#   unlocks {} cases: {}", many.len(), many.join(", ")),
        };
        if let Some(v) = &e.value {
            let _ = writeln!(out, "{}: {v}", e.hint);
        }
        if let Some(v) = &e.commented {
            let _ = writeln!(out, "# {}: {v}", e.hint);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn written_file_is_yaml_that_loads_back_as_hints() {
        let entries = vec![
            Entry {
                hint: "log_message",
                value: Some(
                    json!({"tool": "log: \"x\" # not a comment", "arguments": {"level": "error", "ü": [1, null]}}),
                ),
                commented: None,
                status: "verified: it logged".into(),
                details: vec!["evidence: name has \"log\"".into()],
            },
            Entry {
                hint: "progress",
                value: None,
                commented: Some(json!({"tool": "slow", "arguments": {}})),
                status: "not verified (not called: annotated destructiveHint: true)".into(),
                details: vec![],
            },
            Entry {
                hint: "server_request",
                value: None,
                commented: None,
                status: "none found".into(),
                details: vec![],
            },
        ];
        let uses = BTreeMap::from([(
            "log_message".to_string(),
            vec!["logging.a".to_string(), "logging.b".to_string()],
        )]);
        let text = render(&["header".into()], &entries, &uses);
        assert!(
            text.contains("#   unlocks 2 cases: logging.a, logging.b"),
            "{text}"
        );
        assert!(text.contains("#   unlocks 0 cases\n"), "{text}");
        let back: Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
        assert_eq!(
            back,
            json!({"log_message": {"tool": "log: \"x\" # not a comment", "arguments": {"level": "error", "ü": [1, null]}}})
        );
    }

    #[test]
    fn uses_count_step_references_only() {
        let a = "id: a.x\nnotes: ${hints/progress}\nsteps:\n  - send: {params: {name: \"${hints/log_message/tool}\", x: \"a ${hints/progress/arguments} ${other/hints}\"}}\n".to_string();
        let b = "id: b.y\nsteps:\n  - skip_unless: {value: \"${hints/log_message}\"}\n  - send: {x: \"${hints/log_message/tool}\"}\n".to_string();
        let uses = hint_uses([("a.x", a), ("b.y", b)]);
        assert_eq!(
            uses.get("log_message"),
            Some(&vec!["a.x".to_string(), "b.y".to_string()])
        );
        assert_eq!(uses.get("progress"), Some(&vec!["a.x".to_string()]));
        assert_eq!(uses.len(), 2);
    }
}
