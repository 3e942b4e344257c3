//! The suite judged by its own standard: every case passes against the reference
//! server, and every case fails against each mutant it names, on every transport the
//! case applies to.
//!
//! Trials: `<transport>::<case-id>` against the reference server (`stdio`, `http` for
//! Streamable HTTP, `sse` for legacy HTTP+SSE), `mutant::<name>::<transport>::<case-id>`
//! per mutant a case names, and checks that tie the catalogue together: every case
//! names a mutant, every named mutant exists, every mutant is used. HTTP servers are
//! started once per server (see `http_servers`) and killed when the binary ends.
//!
//! The trials run in their own phase of the suite binary (see `main.rs`), eight at a
//! time unless `--test-threads` says otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use mcp_conform::case::{load, Case, TransportKind};
use mcp_conform::client::facts::Facts;
use mcp_conform::client::RunConfig;
use mcp_conform::mutants::{self, LegalVariant, Mutant};
use mcp_conform::outcome::{CaseResult, Verdict};
use mcp_conform::steps::Lane;
use mcp_conform::suite::{self, preflight as probe};
use mcp_conform::transport::stdio::Launch;

use crate::http_servers;
use crate::support::{reference_server, repo_root};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// Probe results per server (reference or mutant name), computed once each.
type FactsCache = Mutex<BTreeMap<String, Arc<Facts>>>;

fn facts_for(cache: &FactsCache, name: &str, cfg: &RunConfig) -> Arc<Facts> {
    if let Some(f) = cache.lock().ok().and_then(|c| c.get(name).cloned()) {
        return f;
    }
    let facts = Arc::new(runtime().block_on(probe::probe(cfg)));
    if let Ok(mut c) = cache.lock() {
        c.entry(name.to_string()).or_insert_with(|| facts.clone());
    }
    facts
}

/// Runs a case as a run of the whole suite would. A case that may share a server
/// (`Case::shares_server`) runs second on one: after a warm-up case without steps
/// (the same case emptied, so it runs at the same revision with the same client
/// capabilities), so every trial of such a case judges it on a server that served a
/// case before, as `mcp-conform` does.
fn run_one(case: &Case, cfg: &RunConfig, facts: &Facts) -> CaseResult {
    runtime().block_on(async {
        if !case.shares_server() {
            return suite::run_one(case, cfg, facts).await;
        }
        let mut lane = Lane::default();
        let mut warm_up = case.clone();
        warm_up.id = format!("{}.warm-up", case.id);
        warm_up.steps = Vec::new();
        let first = suite::run_in(&warm_up, cfg, facts, Some(&mut lane)).await;
        let result = suite::run_in(case, cfg, facts, Some(&mut lane)).await;
        lane.close().await;
        // The point of the warm-up: a case that ran after a clean one did share.
        let ran = !result.transcript.is_empty();
        assert!(
            first.verdict != Verdict::Pass || !ran || lane.reused == 1,
            "{} should have run on the warm-up's server",
            case.id
        );
        result
    })
}

fn explain(r: &CaseResult) -> String {
    let mut s = format!(
        "verdict {}: {}",
        r.verdict.as_str(),
        r.reason.clone().unwrap_or_default()
    );
    for f in &r.findings {
        s.push_str(&format!(
            "\n  [{}] {}",
            f.requirements.join(", "),
            f.message
        ));
        if let Some(d) = &f.diff {
            s.push_str(&format!("\n{d}"));
        }
    }
    s
}

/// The reference server's hints (how to trigger list changes, progress, …), used for
/// the reference run and every mutant run alike.
fn hints() -> serde_json::Value {
    static HINTS: OnceLock<serde_json::Value> = OnceLock::new();
    HINTS
        .get_or_init(|| {
            mcp_conform::cli::load_hints(&repo_root().join("fixtures/reference-hints.yaml"))
                .unwrap_or_else(|e| panic!("fixtures/reference-hints.yaml: {e}"))
        })
        .clone()
}

