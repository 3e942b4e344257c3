//! What to test: a command line to start over stdio, or a URL.

use crate::transport::stdio::Launch;

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
    pub fn from_words(words: &[String]) -> Result<Target, String> {
        let Some(first) = words.first() else {
            return Err("no target given: pass a server command (e.g. `mcp-conform ./my-server --flag`) or a URL".into());
        };
        if first.starts_with('-') {
            return Err(format!(
                "unknown option `{first}` (see --help); a server command comes first, its own flags after it"
            ));
        }
        if first.starts_with("http://") || first.starts_with("https://") {
            if words.len() > 1 {
                return Err(format!(
                    "a URL target takes no further arguments (got `{}`)",
                    words[1..].join(" ")
                ));
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
