//! The typed matcher: a case file's matcher JSON parsed once, when the case loads.
//!
//! [`OPERATORS`] is the one list of operators: each entry's name, the argument it takes,
//! when it holds and how its argument is parsed. The documentation (`cases/README.md`,
//! the case schema's description of a matcher) is generated from it.

use std::borrow::Cow;

use regex::Regex;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::template::{has_template, Template};
use crate::json_schema::pointer;

/// A matcher as written in a case file, parsed: a typo is an error at load time, and
/// checking walks this tree instead of re-reading the JSON.
#[derive(Debug, Clone)]
pub struct Matcher {
    source: Value,
    pub(super) node: Node,
}

/// One node of the tree.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// A scalar: equal value of the same JSON type.
    Literal(Value),
    /// A string with `${…}`: rendered when checking, then matched as a matcher.
    Template(Template),
    /// A plain object: every key it names matches in the actual object.
    Object(Vec<(String, Node)>),
    /// An array: element by element, same length.
    Array(Vec<Node>),
    /// An operator object: every operator holds.
    Ops(Vec<OpCall>),
}

/// One operator of an operator object, with its argument as written (for messages).
#[derive(Debug, Clone)]
pub(super) struct OpCall {
    pub name: &'static str,
    pub arg: Value,
    /// Whether `arg` holds a template (it is then shown rendered).
    pub templated: bool,
    pub op: Op,
}

/// An operator with its parsed argument.
#[derive(Debug, Clone)]
pub(super) enum Op {
    Absent,
    Present,
    Type(Vec<&'static str>),
    /// `$eq`: the argument is the value.
    Eq,
    /// `$in`: the argument is the list.
    In,
    Var(Text),
    InVar(Text),
    Not(Box<Node>),
    AnyOf(Vec<Node>),
    AllOf(Vec<Node>),
    Each(Box<Node>),
    EachValue(Box<Node>),
    Contains(Box<Node>),
    MinItems(u64),
    MaxItems(u64),
    Regex(Regex),
    UniqueBy(Text),
    Increasing(Text),
    ConformsTo(Text),
    Range(f64, f64),
    IsSchema,
}

/// A string argument (a variable name, a JSON pointer) that may hold a template.
#[derive(Debug, Clone)]
pub(super) enum Text {
    Plain(String),
    Template(Template),
}

/// An operator of the matcher language.
pub struct Operator {
    /// `$absent`, `$type`, …
    pub name: &'static str,
    /// The argument, as documented (`true`, `M`, `[V…]`, …).
    pub takes: &'static str,
    /// When the operator holds.
    pub holds: &'static str,
    parse: fn(&Value, &Place) -> Result<Op, String>,
}

/// Where a value being parsed sits, and whether its strings may be templates.
struct Place<'a> {
    name: &'static str,
    /// JSON pointer of the operator within the matcher.
    at: &'a str,
    templates: bool,
}

/// The JSON types `$type` names.
const TYPES: [&str; 7] = [
    "null", "boolean", "integer", "number", "string", "array", "object",
];

