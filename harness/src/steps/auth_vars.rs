//! The values the auth cases read: the `auth` and `target` variables of a case, and
//! what the `derive` step computes from a `WWW-Authenticate` challenge
//! (`auth_challenge`), an authorization server's issuer (`issuer_paths`) and a set of
//! identifiers (`id_variation`). Pure functions of what the preflight and the steps saw.

use serde_json::{json, Value};

use crate::client::facts::AuthProbe;
use crate::client::RunConfig;

/// The `auth` variable of a case: `{in_use, bearer_given, scoped_given,
/// status_without_token, challenge}`.
pub fn vars(cfg: &RunConfig, probe: Option<&AuthProbe>) -> Value {
    let given = cfg.http.as_ref().is_some_and(|h| h.bearer.is_some());
    let scoped = cfg.http.as_ref().is_some_and(|h| h.scoped_bearer.is_some());
    json!({
        "in_use": given || probe.is_some_and(AuthProbe::demands_token),
        "bearer_given": given,
        "scoped_given": scoped,
        "status_without_token": probe.and_then(|p| p.status),
        "challenge": probe.and_then(|p| p.challenge.clone()),
    })
}

/// The `target` variable of a case over HTTP: `{url, origin, host, port, path}`.
pub fn target_vars(cfg: &RunConfig) -> Value {
    let Some(h) = cfg.http.as_ref() else {
        return Value::Null;
    };
    let u = &h.url;
    json!({
        "url": u.as_str(),
        "origin": u.origin().ascii_serialization(),
        "host": u.host_str(),
        "port": u.port_or_known_default(),
        "path": u.path(),
    })
}

/// Parses a `WWW-Authenticate` value (RFC 9110 §11.6.1) into
/// `{schemes, bearer: {param: value}, resource_metadata, metadata_path, metadata_foreign}`.
/// `metadata_path` is the path of `resource_metadata` when it lies on `target`'s origin
/// (the only place the harness will fetch it from); `metadata_foreign` is true otherwise.
pub fn parse_challenge(header: &str, target: Option<&url::Url>) -> Value {
    let challenges = split_challenges(header);
    let schemes: Vec<String> = challenges.iter().map(|(s, _)| s.clone()).collect();
    let bearer = challenges
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, params)| {
            let m: serde_json::Map<String, Value> = params
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), json!(v)))
                .collect();
            Value::Object(m)
        });
    let rm = bearer
        .as_ref()
        .and_then(|b| b.get("resource_metadata"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let parsed = rm.as_deref().and_then(|u| url::Url::parse(u).ok());
    let same = match (&parsed, target) {
        (Some(u), Some(t)) => u.origin() == t.origin(),
        _ => false,
    };
    let path = parsed.as_ref().filter(|_| same).map(|u| match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    });
    // Without a usable header, clients look at the path-inserted well-known URI first.
    let well_known = target.map(|t| prm_path(t.path()));
    json!({
        "schemes": schemes,
        "bearer": bearer,
        "resource_metadata": rm,
        "metadata_path": path,
        "metadata_foreign": rm.is_some() && !same,
        "fetch_path": path.clone().or(well_known),
    })
}

/// RFC 9728 §3.1: the well-known suffix goes between the host and the resource's path.
fn prm_path(resource_path: &str) -> String {
    let p = resource_path.trim_end_matches('/');
    format!("/.well-known/oauth-protected-resource{p}")
}

/// Where the metadata of an authorization server `issuer` lies, if on `target`'s origin:
/// `{same_origin, oauth_path, oidc_path}` (RFC 8414 §3.1 and OpenID Connect Discovery,
/// path-inserted as the 2025-11-25 text orders for issuers with a path).
pub fn issuer_paths(issuer: &str, target: Option<&url::Url>) -> Value {
    let parsed = url::Url::parse(issuer).ok();
    let same = match (&parsed, target) {
        (Some(u), Some(t)) => u.origin() == t.origin(),
        _ => false,
    };
    let p = parsed
        .as_ref()
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    json!({
        "same_origin": same,
        "oauth_path": same.then(|| format!("/.well-known/oauth-authorization-server{p}")),
        "oidc_path": same.then(|| format!("/.well-known/openid-configuration{p}")),
    })
}

