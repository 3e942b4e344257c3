//! The command line: parse arguments, load cases, probe the server, run, report,
//! and map the outcome to an exit code.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use regex::Regex;

use crate::case::{load, Case, TransportKind};
use crate::client::RunConfig;
use crate::outcome::{RunReport, ServerFacts, Summary, TargetInfo, Verdict, REPORT_FORMAT_VERSION};
use crate::report::output::{self, Format, OutputPlan};
use crate::revision::ALL_REVISIONS;
use crate::suite::baseline;
use crate::suite::{self, preflight as probe};

pub mod claude_config;
pub mod targets;

use crate::transport::children;
use crate::transport::stdio::Launch;
use targets::Target;

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_UNREACHABLE: i32 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "mcp-conform",
    version,
    about = "Conformance test suite for Model Context Protocol servers",
    after_help = "Examples:\n  mcp-conform ./my-server --flag\n  mcp-conform http://127.0.0.1:8000/mcp\n  mcp-conform --transport sse http://127.0.0.1:8000/sse\n  mcp-conform -- python3 server.py\n  mcp-conform --only 'jsonrpc.*' -- npx -y @modelcontextprotocol/server-everything stdio\n\nExit codes: 0 nothing failed, 1 a case failed or errored, 2 bad usage or bad case files, 3 target cannot be started or reached."
)]
pub struct Args {
    /// The server: a command and its arguments (stdio), or an http(s) URL.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "TARGET"
    )]
    pub target: Vec<String>,

    /// List the cases that would run, and exit.
    #[arg(long)]
    pub list: bool,

    /// Run only cases whose id matches (glob with `*`, or a substring). Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub only: Vec<String>,

    /// Leave out cases whose id matches (glob with `*`, or a substring). Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,

    /// Test only this protocol revision.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// How long to wait for an expected message, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout: u64,

    /// How many cases run at once (each in its own server process).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Read cases from this folder instead of the ones bundled into the binary.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,

    /// Report format; repeatable. terminal and github print to stdout; json, junit and
    /// html are files in the -o folder (or stdout when it is the only format).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Vec<Format>,

    /// Folder for report files (report.json, report.junit.xml, report.html).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Count warnings (broken SHOULDs) as failures: in JUnit and in the exit code.
    #[arg(long)]
    pub warnings_as_failures: bool,

    /// Expected failures (YAML list of {id, reason}): exit 0 when only these fail,
    /// 1 on a new failure or on an entry whose case now passes.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write the current failures as a baseline file.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Take the server from a Claude Desktop config file (claude_desktop_config.json).
    #[arg(long, value_name = "FILE")]
    pub claude_config: Option<PathBuf>,

    /// With --claude-config: the name of the server under `mcpServers`.
    #[arg(long, value_name = "NAME", requires = "claude_config")]
    pub server: Option<String>,

    /// With --claude-config: test every server in the file, one after the other.
    #[arg(long, requires = "claude_config", conflicts_with = "server")]
    pub all_servers: bool,

    /// Fuzz every tool's inputs (generated from its inputSchema) instead of running
    /// the cases; add --with-cases to run both. Failing inputs are shrunk and come
    /// with a replay command.
    #[arg(long)]
    pub fuzz: bool,

    /// With --fuzz: run the conformance cases as well.
    #[arg(long, requires = "fuzz")]
    pub with_cases: bool,

    /// With --fuzz: inputs per tool and family (valid, invalid).
    #[arg(long, value_name = "N", default_value_t = crate::fuzz::DEFAULT_CASES, requires = "fuzz")]
    pub fuzz_cases: u32,

    /// With --fuzz: the seed (printed in the report); the same seed gives the same inputs.
    #[arg(long, value_name = "S", requires = "fuzz")]
    pub fuzz_seed: Option<u64>,

    /// With --fuzz: time budget for all tools, in seconds, shrinking included.
    #[arg(long, value_name = "SECS", default_value_t = crate::fuzz::DEFAULT_BUDGET_SECS, requires = "fuzz")]
    pub fuzz_time: u64,

    /// With --fuzz: only these tools (comma-separated or repeated).
    #[arg(long, value_name = "NAMES", value_delimiter = ',', requires = "fuzz")]
    pub fuzz_tools: Vec<String>,

    /// Also call tools annotated destructiveHint: true (fuzzing and traversal probes).
    #[arg(long)]
    pub allow_destructive: bool,

    /// The folder the server serves, for a server the harness does not start (a URL):
    /// traversal canaries go into a temp folder beside it. For a command, put `{root}`
    /// (or `{sandbox}`) in its arguments instead: the harness makes a temp sandbox.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Do not run the path-traversal probes (run by default after the cases).
    #[arg(long)]
    pub no_traversal: bool,
    /// For a URL target: `streamable` (Streamable HTTP, the default) or `sse` (the
    /// legacy 2024-11-05 HTTP+SSE transport; the URL is then the SSE endpoint).
    #[arg(long, value_name = "KIND", value_parser = ["streamable", "sse"])]
    pub transport: Option<String>,
    /// For a URL target: an OAuth access token, sent as `Authorization: Bearer TOKEN`
    /// with every request to the target's origin (and nowhere else). The `auth.*`
    /// cases check what happens without it and with a wrong one.
    #[arg(long, value_name = "TOKEN")]
    pub bearer: Option<String>,
    /// For a URL target, with --bearer: a second valid token granted fewer scopes. With
    /// the `insufficient_scope` hint (a request --bearer may make and this token may
    /// not), the scope-challenge cases check the 403 and its challenge.
    #[arg(long, value_name = "TOKEN", requires = "bearer")]
    pub scoped_bearer: Option<String>,

    /// A YAML file of hints: how to make this server show behaviours that no generic
    /// probe can trigger (list changes, progress, log messages). See cases/README.md.
    #[arg(long, value_name = "FILE")]
    pub hints: Option<PathBuf>,

    /// Print which requirements the cases cover, per area, and exit.
    #[arg(long)]
    pub coverage: bool,
}

