//! The case model: what a YAML file under `cases/` says, and the loader that reads it.
//!
//! A case is data only. Its steps (`step`) are interpreted by `steps`; its matchers are
//! parsed into `check::matcher::Matcher` when the case loads and evaluated by `check`.
//! The JSON Schema of this format, `schemas/case.schema.json`, is generated from these
//! types (`schema`): their doc comments are its descriptions.

mod format;
pub mod load;
pub mod schema;
mod sharing;
pub mod step;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

pub use crate::check::matcher::Matcher;
use crate::outcome::Severity;
use crate::revision::RevisionSet;
use format::{CAPABILITY, CASE_ID, MUTANT, REQUIREMENT_ID};
pub use step::*;

/// One YAML file under cases/<area>/ describes one case (see cases/README.md).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "mcp-conform case file, format v1")]
pub struct Case {
    /// area.name; the area is the folder the file lives in.
    #[schemars(regex(pattern = CASE_ID))]
    pub id: String,
    #[schemars(length(min = 1))]
    pub title: String,
    /// Requirement ids from REQUIREMENTS.md that this case checks.
    #[schemars(length(min = 1), inner(regex(pattern = REQUIREMENT_ID)))]
    pub requirements: Vec<String>,
    /// `must` → a broken expectation is a failure; `should` → a warning; `note` → a
    /// note, which never counts (practice that no revision states with a keyword).
    pub severity: Severity,
    #[serde(default)]
    pub revisions: RevisionSet,
    /// Transports the case applies to; absent means all.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub transports: Option<Vec<TransportKind>>,
    /// Session state before the first step.
    #[serde(default)]
    pub given: Given,
    /// `true`: the case runs on a server process of its own even where the harness
    /// would let it share one with earlier cases (see cases/README.md, "Server
    /// processes"); for a case whose subject is how a new process behaves.
    #[serde(default)]
    pub fresh: Option<bool>,
    /// The case is about authorization (how the server treats requests without valid
    /// credentials): against a server that demands a token the user did not give, it
    /// still runs when it starts from `given: fresh`, and when that server answered no
    /// probe, at the newest revision the case applies to.
    #[serde(default)]
    pub tests_authorization: bool,
    /// Server capabilities the case needs, as dotted paths into `capabilities`
    /// (`tools`, `resources.subscribe`). Not declared → skip.
    #[serde(default)]
    #[schemars(inner(regex(pattern = CAPABILITY)))]
    pub requires: Vec<String>,
    /// Capabilities the harness declares as a client in `initialize`.
    #[serde(default)]
    #[schemars(schema_with = "format::json_object")]
    pub client_capabilities: Option<Value>,
    /// Names of mutants in `fixtures/mutants.yaml` that must fail this case.
    #[serde(default)]
    #[schemars(inner(regex(pattern = MUTANT)))]
    pub mutants: Vec<String>,
    /// Further mutants that must fail the case on one transport only: their fault
    /// concerns a mechanism the other transports do not use (the stdio way of
    /// cancelling, say).
    #[serde(default)]
    #[schemars(schema_with = "mutants_by_transport")]
    pub mutants_on: BTreeMap<TransportKind, Vec<String>>,
    /// Free text for readers of the case file.
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(deserialize_with = "step::numbered_steps")]
    #[schemars(length(min = 1))]
    pub steps: Vec<Step>,
    /// Where the case was loaded from (set by the loader).
    #[serde(skip)]
    pub file: String,
}

impl Case {
    /// The first segment of the id, which is also the folder the case lives in.
    pub fn area(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    /// Every mutant that must fail the case on `kind`.
    pub fn mutants_for(&self, kind: TransportKind) -> Vec<&String> {
        let extra = self.mutants_on.get(&kind).into_iter().flatten();
        self.mutants.iter().chain(extra).collect()
    }

    /// Every mutant the case names, on any transport.
    pub fn all_mutants(&self) -> impl Iterator<Item = &String> {
        self.mutants
            .iter()
            .chain(self.mutants_on.values().flatten())
    }

    /// Whether the case can end with a `note` verdict: its own severity is `note`, or
    /// a step lowers its judgement (or its silence) to `note`.
    pub fn may_note(&self) -> bool {
        self.severity == Severity::Note
            || judgements(&self.steps).iter().any(|(j, missing)| {
                j.severity == Some(Severity::Note) || *missing == Some(Severity::Note)
            })
    }

    /// The milliseconds the case's fixed windows and pauses add up to (`collect`,
    /// `expect_silence`, `sleep_ms`, those inside `for_each` once): how long the case
    /// waits at least on a server that sends nothing unexpected. The scheduler starts
    /// the longest first, so they do not end the run alone.
    pub fn fixed_waits_ms(&self) -> u64 {
        fn sum(steps: &[Step]) -> u64 {
            steps
                .iter()
                .map(|s| match s {
                    Step::Collect(c) => c.within_ms,
                    // A window sized to the server's work is at least the work once.
                    Step::ExpectSilence(x) if x.plus_ms_of.is_some() => {
                        x.within_ms.saturating_mul(2)
                    }
                    Step::ExpectSilence(x) => x.within_ms,
                    Step::SleepMs(ms) => *ms,
                    Step::ForEach(f) => sum(&f.steps),
                    _ => 0,
                })
                .fold(0, u64::saturating_add)
        }
        sum(&self.steps)
    }

    pub fn applies_to_transport(&self, kind: TransportKind) -> bool {
        match &self.transports {
            None => true,
            Some(list) => list.contains(&kind),
        }
    }
}

/// `mutants_on`: transport → mutant names.
fn mutants_by_transport(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let transport = generator.subschema_for::<TransportKind>();
    schemars::json_schema!({
        "type": "object",
        "propertyNames": transport,
        "additionalProperties": {
            "type": "array",
            "items": { "type": "string", "pattern": MUTANT }
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TransportKind {
    Stdio,
    StreamableHttp,
    Sse,
}

impl TransportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Stdio => "stdio",
            TransportKind::StreamableHttp => "streamable-http",
            TransportKind::Sse => "sse",
        }
    }
}

/// Session state before the first step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Given {
    /// The server was just started; nothing has been sent.
    Fresh,
    /// `initialize` was answered; `notifications/initialized` was not sent yet.
    InitializeAnswered,
    /// `initialize` answered and `notifications/initialized` sent.
    #[default]
    Initialized,
}