/// The access token of the suite's HTTP servers.
const BEARER: &str = "mcp-conform-test-token";
/// A second token the reference server accepts with scope `mcp:read` only.
const SCOPED_BEARER: &str = "mcp-conform-test-scoped-token";

/// How a trial reaches its server: `args` are the reference server's fault switches.
fn config(
    kind: TransportKind,
    server: &str,
    launch: Launch,
    args: &[String],
) -> Result<RunConfig, Failed> {
    let mut cfg = match kind {
        TransportKind::Stdio => RunConfig::new(launch),
        _ => {
            // Every HTTP server of the suite demands a token, as a deployed one should
            // (HTTP-05); the harness sends it, and the `auth.*` cases check the refusals.
            let mut args = args.to_vec();
            args.extend([
                "--bearer".to_string(),
                BEARER.to_string(),
                "--scoped-bearer".to_string(),
                SCOPED_BEARER.to_string(),
            ]);
            let base = http_servers::base_url(server, reference_server(), &args)?;
            let path = if kind == TransportKind::Sse {
                "sse"
            } else {
                "mcp"
            };
            let url = base.join(path).map_err(|e| e.to_string())?;
            let mut cfg = RunConfig::for_url(url, kind);
            if let Some(h) = cfg.http.as_mut() {
                h.bearer = Some(BEARER.to_string());
                h.scoped_bearer = Some(SCOPED_BEARER.to_string());
            }
            cfg
        }
    };
    cfg.timeout = std::time::Duration::from_secs(5);
    // The reference server and its mutants start in milliseconds: a mutant that never
    // answers is known as such after the ordinary wait.
    cfg.startup_timeout = cfg.timeout;
    cfg.hints = hints();
    Ok(cfg)
}

const TRANSPORTS: [(TransportKind, &str); 3] = [
    (TransportKind::Stdio, "stdio"),
    (TransportKind::StreamableHttp, "http"),
    (TransportKind::Sse, "sse"),
];

/// The reference server in its polling mode (`--sse-poll`): every case that applies
/// to Streamable HTTP must pass against it too, which shows that the harness follows
/// streams whose connection the server closes (GET + Last-Event-ID).
const POLLING: &str = "reference-poll";

/// The reference server speaking only 2026-07-28 (`--modern-only`): every stateless
/// case must pass against it too, which also shows the harness tests a server of that
/// era alone (no `initialize` answered).
const MODERN_ONLY: &str = "reference-modern-only";

/// The skip reason of cases whose rule holds only for servers that speak nothing but
/// 2026-07-28 (see cases/modern/http-modern-only-405.yaml).
const MODERN_ONLY_SKIP: &str = "applies to servers that speak only 2026-07-28";

/// A trial's verdict on a correct server: it must pass. A dual-era server may skip
/// the rules for servers that speak only 2026-07-28 (judged against --modern-only).
fn must_pass(r: &CaseResult, server: &str, dual_era: bool) -> Result<(), Failed> {
    let modern_only_rule = dual_era
        && r.verdict == Verdict::Skip
        && r.reason
            .as_deref()
            .is_some_and(|w| w.contains(MODERN_ONLY_SKIP));
    if r.verdict == Verdict::Pass || modern_only_rule {
        Ok(())
    } else {
        Err(Failed::from(format!("{server} must pass: {}", explain(r))))
    }
}

/// A trial's verdict on a legal variant: pass or skip (with its reason), never fail,
/// warn or error. A variant makes a choice the specification allows, so a case that
/// judges it otherwise is a false verdict. A note (practice no keyword states, which
/// never counts) is allowed too.
fn pass_or_skip(r: &CaseResult, variant: &LegalVariant) -> Result<(), Failed> {
    match r.verdict {
        Verdict::Pass | Verdict::Skip | Verdict::Note => Ok(()),
        _ => Err(Failed::from(format!(
            "variant `{}` ({}) makes a legal choice (\"{}\", {}), so this case must pass or skip, but: {}",
            variant.name,
            variant.description,
            variant.allows,
            variant.source,
            explain(r)
        ))),
    }
}