/// Reads a hints file (YAML mapping).
pub fn load_hints(path: &std::path::Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(format!("{}: hints must be a mapping", path.display()))
    }
}

fn glob_or_substring(pattern: &str) -> Result<Regex, String> {
    let src = if pattern.contains(['*', '?']) {
        let mut re = String::from("^");
        for ch in pattern.chars() {
            match ch {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        re
    } else {
        regex::escape(pattern)
    };
    Regex::new(&src).map_err(|e| format!("bad pattern `{pattern}`: {e}"))
}

/// `--only` and `--skip` as a predicate on ids.
fn id_filter(only: &[String], skip: &[String]) -> Result<impl Fn(&str) -> bool, String> {
    let compile = |ps: &[String]| -> Result<Vec<Regex>, String> {
        ps.iter().map(|p| glob_or_substring(p)).collect()
    };
    let (only, skip) = (compile(only)?, compile(skip)?);
    Ok(move |id: &str| {
        (only.is_empty() || only.iter().any(|r| r.is_match(id)))
            && !skip.iter().any(|r| r.is_match(id))
    })
}

/// Applies `--only` and `--skip`.
pub fn select(cases: Vec<Case>, only: &[String], skip: &[String]) -> Result<Vec<Case>, String> {
    let keep = id_filter(only, skip)?;
    Ok(cases.into_iter().filter(|c| keep(&c.id)).collect())
}

pub fn load_cases(dir: Option<&PathBuf>) -> Result<Vec<Case>, String> {
    let loaded = match dir {
        Some(d) => load::load_dir(d),
        None => load::load_bundled(),
    };
    loaded.map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        format!("bad case files:\n{}", lines.join("\n"))
    })
}

/// Entry point shared by the binary and tests; returns the exit code.
pub fn main_with(argv: Vec<String>) -> i32 {
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mcp-conform: cannot start the async runtime: {e}");
            return EXIT_UNREACHABLE;
        }
    };
    children::become_subreaper();
    runtime.block_on(async {
        stop_servers_on_signals();
        run_cli(args).await
    })
}

