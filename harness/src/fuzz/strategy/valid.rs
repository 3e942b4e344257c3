//! The valid family: a strategy per normalised schema, built eagerly.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{Map, Value};

use super::numbers;
use super::probe::probe;
use super::schema::Norm;
use super::text;
use crate::json_schema::refs::Root;
use crate::json_schema::types::{
    value_type, TYPE_ORDER, T_ARR, T_BOOL, T_FRAC, T_INT, T_NULL, T_OBJ, T_STR,
};
use crate::json_schema::validate::Checker;
use crate::json_schema::value::json_eq;

/// Nesting levels that may hold optional content (optional properties,
/// array items beyond `minItems`, free-form members).
pub(crate) const DEFAULT_DEPTH: u32 = 4;
/// Nesting a schema may demand through required content before we give up.
const MAX_LEVEL: u32 = 32;
/// Strategy nodes built for one schema before we give up.
const NODE_BUDGET: usize = 200_000;
/// Items generated beyond `minItems` (or the tuple prefix).
const ARRAY_SPAN: u64 = 5;
/// Largest `minItems` we are willing to satisfy.
const MAX_MIN_ITEMS: u64 = 10_000;
/// Free-form / `additionalProperties` members generated per object.
const EXTRA_SPAN: usize = 2;

/// Why a (sub)schema cannot be generated.
#[derive(Debug, Clone)]
pub(crate) struct Unsat(pub(crate) String);

pub(crate) type Built = Result<SBoxedStrategy<Value>, Unsat>;

/// One step of a path the generated document must contain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seg {
    /// Object with this property present.
    Prop(String),
    /// Array with this index present.
    Index(usize),
    /// An object (end of path).
    Obj,
}

/// Generation context of one instance location.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    depth: u32,
    level: u32,
}

impl Ctx {
    pub(crate) fn top() -> Ctx {
        Ctx {
            depth: DEFAULT_DEPTH,
            level: 0,
        }
    }

    fn child(self) -> Ctx {
        Ctx {
            depth: self.depth.saturating_sub(1),
            level: self.level + 1,
        }
    }
}

/// Does `v` contain the forced path?
fn has_path(v: &Value, force: &[Seg]) -> bool {
    match force.split_first() {
        None => true,
        Some((Seg::Obj, _)) => v.is_object(),
        Some((Seg::Prop(p), rest)) => v.get(p).is_some_and(|c| has_path(c, rest)),
        Some((Seg::Index(i), rest)) => v.get(*i).is_some_and(|c| has_path(c, rest)),
    }
}

pub(crate) struct Builder {
    pub(crate) root: Arc<Root>,
    nodes: Cell<usize>,
    recording: Cell<bool>,
    notes: RefCell<Vec<String>>,
}

impl Builder {
    pub(crate) fn new(root: Arc<Root>) -> Builder {
        Builder {
            root,
            nodes: Cell::new(0),
            recording: Cell::new(false),
            notes: RefCell::new(Vec::new()),
        }
    }

    /// While on, parts of the schema that are skipped are noted.
    pub(crate) fn set_recording(&self, on: bool) {
        self.recording.set(on);
    }

    pub(crate) fn take_notes(&self) -> Vec<String> {
        self.notes.take()
    }

    fn note(&self, text: String) {
        if self.recording.get() {
            let mut notes = self.notes.borrow_mut();
            if !notes.contains(&text) {
                notes.push(text);
            }
        }
    }

    pub(crate) fn root_conj(&self) -> Vec<Value> {
        vec![self.root.value.clone()]
    }

    /// Valid documents containing `force`.
    pub(crate) fn build_root(&self, force: &[Seg]) -> Built {
        self.nodes.set(0);
        self.build(&self.root_conj(), Ctx::top(), force)
    }

    /// Values satisfying every schema of `conj`.
    pub(crate) fn build(&self, conj: &[Value], ctx: Ctx, force: &[Seg]) -> Built {
        self.build_norm(Norm::from_conj(&self.root, conj), ctx, force)
    }

    fn build_norm(&self, mut norm: Norm, ctx: Ctx, force: &[Seg]) -> Built {
        let n = self.nodes.get() + 1;
        self.nodes.set(n);
        if n > NODE_BUDGET {
            return Err(Unsat("schema too large to generate".into()));
        }
        if ctx.level > MAX_LEVEL {
            return Err(Unsat(format!(
                "schema requires nesting deeper than {MAX_LEVEL} levels"
            )));
        }
        if let Some(reason) = norm.unsat.take() {
            return Err(Unsat(reason));
        }
        if !norm.any_of.is_empty() {
            let branches = norm.any_of.remove(0);
            return self.branch(norm, &branches, false, ctx, force);
        }
        if !norm.one_of.is_empty() {
            let branches = norm.one_of.remove(0);
            return self.branch(norm, &branches, true, ctx, force);
        }
        let strategy = self.build_types(&norm, ctx, force)?;
        if norm.needs_filter {
            self.filtered(strategy, &norm)
        } else {
            Ok(strategy)
        }
    }