/// The launch of the reference server with `args`.
fn reference_launch(args: &[String]) -> Launch {
    Launch {
        program: reference_server().display().to_string(),
        args: args.to_vec(),
        env: Vec::new(),
        cwd: None,
    }
}

/// The trials of one legal variant: every case on every transport the variant lists.
fn variant_trials(variant: &LegalVariant, cases: &[Case], cache: &Arc<FactsCache>) -> Vec<Trial> {
    let mut trials = Vec::new();
    for (kind, prefix) in TRANSPORTS {
        if !variant.transports.iter().any(|t| t == prefix) {
            continue;
        }
        for case in cases.iter().filter(|c| c.applies_to_transport(kind)) {
            let (case_c, cache_c, variant_c) = (case.clone(), cache.clone(), variant.clone());
            trials.push(Trial::test(
                format!("variant::{}::{prefix}::{}", variant.name, case.id),
                move || {
                    let launch = reference_launch(&variant_c.reference_args);
                    let server = format!("variant-{}", variant_c.name);
                    let mut cfg = config(kind, &server, launch, &variant_c.reference_args)?;
                    if variant_c.hints == "none" {
                        cfg.hints = serde_json::json!({});
                    }
                    let facts = facts_for(&cache_c, &format!("{server}/{prefix}"), &cfg);
                    pass_or_skip(&run_one(&case_c, &cfg, &facts), &variant_c)
                },
            ));
        }
    }
    trials
}

/// Every variant of the catalogue has at least one trial. (That the catalogue and the
/// reference server's variant list name the same variants, with the same descriptions, is
/// the reference server's `catalogue` unit test.)
fn variant_catalogue_trial(variants: &[LegalVariant], cases: &[Case]) -> Trial {
    let (variants, cases) = (variants.to_vec(), cases.to_vec());
    Trial::test("suite::every-variant-is-known-and-used", move || {
        let mut problems = Vec::new();
        for v in &variants {
            let used = TRANSPORTS.iter().any(|(kind, prefix)| {
                v.transports.iter().any(|t| t == prefix)
                    && cases.iter().any(|c| c.applies_to_transport(*kind))
            });
            if !used {
                problems.push(format!("variant `{}` is used by no trial", v.name));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n").into())
        }
    })
}

/// The cancellation window follows the server's pace: with a `long_running` hint three
/// times slower than the reference hint, a server that ignores the cancellation must
/// still be caught (its late answer comes after a window sized for the reference
/// tool), and the reference server must still pass.
fn slower_long_running_trials(cases: &[Case]) -> Vec<Trial> {
    let mut trials = Vec::new();
    for id in [
        "cancellation.no-response-after-cancel",
        "modern.cancelled-request-silent",
    ] {
        let Some(case) = cases.iter().find(|c| c.id == id) else {
            trials.push(Trial::test(
                format!("slower-long-running::{id}"),
                move || Err(Failed::from(format!("case {id} is missing"))),
            ));
            continue;
        };
        trials.extend(slower_long_running_case(case));
    }
    trials
}

fn slower_long_running_case(case: &Case) -> Vec<Trial> {
    let mut trials = Vec::new();
    for (server, args, must_fail) in [
        ("reference", Vec::new(), false),
        (
            "ignore-cancel",
            vec!["--fault".to_string(), "ignore-cancel".to_string()],
            true,
        ),
    ] {
        let case_c = case.clone();
        trials.push(Trial::test(
            format!("slower-long-running::{server}::stdio::{}", case.id),
            move || {
                let launch = reference_launch(&args);
                let mut cfg = config(TransportKind::Stdio, server, launch, &args)?;
                cfg.hints["long_running"] =
                    serde_json::json!({"tool": "slow", "arguments": {"steps": 40, "delay_ms": 75}});
                let facts = runtime().block_on(probe::probe(&cfg));
                let r = run_one(&case_c, &cfg, &facts);
                match (must_fail, r.verdict) {
                    (false, Verdict::Pass) | (true, Verdict::Fail | Verdict::Warn) => Ok(()),
                    (false, _) => Err(Failed::from(format!(
                        "the reference server with a slower long_running hint must pass: {}",
                        explain(&r)
                    ))),
                    (true, _) => Err(Failed::from(format!(
                        "a server that ignores the cancellation of a call slower than the reference hint's must fail: {}",
                        explain(&r)
                    ))),
                }
            },
        ));
    }
    trials
}

/// The arguments of the conformance phase: trials mostly wait (silence windows, slow
/// tools, server round trips), so more run at once than there are cores;
/// `--test-threads` still wins.
pub fn arguments(args: &Arguments) -> Arguments {
    let mut args = args.clone();
    if args.test_threads.is_none() {
        args.test_threads = Some(8);
    }
    args
}

/// The cases and the two catalogues the trials are made from; a file that does not
/// load ends the binary with exit code 2, naming the errors.
struct Catalogues {
    cases: Vec<Case>,
    mutants: Vec<Mutant>,
    variants: Vec<LegalVariant>,
}

fn load_catalogues() -> Catalogues {
    let root = repo_root();
    let cases = load::load_dir(&root.join("cases")).unwrap_or_else(|errors| {
        for e in errors {
            eprintln!("{e}");
        }
        std::process::exit(2);
    });
    let mutants = mutants::load(&root.join("fixtures/mutants.yaml")).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let variants =
        mutants::load_variants(&root.join("fixtures/variants.yaml")).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2);
        });
    Catalogues {
        cases,
        mutants,
        variants,
    }
}