/// SIGINT (Ctrl-C), SIGTERM (`timeout`, `docker stop`, a cancelled CI job) and SIGHUP
/// (a closed terminal) all stop every server process before the harness exits with
/// 128 + the signal's number.
fn stop_servers_on_signals() {
    use tokio::signal::unix::{signal, SignalKind};
    for (kind, number, name) in [
        (SignalKind::interrupt(), 2, "interrupted"),
        (SignalKind::terminate(), 15, "terminated"),
        (SignalKind::hangup(), 1, "hung up"),
    ] {
        let Ok(mut stream) = signal(kind) else {
            eprintln!(
                "mcp-conform: cannot watch for signal {number}; servers may outlive a {name} run"
            );
            continue;
        };
        tokio::spawn(async move {
            if stream.recv().await.is_some() {
                children::kill_all();
                eprintln!("\nmcp-conform: {name}; server processes stopped");
                std::process::exit(128 + number);
            }
        });
    }
}

async fn run_cli(args: Args) -> i32 {
    let cases = match load_cases(args.cases.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mcp-conform: {e}");
            return EXIT_USAGE;
        }
    };
    let cases = match select(cases, &args.only, &args.skip) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mcp-conform: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(rev) = &args.revision {
        if !ALL_REVISIONS.contains(&rev.as_str()) {
            eprintln!(
                "mcp-conform: unknown revision `{rev}` (known: {})",
                ALL_REVISIONS.join(", ")
            );
            return EXIT_USAGE;
        }
    }
    if args.coverage {
        print!(
            "{}",
            crate::coverage::render(&crate::coverage::compute(&cases))
        );
        return EXIT_OK;
    }
    let families = match select_families(&args.only, &args.skip) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("mcp-conform: {e}");
            return EXIT_USAGE;
        }
    };
    if args.list {
        for c in &cases {
            println!("{:<48} [{}] {}", c.id, c.requirements.join(", "), c.title);
        }
        println!("{} cases", cases.len());
        for f in &families {
            println!(
                "{:<48} [TOOL-15, RES-10] Path traversal: {}",
                f.id(),
                f.title()
            );
        }
        println!("{} traversal probe families", families.len());
        return EXIT_OK;
    }
    // Traversal runs with the cases (not in a fuzz-only run), unless turned off.
    let families = if args.no_traversal || (args.fuzz && !args.with_cases) {
        Vec::new()
    } else {
        families
    };
    let cases = if args.fuzz && !args.with_cases {
        Vec::new()
    } else {
        cases
    };
    if cases.is_empty() && !args.fuzz && families.is_empty() {
        eprintln!("mcp-conform: no case matches the --only/--skip patterns");
        return EXIT_USAGE;
    }
    let plan = OutputPlan {
        formats: if args.format.is_empty() {
            vec![Format::Terminal]
        } else {
            args.format.clone()
        },
        dir: args.output_dir.clone(),
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        warnings_as_failures: args.warnings_as_failures,
    };
    if let Err(e) = plan.validate() {
        eprintln!("mcp-conform: {e}");
        return EXIT_USAGE;
    }
    let base = match &args.baseline {
        Some(p) => match baseline::load(p) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("mcp-conform: {e}");
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    let targets = match targets_of(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("mcp-conform: {e}");
            return EXIT_USAGE;
        }
    };
    let many = targets.len() > 1;
    let mut worst = EXIT_OK;
    for (name, target) in targets {
        let template = match &target {
            Target::Command(l) => Some(l.clone()),
            Target::Url(_) => None,
        };
        let (target, sandbox, unavailable) = match traversal_sandbox(target, &args) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("mcp-conform: {e}");
                return EXIT_USAGE;
            }
        };
        let mut cfg = match config_for(&target, &args) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("mcp-conform: {e}");
                worst = worst.max(EXIT_USAGE);
                continue;
            }
        };
        // A command that names `{root}`/`{sandbox}` (without --root) starts on a fresh
        // sandbox per case.
        cfg.launch_template = template.filter(|l| args.root.is_none() && names_sandbox(l));
        cfg.timeout = Duration::from_millis(args.timeout.max(1));
        cfg.revision_pin = args.revision.clone();
        cfg.progress = std::io::stderr().is_terminal();
        if let Some(path) = &args.hints {
            match load_hints(path) {
                Ok(h) => cfg.hints = h,
                Err(e) => {
                    eprintln!("mcp-conform: {e}");
                    return EXIT_USAGE;
                }
            }
        }
        if let Some(j) = args.jobs {
            cfg.jobs = j.max(1);
        }
        let fuzz = args.fuzz.then(|| fuzz_config(&args, &cfg));
        let traversal = (!families.is_empty()).then(|| crate::traversal::TraversalConfig {
            sandbox: sandbox.clone(),
            unavailable: unavailable.clone(),
            families: families.clone(),
            allow_destructive: args.allow_destructive,
            hints: cfg.hints.clone(),
            budget: crate::traversal::DEFAULT_BUDGET,
        });
        let code = match run_suite(&target, &cases, &cfg, fuzz.as_ref(), traversal.as_ref()).await {
            None => EXIT_UNREACHABLE,
            Some(mut report) => {
                report.target.config_name = name.clone();
                finish_report(
                    &report,
                    &plan,
                    base.as_ref(),
                    &args,
                    if many { name.as_deref() } else { None },
                )
            }
        };
        worst = worst.max(code);
    }
    worst
}

