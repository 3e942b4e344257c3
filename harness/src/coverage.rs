//! Requirement traceability: which requirement rows the cases cite, per area, and why
//! each uncited one is not covered (`harness/data/uncovered.yaml`, reasons as data).
//!
//! Counted rows are the MUST and SHOULD rows (with their NOT and † forms) of sections
//! 1–16 of REQUIREMENTS.md, and of section 19 (MOD: revision 2026-07-28), which has
//! its own line so the session-era figures stay comparable; `info` and MAY-only rows are not requirements to test. A
//! row marked `testable: false` in the reasons file cannot be observed from outside a
//! server (a client-side rule, server internals) and leaves the denominator. A citation
//! counts only where it is judged at MUST or SHOULD level: a case (or step) at severity
//! `note` covers nothing by itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Deserialize;

use crate::case::Case;
use crate::outcome::Severity;
use crate::requirements::{self, Requirement};

/// Sections whose rows are counted.
pub const SECTIONS: std::ops::RangeInclusive<u32> = 1..=16;
/// The 2026-07-28 section (MOD-*), counted and reported on its own line.
pub const MODERN_SECTION: u32 = 19;
/// Transport and authorization sections, reported separately (HTTP work).
pub const HTTP_SECTIONS: [u32; 3] = [4, 5, 16];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uncovered {
    pub id: String,
    pub reason: String,
    /// False when no black-box case can observe the behaviour.
    #[serde(default = "yes")]
    pub testable: bool,
}

fn yes() -> bool {
    true
}

static UNCOVERED: &str = include_str!("../data/uncovered.yaml");

pub fn reasons() -> Result<Vec<Uncovered>, String> {
    serde_yaml_ng::from_str(UNCOVERED).map_err(|e| format!("harness/data/uncovered.yaml: {e}"))
}

/// Whether a row is a MUST/SHOULD requirement (not `info`, not MAY alone).
pub fn counted(r: &Requirement) -> bool {
    (SECTIONS.contains(&r.section) || r.section == MODERN_SECTION)
        && (r.keyword.contains("MUST") || r.keyword.contains("SHOULD"))
}

/// The requirement ids a case cites at MUST or SHOULD level: a note rests on no keyword,
/// so a case or step at severity `note` covers nothing by itself. The case's own ids
/// count when the case is not a note, or when a step without ids of its own (which
/// judges the case's ids) is raised to `must` or `should`.
pub fn cited_ids(case: &Case) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let counts = |s: Option<Severity>| s.unwrap_or(case.severity) != Severity::Note;
    let mut case_ids_judged = case.severity != Severity::Note;
    for (j, missing) in crate::case::judgements(&case.steps) {
        let judged = counts(j.severity) || missing.is_some_and(|m| m != Severity::Note);
        if !judged {
            continue;
        }
        match &j.requirements {
            Some(reqs) => ids.extend(reqs.iter().cloned()),
            None => case_ids_judged = true,
        }
    }
    if case_ids_judged {
        ids.extend(case.requirements.iter().cloned());
    }
    ids
}

/// Requirement id → ids of the cases citing it (at MUST or SHOULD level).
pub fn citations(cases: &[Case]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in cases {
        for id in cited_ids(c) {
            map.entry(id).or_default().push(c.id.clone());
        }
    }
    // The traversal probes are generated, not YAML, but run in every suite run.
    for family in crate::traversal::Family::ALL {
        for id in crate::traversal::REQUIREMENTS {
            map.entry(id.to_string()).or_default().push(family.id());
        }
    }
    map
}

#[derive(Debug, Clone, Default)]
pub struct AreaCoverage {
    pub area: String,
    pub section: u32,
    pub covered: Vec<(String, Vec<String>)>,
    /// Id and reason (None: no reason given, which the tests reject).
    pub uncovered: Vec<(String, Option<String>, bool)>,
}

#[derive(Debug, Clone, Default)]
pub struct Coverage {
    pub areas: Vec<AreaCoverage>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub counted: usize,
    pub testable: usize,
    pub covered: usize,
}

impl Figures {
    pub fn percent(&self) -> f64 {
        if self.testable == 0 {
            100.0
        } else {
            100.0 * self.covered as f64 / self.testable as f64
        }
    }
}

impl Coverage {
    /// Figures of sections 1–16 (with or without the HTTP sections).
    pub fn figures(&self, include_http: bool) -> Figures {
        self.figures_where(|s| {
            SECTIONS.contains(&s) && (include_http || !HTTP_SECTIONS.contains(&s))
        })
    }

    /// Figures of section 19 (2026-07-28).
    pub fn modern_figures(&self) -> Figures {
        self.figures_where(|s| s == MODERN_SECTION)
    }

    fn figures_where(&self, wanted: impl Fn(u32) -> bool) -> Figures {
        let mut f = Figures {
            counted: 0,
            testable: 0,
            covered: 0,
        };
        for a in &self.areas {
            if !wanted(a.section) {
                continue;
            }
            f.covered += a.covered.len();
            f.counted += a.covered.len() + a.uncovered.len();
            f.testable += a.covered.len() + a.uncovered.iter().filter(|u| u.2).count();
        }
        f
    }

    /// Uncovered rows with no reason.
    pub fn unexplained(&self) -> Vec<String> {
        self.areas
            .iter()
            .flat_map(|a| a.uncovered.iter())
            .filter(|u| u.1.is_none())
            .map(|u| u.0.clone())
            .collect()
    }
}

