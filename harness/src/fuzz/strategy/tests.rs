//! Tests for the schema-driven strategies; the oracle is the `jsonschema`
//! crate with format assertion enabled.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::TestError;
use serde_json::{json, Value};

use super::{runner_for_seed, sample, seed_bytes, InvalidInput, InvalidKind, SchemaGen};

const CASES: u32 = 256;

fn corpus() -> Vec<(&'static str, Value)> {
    vec![
        (
            "flat object",
            json!({"type": "object", "properties": {
                "name": {"type": "string"},
                "age": {"type": "integer", "minimum": 0},
                "active": {"type": "boolean"}
            }, "required": ["name"]}),
        ),
        (
            "mcp read_file",
            json!({"type":"object","properties":{"path":{"type":"string"},"head":{"type":"number"}},"required":["path"]}),
        ),
        (
            "mcp edit_file (draft-07)",
            json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {
                "path": {"type": "string"},
                "edits": {"type": "array", "items": {"type": "object", "properties": {
                    "oldText": {"type": "string"}, "newText": {"type": "string"}
                }, "required": ["oldText", "newText"], "additionalProperties": false}},
                "dryRun": {"type": "boolean", "default": false}
            }, "required": ["path", "edits"], "additionalProperties": false}),
        ),
        (
            "nested objects",
            json!({"type": "object", "properties": {"user": {"type": "object", "properties": {
                "address": {"type": "object", "properties": {
                    "city": {"type": "string", "minLength": 1},
                    "zip": {"type": "string", "pattern": "^[0-9]{5}$"}
                }, "required": ["city"]},
                "nick": {"type": "string", "maxLength": 4}
            }, "required": ["address"]}}, "required": ["user"]}),
        ),
        (
            "arrays with bounds",
            json!({"type": "object", "properties": {
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "minItems": 1, "maxItems": 3, "uniqueItems": true},
                "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}, "maxItems": 2}},
                "flags": {"type": "array", "items": {"type": "boolean"}, "uniqueItems": true, "minItems": 2}
            }, "required": ["tags", "flags"]}),
        ),
        (
            "enum and const",
            json!({"type": "object", "properties": {
                "mode": {"enum": ["fast", "slow", 3, null]},
                "version": {"const": "1.0"},
                "level": {"type": "string", "enum": ["a", "b", 7]}
            }, "required": ["mode", "version", "level"]}),
        ),
        (
            "numeric ranges",
            json!({"type": "object", "properties": {
                "a": {"type": "integer", "minimum": 10, "maximum": 20},
                "b": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "c": {"type": "integer", "exclusiveMinimum": -5, "multipleOf": 3, "maximum": 30},
                "d": {"type": "number", "multipleOf": 0.25, "minimum": -2, "maximum": 2},
                "e": {"type": "number", "minimum": 1.5, "exclusiveMaximum": 1e9}
            }, "required": ["a", "b", "c", "d", "e"]}),
        ),
        (
            "string lengths",
            json!({"type": "object", "properties": {
                "s": {"type": "string", "minLength": 3, "maxLength": 8},
                "t": {"type": "string", "minLength": 40},
                "u": {"type": "string", "maxLength": 0}
            }, "required": ["s", "t", "u"]}),
        ),
        (
            "patterns",
            json!({"type": "object", "properties": {
                "code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{3}$"},
                "slug": {"type": "string", "pattern": "[a-z]+"},
                "word": {"type": "string", "pattern": "^\\w+$", "maxLength": 6},
                "look": {"type": "string", "pattern": "^(?!admin)[a-z]+$"}
            }, "required": ["code", "slug", "word"]}),
        ),
        (
            "formats",
            json!({"type": "object", "properties": {
                "dt": {"type": "string", "format": "date-time"},
                "d": {"type": "string", "format": "date"},
                "t": {"type": "string", "format": "time"},
                "mail": {"type": "string", "format": "email"},
                "link": {"type": "string", "format": "uri"},
                "id": {"type": "string", "format": "uuid"},
                "v4": {"type": "string", "format": "ipv4"},
                "v6": {"type": "string", "format": "ipv6"},
                "host": {"type": "string", "format": "hostname"},
                "dur": {"type": "string", "format": "duration"},
                "ptr": {"type": "string", "format": "json-pointer"}
            }, "required": ["dt", "d", "t", "mail", "link", "id", "v4", "v6", "host", "dur", "ptr"]}),
        ),
        (
            "anyOf",
            json!({"type": "object", "properties": {
                "v": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "minimum": 100}, {"type": "null"}]}
            }, "required": ["v"]}),
        ),
        (
            "oneOf",
            json!({"type": "object", "properties": {
                "id": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
                "shape": {"oneOf": [
                    {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number", "minimum": 0}},
                     "required": ["kind", "r"], "additionalProperties": false},
                    {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}},
                     "required": ["kind", "side"], "additionalProperties": false}
                ]},
                "overlap": {"oneOf": [{"type": "string", "minLength": 2}, {"type": "string", "maxLength": 4}]}
            }, "required": ["id", "shape", "overlap"]}),
        ),
        (
            "recursive $defs",
            json!({"type": "object", "$defs": {"node": {"type": "object", "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 3}
            }, "required": ["value"]}}, "properties": {"tree": {"$ref": "#/$defs/node"}}, "required": ["tree"]}),
        ),
        (
            "recursive root ref",
            json!({"type": "object", "properties": {"name": {"type": "string"}, "sub": {"$ref": "#"}}, "required": ["name"]}),
        ),
        (
            "additionalProperties false",
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                   "additionalProperties": false, "required": ["a"]}),
        ),
        (
            "additionalProperties schema",
            json!({"type": "object", "properties": {"fixed": {"type": "boolean"}},
                   "additionalProperties": {"type": "integer", "minimum": 0}, "minProperties": 2}),
        ),
        (
            "draft-07 definitions and tuples",
            json!({"$schema": "http://json-schema.org/draft-07/schema#",
                   "definitions": {"pos": {"type": "integer", "minimum": 1}},
                   "type": "object", "properties": {
                       "x": {"$ref": "#/definitions/pos"},
                       "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false, "minItems": 2}
                   }, "required": ["x", "pair"]}),
        ),
        (
            "draft-04 boolean exclusive bounds",
            json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {
                "p": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true},
                "q": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 3}
            }, "required": ["p", "q"]}),
        ),
        (
            "allOf merge",
            json!({"allOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"a": {"minimum": 5, "maximum": 9}, "b": {"type": "string"}}, "required": ["b"]}
            ]}),
        ),
        (
            "not, type arrays, missing type",
            json!({"type": "object", "properties": {
                "x": {"type": ["string", "null"]},
                "y": {"not": {"type": "string"}},
                "z": {"minimum": 3},
                "w": {"not": {"enum": [1, 2, 3]}, "type": "integer", "minimum": 0, "maximum": 5},
                "anything": {},
                "t": true
            }, "required": ["x", "y", "z", "w", "anything"]}),
        ),
        (
            "prefixItems (2020-12)",
            json!({"type": "object", "properties": {
                "point": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "items": false, "minItems": 2}
            }, "required": ["point"]}),
        ),
        (
            "if/then/else and dependentRequired",
            json!({"type": "object", "properties": {
                "kind": {"enum": ["a", "b"]}, "a_val": {"type": "string"}, "b_val": {"type": "integer"}
            }, "required": ["kind"],
               "if": {"properties": {"kind": {"const": "a"}}},
               "then": {"required": ["a_val"]}, "else": {"required": ["b_val"]},
               "dependentRequired": {"a_val": ["kind"]}}),
        ),
        (
            "contains",
            json!({"type": "object", "properties": {
                "list": {"type": "array", "items": {"type": "integer"}, "contains": {"const": 42}, "maxItems": 4}
            }, "required": ["list"]}),
        ),
        (
            "unevaluatedProperties false",
            json!({"type": "object", "allOf": [{"properties": {"a": {"type": "string"}}}],
                   "properties": {"b": {"type": "integer"}, "free": {"type": "object", "unevaluatedProperties": false},
                                  "tuple": {"type": "array", "prefixItems": [{"type": "string"}], "unevaluatedItems": false}},
                   "unevaluatedProperties": false}),
        ),
        ("empty schema", json!({})),
    ]
}