/// The traversal families that `--only`/`--skip` select (by id `traversal.<family>`).
pub fn select_families(
    only: &[String],
    skip: &[String],
) -> Result<Vec<crate::traversal::Family>, String> {
    let keep = id_filter(only, skip)?;
    Ok(crate::traversal::Family::ALL
        .into_iter()
        .filter(|f| keep(&f.id()))
        .collect())
}

type SandboxChoice = (
    Target,
    Option<std::sync::Arc<crate::sandbox::Sandbox>>,
    String,
);

/// Whether a command names the `{root}` or `{sandbox}` placeholder.
fn names_sandbox(l: &Launch) -> bool {
    std::iter::once(&l.program)
        .chain(l.args.iter())
        .chain(l.env.iter().map(|(_, v)| v))
        .any(|w| w.contains("{root}") || w.contains("{sandbox}"))
}

/// The traversal sandbox of a target: beside `--root DIR`, or a fresh one when the
/// command names `{root}`/`{sandbox}` (substituted here, before the probe). Without
/// either, the reason the traversal families skip.
fn traversal_sandbox(target: Target, args: &Args) -> Result<SandboxChoice, String> {
    use crate::sandbox::Sandbox;
    let placeholders = match &target {
        Target::Command(l) => names_sandbox(l),
        Target::Url(_) => false,
    };
    let sandbox = match &args.root {
        Some(dir) => Some(Sandbox::beside(dir)?),
        None if placeholders => Some(Sandbox::create()?),
        None => None,
    };
    let Some(sb) = sandbox else {
        let why = match &target {
            Target::Command(_) => "no sandbox: put {root} where the server takes its folder (`mcp-conform -- mcp-server-filesystem {root}`), or give --root DIR, the folder it serves",
            Target::Url(_) => "no sandbox: give --root DIR, the folder the server serves (canaries go beside it)",
        };
        return Ok((target, None, why.to_string()));
    };
    let target = match target {
        Target::Command(l) => Target::Command(crate::client::launch_in(&sb, &l)),
        other => other,
    };
    Ok((target, Some(std::sync::Arc::new(sb)), String::new()))
}

fn fuzz_config(args: &Args, cfg: &RunConfig) -> crate::fuzz::FuzzConfig {
    crate::fuzz::FuzzConfig {
        cases: args.fuzz_cases.max(1),
        seed: args.fuzz_seed.unwrap_or_else(crate::fuzz::fresh_seed),
        budget: Duration::from_secs(args.fuzz_time.max(1)),
        tools: args.fuzz_tools.clone(),
        allow_destructive: args.allow_destructive,
        call_timeout: cfg.timeout,
        window: crate::fuzz::DEFAULT_WINDOW,
        replay_prefix: "mcp-conform".into(),
        target_words: args.target.clone(),
    }
}