/// Every operator, in the order the documentation lists them.
pub const OPERATORS: [Operator; 21] = [
    Operator {
        name: "$absent",
        takes: "`true`",
        holds: "the key is not present",
        parse: |a, p| flag(a, p).map(|()| Op::Absent),
    },
    Operator {
        name: "$present",
        takes: "`true`",
        holds: "the key is present (any value)",
        parse: |a, p| flag(a, p).map(|()| Op::Present),
    },
    Operator {
        name: "$type",
        takes: "`T` or `[T…]`",
        holds: "the JSON type is T (`null boolean integer number string array object`; `number` includes integers)",
        parse: |a, p| type_names(a, p).map(Op::Type),
    },
    Operator {
        name: "$eq",
        takes: "`V`",
        holds: "deep equality with V, no extra keys allowed",
        parse: |_, _| Ok(Op::Eq),
    },
    Operator {
        name: "$in",
        takes: "`[V…]`",
        holds: "deep-equal to one of the values",
        parse: |a, p| match a {
            Value::Array(_) => Ok(Op::In),
            _ => Err(format!("`$in` takes a list at {}", p.at)),
        },
    },
    Operator {
        name: "$var",
        takes: "`name`",
        holds: "deep-equal to a captured or built-in variable",
        parse: |a, p| variable(a, p).map(Op::Var),
    },
    Operator {
        name: "$in_var",
        takes: "`name`",
        holds: "deep-equal to an element of an array variable",
        parse: |a, p| variable(a, p).map(Op::InVar),
    },
    Operator {
        name: "$not",
        takes: "`M`",
        holds: "M does not match",
        parse: |a, p| sub(a, p).map(Op::Not),
    },
    Operator {
        name: "$any_of",
        takes: "`[M…]`",
        holds: "at least one matcher matches",
        parse: |a, p| subs(a, p).map(Op::AnyOf),
    },
    Operator {
        name: "$all_of",
        takes: "`[M…]`",
        holds: "every matcher matches",
        parse: |a, p| subs(a, p).map(Op::AllOf),
    },
    Operator {
        name: "$each",
        takes: "`M`",
        holds: "the value is an array and every element matches M",
        parse: |a, p| sub(a, p).map(Op::Each),
    },
    Operator {
        name: "$each_value",
        takes: "`M`",
        holds: "the value is an object and every member value matches M",
        parse: |a, p| sub(a, p).map(Op::EachValue),
    },
    Operator {
        name: "$contains",
        takes: "`M`",
        holds: "the value is an array with at least one element matching M",
        parse: |a, p| sub(a, p).map(Op::Contains),
    },
    Operator {
        name: "$min_items",
        takes: "`n`",
        holds: "the value is an array (or object) with at least n elements (keys)",
        parse: |a, p| count(a, p).map(Op::MinItems),
    },
    Operator {
        name: "$max_items",
        takes: "`n`",
        holds: "the value is an array (or object) with at most n elements (keys)",
        parse: |a, p| count(a, p).map(Op::MaxItems),
    },
    Operator {
        name: "$regex",
        takes: "`R`",
        holds: "the value is a string matching R (unanchored; anchor it yourself; no `${…}`)",
        parse: |a, p| regex(a, p).map(Op::Regex),
    },
    Operator {
        name: "$unique_by",
        takes: "`P`",
        holds: "the value is an array whose elements' values at JSON pointer P are all distinct",
        parse: |a, p| pointer(a, p).map(Op::UniqueBy),
    },
    Operator {
        name: "$increasing",
        takes: "`P`",
        holds: "the value is an array whose elements' numbers at JSON pointer P strictly increase",
        parse: |a, p| pointer(a, p).map(Op::Increasing),
    },
    Operator {
        name: "$conforms_to",
        takes: "`name`",
        holds: "the value validates against the JSON Schema held in a variable (remote references are never fetched)",
        parse: |a, p| variable(a, p).map(Op::ConformsTo),
    },
    Operator {
        name: "$is_schema",
        takes: "`true`",
        holds: "the value is a valid JSON Schema of its `$schema` dialect (2020-12 when absent)",
        parse: |a, p| flag(a, p).map(|()| Op::IsSchema),
    },
    Operator {
        name: "$range",
        takes: "`[lo, hi]`",
        holds: "the value is a number with lo ≤ value ≤ hi",
        parse: |a, p| range(a, p),
    },
];

fn flag(arg: &Value, p: &Place) -> Result<(), String> {
    match arg {
        Value::Bool(true) => Ok(()),
        _ => Err(format!("`{}` takes `true` at {}", p.name, p.at)),
    }
}

fn type_names(arg: &Value, p: &Place) -> Result<Vec<&'static str>, String> {
    let names: Vec<&Value> = match arg {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    names
        .into_iter()
        .map(|n| {
            n.as_str()
                .and_then(|s| TYPES.iter().copied().find(|t| *t == s))
                .ok_or_else(|| format!("`$type` names no JSON type at {}: {n}", p.at))
        })
        .collect()
}

fn text(s: &str, p: &Place) -> Text {
    match Template::parse(s).filter(|_| p.templates) {
        Some(t) => Text::Template(t),
        None => Text::Plain(s.to_string()),
    }
}

fn variable(arg: &Value, p: &Place) -> Result<Text, String> {
    match arg {
        Value::String(s) => Ok(text(s, p)),
        _ => Err(format!("`{}` takes a variable name at {}", p.name, p.at)),
    }
}

fn pointer(arg: &Value, p: &Place) -> Result<Text, String> {
    match arg.as_str() {
        Some(s) if s.is_empty() || s.starts_with('/') => Ok(text(s, p)),
        _ => Err(format!("`{}` takes a JSON pointer at {}", p.name, p.at)),
    }
}

fn count(arg: &Value, p: &Place) -> Result<u64, String> {
    arg.as_u64()
        .ok_or_else(|| format!("`{}` takes a count at {}", p.name, p.at))
}

