//! The matcher language of case files.
//!
//! A matcher is JSON. A plain object matches when every key it names matches in the
//! actual object (other keys are allowed); an array matches element by element with
//! the same length; a scalar matches an equal scalar of the same JSON type (`1` is not
//! `"1"`, nor `1.0`). An object whose keys all start with `$` is an operator object;
//! all its operators must hold:
//!
//! | operator | holds when |
//! |---|---|
//! | `$absent: true` | the key is not present |
//! | `$present: true` | the key is present (any value) |
//! | `$type: T` or `[T…]` | the JSON type is T (`null boolean integer number string array object`; `number` includes integers) |
//! | `$eq: V` | deep equality with V, no extra keys allowed |
//! | `$in: [V…]` | deep-equal to one of the values |
//! | `$var: name` | deep-equal to a captured or built-in variable |
//! | `$in_var: name` | deep-equal to an element of an array variable |
//! | `$not: M` | M does not match |
//! | `$any_of: [M…]` | at least one matcher matches |
//! | `$all_of: [M…]` | every matcher matches |
//! | `$each: M` | the value is an array and every element matches M |
//! | `$each_value: M` | the value is an object and every member value matches M |
//! | `$contains: M` | the value is an array with at least one element matching M |
//! | `$min_items: n` / `$max_items: n` | array (or object key count) bounds |
//! | `$regex: R` | the value is a string matching R (unanchored; anchor it yourself) |
//! | `$unique_by: P` | the value is an array whose elements' values at JSON pointer P are all distinct |
//! | `$increasing: P` | the value is an array whose elements' numbers at JSON pointer P strictly increase |
//! | `$conforms_to: name` | the value validates against the JSON Schema held in a variable |
//! | `$range: [lo, hi]` | the value is a number with lo ≤ value ≤ hi |
//! | `$is_schema: true` | the value is a valid JSON Schema of its `$schema` dialect (2020-12 when absent) |
//!
//! Variable names may carry a JSON pointer: `tool/inputSchema` is the `inputSchema`
//! member of variable `tool` (also in `${…}` substitution).

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

use crate::check::published::Judged;
use crate::json_schema::{json_type, pointer};

pub type Vars = BTreeMap<String, Value>;

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

const OPERATORS: [&str; 21] = [
    "$absent",
    "$present",
    "$type",
    "$eq",
    "$in",
    "$var",
    "$in_var",
    "$not",
    "$any_of",
    "$all_of",
    "$each",
    "$each_value",
    "$contains",
    "$min_items",
    "$max_items",
    "$regex",
    "$unique_by",
    "$increasing",
    "$conforms_to",
    "$is_schema",
    "$range",
];

/// A variable's value, or the value at a JSON pointer inside it (`name/pointer`).
pub fn lookup<'a>(vars: &'a Vars, path: &str) -> Option<&'a Value> {
    match path.split_once('/') {
        None => vars.get(path),
        Some((name, rest)) => vars.get(name)?.pointer(&format!("/{rest}")),
    }
}

const TYPES: [&str; 7] = [
    "null", "boolean", "integer", "number", "string", "array", "object",
];

fn is_operator_object(m: &serde_json::Map<String, Value>) -> bool {
    !m.is_empty() && m.keys().all(|k| k.starts_with('$'))
}

/// Checks a matcher's own spelling (at case load time), so that a typo in a case
/// file is a load error and not a silent mismatch at run time.
pub fn validate(matcher: &Value) -> Result<(), String> {
    validate_at(matcher, "")
}