/// Every conformance trial.
pub fn trials() -> Vec<Trial> {
    let Catalogues {
        cases,
        mutants: catalogue,
        variants,
    } = load_catalogues();
    let by_name: BTreeMap<String, Mutant> = catalogue
        .iter()
        .map(|m| (m.name.clone(), m.clone()))
        .collect();
    let cache: Arc<FactsCache> = Arc::new(Mutex::new(BTreeMap::new()));
    let mut trials = Vec::new();
    for variant in &variants {
        trials.extend(variant_trials(variant, &cases, &cache));
    }
    trials.push(variant_catalogue_trial(&variants, &cases));
    trials.extend(slower_long_running_trials(&cases));
    for case in &cases {
        for (kind, prefix) in TRANSPORTS {
            if case.applies_to_transport(kind) {
                trials.extend(reference_trials(case, kind, prefix, &cache));
                trials.extend(mutant_trials(case, kind, prefix, &cache, &by_name));
            }
        }
    }
    trials.extend(catalogue_trials(&cases, &catalogue, &by_name));
    trials.push(schemas_trial(&repo_root()));
    trials.push(validation_trial(
        &cache,
        by_name.get("tools-bad-annotation").cloned(),
    ));
    trials
}

/// The trials of one case on one transport that a correct server must pass: the
/// reference server, in --modern-only mode for the `modern` area, and in polling mode
/// over Streamable HTTP.
fn reference_trials(
    case: &Case,
    kind: TransportKind,
    prefix: &'static str,
    cache: &Arc<FactsCache>,
) -> Vec<Trial> {
    let mut trials = Vec::new();
    let (case_c, cache_c) = (case.clone(), cache.clone());
    trials.push(Trial::test(format!("{prefix}::{}", case.id), move || {
        let cfg = config(kind, "reference", reference_launch(&[]), &[])?;
        let facts = facts_for(&cache_c, &format!("reference/{prefix}"), &cfg);
        must_pass(
            &run_one(&case_c, &cfg, &facts),
            "the reference server",
            true,
        )
    }));
    if case.area() == "modern" && kind != TransportKind::Sse {
        let (case_c, cache_c) = (case.clone(), cache.clone());
        trials.push(Trial::test(
            format!("modern-only-{prefix}::{}", case.id),
            move || {
                let args = vec!["--modern-only".to_string()];
                let cfg = config(kind, MODERN_ONLY, reference_launch(&args), &args)?;
                let facts = facts_for(&cache_c, &format!("{MODERN_ONLY}/{prefix}"), &cfg);
                must_pass(
                    &run_one(&case_c, &cfg, &facts),
                    "the reference server in --modern-only mode",
                    false,
                )
            },
        ));
    }
    if kind == TransportKind::StreamableHttp {
        let (case_c, cache_c) = (case.clone(), cache.clone());
        trials.push(Trial::test(format!("http-poll::{}", case.id), move || {
            let launch = Launch {
                program: String::new(),
                args: Vec::new(),
                env: Vec::new(),
                cwd: None,
            };
            let cfg = config(kind, POLLING, launch, &["--sse-poll".to_string()])?;
            let facts = facts_for(&cache_c, POLLING, &cfg);
            must_pass(
                &run_one(&case_c, &cfg, &facts),
                "the polling reference server",
                true,
            )
        }));
    }
    trials
}

