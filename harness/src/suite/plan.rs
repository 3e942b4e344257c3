//! Which cases run against this server, and at which revision: the transport, the
//! revisions the server speaks (or the one the run is pinned to), the capabilities a
//! case requires, and whether the server demands a token the user did not give.

use serde_json::Value;

use crate::case::{Case, Given};
use crate::client::facts::{AuthProbe, Facts};
use crate::client::RunConfig;
use crate::revision::is_modern;

/// The revision the run works at outside the cases (fuzzing, traversal, the report's
/// negotiated revision): the one the run is pinned to, else the newest the server
/// supports.
pub fn run_revision(cfg: &RunConfig, facts: &Facts) -> Option<String> {
    cfg.revision_pin
        .clone()
        .or_else(|| facts.newest_supported().map(str::to_string))
}

/// Why a case does not run against this server, or the revision it runs at.
pub fn plan(case: &Case, cfg: &RunConfig, facts: &Facts) -> Result<String, String> {
    let kind = cfg.transport_kind();
    if !case.applies_to_transport(kind) {
        return Err(format!("does not apply to the {} transport", kind.as_str()));
    }
    if let Some(why) = blocked(case, cfg, facts.auth.as_ref()) {
        return Err(why);
    }
    let wanted = case.revisions.members();
    if let Some(pin) = &cfg.revision_pin {
        if !wanted.contains(&pin.as_str()) {
            return Err(format!(
                "applies to {}; the run is pinned to {pin}",
                case.revisions.describe()
            ));
        }
    }
    let runnable = facts.runnable();
    let candidates: Vec<&String> = runnable
        .iter()
        .filter(|r| wanted.contains(&r.as_str()))
        .filter(|r| cfg.revision_pin.as_ref().is_none_or(|p| p == *r))
        .collect();
    let Some(revision) = candidates.last() else {
        return revision_unknown_to_the_probes(case, cfg, facts, &wanted).ok_or_else(|| {
            let supported = if runnable.is_empty() {
                "none".to_string()
            } else {
                runnable.join(", ")
            };
            format!(
                "applies to {}; the server supports {supported}",
                case.revisions.describe()
            )
        });
    };
    for need in &case.requires {
        let declared = facts
            .init_result(revision)
            .and_then(|r| r.get("capabilities"))
            .is_some_and(|caps| capability_declared(caps, need));
        if !declared {
            return Err(format!("capability `{need}` not declared by the server"));
        }
    }
    Ok((*revision).clone())
}

/// The revision a case runs at although the server supports none of its revisions (as
/// far as the probes could tell), or `None`: the case skips.
fn revision_unknown_to_the_probes(
    case: &Case,
    cfg: &RunConfig,
    facts: &Facts,
    wanted: &[&'static str],
) -> Option<String> {
    // Without a token, a server that demands one answers no probe: the cases about
    // authorization, which are about exactly that, run at the newest revision they apply
    // to. (Not when the probes were answered: then the server's revisions are known, and
    // a case for other revisions skips.)
    if facts.runnable().is_empty()
        && case.tests_authorization
        && facts.auth.as_ref().is_some_and(|a| a.demands_token())
    {
        if let Some(newest) = wanted
            .iter()
            .rev()
            .find(|r| cfg.revision_pin.as_ref().is_none_or(|p| p == *r))
        {
            return Some(newest.to_string());
        }
    }
    // A server that answers `initialize` but echoes no revision still gets the cases
    // that start from a fresh process: they are what shows it is broken.
    // (Not for a stateless-only server that refuses `initialize`: it is of another era.)
    let answers_initialize = facts.outcomes.values().any(|o| o.result.is_some());
    if facts.supported.is_empty()
        && (facts.modern.is_empty() || answers_initialize)
        && case.given == Given::Fresh
        && wanted.iter().all(|r| !is_modern(r))
    {
        return wanted.last().map(|r| r.to_string());
    }
    None
}

/// A dotted path into `capabilities`; a sub-flag (e.g. `resources.subscribe`) must be `true`.
fn capability_declared(caps: &Value, path: &str) -> bool {
    let mut cur = caps;
    for part in path.split('.') {
        match cur.get(part) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    !cur.is_null() && cur != &Value::Bool(false)
}

/// Why a case cannot run because the server wants a token the user did not give: only
/// cases about authorization that start from a fresh connection (and so never
/// initialize) can.
pub fn blocked(case: &Case, cfg: &RunConfig, probe: Option<&AuthProbe>) -> Option<String> {
    let given = cfg.http.as_ref().is_some_and(|h| h.bearer.is_some());
    let demands = probe.is_some_and(AuthProbe::demands_token);
    let runs_without = case.tests_authorization && case.given == Given::Fresh;
    (demands && !given && !runs_without).then(|| {
        "the server requires authorization (HTTP 401 without a token); pass --bearer TOKEN \
         to run this case"
            .to_string()
    })
}
