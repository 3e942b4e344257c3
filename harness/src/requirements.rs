//! The requirement ids cases may cite (from `harness/data/requirements.yaml`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    pub id: String,
    /// RFC 2119 keyword as written (`MUST`, `SHOULD†`, `MUST NOT`, `info`, …).
    pub keyword: String,
    pub section: u32,
    pub area: String,
    pub revisions: String,
    /// The row's paraphrase (our own words), as the SARIF and Markdown reports quote it.
    #[serde(default)]
    pub text: String,
}

static DATA: &str = include_str!("../data/requirements.yaml");

pub fn all() -> &'static BTreeMap<String, Requirement> {
    static MAP: OnceLock<BTreeMap<String, Requirement>> = OnceLock::new();
    MAP.get_or_init(|| {
        let list: Vec<Requirement> = serde_yaml_ng::from_str(DATA).unwrap_or_default();
        list.into_iter().map(|r| (r.id.clone(), r)).collect()
    })
}

pub fn exists(id: &str) -> bool {
    all().contains_key(id)
}

/// The strongest verdict level a row's keyword can carry: `Must` for MUST, MUST NOT or
/// REQUIRED (also when derived, `MUST†`, or stated for some revisions only, `MUST/SHOULD`),
/// `Should` for SHOULD or SHOULD NOT, `None` for MAY and `info` rows, which are never
/// judged above a note.
pub fn strongest_level(id: &str) -> Option<crate::outcome::Severity> {
    use crate::outcome::Severity;
    let keyword = &all().get(id)?.keyword;
    if keyword.contains("MUST") || keyword.contains("REQUIRED") {
        Some(Severity::Must)
    } else if keyword.contains("SHOULD") {
        Some(Severity::Should)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use crate::outcome::Severity;

    fn rank(level: Option<Severity>) -> u8 {
        match level {
            Some(Severity::Must) => 2,
            Some(Severity::Should) => 1,
            _ => 0,
        }
    }

    /// Every `severity` in a case file (the case's, and each step's override) rests on a
    /// keyword at least as strong among the requirement ids it cites: a `must` needs a
    /// MUST row, a `should` a SHOULD row (the verdict rule of README "Verdicts").
    /// Rows whose keyword depends on the revision (`MUST/SHOULD`) allow the stronger.
    #[test]
    fn every_severity_rests_on_a_keyword_of_its_requirements() {
        fn walk(v: &Value, inherited: &[String], file: &str, problems: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    let reqs: Vec<String> = match o.get("requirements") {
                        Some(Value::Array(a)) => a
                            .iter()
                            .filter_map(|r| r.as_str().map(str::to_string))
                            .collect(),
                        _ => inherited.to_vec(),
                    };
                    for key in ["severity", "missing_severity"] {
                        let Some(level) = o.get(key).and_then(Value::as_str) else {
                            continue;
                        };
                        let wanted: Option<Severity> =
                            serde_json::from_value(Value::String(level.to_string())).ok();
                        let allowed = reqs
                            .iter()
                            .map(|r| rank(super::strongest_level(r)))
                            .max()
                            .unwrap_or(0);
                        if rank(wanted) > allowed {
                            problems.push(format!(
                                "{file}: {key} `{level}` but {reqs:?} carry no such keyword"
                            ));
                        }
                    }
                    for (k, child) in o {
                        if k != "requirements" {
                            walk(child, &reqs, file, problems);
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|c| walk(c, inherited, file, problems)),
                _ => {}
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
        let mut problems = Vec::new();
        let mut files = 0;
        for area in std::fs::read_dir(&root).expect("cases/").flatten() {
            for entry in std::fs::read_dir(area.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("readable case");
                let case: Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
                walk(&case, &[], &path.display().to_string(), &mut problems);
                files += 1;
            }
        }
        assert!(
            files > 100,
            "only {files} case files found under {}",
            root.display()
        );
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The bundled keywords equal the table of ../shared/mcp-spec/REQUIREMENTS.md when
    /// that file is beside the repository (it is in CI): a re-audited row (TOOL-07 became
    /// SHOULD†) must reach the data the verdict rule is checked against.
    #[test]
    fn bundled_keywords_equal_the_requirements_file() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/mcp-spec/REQUIREMENTS.md");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!(
                "NOT RUN: {} is not there; keywords not compared",
                path.display()
            );
            return;
        };
        let mut rows = 0;
        for line in text.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (Some(id), Some(keyword)) = (cells.get(1), cells.get(2)) else {
                continue;
            };
            let Some(known) = super::all().get(*id) else {
                continue;
            };
            rows += 1;
            assert_eq!(
                &known.keyword, keyword,
                "{id}: regenerate harness/data/requirements.yaml"
            );
            assert!(
                !known.text.is_empty() && line.contains(&known.text.replace('|', "\\|")),
                "{id}: text differs; regenerate harness/data/requirements.yaml"
            );
        }
        assert_eq!(rows, super::all().len(), "rows of REQUIREMENTS.md found");
    }

    #[test]
    fn the_bundled_list_has_every_row() {
        assert_eq!(super::all().len(), 194);
        assert!(super::exists("RPC-09"));
        assert!(super::exists("MOD-26"));
        assert!(!super::exists("RPC-99"));
    }
}
