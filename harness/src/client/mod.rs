//! The client side of a conversation with the server under test: how to reach it
//! ([`config`]), what the preflight learnt about it ([`facts`]) and the JSON-RPC
//! session over a transport ([`session`]).

pub mod config;
pub mod facts;
pub mod session;

pub use config::{launch_in, HttpTarget, RunConfig};
