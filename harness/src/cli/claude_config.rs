//! Reading servers from a Claude Desktop `claude_desktop_config.json`, so a user can
//! test exactly what their client launches.
//!
//! ```json
//! {
//!   "mcpServers": {
//!     "files": { "command": "npx", "args": ["-y", "server-files", "/tmp"], "env": {"DEBUG": "1"} },
//!     "remote": { "type": "http", "url": "https://example.com/mcp", "headers": {"Authorization": "Bearer …"} }
//!   }
//! }
//! ```
//!
//! Local entries have a `command` (with optional `args` and `env`); remote entries
//! have a `url` and usually a `type` (`http`, `streamable-http` or `sse`). Unknown keys
//! are ignored, as the client does. Entries keep the file's order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// One server of the config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerEntry {
    /// The key under `mcpServers`.
    pub name: String,
    /// Program to launch (stdio servers).
    pub command: Option<String>,
    pub args: Vec<String>,
    /// Extra environment variables for the launched program.
    pub env: BTreeMap<String, String>,
    /// Endpoint of a remote server; set exactly when `command` is not.
    pub url: Option<String>,
    /// The entry's `type` as written (`stdio`, `http`, `streamable-http`, `sse`, …).
    pub transport: Option<String>,
    /// HTTP headers for a remote server (`headers`), e.g. an Authorization token.
    pub headers: BTreeMap<String, String>,
}

impl ServerEntry {
    /// True when the entry names a remote server (a URL) rather than a command.
    pub fn is_remote(&self) -> bool {
        self.url.is_some()
    }
}

/// Why a Claude Desktop config gave no server.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read Claude Desktop config {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A parse error, prefixed with the file it is in.
    #[error("{}: {error}", path.display())]
    InFile {
        path: PathBuf,
        error: Box<ConfigError>,
    },
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("expected a JSON object with \"mcpServers\", found {found}")]
    NotAnObject { found: &'static str },
    #[error("\"mcpServers\" must be an object of servers by name, found {found}")]
    ServersNotAnObject { found: &'static str },
    /// No `mcpServers`; the top-level keys there are.
    #[error("{}", no_servers_key(.keys))]
    NoServersKey { keys: Vec<String> },
    /// One server entry is malformed (why).
    #[error("server {name:?}: {problem}")]
    Server { name: String, problem: EntryProblem },
    #[error("no server named {name:?}: the config's \"mcpServers\" is empty")]
    NoServers { name: String },
    #[error("no server named {name:?} in the config; available: {}", available.join(", "))]
    UnknownServer {
        name: String,
        available: Vec<String>,
    },
}

/// What is wrong with one server entry (`found` names the JSON kind there is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("expected an object, found {found}")]
    NotAnObject { found: &'static str },
    #[error("{key:?} must be a string, found {found}")]
    NotAString { key: String, found: &'static str },
    #[error("\"args\" must be an array of strings, found {found}")]
    ArgsNotAnArray { found: &'static str },
    #[error("\"args\"[{index}] must be a string, found {found}")]
    ArgNotAString { index: usize, found: &'static str },
    #[error("{key:?} must be an object of strings, found {found}")]
    NotAMap { key: String, found: &'static str },
    #[error("\"{key}\".{entry} must be a string, found {found}")]
    MapValueNotAString {
        key: String,
        entry: String,
        found: &'static str,
    },
    #[error("has both \"command\" and \"url\"; expected one of them")]
    CommandAndUrl,
    #[error("has neither \"command\" (a local server) nor \"url\" (a remote server)")]
    NeitherCommandNorUrl,
    #[error("has \"type\": {0:?} but a \"command\" and no \"url\"")]
    TypeWithCommand(String),
    #[error("\"command\" is empty")]
    EmptyCommand,
}

fn no_servers_key(keys: &[String]) -> String {
    if keys.is_empty() {
        "no \"mcpServers\" in the config (it is empty)".to_string()
    } else {
        format!(
            "no \"mcpServers\" in the config (top-level keys: {})",
            keys.join(", ")
        )
    }
}

/// Reads the config and returns its servers in file order.
pub fn load(path: impl AsRef<Path>) -> Result<Vec<ServerEntry>, ConfigError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text).map_err(|e| ConfigError::InFile {
        path: path.to_path_buf(),
        error: Box::new(e),
    })
}

/// Parses the text of a config (see the module documentation).
pub fn parse(text: &str) -> Result<Vec<ServerEntry>, ConfigError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let what = full.strip_suffix(&suffix).unwrap_or(&full);
        ConfigError::Json {
            line: e.line(),
            column: e.column(),
            message: what.to_string(),
        }
    })?;
    let Value::Object(top) = doc else {
        return Err(ConfigError::NotAnObject { found: kind(&doc) });
    };
    let servers = match top.get("mcpServers") {
        Some(Value::Object(servers)) => servers,
        Some(other) => return Err(ConfigError::ServersNotAnObject { found: kind(other) }),
        None => {
            return Err(ConfigError::NoServersKey {
                keys: top.keys().cloned().collect(),
            })
        }
    };
    servers
        .iter()
        .map(|(name, value)| {
            entry(name, value).map_err(|problem| ConfigError::Server {
                name: name.clone(),
                problem,
            })
        })
        .collect()
}

