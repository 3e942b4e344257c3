//! The access tokens of a URL target, from the environment or the command line.
//!
//! In order: `--bearer TOKEN` (works, with a warning: `ps` and CI logs show a command
//! line), `--bearer-env NAME` (the variable must be set and non-empty: exit 2
//! otherwise), then `MCP_CONFORM_BEARER` when it is set and non-empty (an empty one, as
//! a CI secret that a fork does not get, counts as absent). The same for the scoped
//! token: `--scoped-bearer`, `--scoped-bearer-env`, `MCP_CONFORM_SCOPED_BEARER`.

use super::args::Args;
pub use super::args::Tokens;
use super::error::CliError;

/// The variable the bearer token is read from when no option names one.
pub const BEARER_VAR: &str = "MCP_CONFORM_BEARER";
/// The variable the scoped token is read from when no option names one.
pub const SCOPED_BEARER_VAR: &str = "MCP_CONFORM_SCOPED_BEARER";

/// One token: its option, its `-env` option and its default variable.
struct Source<'a> {
    flag: &'static str,
    value: Option<&'a String>,
    env_flag: &'static str,
    env_name: Option<&'a String>,
    default_var: &'static str,
}

impl Source<'_> {
    /// The token, whether it was asked for by an option, and the warning to print.
    fn read(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Option<String>, bool, Option<String>), CliError> {
        if let Some(token) = self.value {
            let warning = format!(
                "warning: a token given with {} is visible to `ps` and may be printed in CI \
                 logs; set {} (or name a variable with {} NAME) instead",
                self.flag, self.default_var, self.env_flag
            );
            return Ok((Some(token.clone()), true, Some(warning)));
        }
        if let Some(name) = self.env_name {
            return match env(name).filter(|v| !v.is_empty()) {
                Some(token) => Ok((Some(token), true, None)),
                None => Err(CliError::usage(format!(
                    "{} {name}: the variable {name} is not set or is empty",
                    self.env_flag
                ))),
            };
        }
        Ok((env(self.default_var).filter(|v| !v.is_empty()), false, None))
    }
}

/// The tokens of the run, and the warnings to print (once for the invocation).
pub fn resolve(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Tokens, Vec<String>), CliError> {
    let bearer = Source {
        flag: "--bearer",
        value: args.bearer.as_ref(),
        env_flag: "--bearer-env",
        env_name: args.bearer_env.as_ref(),
        default_var: BEARER_VAR,
    };
    let scoped = Source {
        flag: "--scoped-bearer",
        value: args.scoped_bearer.as_ref(),
        env_flag: "--scoped-bearer-env",
        env_name: args.scoped_bearer_env.as_ref(),
        default_var: SCOPED_BEARER_VAR,
    };
    let (bearer, _, bearer_warning) = bearer.read(env)?;
    let (mut scoped, scoped_asked, scoped_warning) = scoped.read(env)?;
    let mut warnings: Vec<String> = [bearer_warning, scoped_warning]
        .into_iter()
        .flatten()
        .collect();
    if scoped.is_some() && bearer.is_none() {
        if scoped_asked {
            return Err(CliError::usage(format!(
                "a scoped token needs a bearer token too: give --bearer-env NAME or set {BEARER_VAR}"
            )));
        }
        warnings.push(format!(
            "warning: {SCOPED_BEARER_VAR} is set but there is no bearer token ({BEARER_VAR}): ignored"
        ));
        scoped = None;
    }
    Ok((
        Tokens {
            bearer,
            scoped_bearer: scoped,
        },
        warnings,
    ))
}

/// Whether a token was asked for by an option (these apply to URL targets only; the
/// variables are ambient and a command target ignores them).
pub fn named_on_the_command_line(args: &Args) -> bool {
    args.bearer.is_some()
        || args.bearer_env.is_some()
        || args.scoped_bearer.is_some()
        || args.scoped_bearer_env.is_some()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn args(words: &[&str]) -> Args {
        let mut argv = vec!["mcp-conform"];
        argv.extend_from_slice(words);
        argv.push("http://127.0.0.1:1/mcp");
        Args::try_parse_from(argv).expect("parses")
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn tokens(bearer: Option<&str>, scoped: Option<&str>) -> Tokens {
        Tokens {
            bearer: bearer.map(str::to_string),
            scoped_bearer: scoped.map(str::to_string),
        }
    }

    #[test]
    fn the_default_variables_supply_the_tokens_without_a_warning() {
        let env = env_of(&[(BEARER_VAR, "b"), (SCOPED_BEARER_VAR, "s")]);
        let (t, warnings) = resolve(&args(&[]), &env).expect("resolves");
        assert_eq!(t, tokens(Some("b"), Some("s")));
        assert!(warnings.is_empty());
        // Empty variables count as absent.
        let env = env_of(&[(BEARER_VAR, ""), (SCOPED_BEARER_VAR, "")]);
        assert_eq!(
            resolve(&args(&[]), &env).expect("resolves").0,
            tokens(None, None)
        );
    }

    #[test]
    fn a_named_variable_wins_and_must_be_set() {
        let env = env_of(&[(BEARER_VAR, "default"), ("MY_TOKEN", "mine")]);
        let (t, _) = resolve(&args(&["--bearer-env", "MY_TOKEN"]), &env).expect("resolves");
        assert_eq!(t.bearer.as_deref(), Some("mine"));
        for name in ["UNSET", "EMPTY"] {
            let env = env_of(&[("EMPTY", "")]);
            let e = resolve(&args(&["--bearer-env", name]), &env).expect_err("an error");
            assert_eq!(e.exit_code(), super::super::EXIT_USAGE);
            assert!(e.to_string().contains(name), "{e}");
        }
        let e =
            resolve(&args(&["--scoped-bearer-env", "UNSET"]), &env_of(&[])).expect_err("an error");
        assert!(e.to_string().contains("--scoped-bearer-env UNSET"), "{e}");
    }

    #[test]
    fn a_token_on_the_command_line_works_with_a_warning_that_never_shows_it() {
        let env = env_of(&[(BEARER_VAR, "from-env")]);
        let a = args(&["--bearer", "secret-1", "--scoped-bearer", "secret-2"]);
        let (t, warnings) = resolve(&a, &env).expect("resolves");
        assert_eq!(t, tokens(Some("secret-1"), Some("secret-2")));
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("--bearer") && warnings[0].contains(BEARER_VAR));
        assert!(warnings[1].contains(SCOPED_BEARER_VAR));
        assert!(warnings.iter().all(|w| !w.contains("secret")));
    }

    #[test]
    fn a_scoped_token_needs_a_bearer_token() {
        let e = resolve(&args(&["--scoped-bearer-env", "S"]), &env_of(&[("S", "s")]))
            .expect_err("an error");
        assert!(e.to_string().contains("needs a bearer token"), "{e}");
        // Only the ambient scoped variable: ignored, with a warning.
        let (t, warnings) =
            resolve(&args(&[]), &env_of(&[(SCOPED_BEARER_VAR, "s")])).expect("resolves");
        assert_eq!(t, tokens(None, None));
        assert_eq!(warnings.len(), 1);
    }
}
