//! The client side of a conversation with the server under test: how to reach it
//! ([`config`]), the JSON-RPC session over a transport ([`session`]: correlation and
//! transcript) and the stateless revision's per-request metadata ([`request_meta`]).

pub mod config;
pub mod request_meta;
pub mod session;

pub use config::{launch_in, HttpTarget, RunConfig};