/// Splits a header into `(scheme, [(param, value)])` challenges. Lenient: a malformed
/// tail ends parsing rather than failing, since the cases judge what was found.
fn split_challenges(header: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let chars: Vec<char> = header.chars().collect();
    let mut i = 0;
    let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/".contains(c);
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && (chars[*i] == ' ' || chars[*i] == '\t' || chars[*i] == ',') {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        let start = i;
        while i < chars.len() && is_tchar(chars[i]) {
            i += 1;
        }
        if start == i {
            break;
        }
        let word: String = chars[start..i].iter().collect();
        // `word=` starts a parameter of the current challenge; anything else a scheme.
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        if j < chars.len() && chars[j] == '=' && !out.is_empty() {
            i = j + 1;
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
            let value = if i < chars.len() && chars[i] == '"' {
                i += 1;
                let mut v = String::new();
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    v.push(chars[i]);
                    i += 1;
                }
                i += 1;
                v
            } else {
                let s = i;
                while i < chars.len() && chars[i] != ',' && chars[i] != ' ' {
                    i += 1;
                }
                chars[s..i].iter().collect()
            };
            if let Some(last) = out.last_mut() {
                last.1.push((word, value));
            }
        } else {
            out.push((word, Vec::new()));
        }
    }
    out
}

/// How much a set of identifiers varies: `{count, distinct, min_length,
/// varying_positions}`. `varying_positions` counts character positions (aligned from
/// the start) at which not all ids agree: a counter varies in one or two, a random
/// 128-bit hex id in nearly all 32.
pub fn id_variation(ids: &Value) -> Value {
    let ids: Vec<Vec<char>> = ids
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|s| s.chars().collect())
        .collect();
    let distinct = {
        let mut v = ids.clone();
        v.sort();
        v.dedup();
        v.len()
    };
    let max = ids.iter().map(Vec::len).max().unwrap_or(0);
    let varying = (0..max)
        .filter(|&p| {
            let first = ids.first().and_then(|id| id.get(p));
            ids.iter().any(|id| id.get(p) != first)
        })
        .count();
    json!({
        "count": ids.len(),
        "distinct": distinct,
        "min_length": ids.iter().map(Vec::len).min().unwrap_or(0),
        "varying_positions": varying,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_bearer_challenge_with_quoted_params() {
        let t = url::Url::parse("http://127.0.0.1:9/mcp").ok();
        let v = parse_challenge(
            r#"Bearer resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp", scope="a b", error="invalid_token""#,
            t.as_ref(),
        );
        assert_eq!(v["schemes"], json!(["Bearer"]));
        assert_eq!(v["bearer"]["scope"], json!("a b"));
        assert_eq!(v["bearer"]["error"], json!("invalid_token"));
        assert_eq!(
            v["metadata_path"],
            json!("/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(v["metadata_foreign"], json!(false));
    }

    #[test]
    fn issuers_on_the_target_origin_get_well_known_paths() {
        let t = url::Url::parse("http://127.0.0.1:9/mcp").ok();
        let v = issuer_paths("http://127.0.0.1:9", t.as_ref());
        assert_eq!(
            v["oauth_path"],
            json!("/.well-known/oauth-authorization-server")
        );
        let v = issuer_paths("http://127.0.0.1:9/tenant1", t.as_ref());
        assert_eq!(
            v["oidc_path"],
            json!("/.well-known/openid-configuration/tenant1")
        );
        let v = issuer_paths("https://auth.example", t.as_ref());
        assert_eq!(v["same_origin"], json!(false));
        assert_eq!(v["oauth_path"], Value::Null);
        let c = parse_challenge("Bearer", t.as_ref());
        assert_eq!(
            c["fetch_path"],
            json!("/.well-known/oauth-protected-resource/mcp")
        );
    }

    #[test]
    fn a_foreign_metadata_url_gets_no_path() {
        let t = url::Url::parse("http://127.0.0.1:9/mcp").ok();
        let v = parse_challenge(
            r#"Basic realm="x", Bearer resource_metadata="https://evil.example/prm""#,
            t.as_ref(),
        );
        assert_eq!(v["schemes"], json!(["Basic", "Bearer"]));
        assert_eq!(v["metadata_path"], Value::Null);
        assert_eq!(v["metadata_foreign"], json!(true));
        assert_eq!(parse_challenge("", None)["bearer"], Value::Null);
    }

    #[test]
    fn counters_vary_in_few_positions_and_random_ids_in_many() {
        let counter = json!([
            "00000000000000000000000000000001",
            "00000000000000000000000000000002",
            "00000000000000000000000000000003"
        ]);
        let v = id_variation(&counter);
        assert_eq!(v["distinct"], json!(3));
        assert_eq!(v["varying_positions"], json!(1));
        let random = json!([
            "3f9a0c1d2e4b5a6978877665544332a1",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
        ]);
        assert!(
            id_variation(&random)["varying_positions"]
                .as_u64()
                .unwrap_or(0)
                >= 28
        );
        assert_eq!(id_variation(&json!(["a", "a"]))["distinct"], json!(1));
    }
}