    /// `anyOf` (or `oneOf` when `exclusive`): one alternative per satisfiable
    /// branch, merged into the rest of the conjunction.
    fn branch(
        &self,
        norm: Norm,
        branches: &[Value],
        exclusive: bool,
        ctx: Ctx,
        force: &[Seg],
    ) -> Built {
        let mut alts = Vec::new();
        let mut reasons = Vec::new();
        for (i, b) in branches.iter().enumerate() {
            let mut n = norm.clone();
            n.merge(&self.root, b);
            if exclusive {
                for (j, other) in branches.iter().enumerate() {
                    if j != i {
                        n.add_not(other);
                    }
                }
            }
            match self.build_norm(n, ctx, force) {
                Ok(s) => alts.push(s),
                Err(e) => reasons.push(format!("branch {i}: {}", e.0)),
            }
        }
        let keyword = if exclusive { "oneOf" } else { "anyOf" };
        if alts.is_empty() {
            return Err(Unsat(format!(
                "no {keyword} branch can be generated ({})",
                reasons.join("; ")
            )));
        }
        for r in reasons {
            self.note(format!("{keyword} {r} (never generated)"));
        }
        Ok(Union::new(alts).sboxed())
    }

    fn filtered(&self, strategy: SBoxedStrategy<Value>, norm: &Norm) -> Built {
        let root = Arc::clone(&self.root);
        let conj = norm.conj.clone();
        let not = norm.not.clone();
        let types = norm.types;
        let ok = move |v: &Value| {
            let checker = Checker::new(&root);
            types & value_type(v) != 0
                && conj.iter().all(|s| checker.valid(s, v))
                && !not.iter().any(|s| checker.valid(s, v))
        };
        if !probe(&strategy, &ok) {
            return Err(Unsat(
                "could not generate values satisfying the combined constraints (oneOf/not/uniqueItems/...)".into(),
            ));
        }
        Ok(strategy.prop_filter("schema constraints", ok).sboxed())
    }

    fn build_types(&self, norm: &Norm, ctx: Ctx, force: &[Seg]) -> Built {
        if let Some(enums) = &norm.enums {
            return self.enum_values(norm, enums, force);
        }
        let mut types = norm.effective_types();
        match force.first() {
            Some(Seg::Prop(_) | Seg::Obj) => types &= T_OBJ,
            Some(Seg::Index(_)) => types &= T_ARR,
            None => {}
        }
        let mut alts = Vec::new();
        let mut reasons = Vec::new();
        for t in TYPE_ORDER.into_iter().filter(|t| types & t != 0) {
            let built = match t {
                T_NULL => Ok(Just(Value::Null).sboxed()),
                T_BOOL => Ok(any::<bool>().prop_map(Value::Bool).sboxed()),
                T_INT => numbers::integers(norm).map_err(Unsat),
                T_FRAC => numbers::fractions(norm).map_err(Unsat),
                T_STR => text::string_values(norm).map_err(Unsat),
                T_ARR => self.array(norm, ctx, force),
                _ => self.object(norm, ctx, force),
            };
            match built {
                Ok(s) => alts.push(s),
                Err(e) => reasons.push(e.0),
            }
        }
        match alts.len() {
            0 if reasons.is_empty() => Err(Unsat("no JSON type is allowed here".into())),
            0 => Err(Unsat(reasons.join("; "))),
            1 => Ok(alts.remove(0)),
            _ => Ok(Union::new(alts).sboxed()),
        }
    }

    fn enum_values(&self, norm: &Norm, enums: &[Value], force: &[Seg]) -> Built {
        let checker = Checker::new(&self.root);
        let candidates: Vec<Value> = enums
            .iter()
            .filter(|v| {
                norm.types & value_type(v) != 0
                    && norm.conj.iter().all(|s| checker.valid(s, v))
                    && !norm.not.iter().any(|s| checker.valid(s, v))
                    && has_path(v, force)
            })
            .cloned()
            .collect();
        if candidates.is_empty() {
            return Err(Unsat(
                "no enum/const value satisfies the other constraints".into(),
            ));
        }
        Ok(prop::sample::select(candidates).sboxed())
    }

