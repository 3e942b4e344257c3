//! The matcher language of case files: evaluation of the typed tree (`tree`), with
//! `${…}` templates as typed leaves (`template`).
//!
//! A matcher is JSON. A plain object matches when every key it names matches in the
//! actual object (other keys are allowed); an array matches element by element with
//! the same length; a scalar matches an equal scalar of the same JSON type (`1` is not
//! `"1"`, nor `1.0`). An object whose keys all start with `$` is an operator object;
//! all its operators must hold. The operators are listed once, in [`OPERATORS`]
//! (name, argument, when it holds); `cases/README.md` shows them as a table, which a
//! test keeps equal to [`operator_table`].
//!
//! A string with `${name}` is a template: it is rendered with the variables when the
//! matcher is checked (a lone `${name}` gives the variable's value, which is then
//! matched as a matcher whose strings are plain text). Variable names may carry a JSON
//! pointer: `tool/inputSchema` is the `inputSchema` member of variable `tool` (also in
//! `${…}` substitution).

mod template;
mod tree;

use std::borrow::Cow;

use serde_json::Value;

use crate::check::published::Judged;
use crate::json_schema::{json_type, pointer};

pub use template::{has_template, lookup, references, substitute, Template, Vars};
pub use tree::{operator_table, Matcher, MatcherError, Operator, OPERATORS};
use tree::{Node, Op, OpCall, Text};

/// One place where the actual value differs from the matcher.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// JSON pointer into the actual message.
    pub path: String,
    pub problem: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.path.is_empty() {
            "(message)"
        } else {
            &self.path
        };
        write!(f, "at {at}: {}", self.problem)
    }
}

/// Checks a matcher's own spelling, so that a typo in a case file is a load error and
/// not a silent mismatch at run time (case files get this by parsing into [`Matcher`]).
pub fn validate(matcher: &Value) -> Result<(), MatcherError> {
    Matcher::parse(matcher.clone()).map(|_| ())
}

impl Matcher {
    /// The matcher as written with its templates rendered: what a finding shows as
    /// expected.
    pub fn shown(&self, vars: &Vars) -> Value {
        substitute(self.source(), vars)
    }
}

/// Matches `actual` (None = key absent) against `matcher`; collects every mismatch.
pub fn check(matcher: &Matcher, actual: Option<&Value>, vars: &Vars) -> Vec<Mismatch> {
    let mut out = Vec::new();
    check_at(&matcher.node, actual, vars, "", &mut out);
    out
}

fn holds(node: &Node, actual: Option<&Value>, vars: &Vars) -> bool {
    let mut out = Vec::new();
    check_at(node, actual, vars, "", &mut out);
    out.is_empty()
}

/// The mismatches of `node` at `path`, as text joined by `; ` (None when it holds).
fn joined(node: &Node, actual: Option<&Value>, vars: &Vars, path: &str) -> Vec<String> {
    let mut sub = Vec::new();
    check_at(node, actual, vars, path, &mut sub);
    sub.into_iter().map(|m| m.to_string()).collect()
}

fn problems(list: Vec<String>) -> Option<String> {
    (!list.is_empty()).then(|| list.join("; "))
}

fn check_at(node: &Node, actual: Option<&Value>, vars: &Vars, path: &str, out: &mut Vec<Mismatch>) {
    let miss = |problem: String| Mismatch {
        path: path.to_string(),
        problem,
    };
    match node {
        Node::Ops(calls) => {
            for call in calls {
                if let Some(problem) = check_operator(call, actual, vars, path) {
                    out.push(miss(problem));
                }
            }
        }
        Node::Object(entries) => match actual {
            Some(Value::Object(obj)) => {
                for (k, sub) in entries {
                    check_at(sub, obj.get(k), vars, &pointer::join(path, k), out);
                }
            }
            Some(other) => out.push(miss(format!("expected an object, got {}", describe(other)))),
            None => out.push(miss("missing; expected an object".into())),
        },
        Node::Array(items) => match actual {
            Some(Value::Array(arr)) if arr.len() == items.len() => {
                for (i, (sub, a)) in items.iter().zip(arr).enumerate() {
                    check_at(sub, Some(a), vars, &format!("{path}/{i}"), out);
                }
            }
            Some(Value::Array(arr)) => out.push(miss(format!(
                "expected an array of {} elements, got {}",
                items.len(),
                arr.len()
            ))),
            Some(other) => out.push(miss(format!("expected an array, got {}", describe(other)))),
            None => out.push(miss("missing; expected an array".into())),
        },
        Node::Literal(literal) => match actual {
            Some(a) if a == literal => {}
            Some(a) => out.push(miss(format!(
                "expected {}, got {}",
                describe(literal),
                describe(a)
            ))),
            None => out.push(miss(format!("missing; expected {}", describe(literal)))),
        },
        Node::Template(t) => match Matcher::resolved(&t.render(vars)) {
            Ok(node) => check_at(&node, actual, vars, path, out),
            Err(e) => out.push(miss(format!(
                "a variable used as a matcher is not one: {e}"
            ))),
        },
    }
}

