//! One invocation over its servers: what every server gets ([`Run`]: the cases, the
//! traversal families, the report formats, the baseline), and for each server its
//! configuration, the suite ([`suite::run_suite`]), the report files and the exit code.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use crate::case::Case;
use crate::client::RunConfig;
use crate::fuzz::FuzzConfig;
use crate::outcome::RunReport;
use crate::report::output::{self, Format, OutputPlan};
use crate::sandbox::Sandbox;
use crate::suite::baseline::{self, Baseline};
use crate::suite::{self, verdict};
use crate::transport::stdio::Launch;
use crate::traversal::{Family, TraversalConfig};

use super::args::{load_hints, Args};
use super::error::{verdict_code, CliError};
use super::targets::{self, config_for, names_sandbox, traversal_sandbox, Target};

/// What every server of the invocation gets.
pub struct Run<'a> {
    args: &'a Args,
    cases: Vec<Case>,
    families: Vec<Family>,
    output: OutputPlan,
    base: Option<Baseline>,
}

impl<'a> Run<'a> {
    /// The cases and traversal families to run (none of either in a fuzz-only run;
    /// no families with `--no-traversal`), the report formats and the baseline.
    pub fn new(args: &'a Args, cases: Vec<Case>, families: Vec<Family>) -> Result<Self, CliError> {
        let fuzz_only = args.fuzz && !args.with_cases;
        let families = if args.no_traversal || fuzz_only {
            Vec::new()
        } else {
            families
        };
        let cases = if fuzz_only { Vec::new() } else { cases };
        if cases.is_empty() && !args.fuzz && families.is_empty() {
            return Err(CliError::usage(
                "no case matches the --only/--skip patterns",
            ));
        }
        let output = OutputPlan {
            formats: if args.format.is_empty() {
                vec![Format::Terminal]
            } else {
                args.format.clone()
            },
            dir: args.output_dir.clone(),
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            warnings_as_failures: args.warnings_as_failures,
        };
        output
            .validate()
            .map_err(|e| CliError::usage(e.to_string()))?;
        let base = match &args.baseline {
            Some(p) => Some(baseline::load(p).map_err(|e| CliError::usage(e.to_string()))?),
            None => None,
        };
        Ok(Run {
            args,
            cases,
            families,
            output,
            base,
        })
    }

    /// Tests one server; `name` is its name in a Claude Desktop config, and `many`
    /// puts its report files in a folder of that name. The exit code of this server,
    /// or an error that ends the whole invocation (a sandbox or hints file that
    /// cannot be had).
    pub async fn test(
        &self,
        name: Option<String>,
        target: Target,
        many: bool,
    ) -> Result<i32, CliError> {
        let template = match &target {
            Target::Command(l) => Some(l.clone()),
            Target::Url(_) => None,
        };
        let (target, sandbox, unavailable) = traversal_sandbox(target, self.args)?;
        let cfg = match config_for(&target, self.args) {
            Ok(c) => c,
            // Only this server cannot be tested; the others still are.
            Err(e) => return Ok(e.report()),
        };
        let cfg = self.configure(cfg, template)?;
        // The sandbox is also the root of a command that names `{root}`: it lives until
        // this server's run ends, whether or not the traversal probes run.
        let traversal = self.traversal_config(&cfg, sandbox.clone(), unavailable);
        let subdir = if many { name.as_deref() } else { None };
        let code = match self.run(&target, &cfg, traversal.as_ref()).await {
            Ok(mut report) => {
                report.target.config_name = name.clone();
                self.finish(&report, subdir)
            }
            Err(e) => Err(e),
        };
        Ok(code.unwrap_or_else(|e| e.report()))
    }

