//! Schema model: the normalised conjunction ([`Norm`]) of the schemas that
//! apply to one instance location (type bits, `$ref` resolution, patterns and
//! value equality come from `crate::json_schema`).

use serde_json::{Map, Value};

use crate::json_schema::pattern::pattern_matches;
use crate::json_schema::refs::{reference, Root, MAX_REF_HOPS};
use crate::json_schema::types::{type_keyword_bits, T_ALL, T_ARR, T_NUM, T_OBJ, T_STR};
use crate::json_schema::value::json_eq;

/// A numeric bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bound {
    pub(crate) value: f64,
    pub(crate) exclusive: bool,
}

/// The object keywords of one schema object.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjPart {
    pub(crate) properties: Map<String, Value>,
    pub(crate) patterns: Vec<(String, Value)>,
    pub(crate) additional: Option<Value>,
}

impl ObjPart {
    /// Schemas this part applies to property `name`; `None` when the part
    /// does not constrain it.
    pub(crate) fn schemas_for(&self, name: &str) -> Vec<Value> {
        let mut out: Vec<Value> = self.properties.get(name).cloned().into_iter().collect();
        for (p, s) in &self.patterns {
            if pattern_matches(p, name).unwrap_or(false) {
                out.push(s.clone());
            }
        }
        if out.is_empty() {
            if let Some(a) = &self.additional {
                out.push(a.clone());
            }
        }
        out
    }

    /// True when this part forbids `name` through `additionalProperties: false`.
    pub(crate) fn forbids_extra(&self, name: &str) -> bool {
        matches!(self.additional, Some(Value::Bool(false)))
            && !self.properties.contains_key(name)
            && !self
                .patterns
                .iter()
                .any(|(p, _)| pattern_matches(p, name).unwrap_or(true))
    }
}

/// The array keywords of one schema object.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArrPart {
    pub(crate) prefix: Vec<Value>,
    pub(crate) rest: Option<Value>,
}

/// The conjunction of every schema applying to one instance location, with
/// `allOf` and `$ref` flattened and `anyOf`/`oneOf` kept for branching.
#[derive(Debug, Clone)]
pub(crate) struct Norm {
    pub(crate) types: u8,
    pub(crate) typed: bool,
    pub(crate) hinted: u8,
    pub(crate) enums: Option<Vec<Value>>,
    pub(crate) enum_is_const: bool,
    pub(crate) lower: Option<Bound>,
    pub(crate) upper: Option<Bound>,
    pub(crate) multiple_of: Vec<f64>,
    pub(crate) min_len: u64,
    pub(crate) max_len: Option<u64>,
    pub(crate) patterns: Vec<String>,
    pub(crate) formats: Vec<String>,
    pub(crate) arr_parts: Vec<ArrPart>,
    pub(crate) min_items: u64,
    pub(crate) max_items: Option<u64>,
    pub(crate) unique: bool,
    /// `contains` schemas (one item of each is generated up front).
    pub(crate) contains: Vec<Value>,
    /// `unevaluatedItems: false`: no items beyond tuple prefixes unless an
    /// `items` schema evaluates them.
    pub(crate) no_unevaluated_items: bool,
    pub(crate) obj_parts: Vec<ObjPart>,
    pub(crate) required: Vec<String>,
    pub(crate) min_props: u64,
    pub(crate) max_props: Option<u64>,
    /// `unevaluatedProperties: false`: only declared properties.
    pub(crate) no_unevaluated_props: bool,
    pub(crate) any_of: Vec<Vec<Value>>,
    pub(crate) one_of: Vec<Vec<Value>>,
    /// Every schema object merged in, for the final check.
    pub(crate) conj: Vec<Value>,
    /// Schemas the value must not satisfy.
    pub(crate) not: Vec<Value>,
    /// Some keyword is only enforced by filtering against `conj`/`not`.
    pub(crate) needs_filter: bool,
    pub(crate) unsat: Option<String>,
}

