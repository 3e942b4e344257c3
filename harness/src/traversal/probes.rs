//! The probe families: path strings that a careless server resolves to a canary
//! outside its root, and the detection of tool arguments that take a path or URI.
//!
//! Every probe names only sandbox paths (the canaries and folders the harness
//! planted); a unit test resolves each one the way a naive server would and checks
//! it stays inside the sandbox temp dir.

use std::path::Path;

use serde_json::Value;

use crate::sandbox::Sandbox;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Dotdot,
    Absolute,
    PercentEncoded,
    DoubleEncoded,
    Backslash,
    MixedSeparators,
    NulByte,
    OverlongUtf8,
    FileUri,
    Symlink,
    PrefixSibling,
    LongPath,
}

impl Family {
    pub const ALL: [Family; 12] = [
        Family::Dotdot,
        Family::Absolute,
        Family::PercentEncoded,
        Family::DoubleEncoded,
        Family::Backslash,
        Family::MixedSeparators,
        Family::NulByte,
        Family::OverlongUtf8,
        Family::FileUri,
        Family::Symlink,
        Family::PrefixSibling,
        Family::LongPath,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Family::Dotdot => "dotdot",
            Family::Absolute => "absolute",
            Family::PercentEncoded => "percent-encoded",
            Family::DoubleEncoded => "double-encoded",
            Family::Backslash => "backslash",
            Family::MixedSeparators => "mixed-separators",
            Family::NulByte => "nul-byte",
            Family::OverlongUtf8 => "overlong-utf8",
            Family::FileUri => "file-uri",
            Family::Symlink => "symlink",
            Family::PrefixSibling => "prefix-sibling",
            Family::LongPath => "long-path",
        }
    }

    /// The result id.
    pub fn id(self) -> String {
        format!("traversal.{}", self.label())
    }

    pub fn title(self) -> &'static str {
        match self {
            Family::Dotdot => "`../` chains out of the root do not reach files outside it",
            Family::Absolute => "absolute paths outside the root are refused",
            Family::PercentEncoded => {
                "percent-encoded `../` (`%2e%2e%2f`) does not escape the root"
            }
            Family::DoubleEncoded => {
                "double-encoded `../` (`%252e%252e%252f`) does not escape the root"
            }
            Family::Backslash => "backslash separators (`..\\`) do not escape the root",
            Family::MixedSeparators => "mixed `/` and `\\` separators do not escape the root",
            Family::NulByte => "a NUL byte in a path does not cut a check short",
            Family::OverlongUtf8 => {
                "overlong UTF-8 dots and slashes (`%c0%ae`) do not escape the root"
            }
            Family::FileUri => "`file://` URIs with `..` do not escape the root",
            Family::Symlink => "symlinks inside the root do not lead out of it",
            Family::PrefixSibling => {
                "a sibling whose name starts with the root's (`root-x`) is outside it"
            }
            Family::LongPath => "very long `./` and `a/../` padding does not hide an escape",
        }
    }
}

/// One path string to send, and where a naive server would take it.
#[derive(Debug, Clone)]
pub struct Probe {
    pub family: Family,
    /// The text sent (as a tool argument, or inside a URI).
    pub text: String,
    /// Absolute probes are sent as they are in resource URIs (`file://` + text).
    pub absolute: bool,
}

fn rel(sb: &Sandbox, target: &Path) -> String {
    // Every target is a direct child of the root's parent or below it.
    let parent = sb.root.parent().unwrap_or(&sb.root);
    let below = target.strip_prefix(parent).unwrap_or(target);
    format!("../{}", below.display())
}

fn abs(p: &Path) -> String {
    p.display().to_string()
}

/// `../` enough times to reach `/`, then the absolute target by name.
fn deep(sb: &Sandbox, target: &Path) -> String {
    let depth = sb.root.components().count() + 2;
    let t = abs(target);
    format!("{}{}", "../".repeat(depth), t.trim_start_matches('/'))
}

