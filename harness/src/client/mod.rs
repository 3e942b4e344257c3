//! The client side of a conversation with the server under test: how to reach it
//! ([`config`]), what the preflight learnt about it ([`facts`]), the JSON-RPC session
//! over a transport ([`session`]: correlation and transcript), the era-aware handshake
//! ([`handshake`]) with the stateless revision's per-request metadata
//! ([`request_meta`]), and a restartable connection ([`connection`]) for the campaigns.
//!
//! Imports go down only: `connection` → `handshake` → `session` → `request_meta`.

pub mod config;
pub mod connection;
pub mod facts;
pub mod handshake;
pub mod request_meta;
pub mod session;
#[cfg(test)]
mod silence_tests;

pub use config::{launch_in, HttpTarget, RunConfig};
pub use connection::Connection;
