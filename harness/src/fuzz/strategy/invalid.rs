//! The invalid family: a valid document with one rule broken (or one
//! stressor placed) at one spot.
//!
//! Spots are reached only through conjunctive structure (`properties`,
//! `items`, `prefixItems`, with `allOf`/`$ref` merged), never inside
//! `anyOf`/`oneOf`/`not` branches, so breaking a spot's own constraint makes
//! the whole document invalid whatever the rest holds.

use std::collections::VecDeque;

use proptest::prelude::*;
use proptest::strategy::{NewTree, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

use super::hostile;
use super::input::{InvalidInput, InvalidKind};
use super::numbers::{anchored, int_lower, int_upper, split_multiples, MAX_SAFE};
use super::schema::{Bound, Norm};
use super::text::ascii_string;
use super::valid::{Builder, Ctx, Seg};
use crate::json_schema::pattern::pattern_matches;
use crate::json_schema::pointer;
use crate::json_schema::types::{
    value_type, T_ARR, T_BOOL, T_FRAC, T_INT, T_NULL, T_NUM, T_OBJ, T_STR,
};
use crate::json_schema::value::json_eq;

/// Property/item levels below the root where spots are looked for.
const MAX_SPOT_DEPTH: usize = 3;
/// Spots per schema.
const MAX_SPOTS: usize = 64;
/// Longest string or array we build to break a length bound.
const MAX_BREAK_LEN: u64 = 100_000;
/// Items built individually for `minItems`/`maxItems` violations.
const MAX_BREAK_ITEMS: u64 = 1_000;
/// Selection weights.
const VIOLATION_WEIGHT: u32 = 3;
const STRESSOR_WEIGHT: u32 = 1;

/// One (kind, spot) alternative of the invalid family.
#[derive(Debug, Clone)]
pub(crate) struct Alternative {
    pub(crate) kind: InvalidKind,
    pub(crate) pointer: String,
    pub(crate) strategy: SBoxedStrategy<InvalidInput>,
}

/// Picks one alternative by weight and then never leaves it: shrinking keeps
/// the kind and spot, unlike `prop_oneof!`, which shrinks toward earlier
/// alternatives.
#[derive(Debug)]
pub(crate) struct Pick<T: std::fmt::Debug> {
    options: Vec<(u32, SBoxedStrategy<T>)>,
    total: u32,
}

impl<T: std::fmt::Debug + 'static> Strategy for Pick<T> {
    type Tree = Box<dyn ValueTree<Value = T>>;
    type Value = T;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let mut r = (0..self.total).new_tree(runner)?.current();
        for (w, s) in self.options.iter() {
            if r < *w {
                return s.new_tree(runner);
            }
            r -= w;
        }
        Err("no alternative to pick".into())
    }
}

/// Weighted choice over `alts` (violations 3, stressors 1); `None` if empty.
pub(crate) fn pick<'a>(
    alts: impl IntoIterator<Item = &'a Alternative>,
) -> Option<SBoxedStrategy<InvalidInput>> {
    let options: Vec<(u32, SBoxedStrategy<InvalidInput>)> = alts
        .into_iter()
        .map(|a| {
            let w = if a.kind.is_stressor() {
                STRESSOR_WEIGHT
            } else {
                VIOLATION_WEIGHT
            };
            (w, a.strategy.clone())
        })
        .collect();
    let total = options.iter().map(|(w, _)| *w).sum();
    (total > 0).then(|| Pick { options, total }.sboxed())
}

enum Mutation {
    Replace(SBoxedStrategy<Value>),
    Remove(String),
    Insert(String, Value),
}

struct Spot {
    path: Vec<Seg>,
    conj: Vec<Value>,
}

fn pointer_of(path: &[Seg]) -> String {
    path.iter().fold(String::new(), |at, s| match s {
        Seg::Prop(p) => pointer::join(&at, p),
        Seg::Index(i) => pointer::join_index(&at, *i),
        Seg::Obj => at,
    })
}

