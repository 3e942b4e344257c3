//! Snapshot tests: every renderer's output for [`snapshot_report`] (every verdict,
//! findings with evidence and a diff, stderr, notes, a fuzz breach; fixed durations and
//! timestamps) is compared byte for byte with its file in `report/snapshots/`.
//!
//! A change to a renderer shows as a failing test with a diff. When the change is
//! meant, rewrite the snapshots and review them in the commit:
//! `SNAPSHOTS=overwrite cargo test -p mcp-conform --lib report::snapshot_tests`.
//! Tests of one property (escaping, size caps, schema validity) stay with the renderer.

use snapbox::{assert_data_eq, file};

use super::fixtures::snapshot_report;
use super::output::{emit, Format, OutputPlan};
use super::{github, html, json, junit, markdown, sarif, terminal};

#[test]
fn terminal() {
    let out = terminal::render(&snapshot_report(), false);
    assert_data_eq!(out, file!["snapshots/report.terminal.txt"].raw());
}

#[test]
fn terminal_in_colour() {
    let out = terminal::render(&snapshot_report(), true);
    assert_data_eq!(out, file!["snapshots/report.terminal-colour.txt"].raw());
}

#[test]
fn json() {
    let out = json::render(&snapshot_report());
    assert_data_eq!(out, file!["snapshots/report.json": Text].raw());
}

#[test]
fn junit() {
    let out = junit::render(&snapshot_report(), false).expect("renders");
    assert_data_eq!(out, file!["snapshots/report.junit.xml"].raw());
}

#[test]
fn junit_with_warnings_as_failures() {
    let out = junit::render(&snapshot_report(), true).expect("renders");
    assert_data_eq!(
        out,
        file!["snapshots/report.junit-warnings-as-failures.xml"].raw()
    );
}

#[test]
fn html() {
    let out = html::render(&snapshot_report()).expect("renders");
    assert_data_eq!(out, file!["snapshots/report.html"].raw());
}

#[test]
fn github() {
    let out = github::render(&snapshot_report());
    assert_data_eq!(out, file!["snapshots/report.github.txt"].raw());
}

#[test]
fn sarif() {
    let out = sarif::render(&snapshot_report());
    assert_data_eq!(out, file!["snapshots/report.sarif": Text].raw());
}

#[test]
fn markdown() {
    let out = markdown::render(&snapshot_report());
    assert_data_eq!(out, file!["snapshots/report.md": Text].raw());
}

/// The file formats land in the output folder (under the server's subfolder), each file
/// exactly its renderer's output.
#[test]
fn output_writes_each_file_format_as_rendered() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let plan = OutputPlan {
        formats: vec![
            Format::Json,
            Format::Junit,
            Format::Html,
            Format::Sarif,
            Format::Markdown,
        ],
        dir: Some(dir.path().to_path_buf()),
        color: false,
        warnings_as_failures: false,
    };
    plan.validate().expect("a valid plan");
    let written = emit(&snapshot_report(), &plan, Some("server-a")).expect("written");
    let names: Vec<String> = written
        .iter()
        .map(|p| {
            let relative = p.strip_prefix(dir.path()).expect("inside the folder");
            relative.to_string_lossy().replace('\\', "/")
        })
        .collect();
    assert_eq!(
        names,
        [
            "server-a/report.json",
            "server-a/report.junit.xml",
            "server-a/report.html",
            "server-a/report.sarif",
            "server-a/report.md"
        ]
    );
    let read = |i: usize| std::fs::read_to_string(&written[i]).expect("read back");
    assert_data_eq!(read(0), file!["snapshots/report.json": Text].raw());
    assert_data_eq!(read(1), file!["snapshots/report.junit.xml"].raw());
    assert_data_eq!(read(2), file!["snapshots/report.html"].raw());
    assert_data_eq!(read(3), file!["snapshots/report.sarif": Text].raw());
    assert_data_eq!(read(4), file!["snapshots/report.md": Text].raw());
}