/// The operator's argument as shown in messages: as written, templates rendered.
fn shown<'a>(call: &'a OpCall, vars: &Vars) -> Cow<'a, Value> {
    if call.templated {
        Cow::Owned(substitute(&call.arg, vars))
    } else {
        Cow::Borrowed(&call.arg)
    }
}

/// A string argument with its template rendered (a non-string value gives "").
fn text<'a>(t: &'a Text, vars: &Vars) -> Cow<'a, str> {
    match t {
        Text::Plain(s) => Cow::Borrowed(s),
        Text::Template(t) => Cow::Owned(t.render(vars).as_str().unwrap_or_default().to_string()),
    }
}

/// `None` when the operator holds, else the problem.
fn check_operator(
    call: &OpCall,
    actual: Option<&Value>,
    vars: &Vars,
    path: &str,
) -> Option<String> {
    match &call.op {
        Op::Absent => actual.map(|a| format!("expected no such key, got {}", describe(a))),
        Op::Present => actual.is_none().then(|| "missing".to_string()),
        Op::Not(m) => holds(m, actual, vars)
            .then(|| format!("must not match {}", compact(&shown(call, vars)))),
        Op::AnyOf(items) => (!items.iter().any(|m| holds(m, actual, vars))).then(|| {
            format!(
                "matches none of {}; got {}",
                compact(&shown(call, vars)),
                actual
                    .map(describe)
                    .unwrap_or_else(|| "nothing (missing)".into())
            )
        }),
        Op::AllOf(items) => problems(
            items
                .iter()
                .flat_map(|m| joined(m, actual, vars, path))
                .collect(),
        ),
        op => match actual {
            None => Some(format!(
                "missing; expected {} {}",
                call.name,
                compact(&shown(call, vars))
            )),
            Some(a) => check_present(call, op, a, vars, path),
        },
    }
}

/// An operator that needs a value, on a present value.
fn check_present(call: &OpCall, op: &Op, a: &Value, vars: &Vars, path: &str) -> Option<String> {
    match op {
        Op::Type(names) => {
            let t = json_type(a);
            let ok = names
                .iter()
                .any(|n| *n == t || (*n == "number" && t == "integer"));
            (!ok).then(|| format!("expected type {}, got {}", names.join(" or "), describe(a)))
        }
        Op::Eq => {
            let arg = shown(call, vars);
            (a != arg.as_ref())
                .then(|| format!("expected exactly {}, got {}", compact(&arg), describe(a)))
        }
        Op::In => {
            let arg = shown(call, vars);
            let ok = arg.as_array().is_some_and(|xs| xs.contains(a));
            (!ok).then(|| format!("expected one of {}, got {}", compact(&arg), describe(a)))
        }
        Op::Var(name) => check_var(&text(name, vars), a, vars),
        Op::InVar(name) => check_in_var(&text(name, vars), a, vars),
        Op::Each(m) => check_each(m, a, vars, path),
        Op::EachValue(m) => check_each_value(m, a, vars, path),
        Op::Contains(m) => match a {
            Value::Array(xs) => (!xs.iter().any(|x| holds(m, Some(x), vars)))
                .then(|| format!("no element matches {}", compact(&shown(call, vars)))),
            other => Some(format!("expected an array, got {}", describe(other))),
        },
        Op::MinItems(bound) => check_items(a, *bound, true),
        Op::MaxItems(bound) => check_items(a, *bound, false),
        Op::Regex(re) => check_regex(re, a),
        Op::UniqueBy(pointer) => check_unique_by(&text(pointer, vars), a),
        Op::Increasing(pointer) => check_increasing(&text(pointer, vars), a),
        Op::ConformsTo(name) => check_conforms_to(&text(name, vars), a, vars),
        Op::Range(lo, hi) => match a.as_f64() {
            Some(n) if *lo <= n && n <= *hi => None,
            Some(_) => Some(format!(
                "expected a number in {}, got {}",
                compact(&shown(call, vars)),
                describe(a)
            )),
            None => Some(format!("expected a number, got {}", describe(a))),
        },
        Op::IsSchema => {
            let revision = vars.get("revision").and_then(Value::as_str);
            match crate::check::published::judge_schema(a, revision) {
                Judged::Holds | Judged::CannotJudge(_) => None,
                Judged::Broken(e) => Some(format!("not a valid JSON Schema: {e}")),
            }
        }
        Op::Absent | Op::Present | Op::Not(_) | Op::AnyOf(_) | Op::AllOf(_) => None,
    }
}