fn spots(builder: &Builder) -> Vec<Spot> {
    let mut out = Vec::new();
    let mut queue = VecDeque::from([Spot {
        path: Vec::new(),
        conj: builder.root_conj(),
    }]);
    while let Some(spot) = queue.pop_front() {
        if out.len() >= MAX_SPOTS {
            break;
        }
        let norm = Norm::from_conj(&builder.root, &spot.conj);
        if norm.unsat.is_some() {
            continue;
        }
        if spot.path.len() < MAX_SPOT_DEPTH && norm.enums.is_none() {
            let types = norm.effective_types();
            if types & T_OBJ != 0 {
                for name in norm.property_names() {
                    let mut path = spot.path.clone();
                    path.push(Seg::Prop(name.clone()));
                    queue.push_back(Spot {
                        path,
                        conj: norm.prop_conj(&name),
                    });
                }
            }
            if types & T_ARR != 0 && norm.max_items != Some(0) {
                let mut path = spot.path.clone();
                path.push(Seg::Index(0));
                queue.push_back(Spot {
                    path,
                    conj: norm.item_conj(0),
                });
            }
        }
        out.push(spot);
    }
    out
}

/// Builds every alternative of the invalid family.
pub(crate) fn build(builder: &Builder) -> Vec<Alternative> {
    let mut alts = Vec::new();
    for spot in spots(builder) {
        let norm = Norm::from_conj(&builder.root, &spot.conj);
        let pointer = pointer_of(&spot.path);
        let base = if spot.path.is_empty() {
            None
        } else {
            match builder.build_root(&spot.path) {
                Ok(b) => Some(b),
                // The spot cannot occur in a valid document.
                Err(_) => continue,
            }
        };
        let mut found = violations(builder, &norm);
        for kind in hostile::STRESSORS {
            if let Some(s) = hostile::strategy(kind) {
                found.push((kind, format!("{kind} at `{pointer}`"), Mutation::Replace(s)));
            }
        }
        let needs_object = found
            .iter()
            .any(|(_, _, m)| matches!(m, Mutation::Remove(_) | Mutation::Insert(..)));
        let obj_base = if needs_object {
            let mut obj_path = spot.path.clone();
            obj_path.push(Seg::Obj);
            builder.build_root(&obj_path).ok()
        } else {
            None
        };
        for (kind, detail, m) in found {
            let alt = match m {
                Mutation::Replace(s) => replace(base.clone(), &pointer, s),
                Mutation::Remove(name) => edit(obj_base.clone(), &pointer, name, None),
                Mutation::Insert(name, v) => edit(obj_base.clone(), &pointer, name, Some(v)),
            };
            let Some(s) = alt else { continue };
            let (p, d) = (pointer.clone(), detail);
            let s = s
                .prop_map(move |value| InvalidInput {
                    kind,
                    pointer: p.clone(),
                    detail: d.clone(),
                    value,
                })
                .sboxed();
            alts.push(Alternative {
                kind,
                pointer: pointer.clone(),
                strategy: s,
            });
        }
    }
    alts
}

fn replace(
    base: Option<SBoxedStrategy<Value>>,
    pointer: &str,
    s: SBoxedStrategy<Value>,
) -> Option<SBoxedStrategy<Value>> {
    let Some(base) = base else { return Some(s) };
    let p = pointer.to_string();
    Some(
        (base, s)
            .prop_map(move |(mut doc, v)| {
                if let Some(slot) = doc.pointer_mut(&p) {
                    *slot = v;
                }
                doc
            })
            .sboxed(),
    )
}

fn edit(
    base: Option<SBoxedStrategy<Value>>,
    pointer: &str,
    name: String,
    insert: Option<Value>,
) -> Option<SBoxedStrategy<Value>> {
    let p = pointer.to_string();
    Some(
        base?
            .prop_map(move |mut doc| {
                if let Some(Value::Object(m)) = doc.pointer_mut(&p) {
                    match &insert {
                        Some(v) => {
                            m.insert(name.clone(), v.clone());
                        }
                        None => {
                            m.remove(&name);
                        }
                    }
                }
                doc
            })
            .sboxed(),
    )
}

fn type_names(types: u8) -> String {
    let names = [
        (T_NULL, "null"),
        (T_BOOL, "boolean"),
        (T_INT, "integer"),
        (T_FRAC, "non-integral number"),
        (T_STR, "string"),
        (T_ARR, "array"),
        (T_OBJ, "object"),
    ];
    let list: Vec<&str> = names
        .iter()
        .filter(|(t, _)| types & t != 0)
        .map(|(_, n)| *n)
        .collect();
    list.join("|")
}