/// The trials of one case on one transport against each mutant it names: each must
/// fail the case (or warn; a note where the case judges practice at note level).
fn mutant_trials(
    case: &Case,
    kind: TransportKind,
    prefix: &'static str,
    cache: &Arc<FactsCache>,
    by_name: &BTreeMap<String, Mutant>,
) -> Vec<Trial> {
    let mut trials = Vec::new();
    for name in case.mutants_for(kind) {
        let Some(mutant) = by_name.get(name).cloned() else {
            continue; // reported by the catalogue trial
        };
        if kind != TransportKind::Stdio && !mutant.command.is_empty() {
            continue; // fixture servers of their own speak stdio only
        }
        let (case_c, cache_c) = (case.clone(), cache.clone());
        trials.push(Trial::test(
            format!("mutant::{name}::{prefix}::{}", case.id),
            move || {
                let launch = mutant.launch(reference_server(), &repo_root());
                let cfg = config(kind, &mutant.name, launch, &mutant.reference_args)?;
                let facts = facts_for(&cache_c, &format!("{}/{prefix}", mutant.name), &cfg);
                let r = run_one(&case_c, &cfg, &facts);
                match r.verdict {
                    Verdict::Fail | Verdict::Warn => Ok(()),
                    // A case that judges practice at note level is caught by a note.
                    Verdict::Note if case_c.may_note() => Ok(()),
                    _ => Err(Failed::from(format!(
                        "mutant `{}` ({}) must fail this case, but: {}",
                        mutant.name,
                        mutant.description,
                        explain(&r)
                    ))),
                }
            },
        ));
    }
    trials
}