/// The servers to test: the positional target, or entries of a Claude Desktop config.
fn targets_of(args: &Args) -> Result<Vec<(Option<String>, Target)>, String> {
    let Some(path) = &args.claude_config else {
        return Ok(vec![(None, Target::from_words(&args.target)?)]);
    };
    if !args.target.is_empty() {
        return Err("give either a target or --claude-config, not both".into());
    }
    let entries = claude_config::load(path)?;
    let chosen = match (&args.server, args.all_servers) {
        (Some(name), _) => vec![claude_config::select(&entries, name)?],
        (None, true) => entries,
        (None, false) => {
            let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
            return Err(format!(
                "--claude-config needs --server NAME or --all-servers (servers in the file: {})",
                names.join(", ")
            ));
        }
    };
    Ok(chosen
        .into_iter()
        .map(|e| {
            let target = match (&e.command, &e.url) {
                (Some(cmd), _) => Target::Command(Launch {
                    program: cmd.clone(),
                    args: e.args.clone(),
                    env: e.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    cwd: None,
                }),
                (None, Some(url)) => Target::Url(url.clone()),
                (None, None) => Target::Url(String::new()),
            };
            (Some(e.name), target)
        })
        .collect())
}

/// How to reach one target: a command over stdio, or a URL over HTTP.
fn config_for(target: &Target, args: &Args) -> Result<RunConfig, String> {
    match target {
        Target::Command(l) => {
            if args.transport.is_some() {
                return Err("--transport applies to URL targets only".into());
            }
            if args.bearer.is_some() {
                return Err("--bearer applies to URL targets only".into());
            }
            Ok(RunConfig::new(l.clone()))
        }
        Target::Url(u) => {
            let url = url::Url::parse(u).map_err(|e| format!("`{u}` is not a valid URL: {e}"))?;
            let kind = match args.transport.as_deref() {
                Some("sse") => TransportKind::Sse,
                _ => TransportKind::StreamableHttp,
            };
            let mut cfg = RunConfig::for_url(url, kind);
            if let Some(h) = cfg.http.as_mut() {
                h.bearer = args.bearer.clone();
                h.scoped_bearer = args.scoped_bearer.clone();
            }
            Ok(cfg)
        }
    }
}

/// Writes the reports, applies the baseline, and decides the exit code for one server.
fn finish_report(
    report: &RunReport,
    plan: &OutputPlan,
    base: Option<&baseline::Baseline>,
    args: &Args,
    subdir: Option<&str>,
) -> i32 {
    match output::emit(report, plan, subdir) {
        Ok(files) => {
            for f in files {
                eprintln!("mcp-conform: wrote {}", f.display());
            }
        }
        Err(e) => {
            eprintln!("mcp-conform: {e}");
            return EXIT_USAGE;
        }
    }
    if let Some(path) = &args.write_baseline {
        match output::write_file(path, &baseline::write(report)) {
            Ok(()) => eprintln!("mcp-conform: wrote baseline {}", path.display()),
            Err(e) => {
                eprintln!("mcp-conform: {e}");
                return EXIT_USAGE;
            }
        }
    }
    if let Some(why) = nothing_judged(report) {
        eprintln!("mcp-conform: {why}");
        return EXIT_UNREACHABLE;
    }
    let warned =
        args.warnings_as_failures && report.cases.iter().any(|c| c.verdict == Verdict::Warn);
    let code = match base {
        Some(b) => {
            let outcome = baseline::judge(b, report);
            eprint!("{outcome}");
            outcome.exit_code()
        }
        None => exit_code(report),
    };
    if warned {
        EXIT_FAILED
    } else {
        code
    }
}

