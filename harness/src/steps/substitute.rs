//! `${name}` substitution: how case values pick up captured and built-in variables.

/// Replaces `${name}` in strings (a name may carry a JSON pointer: `${tool/name}`): a
/// string that is exactly `${name}` becomes the value (any type); inside longer strings
/// the value is spliced as text. Unknown names are left as they are. The template rules
/// are those of matchers (`check::matcher::Template`), written once there.
pub use crate::check::matcher::substitute;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::matcher::Vars;
    use serde_json::json;

    #[test]
    fn substitution_follows_pointers_and_keeps_unknown_names() {
        let mut vars = Vars::new();
        vars.insert("tool".into(), json!({"name": "echo", "n": 3}));
        assert_eq!(substitute(&json!("${tool/name}"), &vars), json!("echo"));
        assert_eq!(substitute(&json!("${tool/n}"), &vars), json!(3));
        assert_eq!(substitute(&json!("x-${tool/n}-y"), &vars), json!("x-3-y"));
        assert_eq!(substitute(&json!("${nope}"), &vars), json!("${nope}"));
        assert_eq!(
            substitute(&json!("a ${nope} b"), &vars),
            json!("a ${nope} b")
        );
        assert_eq!(substitute(&json!("${"), &vars), json!("${"));
    }
}
