//! mcp-conform: a conformance test suite and harness for Model Context Protocol servers.
//!
//! The data flows through one module per stage: [`target`] (what to test) →
//! [`transport`] (bytes on the wire) → [`session`] (JSON-RPC) → [`case`] (what to do)
//! → [`check`] (judging) → [`run`] (scheduling) → [`report`] (output).

pub mod case;
pub mod check;
pub mod cli;
pub mod client;
pub mod coverage;
pub mod fuzz;
pub mod json_schema;
pub mod mutants;
pub mod outcome;
pub mod report;
pub mod requirements;
pub mod revision;
pub mod sandbox;
pub mod steps;
pub mod suite;
pub mod transport;
pub mod traversal;
