//! The mutant catalogue (`fixtures/mutants.yaml`): servers that each break one rule.
//!
//! The suite's own tests run every case against the mutants it names and require a
//! failure; a case that no mutant can fail proves nothing.

use std::path::{Path, PathBuf};

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

/// Why a catalogue (`fixtures/mutants.yaml`, `fixtures/variants.yaml`) cannot be used;
/// every text starts with the file.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Yaml {
        path: PathBuf,
        source: serde_yaml_ng::Error,
    },
    #[error("{}: mutant `{name}` has used_by `{used_by}` (expected cases, fuzz, traversal or policy)", path.display())]
    UsedBy {
        path: PathBuf,
        name: String,
        used_by: String,
    },
    #[error("{}: mutant `{name}` needs exactly one of `reference_args` and `command`", path.display())]
    LaunchChoice { path: PathBuf, name: String },
    #[error("{}: variant `{name}` {problem}", path.display())]
    Variant {
        path: PathBuf,
        name: String,
        problem: VariantProblem,
    },
}

/// What is wrong with one legal variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariantProblem {
    #[error("is listed twice")]
    Duplicate,
    #[error("needs the sentence that allows it (`allows`) and its `source`")]
    NoSource,
    #[error("names no transport")]
    NoTransport,
    #[error("has transport `{0}` (expected stdio, http or sse)")]
    Transport(String),
    #[error("has hints `{0}` (expected reference or none)")]
    Hints(String),
}

/// The list in a catalogue file.
fn read_list<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, CatalogueError> {
    let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_yaml_ng::from_str(&text).map_err(|source| CatalogueError::Yaml {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads and checks the mutant catalogue.
pub fn load(path: &Path) -> Result<Vec<Mutant>, CatalogueError> {
    let list: Vec<Mutant> = read_list(path)?;
    for m in &list {
        if !["cases", "fuzz", "traversal", "policy"].contains(&m.used_by.as_str()) {
            return Err(CatalogueError::UsedBy {
                path: path.to_path_buf(),
                name: m.name.clone(),
                used_by: m.used_by.clone(),
            });
        }
        if m.reference_args.is_empty() == m.command.is_empty() {
            return Err(CatalogueError::LaunchChoice {
                path: path.to_path_buf(),
                name: m.name.clone(),
            });
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
pub fn load_variants(path: &Path) -> Result<Vec<LegalVariant>, CatalogueError> {
    let list: Vec<LegalVariant> = read_list(path)?;
    let mut seen = std::collections::BTreeSet::new();
    for v in &list {
        let problem = if !seen.insert(v.name.as_str()) {
            Some(VariantProblem::Duplicate)
        } else if v.allows.trim().is_empty() || v.source.trim().is_empty() {
            Some(VariantProblem::NoSource)
        } else if v.transports.is_empty() {
            Some(VariantProblem::NoTransport)
        } else if let Some(t) = v
            .transports
            .iter()
            .find(|t| !["stdio", "http", "sse"].contains(&t.as_str()))
        {
            Some(VariantProblem::Transport(t.clone()))
        } else if !["reference", "none"].contains(&v.hints.as_str()) {
            Some(VariantProblem::Hints(v.hints.clone()))
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(CatalogueError::Variant {
                path: path.to_path_buf(),
                name: v.name.clone(),
                problem: p,
            });
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(name)
    }

    #[test]
    fn the_catalogues_load() {
        assert!(!load(&fixture("mutants.yaml")).expect("mutants").is_empty());
        assert!(!load_variants(&fixture("variants.yaml"))
            .expect("variants")
            .is_empty());
    }

    /// The texts name the file, then the entry and what is wrong with it.
    #[test]
    fn errors_name_the_file_and_the_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.yaml");
        let text = "- {name: a, description: d, reference_args: [x], used_by: nope}\n";
        std::fs::write(&path, text).expect("write");
        assert_eq!(
            load(&path).expect_err("bad used_by").to_string(),
            format!(
                "{}: mutant `a` has used_by `nope` (expected cases, fuzz, traversal or policy)",
                path.display()
            )
        );
        let text = "- {name: v, description: d, allows: a, source: s, transports: [tcp], reference_args: []}\n";
        std::fs::write(&path, text).expect("write");
        assert_eq!(
            load_variants(&path).expect_err("bad transport").to_string(),
            format!(
                "{}: variant `v` has transport `tcp` (expected stdio, http or sse)",
                path.display()
            )
        );
        let missing = dir.path().join("absent.yaml");
        let err = load(&missing).expect_err("missing").to_string();
        assert!(
            err.starts_with(&format!("{}: ", missing.display())),
            "{err}"
        );
    }
}
