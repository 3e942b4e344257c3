//! Property-based fuzzing of tool inputs: proptest strategies generated from a tool's
//! `inputSchema` (valid inputs, and invalid ones that break one rule at a time).

pub mod strategy;
