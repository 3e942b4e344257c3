//! `${name}` templates: the typed leaf for strings that pick up captured and built-in
//! variables, and the substitution of whole JSON values built on it.
//!
//! A string that is exactly `${name}` becomes the variable's value (any type); inside a
//! longer string the value is spliced as text (a string as itself, anything else as
//! JSON). A name may carry a JSON pointer (`${tool/name}`). Unknown names, and a `${`
//! without its `}`, are left as they are.

use std::collections::BTreeMap;

use serde_json::Value;

/// The variables of a running case: captured and built-in values by name.
pub type Vars = BTreeMap<String, Value>;

/// A variable's value, or the value at a JSON pointer inside it (`name/pointer`).
pub fn lookup<'a>(vars: &'a Vars, path: &str) -> Option<&'a Value> {
    match path.split_once('/') {
        None => vars.get(path),
        Some((name, rest)) => vars.get(name)?.pointer(&format!("/{rest}")),
    }
}

/// A string with at least one `${…}` reference, parsed once.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    /// A reference: the variable path between `${` and `}`.
    Var(String),
}

impl Template {
    /// The template in `s`, or `None` when `s` references no variable (it is plain text).
    pub fn parse(s: &str) -> Option<Template> {
        if !s.contains("${") {
            return None;
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            text.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                text.push_str(&rest[start..]);
                rest = "";
                break;
            };
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Var(after[..end].to_string()));
            rest = &after[end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        parts
            .iter()
            .any(|p| matches!(p, Part::Var(_)))
            .then_some(Template { parts })
    }

    /// The template's value under `vars`: a lone reference to a set variable is that
    /// variable's value; otherwise the text with every set variable spliced in.
    pub fn render(&self, vars: &Vars) -> Value {
        if let [Part::Var(name)] = self.parts.as_slice() {
            if let Some(v) = lookup(vars, name) {
                return v.clone();
            }
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(name) => match lookup(vars, name) {
                    Some(Value::String(t)) => out.push_str(t),
                    Some(other) => out.push_str(&other.to_string()),
                    None => {
                        out.push_str("${");
                        out.push_str(name);
                        out.push('}');
                    }
                },
            }
        }
        Value::String(out)
    }
}

/// The variables the templates in `v` reference, by name (without a pointer).
pub fn references(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => Template::parse(s).map_or_else(Vec::new, |t| {
            t.parts
                .iter()
                .filter_map(|p| match p {
                    Part::Var(path) => Some(path.split('/').next().unwrap_or("").to_string()),
                    Part::Text(_) => None,
                })
                .collect()
        }),
        Value::Array(items) => items.iter().flat_map(references).collect(),
        Value::Object(map) => map.values().flat_map(references).collect(),
        _ => Vec::new(),
    }
}

/// Whether any string in `v` is a template.
pub fn has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => Template::parse(s).is_some(),
        Value::Array(items) => items.iter().any(has_template),
        Value::Object(map) => map.values().any(has_template),
        _ => false,
    }
}

/// `v` with every template string rendered (keys are left as they are).
pub fn substitute(v: &Value, vars: &Vars) -> Value {
    match v {
        Value::String(s) => match Template::parse(s) {
            Some(t) => t.render(vars),
            None => v.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|i| substitute(i, vars)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| (k.clone(), substitute(x, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_name_the_variables_without_their_pointers() {
        let v = json!({"a": "${hints/progress}", "b": ["x ${tool/name} y", "${revision}"], "c": 1});
        assert_eq!(references(&v), vec!["hints", "tool", "revision"]);
        assert!(references(&json!("plain")).is_empty());
    }

    #[test]
    fn templates_follow_pointers_and_keep_unknown_names() {
        let mut vars = Vars::new();
        vars.insert("tool".into(), json!({"name": "echo", "n": 3}));
        assert_eq!(substitute(&json!("${tool/name}"), &vars), json!("echo"));
        assert_eq!(substitute(&json!("${tool/n}"), &vars), json!(3));
        assert_eq!(substitute(&json!("x-${tool/n}-y"), &vars), json!("x-3-y"));
        assert_eq!(substitute(&json!("${nope}"), &vars), json!("${nope}"));
        assert_eq!(
            substitute(&json!("a ${nope} b"), &vars),
            json!("a ${nope} b")
        );
        assert_eq!(substitute(&json!("${"), &vars), json!("${"));
        assert_eq!(substitute(&json!("${tool/n}}"), &vars), json!("3}"));
        assert_eq!(substitute(&json!("${tool/n} ${x"), &vars), json!("3 ${x"));
        assert!(Template::parse("a ${b").is_none());
        assert!(!has_template(&json!({"a": ["${"]})));
        assert!(has_template(&json!({"a": ["${b}"]})));
    }
}