fn regex(arg: &Value, p: &Place) -> Result<Regex, String> {
    let Some(src) = arg.as_str() else {
        return Err(format!("`$regex` takes a string at {}", p.at));
    };
    Regex::new(src).map_err(|e| format!("bad `$regex` at {}: {e}", p.at))
}

fn range(arg: &Value, p: &Place) -> Result<Op, String> {
    if let Some([lo, hi]) = arg.as_array().map(Vec::as_slice) {
        if let (Some(lo), Some(hi)) = (lo.as_f64(), hi.as_f64()) {
            return Ok(Op::Range(lo, hi));
        }
    }
    Err(format!("`$range` takes [low, high] at {}", p.at))
}

fn sub(arg: &Value, p: &Place) -> Result<Box<Node>, String> {
    node(arg, p.at, p.templates).map(Box::new)
}

fn subs(arg: &Value, p: &Place) -> Result<Vec<Node>, String> {
    match arg {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| node(item, &format!("{}/{i}", p.at), p.templates))
            .collect(),
        _ => Err(format!("`{}` takes a non-empty list at {}", p.name, p.at)),
    }
}

fn is_operator_object(m: &serde_json::Map<String, Value>) -> bool {
    !m.is_empty() && m.keys().all(|k| k.starts_with('$'))
}

/// Parses the matcher `m` found at pointer `path`; `templates`: whether `${…}` strings
/// are templates (not in a variable's value used as a matcher).
fn node(m: &Value, path: &str, templates: bool) -> Result<Node, String> {
    match m {
        Value::Object(map) if is_operator_object(map) => map
            .iter()
            .map(|(op, arg)| op_call(op, arg, &format!("{path}/{op}"), templates))
            .collect::<Result<_, _>>()
            .map(Node::Ops),
        Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map {
                if k.starts_with('$') {
                    return Err(format!(
                        "operator `{k}` mixed with plain keys at {path}: put operators in an object of their own"
                    ));
                }
                entries.push((k.clone(), node(v, &pointer::join(path, k), templates)?));
            }
            Ok(Node::Object(entries))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| node(item, &format!("{path}/{i}"), templates))
            .collect::<Result<_, _>>()
            .map(Node::Array),
        Value::String(s) if templates => Ok(match Template::parse(s) {
            Some(t) => Node::Template(t),
            None => Node::Literal(m.clone()),
        }),
        literal => Ok(Node::Literal(literal.clone())),
    }
}

fn op_call(name: &str, arg: &Value, at: &str, templates: bool) -> Result<OpCall, String> {
    let Some(spec) = OPERATORS.iter().find(|o| o.name == name) else {
        return Err(format!("unknown matcher operator `{name}` at {at}"));
    };
    let place = Place {
        name: spec.name,
        at,
        templates,
    };
    Ok(OpCall {
        name: spec.name,
        arg: arg.clone(),
        templated: templates && has_template(arg),
        op: (spec.parse)(arg, &place)?,
    })
}

impl Matcher {
    /// Parses a matcher from a case file (`${…}` strings are templates).
    pub fn parse(source: Value) -> Result<Matcher, String> {
        let node = node(&source, "", true)?;
        Ok(Matcher { source, node })
    }

    /// The tree of a variable's value used as a matcher: its strings are text.
    pub(super) fn resolved(value: &Value) -> Result<Node, String> {
        node(value, "", false)
    }

    /// The matcher as written.
    pub fn source(&self) -> &Value {
        &self.source
    }
}

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = Value::deserialize(d)?;
        Matcher::parse(source).map_err(serde::de::Error::custom)
    }
}

/// The operators as a Markdown table (the one in `cases/README.md`).
pub fn operator_table() -> String {
    let mut out = String::from("| operator | holds when |\n|---|---|\n");
    for o in &OPERATORS {
        let takes = o.takes.trim_matches('`');
        out.push_str(&format!("| `{}: {takes}` | {} |\n", o.name, o.holds));
    }
    out
}

impl JsonSchema for Matcher {
    fn schema_name() -> Cow<'static, str> {
        "Matcher".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = OPERATORS.iter().map(|o| o.name).collect();
        let description = format!(
            "A matcher (cases/README.md, \"Matchers\"). An object matches when every key it names matches (other keys are allowed), an array element by element with the same length, a scalar an equal scalar of the same JSON type; `${{name}}` strings are replaced by variables. An object whose keys all start with `$` is an operator object; all its operators must hold. Operators: {}.",
            names.join(", ")
        );
        json_schema!({ "description": description })
    }
}