fn check_var(name: &str, a: &Value, vars: &Vars) -> Option<String> {
    match lookup(vars, name) {
        Some(v) if v == a => None,
        Some(v) => Some(format!(
            "expected {} (variable {name}), got {}",
            describe(v),
            describe(a)
        )),
        None => Some(format!("variable `{name}` is not set")),
    }
}

fn check_in_var(name: &str, a: &Value, vars: &Vars) -> Option<String> {
    match lookup(vars, name) {
        Some(Value::Array(xs)) if xs.contains(a) => None,
        Some(v) => Some(format!(
            "expected one of {} (variable {name}), got {}",
            compact(v),
            describe(a)
        )),
        None => Some(format!("variable `{name}` is not set")),
    }
}

fn check_each(m: &Node, a: &Value, vars: &Vars, path: &str) -> Option<String> {
    match a {
        Value::Array(xs) => problems(
            xs.iter()
                .enumerate()
                .flat_map(|(i, x)| joined(m, Some(x), vars, &format!("{path}/{i}")))
                .collect(),
        ),
        other => Some(format!("expected an array, got {}", describe(other))),
    }
}

fn check_each_value(m: &Node, a: &Value, vars: &Vars, path: &str) -> Option<String> {
    match a {
        Value::Object(members) => problems(
            members
                .iter()
                .flat_map(|(k, x)| joined(m, Some(x), vars, &pointer::join(path, k)))
                .collect(),
        ),
        other => Some(format!("expected an object, got {}", describe(other))),
    }
}

fn check_items(a: &Value, bound: u64, at_least: bool) -> Option<String> {
    let n = match a {
        Value::Array(xs) => xs.len(),
        Value::Object(o) => o.len(),
        other => {
            return Some(format!(
                "expected an array or object, got {}",
                describe(other)
            ))
        }
    };
    let bound = bound as usize;
    if at_least && n < bound {
        Some(format!("expected at least {bound} items, got {n}"))
    } else if !at_least && n > bound {
        Some(format!("expected at most {bound} items, got {n}"))
    } else {
        None
    }
}

fn check_regex(re: &regex::Regex, a: &Value) -> Option<String> {
    let src = re.as_str();
    match a.as_str() {
        Some(s) if re.is_match(s) => None,
        Some(s) => Some(format!("string {s:?} does not match /{src}/")),
        None => Some(format!(
            "expected a string matching /{src}/, got {}",
            describe(a)
        )),
    }
}

fn check_unique_by(pointer: &str, a: &Value) -> Option<String> {
    let Value::Array(xs) = a else {
        return Some(format!("expected an array, got {}", describe(a)));
    };
    let mut seen: Vec<&Value> = Vec::new();
    for x in xs {
        if let Some(key) = x.pointer(pointer) {
            if seen.contains(&key) {
                return Some(format!("duplicate value {} at {pointer}", compact(key)));
            }
            seen.push(key);
        }
    }
    None
}

fn check_increasing(pointer: &str, a: &Value) -> Option<String> {
    let Value::Array(xs) = a else {
        return Some(format!("expected an array, got {}", describe(a)));
    };
    let mut last: Option<f64> = None;
    for (i, x) in xs.iter().enumerate() {
        let Some(n) = x.pointer(pointer).and_then(Value::as_f64) else {
            return Some(format!("element {i} has no number at {pointer}"));
        };
        if let Some(prev) = last {
            if n <= prev {
                return Some(format!(
                    "element {i}: {n} at {pointer} does not increase on {prev}"
                ));
            }
        }
        last = Some(n);
    }
    None
}

fn check_conforms_to(name: &str, a: &Value, vars: &Vars) -> Option<String> {
    let Some(schema) = lookup(vars, name) else {
        return Some(format!("variable `{name}` is not set"));
    };
    let revision = vars.get("revision").and_then(Value::as_str);
    match crate::check::published::judge_instance(schema, a, revision) {
        // What the harness cannot judge is no mismatch (never a failure).
        Judged::Holds | Judged::CannotJudge(_) => None,
        Judged::Broken(e) => Some(format!("does not validate against `{name}`: {e}")),
    }
}

