//! The envelope family: `tools/call` requests whose JSON-RPC and `CallToolRequest`
//! envelope is varied while the tool's arguments stay valid (`arguments` omitted, null,
//! an array; `name` missing, not a string, unknown; `params` omitted, null, an array;
//! unknown members; odd `_meta`; string ids).
//!
//! An input is a list of [`Edit`]s applied to the plain request: the first is its
//! primary edit, the rest are decorations (edits that keep the request legal). Each tool gets the [`ENUMERATED`] inputs
//! (one primary edit each, no decoration) and [`GENERATED`] drawn ones (a primary edit
//! with up to three decorations). Shrinking a drawn input removes decorations, moves its
//! primary edit toward the start of the enumerated list (the plain call with
//! `arguments: {}` first) and shrinks the valid arguments it carries.
//!
//! `arguments` omitted is legal and means what `arguments: {}` means: when the tool
//! answers the latter in time, it owes the former an answer in time too.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{json, Map, Value};

/// The unknown member added at the top level or in `params`.
pub const EXTRA_MEMBER: &str = "mcp_conform_extra";
/// The tool name no server lists.
pub const UNKNOWN_TOOL: &str = "mcp-conform-no-such-tool";
/// Longest `_meta` padding string (characters).
pub const META_PAD_CHARS: usize = 100_000;
/// Deepest `_meta` nesting (kept under the 128 levels serde_json parses by default,
/// the whole message included: the stressors of the invalid family go deeper).
pub const META_DEPTH: usize = 100;

/// One change to the plain `tools/call` request.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// `"arguments": {}` (the plain call without arguments; the control for
    /// [`Edit::OmitArguments`]).
    EmptyArguments,
    /// `params.arguments` left out (legal: it is optional).
    OmitArguments,
    /// `params.arguments` replaced by a value that is not an object.
    Arguments(Value),
    /// `params.name` left out.
    OmitName,
    /// `params.name` replaced (not a string, or a name the server does not list).
    Name(Value),
    /// No `params` at all.
    OmitParams,
    /// `"params": null`.
    ParamsNull,
    /// `params` as an array `[name, arguments]`.
    ParamsArray,
    /// An unknown member at the top level of the request.
    ExtraTop(Value),
    /// An unknown member in `params`.
    ExtraParams(Value),
    /// `params._meta` replaced by a value that is not an object.
    Meta(Value),
    /// A string of this many characters in `params._meta`.
    MetaPad(usize),
    /// Objects nested this deep in `params._meta`.
    MetaNested(usize),
    /// A string id instead of an integer one.
    StringId,
}

impl Edit {
    /// What the edit does, for reports.
    pub fn describe(&self) -> String {
        match self {
            Edit::EmptyArguments => "`arguments` is {}".into(),
            Edit::OmitArguments => "`arguments` omitted".into(),
            Edit::Arguments(v) => format!("`arguments` is {}", short(v)),
            Edit::OmitName => "`name` omitted".into(),
            Edit::Name(v) => format!("`name` is {}", short(v)),
            Edit::OmitParams => "`params` omitted".into(),
            Edit::ParamsNull => "`params` is null".into(),
            Edit::ParamsArray => "`params` is an array".into(),
            Edit::ExtraTop(v) => format!("unknown top-level member `{EXTRA_MEMBER}`: {}", short(v)),
            Edit::ExtraParams(v) => format!("unknown member `params.{EXTRA_MEMBER}`: {}", short(v)),
            Edit::Meta(v) => format!("`_meta` is {}", short(v)),
            Edit::MetaPad(n) => format!("a {n}-character string in `_meta`"),
            Edit::MetaNested(d) => format!("objects nested {d} deep in `_meta`"),
            Edit::StringId => "a string id".into(),
        }
    }

    /// The request no longer fits `CallToolRequest` where TOOL-08 names it: `name`
    /// missing or not a string, `arguments` not an object (and `params`, which holds
    /// `name`, missing or not an object).
    pub fn breaks_call_schema(&self) -> bool {
        match self {
            Edit::Arguments(_) | Edit::OmitName | Edit::OmitParams => true,
            Edit::ParamsNull | Edit::ParamsArray => true,
            Edit::Name(v) => !v.is_string(),
            _ => false,
        }
    }

    /// The request is one a server refuses at once (no tool runs), so an answer is due
    /// within the timeout: the edits that break the schema, and an unknown tool. (A
    /// `_meta` that is not an object may be ignored, and the tool run.)
    pub fn answer_due(&self) -> bool {
        self.breaks_call_schema() || matches!(self, Edit::Name(_))
    }

    /// The request still carries the arguments (so shrinking them can matter).
    pub fn sends_arguments(&self) -> bool {
        !matches!(
            self,
            Edit::EmptyArguments
                | Edit::OmitArguments
                | Edit::Arguments(_)
                | Edit::OmitParams
                | Edit::ParamsNull
        )
    }