fn oracle(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("corpus schema compiles")
}

#[test]
fn valid_values_validate() {
    for (i, (name, schema)) in corpus().into_iter().enumerate() {
        let validator = oracle(&schema);
        let generator = SchemaGen::new(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut runner = runner_for_seed(1000 + i as u64, CASES);
        let result = runner.run(&generator.valid(), |v| {
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            prop_assert!(
                errors.is_empty(),
                "{name}: generated invalid value {v}: {errors:?}"
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("{name}: {e}");
        }
    }
    eprintln!("valid family: {} schemas x {CASES} cases", corpus().len());
}

#[test]
fn invalid_values_do_not_validate() {
    let mut kinds: BTreeMap<InvalidKind, usize> = BTreeMap::new();
    for (i, (name, schema)) in corpus().into_iter().enumerate() {
        let validator = oracle(&schema);
        let generator = SchemaGen::new(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut runner = runner_for_seed(2000 + i as u64, CASES);
        let seen = std::cell::RefCell::new(Vec::new());
        let result = runner.run(&generator.invalid(), |input: InvalidInput| {
            seen.borrow_mut().push(input.kind);
            if input.kind.is_schema_breaking() {
                prop_assert!(
                    !validator.is_valid(&input.value),
                    "{name}: {} at {} ({}) still validates: {}",
                    input.kind,
                    input.pointer,
                    input.detail,
                    input.value
                );
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{name}: {e}");
        }
        for k in seen.into_inner() {
            *kinds.entry(k).or_default() += 1;
        }
        if name != "empty schema" {
            assert!(
                generator.violations().is_some(),
                "{name}: no schema violation available"
            );
        }
    }
    eprintln!(
        "invalid family: {} schemas x {CASES} cases; kinds seen: {kinds:?}",
        corpus().len()
    );
    for k in InvalidKind::ALL {
        assert!(
            kinds.contains_key(&k),
            "kind {k} never generated by the corpus"
        );
    }
}

#[test]
fn every_catalogued_alternative_behaves() {
    let mut alternatives = 0;
    for (name, schema) in corpus() {
        let validator = oracle(&schema);
        let generator = SchemaGen::new(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, (kind, pointer)) in generator.catalog().iter().enumerate() {
            alternatives += 1;
            let strategy = generator.invalid_alternative(i).expect("catalogued");
            let mut runner = runner_for_seed(i as u64, 1);
            let values =
                sample(&strategy, &mut runner, 24).unwrap_or_else(|e| panic!("{name}: {e}"));
            for input in values {
                assert_eq!((input.kind, &input.pointer), (*kind, pointer), "{name}");
                assert!(
                    input.value.pointer(pointer).is_some()
                        || input.kind == InvalidKind::MissingRequired,
                    "{name}: {kind} spot {pointer} missing from {}",
                    input.value
                );
                if kind.is_schema_breaking() {
                    assert!(
                        !validator.is_valid(&input.value),
                        "{name}: {kind} at {pointer} ({}) still validates: {}",
                        input.detail,
                        input.value
                    );
                }
            }
        }
    }
    eprintln!("catalog: {alternatives} (kind, spot) alternatives x 24 values checked");
}

#[test]
fn skipped_parts_are_noted() {
    let generator = SchemaGen::new(&json!({"type": "object", "properties": {
        "look": {"type": "string", "pattern": "^(?!admin)[a-z]+$"},
        "id": {"oneOf": [{"type": "integer"}, {"type": "number"}]}
    }}))
    .expect("supported");
    let notes = generator.notes().join("\n");
    assert!(notes.contains("optional property `look`"), "{notes}");
    assert!(notes.contains("oneOf branch 0"), "{notes}");
}

#[test]
fn catalog_lists_expected_spots() {
    let schema = json!({"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 10},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": true},
        "mode": {"enum": ["a", "b"]}
    }, "required": ["name"], "additionalProperties": false});
    let generator = SchemaGen::new(&schema).expect("supported");
    let catalog = generator.catalog();
    let has = |k: InvalidKind, p: &str| catalog.iter().any(|(kk, pp)| *kk == k && pp == p);
    assert!(has(InvalidKind::WrongType, ""));
    assert!(has(InvalidKind::MissingRequired, ""));
    assert!(has(InvalidKind::ExtraProperty, ""));
    assert!(has(InvalidKind::TooShort, "/name"));
    assert!(has(InvalidKind::TooLong, "/name"));
    assert!(has(InvalidKind::BelowMinimum, "/age"));
    assert!(has(InvalidKind::AboveMaximum, "/age"));
    assert!(has(InvalidKind::TooManyItems, "/tags"));
    assert!(has(InvalidKind::DuplicateItems, "/tags"));
    assert!(has(InvalidKind::WrongType, "/tags/0"));
    assert!(has(InvalidKind::NotInEnum, "/mode"));
    assert!(has(InvalidKind::HugeString, "/name"));
    assert!(has(InvalidKind::DeepNesting, "/age"));
}

#[test]
fn shrinks_valid_value_to_exact_boundary() {
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
    let generator = SchemaGen::new(&schema).expect("supported");
    let mut runner = runner_for_seed(42, 1000);
    let result = runner.run(&generator.valid(), |v| {
        prop_assert!(v.get("n").and_then(Value::as_i64).is_none_or(|n| n <= 1000));
        Ok(())
    });
    match result {
        Err(TestError::Fail(_, minimal)) => assert_eq!(minimal, json!({"n": 1001})),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn shrinking_keeps_the_broken_rule_broken() {
    let schema = json!({"type": "object", "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "note": {"type": "string"}
    }, "required": ["name"]});
    let generator = SchemaGen::new(&schema).expect("supported");
    let mut runner = runner_for_seed(7, 1000);
    let result = runner.run(&generator.invalid(), |input| {
        prop_assert!(input.kind != InvalidKind::BelowMinimum);
        Ok(())
    });
    match result {
        Err(TestError::Fail(_, minimal)) => {
            assert_eq!(minimal.kind, InvalidKind::BelowMinimum);
            assert_eq!(minimal.pointer, "/age");
            assert_eq!(minimal.value, json!({"name": "", "age": -1}));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn same_seed_same_values() {
    for (name, schema) in corpus() {
        let generator = SchemaGen::new(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        let draw = |seed: u64| {
            let mut runner = runner_for_seed(seed, 1);
            let valid = sample(&generator.valid(), &mut runner, 30).expect("valid values");
            let invalid = sample(&generator.invalid(), &mut runner, 30).expect("invalid values");
            (valid, invalid)
        };
        assert_eq!(draw(99), draw(99), "{name}: same seed differs");
        if name != "empty schema" {
            assert_ne!(draw(99).0, draw(100).0, "{name}: different seeds agree");
        }
    }
    assert_ne!(seed_bytes(1), seed_bytes(2));
    assert_eq!(seed_bytes(5), seed_bytes(5));
}

#[test]
fn unsupported_schemas_are_reported() {
    let cases = [
        (json!(false), "false"),
        (json!(42), "object or a boolean"),
        (json!({"$ref": "other.json#/x"}), "unresolvable"),
        (json!({"$ref": "#/$defs/missing"}), "unresolvable"),
        (
            json!({"$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}}, "required": ["next"]}},
                   "$ref": "#/$defs/n"}),
            "nesting deeper",
        ),
        (
            json!({"type": "object", "properties": {"p": {"type": "string", "pattern": "^(?!x)"}}, "required": ["p"]}),
            "unsupported pattern",
        ),
        (
            json!({"type": "integer", "minimum": 5, "maximum": 4}),
            "no integer",
        ),
        (json!({"enum": [1, 2], "type": "string"}), "enum"),
        (
            json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}),
            "circular",
        ),
    ];
    for (schema, needle) in cases {
        match SchemaGen::new(&schema) {
            Ok(_) => panic!("{schema} should be unsupported"),
            Err(e) => assert!(
                e.reason.contains(needle),
                "{schema}: reason `{}` lacks `{needle}`",
                e.reason
            ),
        }
    }
}

#[test]
fn root_true_and_empty_schema_generate_any_json() {
    for schema in [json!(true), json!({})] {
        let generator = SchemaGen::new(&schema).expect("supported");
        assert!(generator.violations().is_none());
        let mut runner = runner_for_seed(1, 1);
        let values = sample(&generator.valid(), &mut runner, 200).expect("values");
        let kinds: std::collections::BTreeSet<u8> = values
            .iter()
            .map(crate::json_schema::types::value_type)
            .collect();
        assert!(kinds.len() >= 5, "too few JSON types: {kinds:?}");
    }
}

#[test]
fn stressors_are_hostile() {
    let schema =
        json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]});
    let generator = SchemaGen::new(&schema).expect("supported");
    let mut runner = runner_for_seed(11, 1);
    let values = sample(&generator.stressors(), &mut runner, 300).expect("values");
    let find = |k: InvalidKind| values.iter().find(|v| v.kind == k).cloned();
    // Huge strings vary in length (so shrinking can find a threshold) but reach the cap.
    let longest = values
        .iter()
        .filter(|v| v.kind == InvalidKind::HugeString)
        .filter_map(|v| v.value.pointer(&v.pointer).and_then(Value::as_str))
        .map(|s| s.chars().count())
        .max()
        .expect("huge strings");
    assert!(longest >= 50_000, "longest huge string: {longest}");
    let deep = find(InvalidKind::DeepNesting).expect("deep nesting");
    let mut depth = 0;
    let mut cur = deep.value.pointer(&deep.pointer).expect("spot");
    while let Some(next) = cur
        .as_array()
        .and_then(|a| a.first())
        .or_else(|| cur.get("a"))
    {
        depth += 1;
        cur = next;
    }
    assert!(depth >= 200);
    assert!(values.iter().all(|v| v.kind.is_stressor()));
}

#[test]
fn schema_gen_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SchemaGen>();
}
