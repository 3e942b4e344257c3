//! Strings: generators for `pattern` (ECMA-262, translated by
//! `json_schema::pattern`) and `format`, within length bounds.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use serde_json::Value;

use super::probe::probe;
use super::schema::Norm;
use crate::json_schema::pattern::{compiled, pattern_matches, translate};

/// Default number of characters generated above `minLength`.
pub(crate) const STRING_SPAN: u64 = 32;
/// Longest `minLength` we are willing to satisfy.
const MAX_MIN_LENGTH: u64 = 1_000_000;

/// Drops a leading `^` and an unescaped trailing `$`: a string fully
/// matching the rest matches the original with search semantics.
fn strip_anchors(p: &str) -> &str {
    let mut s = p.strip_prefix('^').unwrap_or(p);
    if let Some(body) = s.strip_suffix('$') {
        let backslashes = body.chars().rev().take_while(|c| *c == '\\').count();
        if backslashes % 2 == 0 {
            s = body;
        }
    }
    s
}

/// Strings fully matching `pattern` (anchors stripped), if proptest's regex
/// generator supports it.
pub(crate) fn regex_strings(pattern: &str) -> Option<SBoxedStrategy<String>> {
    let translated = translate(pattern);
    proptest::string::string_regex(strip_anchors(&translated))
        .ok()
        .map(Strategy::sboxed)
}

fn chars() -> SBoxedStrategy<char> {
    prop_oneof![
        8 => proptest::char::range('a', 'z'),
        2 => prop::sample::select(vec!['A', 'Z', '0', '9', ' ', '-', '_', '.', '/', ':']),
        1 => any::<char>(),
    ]
    .sboxed()
}

/// Mostly lowercase ASCII, sometimes any character; shrinks toward `"aaa"`.
pub(crate) fn plain_string(lo: usize, hi: usize) -> SBoxedStrategy<String> {
    prop::collection::vec(chars(), lo..=hi.max(lo))
        .prop_map(|v| v.into_iter().collect::<String>())
        .sboxed()
}

/// ASCII letters only, exactly in `lo..=hi` characters.
pub(crate) fn ascii_string(lo: usize, hi: usize) -> SBoxedStrategy<String> {
    prop::collection::vec(proptest::char::range('a', 'z'), lo..=hi.max(lo))
        .prop_map(|v| v.into_iter().collect::<String>())
        .sboxed()
}

fn rx(pattern: &str) -> Option<SBoxedStrategy<String>> {
    proptest::string::string_regex(pattern)
        .ok()
        .map(Strategy::sboxed)
}

