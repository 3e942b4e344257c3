//! The layering of harness/src, read from the source: no import cycle between files
//! (except inside transport/, where the stream recursion is real), and no module
//! importing a module of a layer above it.
//!
//! An import is a `crate::…` or `super::…` path anywhere in a file's code (use
//! declarations, use groups and paths in expressions alike), outside comments,
//! strings and `#[cfg(test)]` items; it points to the file of the longest module
//! path it names. A parent naming its child module directly (`child::x`,
//! `self::child::x`) is not counted.
//!
//! The two trials are enforced since the re-layering of issue 16; setting
//! [`ENFORCED`] to `false` reports them as ignored (for a refactor under way).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use libtest_mimic::{Failed, Trial};

use crate::support::repo_root;

/// Whether the layout trials run (and fail the suite) or are reported as ignored.
const ENFORCED: bool = true;

/// The top-level modules of harness/src, from the top layer down: a file may import
/// files of its own top-level module and of modules listed after it, never of one
/// listed before it. `cli → suite → steps → client → transport`; fuzz/ and
/// traversal/ use client/ and check/, never steps/ or suite/; report/ renders the
/// result model; the leaves (case, check, json_schema, requirements, revision,
/// outcome) import only what follows them.
const LAYERS: &[&str] = &[
    "cli",
    "suggest",
    "suite",
    "coverage",
    "steps",
    "traversal",
    "fuzz",
    "client",
    "sandbox",
    "mutants",
    "transport",
    "report",
    "case",
    "check",
    "json_schema",
    "requirements",
    "revision",
    "outcome",
    "evidence",
];

/// Folders inside which files may import each other in a cycle.
const CYCLES_ALLOWED_IN: &[&str] = &["transport/"];

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "layout::the_scanner_reads_paths_not_comments_or_strings",
            || verdict(scanner_problems()),
        ),
        Trial::test("layout::no_import_cycle_between_files", || {
            verdict(cycles(&graph()?))
        })
        .with_ignored_flag(!ENFORCED),
        Trial::test("layout::no_module_imports_a_layer_above_it", || {
            let mut problems = upward_edges(&graph()?);
            if !problems.is_empty() {
                problems.insert(0, format!("layers, top first: {}", LAYERS.join(" → ")));
            }
            verdict(problems)
        })
        .with_ignored_flag(!ENFORCED),
    ]
}