    fn object(&self, norm: &Norm, ctx: Ctx, force: &[Seg]) -> Built {
        let (forced, rest_force) = match force.split_first() {
            Some((Seg::Prop(p), rest)) => (Some(p.as_str()), rest),
            _ => (None, &[][..]),
        };
        let mut names = norm.property_names();
        if let Some(p) = forced {
            if !names.iter().any(|n| n == p) {
                names.push(p.to_string());
            }
        }
        let mut fields: Vec<SBoxedStrategy<Option<(String, Value)>>> = Vec::new();
        for name in &names {
            let is_forced = forced == Some(name.as_str());
            let required = is_forced || norm.required.contains(name);
            if !required && ctx.depth == 0 {
                continue;
            }
            let sub_force = if is_forced { rest_force } else { &[] };
            match self.build(&norm.prop_conj(name), ctx.child(), sub_force) {
                Ok(s) => {
                    let key = name.clone();
                    let pair = s.prop_map(move |v| (key.clone(), v));
                    fields.push(if required {
                        pair.prop_map(Some).sboxed()
                    } else {
                        prop::option::weighted(0.6, pair).sboxed()
                    });
                }
                Err(e) if required => return Err(Unsat(format!("property `{name}`: {}", e.0))),
                Err(e) => self.note(format!(
                    "optional property `{name}` is never generated: {}",
                    e.0
                )),
            }
        }
        let extras = self.extras(norm, &names, ctx)?;
        Ok((fields, extras)
            .prop_map(|(fields, extras)| {
                let mut m = Map::new();
                for (k, v) in fields.into_iter().flatten() {
                    m.insert(k, v);
                }
                for (k, v) in extras {
                    m.entry(k).or_insert(v);
                }
                Value::Object(m)
            })
            .sboxed())
    }

    /// Members beyond the declared properties: for free-form objects, for an
    /// explicit `additionalProperties` schema, or to reach `minProperties`.
    fn extras(
        &self,
        norm: &Norm,
        names: &[String],
        ctx: Ctx,
    ) -> Result<SBoxedStrategy<Vec<(String, Value)>>, Unsat> {
        let none = Ok(Just(Vec::new()).sboxed());
        let closed = norm.no_unevaluated_props
            || norm
                .obj_parts
                .iter()
                .any(|p| matches!(p.additional, Some(Value::Bool(false))));
        let explicit = norm
            .obj_parts
            .iter()
            .any(|p| p.additional.as_ref().is_some_and(|a| !a.is_boolean()));
        let free_form = norm.obj_parts.is_empty() && names.is_empty();
        let needed = text::to_usize(norm.min_props).saturating_sub(names.len());
        let span = if ctx.depth == 0 { 0 } else { EXTRA_SPAN };
        if closed || (needed == 0 && (span == 0 || !(explicit || free_form))) {
            return none;
        }
        let conj: Vec<Value> = norm
            .obj_parts
            .iter()
            .filter_map(|p| p.additional.clone())
            .collect();
        let value = match self.build(&conj, ctx.child(), &[]) {
            Ok(s) => s,
            Err(e) if needed > 0 => return Err(Unsat(format!("minProperties: {}", e.0))),
            Err(_) => return none,
        };
        let taken = names.to_vec();
        let key =
            text::ascii_string(1, 8).prop_filter("undeclared name", move |k| !taken.contains(k));
        Ok(prop::collection::vec((key, value), needed..=needed + span).sboxed())
    }

    fn array(&self, norm: &Norm, ctx: Ctx, force: &[Seg]) -> Built {
        let shape = ArrayShape::of(norm, ctx, force)?;
        let prefix = self.array_prefix(norm, ctx, &shape)?;
        let (head, rest) = self.array_tail(norm, ctx, &shape, prefix.len() as u64)?;
        let dedupe = norm.unique && shape.prefix_len == 0;
        Ok((prefix, head, rest)
            .prop_map(move |(mut items, head, rest)| {
                items.extend(head);
                for v in rest {
                    if !(dedupe && items.iter().any(|x| json_eq(x, &v))) {
                        items.push(v);
                    }
                }
                Value::Array(items)
            })
            .sboxed())
    }

    /// The tuple prefix items, up to the first one that cannot be generated (an
    /// error when that one is needed to reach `lo`).
    fn array_prefix(
        &self,
        norm: &Norm,
        ctx: Ctx,
        shape: &ArrayShape<'_>,
    ) -> Result<Vec<SBoxedStrategy<Value>>, Unsat> {
        let mut prefix = Vec::new();
        for i in 0..shape.prefix_len.min(shape.hi) as usize {
            let sub_force = if shape.forced == Some(i) {
                shape.rest_force
            } else {
                &[]
            };
            match self.build(&norm.item_conj(i), ctx.child(), sub_force) {
                Ok(s) => prefix.push(s),
                Err(e) if (i as u64) < shape.lo => return Err(Unsat(format!("item {i}: {}", e.0))),
                Err(_) => break,
            }
        }
        Ok(prefix)
    }