/// A short rendering of a value for messages: type and (truncated) text.
pub fn describe(v: &Value) -> String {
    format!("{} {}", json_type(v), compact(v))
}

pub fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        let cut: String = s.chars().take(157).collect();
        format!("{cut}...")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(m: Value) -> Matcher {
        Matcher::parse(m).expect("a valid matcher")
    }

    fn ok(m: Value, a: Value) -> bool {
        check(&parsed(m), Some(&a), &Vars::new()).is_empty()
    }

    #[test]
    fn objects_match_as_subsets_and_scalars_keep_their_type() {
        assert!(ok(json!({"id": 1}), json!({"id": 1, "result": {}})));
        assert!(!ok(json!({"id": 1}), json!({"id": "1"})));
        assert!(!ok(json!({"id": 1}), json!({"id": 1.0})));
        assert!(!ok(json!({"id": 1}), json!({"result": {}})));
    }

    #[test]
    fn absent_and_any_of_handle_missing_keys() {
        assert!(ok(
            json!({"error": {"$absent": true}}),
            json!({"result": {}})
        ));
        assert!(!ok(
            json!({"error": {"$absent": true}}),
            json!({"error": null})
        ));
        let m = json!({"id": {"$any_of": [null, {"$absent": true}]}});
        assert!(ok(m.clone(), json!({})));
        assert!(ok(m.clone(), json!({"id": null})));
        assert!(!ok(m, json!({"id": 0})));
    }

    #[test]
    fn operators_check_types_sets_and_arrays() {
        assert!(ok(json!({"$type": "number"}), json!(3)));
        assert!(!ok(json!({"$type": "integer"}), json!(3.5)));
        assert!(ok(json!({"$in": [1, 2]}), json!(2)));
        assert!(ok(
            json!({"$each": {"$type": "string"}, "$min_items": 1}),
            json!(["a"])
        ));
        assert!(!ok(json!({"$each": {"$type": "string"}}), json!(["a", 1])));
        assert!(ok(
            json!({"$each_value": {"m": 1}}),
            json!({"a": {"m": 1}, "b/c": {"m": 1}})
        ));
        assert!(!ok(
            json!({"$each_value": {"m": 1}}),
            json!({"a": {"m": 2}})
        ));
        assert!(!ok(json!({"$each_value": {"m": 1}}), json!([{"m": 1}])));
        assert!(ok(
            json!({"$contains": {"id": 2}}),
            json!([{"id": 1}, {"id": 2}])
        ));
        assert!(!ok(
            json!({"$unique_by": "/name"}),
            json!([{"name": "a"}, {"name": "a"}])
        ));
        assert!(ok(json!({"$regex": "^[!-~]+$"}), json!("abc")));
        assert!(!ok(json!({"$regex": "^[!-~]+$"}), json!("a b")));
        assert!(!ok(json!({"$eq": {}}), json!({"x": 1})));
    }

    #[test]
    fn variables_are_compared_by_value_and_type() {
        let mut vars = Vars::new();
        vars.insert("ids".into(), json!(["a", 1]));
        vars.insert("rev".into(), json!("2025-11-25"));
        assert!(check(&parsed(json!({"$in_var": "ids"})), Some(&json!(1)), &vars).is_empty());
        assert!(!check(&parsed(json!({"$in_var": "ids"})), Some(&json!("1")), &vars).is_empty());
        assert!(check(
            &parsed(json!({"$var": "rev"})),
            Some(&json!("2025-11-25")),
            &vars
        )
        .is_empty());
        assert!(!check(&parsed(json!({"$var": "nope"})), Some(&json!(1)), &vars).is_empty());
    }

    #[test]
    fn ordering_schemas_and_pointer_variables() {
        assert!(ok(
            json!({"$increasing": "/p"}),
            json!([{"p": 1}, {"p": 2.5}])
        ));
        assert!(!ok(
            json!({"$increasing": "/p"}),
            json!([{"p": 1}, {"p": 1}])
        ));
        let mut vars = Vars::new();
        vars.insert(
            "tool".into(),
            json!({"outputSchema": {"type": "object", "required": ["sum"]}}),
        );
        let m = json!({"$conforms_to": "tool/outputSchema"});
        assert!(check(&parsed(m.clone()), Some(&json!({"sum": 1})), &vars).is_empty());
        assert!(!check(&parsed(m.clone()), Some(&json!({"total": 1})), &vars).is_empty());
        assert!(ok(json!({"$is_schema": true}), json!({"type": "object"})));
        assert!(!ok(json!({"$is_schema": true}), json!({"type": "objekt"})));
        // A dialect the harness does not implement cannot be judged: no mismatch.
        assert!(ok(
            json!({"$is_schema": true}),
            json!({"$schema": "https://example.invalid/x", "type": "object"})
        ));
    }

    #[test]
    fn templates_are_rendered_when_checking() {
        let mut vars = Vars::new();
        vars.insert("tool".into(), json!({"name": "echo", "n": 3}));
        vars.insert("want".into(), json!({"a": 1}));
        let holds = |m: Value, a: Value, vars: &Vars| check(&parsed(m), Some(&a), vars).is_empty();
        // A lone reference gives the value, matched as a matcher (an object as a subset).
        assert!(holds(
            json!({"x": "${want}"}),
            json!({"x": {"a": 1, "b": 2}}),
            &vars
        ));
        assert!(holds(
            json!({"name": "tool-${tool/name}"}),
            json!({"name": "tool-echo"}),
            &vars
        ));
        assert!(holds(json!({"$eq": "${tool/n}"}), json!(3), &vars));
        assert!(holds(
            json!({"$in": ["${tool/name}", "x"]}),
            json!("echo"),
            &vars
        ));
        assert!(holds(json!({"$var": "${tool/name}"}), json!(null), &{
            let mut v = vars.clone();
            v.insert("echo".into(), json!(null));
            v
        }));
        // Unknown names stay as text.
        assert!(holds(json!("${nope}"), json!("${nope}"), &vars));
        // Messages show the argument rendered.
        let m = check(&parsed(json!({"$eq": "${tool/n}"})), Some(&json!(4)), &vars);
        assert_eq!(m[0].problem, "expected exactly 3, got integer 4");
        // A variable's value is not rendered again.
        vars.insert("t".into(), json!("${tool/n}"));
        assert!(holds(json!("${t}"), json!("${tool/n}"), &vars));
        assert_eq!(
            parsed(json!({"a": "${tool/n}"})).shown(&vars),
            json!({"a": 3})
        );
    }

    #[test]
    fn mismatch_texts_are_stable() {
        let vars = Vars::new();
        let texts = |m: Value, a: Option<Value>| -> Vec<String> {
            check(&parsed(m), a.as_ref(), &vars)
                .iter()
                .map(|x| x.to_string())
                .collect()
        };
        assert_eq!(
            texts(
                json!({"id": 1, "error": {"$absent": true}}),
                Some(json!({"id": "1", "error": {}}))
            ),
            vec![
                "at /id: expected integer 1, got string \"1\"",
                "at /error: expected no such key, got object {}"
            ]
        );
        assert_eq!(
            texts(json!({"$any_of": [1, 2]}), None),
            vec!["at (message): matches none of [1,2]; got nothing (missing)"]
        );
        assert_eq!(
            texts(
                json!({"a": {"$type": ["string", "null"]}}),
                Some(json!({"a": 1}))
            ),
            vec!["at /a: expected type string or null, got integer 1"]
        );
        assert_eq!(
            texts(json!({"$each": {"$min_items": 1}}), Some(json!([[], [1]]))),
            vec!["at (message): at /0: expected at least 1 items, got 0"]
        );
        assert_eq!(
            texts(json!({"a": {"$regex": "^a"}}), Some(json!({}))),
            vec!["at /a: missing; expected $regex \"^a\""]
        );
        assert_eq!(
            texts(json!({"$regex": "^a"}), Some(json!("b"))),
            vec!["at (message): string \"b\" does not match /^a/"]
        );
        assert_eq!(
            texts(
                json!([1, {"$not": {"$type": "string"}}]),
                Some(json!([1, "x"]))
            ),
            vec!["at /1: must not match {\"$type\":\"string\"}"]
        );
    }

    #[test]
    fn validation_rejects_typos() {
        assert_eq!(
            validate(&json!({"a": [{"$tpye": "string"}]})).map_err(|e| e.to_string()),
            Err("unknown matcher operator `$tpye` at /a/0/$tpye".into())
        );
        assert_eq!(
            validate(&json!({"$increasing": "p"})).map_err(|e| e.to_string()),
            Err("`$increasing` takes a JSON pointer at /$increasing".into())
        );
        assert_eq!(
            validate(&json!({"$any_of": [{"$range": [1]}]})).map_err(|e| e.to_string()),
            Err("`$range` takes [low, high] at /$any_of/0/$range".into())
        );
        assert!(validate(&json!({"$type": "str"})).is_err());
        assert!(validate(&json!({"a": 1, "$type": "string"})).is_err());
        assert!(validate(&json!({"$regex": "("})).is_err());
        assert!(validate(&json!({"result": {"$eq": {}}})).is_ok());
    }
}
