//! mcp-conform: a conformance test suite and harness for Model Context Protocol servers.
//!
//! The layers, each importing only those below it (a test in `harness/tests/suite`
//! checks it): [`cli`] (the command line) → [`suite`] (preflight, plan, schedule,
//! baseline) → [`steps`] (the step interpreter) → [`traversal`] and [`fuzz`] →
//! [`client`] (handshake, connection, session) → [`transport`] (bytes on the wire).
//! Leaves every layer may read: [`case`] (the typed case model), [`check`] (judging:
//! wire, schema, traffic rules, matchers), [`outcome`] (the result model),
//! [`json_schema`], [`revision`], [`requirements`], [`sandbox`], [`evidence`] (what
//! is kept of large or many messages). [`report`] renders an
//! outcome; [`coverage`] maps cases to requirements.

// No function over 80 lines (clippy.toml); tests and test data may opt out with a reason.
#![warn(clippy::too_many_lines)]

pub mod case;
pub mod check;
pub mod cli;
pub mod client;
pub mod coverage;
pub mod evidence;
pub mod fuzz;
pub mod json_schema;
pub mod mutants;
pub mod outcome;
pub mod report;
pub mod requirements;
pub mod revision;
pub mod sandbox;
pub mod steps;
pub mod suggest;
pub mod suite;
pub mod transport;
pub mod traversal;
