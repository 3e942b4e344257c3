//! ECMA-262 regular expressions (`pattern`, `patternProperties`) through the `regex`
//! crate: translation of the syntax that differs, and a per-thread cache.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

thread_local! {
    static REGEX_CACHE: RefCell<HashMap<String, Option<Regex>>> = RefCell::new(HashMap::new());
}

/// Rewrites ECMA-262 syntax for the `regex` crate: `\d`/`\w` become their
/// ASCII classes (ECMA semantics), `\uXXXX` becomes `\x{XXXX}`, `\/` becomes
/// `/`. Lookaround and back-references are left as they are (and fail to
/// compile).
pub(crate) fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let e = chars[i + 1];
            i += 2;
            match (e, in_class) {
                ('d', false) => out.push_str("[0-9]"),
                ('d', true) => out.push_str("0-9"),
                ('D', false) => out.push_str("[^0-9]"),
                ('w', false) => out.push_str("[A-Za-z0-9_]"),
                ('w', true) => out.push_str("A-Za-z0-9_"),
                ('W', false) => out.push_str("[^A-Za-z0-9_]"),
                ('/', _) => out.push('/'),
                ('u', _)
                    if i + 4 <= chars.len()
                        && chars[i..i + 4].iter().all(char::is_ascii_hexdigit) =>
                {
                    out.push_str("\\x{");
                    out.extend(&chars[i..i + 4]);
                    out.push('}');
                    i += 4;
                }
                _ => {
                    out.push('\\');
                    out.push(e);
                }
            }
            continue;
        }
        if c == '[' && !in_class {
            in_class = true;
            out.push(c);
            if chars.get(i + 1) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            i += 1;
            continue;
        }
        if c == ']' && in_class {
            in_class = false;
        } else if in_class && matches!(c, '[' | '&' | '~') {
            // Literal in ECMA classes, set syntax in the regex crate.
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The compiled (translated) pattern, cached per thread; `None` when the
/// `regex` crate cannot express it.
pub(crate) fn compiled(pattern: &str) -> Option<Regex> {
    REGEX_CACHE.with(|cache| {
        if let Some(r) = cache.borrow().get(pattern) {
            return r.clone();
        }
        let r = Regex::new(&translate(pattern)).ok();
        cache.borrow_mut().insert(pattern.to_string(), r.clone());
        r
    })
}

/// Search-semantics match of an ECMA pattern; `None` when unsupported.
pub(crate) fn pattern_matches(pattern: &str, s: &str) -> Option<bool> {
    compiled(pattern).map(|r| r.is_match(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_ecma_patterns() {
        assert_eq!(translate(r"^\d{3}$"), "^[0-9]{3}$");
        assert_eq!(translate(r"[\w-]+"), "[A-Za-z0-9_-]+");
        assert_eq!(translate(r"\u00e9\/"), "\\x{00e9}/");
        assert_eq!(translate(r"[a&&b]"), r"[a\&\&b]");
        assert!(pattern_matches(r"^\d+$", "\u{663}").is_some_and(|m| !m));
    }
}
