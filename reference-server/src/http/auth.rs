//! `--bearer TOKEN`: the HTTP fronts demand `Authorization: Bearer TOKEN` on every
//! request (AUTH-04, AUTH-05, SEC-01) and publish what a client needs to get one:
//! OAuth 2.0 Protected Resource Metadata (RFC 9728, AUTH-01/02) and, acting as its
//! own authorization server, RFC 8414 metadata (AUTH-10). There is no real OAuth flow
//! behind the endpoints: the token is fixed on the command line.

use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::json;

use super::{header, json_body, jsonrpc_error, Body, Server};
use crate::faults::Fault;

/// The scope the challenge names (AUTH-03).
const SCOPE: &str = "mcp:tools";

/// The scopes the server names (with `offline_access` under its fault, MOD-25).
fn scopes(server: &Server) -> Vec<&'static str> {
    if server.has(Fault::AuthOfflineAccess) {
        vec![SCOPE, "offline_access"]
    } else {
        vec![SCOPE]
    }
}

/// The well-known document for `path`, if it is one this server publishes.
pub fn well_known(server: &Server, path: &str) -> Option<Response<Body>> {
    server.bearer.as_ref()?;
    let base = &server.base;
    match path {
        "/.well-known/oauth-protected-resource/mcp" | "/.well-known/oauth-protected-resource" => {
            if server.has(Fault::AuthNoResourceMetadata) {
                return None;
            }
            let servers = if server.has(Fault::AuthPrmNoServers) {
                json!([])
            } else {
                json!([base])
            };
            let resource = if server.has(Fault::AuthPrmWrongResource) {
                format!("{base}/other")
            } else {
                format!("{base}/mcp")
            };
            Some(json_body(
                StatusCode::OK,
                &json!({
                    "resource": resource,
                    "authorization_servers": servers,
                    "scopes_supported": scopes(server),
                    "bearer_methods_supported": ["header"],
                }),
            ))
        }
        "/.well-known/oauth-authorization-server" => {
            if server.has(Fault::AuthAsMissing) {
                return None;
            }
            let mut doc = json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
            });
            if server.has(Fault::AuthAsNoPkce) {
                if let Some(o) = doc.as_object_mut() {
                    o.remove("code_challenge_methods_supported");
                }
            }
            Some(json_body(StatusCode::OK, &doc))
        }
        _ => None,
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let (scheme, rest) = header(headers, "authorization")?.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim().to_string())
}

/// `Err` with the refusal when the request lacks the right token.
pub fn check<B>(server: &Server, req: &Request<B>) -> Result<(), Response<Body>> {
    let Some(token) = &server.bearer else {
        return Ok(());
    };
    let given = bearer_token(req.headers());
    if server.has(Fault::AuthSessionTrusted) {
        let known = header(req.headers(), "mcp-session-id")
            .is_some_and(|sid| server.sessions().contains_key(sid));
        if known {
            return Ok(());
        }
    }
    let scoped = given.is_some() && given == server.scoped_bearer;
    match given {
        Some(t) if &t == token || scoped || server.has(Fault::AuthAnyToken) => Ok(()),
        Some(_) => Err(challenge(server, Some("invalid_token"))),
        None if server.has(Fault::AuthOptional) => Ok(()),
        None if server.has(Fault::Auth403ForMissing) => Err(jsonrpc_error(
            StatusCode::FORBIDDEN,
            -32000,
            "Forbidden: no credentials",
        )),
        None => Err(challenge(server, None)),
    }
}

/// Scopes, for `--scoped-bearer`: the `--bearer` token is granted `mcp:admin`, which
/// implies every other scope; the scoped token only `mcp:read`.
const ADMIN: &str = "mcp:admin";
const READ: &str = "mcp:read";

/// The scopes an operation needs: calling a tool needs `mcp:tools` besides `mcp:read`.
fn required_scopes(method: &str) -> &'static [&'static str] {
    if method == "tools/call" {
        &[READ, SCOPE]
    } else {
        &[READ]
    }
}

/// `Err` with a 403 `insufficient_scope` challenge when the request's token lacks a
/// scope that `method` needs (AUTH-06); all of them are named at once (MOD-26).
pub fn check_scope(
    server: &Server,
    headers: &HeaderMap,
    method: &str,
) -> Result<(), Response<Body>> {
    let Some(scoped) = &server.scoped_bearer else {
        return Ok(());
    };
    let token = bearer_token(headers);
    let granted: &[&str] = match token {
        Some(t) if &t == scoped => &[READ],
        Some(t) if server.bearer.as_ref() == Some(&t) => &[ADMIN],
        _ => return Ok(()), // refused (or let through by a fault) before this
    };
    // The fault forgets that `mcp:admin` implies `mcp:tools` (the scope of calling tools).
    let forgets = |s: &str| s == SCOPE && server.has(Fault::AuthScopeHierarchyIgnored);
    let implied = |s: &&str| granted.contains(s) || (granted.contains(&ADMIN) && !forgets(s));
    let needed = required_scopes(method);
    if needed.iter().all(implied) {
        return Ok(());
    }
    if server.has(Fault::AuthScope401) {
        return Err(challenge(server, Some("invalid_token")));
    }
    let mut r = refusal_body(server, StatusCode::FORBIDDEN, "insufficient_scope");
    // The fault names only the scopes still missing, on every other challenge.
    static CHALLENGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = CHALLENGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let named: Vec<&str> = if server.has(Fault::AuthScopeVaries) && n % 2 == 1 {
        needed.iter().copied().filter(|s| !implied(s)).collect()
    } else {
        needed.to_vec()
    };
    if !server.has(Fault::AuthScopeNoChallenge) {
        let value = format!(
            "Bearer error=\"insufficient_scope\", scope=\"{}\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            named.join(" "),
            server.base
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert("www-authenticate", v);
        }
    }
    Err(r)
}

/// The body of an authorization refusal: a JSON-RPC error, or with the variant
/// `oauth-error-body` the OAuth error object many authorization layers send
/// (`{"error": "invalid_token", "error_description": …}`, `application/json`).
fn refusal_body(server: &Server, status: StatusCode, oauth_error: &str) -> Response<Body> {
    if server.variant(crate::variants::Variant::OauthErrorBody) {
        return crate::http::json_body(
            status,
            &serde_json::json!({
                "error": oauth_error,
                "error_description": "the request is not authorized for this resource",
            }),
        );
    }
    let message = if status == StatusCode::FORBIDDEN {
        "Forbidden: insufficient scope"
    } else {
        "Unauthorized"
    };
    jsonrpc_error(status, -32000, message)
}

/// A 401 with `WWW-Authenticate: Bearer resource_metadata="…", scope="…"`.
fn challenge(server: &Server, error: Option<&str>) -> Response<Body> {
    let mut params = Vec::new();
    if let Some(e) = error {
        params.push(format!("error=\"{e}\""));
    }
    if !server.has(Fault::AuthNoResourceMetadata) {
        params.push(format!(
            "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            server.base
        ));
    }
    if !server.has(Fault::AuthNoScope) {
        params.push(format!("scope=\"{}\"", scopes(server).join(" ")));
    }
    let value = if params.is_empty() {
        "Bearer".to_string()
    } else {
        format!("Bearer {}", params.join(", "))
    };
    let mut r = refusal_body(server, StatusCode::UNAUTHORIZED, "invalid_token");
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert("www-authenticate", v);
    }
    r
}
