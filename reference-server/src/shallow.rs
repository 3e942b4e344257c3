//! Reading the top-level `id` of a message that serde_json refuses to parse because
//! it nests deeper than its recursion limit (128). Such a message is valid JSON, so
//! it deserves an answer under its own id rather than a -32700 with a null id (a
//! finding of the tool-input fuzzer: deeply nested arguments left calls unanswered).

use serde_json::Value;

/// Skips a JSON string starting at `i` (which must be a `"`); returns the index after it.
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Skips one JSON value starting at `i`; returns the index after it. Nesting is
/// counted, not recursed into, so any depth is fine.
fn skip_value(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i)?;
                if depth == 0 {
                    return Some(i);
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    (depth == 0).then_some(i)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The value of the top-level `"id"` member of an object, if it can be found.
pub fn top_level_id(text: &str) -> Option<Value> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(b, i)?;
        let key: String = serde_json::from_str(text.get(i..key_end)?).ok()?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = skip_value(b, start)?;
        if key == "id" {
            return serde_json::from_str(text.get(start..end)?.trim()).ok();
        }
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i += 1,
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_id_beside_deep_params() {
        let deep = format!("{}0{}", "[".repeat(300), "]".repeat(300));
        let text = format!(
            r#"{{"jsonrpc":"2.0","params":{{"x":"a\"}}","arguments":{deep}}},"id":7,"method":"tools/call"}}"#
        );
        assert!(serde_json::from_str::<Value>(&text).is_err());
        assert_eq!(top_level_id(&text), Some(json!(7)));
        assert_eq!(top_level_id(r#" {"id": "abc"}"#), Some(json!("abc")));
        assert_eq!(top_level_id(r#"{"method":"x"}"#), None);
        assert_eq!(top_level_id("[1,2]"), None);
        assert_eq!(top_level_id(r#"{"a":[1,2"#), None);
    }
}