/// The paths every family builds its probes from.
struct Targets {
    /// The root as an absolute path.
    root: String,
    /// `../…` paths of the canary files outside the root.
    rels: Vec<String>,
    /// Absolute paths of the canaries (file and folder).
    absolutes: Vec<String>,
    file_rel: String,
    dir_rel: String,
}

impl Targets {
    fn of(sb: &Sandbox) -> Targets {
        let a = &sb.aims;
        let file_rel = rel(sb, &a.sibling_file);
        let mut rels = vec![file_rel.clone()];
        let mut absolutes = vec![abs(&a.sibling_file), abs(&a.sibling_dir)];
        if let Some(p) = &a.parent_file {
            rels.push(rel(sb, p));
            absolutes.push(abs(p));
        }
        Targets {
            root: abs(&sb.root),
            dir_rel: rel(sb, &a.sibling_dir),
            rels,
            absolutes,
            file_rel,
        }
    }
}

/// The probes of one family for a sandbox (empty when the family does not apply).
pub fn probes(sb: &Sandbox, family: Family) -> Vec<Probe> {
    let t = Targets::of(sb);
    let texts = match family {
        Family::Dotdot => dotdot(sb, &t),
        Family::Absolute => absolute(sb, &t),
        Family::PercentEncoded => percent_encoded(sb, &t),
        Family::DoubleEncoded => double_encoded(sb, &t),
        Family::Backslash => backslash(sb, &t),
        Family::MixedSeparators => mixed_separators(sb, &t),
        Family::NulByte => nul_byte(sb, &t),
        Family::OverlongUtf8 => overlong_utf8(sb, &t),
        Family::FileUri => file_uri(sb, &t),
        Family::Symlink => symlink(sb, &t),
        Family::PrefixSibling => prefix_sibling(sb, &t),
        Family::LongPath => long_path(sb, &t),
    };
    let mut seen = std::collections::BTreeSet::new();
    texts
        .into_iter()
        .filter(|(t, _)| seen.insert(t.clone()))
        .map(|(text, absolute)| Probe {
            family,
            text,
            absolute,
        })
        .collect()
}

fn dotdot(sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets {
        rels,
        file_rel,
        dir_rel,
        ..
    } = t;
    let a = &sb.aims;
    let mut v: Vec<String> = rels.clone();
    v.push(format!("./{file_rel}"));
    v.push(format!("sub/../{file_rel}"));
    v.push(dir_rel.clone());
    v.push(deep(sb, &a.sibling_file));
    v.push(deep(sb, &a.sibling_dir));
    let parent_name = sb
        .root
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    if let (Some(name), true) = (parent_name, sb.owns_root) {
        // Two levels up and back into the sandbox by its name.
        v.push(format!(
            "../../{name}/{}",
            file_rel.trim_start_matches("../")
        ));
        v.push("..".into());
    }
    v.into_iter().map(|t| (t, false)).collect()
}

fn absolute(_sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets {
        root,
        absolutes,
        file_rel,
        ..
    } = t;
    let mut v: Vec<(String, bool)> = absolutes.iter().map(|t| (t.clone(), true)).collect();
    v.push((format!("{root}/{file_rel}"), true));
    v
}

fn percent_encoded(sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets { rels, dir_rel, .. } = t;
    let a = &sb.aims;
    let mut v = Vec::new();
    for r in rels {
        v.push(r.replace('/', "%2f"));
        v.push(r.replacen("..", "%2e%2e", 1));
        v.push(r.replacen("..", "%2e%2e", 1).replace('/', "%2f"));
        v.push(r.replacen("..", "%2E%2E", 1).replace('/', "%2F"));
    }
    v.push(dir_rel.replacen("..", "%2e%2e", 1).replace('/', "%2f"));
    let mut out: Vec<(String, bool)> = v.into_iter().map(|t| (t, false)).collect();
    out.push((abs(&a.sibling_file).replace('/', "%2f"), false));
    out
}

