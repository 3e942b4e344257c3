//! Running the suite: what the server supports ([`preflight`], [`auth_probe`]), running
//! the chosen cases ([`schedule`]) and the expected-failures baseline ([`baseline`]).

pub mod auth_probe;
pub mod baseline;
pub mod preflight;
pub mod schedule;

pub use preflight::Facts;