fn violations(builder: &Builder, norm: &Norm) -> Vec<(InvalidKind, String, Mutation)> {
    let mut out = Vec::new();
    let types = norm.effective_types();
    if norm.typed {
        let wrong: Vec<Value> = [
            json!(null),
            json!(true),
            json!(7),
            json!(1.5),
            json!("wrong type"),
            json!([]),
            json!({}),
        ]
        .into_iter()
        .filter(|v| norm.types & value_type(v) == 0)
        .collect();
        if !wrong.is_empty() {
            let detail = format!("expected {}", type_names(norm.types));
            out.push((
                InvalidKind::WrongType,
                detail,
                Mutation::Replace(prop::sample::select(wrong).sboxed()),
            ));
        }
    }
    if let Some(enums) = norm.enums.as_ref().filter(|e| !e.is_empty()) {
        out.extend(enum_violation(norm, enums));
    }
    if types & T_OBJ != 0 {
        for r in &norm.required {
            out.push((
                InvalidKind::MissingRequired,
                format!("required property `{r}` removed"),
                Mutation::Remove(r.clone()),
            ));
        }
        let declared = norm.property_names();
        let extra = ["unexpected_property", "__extra__", "zz_extra_1", "x"]
            .into_iter()
            .find(|n| {
                !declared.iter().any(|d| d == n)
                    && norm.obj_parts.iter().any(|p| p.forbids_extra(n))
            });
        if let Some(name) = extra {
            let detail = format!("property `{name}` not allowed by additionalProperties: false");
            out.push((
                InvalidKind::ExtraProperty,
                detail,
                Mutation::Insert(name.into(), json!("extra")),
            ));
        }
    }
    if types & T_NUM != 0 {
        out.extend(number_violations(norm, types));
    }
    if types & T_STR != 0 {
        out.extend(string_violations(norm));
    }
    if types & T_ARR != 0 {
        out.extend(array_violations(builder, norm));
    }
    out
}

fn enum_violation(norm: &Norm, enums: &[Value]) -> Option<(InvalidKind, String, Mutation)> {
    let mut candidates: Vec<Value> = Vec::new();
    for e in enums {
        match e {
            Value::String(s) => candidates.push(json!(format!("{s}_not_allowed"))),
            Value::Number(n) => candidates.push(json!(n.as_f64().unwrap_or(0.0).floor() + 1.0)),
            Value::Bool(b) => candidates.push(json!(!b)),
            _ => {}
        }
    }
    candidates.extend([
        json!("__not_in_enum__"),
        json!(-123_456_789),
        json!(null),
        json!(false),
        json!([]),
        json!({}),
    ]);
    candidates.retain(|c| !enums.iter().any(|e| json_eq(c, e)));
    // Values of an allowed type first: then only the enum is broken.
    candidates.sort_by_key(|c| norm.types & value_type(c) == 0);
    candidates.dedup();
    let kind = if norm.enum_is_const {
        InvalidKind::NotConst
    } else {
        InvalidKind::NotInEnum
    };
    let detail = format!("not one of {}", Value::Array(enums.to_vec()));
    (!candidates.is_empty()).then(|| {
        (
            kind,
            detail,
            Mutation::Replace(prop::sample::select(candidates).sboxed()),
        )
    })
}

fn bound_detail(word: &str, b: Bound) -> String {
    format!(
        "{word} {}{}",
        b.value,
        if b.exclusive { " (exclusive)" } else { "" }
    )
}

fn number_violations(norm: &Norm, types: u8) -> Vec<(InvalidKind, String, Mutation)> {
    let mut out = Vec::new();
    let safe = MAX_SAFE as f64;
    if let Some(b) = norm.lower {
        let s = if b.value.abs() < safe {
            let start = if b.exclusive {
                b.value.floor()
            } else {
                b.value.ceil() - 1.0
            } as i64;
            (0..=1000i64)
                .prop_map(move |d| Value::from(start - d))
                .sboxed()
        } else {
            Just(json!(b.value - b.value.abs() * 1e-9)).sboxed()
        };
        out.push((
            InvalidKind::BelowMinimum,
            bound_detail("minimum", b),
            Mutation::Replace(s),
        ));
    }
    if let Some(b) = norm.upper {
        let s = if b.value.abs() < safe {
            let start = if b.exclusive {
                b.value.ceil()
            } else {
                b.value.floor() + 1.0
            } as i64;
            (0..=1000i64)
                .prop_map(move |d| Value::from(start + d))
                .sboxed()
        } else {
            Just(json!(b.value + b.value.abs() * 1e-9)).sboxed()
        };
        out.push((
            InvalidKind::AboveMaximum,
            bound_detail("maximum", b),
            Mutation::Replace(s),
        ));
    }
    let (ints, _) = split_multiples(norm);
    if let Some(&m) = ints.first().filter(|m| **m >= 2 && types & T_INT != 0) {
        // k*m + 1, inside the bounds when possible.
        let (lo, hi) = (
            int_lower(norm.lower).unwrap_or(0),
            int_upper(norm.upper).unwrap_or(0),
        );
        let klo = (lo - 1).div_euclid(m) + i64::from((lo - 1).rem_euclid(m) != 0);
        let khi = (hi - 1).div_euclid(m);
        let ks = if klo <= khi {
            anchored(klo, khi)
        } else {
            anchored(0, (MAX_SAFE / m).min(1000))
        };
        let s = ks.prop_map(move |k| Value::from(k * m + 1)).sboxed();
        out.push((
            InvalidKind::NotMultipleOf,
            format!("multipleOf {m}"),
            Mutation::Replace(s),
        ));
    }
    out
}