fn validate_at(m: &Value, path: &str) -> Result<(), String> {
    match m {
        Value::Object(map) if is_operator_object(map) => {
            for (op, arg) in map {
                let here = format!("{path}/{op}");
                if !OPERATORS.contains(&op.as_str()) {
                    return Err(format!("unknown matcher operator `{op}` at {here}"));
                }
                match op.as_str() {
                    "$absent" | "$present" | "$is_schema" if arg != &Value::Bool(true) => {
                        return Err(format!("`{op}` takes `true` at {here}"))
                    }
                    "$type" => {
                        let names: Vec<&Value> = match arg {
                            Value::Array(a) => a.iter().collect(),
                            other => vec![other],
                        };
                        for n in names {
                            if !n.as_str().is_some_and(|s| TYPES.contains(&s)) {
                                return Err(format!("`$type` names no JSON type at {here}: {n}"));
                            }
                        }
                    }
                    "$range"
                        if !arg
                            .as_array()
                            .is_some_and(|a| a.len() == 2 && a.iter().all(Value::is_number)) =>
                    {
                        return Err(format!("`$range` takes [low, high] at {here}"))
                    }
                    "$in" if !arg.is_array() => {
                        return Err(format!("`$in` takes a list at {here}"))
                    }
                    "$var" | "$in_var" | "$conforms_to" if !arg.is_string() => {
                        return Err(format!("`{op}` takes a variable name at {here}"))
                    }
                    "$not" | "$each" | "$each_value" | "$contains" => validate_at(arg, &here)?,
                    "$any_of" | "$all_of" => match arg {
                        Value::Array(items) if !items.is_empty() => {
                            for (i, item) in items.iter().enumerate() {
                                validate_at(item, &format!("{here}/{i}"))?;
                            }
                        }
                        _ => return Err(format!("`{op}` takes a non-empty list at {here}")),
                    },
                    "$min_items" | "$max_items" if !arg.is_u64() => {
                        return Err(format!("`{op}` takes a count at {here}"))
                    }
                    "$regex" => {
                        let Some(src) = arg.as_str() else {
                            return Err(format!("`$regex` takes a string at {here}"));
                        };
                        Regex::new(src).map_err(|e| format!("bad `$regex` at {here}: {e}"))?;
                    }
                    "$unique_by" | "$increasing"
                        if !arg
                            .as_str()
                            .is_some_and(|p| p.is_empty() || p.starts_with('/')) =>
                    {
                        return Err(format!("`$unique_by` takes a JSON pointer at {here}"))
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, v) in map {
                if k.starts_with('$') {
                    return Err(format!(
                        "operator `{k}` mixed with plain keys at {path}: put operators in an object of their own"
                    ));
                }
                validate_at(v, &pointer::join(path, k))?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                validate_at(item, &format!("{path}/{i}"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Matches `actual` (None = key absent) against `matcher`; collects every mismatch.
pub fn check(matcher: &Value, actual: Option<&Value>, vars: &Vars) -> Vec<Mismatch> {
    let mut out = Vec::new();
    check_at(matcher, actual, vars, "", &mut out);
    out
}

fn check_at(m: &Value, actual: Option<&Value>, vars: &Vars, path: &str, out: &mut Vec<Mismatch>) {
    let miss = |problem: String| Mismatch {
        path: path.to_string(),
        problem,
    };
    match m {
        Value::Object(map) if is_operator_object(map) => {
            for (op, arg) in map {
                if let Some(problem) = check_operator(op, arg, actual, vars, path) {
                    out.push(miss(problem));
                }
            }
        }
        Value::Object(map) => match actual {
            Some(Value::Object(obj)) => {
                for (k, sub) in map {
                    check_at(sub, obj.get(k), vars, &pointer::join(path, k), out);
                }
            }
            Some(other) => out.push(miss(format!("expected an object, got {}", describe(other)))),
            None => out.push(miss("missing; expected an object".into())),
        },
        Value::Array(items) => match actual {
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
        literal => match actual {
            Some(a) if a == literal => {}
            Some(a) => out.push(miss(format!(
                "expected {}, got {}",
                describe(literal),
                describe(a)
            ))),
            None => out.push(miss(format!("missing; expected {}", describe(literal)))),
        },
    }
}

/// `None` when the operator holds, else the problem.
fn check_operator(
    op: &str,
    arg: &Value,
    actual: Option<&Value>,
    vars: &Vars,
    path: &str,
) -> Option<String> {
    let holds = |m: &Value| check(m, actual, vars).is_empty();
    match op {
        "$absent" => actual.map(|a| format!("expected no such key, got {}", describe(a))),
        "$present" => actual.is_none().then(|| "missing".to_string()),
        "$not" => holds(arg).then(|| format!("must not match {}", compact(arg))),
        "$any_of" => {
            let items = arg.as_array()?;
            if items.iter().any(holds) {
                None
            } else {
                Some(format!(
                    "matches none of {}; got {}",
                    compact(arg),
                    actual
                        .map(describe)
                        .unwrap_or_else(|| "nothing (missing)".into())
                ))
            }
        }
        "$all_of" => {
            let items = arg.as_array()?;
            let mut problems = Vec::new();
            for item in items {
                let mut sub = Vec::new();
                check_at(item, actual, vars, path, &mut sub);
                problems.extend(sub.into_iter().map(|m| m.to_string()));
            }
            (!problems.is_empty()).then(|| problems.join("; "))
        }
        _ => {
            let Some(a) = actual else {
                return Some(format!("missing; expected {op} {}", compact(arg)));
            };
            check_present_operator(op, arg, a, vars, path)
        }
    }
}

fn check_present_operator(
    op: &str,
    arg: &Value,
    a: &Value,
    vars: &Vars,
    path: &str,
) -> Option<String> {
    match op {
        "$type" => {
            let names: Vec<&str> = match arg {
                Value::Array(xs) => xs.iter().filter_map(Value::as_str).collect(),
                other => other.as_str().into_iter().collect(),
            };
            let t = json_type(a);
            let ok = names
                .iter()
                .any(|n| *n == t || (*n == "number" && t == "integer"));
            (!ok).then(|| format!("expected type {}, got {}", names.join(" or "), describe(a)))
        }
        "$eq" => {
            (a != arg).then(|| format!("expected exactly {}, got {}", compact(arg), describe(a)))
        }
        "$in" => {
            let ok = arg.as_array().is_some_and(|xs| xs.contains(a));
            (!ok).then(|| format!("expected one of {}, got {}", compact(arg), describe(a)))
        }
        "$var" => {
            let name = arg.as_str().unwrap_or_default();
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
        "$in_var" => {
            let name = arg.as_str().unwrap_or_default();
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
        "$each" => match a {
            Value::Array(xs) => {
                let mut problems = Vec::new();
                for (i, x) in xs.iter().enumerate() {
                    let mut sub = Vec::new();
                    check_at(arg, Some(x), vars, &format!("{path}/{i}"), &mut sub);
                    problems.extend(sub.into_iter().map(|m| m.to_string()));
                }
                (!problems.is_empty()).then(|| problems.join("; "))
            }
            other => Some(format!("expected an array, got {}", describe(other))),
        },
        "$each_value" => match a {
            Value::Object(members) => {
                let mut problems = Vec::new();
                for (k, x) in members {
                    let mut sub = Vec::new();
                    check_at(arg, Some(x), vars, &pointer::join(path, k), &mut sub);
                    problems.extend(sub.into_iter().map(|m| m.to_string()));
                }
                (!problems.is_empty()).then(|| problems.join("; "))
            }
            other => Some(format!("expected an object, got {}", describe(other))),
        },
        "$contains" => match a {
            Value::Array(xs) => {
                let ok = xs.iter().any(|x| check(arg, Some(x), vars).is_empty());
                (!ok).then(|| format!("no element matches {}", compact(arg)))
            }
            other => Some(format!("expected an array, got {}", describe(other))),
        },
        "$min_items" | "$max_items" => {
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
            let bound = arg.as_u64().unwrap_or(0) as usize;
            if op == "$min_items" && n < bound {
                Some(format!("expected at least {bound} items, got {n}"))
            } else if op == "$max_items" && n > bound {
                Some(format!("expected at most {bound} items, got {n}"))
            } else {
                None
            }
        }
        "$regex" => {
            let src = arg.as_str().unwrap_or_default();
            let re = match Regex::new(src) {
                Ok(r) => r,
                Err(e) => return Some(format!("bad regex: {e}")),
            };
            match a.as_str() {
                Some(s) if re.is_match(s) => None,
                Some(s) => Some(format!("string {s:?} does not match /{src}/")),
                None => Some(format!(
                    "expected a string matching /{src}/, got {}",
                    describe(a)
                )),
            }
        }
        "$unique_by" => {
            let pointer = arg.as_str().unwrap_or_default();
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
        "$increasing" => {
            let pointer = arg.as_str().unwrap_or_default();
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
        "$conforms_to" => {
            let name = arg.as_str().unwrap_or_default();
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
        "$range" => {
            let bounds: Vec<f64> = arg
                .as_array()
                .map(|b| b.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            match (a.as_f64(), bounds.as_slice()) {
                (Some(n), [lo, hi]) if *lo <= n && n <= *hi => None,
                (Some(_), _) => Some(format!(
                    "expected a number in {}, got {}",
                    compact(arg),
                    describe(a)
                )),
                (None, _) => Some(format!("expected a number, got {}", describe(a))),
            }
        }
        "$is_schema" => {
            let revision = vars.get("revision").and_then(Value::as_str);
            match crate::check::published::judge_schema(a, revision) {
                Judged::Holds | Judged::CannotJudge(_) => None,
                Judged::Broken(e) => Some(format!("not a valid JSON Schema: {e}")),
            }
        }
        other => Some(format!("unknown operator {other}")),
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

    fn ok(m: Value, a: Value) -> bool {
        check(&m, Some(&a), &Vars::new()).is_empty()
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
        assert!(check(&json!({"$in_var": "ids"}), Some(&json!(1)), &vars).is_empty());
        assert!(!check(&json!({"$in_var": "ids"}), Some(&json!("1")), &vars).is_empty());
        assert!(check(&json!({"$var": "rev"}), Some(&json!("2025-11-25")), &vars).is_empty());
        assert!(!check(&json!({"$var": "nope"}), Some(&json!(1)), &vars).is_empty());
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
        assert!(check(&m, Some(&json!({"sum": 1})), &vars).is_empty());
        assert!(!check(&m, Some(&json!({"total": 1})), &vars).is_empty());
        assert!(ok(json!({"$is_schema": true}), json!({"type": "object"})));
        assert!(!ok(json!({"$is_schema": true}), json!({"type": "objekt"})));
        // A dialect the harness does not implement cannot be judged: no mismatch.
        assert!(ok(
            json!({"$is_schema": true}),
            json!({"$schema": "https://example.invalid/x", "type": "object"})
        ));
    }

    #[test]
    fn validation_rejects_typos() {
        assert!(validate(&json!({"$tpye": "string"})).is_err());
        assert!(validate(&json!({"$type": "str"})).is_err());
        assert!(validate(&json!({"a": 1, "$type": "string"})).is_err());
        assert!(validate(&json!({"$regex": "("})).is_err());
        assert!(validate(&json!({"result": {"$eq": {}}})).is_ok());
    }
}