impl Norm {
    pub(crate) fn new() -> Norm {
        Norm {
            types: T_ALL,
            typed: false,
            hinted: 0,
            enums: None,
            enum_is_const: false,
            lower: None,
            upper: None,
            multiple_of: Vec::new(),
            min_len: 0,
            max_len: None,
            patterns: Vec::new(),
            formats: Vec::new(),
            arr_parts: Vec::new(),
            min_items: 0,
            max_items: None,
            unique: false,
            contains: Vec::new(),
            no_unevaluated_items: false,
            obj_parts: Vec::new(),
            required: Vec::new(),
            min_props: 0,
            max_props: None,
            no_unevaluated_props: false,
            any_of: Vec::new(),
            one_of: Vec::new(),
            conj: Vec::new(),
            not: Vec::new(),
            needs_filter: false,
            unsat: None,
        }
    }

    pub(crate) fn from_conj(root: &Root, schemas: &[Value]) -> Norm {
        let mut n = Norm::new();
        for s in schemas {
            n.merge(root, s);
        }
        n
    }

    /// Types a generated value may take.
    pub(crate) fn effective_types(&self) -> u8 {
        if self.typed || self.enums.is_some() || self.hinted == 0 {
            self.types
        } else {
            self.types & self.hinted
        }
    }

    fn fail(&mut self, reason: impl Into<String>) {
        if self.unsat.is_none() {
            self.unsat = Some(reason.into());
        }
    }

    pub(crate) fn merge(&mut self, root: &Root, schema: &Value) {
        self.merge_hops(root, schema, 0);
    }

