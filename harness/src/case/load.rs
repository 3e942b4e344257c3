//! Reads case files: from the copy bundled into the binary, or from a folder.
//!
//! A file is checked in four layers, each giving the path and a precise reason:
//! YAML syntax, the case JSON Schema (generated from the case types; see `schema`),
//! the case types themselves (matchers are parsed, so a misspelt one names its step),
//! then rules neither can express (id matches its folder, requirement ids exist, ids
//! are unique).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::{schema, Case, Step};
use crate::requirements;

include!(concat!(env!("OUT_DIR"), "/cases_bundle.rs"));

#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Parses and checks one case file. `path` is as shown to users (`cases/area/x.yaml`).
pub fn parse(path: &str, text: &str) -> Result<Case, LoadError> {
    let err = |reason: String| LoadError {
        path: path.to_string(),
        reason,
    };
    let doc: Value =
        serde_yaml_ng::from_str(text).map_err(|e| err(format!("not valid YAML: {e}")))?;
    let validator = schema::validator().map_err(err)?;
    let problems: Vec<String> = validator
        .iter_errors(&doc)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!(
                "{} {e}",
                if at.is_empty() {
                    "(top level)".to_string()
                } else {
                    at
                }
            )
        })
        .collect();
    if !problems.is_empty() {
        return Err(err(format!(
            "does not follow the case format: {}",
            problems.join("; ")
        )));
    }
    let mut case: Case = serde_json::from_value(doc).map_err(|e| {
        let e = e.to_string();
        // A misspelt matcher is named by its step (`step 2.1: unknown matcher operator …`).
        err(if e.starts_with("step ") {
            e
        } else {
            format!("does not follow the case format: {e}")
        })
    })?;
    case.file = path.to_string();
    check_rules(&case).map_err(err)?;
    Ok(case)
}

fn id_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$").expect("static regex"))
}

fn check_rules(case: &Case) -> Result<(), String> {
    if !id_pattern().is_match(&case.id) {
        return Err(format!(
            "id `{}` must look like `area.name` (lowercase, digits, dashes)",
            case.id
        ));
    }
    let folder = Path::new(&case.file)
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|f| f.to_str())
        .unwrap_or("");
    if folder != case.area() {
        return Err(format!(
            "id `{}` starts with area `{}` but the file is in folder `{folder}`",
            case.id,
            case.area()
        ));
    }
    if case.requirements.is_empty() {
        return Err("cites no requirement ids".into());
    }
    for r in &case.requirements {
        if !requirements::exists(r) {
            return Err(format!(
                "cites `{r}`, which is not a requirement id in REQUIREMENTS.md"
            ));
        }
    }
    case.revisions.validate()?;
    check_steps(&case.steps, "")
}

/// Cited ids exist, in nested steps too.
fn check_steps(steps: &[Step], prefix: &str) -> Result<(), String> {
    for (i, step) in steps.iter().enumerate() {
        let here = format!("{prefix}{}", i + 1);
        let judged_reqs = step.judgement().and_then(|(j, _)| j.requirements.as_ref());
        for r in judged_reqs.into_iter().flatten() {
            if !requirements::exists(r) {
                return Err(format!(
                    "step {here} cites `{r}`, which is not a requirement id"
                ));
            }
        }
        check_steps(step.sub_steps(), &format!("{here}."))?;
    }
    Ok(())
}

/// Rules across files: unique ids.
fn check_set(cases: &[Case]) -> Vec<LoadError> {
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for c in cases {
        if !seen.insert(c.id.clone()) {
            errors.push(LoadError {
                path: c.file.clone(),
                reason: format!("duplicate case id `{}`", c.id),
            });
        }
    }
    errors
}

fn load_all(
    files: impl Iterator<Item = (String, Result<String, String>)>,
) -> Result<Vec<Case>, Vec<LoadError>> {
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for (path, text) in files {
        match text {
            Ok(t) => match parse(&path, &t) {
                Ok(c) => cases.push(c),
                Err(e) => errors.push(e),
            },
            Err(reason) => errors.push(LoadError { path, reason }),
        }
    }
    errors.extend(check_set(&cases));
    if errors.is_empty() {
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// The cases compiled into this binary.
pub fn load_bundled() -> Result<Vec<Case>, Vec<LoadError>> {
    load_all(
        BUNDLED_CASES
            .iter()
            .map(|(p, t)| (p.to_string(), Ok(t.to_string()))),
    )
}

/// Every `*.yaml`/`*.yml` file under `dir`, recursively.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, Vec<LoadError>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    if !dir.is_dir() {
        return Err(vec![LoadError {
            path: dir.display().to_string(),
            reason: "not a folder".into(),
        }]);
    }
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                return Err(vec![LoadError {
                    path: d.display().to_string(),
                    reason: format!("cannot read folder: {e}"),
                }])
            }
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                files.push(p);
            }
        }
    }
    files.sort();
    let base = dir.parent().unwrap_or(dir);
    load_all(files.into_iter().map(|p| {
        let shown = p.strip_prefix(base).unwrap_or(&p).display().to_string();
        let text = std::fs::read_to_string(&p).map_err(|e| format!("cannot read: {e}"));
        (shown, text)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = "id: tools.x\ntitle: t\nrequirements: [REQ]\nseverity: must\nmutants: [m]\nsteps:\n  - {send: {jsonrpc: '2.0', id: 1, method: ping}}\n  - {expect: {id: 1, requirements: [STEP]}}\n";

    fn with(case_req: &str, step_req: &str) -> Result<Case, LoadError> {
        let text = CASE.replace("REQ", case_req).replace("STEP", step_req);
        parse("cases/tools/x.yaml", &text)
    }

    /// Session-era cases never run at 2026-07-28 and stateless cases never at a
    /// session-based revision: the eras do not share a setup (initialize vs `_meta`).
    #[test]
    fn bundled_cases_keep_to_one_era() {
        let cases = load_bundled().expect("bundled cases load");
        for c in &cases {
            let members = c.revisions.members();
            let modern = members
                .iter()
                .filter(|r| crate::revision::is_modern(r))
                .count();
            assert!(
                modern == 0 || modern == members.len(),
                "{} mixes eras: {:?}",
                c.id,
                members
            );
            assert_eq!(
                modern > 0,
                c.area() == "modern",
                "{}: stateless cases live in cases/modern/, and only they",
                c.id
            );
        }
    }

    #[test]
    fn requirement_ids_must_exist_in_requirements_md() {
        assert!(with("TOOL-07", "TOOL-03").is_ok());
        let e = with("TOOL-99", "TOOL-03").expect_err("unknown case-level id");
        assert!(
            e.reason
                .contains("`TOOL-99`, which is not a requirement id"),
            "{e}"
        );
        let e = with("TOOL-07", "TOOL-98").expect_err("unknown step-level id");
        assert!(e.reason.contains("`TOOL-98`"), "{e}");
    }

    #[test]
    fn nested_steps_are_checked_too() {
        let text = "id: tools.y\ntitle: t\nrequirements: [TOOL-03]\nseverity: must\nsteps:\n  - for_each: {in: xs, as: x, steps: [{check: {value: 1, match: {$tpye: integer}}}]}\n";
        let e = parse("cases/tools/y.yaml", text).expect_err("typo in a nested matcher");
        assert_eq!(
            e.reason, "step 1.1: unknown matcher operator `$tpye` at /$tpye",
            "{e}"
        );
    }

    #[test]
    fn every_bundled_case_loads() {
        let cases = load_bundled().expect("bundled cases load");
        assert!(cases.len() > 53);
    }
}
