//! The GitHub Action (`action.yml`, at the repository root) and its script
//! (`.github/action/run.sh`), read as data: the action parses, is composite, hands every
//! input the script reads to it through the environment, never pastes an expression into
//! shell text, and its outputs are ones the script writes. `.ci/run` runs the script
//! itself against the reference server (`.github/action/selftest.sh`).

use std::collections::BTreeSet;

use libtest_mimic::Trial;
use serde_yaml_ng::Value;

use crate::support::repo_root;

const SCRIPT: &str = ".github/action/run.sh";

pub fn trials() -> Vec<Trial> {
    tests![
        action_yml_is_a_composite_action_running_the_script,
        every_input_the_script_reads_is_passed_in_the_environment,
        no_expression_is_pasted_into_shell_text,
        the_outputs_are_written_by_the_script,
    ]
}

fn action() -> Value {
    let path = repo_root().join("action.yml");
    let text = std::fs::read_to_string(&path).expect("action.yml at the repository root");
    serde_yaml_ng::from_str(&text).expect("action.yml parses as YAML")
}

fn script() -> String {
    std::fs::read_to_string(repo_root().join(SCRIPT)).expect("the action's script")
}

fn steps(action: &Value) -> Vec<Value> {
    action["runs"]["steps"]
        .as_sequence()
        .expect("runs.steps is a list")
        .clone()
}

fn input_names(action: &Value) -> BTreeSet<String> {
    action["inputs"]
        .as_mapping()
        .expect("inputs is a mapping")
        .keys()
        .map(|k| k.as_str().expect("an input name").to_string())
        .collect()
}

fn action_yml_is_a_composite_action_running_the_script() {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    assert_eq!(action["inputs"]["target"]["required"].as_bool(), Some(true));
    let runs: Vec<String> = steps(&action)
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect();
    assert!(
        runs.iter()
            .any(|r| r.contains(SCRIPT) && r.ends_with(" run")),
        "no step runs {SCRIPT}: {runs:?}"
    );
    for step in steps(&action) {
        if step["run"].is_string() {
            assert_eq!(step["shell"].as_str(), Some("bash"), "{step:?}");
        }
    }
    let uploads = steps(&action)
        .iter()
        .filter(|s| s["uses"].as_str() == Some("actions/upload-artifact@v4"))
        .filter(|s| s["if"].as_str() == Some("always()"))
        .count();
    assert_eq!(uploads, 1, "one upload of the report folder, always");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(repo_root().join(SCRIPT))
            .expect("the script")
            .permissions()
            .mode();
        assert_ne!(mode & 0o111, 0, "{SCRIPT} is not executable");
    }
}

/// `INPUT_FOO_BAR` in the script ⇔ `INPUT_FOO_BAR: ${{ inputs.foo-bar }}` in a step's
/// `env`, for an input `foo-bar` that exists; and every input is used by some step.
fn every_input_the_script_reads_is_passed_in_the_environment() {
    let action = action();
    let inputs = input_names(&action);
    let read: BTreeSet<String> = regex::Regex::new(r"\bINPUT_[A-Z_]+\b")
        .expect("a regex")
        .find_iter(&script())
        .map(|m| m.as_str().to_string())
        .collect();
    assert!(read.contains("INPUT_TARGET"), "{read:?}");
    let mut passed = BTreeSet::new();
    for step in steps(&action) {
        let Some(env) = step["env"].as_mapping() else {
            continue;
        };
        for (k, v) in env {
            let (Some(var), Some(value)) = (k.as_str(), v.as_str()) else {
                panic!("env entry {k:?}: {v:?}");
            };
            let Some(suffix) = var.strip_prefix("INPUT_") else {
                continue;
            };
            let name = suffix.to_lowercase().replace('_', "-");
            assert_eq!(value, format!("${{{{ inputs.{name} }}}}"), "{var}");
            assert!(inputs.contains(&name), "{var} names no input `{name}`");
            passed.insert(var.to_string());
        }
    }
    for var in &read {
        assert!(
            passed.contains(var),
            "the script reads {var}; no step sets it"
        );
    }
    let text = serde_yaml_ng::to_string(&action["runs"]).expect("serialises");
    for name in &inputs {
        assert!(
            text.contains(&format!("inputs.{name}")),
            "input `{name}` is used by no step"
        );
    }
}

fn no_expression_is_pasted_into_shell_text() {
    for step in steps(&action()) {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "an expression in shell text: {run}");
        }
    }
}

fn the_outputs_are_written_by_the_script() {
    let action = action();
    let script = script();
    let outputs = action["outputs"].as_mapping().expect("outputs");
    assert!(!outputs.is_empty());
    for (k, v) in outputs {
        let name = k.as_str().expect("an output name");
        assert_eq!(
            v["value"].as_str(),
            Some(format!("${{{{ steps.run.outputs.{name} }}}}").as_str())
        );
        assert!(
            script.contains(&format!("{name}=")),
            "{SCRIPT} never writes `{name}=`"
        );
    }
}