fn double_encoded(_sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets { rels, .. } = t;
    let mut v = Vec::new();
    for r in rels {
        v.push(r.replacen("..", "%252e%252e", 1).replace('/', "%252f"));
        v.push(r.replace('/', "%252f"));
        v.push(r.replacen("..", "%252e%252e", 1));
    }
    v.into_iter().map(|t| (t, false)).collect()
}

fn backslash(_sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets {
        rels,
        file_rel,
        dir_rel,
        ..
    } = t;
    let mut v: Vec<String> = rels.iter().map(|r| r.replace('/', "\\")).collect();
    v.push(format!("sub\\..\\{}", file_rel.replace('/', "\\")));
    v.push(dir_rel.replace('/', "\\"));
    v.push(format!(".\\{}", file_rel.replace('/', "\\")));
    v.into_iter().map(|t| (t, false)).collect()
}

fn mixed_separators(_sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets { rels, dir_rel, .. } = t;
    let mut v = Vec::new();
    for r in rels {
        v.push(r.replacen('/', "\\", 1));
        v.push(r.replace('/', "\\/"));
        v.push(format!("sub/..\\{}", r.replacen('/', "\\", 1)));
    }
    v.push(format!("..\\/{}", dir_rel.trim_start_matches("../")));
    v.into_iter().map(|t| (t, false)).collect()
}

fn nul_byte(sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets { rels, .. } = t;
    let a = &sb.aims;
    let mut v = Vec::new();
    for r in rels {
        v.push((format!("allowed.txt\u{0}/../{r}"), false));
        v.push((format!("{r}\u{0}.txt"), false));
        v.push((format!("{r}%00.txt"), false));
        v.push((format!("allowed.txt%00/../{r}"), false));
    }
    v.push((format!("{}\u{0}.txt", abs(&a.sibling_file)), true));
    v
}

fn overlong_utf8(_sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets { rels, .. } = t;
    let mut v = Vec::new();
    for r in rels {
        v.push(r.replacen("..", "%c0%ae%c0%ae", 1));
        v.push(r.replacen("..", "%c0%ae%c0%ae", 1).replace('/', "%c0%af"));
        v.push(r.replacen("..", "%e0%80%ae%e0%80%ae", 1));
        v.push(r.replace('/', "%c0%af"));
    }
    v.into_iter().map(|t| (t, false)).collect()
}

fn file_uri(sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets {
        root,
        rels,
        dir_rel,
        ..
    } = t;
    let a = &sb.aims;
    let mut v = Vec::new();
    for r in rels {
        v.push(format!("file://{root}/{r}"));
        v.push(format!("file://{root}/{}", r.replacen("..", "%2e%2e", 1)));
    }
    v.push(format!("file://{}", abs(&a.sibling_file)));
    v.push(format!("file://localhost{}", abs(&a.sibling_file)));
    v.push(format!("file://{root}/{dir_rel}"));
    v.into_iter().map(|t| (t, true)).collect()
}

fn symlink(sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets { root, .. } = t;
    let a = &sb.aims;
    let mut v = Vec::new();
    for (name, target) in &a.symlinks {
        v.push((name.clone(), false));
        v.push((format!("./{name}"), false));
        v.push((format!("{root}/{name}"), true));
        if target.is_dir() {
            v.push((format!("{name}/secret.txt"), false));
        }
    }
    v
}

fn prefix_sibling(sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets { root, .. } = t;
    let a = &sb.aims;
    vec![
        (abs(&a.prefix_file), true),
        (abs(&a.prefix_dir), true),
        (rel(sb, &a.prefix_file), false),
        (rel(sb, &a.prefix_dir), false),
        (format!("{root}/{}", rel(sb, &a.prefix_file)), true),
    ]
}