/// The scanner on a sample: use groups (nested, `self`, renames), `super::super::`,
/// an inline module, paths in expressions; nothing from comments, strings, char
/// literals, lifetimes or `#[cfg(test)]` items.
fn scanner_problems() -> Vec<String> {
    let sample = r##"
        //! See [`crate::doc::link`].
        use crate::a::{b, c::{self, d as e}};
        use super::super::up;
        /* crate::block /* nested crate::x */ still::comment */
        fn f<'a>(x: &'a str) -> char {
            let _ = "crate::in_string";
            let _ = r#"crate::in_raw "string""#;
            crate::expr::call(x);
            '''
        }
        mod inline {
            use super::sibling;
        }
        #[cfg(test)]
        mod tests {
            use crate::only_in_tests;
        }
        #[cfg(test)]
        #[path = "other_tests.rs"]
        mod more_tests;
    "##;
    let scanned = scan(&tokens(sample), &["m".to_string(), "n".to_string()]);
    let got: Vec<String> = scanned.imports.iter().map(|p| p.join("::")).collect();
    let want = [
        "a::b",
        "a::c",
        "a::c::d",
        "up",
        "expr::call",
        "m::n::sibling",
    ];
    let mut problems = Vec::new();
    if got != want {
        problems.push(format!("imports: got {got:?}, want {want:?}"));
    }
    let test_modules = [("more_tests".to_string(), Some("other_tests.rs".to_string()))];
    if scanned.test_modules != test_modules {
        problems.push(format!("test modules: got {:?}", scanned.test_modules));
    }
    problems
}

fn verdict(problems: Vec<String>) -> Result<(), Failed> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

/// Imports between files of harness/src: file → files it imports (paths relative to
/// harness/src, with `/`).
type Graph = BTreeMap<String, BTreeSet<String>>;

fn graph() -> Result<Graph, String> {
    let src = repo_root().join("harness/src");
    let mut files = Vec::new();
    collect_rs(&src, &src, &mut files)?;
    let mut scanned = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(src.join(file)).map_err(|e| format!("{file}: {e}"))?;
        scanned.insert(file.clone(), scan(&tokens(&text), &module_path(file)));
    }
    let test_only: BTreeSet<String> = scanned
        .iter()
        .flat_map(|(file, s)| s.test_modules.iter().map(move |m| (file, m)))
        .flat_map(|(file, (name, path))| test_module_files(file, name, path.as_deref()))
        .collect();
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .filter(|f| !is_root(f) && !test_only.contains(*f))
        .map(|f| (module_path(f), f.clone()))
        .collect();
    let mut graph = Graph::new();
    for file in modules.values() {
        let targets = scanned[file]
            .imports
            .iter()
            .filter_map(|import| resolve(&modules, import))
            .filter(|target| *target != file)
            .cloned()
            .collect();
        graph.insert(file.clone(), targets);
    }
    Ok(graph)
}

fn collect_rs(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect_rs(root, &path, out)?;
        } else if path.extension().is_some_and(|x| x == "rs") {
            let rel = path.strip_prefix(root).map_err(|e| e.to_string())?;
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// The crate roots: lib.rs declares the modules, main.rs is another crate.
fn is_root(file: &str) -> bool {
    file == "lib.rs" || file == "main.rs"
}

/// `steps/http.rs` → `[steps, http]`; `steps/mod.rs` → `[steps]`.
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The files a `#[cfg(test)] mod name;` in `file` may load.
fn test_module_files(file: &str, name: &str, path_attr: Option<&str>) -> Vec<String> {
    let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            format!("{a}/{b}")
        }
    };
    if let Some(p) = path_attr {
        return vec![join(dir, p)];
    }
    let own_dir = if file.ends_with("mod.rs") || is_root(file) {
        dir.to_string()
    } else {
        file.trim_end_matches(".rs").to_string()
    };
    vec![
        join(&own_dir, &format!("{name}.rs")),
        join(&own_dir, &format!("{name}/mod.rs")),
    ]
}

/// The file of the longest module path that `import` starts with.
fn resolve<'a>(
    modules: &'a BTreeMap<Vec<String>, String>,
    import: &[String],
) -> Option<&'a String> {
    (1..=import.len())
        .rev()
        .find_map(|n| modules.get(&import[..n]))
}

/// Files that import each other in a cycle (strongly connected components of more
/// than one file), outside the folders where that is allowed, each with its edges.
fn cycles(graph: &Graph) -> Vec<String> {
    let mut problems = Vec::new();
    for component in strongly_connected(graph) {
        let allowed = CYCLES_ALLOWED_IN
            .iter()
            .any(|dir| component.iter().all(|f| f.starts_with(dir)));
        if component.len() < 2 || allowed {
            continue;
        }
        let mut text = format!("import cycle between {}:", component.join(", "));
        for from in &component {
            for to in graph[from].iter().filter(|t| component.contains(t)) {
                text.push_str(&format!("\n  {from} → {to}"));
            }
        }
        problems.push(text);
    }
    problems
}

/// Tarjan's algorithm; components in a stable order, each sorted.
fn strongly_connected(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        next: usize,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.components.push(component);
        }
    }
    let mut state = State {
        graph,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.components
}

/// Imports from a module to one listed before it in [`LAYERS`], and top-level
/// modules that [`LAYERS`] does not place.
fn upward_edges(graph: &Graph) -> Vec<String> {
    let rank = |file: &str| {
        let top = file
            .split('/')
            .next()
            .unwrap_or(file)
            .trim_end_matches(".rs");
        (top.to_string(), LAYERS.iter().position(|l| *l == top))
    };
    let mut problems = BTreeSet::new();
    for (from, targets) in graph {
        let (from_top, from_rank) = rank(from);
        for to in targets {
            let (to_top, to_rank) = rank(to);
            if from_top == to_top {
                continue;
            }
            match (from_rank, to_rank) {
                (Some(a), Some(b)) if b < a => {
                    problems.insert(format!("{from} imports {to}: {from_top} is below {to_top}"));
                }
                (Some(_), Some(_)) => {}
                _ => {
                    for top in [&from_top, &to_top] {
                        if !LAYERS.contains(&top.as_str()) {
                            problems.insert(format!(
                                "module `{top}` has no place in LAYERS (tests/suite/layout.rs)"
                            ));
                        }
                    }
                }
            }
        }
    }
    problems.into_iter().collect()
}

/// A token of Rust source, with comments, lifetimes and whitespace gone.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    /// `::`
    PathSep,
    Punct(char),
}

/// Splits Rust source into tokens; enough of the lexical grammar to tell code from
/// comments (nested block comments too), strings (raw and byte strings too), char
/// literals and lifetimes.
fn tokens(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i);
        } else if let Some((text, end)) = string_literal(&chars, i) {
            out.push(Token::Str(text));
            i = end;
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i);
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && next == Some(':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

fn skip_block_comment(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// A string literal starting at `i` (`"…"`, `b"…"`, `r"…"`, `r#"…"#`, `br#"…"#`):
/// its text (escapes kept as written) and the index after it.
fn string_literal(chars: &[char], i: usize) -> Option<(String, usize)> {
    let at = |k: usize| chars.get(k).copied();
    let (raw_r, quote) = match (at(i), at(i + 1)) {
        (Some('"'), _) => (None, i),
        (Some('b'), Some('"')) => (None, i + 1),
        (Some('r'), _) => (Some(i + 1), 0),
        (Some('b'), Some('r')) => (Some(i + 2), 0),
        _ => return None,
    };
    if let Some(mut j) = raw_r {
        let mut hashes = 0;
        while at(j) == Some('#') {
            hashes += 1;
            j += 1;
        }
        if at(j) != Some('"') {
            return None; // an identifier such as `r` or `r#type`
        }
        let start = j + 1;
        let mut k = start;
        while k < chars.len() {
            if chars[k] == '"' && (1..=hashes).all(|h| at(k + h) == Some('#')) {
                return Some((chars[start..k].iter().collect(), k + 1 + hashes));
            }
            k += 1;
        }
        return Some((chars[start..].iter().collect(), chars.len()));
    }
    let start = quote + 1;
    let mut k = start;
    while k < chars.len() && chars[k] != '"' {
        k += if chars[k] == '\\' { 2 } else { 1 };
    }
    let end = k.min(chars.len());
    Some((chars[start..end].iter().collect(), end + 1))
}

/// Skips a char literal (`'x'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`).
fn skip_char_or_lifetime(chars: &[char], i: usize) -> usize {
    if chars.get(i + 1) == Some(&'\\') {
        // An escape: the escaped character (which may be a quote), then up to the quote.
        let mut k = i + 3;
        while k < chars.len() && chars[k] != '\'' {
            k += 1;
        }
        return k + 1;
    }
    if chars.get(i + 2) == Some(&'\'') {
        return i + 3;
    }
    let mut k = i + 1;
    while k < chars.len() && (chars[k].is_alphanumeric() || chars[k] == '_') {
        k += 1;
    }
    k
}

/// What one file says: the module paths it imports (absolute, from the crate root)
/// and its `#[cfg(test)] mod name;` declarations (name, `#[path]` if any).
#[derive(Default)]
struct Scanned {
    imports: Vec<Vec<String>>,
    test_modules: Vec<(String, Option<String>)>,
}

fn scan(tokens: &[Token], file_module: &[String]) -> Scanned {
    let mut scanned = Scanned::default();
    // Inline modules the scan is inside: (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        if is_cfg_test(tokens, i) {
            i = skip_test_item(tokens, i + 7, &mut scanned);
            continue;
        }
        match &tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Token::Ident(kw) if kw == "mod" => {
                if let (Some(Token::Ident(name)), Some(Token::Punct('{'))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    inline.push((name.clone(), depth + 1));
                }
            }
            _ if starts_path(tokens, i) => {
                let mut here: Vec<String> = file_module.to_vec();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let (paths, end) = use_tree(tokens, i, Vec::new());
                for path in paths {
                    scanned.imports.push(absolute(&here, &path));
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    scanned
}

/// A `crate::…` or `super::…` path starts at `i` (and does not continue one).
fn starts_path(tokens: &[Token], i: usize) -> bool {
    matches!(&tokens[i], Token::Ident(s) if s == "crate" || s == "super")
        && tokens.get(i + 1) == Some(&Token::PathSep)
        && !matches!(i.checked_sub(1).map(|p| &tokens[p]), Some(Token::PathSep))
}

/// `#[cfg(test)]` at `i`.
fn is_cfg_test(tokens: &[Token], i: usize) -> bool {
    let want = [
        Token::Punct('#'),
        Token::Punct('['),
        Token::Ident("cfg".into()),
        Token::Punct('('),
        Token::Ident("test".into()),
        Token::Punct(')'),
        Token::Punct(']'),
    ];
    tokens.get(i..i + want.len()) == Some(&want[..])
}

/// Skips the item after a `#[cfg(test)]` (its other attributes, then up to its `;`
/// or through its braces); records it if it is `mod name;`. Returns the index after.
fn skip_test_item(tokens: &[Token], mut i: usize, scanned: &mut Scanned) -> usize {
    let mut path_attr = None;
    while tokens.get(i) == Some(&Token::Punct('#')) {
        let end = matching(tokens, i + 1, '[', ']');
        if let (Some(Token::Ident(name)), Some(Token::Str(p))) =
            (tokens.get(i + 2), tokens.get(i + 4))
        {
            if name == "path" {
                path_attr = Some(p.clone());
            }
        }
        i = end;
    }
    let start = i;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct(';') => {
                let item = &tokens[start..i];
                if let [.., Token::Ident(kw), Token::Ident(name)] = item {
                    if kw == "mod" {
                        scanned.test_modules.push((name.clone(), path_attr));
                    }
                }
                return i + 1;
            }
            Token::Punct('{') => return matching(tokens, i, '{', '}'),
            _ => i += 1,
        }
    }
    i
}

/// The index after the bracket that closes the one at `i`.
fn matching(tokens: &[Token], mut i: usize, open: char, close: char) -> usize {
    let mut depth = 0;
    while i < tokens.len() {
        if tokens[i] == Token::Punct(open) {
            depth += 1;
        } else if tokens[i] == Token::Punct(close) {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    i
}

/// The paths of a use tree or path starting at `i` (`crate::a::{b, c::{d, self}}`
/// gives `crate::a::b`, `crate::a::c::d`, `crate::a::c`), and the index after it.
fn use_tree(tokens: &[Token], mut i: usize, mut prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        match tokens.get(i) {
            Some(Token::Ident(segment)) => {
                if segment != "self" || prefix.is_empty() {
                    prefix.push(segment.clone());
                }
                if tokens.get(i + 1) == Some(&Token::PathSep) {
                    i += 2;
                } else {
                    return (vec![prefix], i + 1);
                }
            }
            Some(Token::Punct('{')) => {
                let mut paths = Vec::new();
                i += 1;
                while i < tokens.len() && tokens[i] != Token::Punct('}') {
                    if tokens[i] == Token::Punct(',') {
                        i += 1;
                        continue;
                    }
                    let (more, end) = use_tree(tokens, i, prefix.clone());
                    paths.extend(more);
                    // Skip a rename (`as name`) up to the next `,` or `}`.
                    i = end;
                    while i < tokens.len()
                        && tokens[i] != Token::Punct(',')
                        && tokens[i] != Token::Punct('}')
                    {
                        i += 1;
                    }
                }
                return (paths, i + 1);
            }
            _ => return (vec![prefix], i),
        }
    }
}

/// A `crate::…` / `super::…` path as a path from the crate root, read in module `here`.
fn absolute(here: &[String], path: &[String]) -> Vec<String> {
    let mut base = here.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        _ => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
    }
    base.extend(rest.iter().cloned());
    base
}
