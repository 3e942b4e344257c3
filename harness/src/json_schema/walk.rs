//! Walking a schema document: every schema object in it with its JSON Pointer, in
//! document order, never descending into instance data (`enum`, `const`, `default`,
//! `examples`, …). Under keywords that map names to subschemas (`properties`,
//! `$defs`, …) the names are names, not keywords.

use std::ops::ControlFlow;

use serde_json::{Map, Value};

use super::pointer;

/// Keywords whose values are instance data (or annotations holding data), not
/// subschemas: never walked.
pub const DATA_KEYWORDS: [&str; 6] = [
    "enum",
    "const",
    "default",
    "examples",
    "example",
    "x-mcp-header",
];

/// Keywords whose values map names to subschemas.
pub const SCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// One schema object met by [`walk`].
pub struct Node<'a> {
    pub schema: &'a Map<String, Value>,
    /// Where it sits in the document (`""` is the root).
    pub pointer: &'a str,
    /// Steps from the root (an array element and a map entry count one each).
    pub depth: usize,
    /// The `properties` keys leading here from the root, when the way here is made of
    /// them only (empty at the root).
    pub properties: Option<&'a [String]>,
}

/// Calls `visit` on every schema object of `schema` at most `max_depth` steps deep,
/// parents before children; stops as soon as `visit` breaks.
pub fn walk<'v>(
    schema: &'v Value,
    max_depth: usize,
    visit: &mut dyn FnMut(&Node<'_>) -> ControlFlow<()>,
) {
    let mut walker = Walker { max_depth, visit };
    let _ = walker.at(schema, "", Some(&[]), 0);
}

struct Walker<'f> {
    max_depth: usize,
    visit: &'f mut dyn FnMut(&Node<'_>) -> ControlFlow<()>,
}

impl Walker<'_> {
    fn at(
        &mut self,
        v: &Value,
        at: &str,
        properties: Option<&[String]>,
        depth: usize,
    ) -> ControlFlow<()> {
        if depth > self.max_depth {
            return ControlFlow::Continue(());
        }
        match v {
            Value::Object(obj) => {
                (self.visit)(&Node {
                    schema: obj,
                    pointer: at,
                    depth,
                    properties,
                })?;
                self.members(obj, at, properties, depth)
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.at(item, &pointer::join_index(at, i), None, depth + 1)?;
                }
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Continue(()),
        }
    }

    /// The keywords of one schema object (data keywords skipped).
    fn members(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        properties: Option<&[String]>,
        depth: usize,
    ) -> ControlFlow<()> {
        for (k, child) in obj {
            if DATA_KEYWORDS.contains(&k.as_str()) {
                continue;
            }
            let here = pointer::join(at, k);
            let Some(map) = child
                .as_object()
                .filter(|_| SCHEMA_MAPS.contains(&k.as_str()))
            else {
                self.at(child, &here, None, depth + 1)?;
                continue;
            };
            for (name, sub) in map {
                let chain = properties.filter(|_| k == "properties").map(|p| {
                    let mut p = p.to_vec();
                    p.push(name.clone());
                    p
                });
                self.at(
                    sub,
                    &pointer::join(&here, name),
                    chain.as_deref(),
                    depth + 1,
                )?;
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn visited(schema: &Value, max_depth: usize) -> Vec<(String, Option<Vec<String>>)> {
        let mut out = Vec::new();
        walk(schema, max_depth, &mut |n| {
            out.push((n.pointer.to_string(), n.properties.map(<[String]>::to_vec)));
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn walks_subschemas_not_data_with_pointers_and_property_paths() {
        let s = json!({
            "properties": {"a/b": {"items": [{"type": "string"}]}, "enum": {"const": {"x": {}}}},
            "$defs": {"d": {}},
            "default": {"y": {}}
        });
        let seen = visited(&s, 64);
        let names = |p: &[&str]| Some(p.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            seen,
            vec![
                ("".into(), names(&[])),
                ("/properties/a~1b".into(), names(&["a/b"])),
                ("/properties/a~1b/items/0".into(), None),
                ("/properties/enum".into(), names(&["enum"])),
                ("/$defs/d".into(), None),
            ]
        );
        assert_eq!(visited(&s, 1).len(), 4, "depth 2 is not reached");
    }

    #[test]
    fn a_break_stops_the_walk() {
        let s = json!({"allOf": [{}, {}, {}]});
        let mut n = 0;
        walk(&s, 64, &mut |_| {
            n += 1;
            if n == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(n, 2);
    }
}
