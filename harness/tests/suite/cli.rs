//! The binary as a user meets it: exit codes and messages that need no working server.

use std::path::Path;

use assert_cmd::Command;
use libtest_mimic::Trial;

pub fn trials() -> Vec<Trial> {
    tests![
        a_command_that_exits_at_once_is_unreachable_exit_3,
        a_missing_binary_is_unreachable_exit_3,
        a_malformed_case_file_gives_exit_2_with_path_and_reason,
        invalid_yaml_gives_exit_2_with_line_and_column,
        a_case_citing_an_unknown_requirement_is_rejected,
        a_misspelt_matcher_operator_is_rejected,
        list_shows_every_bundled_case_with_its_requirements,
        bad_usage_is_exit_2,
    ]
}

fn conform() -> Command {
    Command::new(crate::support::conform_binary())
}

fn stderr_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).to_string()
}

fn a_command_that_exits_at_once_is_unreachable_exit_3() {
    let out = conform().arg("false").assert().code(3);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("cannot be tested"), "stderr: {stderr}");
    assert!(stderr.contains("`false`"), "names the target: {stderr}");
}

fn a_missing_binary_is_unreachable_exit_3() {
    let out = conform()
        .arg("./no-such-server-binary-here")
        .assert()
        .code(3);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("cannot start"), "stderr: {stderr}");
    assert!(stderr.contains("No such file"), "stderr: {stderr}");
}

/// Lists the cases of a folder holding one bad file; returns stderr (exit 2 asserted).
fn list_rejects(name: &str, body: &str) -> String {
    let dir = case_dir_with(name, body);
    let out = conform()
        .arg("--list")
        .arg("--cases")
        .arg(dir.path().join("cases"))
        .assert()
        .code(2);
    stderr_of(&out)
}

fn case_dir_with(name: &str, body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let area = dir.path().join("cases").join("demo");
    std::fs::create_dir_all(&area).expect("mkdir");
    std::fs::write(area.join(name), body).expect("write");
    dir
}

fn a_malformed_case_file_gives_exit_2_with_path_and_reason() {
    let dir = case_dir_with(
        "broken.yaml",
        "id: demo.broken\ntitle: x\nrequirements: [RPC-01]\nseverity: must\nsteps:\n  - sned: {}\n",
    );
    let out = conform()
        .arg("--cases")
        .arg(dir.path().join("cases"))
        .arg("false")
        .assert()
        .code(2);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("cases/demo/broken.yaml"), "path: {stderr}");
    assert!(
        stderr.contains("sned"),
        "reason names the bad key: {stderr}"
    );
}

fn invalid_yaml_gives_exit_2_with_line_and_column() {
    let stderr = list_rejects("syntax.yaml", "id: demo.syntax\ntitle: [unclosed\n");
    assert!(stderr.contains("cases/demo/syntax.yaml"), "path: {stderr}");
    assert!(stderr.contains("line"), "position: {stderr}");
}

fn a_case_citing_an_unknown_requirement_is_rejected() {
    let stderr = list_rejects(
        "bad-req.yaml",
        "id: demo.bad-req\ntitle: x\nrequirements: [RPC-99]\nseverity: must\nsteps:\n  - send: {jsonrpc: '2.0', id: 1, method: ping}\n",
    );
    assert!(stderr.contains("RPC-99"), "stderr: {stderr}");
    assert!(stderr.contains("not a requirement id"), "stderr: {stderr}");
}

fn a_misspelt_matcher_operator_is_rejected() {
    let stderr = list_rejects(
        "bad-op.yaml",
        "id: demo.bad-op\ntitle: x\nrequirements: [RPC-01]\nseverity: must\nsteps:\n  - expect:\n      match: {id: {$tpye: integer}}\n",
    );
    assert!(stderr.contains("$tpye"), "stderr: {stderr}");
}

fn list_shows_every_bundled_case_with_its_requirements() {
    let out = conform().arg("--list").assert().code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    let mut files = 0;
    for area in std::fs::read_dir(&cases_dir).expect("cases/") {
        let area = area.expect("entry").path();
        if area.is_dir() {
            files += std::fs::read_dir(&area).expect("area").count();
        }
    }
    assert!(stdout.contains(&format!("{files} cases")), "{stdout}");
    assert!(stdout.contains("jsonrpc.parse-error"));
    assert!(stdout.contains("[RPC-09, STDIO-09]"), "{stdout}");
}

fn bad_usage_is_exit_2() {
    conform().arg("--no-such-flag").assert().code(2);
    conform().assert().code(2);
    conform()
        .args(["--revision", "2030-01-01", "false"])
        .assert()
        .code(2);
    conform()
        .args(["--format", "json", "--format", "html", "false"])
        .assert()
        .code(2);
}