pub fn compute(cases: &[Case]) -> Coverage {
    let cited = citations(cases);
    let reasons: BTreeMap<String, Uncovered> = reasons()
        .unwrap_or_default()
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let mut areas: Vec<AreaCoverage> = Vec::new();
    let mut rows: Vec<&Requirement> = requirements::all()
        .values()
        .filter(|r| counted(r))
        .collect();
    rows.sort_by_key(|r| (r.section, r.id.clone()));
    for r in rows {
        if areas.last().is_none_or(|a| a.area != r.area) {
            areas.push(AreaCoverage {
                area: r.area.clone(),
                section: r.section,
                ..AreaCoverage::default()
            });
        }
        let Some(area) = areas.last_mut() else {
            continue;
        };
        match cited.get(&r.id) {
            Some(cases) => area.covered.push((r.id.clone(), cases.clone())),
            None => {
                let u = reasons.get(&r.id);
                area.uncovered.push((
                    r.id.clone(),
                    u.map(|u| u.reason.clone()),
                    u.is_none_or(|u| u.testable),
                ));
            }
        }
    }
    Coverage { areas }
}

pub fn render(c: &Coverage) -> String {
    let mut out = String::new();
    for a in &c.areas {
        let total = a.covered.len() + a.uncovered.len();
        let _ = writeln!(
            out,
            "{:<7} (section {:>2})  {}/{} covered",
            a.area,
            a.section,
            a.covered.len(),
            total
        );
        for (id, cases) in &a.covered {
            let _ = writeln!(out, "  covered    {id:<10} {}", cases.join(", "));
        }
        for (id, reason, testable) in &a.uncovered {
            let tag = if *testable {
                "uncovered "
            } else {
                "untestable"
            };
            let why = reason.as_deref().unwrap_or("NO REASON GIVEN");
            let _ = writeln!(out, "  {tag} {id:<10} {why}");
        }
    }
    for (label, f) in [
        ("sections 1-16", c.figures(true)),
        ("sections 1-16 without 4, 5, 16", c.figures(false)),
        ("section 19 (MOD, 2026-07-28)", c.modern_figures()),
    ] {
        let _ = writeln!(
            out,
            "{label}: {} of {} testable MUST/SHOULD rows covered ({:.1}%); {} rows counted, {} not testable from outside",
            f.covered,
            f.testable,
            f.percent(),
            f.counted,
            f.counted - f.testable
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_uncovered_row_has_a_reason_and_no_reason_is_stale() {
        let cases = crate::case::load::load_bundled().expect("bundled cases load");
        let c = compute(&cases);
        assert!(
            c.unexplained().is_empty(),
            "rows neither covered nor explained in harness/data/uncovered.yaml: {:?}",
            c.unexplained()
        );
        let cited = citations(&cases);
        for u in reasons().expect("uncovered.yaml parses") {
            assert!(
                !cited.contains_key(&u.id),
                "{} is covered by {:?}; remove it from uncovered.yaml",
                u.id,
                cited.get(&u.id)
            );
        }
    }

    fn case(yaml: &str) -> Case {
        crate::case::load::parse("cases/http/x.yaml", yaml).expect("case parses")
    }

    #[test]
    fn a_note_covers_nothing_by_itself() {
        let steps = "steps:\n  - send: {jsonrpc: '2.0', id: 1, method: ping}\n";
        let head = "id: http.x\ntitle: t\nrequirements: [SEC-04]\nmutants: [m]\n";
        let ids = |c: &Case| cited_ids(c).into_iter().collect::<Vec<_>>();
        // A must case covers its ids and its steps' ids.
        let must = case(&format!(
            "{head}severity: must\n{steps}  - expect: {{id: 1, requirements: [PING-01]}}\n"
        ));
        assert_eq!(ids(&must), ["PING-01", "SEC-04"]);
        // A note case covers nothing, whatever its steps cite at note level.
        let note = case(&format!(
            "{head}severity: note\n{steps}  - expect: {{id: 1, requirements: [PING-01]}}\n"
        ));
        assert!(ids(&note).is_empty(), "{:?}", ids(&note));
        // A step raised to should in a note case covers what it judges.
        let raised = case(&format!(
            "{head}severity: note\n{steps}  - expect: {{id: 1, severity: should, requirements: [PING-01]}}\n"
        ));
        assert_eq!(ids(&raised), ["PING-01"]);
        let raised_inherits = case(&format!(
            "{head}severity: note\n{steps}  - expect: {{id: 1, severity: must}}\n"
        ));
        assert_eq!(ids(&raised_inherits), ["SEC-04"]);
        // A step lowered to note in a must case does not cover its own ids.
        let lowered = case(&format!(
            "{head}severity: must\n{steps}  - expect: {{id: 1, severity: note, requirements: [PING-01]}}\n"
        ));
        assert_eq!(ids(&lowered), ["SEC-04"]);
        // Silence judged at must covers the ids even when the match is a note.
        let silent = case(&format!(
            "{head}severity: note\n{steps}  - expect: {{id: 1, missing_severity: must, requirements: [PING-01]}}\n"
        ));
        assert_eq!(ids(&silent), ["PING-01"]);
    }

    #[test]
    fn every_reason_names_a_counted_row() {
        let all = requirements::all();
        for u in reasons().expect("uncovered.yaml parses") {
            let r = all.get(&u.id);
            assert!(
                r.is_some_and(counted),
                "{} is not a counted requirement row",
                u.id
            );
            assert!(!u.reason.trim().is_empty(), "{} has an empty reason", u.id);
        }
    }
}
