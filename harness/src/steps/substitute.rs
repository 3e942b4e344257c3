//! `${name}` substitution: how case values pick up captured and built-in variables.

use serde_json::Value;

use crate::check::matcher::{lookup, Vars};

/// Replaces `${name}` in strings (a name may carry a JSON pointer: `${tool/name}`): a
/// string that is exactly `${name}` becomes the value (any type); inside longer strings
/// the value is spliced as text. Unknown names are left as they are.
pub fn substitute(v: &Value, vars: &Vars) -> Value {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                if !name.contains('}') {
                    if let Some(val) = lookup(vars, name) {
                        return val.clone();
                    }
                }
            }
            if !s.contains("${") {
                return v.clone();
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                match after.find('}') {
                    Some(end) => {
                        let name = &after[..end];
                        match lookup(vars, name) {
                            Some(Value::String(t)) => out.push_str(t),
                            Some(other) => out.push_str(&other.to_string()),
                            None => out.push_str(&rest[start..start + 3 + end]),
                        }
                        rest = &after[end + 1..];
                    }
                    None => {
                        out.push_str(&rest[start..]);
                        rest = "";
                    }
                }
            }
            out.push_str(rest);
            Value::String(out)
        }
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
    fn substitution_follows_pointers_and_keeps_unknown_names() {
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
    }
}
