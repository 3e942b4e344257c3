//! What to test: a command line to start over stdio, or a URL; taken from the
//! positional words or a Claude Desktop config, with how to reach it ([`config_for`])
//! and the traversal sandbox it runs on ([`traversal_sandbox`]).

use std::sync::Arc;

use crate::case::TransportKind;
use crate::client::RunConfig;
use crate::sandbox::Sandbox;
use crate::transport::stdio::Launch;

use super::args::Args;
use super::claude_config;
use super::error::CliError;

#[derive(Debug, Clone)]
pub enum Target {
    /// A server started as a child process, spoken to over stdio.
    Command(Launch),
    /// A server reached over HTTP.
    Url(String),
}

impl Target {
    /// Reads the positional words of the command line: a single `http(s)://` word is a
    /// URL; anything else is a program and its arguments.
    pub fn from_words(words: &[String]) -> Result<Target, CliError> {
        let Some(first) = words.first() else {
            return Err(CliError::usage("no target given: pass a server command (e.g. `mcp-conform ./my-server --flag`) or a URL"));
        };
        if first.starts_with('-') {
            return Err(CliError::usage(format!(
                "unknown option `{first}` (see --help); a server command comes first, its own flags after it"
            )));
        }
        if first.starts_with("http://") || first.starts_with("https://") {
            if words.len() > 1 {
                return Err(CliError::usage(format!(
                    "a URL target takes no further arguments (got `{}`)",
                    words[1..].join(" ")
                )));
            }
            return Ok(Target::Url(first.clone()));
        }
        Ok(Target::Command(Launch {
            program: first.clone(),
            args: words[1..].to_vec(),
            env: Vec::new(),
            cwd: None,
        }))
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Command(l) => l.describe(),
            Target::Url(u) => u.clone(),
        }
    }
}

/// The servers to test: the positional target, or entries of a Claude Desktop config.
pub fn targets_of(args: &Args) -> Result<Vec<(Option<String>, Target)>, CliError> {
    let Some(path) = &args.claude_config else {
        return Ok(vec![(None, Target::from_words(&args.target)?)]);
    };
    if !args.target.is_empty() {
        return Err(CliError::usage(
            "give either a target or --claude-config, not both",
        ));
    }
    let entries = claude_config::load(path).map_err(|e| CliError::usage(e.to_string()))?;
    let chosen =
        match (&args.server, args.all_servers) {
            (Some(name), _) => vec![claude_config::select(&entries, name)
                .map_err(|e| CliError::usage(e.to_string()))?],
            (None, true) => entries,
            (None, false) => {
                let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                return Err(CliError::usage(format!(
                "--claude-config needs --server NAME or --all-servers (servers in the file: {})",
                names.join(", ")
            )));
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
pub fn config_for(target: &Target, args: &Args) -> Result<RunConfig, CliError> {
    match target {
        Target::Command(l) => {
            if args.transport.is_some() {
                return Err(CliError::usage("--transport applies to URL targets only"));
            }
            if super::tokens::named_on_the_command_line(args) {
                return Err(CliError::usage(
                    "--bearer, --scoped-bearer and their -env forms apply to URL targets only",
                ));
            }
            Ok(RunConfig::new(l.clone()))
        }
        Target::Url(u) => {
            let url = url::Url::parse(u)
                .map_err(|e| CliError::usage(format!("`{u}` is not a valid URL: {e}")))?;
            let kind = match args.transport.as_deref() {
                Some("sse") => TransportKind::Sse,
                _ => TransportKind::StreamableHttp,
            };
            let mut cfg = RunConfig::for_url(url, kind);
            if let Some(h) = cfg.http.as_mut() {
                h.bearer = args.tokens.bearer.clone();
                h.scoped_bearer = args.tokens.scoped_bearer.clone();
            }
            Ok(cfg)
        }
    }
}

/// A target (with the sandbox substituted into its command), its traversal sandbox,
/// and why the traversal families skip when there is none.
pub type SandboxChoice = (Target, Option<Arc<Sandbox>>, String);

/// Whether a command names the `{root}` or `{sandbox}` placeholder.
pub fn names_sandbox(l: &Launch) -> bool {
    std::iter::once(&l.program)
        .chain(l.args.iter())
        .chain(l.env.iter().map(|(_, v)| v))
        .any(|w| w.contains("{root}") || w.contains("{sandbox}"))
}

/// The traversal sandbox of a target: beside `--root DIR`, or a fresh one when the
/// command names `{root}`/`{sandbox}` (substituted here, before the probe). Without
/// either, the reason the traversal families skip.
pub fn traversal_sandbox(target: Target, args: &Args) -> Result<SandboxChoice, CliError> {
    let placeholders = match &target {
        Target::Command(l) => names_sandbox(l),
        Target::Url(_) => false,
    };
    let sandbox = match &args.root {
        Some(dir) => Some(Sandbox::beside(dir).map_err(|e| CliError::usage(e.to_string()))?),
        None if placeholders => {
            Some(Sandbox::create().map_err(|e| CliError::usage(e.to_string()))?)
        }
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
    Ok((target, Some(Arc::new(sb)), String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_a_command_or_a_url() {
        let t = Target::from_words(&["./srv".into(), "--flag".into()]).unwrap();
        assert!(
            matches!(t, Target::Command(ref l) if l.program == "./srv" && l.args == ["--flag"])
        );
        let t = Target::from_words(&["http://127.0.0.1:8000/mcp".into()]).unwrap();
        assert!(matches!(t, Target::Url(_)));
        assert!(Target::from_words(&[]).is_err());
    }
}