fn string_violations(norm: &Norm) -> Vec<(InvalidKind, String, Mutation)> {
    let mut out = Vec::new();
    if (1..=MAX_BREAK_LEN).contains(&norm.min_len) {
        let n = norm.min_len as usize;
        let s = ascii_string(0, n - 1).prop_map(Value::String).sboxed();
        out.push((
            InvalidKind::TooShort,
            format!("minLength {n}"),
            Mutation::Replace(s),
        ));
    }
    if let Some(m) = norm.max_len.filter(|m| *m < MAX_BREAK_LEN) {
        let n = m as usize;
        let s = ascii_string(n + 1, n + 9).prop_map(Value::String).sboxed();
        out.push((
            InvalidKind::TooLong,
            format!("maxLength {n}"),
            Mutation::Replace(s),
        ));
    }
    if !norm.patterns.is_empty() {
        let candidates: Vec<Value> = [
            "",
            " ",
            "!",
            "\u{0}",
            "~~~",
            "0",
            "a",
            "A b",
            "\u{1F600}",
            "-_-",
        ]
        .into_iter()
        .filter(|c| {
            norm.patterns
                .iter()
                .any(|p| pattern_matches(p, c) == Some(false))
        })
        .map(|c| json!(c))
        .collect();
        if !candidates.is_empty() {
            let detail = format!("does not match pattern {:?}", norm.patterns);
            out.push((
                InvalidKind::PatternMismatch,
                detail,
                Mutation::Replace(prop::sample::select(candidates).sboxed()),
            ));
        }
    }
    out
}

/// Arrays whose length lies in `lens`, items valid where possible (`null`
/// where an item cannot be generated).
fn items_of_len(
    builder: &Builder,
    norm: &Norm,
    lens: std::ops::RangeInclusive<u64>,
) -> SBoxedStrategy<Value> {
    let max = *lens.end();
    let item = |i: usize| {
        builder
            .build(&norm.item_conj(i), Ctx::top(), &[])
            .unwrap_or_else(|_| Just(Value::Null).sboxed())
    };
    let kp = (norm.prefix_len() as u64).min(max);
    let prefix: Vec<SBoxedStrategy<Value>> = (0..kp as usize).map(item).collect();
    let rest_len = (max - kp) as usize;
    let rest = if rest_len > 0 {
        prop::collection::vec(item(kp as usize), rest_len).sboxed()
    } else {
        Just(Vec::new()).sboxed()
    };
    let (lo, hi) = (*lens.start() as usize, max as usize);
    (prefix, rest, lo..=hi)
        .prop_map(|(mut items, rest, len)| {
            items.extend(rest);
            items.truncate(len);
            Value::Array(items)
        })
        .sboxed()
}

fn array_violations(builder: &Builder, norm: &Norm) -> Vec<(InvalidKind, String, Mutation)> {
    let mut out = Vec::new();
    if (1..=MAX_BREAK_ITEMS).contains(&norm.min_items) {
        let n = norm.min_items;
        let s = items_of_len(builder, norm, 0..=n - 1);
        out.push((
            InvalidKind::TooFewItems,
            format!("minItems {n}"),
            Mutation::Replace(s),
        ));
    }
    if let Some(m) = norm.max_items.filter(|m| *m <= MAX_BREAK_ITEMS) {
        let s = items_of_len(builder, norm, m + 1..=m + 3);
        out.push((
            InvalidKind::TooManyItems,
            format!("maxItems {m}"),
            Mutation::Replace(s),
        ));
    }
    if norm.unique {
        let item = builder
            .build(&norm.item_conj(0), Ctx::top(), &[])
            .unwrap_or_else(|_| Just(Value::Null).sboxed());
        let s = item.prop_map(|v| Value::Array(vec![v.clone(), v])).sboxed();
        out.push((
            InvalidKind::DuplicateItems,
            "uniqueItems".into(),
            Mutation::Replace(s),
        ));
    }
    out
}
