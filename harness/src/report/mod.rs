//! Reports: renderings of a [`crate::outcome::RunReport`].
//!
//! How to add a report format:
//! 1. a renderer `report/<format>.rs` with `pub fn render(&RunReport, …) -> String` (or
//!    `anyhow::Result<String>`), reading only the model (never the engine), and its
//!    module line below;
//! 2. a [`output::Format`] variant, with its file name in `Format::file_name` (or `None`
//!    for stdout) and its arm in `output::render_one`;
//! 3. a snapshot test in `snapshot_tests.rs`, written once with
//!    `SNAPSHOTS=overwrite cargo test -p mcp-conform --lib report::snapshot_tests` and
//!    reviewed (`report/snapshots/`); tests of one property (escaping, caps) in the
//!    renderer's own file;
//! 4. the README's `--format` row (the CLI help lists the `Format` variants by itself).
//!
//! A field added to the model goes into `reports/report.schema.json` too (the JSON tests
//! catch a mismatch) and changes every snapshot that shows it.

#[cfg(test)]
pub(crate) mod fixtures;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod output;
pub mod sarif;
#[cfg(test)]
mod snapshot_tests;
pub mod terminal;
