//! The leak oracle: a canary's content token, or a listing token (a file name no
//! probe ever named), in anything the server answered.

use serde_json::Value;

use crate::sandbox::Sandbox;

/// A leak found in one message.
#[derive(Debug, Clone)]
pub struct Leak {
    /// What leaked: the canary's place, or the listed folder.
    pub what: String,
    pub token: String,
    /// The message text around the token.
    pub excerpt: String,
}

/// Standard base64 with padding (to spot a canary sent as a blob).
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The needles: (what, needle, token shown).
pub fn needles(sb: &Sandbox) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for c in &sb.canaries {
        out.push((
            format!("content of canary {}", c.label),
            c.token.clone(),
            c.token.clone(),
        ));
        // A file read from offset 0 and sent base64-encoded starts with this.
        let aligned = &c.token.as_bytes()[..c.token.len() / 3 * 3];
        out.push((
            format!("content of canary {} (base64)", c.label),
            base64(aligned),
            c.token.clone(),
        ));
    }
    for l in &sb.listings {
        out.push((
            format!(
                "a listing of {} (a file name no probe named)",
                l.folder.display()
            ),
            l.token.clone(),
            l.token.clone(),
        ));
    }
    out
}

fn excerpt(text: &str, at: usize, len: usize) -> String {
    let mut start = at.saturating_sub(160);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + len + 160).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!(
        "{}{}{}",
        if start > 0 { "…" } else { "" },
        &text[start..end],
        if end < text.len() { "…" } else { "" }
    )
}

/// The first leak in a message, if any.
pub fn find(needles: &[(String, String, String)], msg: &Value) -> Option<Leak> {
    let text = match msg {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (what, needle, token) in needles {
        if let Some(at) = text.find(needle.as_str()) {
            return Some(Leak {
                what: what.clone(),
                token: token.clone(),
                excerpt: excerpt(&text, at, needle.len()),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_and_base64_are_found() {
        let sb = Sandbox::create().expect("sandbox");
        let n = needles(&sb);
        let c = &sb.canaries[0];
        let msg =
            json!({"result": {"content": [{"type": "text", "text": format!("{}\n", c.token)}]}});
        let leak = find(&n, &msg).expect("leak");
        assert_eq!(leak.token, c.token);
        assert!(leak.excerpt.contains(&c.token));
        let blob = base64(format!("{}\n", c.token).as_bytes());
        let leak = find(&n, &json!({"blob": blob})).expect("base64 leak");
        assert!(leak.what.contains("base64"));
        let l = &sb.listings[1];
        let listing = json!({"text": format!("[FILE] {}.txt", l.token)});
        assert!(find(&n, &listing).is_some_and(|k| k.what.contains("listing")));
        let echo =
            json!({"error": {"message": format!("denied: {}", sb.aims.sibling_file.display())}});
        assert!(find(&n, &echo).is_none());
    }
}