fn long_path(_sb: &Sandbox, t: &Targets) -> Vec<(String, bool)> {
    let Targets {
        root,
        file_rel,
        dir_rel,
        ..
    } = t;
    vec![
        (format!("{}{file_rel}", "./".repeat(1000)), false),
        (format!("{}{file_rel}", "sub/../".repeat(280)), false),
        (format!("{root}/{}{file_rel}", "./".repeat(1000)), true),
        (format!("{}{dir_rel}", "./".repeat(1000)), false),
    ]
}

/// The resource URI of a probe, given the root's `file://` base.
pub fn as_file_uri(sb: &Sandbox, p: &Probe) -> String {
    if p.text.starts_with("file:") {
        p.text.clone()
    } else if p.absolute {
        format!("file://{}", p.text)
    } else {
        format!("file://{}/{}", sb.root.display(), p.text)
    }
}

const NAME_WORDS: [&str; 9] = [
    "path",
    "file",
    "dir",
    "folder",
    "uri",
    "url",
    "location",
    "filename",
    "directory",
];
const EXACT_NAMES: [&str; 8] = [
    "source",
    "destination",
    "src",
    "dst",
    "dest",
    "target",
    "from",
    "to",
];
const DESCRIPTION_WORDS: [&str; 8] = [
    "path",
    "file",
    "filename",
    "directory",
    "folder",
    "uri",
    "url",
    "filepath",
];

/// How a path-like argument takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    String,
    /// An array of strings: the probe goes in as its one element.
    Array,
}

fn is_stringish(s: &Value) -> bool {
    match s.get("type") {
        None => true,
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

fn looks_like_path(name: &str, schema: &Value) -> bool {
    let lower = name.to_ascii_lowercase();
    if NAME_WORDS.iter().any(|w| lower.contains(w)) || EXACT_NAMES.contains(&lower.as_str()) {
        return true;
    }
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        if [
            "uri",
            "uri-reference",
            "iri",
            "iri-reference",
            "uri-template",
        ]
        .contains(&f)
        {
            return true;
        }
    }
    let desc = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    desc.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| DESCRIPTION_WORDS.contains(&w))
}

