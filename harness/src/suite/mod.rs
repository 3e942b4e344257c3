//! Running the suite: what the server supports ([`preflight`]), which cases run at
//! which revision ([`plan`]), running them ([`schedule`]) and the expected-failures
//! baseline ([`baseline`]).

pub mod baseline;
pub mod plan;
pub mod preflight;
pub mod schedule;

pub use crate::client::facts::Facts;
pub use schedule::run_one;