    /// The edit changes which tool the request names (its outputSchema no longer applies).
    pub fn changes_tool(&self) -> bool {
        matches!(
            self,
            Edit::OmitName | Edit::Name(_) | Edit::OmitParams | Edit::ParamsNull
        )
    }
}

fn short(v: &Value) -> String {
    super::oracle::shorten(&v.to_string(), 60)
}

/// The inputs every tool gets, in order: one primary edit each.
pub fn enumerated() -> Vec<Edit> {
    vec![
        Edit::EmptyArguments,
        Edit::OmitArguments,
        Edit::Arguments(Value::Null),
        Edit::Arguments(json!([])),
        Edit::Arguments(json!("mcp-conform")),
        Edit::Arguments(json!(1)),
        Edit::OmitName,
        Edit::Name(json!(1)),
        Edit::Name(json!(UNKNOWN_TOOL)),
        Edit::OmitParams,
        Edit::ParamsNull,
        Edit::ParamsArray,
        Edit::ExtraTop(json!("mcp-conform")),
        Edit::ExtraParams(json!({"a": 1})),
        Edit::Meta(json!("mcp-conform")),
        Edit::MetaPad(META_PAD_CHARS),
        Edit::MetaNested(META_DEPTH),
        Edit::StringId,
    ]
}

/// Number of [`enumerated`] inputs.
pub const ENUMERATED: u32 = 18;
/// Generated inputs per tool (after the enumerated ones).
pub const GENERATED: u32 = 4;
/// Envelope inputs per tool: fixed, whatever `--fuzz-cases` says.
pub const CASES: u32 = ENUMERATED + GENERATED;

/// A decoration: an edit that keeps the request legal, removed by shrinking.
fn decoration() -> BoxedStrategy<Edit> {
    let member = prop_oneof![
        Just(json!("mcp-conform")),
        any::<i32>().prop_map(|n| json!(n)),
        Just(json!({"a": [1, 2]})),
    ];
    prop_oneof![
        member.clone().prop_map(Edit::ExtraTop),
        member.prop_map(Edit::ExtraParams),
        (1usize..=META_PAD_CHARS).prop_map(Edit::MetaPad),
        (1usize..=META_DEPTH).prop_map(Edit::MetaNested),
        Just(Edit::StringId),
    ]
    .boxed()
}

/// The strategy of envelope input `index` (0-based) of a tool: the edits, and the
/// arguments from `valid` (the tool's valid-input strategy).
pub fn strategy(index: u32, valid: BoxedStrategy<Value>) -> BoxedStrategy<(Vec<Edit>, Value)> {
    let list = enumerated();
    match list.get(index as usize) {
        // Arguments the request does not carry are left empty: nothing to shrink.
        Some(edit) if !edit.sends_arguments() => Just((vec![edit.clone()], json!({}))).boxed(),
        Some(edit) => {
            let edit = edit.clone();
            valid
                .prop_map(move |args| (vec![edit.clone()], args))
                .boxed()
        }
        None => {
            let primary = prop::sample::select(list);
            let decorations = prop::collection::vec(decoration(), 0..=3);
            (primary, decorations, valid)
                .prop_map(|(p, mut d, args)| {
                    d.insert(0, p);
                    (d, args)
                })
                .boxed()
        }
    }
}

/// The id a request `n` carries under `edits`: `n`, or a string made from it.
pub fn request_id(n: u64, edits: &[Edit]) -> Value {
    if edits.contains(&Edit::StringId) {
        json!(format!("mcp-conform-{n}"))
    } else {
        json!(n)
    }
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(json!(0), |inner, _| json!({ "a": inner }))
}

/// The `tools/call` request for `tool` with `arguments`, id `id` (also the progress
/// token), changed by `edits`.
pub fn request(tool: &str, id: &Value, arguments: &Value, edits: &[Edit]) -> Value {
    let mut params = Map::new();
    params.insert("name".into(), json!(tool));
    params.insert("arguments".into(), arguments.clone());
    params.insert("_meta".into(), json!({"progressToken": id}));
    let mut top = Map::new();
    top.insert("jsonrpc".into(), json!("2.0"));
    top.insert("id".into(), id.clone());
    top.insert("method".into(), json!("tools/call"));
    for edit in edits {
        edit_params(&mut params, &mut top, edit);
    }
    let shape = edits
        .iter()
        .rev()
        .find(|e| matches!(e, Edit::OmitParams | Edit::ParamsNull | Edit::ParamsArray));
    match shape {
        Some(Edit::OmitParams) => {}
        Some(Edit::ParamsNull) => {
            top.insert("params".into(), Value::Null);
        }
        Some(_) => {
            let name = params.get("name").cloned().unwrap_or(Value::Null);
            let args = params.get("arguments").cloned().unwrap_or(Value::Null);
            top.insert("params".into(), json!([name, args]));
        }
        None => {
            top.insert("params".into(), Value::Object(params));
        }
    }
    Value::Object(top)
}