/// The path-like properties of a tool's input schema: by name, `format`,
/// description words, or named in `hinted`.
pub fn path_args(input_schema: &Value, hinted: &[String]) -> Vec<(String, Shape)> {
    let Some(props) = input_schema.get("properties").and_then(Value::as_object) else {
        return hinted.iter().map(|h| (h.clone(), Shape::String)).collect();
    };
    let mut out = Vec::new();
    for (name, schema) in props {
        let array = schema.get("type").and_then(Value::as_str) == Some("array");
        let hint = hinted.iter().any(|h| h == name);
        let shape = if array {
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            if !is_stringish(&items) {
                continue;
            }
            Shape::Array
        } else if is_stringish(schema) || hint {
            Shape::String
        } else {
            continue;
        };
        let items = schema.get("items").unwrap_or(schema);
        if hint || looks_like_path(name, schema) || (array && looks_like_path(name, items)) {
            out.push((name.clone(), shape));
        }
    }
    for h in hinted {
        if !props.contains_key(h) {
            out.push((h.clone(), Shape::String));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::{Component, PathBuf};

    /// Percent-decodes (overlong two- and three-byte forms of `.` and `/` too).
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        let hex = |i: usize| -> Option<u8> {
            let t = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            u8::from_str_radix(t, 16).ok()
        };
        while i < b.len() {
            if b[i] == b'%' {
                if let Some(x) = hex(i) {
                    out.push(x);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        // Overlong forms: C0 AE / E0 80 AE = '.', C0 AF / E0 80 AF = '/'.
        let mut fixed = Vec::new();
        let mut j = 0;
        while j < out.len() {
            match &out[j..] {
                [0xC0, x @ (0xAE | 0xAF), ..] => {
                    fixed.push(x - 0x80);
                    j += 2;
                }
                [0xE0, 0x80, x @ (0xAE | 0xAF), ..] => {
                    fixed.push(x - 0x80);
                    j += 3;
                }
                [x, ..] => {
                    fixed.push(*x);
                    j += 1;
                }
                [] => break,
            }
        }
        String::from_utf8_lossy(&fixed).into_owned()
    }

    /// Every reading a naive server could make of a probe text: decoded 0, 1 or 2
    /// times, backslashes as separators or not, cut at NUL or not.
    fn readings(text: &str) -> Vec<String> {
        let t = text.strip_prefix("file://").unwrap_or(text);
        let t = t.strip_prefix("localhost").unwrap_or(t).to_string();
        let once = decode(&t);
        let twice = decode(&once);
        let mut out = Vec::new();
        for d in [t, once, twice] {
            for b in [d.clone(), d.replace('\\', "/")] {
                out.push(b.clone());
                if let Some(cut) = b.split('\0').next() {
                    out.push(cut.to_string());
                }
                out.push(b.replace('\0', ""));
            }
        }
        out
    }

    /// Joins to the root if relative, normalizes `..` and follows the sandbox's
    /// symlinks (component by component).
    fn naive_resolve(root: &Path, text: &str) -> PathBuf {
        let p = Path::new(text);
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        };
        let mut out = PathBuf::from("/");
        for c in full.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(n) => {
                    out.push(n);
                    if let Ok(target) = std::fs::read_link(&out) {
                        out = target;
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn check_all(sb: &Sandbox) -> usize {
        let mut n = 0;
        for f in Family::ALL {
            for p in probes(sb, f) {
                for text in [p.text.clone(), as_file_uri(sb, &p)] {
                    for reading in readings(&text) {
                        let at = naive_resolve(&sb.root, &reading);
                        let inside = at.starts_with(&sb.dir) || at.starts_with(&sb.root);
                        assert!(
                            inside,
                            "{}: `{}` read as `{reading}` resolves to {} outside the sandbox",
                            f.label(),
                            p.text.escape_debug(),
                            at.display()
                        );
                        n += 1;
                    }
                }
            }
        }
        n
    }

    #[test]
    fn every_probe_resolves_inside_the_sandbox() {
        let sb = Sandbox::create().expect("sandbox");
        for f in Family::ALL {
            assert!(!probes(&sb, f).is_empty(), "{} has no probe", f.label());
        }
        assert!(check_all(&sb) > 500);
        let outer = tempfile::tempdir().expect("tmp");
        let root = outer.path().join("data");
        std::fs::create_dir(&root).expect("mkdir");
        let beside = Sandbox::beside(&root).expect("beside");
        assert!(probes(&beside, Family::Symlink).is_empty());
        check_all(&beside);
    }

    #[test]
    fn probes_never_name_listing_tokens_or_system_files() {
        let sb = Sandbox::create().expect("sandbox");
        for f in Family::ALL {
            for p in probes(&sb, f) {
                for l in &sb.listings {
                    assert!(!p.text.contains(&l.token));
                }
                for c in &sb.canaries {
                    assert!(!p.text.contains(&c.token));
                }
                assert!(!p.text.contains("/etc/"));
            }
        }
    }

    #[test]
    fn path_like_arguments_are_found() {
        let schema = json!({"type": "object", "properties": {
            "path": {"type": "string"},
            "paths": {"type": "array", "items": {"type": "string"}},
            "text": {"type": "string", "description": "Text to echo"},
            "where": {"type": "string", "description": "The folder to search"},
            "link": {"type": "string", "format": "uri"},
            "count": {"type": "integer"},
            "source": {"type": "string"},
            "q": {"type": "string"}}});
        let found = path_args(&schema, &["q".to_string()]);
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["path", "paths", "where", "link", "source", "q"]);
        assert_eq!(found[1].1, Shape::Array);
    }
}
