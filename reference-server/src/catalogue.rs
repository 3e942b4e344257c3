//! The catalogues in `fixtures/` take their descriptions from the switch lists: the
//! `--fault` entries of `fixtures/mutants.yaml` are generated from [`Fault`] (faults.rs)
//! and the `description` line of every entry of `fixtures/variants.yaml` from
//! [`Variant`] (variants.rs). Everything else in those files is hand-written and kept:
//! the order of the entries, comments, `used_by`, `allows`, `source`, `transports`, extra
//! `reference_args`, and the mutants that give a `command` instead of a fault.
//!
//! The test below regenerates both files and compares them with the checked-in ones.
//! After changing a description or adding a fault, bless them with
//! `MCP_CONFORM_BLESS=1 cargo test -p mcp-reference-server catalogue`: a fault without an
//! entry gets one at the end of mutants.yaml; a variant without an entry must be written
//! by hand (its `allows` and `source` quote the specification).

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::faults::Fault;
use crate::variants::Variant;

/// The environment variable that makes the test rewrite the fixtures.
const BLESS: &str = "MCP_CONFORM_BLESS";

/// One catalogue file and the switch list it describes.
struct Catalogue {
    /// Relative to the repository root.
    file: &'static str,
    /// The reference server's switch (`--fault`, `--variant`).
    flag: &'static str,
    /// Every switch: name and description, in documentation order.
    switches: Vec<(&'static str, &'static str)>,
    /// Whether a switch without an entry gets a generated one (else it is an error).
    generate_missing: bool,
}

/// A piece of a catalogue file: an entry (`- name: …` and its indented lines) or
/// anything between entries (comments, blank lines), kept as it is.
enum Chunk {
    Entry(Vec<String>),
    Other(String),
}

fn chunks(text: &str) -> Vec<Chunk> {
    let mut out = Vec::new();
    for line in text.lines() {
        match out.last_mut() {
            Some(Chunk::Entry(lines)) if line.starts_with("  ") => lines.push(line.to_string()),
            _ if line.starts_with("- ") => out.push(Chunk::Entry(vec![line.to_string()])),
            _ => out.push(Chunk::Other(line.to_string())),
        }
    }
    out
}

/// The value of a `key: value` line of an entry (the first line starts with `- `).
fn field<'a>(lines: &'a [String], key: &str) -> Option<(usize, &'a str)> {
    lines.iter().enumerate().find_map(|(i, line)| {
        let rest = line
            .strip_prefix("- ")
            .or_else(|| line.strip_prefix("  "))?;
        let value = rest.strip_prefix(key)?.strip_prefix(':')?;
        Some((i, value.trim()))
    })
}

/// The names that follow `flag` in a flow list such as `[--modern-only, --fault, x]`.
fn switch_args(lines: &[String], flag: &str) -> Vec<String> {
    let Some((_, list)) = field(lines, "reference_args") else {
        return Vec::new();
    };
    let items: Vec<&str> = list
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(str::trim)
        .collect();
    items
        .windows(2)
        .filter(|w| w[0] == flag)
        .map(|w| w[1].to_string())
        .collect()
}

/// The string a one-line YAML scalar (`description: …`) stands for.
fn scalar(value: &str) -> Option<String> {
    serde_yaml_ng::from_str::<String>(value).ok()
}