fn edit_params(params: &mut Map<String, Value>, top: &mut Map<String, Value>, edit: &Edit) {
    let meta = |params: &mut Map<String, Value>, key: &str, v: Value| {
        if let Some(Value::Object(m)) = params.get_mut("_meta") {
            m.insert(key.into(), v);
        }
    };
    match edit {
        Edit::EmptyArguments => {
            params.insert("arguments".into(), json!({}));
        }
        Edit::OmitArguments => {
            params.remove("arguments");
        }
        Edit::Arguments(v) => {
            params.insert("arguments".into(), v.clone());
        }
        Edit::OmitName => {
            params.remove("name");
        }
        Edit::Name(v) => {
            params.insert("name".into(), v.clone());
        }
        Edit::ExtraTop(v) => {
            top.insert(EXTRA_MEMBER.into(), v.clone());
        }
        Edit::ExtraParams(v) => {
            params.insert(EXTRA_MEMBER.into(), v.clone());
        }
        Edit::Meta(v) => {
            params.insert("_meta".into(), v.clone());
        }
        Edit::MetaPad(n) => meta(params, "mcp-conform/pad", json!("A".repeat(*n))),
        Edit::MetaNested(d) => meta(params, "mcp-conform/nested", nested(*d)),
        Edit::OmitParams | Edit::ParamsNull | Edit::ParamsArray | Edit::StringId => {}
    }
}

/// What the edits leave as the arguments the tool sees: `{}` when they are omitted,
/// `None` when there are none to judge (not an object, or no `params` object).
pub fn effective_arguments(arguments: &Value, edits: &[Edit]) -> Option<Value> {
    let mut args = Some(arguments.clone());
    for e in edits {
        match e {
            Edit::EmptyArguments | Edit::OmitArguments => args = Some(json!({})),
            Edit::Arguments(_) | Edit::OmitParams | Edit::ParamsNull | Edit::ParamsArray => {
                args = None
            }
            _ => {}
        }
    }
    args
}

/// The edits described, primary first.
pub fn describe(edits: &[Edit]) -> String {
    let parts: Vec<String> = edits.iter().map(Edit::describe).collect();
    parts.join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;

    #[test]
    fn the_enumerated_list_is_counted() {
        assert_eq!(enumerated().len() as u32, ENUMERATED);
    }

    #[test]
    fn requests_are_built_as_the_edits_say() {
        let args = json!({"text": "hi"});
        let id = request_id(7, &[Edit::OmitArguments]);
        let r = request("echo", &id, &args, &[Edit::OmitArguments]);
        assert_eq!(
            r,
            json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": "echo", "_meta": {"progressToken": 7}}})
        );
        let edits = [Edit::ParamsArray, Edit::StringId];
        let id = request_id(8, &edits);
        let r = request("echo", &id, &args, &edits);
        assert_eq!(r["id"], json!("mcp-conform-8"));
        assert_eq!(r["params"], json!(["echo", {"text": "hi"}]));
        let r = request("echo", &json!(9), &args, &[Edit::OmitParams]);
        assert!(r.get("params").is_none());
        let r = request("echo", &json!(9), &args, &[Edit::MetaNested(2)]);
        assert_eq!(
            r["params"]["_meta"]["mcp-conform/nested"],
            json!({"a": {"a": 0}})
        );
    }

    #[test]
    fn judging_facts_follow_the_edits() {
        assert!(!Edit::OmitArguments.answer_due());
        assert!(Edit::Name(json!(UNKNOWN_TOOL)).answer_due());
        assert!(!Edit::Name(json!(UNKNOWN_TOOL)).breaks_call_schema());
        assert!(Edit::Name(json!(1)).breaks_call_schema());
        assert!(!Edit::StringId.answer_due());
        assert!(!Edit::Meta(json!(1)).answer_due());
        let args = json!({"text": "x"});
        assert_eq!(
            effective_arguments(&args, &[Edit::OmitArguments]),
            Some(json!({}))
        );
        assert_eq!(effective_arguments(&args, &[Edit::ParamsNull]), None);
        assert_eq!(effective_arguments(&args, &[Edit::StringId]), Some(args));
    }

    #[test]
    fn generated_inputs_shrink_to_their_primary_edit() {
        let valid = Just(json!({})).boxed();
        let s = strategy(ENUMERATED, valid);
        let mut runner = super::super::strategy::runner_for_seed(3, 16);
        for _ in 0..16 {
            let mut tree = s.new_tree(&mut runner).expect("a tree");
            // Always "still failing": shrinking goes as far as it can.
            while tree.simplify() {}
            let (edits, _) = tree.current();
            assert_eq!(edits, vec![Edit::EmptyArguments]);
        }
    }
}