/// Picks the server called `name`; the error lists the names there are.
pub fn select(entries: &[ServerEntry], name: &str) -> Result<ServerEntry, ConfigError> {
    if let Some(found) = entries.iter().find(|e| e.name == name) {
        return Ok(found.clone());
    }
    if entries.is_empty() {
        return Err(ConfigError::NoServers {
            name: name.to_string(),
        });
    }
    Err(ConfigError::UnknownServer {
        name: name.to_string(),
        available: entries.iter().map(|e| e.name.clone()).collect(),
    })
}

fn entry(name: &str, value: &Value) -> Result<ServerEntry, EntryProblem> {
    let Value::Object(obj) = value else {
        return Err(EntryProblem::NotAnObject { found: kind(value) });
    };
    let command = opt_string(obj, "command")?;
    let url = opt_string(obj, "url")?;
    let transport = opt_string(obj, "type")?;
    let args = match obj.get("args") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(EntryProblem::ArgNotAString {
                    index: i,
                    found: kind(other),
                }),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(EntryProblem::ArgsNotAnArray { found: kind(other) }),
    };
    let env = string_map(obj, "env")?;
    let headers = string_map(obj, "headers")?;

    match (&command, &url) {
        (Some(_), Some(_)) => return Err(EntryProblem::CommandAndUrl),
        (None, None) => return Err(EntryProblem::NeitherCommandNorUrl),
        _ => {}
    }
    if let (Some(t), Some(_)) = (&transport, &command) {
        if t != "stdio" {
            return Err(EntryProblem::TypeWithCommand(t.clone()));
        }
    }
    if let Some(c) = &command {
        if c.trim().is_empty() {
            return Err(EntryProblem::EmptyCommand);
        }
    }
    Ok(ServerEntry {
        name: name.to_string(),
        command,
        args,
        env,
        url,
        transport,
        headers,
    })
}

fn opt_string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, EntryProblem> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(EntryProblem::NotAString {
            key: key.to_string(),
            found: kind(other),
        }),
    }
}