/// The checks that tie cases, catalogue and binary together: every case names an
/// existing mutant, every mutant is used, the bundled cases are the cases folder.
fn catalogue_trials(
    cases: &[Case],
    catalogue: &[Mutant],
    by_name: &BTreeMap<String, Mutant>,
) -> Vec<Trial> {
    let mut trials = Vec::new();
    let (cases_c, names) = (
        cases.to_vec(),
        by_name.keys().cloned().collect::<BTreeSet<_>>(),
    );
    trials.push(Trial::test(
        "suite::every-case-names-an-existing-mutant",
        move || {
            let mut problems = Vec::new();
            for c in &cases_c {
                if c.mutants.is_empty() {
                    problems.push(format!(
                        "{} ({}) names no mutant: nothing shows it can fail",
                        c.id, c.file
                    ));
                }
                for m in c.all_mutants() {
                    if !names.contains(m) {
                        problems.push(format!(
                            "{} names mutant `{m}`, which is not in fixtures/mutants.yaml",
                            c.id
                        ));
                    }
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("\n").into())
            }
        },
    ));
    let (cases_c, catalogue_c) = (cases.to_vec(), catalogue.to_vec());
    trials.push(Trial::test("suite::every-mutant-is-used", move || {
        let used: BTreeSet<&String> = cases_c.iter().flat_map(|c| c.all_mutants()).collect();
        // Fuzz mutants are checked by the `fuzz` module, traversal mutants by the
        // `traversal` module; a case naming one is fine too.
        let unused: Vec<&str> = catalogue_c
            .iter()
            .filter(|m| m.used_by == "cases" && !used.contains(&m.name))
            .map(|m| m.name.as_str())
            .collect();
        if unused.is_empty() {
            Ok(())
        } else {
            Err(format!("mutants no case names: {}", unused.join(", ")).into())
        }
    }));
    let cases_c = cases.to_vec();
    trials.push(Trial::test(
        "suite::bundled-cases-match-the-cases-folder",
        move || {
            let bundled = load::load_bundled().map_err(|e| format!("{e:?}"))?;
            let a: Vec<&String> = bundled.iter().map(|c| &c.id).collect();
            let b: Vec<&String> = cases_c.iter().map(|c| &c.id).collect();
            if a == b {
                Ok(())
            } else {
                Err("the binary's bundled cases differ from cases/ (rebuild)".into())
            }
        },
    ));
    trials
}

/// A malformed result that only the schema check can see (tools.list-shape does not
/// look at annotations) fails the case with schema findings alone.
fn validation_trial(cache: &Arc<FactsCache>, tools_shape: Option<Mutant>) -> Trial {
    let cache_c = cache.clone();
    Trial::test(
        "validation::malformed-result-is-caught-by-schema-validation",
        move || {
            let root = repo_root();
            let case = load::load_dir(&root.join("cases"))
                .map_err(|e| format!("{e:?}"))?
                .into_iter()
                .find(|c| c.id == "tools.list-shape")
                .ok_or("case tools.list-shape is missing")?;
            let mutant = tools_shape.ok_or("mutant tools-bad-annotation is missing")?;
            let cfg = config(
                TransportKind::Stdio,
                &mutant.name,
                mutant.launch(reference_server(), &root),
                &mutant.reference_args,
            )?;
            let facts = facts_for(&cache_c, &format!("{}/stdio", mutant.name), &cfg);
            let r = run_one(&case, &cfg, &facts);
            let schema_findings = r
                .findings
                .iter()
                .filter(|f| f.message.contains("breaks the schema"))
                .count();
            if r.verdict == Verdict::Fail
                && schema_findings > 0
                && schema_findings == r.findings.len()
                && r.findings.iter().all(|f| f.requirements == ["TOOL-03"])
            {
                Ok(())
            } else {
                Err(format!(
                    "expected only schema findings under TOOL-03: {}",
                    explain(&r)
                )
                .into())
            }
        },
    )
}

/// The committed `schemas/mcp/*.json` equal what `schemas/generate.py` makes from the
/// specification snapshot. Needs `../shared/mcp-spec` and `python3`; without them the
/// trial is reported as ignored, and the reason is printed.
fn schemas_trial(root: &Path) -> Trial {
    let name = "schemas::committed-files-equal-generator-output";
    let spec = root.join("../shared/mcp-spec/schema");
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let why_not = if !spec.is_dir() {
        Some(format!("{} does not exist", spec.display()))
    } else if !python {
        Some("python3 is not available".to_string())
    } else {
        None
    };
    if let Some(why) = why_not {
        eprintln!("{name}: NOT RUN: {why}; the generated schemas were not checked");
        return Trial::test(name, || Ok(())).with_ignored_flag(true);
    }
    let root = root.to_path_buf();
    Trial::test(name, move || {
        let out = std::process::Command::new("python3")
            .arg(root.join("schemas/generate.py"))
            .arg("--check")
            .current_dir(&root)
            .output()
            .map_err(|e| format!("cannot run schemas/generate.py: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).to_string().into())
        }
    })
}
