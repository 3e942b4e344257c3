//! Cursor-based pagination for the list methods.
//!
//! Cursors are opaque to clients: `"c"` followed by the hex encoding of
//! `page:<offset>`. Anything that does not decode to an offset within the
//! current list is rejected with -32602.

use serde_json::{Map, Value};

use crate::core::Session;
use crate::faults::Fault;
use crate::jsonrpc::RpcError;
use crate::variants::{Variant, Variants};

const PREFIX: &str = "page:";

/// Encodes a list offset as an opaque cursor.
pub fn encode_cursor(offset: usize) -> String {
    let raw = format!("{PREFIX}{offset}");
    let mut s = String::with_capacity(1 + raw.len() * 2);
    s.push('c');
    for b in raw.bytes() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Decodes a cursor made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Option<usize> {
    let hex = cursor.strip_prefix('c')?;
    if hex.len() % 2 != 0 || hex.len() > 64 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    let raw = String::from_utf8(bytes?).ok()?;
    let digits = raw.strip_prefix(PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The cursor variants' decoration: `cursor-odd` puts spaces, `%`, `/../` and
/// non-ASCII characters in front, `cursor-long` pads the cursor beyond 1,000 characters.
/// Both are legal: a cursor is an opaque string.
const ODD_PREFIX: &str = "next page/../50% — Grüße ✓ ";
const LONG_PAD: usize = 1200;

fn dress(variants: &Variants, cursor: String) -> String {
    let mut c = cursor;
    if variants.has(Variant::CursorOdd) {
        c = format!("{ODD_PREFIX}{c}");
    }
    if variants.has(Variant::CursorLong) {
        let pad = "=".repeat(LONG_PAD);
        c = format!("{c}~{pad}");
    }
    c
}

fn undress<'a>(variants: &Variants, cursor: &'a str) -> Option<&'a str> {
    let mut c = cursor;
    if variants.has(Variant::CursorLong) {
        let (head, pad) = c.rsplit_once('~')?;
        if pad.len() != LONG_PAD || pad.bytes().any(|b| b != b'=') {
            return None;
        }
        c = head;
    }
    if variants.has(Variant::CursorOdd) {
        c = c.strip_prefix(ODD_PREFIX)?;
    }
    Some(c)
}

/// The cursor of `empty-page-cursor`'s empty first page: it leads to offset 0.
const EMPTY_FIRST: &str = "cstart";

/// The params as [`paginate`] understands them: the variants' cursor forms turned
/// back into plain cursors (an undecodable one into a value `paginate` refuses).
fn plain_params(variants: &Variants, params: &Map<String, Value>) -> Map<String, Value> {
    let mut params = params.clone();
    if let Some(Value::String(c)) = params.get("cursor").cloned() {
        let plain = match undress(variants, &c) {
            Some(EMPTY_FIRST) if variants.has(Variant::EmptyPageCursor) => encode_cursor(0),
            Some(inner) if variants.has(Variant::EmptyPageCursor) && inner == encode_cursor(0) => {
                // Offset 0 is reached only through the empty first page's own cursor.
                String::new()
            }
            Some(inner) => inner.to_string(),
            None => String::new(),
        };
        params.insert("cursor".into(), Value::String(plain));
    }
    params
}

/// [`paginate`] with the session's page size, pagination faults and variants.
pub fn paginate_for(
    session: &Session,
    key: &str,
    items: Vec<Value>,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let variants = &session.config.variants;
    let asked = params.get("cursor").cloned();
    let first_page = matches!(asked, None | Some(Value::Null));
    if first_page && variants.has(Variant::EmptyPageCursor) {
        let mut result = Map::new();
        result.insert(key.to_string(), Value::Array(Vec::new()));
        let next = dress(variants, EMPTY_FIRST.to_string());
        result.insert("nextCursor".into(), Value::String(next));
        return Ok(Value::Object(result));
    }
    let faults = session.faults();
    let page_size = session.config.page_size;
    let lenient = faults.has(Fault::InvalidCursorFirstPage);
    let mut params = plain_params(variants, params);
    if lenient {
        if let Some(Value::String(c)) = params.get("cursor") {
            if decode_cursor(c).is_none_or(|off| off > items.len()) {
                params.remove("cursor");
            }
        }
    }
    let mut page = match paginate(key, items.clone(), &params, page_size) {
        Err(mut e) => {
            if let Some(Value::String(c)) = &asked {
                e.message = format!("Invalid params: unknown cursor {c:?}");
            }
            return Err(e);
        }
        Ok(page) => page,
    };
    if let Some(Value::String(next)) = page.get("nextCursor").cloned() {
        page["nextCursor"] = Value::String(dress(variants, next));
    }
    if faults.has(Fault::PageOverlap) {
        // Each page after the first starts one item early.
        if let Some(off) = params
            .get("cursor")
            .and_then(Value::as_str)
            .and_then(decode_cursor)
            .filter(|off| *off > 0)
        {
            if let (Some(prev), Some(Value::Array(list))) = (items.get(off - 1), page.get_mut(key))
            {
                list.insert(0, prev.clone());
            }
        }
    }
    Ok(page)
}

/// Returns one page of `items` as `{<key>: [...], nextCursor?}` according to
/// the optional `cursor` in `params`.
pub fn paginate(
    key: &str,
    items: Vec<Value>,
    params: &Map<String, Value>,
    page_size: usize,
) -> Result<Value, RpcError> {
    let offset = match params.get("cursor") {
        None | Some(Value::Null) => 0,
        Some(Value::String(c)) => match decode_cursor(c) {
            Some(off) if off <= items.len() => off,
            _ => {
                return Err(RpcError::invalid_params(format!(
                    "Invalid params: unknown cursor {c:?}"
                )))
            }
        },
        Some(_) => {
            return Err(RpcError::invalid_params(
                "Invalid params: \"cursor\" must be a string",
            ))
        }
    };
    let page_size = page_size.max(1);
    let end = offset.saturating_add(page_size).min(items.len());
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(end - offset).collect();
    let mut result = Map::new();
    result.insert(key.to_string(), Value::Array(page));
    if end < total {
        result.insert("nextCursor".into(), Value::String(encode_cursor(end)));
    }
    Ok(Value::Object(result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items(n: usize) -> Vec<Value> {
        (0..n).map(|i| json!(i)).collect()
    }

    #[test]
    fn cursor_round_trip() {
        for off in [0, 1, 3, 42, 100_000] {
            assert_eq!(decode_cursor(&encode_cursor(off)), Some(off));
        }
        for bad in ["", "c", "x3", "c7061", "cZZ", "page:3", "c706167653a"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn pages_cover_the_list_exactly_once() {
        let mut params = Map::new();
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = paginate("tools", items(8), &params, 3).expect("page");
            pages += 1;
            seen.extend(page["tools"].as_array().expect("array").iter().cloned());
            match page.get("nextCursor") {
                Some(c) => {
                    params.insert("cursor".into(), c.clone());
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, items(8));
    }

    #[test]
    fn dressed_cursors_round_trip_and_stay_strict() {
        for names in [
            vec!["cursor-odd"],
            vec!["cursor-long"],
            vec!["cursor-odd", "cursor-long"],
        ] {
            let v = Variants::parse(&names).expect("known variants");
            let plain = encode_cursor(3);
            let dressed = dress(&v, plain.clone());
            assert_ne!(dressed, plain);
            assert_eq!(undress(&v, &dressed), Some(plain.as_str()));
            // A plain cursor is not one this server hands out.
            assert_eq!(undress(&v, &plain), None, "{names:?}");
        }
        let long = Variants::parse(&["cursor-long"]).expect("known");
        assert!(dress(&long, encode_cursor(3)).len() > 1000);
        let odd = Variants::parse(&["cursor-odd"]).expect("known");
        let c = dress(&odd, encode_cursor(3));
        assert!(c.contains(' ') && c.contains('%') && c.contains("/../") && !c.is_ascii());
    }

    #[test]
    fn the_empty_first_page_leads_to_offset_zero_only_through_its_cursor() {
        let v = Variants::parse(&["empty-page-cursor"]).expect("known");
        let mut params = Map::new();
        params.insert("cursor".into(), json!(EMPTY_FIRST));
        assert_eq!(plain_params(&v, &params)["cursor"], json!(encode_cursor(0)));
        params.insert("cursor".into(), json!(encode_cursor(0)));
        let page = paginate("x", items(4), &plain_params(&v, &params), 3);
        assert!(
            page.is_err(),
            "offset 0 is not reachable by a forged cursor"
        );
        params.insert("cursor".into(), json!(encode_cursor(3)));
        assert_eq!(plain_params(&v, &params)["cursor"], json!(encode_cursor(3)));
    }

    #[test]
    fn bad_cursors_are_invalid_params() {
        for bad in [json!("nope"), json!(5), json!(encode_cursor(99))] {
            let mut params = Map::new();
            params.insert("cursor".into(), bad);
            let err = paginate("x", items(4), &params, 3).expect_err("must fail");
            assert_eq!(err.code, crate::jsonrpc::INVALID_PARAMS);
        }
        let exact = paginate("x", items(3), &Map::new(), 3).expect("ok");
        assert!(exact.get("nextCursor").is_none());
    }
}