    fn merge_hops(&mut self, root: &Root, schema: &Value, hops: u32) {
        let o = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return self.fail("`false` schema"),
            Value::Object(o) => o,
            _ => return,
        };
        if let Some(r) = reference(o) {
            if hops >= MAX_REF_HOPS {
                return self.fail(format!("circular $ref `{r}`"));
            }
            match root.resolve(r) {
                Ok(target) => self.merge_hops(root, target, hops + 1),
                Err(e) => return self.fail(e),
            }
            if root.draft.ref_overrides_siblings() {
                return;
            }
        }
        self.conj.push(schema.clone());
        self.merge_keywords(root, o, hops);
    }

    /// The keywords of one schema object, family by family (the order matters to
    /// generation only through `contains`, whose schemas keep document order).
    fn merge_keywords(&mut self, root: &Root, o: &Map<String, Value>, hops: u32) {
        self.merge_type(o);
        self.merge_number(o);
        self.merge_string(o);
        self.merge_array(o);
        self.merge_object(o);
        self.merge_applicators(root, o, hops);
        self.merge_filtered(o);
    }

    /// `type`, `enum`, `const`.
    fn merge_type(&mut self, o: &Map<String, Value>) {
        if let Some(bits) = o.get("type").and_then(type_keyword_bits) {
            self.types &= bits;
            self.typed = true;
            if self.types == 0 {
                self.fail("no type satisfies every `type` keyword");
            }
        }
        if let Some(Value::Array(values)) = o.get("enum") {
            self.intersect_enum(values.clone(), false);
        }
        if let Some(c) = o.get("const") {
            self.intersect_enum(vec![c.clone()], true);
        }
    }

    /// Bounds (numeric and draft-04 boolean `exclusive*`) and `multipleOf`.
    fn merge_number(&mut self, o: &Map<String, Value>) {
        let num = |k: &str| o.get(k).and_then(Value::as_f64);
        let excl_min_flag = o.get("exclusiveMinimum") == Some(&Value::Bool(true));
        let excl_max_flag = o.get("exclusiveMaximum") == Some(&Value::Bool(true));
        if let Some(m) = num("minimum") {
            self.tighten_lower(Bound {
                value: m,
                exclusive: excl_min_flag,
            });
        }
        if let Some(m) = num("maximum") {
            self.tighten_upper(Bound {
                value: m,
                exclusive: excl_max_flag,
            });
        }
        if let Some(m) = num("exclusiveMinimum") {
            self.tighten_lower(Bound {
                value: m,
                exclusive: true,
            });
        }
        if let Some(m) = num("exclusiveMaximum") {
            self.tighten_upper(Bound {
                value: m,
                exclusive: true,
            });
        }
        if [
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ]
        .iter()
        .any(|k| o.contains_key(*k))
        {
            self.hinted |= T_NUM;
        }
        if let Some(m) = num("multipleOf").filter(|m| *m > 0.0 && m.is_finite()) {
            self.multiple_of.push(m);
        }
    }

    /// `minLength`, `maxLength`, `pattern`, `format`.
    fn merge_string(&mut self, o: &Map<String, Value>) {
        let count = |k: &str| o.get(k).and_then(Value::as_u64);
        if let Some(n) = count("minLength") {
            self.min_len = self.min_len.max(n);
            self.hinted |= T_STR;
        }
        if let Some(n) = count("maxLength") {
            self.max_len = Some(self.max_len.map_or(n, |m| m.min(n)));
            self.hinted |= T_STR;
        }
        if let Some(p) = o.get("pattern").and_then(Value::as_str) {
            self.patterns.push(p.to_string());
            self.hinted |= T_STR;
        }
        if let Some(f) = o.get("format").and_then(Value::as_str) {
            self.formats.push(f.to_string());
        }
    }

    /// `allOf` merged here; `anyOf`/`oneOf` kept for branching; `not`.
    fn merge_applicators(&mut self, root: &Root, o: &Map<String, Value>, hops: u32) {
        if let Some(Value::Array(all)) = o.get("allOf") {
            for s in all {
                self.merge_hops(root, s, hops);
            }
        }
        if let Some(Value::Array(any)) = o.get("anyOf") {
            self.any_of.push(any.clone());
        }
        if let Some(Value::Array(one)) = o.get("oneOf") {
            self.one_of.push(one.clone());
        }
        if let Some(not) = o.get("not") {
            self.add_not(not);
        }
    }

    /// Keywords enforced by filtering only, `unevaluated*: false`, `contains`.
    fn merge_filtered(&mut self, o: &Map<String, Value>) {
        let filtered = [
            "contains",
            "if",
            "propertyNames",
            "dependentRequired",
            "dependentSchemas",
            "dependencies",
            "minProperties",
            "maxProperties",
        ];
        if filtered.iter().any(|k| o.contains_key(*k)) {
            self.needs_filter = true;
        }
        if o.get("unevaluatedProperties") == Some(&Value::Bool(false)) {
            self.no_unevaluated_props = true;
        }
        if o.get("unevaluatedItems") == Some(&Value::Bool(false)) {
            self.no_unevaluated_items = true;
        }
        if let Some(c) = o.get("contains") {
            self.contains.push(c.clone());
            self.hinted |= T_ARR;
        }
    }

    fn merge_array(&mut self, o: &Map<String, Value>) {
        let mut part = ArrPart::default();
        let mut has_part = false;
        match (o.get("prefixItems"), o.get("items")) {
            (Some(Value::Array(prefix)), items) => {
                part.prefix = prefix.clone();
                part.rest = items.filter(|i| !i.is_array()).cloned();
                has_part = true;
            }
            (_, Some(Value::Array(tuple))) => {
                part.prefix = tuple.clone();
                part.rest = o.get("additionalItems").cloned();
                has_part = true;
            }
            (_, Some(items)) => {
                part.rest = Some(items.clone());
                has_part = true;
            }
            _ => {}
        }
        if has_part {
            self.arr_parts.push(part);
            self.hinted |= T_ARR;
        }
        if let Some(n) = o.get("minItems").and_then(Value::as_u64) {
            self.min_items = self.min_items.max(n);
            self.hinted |= T_ARR;
        }
        if let Some(n) = o.get("maxItems").and_then(Value::as_u64) {
            self.max_items = Some(self.max_items.map_or(n, |m| m.min(n)));
            self.hinted |= T_ARR;
        }
        if o.get("uniqueItems") == Some(&Value::Bool(true)) {
            self.unique = true;
            self.needs_filter = true;
            self.hinted |= T_ARR;
        }
    }

    fn merge_object(&mut self, o: &Map<String, Value>) {
        let props = o.get("properties").and_then(Value::as_object);
        let patterns = o.get("patternProperties").and_then(Value::as_object);
        let additional = o.get("additionalProperties");
        if props.is_some() || patterns.is_some() || additional.is_some() {
            let part = ObjPart {
                properties: props.cloned().unwrap_or_default(),
                patterns: patterns
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                additional: additional.cloned(),
            };
            if !part.patterns.is_empty() {
                self.needs_filter = true;
            }
            self.obj_parts.push(part);
            self.hinted |= T_OBJ;
        }
        if let Some(Value::Array(req)) = o.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !self.required.iter().any(|x| x == r) {
                    self.required.push(r.to_string());
                }
            }
            self.hinted |= T_OBJ;
        }
        if let Some(n) = o.get("minProperties").and_then(Value::as_u64) {
            self.min_props = self.min_props.max(n);
            self.hinted |= T_OBJ;
        }
        if let Some(n) = o.get("maxProperties").and_then(Value::as_u64) {
            self.max_props = Some(self.max_props.map_or(n, |m| m.min(n)));
            self.hinted |= T_OBJ;
        }
    }

    fn intersect_enum(&mut self, values: Vec<Value>, is_const: bool) {
        match &mut self.enums {
            None => {
                self.enums = Some(values);
                self.enum_is_const = is_const;
            }
            Some(existing) => {
                existing.retain(|e| values.iter().any(|v| json_eq(e, v)));
                self.enum_is_const &= is_const;
            }
        }
    }

    fn tighten_lower(&mut self, b: Bound) {
        if !b.value.is_finite() {
            return;
        }
        let stronger = match self.lower {
            None => true,
            Some(cur) => b.value > cur.value || (b.value == cur.value && b.exclusive),
        };
        if stronger {
            self.lower = Some(b);
        }
    }

    fn tighten_upper(&mut self, b: Bound) {
        if !b.value.is_finite() {
            return;
        }
        let stronger = match self.upper {
            None => true,
            Some(cur) => b.value < cur.value || (b.value == cur.value && b.exclusive),
        };
        if stronger {
            self.upper = Some(b);
        }
    }

    pub(crate) fn add_not(&mut self, not: &Value) {
        match not {
            Value::Bool(true) => self.fail("`not: true`"),
            Value::Bool(false) => {}
            Value::Object(o) if o.len() == 1 && o.contains_key("type") => {
                if let Some(bits) = o.get("type").and_then(type_keyword_bits) {
                    // `not: {type: number}` removes integers too; `not: {type:
                    // integer}` leaves non-integral numbers.
                    self.types &= !bits;
                    self.typed = true;
                    if self.types == 0 {
                        self.fail("`not` excludes every type");
                    }
                }
            }
            _ => {
                self.not.push(not.clone());
                self.needs_filter = true;
            }
        }
    }

    /// Declared property names (properties of every part, then `required`).
    pub(crate) fn property_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for part in &self.obj_parts {
            for k in part.properties.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
        for r in &self.required {
            if !names.contains(r) {
                names.push(r.clone());
            }
        }
        names
    }

    /// Conjunction of the schemas applying to property `name`.
    pub(crate) fn prop_conj(&self, name: &str) -> Vec<Value> {
        self.obj_parts
            .iter()
            .flat_map(|p| p.schemas_for(name))
            .collect()
    }

    /// Length of the longest tuple prefix.
    pub(crate) fn prefix_len(&self) -> usize {
        self.arr_parts
            .iter()
            .map(|p| p.prefix.len())
            .max()
            .unwrap_or(0)
    }

    /// Conjunction of the schemas applying to array index `i`.
    pub(crate) fn item_conj(&self, i: usize) -> Vec<Value> {
        self.arr_parts
            .iter()
            .filter_map(|p| p.prefix.get(i).or(p.rest.as_ref()).cloned())
            .collect()
    }
}
