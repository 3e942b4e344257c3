//! Files under a root folder (`--root DIR`): the `read_file` and `list_directory`
//! tools and `file://` resources (one per file, and a template), confined to the
//! root.
//!
//! The defence, in order: reject NUL; for a URI, strip `file://` and percent-decode
//! exactly once; walk the path's components lexically (a `..` may not climb above
//! the root, an absolute path must lie under the root, compared component-wise);
//! then canonicalize (following symlinks) and require the real path to lie under
//! the canonical root, again component-wise. The `traversal-*` faults each weaken
//! one step.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::core::Session;
use crate::faults::Fault;
use crate::jsonrpc::RpcError;

/// Most files listed as resources.
const MAX_LISTED: usize = 200;
/// Deepest folder level listed as resources.
const MAX_DEPTH: usize = 4;
/// Largest file served (bytes).
const MAX_READ: u64 = 1 << 20;

/// The tools (name, description), both read-only, each taking `path`.
pub fn tool_defs() -> [(&'static str, &'static str, &'static str); 2] {
    [
        (
            "read_file",
            "Read file",
            "Returns the text of a file under the server's root folder.",
        ),
        (
            "list_directory",
            "List directory",
            "Lists the entries of a folder under the server's root folder.",
        ),
    ]
}

/// The input schema of both tools.
pub fn input_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"path": {"type": "string",
            "description": "Path relative to the root folder (or absolute inside it)"}},
        "required": ["path"],
    })
}

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// Percent-decodes once; `None` when an escape is malformed.
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Percent-encodes a path for a `file://` URI (unreserved characters and `/` stay).
pub fn encode_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `file://` URI of an absolute path.
pub fn file_uri(path: &Path) -> String {
    format!("file://{}", encode_path(&path.to_string_lossy()))
}

/// Lexical resolution: joins a relative path to the root, and walks the components.
/// With `climb`, a `..` may leave the root (the result is the plain normalized path).
fn lexical(root: &Path, path: &Path, climb: bool) -> Result<PathBuf, Refused> {
    let mut out = PathBuf::new();
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    for c in full.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => out.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if !climb && out.as_path() == root {
                    return Err(Refused("the path leaves the root folder".into()));
                }
                out.pop();
            }
            Component::Normal(n) => out.push(n),
        }
    }
    if !climb && !out.starts_with(root) {
        return Err(Refused("the path is outside the root folder".into()));
    }
    Ok(out)
}

/// Resolves a path string (a tool argument, or a URI's decoded path) to a real path
/// inside the root, applying the active traversal fault.
pub fn resolve(session: &Session, root: &Path, raw: &str) -> Result<PathBuf, Refused> {
    let faults = session.faults();
    if raw.contains('\0') {
        return Err(Refused("the path contains a NUL byte".into()));
    }
    if raw.is_empty() {
        return Err(Refused("the path is empty".into()));
    }
    let path = Path::new(raw);
    if faults.has(Fault::TraversalDotdot) && !path.is_absolute() {
        // No `..` check: joined and handed to the OS as it is.
        return Ok(root.join(path));
    }
    if faults.has(Fault::TraversalAbsolute) && path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    if faults.has(Fault::TraversalPrefix) {
        let normal = lexical(root, path, true)?;
        let real = normal.canonicalize().unwrap_or(normal);
        let (r, p) = (root.to_string_lossy(), real.to_string_lossy());
        if !p.starts_with(r.as_ref()) {
            return Err(Refused("the path is outside the root folder".into()));
        }
        return Ok(real);
    }
    let normal = lexical(root, path, false)?;
    if faults.has(Fault::TraversalEncoded) {
        // Checked above; now decoded (the check saw the encoded text).
        let decoded = percent_decode(raw).ok_or(Refused("malformed escape".into()))?;
        let text = String::from_utf8_lossy(&decoded).into_owned();
        let p = Path::new(&text);
        return Ok(if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        });
    }
    if faults.has(Fault::TraversalSymlink) {
        return Ok(normal);
    }
    let real = normal
        .canonicalize()
        .map_err(|_| Refused("no such file or folder".into()))?;
    if !real.starts_with(root) {
        return Err(Refused("the path leads outside the root folder".into()));
    }
    Ok(real)
}

/// The path of a `file://` URI, decoded once; `None` when it is not one.
fn uri_path(session: &Session, uri: &str) -> Option<Result<String, Refused>> {
    let rest = uri.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return Some(Err(Refused("a file URI needs an absolute path".into())));
    }
    if session.faults().has(Fault::TraversalEncoded) {
        // The check runs on the encoded text and `resolve` decodes afterwards.
        return Some(Ok(rest.to_string()));
    }
    Some(match percent_decode(rest) {
        None => Err(Refused("malformed percent escape".into())),
        Some(bytes) => String::from_utf8(bytes).map_err(|_| Refused("not UTF-8".into())),
    })
}