/// An object of strings; numbers and booleans are taken as their text, as users
/// sometimes write `"PORT": 8080`.
fn string_map(
    obj: &Map<String, Value>,
    key: &str,
) -> Result<BTreeMap<String, String>, EntryProblem> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(n) => Ok((k.clone(), n.to_string())),
                Value::Bool(b) => Ok((k.clone(), b.to_string())),
                other => Err(EntryProblem::MapValueNotAString {
                    key: key.to_string(),
                    entry: k.clone(),
                    found: kind(other),
                }),
            })
            .collect(),
        Some(other) => Err(EntryProblem::NotAMap {
            key: key.to_string(),
            found: kind(other),
        }),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "files": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
      "env": {"DEBUG": "1", "PORT": 8080}
    },
    "bare": {"command": "./server"},
    "remote": {
      "type": "http",
      "url": "https://example.com/mcp",
      "headers": {"Authorization": "Bearer abc"}
    },
    "legacy": {"type": "sse", "url": "http://localhost:9000/sse"}
  }
}"#;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn loads_local_and_remote_servers_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let entries = load(write(&dir, "claude_desktop_config.json", CONFIG)).expect("loads");
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["files", "bare", "remote", "legacy"]);
        let files = &entries[0];
        assert_eq!(files.command.as_deref(), Some("npx"));
        assert_eq!(
            files.args,
            ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]
        );
        assert_eq!(files.env.get("DEBUG").map(String::as_str), Some("1"));
        assert_eq!(files.env.get("PORT").map(String::as_str), Some("8080"));
        assert_eq!(files.url, None);
        assert!(!files.is_remote());
        assert!(entries[1].args.is_empty() && entries[1].env.is_empty());
        let remote = &entries[2];
        assert_eq!(remote.command, None);
        assert_eq!(remote.url.as_deref(), Some("https://example.com/mcp"));
        assert_eq!(remote.transport.as_deref(), Some("http"));
        assert_eq!(
            remote.headers.get("Authorization").map(String::as_str),
            Some("Bearer abc")
        );
        assert!(remote.is_remote());
        assert_eq!(entries[3].transport.as_deref(), Some("sse"));
    }

    #[test]
    fn select_by_name() {
        let entries = parse(CONFIG).expect("parses");
        assert_eq!(select(&entries, "bare").expect("found").name, "bare");
        let err = select(&entries, "nope").expect_err("unknown").to_string();
        assert_eq!(
            err,
            "no server named \"nope\" in the config; available: files, bare, remote, legacy"
        );
        let err = select(&[], "x").expect_err("empty").to_string();
        assert!(err.contains("is empty"), "{err}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("absent.json");
        let err = load(&path).expect_err("missing").to_string();
        assert!(
            err.starts_with("cannot read Claude Desktop config "),
            "{err}"
        );
        assert!(err.contains("absent.json"), "{err}");
    }

    #[test]
    fn bad_json_reports_line_and_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            &dir,
            "bad.json",
            "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}\n",
        );
        let err = load(&path).expect_err("bad JSON").to_string();
        assert!(
            err.contains("bad.json: invalid JSON at line 3, column"),
            "{err}"
        );
    }

    #[test]
    fn no_mcp_servers() {
        let err = parse(r#"{"globalShortcut": "x", "theme": "dark"}"#)
            .expect_err("none")
            .to_string();
        assert_eq!(
            err,
            "no \"mcpServers\" in the config (top-level keys: globalShortcut, theme)"
        );
        assert!(parse("{}")
            .expect_err("empty")
            .to_string()
            .contains("it is empty"));
        assert!(parse("[]")
            .expect_err("array")
            .to_string()
            .contains("found an array"));
        assert!(parse(r#"{"mcpServers": []}"#)
            .expect_err("array servers")
            .to_string()
            .contains("must be an object"));
        assert_eq!(
            parse(r#"{"mcpServers": {}}"#).expect("empty servers"),
            Vec::new()
        );
    }

    #[test]
    fn bad_entries_are_named() {
        let cases = [
            (
                r#"{"mcpServers": {"a": "npx"}}"#,
                "server \"a\": expected an object, found a string",
            ),
            (
                r#"{"mcpServers": {"a": {}}}"#,
                "server \"a\": has neither \"command\"",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "url": "http://h"}}}"#,
                "has both",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "args": "-v"}}}"#,
                "\"args\" must be an array of strings, found a string",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "args": ["-v", 3]}}}"#,
                "\"args\"[1] must be a string, found a number",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "env": {"K": {}}}}}"#,
                "\"env\".K must be a string",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "headers": []}}}"#,
                "server \"a\": \"headers\" must be an object of strings, found an array",
            ),
            (
                r#"{"mcpServers": {"a": {"command": 5}}}"#,
                "\"command\" must be a string, found a number",
            ),
            (
                r#"{"mcpServers": {"a": {"type": "sse", "command": "x"}}}"#,
                "has \"type\": \"sse\" but a \"command\"",
            ),
            (
                r#"{"mcpServers": {"a": {"command": " "}}}"#,
                "\"command\" is empty",
            ),
        ];
        for (text, needle) in cases {
            let err = parse(text).expect_err(text).to_string();
            assert!(err.contains(needle), "{needle:?} not in {err:?}");
        }
    }

    #[test]
    fn stdio_type_with_command_is_fine() {
        let entries =
            parse(r#"{"mcpServers": {"a": {"type": "stdio", "command": "x", "args": null}}}"#)
                .expect("parses");
        assert_eq!(entries[0].transport.as_deref(), Some("stdio"));
        assert_eq!(entries[0].command.as_deref(), Some("x"));
    }
}
