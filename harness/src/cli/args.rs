//! The command-line arguments ([`Args`]), and what they name: the hints file, the
//! cases (`--cases`, `--only`, `--skip`) and the traversal families.

use std::path::PathBuf;

use clap::Parser;
use regex::Regex;

use crate::case::{load, Case};
use crate::report::output::Format;
use crate::revision::ALL_REVISIONS;

use super::error::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "mcp-conform",
    version,
    about = "Conformance test suite for Model Context Protocol servers",
    after_help = "Examples:\n  mcp-conform ./my-server --flag\n  mcp-conform http://127.0.0.1:8000/mcp\n  mcp-conform --transport sse http://127.0.0.1:8000/sse\n  mcp-conform -- python3 server.py\n  mcp-conform --only 'jsonrpc.*' -- npx -y @modelcontextprotocol/server-everything stdio\n\nExit codes: 0 nothing failed, 1 a case failed or errored, 2 bad usage or bad case files, 3 target cannot be started or reached, nothing could be judged, or only the authorization cases ran (no token)."
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

    /// How many cases run at once (cases that only read share a server process, one after another; the others start their own).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// How long a freshly started server may take to send its first answer (start-up:
    /// compiling, downloading, loading), in seconds. Separate from --timeout.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub startup_timeout: u64,

    /// How many servers may be starting at once (until their first answer); default:
    /// the number of cores.
    #[arg(long, value_name = "N")]
    pub startup_jobs: Option<usize>,

    /// Longest one case may take, setup and teardown included, in seconds; a case
    /// over it ends as `error` with what it gathered so far.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub case_timeout: u64,

    /// Longest the whole run may take, in seconds (0: no limit); cases not started by
    /// then end as `error` ("not run"), and the report is still written.
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    pub run_timeout: u64,

    /// Read cases from this folder instead of the ones bundled into the binary.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,

    /// Report format; repeatable. terminal and github print to stdout; json, junit,
    /// html, sarif (SARIF 2.1.0, for GitHub code scanning) and markdown (for a job
    /// summary or a pull-request comment) are files in the -o folder (or stdout when
    /// it is the only format).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Vec<Format>,

    /// Folder for report files (report.json, report.junit.xml, report.html,
    /// report.sarif, report.md).
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
    /// cases check what happens without it and with a wrong one. Prefer the variable
    /// MCP_CONFORM_BEARER (read when no token option is given) or --bearer-env: a
    /// token on the command line is visible to `ps` and CI logs (a warning says so).
    #[arg(long, value_name = "TOKEN", conflicts_with = "bearer_env")]
    pub bearer: Option<String>,
    /// For a URL target: read the --bearer token from the environment variable NAME
    /// (exit 2 when it is not set or empty).
    #[arg(long, value_name = "NAME")]
    pub bearer_env: Option<String>,
    /// For a URL target, with a bearer token: a second valid token granted fewer
    /// scopes. With the `insufficient_scope` hint (a request the bearer token may make
    /// and this one may not), the scope-challenge cases check the 403 and its
    /// challenge. Prefer MCP_CONFORM_SCOPED_BEARER or --scoped-bearer-env.
    #[arg(long, value_name = "TOKEN", conflicts_with = "scoped_bearer_env")]
    pub scoped_bearer: Option<String>,
    /// For a URL target: read the --scoped-bearer token from the environment variable
    /// NAME (exit 2 when it is not set or empty).
    #[arg(long, value_name = "NAME")]
    pub scoped_bearer_env: Option<String>,
    /// The tokens the run sends, resolved from the options above and the environment
    /// (`tokens::resolve`) before any server is tested.
    #[arg(skip)]
    pub tokens: Tokens,

    /// A YAML file of hints: how to make this server show behaviours that no generic
    /// probe can trigger (list changes, progress, log messages). See cases/README.md.
    #[arg(long, value_name = "FILE")]
    pub hints: Option<PathBuf>,

    /// Print which requirements the cases cover, per area, and exit.
    #[arg(long)]
    pub coverage: bool,

    /// Instead of running the cases, list the server's tools, resources and prompts,
    /// try the likely triggers (never a tool annotated destructive or open-world) and
    /// write a commented hints file: for each hint the best candidate, whether it was
    /// verified, and how many cases it unlocks. Exit 0 when written, 3 when the target
    /// cannot be started or reached.
    #[arg(long, conflicts_with_all = ["fuzz", "list", "coverage"])]
    pub suggest_hints: bool,

    /// With --suggest-hints: write the file here instead of printing it.
    #[arg(long, value_name = "FILE", requires = "suggest_hints")]
    pub suggest_out: Option<PathBuf>,
}

/// The tokens a run sends, wherever they came from (`tokens::resolve`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    pub bearer: Option<String>,
    pub scoped_bearer: Option<String>,
}

/// Reads a hints file (YAML mapping).
pub fn load_hints(path: &std::path::Path) -> Result<serde_json::Value, CliError> {
    let bad = |e: &dyn std::fmt::Display| CliError::usage(format!("{}: {e}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(&e))?;
    let v: serde_json::Value = serde_yaml_ng::from_str(&text).map_err(|e| bad(&e))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(bad(&"hints must be a mapping"))
    }
}

fn glob_or_substring(pattern: &str) -> Result<Regex, CliError> {
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
    Regex::new(&src).map_err(|e| CliError::usage(format!("bad pattern `{pattern}`: {e}")))
}

/// `--only` and `--skip` as a predicate on ids.
fn id_filter(only: &[String], skip: &[String]) -> Result<impl Fn(&str) -> bool, CliError> {
    let compile = |ps: &[String]| -> Result<Vec<Regex>, CliError> {
        ps.iter().map(|p| glob_or_substring(p)).collect()
    };
    let (only, skip) = (compile(only)?, compile(skip)?);
    Ok(move |id: &str| {
        (only.is_empty() || only.iter().any(|r| r.is_match(id)))
            && !skip.iter().any(|r| r.is_match(id))
    })
}

/// Applies `--only` and `--skip`.
pub fn select(cases: Vec<Case>, only: &[String], skip: &[String]) -> Result<Vec<Case>, CliError> {
    let keep = id_filter(only, skip)?;
    Ok(cases.into_iter().filter(|c| keep(&c.id)).collect())
}

/// The cases of `--cases DIR`, or the bundled ones; every bad file is named.
pub fn load_cases(dir: Option<&PathBuf>) -> Result<Vec<Case>, CliError> {
    let loaded = match dir {
        Some(d) => load::load_dir(d),
        None => load::load_bundled(),
    };
    loaded.map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        CliError::usage(format!("bad case files:\n{}", lines.join("\n")))
    })
}

/// The traversal families that `--only`/`--skip` select (by id `traversal.<family>`).
pub fn select_families(
    only: &[String],
    skip: &[String],
) -> Result<Vec<crate::traversal::Family>, CliError> {
    let keep = id_filter(only, skip)?;
    Ok(crate::traversal::Family::ALL
        .into_iter()
        .filter(|f| keep(&f.id()))
        .collect())
}

/// `--revision`, when given, must name a known revision.
pub fn check_revision(revision: Option<&str>) -> Result<(), CliError> {
    match revision {
        Some(rev) if !ALL_REVISIONS.contains(&rev) => Err(CliError::usage(format!(
            "unknown revision `{rev}` (known: {})",
            ALL_REVISIONS.join(", ")
        ))),
        _ => Ok(()),
    }
}
