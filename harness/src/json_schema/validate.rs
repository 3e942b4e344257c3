//! A small JSON Schema validator, used by the fuzzer to filter generated values
//! (`oneOf` exclusivity, `not`, `uniqueItems`, `if`/`then`/`else`, ...). `format` is
//! treated as an annotation. Schemas published by a server are judged with the
//! `jsonschema` crate instead (`check::published`); this one is small, offline and
//! reuses the [`Root`]'s `$ref` resolution.

use serde_json::{Map, Number, Value};

use super::pattern::pattern_matches;
use super::refs::{reference, Root, MAX_REF_HOPS};
use super::types::{type_keyword_bits, value_type, T_FRAC, T_INT};
use super::value::{is_multiple_of, json_eq};

pub(crate) struct Checker<'a> {
    root: &'a Root,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(root: &'a Root) -> Self {
        Checker { root }
    }

    /// Is `v` valid against `schema`?
    pub(crate) fn valid(&self, schema: &Value, v: &Value) -> bool {
        self.check(schema, v, 0)
    }

    fn check(&self, schema: &Value, v: &Value, hops: u32) -> bool {
        match schema {
            Value::Bool(b) => *b,
            Value::Object(o) => self.check_obj(o, v, hops),
            _ => true,
        }
    }

    fn check_obj(&self, o: &Map<String, Value>, v: &Value, hops: u32) -> bool {
        if let Some(r) = reference(o) {
            if hops >= MAX_REF_HOPS {
                return false;
            }
            match self.root.resolve(r) {
                Ok(target) if self.check(target, v, hops + 1) => {}
                _ => return false,
            }
            if self.root.draft.ref_overrides_siblings() {
                return true;
            }
        }
        if let Some(bits) = o.get("type").and_then(type_keyword_bits) {
            let t = value_type(v);
            // Whole floats count as integers, and integers as numbers.
            let ok = bits & t != 0 || (t == T_INT && bits & T_FRAC != 0);
            if !ok {
                return false;
            }
        }
        if let Some(Value::Array(values)) = o.get("enum") {
            if !values.iter().any(|e| json_eq(e, v)) {
                return false;
            }
        }
        if let Some(c) = o.get("const") {
            if !json_eq(c, v) {
                return false;
            }
        }
        let ok = match v {
            Value::Number(n) => self.check_number(o, n),
            Value::String(s) => self.check_string(o, s),
            Value::Array(a) => self.check_array(o, a),
            Value::Object(m) => self.check_object(o, m),
            _ => true,
        };
        ok && self.check_combinators(o, v, hops)
    }

    fn check_combinators(&self, o: &Map<String, Value>, v: &Value, hops: u32) -> bool {
        if let Some(Value::Array(all)) = o.get("allOf") {
            if !all.iter().all(|s| self.check(s, v, hops)) {
                return false;
            }
        }
        if let Some(Value::Array(any)) = o.get("anyOf") {
            if !any.iter().any(|s| self.check(s, v, hops)) {
                return false;
            }
        }
        if let Some(Value::Array(one)) = o.get("oneOf") {
            if one.iter().filter(|s| self.check(s, v, hops)).count() != 1 {
                return false;
            }
        }
        if let Some(not) = o.get("not") {
            if self.check(not, v, hops) {
                return false;
            }
        }
        if let Some(cond) = o.get("if") {
            let branch = if self.check(cond, v, hops) {
                o.get("then")
            } else {
                o.get("else")
            };
            if let Some(b) = branch {
                if !self.check(b, v, hops) {
                    return false;
                }
            }
        }
        true
    }

    fn check_number(&self, o: &Map<String, Value>, n: &Number) -> bool {
        let Some(x) = n.as_f64() else { return true };
        let num = |k: &str| o.get(k).and_then(Value::as_f64);
        let flag = |k: &str| o.get(k) == Some(&Value::Bool(true));
        if let Some(m) = num("minimum") {
            if x < m || (flag("exclusiveMinimum") && x <= m) {
                return false;
            }
        }
        if let Some(m) = num("maximum") {
            if x > m || (flag("exclusiveMaximum") && x >= m) {
                return false;
            }
        }
        if num("exclusiveMinimum").is_some_and(|m| x <= m)
            || num("exclusiveMaximum").is_some_and(|m| x >= m)
        {
            return false;
        }
        if let Some(m) = num("multipleOf") {
            let exact = match (n.as_i64(), m.fract() == 0.0 && (1.0..9.0e15).contains(&m)) {
                (Some(i), true) => Some(i % (m as i64) == 0),
                _ => None,
            };
            if !exact.unwrap_or_else(|| is_multiple_of(x, m)) {
                return false;
            }
        }
        true
    }

    fn check_string(&self, o: &Map<String, Value>, s: &str) -> bool {
        let len = s.chars().count() as u64;
        if o.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            return false;
        }
        if o.get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            return false;
        }
        if let Some(p) = o.get("pattern").and_then(Value::as_str) {
            if pattern_matches(p, s) != Some(true) {
                return false;
            }
        }
        true
    }

    fn check_array(&self, o: &Map<String, Value>, a: &[Value]) -> bool {
        let count = |k: &str| o.get(k).and_then(Value::as_u64);
        let len = a.len() as u64;
        if count("minItems").is_some_and(|m| len < m) || count("maxItems").is_some_and(|m| len > m)
        {
            return false;
        }
        let (prefix, rest): (&[Value], Option<&Value>) =
            match (o.get("prefixItems"), o.get("items")) {
                (Some(Value::Array(p)), items) => (p, items.filter(|i| !i.is_array())),
                (_, Some(Value::Array(t))) => (t, o.get("additionalItems")),
                (_, items) => (&[], items),
            };
        for (i, item) in a.iter().enumerate() {
            let schema = prefix.get(i).or(rest);
            if schema.is_some_and(|s| !self.valid(s, item)) {
                return false;
            }
        }
        if o.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, x) in a.iter().enumerate() {
                if a[i + 1..].iter().any(|y| json_eq(x, y)) {
                    return false;
                }
            }
        }
        if let Some(contains) = o.get("contains") {
            let hits = a.iter().filter(|x| self.valid(contains, x)).count() as u64;
            let min = count("minContains").unwrap_or(1);
            if hits < min || count("maxContains").is_some_and(|m| hits > m) {
                return false;
            }
        }
        true
    }

    fn check_object(&self, o: &Map<String, Value>, m: &Map<String, Value>) -> bool {
        let count = |k: &str| o.get(k).and_then(Value::as_u64);
        let len = m.len() as u64;
        if count("minProperties").is_some_and(|n| len < n)
            || count("maxProperties").is_some_and(|n| len > n)
        {
            return false;
        }
        if let Some(Value::Array(req)) = o.get("required") {
            if req
                .iter()
                .filter_map(Value::as_str)
                .any(|r| !m.contains_key(r))
            {
                return false;
            }
        }
        let props = o.get("properties").and_then(Value::as_object);
        let patterns = o.get("patternProperties").and_then(Value::as_object);
        let additional = o.get("additionalProperties");
        for (k, v) in m {
            let mut matched = false;
            if let Some(s) = props.and_then(|p| p.get(k)) {
                matched = true;
                if !self.valid(s, v) {
                    return false;
                }
            }
            for (p, s) in patterns.into_iter().flatten() {
                match pattern_matches(p, k) {
                    Some(true) => {
                        matched = true;
                        if !self.valid(s, v) {
                            return false;
                        }
                    }
                    Some(false) => {}
                    None => return false,
                }
            }
            if !matched && additional.is_some_and(|s| !self.valid(s, v)) {
                return false;
            }
            if o.get("propertyNames")
                .is_some_and(|s| !self.valid(s, &Value::String(k.clone())))
            {
                return false;
            }
        }
        self.check_dependencies(o, m)
    }

    fn check_dependencies(&self, o: &Map<String, Value>, m: &Map<String, Value>) -> bool {
        let object = Value::Object(m.clone());
        for key in ["dependentRequired", "dependentSchemas", "dependencies"] {
            let Some(Value::Object(deps)) = o.get(key) else {
                continue;
            };
            for (k, dep) in deps {
                if !m.contains_key(k) {
                    continue;
                }
                let ok = match dep {
                    Value::Array(names) => names
                        .iter()
                        .filter_map(Value::as_str)
                        .all(|n| m.contains_key(n)),
                    schema => self.valid(schema, &object),
                };
                if !ok {
                    return false;
                }
            }
        }
        true
    }
}