/// A run in which no case could judge anything (every one skipped or errored, e.g.
/// because the target refused every request) proves nothing, so it must not pass: the
/// reason, with the most frequent skip and error reasons, for exit code 3.
pub fn nothing_judged(report: &RunReport) -> Option<String> {
    if report.cases.is_empty()
        || report
            .cases
            .iter()
            .any(|c| !matches!(c.verdict, Verdict::Skip | Verdict::Error))
    {
        return None;
    }
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for c in &report.cases {
        *reasons
            .entry(c.reason.as_deref().unwrap_or("no reason given"))
            .or_default() += 1;
    }
    let mut top: Vec<(&str, usize)> = reasons.into_iter().collect();
    top.sort_by_key(|r| std::cmp::Reverse(r.1));
    let lines: Vec<String> = top
        .iter()
        .take(3)
        .map(|(r, n)| format!("  {n} × {r}"))
        .collect();
    Some(format!(
        "nothing could be judged: all {} cases were skipped or ended in error, so this run \
         proves nothing about the server (exit 3). Most frequent reasons:\n{}",
        report.cases.len(),
        lines.join("\n")
    ))
}

pub fn exit_code(report: &RunReport) -> i32 {
    let bad = report
        .cases
        .iter()
        .any(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error));
    if bad {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// Probes the server and runs the cases; `None` (after printing why) when the
/// target cannot be started or reached.
pub async fn run_suite(
    target: &Target,
    cases: &[Case],
    cfg: &RunConfig,
    fuzz: Option<&crate::fuzz::FuzzConfig>,
    traversal: Option<&crate::traversal::TraversalConfig>,
) -> Option<RunReport> {
    let started = Instant::now();
    let started_at = crate::outcome::now_rfc3339();
    let facts = probe::probe(cfg).await;
    if facts.unreachable() {
        eprintln!(
            "mcp-conform: the target `{}` cannot be tested: {}",
            target.describe(),
            facts.unreachable_reason()
        );
        return None;
    }
    let mut results = suite::schedule::run_cases(cases, cfg, &facts).await;
    let mut server = server_facts(&facts, cfg);
    let tested: std::collections::BTreeSet<&str> = results
        .iter()
        .filter(|r| r.verdict != Verdict::Skip)
        .filter_map(|r| r.revision.as_deref())
        .collect();
    if !tested.is_empty() {
        let list: Vec<&str> = tested.into_iter().collect();
        server
            .notes
            .insert(0, format!("revisions tested: {}", list.join(", ")));
    }
    if let Some(fz) = fuzz {
        let (fuzzed, notes) = fuzz_results(cfg, fz, &facts).await;
        results.extend(fuzzed);
        server.notes.extend(notes);
    }
    if let Some(tc) = traversal {
        let revision = cfg
            .revision_pin
            .clone()
            .or_else(|| facts.newest_supported().map(str::to_string));
        match revision {
            Some(rev) => {
                let run = crate::traversal::run(cfg, tc, &rev).await;
                results.extend(run.results);
                server.notes.extend(run.notes);
            }
            None => results.extend(crate::traversal::skipped_all(
                &tc.families,
                None,
                "the server echoed no protocol revision in initialize",
            )),
        }
    }
    Some(RunReport {
        format_version: REPORT_FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        target: TargetInfo {
            description: target.describe(),
            transport: cfg.transport_kind().as_str().to_string(),
            config_name: None,
        },
        server,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        summary: Summary::from_cases(&results),
        cases: results,
    })
}

/// Runs the fuzzer at the negotiated revision; a server that cannot be fuzzed gives
/// one `error` entry.
async fn fuzz_results(
    cfg: &RunConfig,
    fz: &crate::fuzz::FuzzConfig,
    facts: &suite::Facts,
) -> (Vec<crate::outcome::CaseResult>, Vec<String>) {
    let revision = cfg
        .revision_pin
        .clone()
        .or_else(|| facts.newest_supported().map(str::to_string));
    // At the stateless revision the capabilities come from `server/discover`.
    let declares_tools = match revision.as_deref() {
        Some(r) if crate::revision::is_modern(r) => facts
            .discover
            .as_ref()
            .and_then(|d| d.result.as_ref())
            .is_some_and(|d| d.pointer("/capabilities/tools").is_some()),
        Some(r) => facts
            .init_result(r)
            .is_some_and(|r| r.pointer("/capabilities/tools").is_some()),
        None => false,
    };
    if revision.is_some() && !declares_tools {
        let r = crate::fuzz::results::skipped(
            "tools",
            revision.as_deref().unwrap_or(""),
            "the server does not declare the tools capability: nothing to fuzz".into(),
        );
        return (vec![r], vec![format!("fuzzing seed: {}", fz.seed)]);
    }
    let outcome = match &revision {
        Some(rev) => crate::fuzz::run(cfg, fz, rev).await,
        None => Err("the server echoed no protocol revision in initialize".into()),
    };
    let mut notes = vec![format!("fuzzing seed: {}", fz.seed)];
    match outcome {
        Ok(run) => {
            notes.extend(run.notes);
            notes.push(format!("fuzzing made {} tool calls", run.calls));
            (run.results, notes)
        }
        Err(e) => {
            let mut r = crate::fuzz::results::skipped(
                "tools",
                revision.as_deref().unwrap_or(""),
                String::new(),
            );
            r.verdict = Verdict::Error;
            r.reason = Some(format!("cannot fuzz: {e}"));
            (vec![r], notes)
        }
    }
}

fn server_facts(facts: &suite::Facts, cfg: &RunConfig) -> ServerFacts {
    let negotiated = cfg
        .revision_pin
        .clone()
        .or_else(|| facts.newest_supported().map(str::to_string));
    let init = negotiated
        .as_deref()
        .and_then(|r| facts.init_result(r))
        .or_else(|| facts.outcomes.values().find_map(|o| o.result.as_ref()));
    let discovered = facts.discover.as_ref().and_then(|d| d.result.as_ref());
    let mut notes = Vec::new();
    for (rev, o) in &facts.outcomes {
        if facts.supported.contains(rev) {
            continue;
        }
        let why = match (o.answered_version(), &o.problem) {
            (Some(v), _) => format!("asked for {rev}, the server answered {v}"),
            (None, Some(p)) => format!("asked for {rev}: {p}"),
            (None, None) => format!("asked for {rev}: no protocolVersion in the answer"),
        };
        notes.push(format!("{rev} not tested: {why}"));
    }
    notes.extend(modern_notes(facts, cfg));
    let bearer = cfg.http.as_ref().is_some_and(|h| h.bearer.is_some());
    if let Some(a) = &facts.auth {
        if a.demands_token() && !bearer {
            notes.push(
                "the server answered 401 without a token: only the auth cases ran; pass \
                 --bearer TOKEN to test the rest"
                    .into(),
            );
        }
    }
    ServerFacts {
        supported_revisions: facts.runnable(),
        negotiated_revision: negotiated,
        // A stateless-only server names itself in server/discover's `_meta`.
        server_info: init
            .and_then(|r| r.get("serverInfo"))
            .or_else(|| {
                discovered.and_then(|r| r.pointer("/_meta/io.modelcontextprotocol~1serverInfo"))
            })
            .cloned(),
        capabilities: init
            .and_then(|r| r.get("capabilities"))
            .or_else(|| discovered.and_then(|r| r.get("capabilities")))
            .cloned(),
        notes,
    }
}

/// Why the stateless revision (2026-07-28) was or was not tested.
fn modern_notes(facts: &suite::Facts, cfg: &RunConfig) -> Vec<String> {
    let mut notes = Vec::new();
    for rev in crate::revision::MODERN_REVISIONS {
        if facts.modern.iter().any(|m| m == rev) {
            if cfg.revision_pin.as_deref().is_some_and(|p| p != rev) {
                notes.push(format!(
                    "{rev} not tested: the server supports it (server/discover), but the run is pinned to another revision"
                ));
            }
            continue;
        }
        let why = match &facts.discover {
            None => "the legacy HTTP+SSE transport has no stateless form".to_string(),
            Some(d) => match (&d.result, &d.problem) {
                (Some(r), _) => format!(
                    "server/discover does not list it (supportedVersions: {})",
                    r.get("supportedVersions")
                        .unwrap_or(&serde_json::Value::Null)
                ),
                (None, Some(p)) => p.clone(),
                (None, None) => "no answer to server/discover".to_string(),
            },
        };
        notes.push(format!("{rev} not tested: {why}"));
    }
    notes
}