    /// The options every server gets: a command that names `{root}`/`{sandbox}`
    /// (without `--root`) starts on a fresh sandbox per case; timeout, pin, progress,
    /// hints, jobs.
    fn configure(
        &self,
        mut cfg: RunConfig,
        template: Option<Launch>,
    ) -> Result<RunConfig, CliError> {
        let args = self.args;
        cfg.launch_template = template.filter(|l| args.root.is_none() && names_sandbox(l));
        cfg.timeout = Duration::from_millis(args.timeout.max(1));
        cfg.revision_pin = args.revision.clone();
        cfg.progress = std::io::stderr().is_terminal();
        if let Some(path) = &args.hints {
            cfg.hints = load_hints(path)?;
        }
        if let Some(j) = args.jobs {
            cfg.jobs = j.max(1);
        }
        cfg.startup_timeout = Duration::from_secs(args.startup_timeout.max(1));
        if let Some(n) = args.startup_jobs {
            cfg.startup_gate = Arc::new(tokio::sync::Semaphore::new(n.max(1)));
        }
        cfg.case_budget = Duration::from_secs(args.case_timeout.max(1));
        cfg.run_timeout = (args.run_timeout > 0).then(|| Duration::from_secs(args.run_timeout));
        Ok(cfg)
    }

    /// The traversal probes of this server, unless no family runs.
    fn traversal_config(
        &self,
        cfg: &RunConfig,
        sandbox: Option<Arc<Sandbox>>,
        unavailable: String,
    ) -> Option<TraversalConfig> {
        (!self.families.is_empty()).then(|| TraversalConfig {
            sandbox,
            unavailable,
            families: self.families.clone(),
            allow_destructive: self.args.allow_destructive,
            hints: cfg.hints.clone(),
            budget: crate::traversal::DEFAULT_BUDGET,
        })
    }

    /// The fuzzing options (`--fuzz-*`), with a fresh seed unless one is given.
    fn fuzz_config(&self, cfg: &RunConfig) -> FuzzConfig {
        let args = self.args;
        FuzzConfig {
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

    /// Runs the suite (with fuzzing when asked) against one server.
    async fn run(
        &self,
        target: &Target,
        cfg: &RunConfig,
        traversal: Option<&TraversalConfig>,
    ) -> Result<RunReport, CliError> {
        let fuzz = self.args.fuzz.then(|| self.fuzz_config(cfg));
        let report = suite::run_suite(
            &target.describe(),
            &self.cases,
            cfg,
            fuzz.as_ref(),
            traversal,
        )
        .await?;
        Ok(report)
    }

    /// Writes the reports (and `--write-baseline`), then judges the run: its exit code.
    fn finish(&self, report: &RunReport, subdir: Option<&str>) -> Result<i32, CliError> {
        let files = output::emit(report, &self.output, subdir)
            .map_err(|e| CliError::usage(e.to_string()))?;
        for f in files {
            eprintln!("mcp-conform: wrote {}", f.display());
        }
        if let Some(path) = &self.args.write_baseline {
            output::write_file(path, &baseline::write(report))
                .map_err(|e| CliError::usage(e.to_string()))?;
            eprintln!("mcp-conform: wrote baseline {}", path.display());
        }
        let verdict =
            verdict::run_verdict(report, self.base.as_ref(), self.args.warnings_as_failures)?;
        Ok(verdict_code(verdict))
    }
}

/// `--suggest-hints`: the hints file for the (one) target, printed or written to
/// `--suggest-out`; exit 3 when the target cannot be started or reached.
pub async fn suggest_hints(args: &Args, cases: &[Case]) -> Result<i32, CliError> {
    let mut servers = targets::targets_of(args)?;
    if servers.len() != 1 {
        return Err(CliError::usage(
            "--suggest-hints takes one server (use --server NAME with --claude-config)",
        ));
    }
    let Some((_, target)) = servers.pop() else {
        return Err(CliError::usage("no target given"));
    };
    let mut cfg = match config_for(&target, args) {
        Ok(c) => c,
        Err(e) => return Ok(e.report()),
    };
    cfg.timeout = Duration::from_millis(args.timeout.max(1));
    cfg.startup_timeout = Duration::from_secs(args.startup_timeout.max(1));
    cfg.revision_pin = args.revision.clone();
    let sources = crate::suggest::write::case_sources(cases, args.cases.as_deref());
    let uses = crate::suggest::write::hint_uses(sources);
    let text = match crate::suggest::suggest(&cfg, &target.describe(), &uses).await {
        Ok(t) => t,
        Err(e) => return Err(CliError::Setup(e)),
    };
    match &args.suggest_out {
        Some(path) => {
            output::write_file(path, &text).map_err(|e| CliError::usage(e.to_string()))?;
            eprintln!("mcp-conform: wrote hints {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(super::EXIT_OK)
}