fn date() -> SBoxedStrategy<String> {
    (1970u32..=2099, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .sboxed()
}

fn time() -> SBoxedStrategy<String> {
    let offset = prop_oneof![
        Just("Z".to_string()),
        (
            0u32..=14,
            prop::sample::select(vec![0u32, 30, 45]),
            any::<bool>()
        )
            .prop_map(|(h, m, neg)| format!("{}{h:02}:{m:02}", if neg { '-' } else { '+' })),
    ];
    let frac = prop::option::of(0u32..=999)
        .prop_map(|f| f.map(|f| format!(".{f:03}")).unwrap_or_default());
    (0u32..=23, 0u32..=59, 0u32..=59, frac, offset)
        .prop_map(|(h, m, s, frac, off)| format!("{h:02}:{m:02}:{s:02}{frac}{off}"))
        .sboxed()
}

fn uri() -> Option<SBoxedStrategy<String>> {
    rx(
        r"https?://[a-z][a-z0-9]{0,9}\.(com|org|example)(/[a-zA-Z0-9_-]{1,8}){0,3}(\?q=[a-z0-9]{1,5})?",
    )
}

/// Strings in `format`, or `None` for formats we do not generate (they are
/// then treated as annotations).
pub(crate) fn format_strings(format: &str) -> Option<SBoxedStrategy<String>> {
    Some(match format {
        "date-time" => (date(), time())
            .prop_map(|(d, t)| format!("{d}T{t}"))
            .sboxed(),
        "date" => date(),
        "time" => time(),
        "duration" => prop_oneof![
            (1u32..=99).prop_map(|d| format!("P{d}D")),
            (1u32..=23).prop_map(|h| format!("PT{h}H")),
            (1u32..=23, 1u32..=59).prop_map(|(h, m)| format!("PT{h}H{m}M")),
        ]
        .sboxed(),
        "email" | "idn-email" => {
            rx(r"[a-z][a-z0-9]{0,7}(\.[a-z0-9]{1,5})?@[a-z][a-z0-9]{0,7}\.(com|org|net|io)")?
        }
        "hostname" | "idn-hostname" => {
            rx(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5})?(\.[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5})?){0,2}")?
        }
        "ipv4" => any::<[u8; 4]>()
            .prop_map(|o| Ipv4Addr::from(o).to_string())
            .sboxed(),
        "ipv6" => any::<[u16; 8]>()
            .prop_map(|s| Ipv6Addr::from(s).to_string())
            .sboxed(),
        "uri" | "iri" => uri()?,
        "uri-reference" | "iri-reference" => {
            prop_oneof![uri()?, rx(r"(/[a-z0-9]{1,8}){1,3}")?].sboxed()
        }
        "uri-template" => rx(r"https://[a-z]{1,8}\.com/[a-z]{1,5}/\{[a-z]{1,5}\}")?,
        "uuid" => rx(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")?,
        "json-pointer" => rx(r"(/([a-z0-9]|~0|~1){0,6}){0,3}")?,
        "relative-json-pointer" => rx(r"[0-9](/[a-z]{1,5}){0,2}")?,
        "regex" => prop::sample::select(vec!["[a-z]+", "^abc$", "a|b", "[0-9]{3}"])
            .prop_map(str::to_string)
            .sboxed(),
        _ => return None,
    })
}

/// Valid strings for `norm`: format generator, else the first pattern's
/// generator, else plain strings; lengths and further patterns are filtered.
pub(crate) fn string_values(norm: &Norm) -> Result<SBoxedStrategy<Value>, String> {
    let lo = norm.min_len;
    if let Some(hi) = norm.max_len {
        if lo > hi {
            return Err(format!("minLength {lo} > maxLength {hi}"));
        }
    }
    if lo > MAX_MIN_LENGTH {
        return Err(format!("minLength {lo} is too large to generate"));
    }
    let hi = norm.max_len.unwrap_or(u64::MAX).min(lo + STRING_SPAN);
    for p in &norm.patterns {
        if compiled(p).is_none() {
            return Err(format!(
                "unsupported pattern `{p}` (lookaround, back-reference or invalid)"
            ));
        }
    }
    let by_format = norm.formats.iter().find_map(|f| format_strings(f));
    let by_pattern = || norm.patterns.first().and_then(|p| regex_strings(p));
    let (base, plain) = match by_format.or_else(by_pattern) {
        Some(s) => (s, false),
        None => (plain_string(to_usize(lo), to_usize(hi)), true),
    };
    if plain && norm.patterns.is_empty() {
        return Ok(base.prop_map(Value::String).sboxed());
    }
    let patterns = norm.patterns.clone();
    let max_len = norm.max_len;
    let ok = move |s: &String| {
        let n = s.chars().count() as u64;
        n >= lo
            && max_len.is_none_or(|h| n <= h)
            && patterns.iter().all(|p| pattern_matches(p, s) == Some(true))
    };
    if !probe(&base, &ok) {
        return Err(format!(
            "could not generate strings for pattern {:?} / format {:?} within length {lo}..{max_len:?}",
            norm.patterns, norm.formats
        ));
    }
    Ok(base
        .prop_filter("string constraints", ok)
        .prop_map(Value::String)
        .sboxed())
}

pub(crate) fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
