//! The JSON Schema of a case file, generated from the case model's types (their doc
//! comments are its descriptions): `schemas/case.schema.json` is this output, kept
//! current by a test (`MCP_CONFORM_BLESS=1` rewrites it).

use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use super::Case;

const SCHEMA_ID: &str = "https://mcp-conform.invalid/schemas/case.schema.json";

/// The case schema as JSON.
pub fn case_schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Case>().to_value();
    if let Value::Object(map) = &mut schema {
        let mut ordered = Map::new();
        if let Some(s) = map.remove("$schema") {
            ordered.insert("$schema".into(), s);
        }
        ordered.insert("$id".into(), SCHEMA_ID.into());
        ordered.append(map);
        schema = Value::Object(ordered);
    }
    schema
}

/// The text of `schemas/case.schema.json`.
pub fn case_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&case_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// The validator of case files (built once).
pub(super) fn validator() -> Result<&'static jsonschema::Validator, String> {
    static V: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        jsonschema::validator_for(&case_schema())
            .map_err(|e| format!("case schema is invalid: {e}"))
    })
    .as_ref()
    .map_err(|e| e.clone())
}

/// The `derive` outputs as a Markdown table (the one in `cases/README.md`), from the
/// doc comments of `DeriveHow`'s variants.
pub fn derive_table() -> String {
    let schema = case_schema();
    let mut out = String::from("| `how` | `into` receives |\n|---|---|\n");
    let variants = schema
        .pointer("/$defs/DeriveHow/oneOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for v in variants {
        let name = v.get("const").and_then(Value::as_str).unwrap_or_default();
        let text = v
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        out.push_str(&format!("| `{name}` | {} |\n", text.replace('\n', " ")));
    }
    out
}

/// `text` with the lines between `<!-- generated: NAME -->` and `<!-- end -->` replaced
/// by `content` (None when the markers are missing).
pub fn splice_generated(text: &str, name: &str, content: &str) -> Option<String> {
    let start_marker = format!("<!-- generated: {name} -->\n");
    let start = text.find(&start_marker)? + start_marker.len();
    let end = start + text[start..].find("<!-- end -->")?;
    Some(format!("{}{content}{}", &text[..start], &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_file(rel: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(rel)
    }

    /// `schemas/case.schema.json` is generated from the case types; run with
    /// `MCP_CONFORM_BLESS=1` to rewrite it after changing them.
    #[test]
    fn case_schema_file_is_current() {
        let path = workspace_file("schemas/case.schema.json");
        let generated = case_schema_text();
        if std::env::var_os("MCP_CONFORM_BLESS").is_some() {
            std::fs::write(&path, &generated).expect("write the case schema");
            return;
        }
        let on_disk = std::fs::read_to_string(&path).expect("read the case schema");
        assert!(
            on_disk == generated,
            "schemas/case.schema.json is not what the case types generate; run \
             MCP_CONFORM_BLESS=1 cargo test -p mcp-conform case_schema to update it"
        );
    }

    /// The operator and `derive` tables of `cases/README.md` are generated from the
    /// code (`MCP_CONFORM_BLESS=1` rewrites them).
    #[test]
    fn cases_readme_tables_are_current() {
        let path = workspace_file("cases/README.md");
        let text = std::fs::read_to_string(&path).expect("read cases/README.md");
        let operators = crate::check::matcher::operator_table();
        let generated = splice_generated(&text, "operators", &operators)
            .and_then(|t| splice_generated(&t, "derive", &derive_table()))
            .expect("cases/README.md has the generated-table markers");
        if std::env::var_os("MCP_CONFORM_BLESS").is_some() {
            std::fs::write(&path, &generated).expect("write cases/README.md");
            return;
        }
        assert!(
            text == generated,
            "the tables in cases/README.md are not current; run \
             MCP_CONFORM_BLESS=1 cargo test -p mcp-conform cases_readme to update them"
        );
    }

    /// Every file under `cases/` validates against the checked-in schema (the file
    /// editors and other tools read), not only against the one the loader generates.
    #[test]
    fn every_case_file_validates_against_the_checked_in_schema() {
        let text = std::fs::read_to_string(workspace_file("schemas/case.schema.json"))
            .expect("read the case schema");
        let schema: Value = serde_json::from_str(&text).expect("the case schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("a valid schema");
        let mut stack = vec![workspace_file("cases")];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read cases/").flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "yaml") {
                    let text = std::fs::read_to_string(&p).expect("read a case");
                    let doc: Value = serde_yaml_ng::from_str(&text).expect("YAML");
                    let errors: Vec<String> =
                        validator.iter_errors(&doc).map(|e| e.to_string()).collect();
                    assert!(errors.is_empty(), "{}: {errors:?}", p.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 100, "only {seen} case files found");
    }
}