/// A description as a single-quoted YAML scalar (valid for any one-line text).
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Catalogue {
    fn mutants() -> Self {
        Catalogue {
            file: "fixtures/mutants.yaml",
            flag: "--fault",
            switches: Fault::ALL
                .iter()
                .map(|f| (f.name(), f.description()))
                .collect(),
            generate_missing: true,
        }
    }

    fn variants() -> Self {
        Catalogue {
            file: "fixtures/variants.yaml",
            flag: "--variant",
            switches: Variant::ALL
                .iter()
                .map(|v| (v.name(), v.description()))
                .collect(),
            generate_missing: false,
        }
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(self.file)
    }

    fn description_of(&self, name: &str) -> Option<&'static str> {
        self.switches
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| *d)
    }

    /// The file as it should be, and the problems a rewrite cannot mend.
    fn regenerate(&self, text: &str) -> (String, Vec<String>) {
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        let mut out = String::new();
        for chunk in chunks(text) {
            let lines = match chunk {
                Chunk::Other(line) => vec![line],
                Chunk::Entry(lines) => self.entry(lines, &mut seen, &mut problems),
            };
            for line in lines {
                out.push_str(&line);
                out.push('\n');
            }
        }
        for (name, description) in &self.switches {
            if seen.contains(name) {
                continue;
            }
            if self.generate_missing {
                out.push_str(&format!(
                    "- name: {name}\n  description: {}\n  reference_args: [{}, {name}]\n",
                    quoted(description),
                    self.flag
                ));
            } else {
                problems.push(format!(
                    "{}: `{name}` has no entry; write one by hand (allows, source, transports)",
                    self.file
                ));
            }
        }
        (out, problems)
    }

    /// One entry with its description line regenerated, if it is named after a switch it
    /// passes. An equivalent existing line is kept as it is (its quoting style too).
    fn entry(
        &self,
        mut lines: Vec<String>,
        seen: &mut BTreeSet<&'static str>,
        problems: &mut Vec<String>,
    ) -> Vec<String> {
        let name = field(&lines, "name").map_or_else(String::new, |(_, n)| n.to_string());
        let args = switch_args(&lines, self.flag);
        if args.is_empty() {
            return lines;
        }
        for arg in &args {
            if self.description_of(arg).is_none() {
                problems.push(format!(
                    "{}: `{name}` passes {} {arg}, which the reference server does not know",
                    self.file, self.flag
                ));
            }
        }
        let Some((switch, description)) = self.switches.iter().find(|(n, _)| *n == name) else {
            problems.push(format!(
                "{}: `{name}` passes {} but is not named after the switch it describes",
                self.file, self.flag
            ));
            return lines;
        };
        if !args.contains(&name) {
            problems.push(format!(
                "{}: `{name}` does not pass {} {name}",
                self.file, self.flag
            ));
        }
        if !seen.insert(switch) {
            problems.push(format!("{}: `{name}` has two entries", self.file));
        }
        let line = format!("  description: {}", quoted(description));
        match field(&lines, "description") {
            Some((_, value)) if scalar(value).as_deref() == Some(*description) => {}
            Some((i, _)) => lines[i] = line,
            None => lines.insert(1, line),
        }
        lines
    }
}

/// The lines where two texts differ (at most five), for the failure message.
fn differing_lines(have: &str, want: &str) -> String {
    let (have, want): (Vec<&str>, Vec<&str>) = (have.lines().collect(), want.lines().collect());
    let mut out = Vec::new();
    for i in 0..have.len().max(want.len()) {
        let (h, w) = (have.get(i), want.get(i));
        if h != w {
            out.push(format!(
                "line {}:\n  checked in: {}\n  generated:  {}",
                i + 1,
                h.unwrap_or(&"(none)"),
                w.unwrap_or(&"(none)")
            ));
        }
        if out.len() == 5 {
            break;
        }
    }
    out.join("\n")
}

#[test]
fn fixtures_take_their_descriptions_from_the_switch_lists() {
    let bless = std::env::var_os(BLESS).is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for catalogue in [Catalogue::mutants(), Catalogue::variants()] {
        let path = catalogue.path();
        let text = std::fs::read_to_string(&path).expect("read the catalogue");
        let (generated, problems) = catalogue.regenerate(&text);
        failures.extend(problems);
        if generated == text {
            continue;
        }
        if bless {
            std::fs::write(&path, &generated).expect("write the catalogue");
        } else {
            failures.push(format!(
                "{} is not what the switch list generates (bless with {BLESS}=1 cargo test \
                 -p mcp-reference-server catalogue):\n{}",
                catalogue.file,
                differing_lines(&text, &generated)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn regeneration_keeps_hand_written_parts_and_adds_missing_faults() {
    let catalogue = Catalogue {
        file: "test.yaml",
        flag: "--fault",
        switches: vec![("a", "it's a"), ("b", "b: new"), ("c", "c")],
        generate_missing: true,
    };
    let text = "# head\n- name: a\n  description: \"it's a\"\n  reference_args: [--fault, a]\n\
                - name: b\n  description: 'b: old'\n  reference_args: [--x, --fault, b]\n  used_by: fuzz\n\
                - name: cmd\n  description: by hand\n  command: [sh]\n";
    let (out, problems) = catalogue.regenerate(text);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        out,
        "# head\n- name: a\n  description: \"it's a\"\n  reference_args: [--fault, a]\n\
         - name: b\n  description: 'b: new'\n  reference_args: [--x, --fault, b]\n  used_by: fuzz\n\
         - name: cmd\n  description: by hand\n  command: [sh]\n\
         - name: c\n  description: 'c'\n  reference_args: [--fault, c]\n"
    );
    let (_, problems) = catalogue.regenerate("- name: z\n  reference_args: [--fault, z]\n");
    assert_eq!(problems.len(), 2, "{problems:?}");
}
