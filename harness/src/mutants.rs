//! The mutant catalogue (`fixtures/mutants.yaml`): servers that each break one rule.
//!
//! The suite's own tests run every case against the mutants it names and require a
//! failure; a case that no mutant can fail proves nothing.

use std::path::Path;

use serde::Deserialize;

use crate::transport::stdio::Launch;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutant {
    pub name: String,
    pub description: String,
    /// Arguments for the reference server (its fault switch).
    #[serde(default)]
    pub reference_args: Vec<String>,
    /// A whole command instead (program first), relative to the repository root.
    #[serde(default)]
    pub command: Vec<String>,
    /// What shows the mutant can be caught: `cases` (the default: a case names it),
    /// `fuzz` (the fuzzer finds it; checked by harness/tests/suite/fuzz.rs) or
    /// `traversal` (a traversal probe family finds it; harness/tests/suite/traversal.rs)
    /// or `policy` (a legal server the harness's own safety policy refuses to test: the
    /// cases that meet it end as `error` naming the policy; harness/tests/suite/reports.rs).
    #[serde(default = "cases")]
    pub used_by: String,
}

fn cases() -> String {
    "cases".into()
}

impl Mutant {
    /// How to start this mutant, given the reference server binary and the repository root.
    pub fn launch(&self, reference_server: &Path, repo_root: &Path) -> Launch {
        match self.command.split_first() {
            Some((program, args)) => Launch {
                program: program.clone(),
                args: args.to_vec(),
                env: Vec::new(),
                cwd: Some(repo_root.to_path_buf()),
            },
            None => Launch {
                program: reference_server.display().to_string(),
                args: self.reference_args.clone(),
                env: Vec::new(),
                cwd: None,
            },
        }
    }
}

pub fn load(path: &Path) -> Result<Vec<Mutant>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let list: Vec<Mutant> =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for m in &list {
        if !["cases", "fuzz", "traversal", "policy"].contains(&m.used_by.as_str()) {
            return Err(format!(
                "{}: mutant `{}` has used_by `{}` (expected cases, fuzz, traversal or policy)",
                path.display(),
                m.name,
                m.used_by
            ));
        }
        if m.reference_args.is_empty() == m.command.is_empty() {
            return Err(format!(
                "{}: mutant `{}` needs exactly one of `reference_args` and `command`",
                path.display(),
                m.name
            ));
        }
    }
    Ok(list)
}

/// A legal variant (`fixtures/variants.yaml`): the reference server making one unusual
/// choice the specification allows. The mirror of a mutant: every case must pass or
/// skip against it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalVariant {
    pub name: String,
    pub description: String,
    /// The sentence of the specification that allows the choice, quoted.
    pub allows: String,
    /// Where that sentence is (revision, page, section).
    pub source: String,
    /// The transports the variant's trials use: `stdio`, `http` (Streamable HTTP),
    /// `sse` (legacy HTTP+SSE).
    pub transports: Vec<String>,
    /// Arguments for the reference server (its variant switches and options).
    pub reference_args: Vec<String>,
    /// `reference` (default): the reference server's hints fit this variant; `none`:
    /// run without hints.
    #[serde(default = "reference_hints")]
    pub hints: String,
}

fn reference_hints() -> String {
    "reference".into()
}

/// Loads and checks the variant catalogue.
pub fn load_variants(path: &Path) -> Result<Vec<LegalVariant>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let list: Vec<LegalVariant> =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut seen = std::collections::BTreeSet::new();
    for v in &list {
        let problem = if !seen.insert(v.name.as_str()) {
            Some("is listed twice".to_string())
        } else if v.allows.trim().is_empty() || v.source.trim().is_empty() {
            Some("needs the sentence that allows it (`allows`) and its `source`".to_string())
        } else if v.transports.is_empty() {
            Some("names no transport".to_string())
        } else if let Some(t) = v
            .transports
            .iter()
            .find(|t| !["stdio", "http", "sse"].contains(&t.as_str()))
        {
            Some(format!("has transport `{t}` (expected stdio, http or sse)"))
        } else if !["reference", "none"].contains(&v.hints.as_str()) {
            Some(format!(
                "has hints `{}` (expected reference or none)",
                v.hints
            ))
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(format!("{}: variant `{}` {p}", path.display(), v.name));
        }
    }
    Ok(list)
}