    /// The items after `np` prefix items: a head (the forced item, one per
    /// `contains` schema) and a run of free items.
    fn array_tail(
        &self,
        norm: &Norm,
        ctx: Ctx,
        shape: &ArrayShape<'_>,
        np: u64,
    ) -> Result<ArrayTail, Unsat> {
        let (rlo, mut rhi) = (shape.lo.saturating_sub(np), shape.hi.saturating_sub(np));
        let unevaluated =
            norm.no_unevaluated_items && norm.arr_parts.iter().all(|p| p.rest.is_none());
        if np < shape.prefix_len || unevaluated {
            rhi = 0;
        }
        if shape.forced.is_some_and(|i| i as u64 > np) {
            return Err(Unsat(
                "forced array index beyond the first free item".into(),
            ));
        }
        let head_forced = shape.forced == Some(np as usize);
        if rhi == 0 {
            if rlo > 0 || head_forced {
                return Err(Unsat("array items cannot be generated".into()));
            }
            return Ok((Vec::new(), Just(Vec::new()).sboxed()));
        }
        let conj = norm.item_conj(np as usize);
        let mut head: Vec<SBoxedStrategy<Value>> = Vec::new();
        if head_forced {
            head.push(self.build(&conj, ctx.child(), shape.rest_force)?);
        }
        if np == 0 {
            self.contains_items(norm, &conj, ctx, rhi, &mut head);
        }
        let taken = head.len() as u64;
        let rest = match self.build(&conj, ctx.child(), &[]) {
            Ok(s) => {
                let range = text::to_usize(rlo.saturating_sub(taken))..=text::to_usize(rhi - taken);
                prop::collection::vec(s, range).sboxed()
            }
            Err(e) if rlo > taken => return Err(Unsat(format!("items: {}", e.0))),
            Err(_) => Just(Vec::new()).sboxed(),
        };
        Ok((head, rest))
    }

    /// One item per `contains` schema while `head` holds fewer than `most`; the
    /// final filter checks minContains/maxContains.
    fn contains_items(
        &self,
        norm: &Norm,
        conj: &[Value],
        ctx: Ctx,
        most: u64,
        head: &mut Vec<SBoxedStrategy<Value>>,
    ) {
        for c in &norm.contains {
            let mut with = conj.to_vec();
            with.push(c.clone());
            if (head.len() as u64) < most {
                if let Ok(s) = self.build(&with, ctx.child(), &[]) {
                    head.push(s);
                }
            }
        }
    }
}

/// The head items and the strategy of the free items of an array.
type ArrayTail = (Vec<SBoxedStrategy<Value>>, SBoxedStrategy<Vec<Value>>);

/// The length bounds of an array and its forced index.
struct ArrayShape<'f> {
    /// Fewest items: `minItems`, or one past the forced index.
    lo: u64,
    /// Most items generated (`maxItems`, else a span beyond `lo` or the prefix).
    hi: u64,
    /// Length of the longest tuple prefix.
    prefix_len: u64,
    forced: Option<usize>,
    /// The rest of the forced path, below the forced index.
    rest_force: &'f [Seg],
}

impl<'f> ArrayShape<'f> {
    fn of(norm: &Norm, ctx: Ctx, force: &'f [Seg]) -> Result<ArrayShape<'f>, Unsat> {
        let (forced, rest_force) = match force.split_first() {
            Some((Seg::Index(i), rest)) => (Some(*i), rest),
            _ => (None, &[][..]),
        };
        let mut lo = norm.min_items;
        if let Some(i) = forced {
            lo = lo.max(i as u64 + 1);
        }
        let hi = norm.max_items.unwrap_or(u64::MAX);
        if lo > hi {
            return Err(Unsat(format!("minItems {lo} > maxItems {hi}")));
        }
        if lo > MAX_MIN_ITEMS {
            return Err(Unsat(format!("minItems {lo} is too large to generate")));
        }
        let prefix_len = norm.prefix_len() as u64;
        let span = if ctx.depth == 0 { 0 } else { ARRAY_SPAN };
        Ok(ArrayShape {
            lo,
            hi: hi.min(lo.max(prefix_len) + span),
            prefix_len,
            forced,
            rest_force,
        })
    }
}
