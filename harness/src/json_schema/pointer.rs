//! JSON Pointers (RFC 6901): the one place that escapes a reference token.

use std::borrow::Cow;

/// One reference token escaped: `~` as `~0`, then `/` as `~1`.
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// `pointer` extended by one token (escaped): `join("/a", "b/c")` is `/a/b~1c`.
pub fn join(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

/// `pointer` extended by an array index.
pub fn join_index(pointer: &str, index: usize) -> String {
    format!("{pointer}/{index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_escaped_tilde_first() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a/b"), "a~1b");
        assert_eq!(escape("~1"), "~01");
        assert_eq!(join("", "a~/b"), "/a~0~1b");
        assert_eq!(join_index("/a", 3), "/a/3");
        let doc = serde_json::json!({"a~/b": 1});
        assert_eq!(doc.pointer(&join("", "a~/b")), Some(&serde_json::json!(1)));
    }
}