fn read_text(path: &Path) -> Result<Vec<u8>, Refused> {
    let meta = std::fs::metadata(path).map_err(|_| Refused("no such file".into()))?;
    if !meta.is_file() {
        return Err(Refused("not a file".into()));
    }
    if meta.len() > MAX_READ {
        return Err(Refused("the file is too large".into()));
    }
    std::fs::read(path).map_err(|_| Refused("the file cannot be read".into()))
}

fn list_text(path: &Path) -> Result<String, Refused> {
    let entries = std::fs::read_dir(path).map_err(|_| Refused("not a readable folder".into()))?;
    let mut lines: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| {
            let kind = match e.file_type() {
                Ok(t) if t.is_dir() => "[DIR]",
                Ok(t) if t.is_symlink() => "[LINK]",
                _ => "[FILE]",
            };
            format!("{kind} {}", e.file_name().to_string_lossy())
        })
        .collect();
    lines.sort();
    Ok(lines.join("\n"))
}

/// `tools/call` of `read_file` or `list_directory`.
pub fn call_tool(session: &Arc<Session>, root: &Path, name: &str, path: &str) -> Value {
    let resolved = resolve(session, root, path);
    let outcome = resolved.and_then(|p| match name {
        "read_file" => read_text(&p).map(|b| String::from_utf8_lossy(&b).into_owned()),
        _ => list_text(&p),
    });
    match outcome {
        Ok(text) => crate::tools::text_result(text),
        Err(Refused(why)) => crate::tools::error_result(format!("Access refused: {why}")),
    }
}

/// `write_file` of the `traversal-write` fault: the path is joined to the root with
/// no check at all (a write that can escape the root).
pub fn write_careless(root: &Path, path: &str, content: &str) -> Value {
    if path.contains('\0') || path.is_empty() {
        return crate::tools::error_result("Access refused: bad path");
    }
    match std::fs::write(root.join(path), content) {
        Ok(()) => crate::tools::text_result(format!("wrote {} bytes", content.len())),
        Err(_) => crate::tools::error_result("the file cannot be written"),
    }
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH || out.len() >= MAX_LISTED {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(t) = e.file_type() else { continue };
        if t.is_symlink() {
            continue;
        }
        if t.is_dir() {
            walk(&e.path(), depth + 1, out);
        } else if t.is_file() && out.len() < MAX_LISTED {
            out.push(e.path());
        }
    }
}

/// The file resources (for `resources/list`).
pub fn resources(root: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    walk(root, 0, &mut files);
    files
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap_or(p).to_string_lossy();
            json!({"uri": file_uri(p), "name": format!("file {rel}"),
                "description": "A file under the server's root folder.",
                "mimeType": "text/plain"})
        })
        .collect()
}

/// The resource template of files under the root.
pub fn template(root: &Path) -> Value {
    json!({
        "uriTemplate": format!("{}/{{+path}}", file_uri(root)),
        "name": "file",
        "description": "A file under the server's root folder, by its path.",
        "mimeType": "text/plain",
    })
}

/// `resources/read` of a `file://` URI; `None` when the URI is not one.
pub fn read(session: &Session, root: &Path, uri: &str) -> Option<Result<Value, RpcError>> {
    let path = uri_path(session, uri)?;
    let outcome = path
        .and_then(|p| resolve(session, root, &p))
        .and_then(|p| read_text(&p));
    Some(match outcome {
        Ok(bytes) => {
            let body = match String::from_utf8(bytes) {
                Ok(text) => json!({"uri": uri, "mimeType": "text/plain", "text": text}),
                Err(e) => json!({"uri": uri, "mimeType": "application/octet-stream",
                    "blob": crate::resources::base64(e.as_bytes())}),
            };
            Ok(json!({"contents": [body]}))
        }
        Err(Refused(why)) => Err(RpcError::new(
            crate::jsonrpc::RESOURCE_NOT_FOUND,
            format!("Resource not readable: {why}"),
        )
        .with_data(json!({"uri": uri}))),
    })
}

/// Reads the `path` argument of a file tool.
pub fn path_arg(args: &Map<String, Value>) -> &str {
    args.get("path").and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_walk_stays_in_the_root() {
        let root = Path::new("/srv/root");
        assert_eq!(
            lexical(root, Path::new("a/./b/../c"), false),
            Ok(PathBuf::from("/srv/root/a/c"))
        );
        assert!(lexical(root, Path::new("../x"), false).is_err());
        assert!(lexical(root, Path::new("a/../../x"), false).is_err());
        assert!(lexical(root, Path::new("/srv/root-x/f"), false).is_err());
        assert!(lexical(root, Path::new("/srv/root/../root-x"), false).is_err());
        assert_eq!(
            lexical(root, Path::new("/srv/root/f"), false),
            Ok(PathBuf::from("/srv/root/f"))
        );
        assert_eq!(
            lexical(root, Path::new("../root-x"), true),
            Ok(PathBuf::from("/srv/root-x"))
        );
    }

    #[test]
    fn decoding_and_uris() {
        assert_eq!(percent_decode("a%2Fb%2e").as_deref(), Some(&b"a/b."[..]));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(
            file_uri(Path::new("/tmp/a b/c")),
            "file:///tmp/a%20b/c".to_string()
        );
    }
}
