//! The Streamable HTTP transport (revisions 2025-03-26 and later): every message is a
//! POST to the one endpoint; answers come back as JSON or as an SSE stream; GET opens
//! the standalone stream (or resumes one with `Last-Event-ID`); DELETE ends a session.
//!
//! The transport adds what a well-behaved client sends (`Accept`, `Content-Type`,
//! `MCP-Session-Id` once issued, `MCP-Protocol-Version` from 2025-06-18 on); a case
//! may override or leave out any of them. Requests only ever go to the endpoint URL
//! the user gave, so nothing leaves the target's origin; redirects are not followed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

use super::exchange::{self, lock, Exchange, Shared, Sink};
use super::resume::{auth_headers, session_headers, Resumer};
use super::{Incoming, Limits, TransportError};

/// One HTTP request a case asks for; unset parts get the transport's defaults.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub method: String,
    /// Headers to set (replacing a default of the same name, case-insensitively).
    pub headers: Vec<(String, String)>,
    /// Lowercase names of default headers to leave out.
    pub omit: Vec<String>,
    pub body: Option<String>,
    /// Another path (with an optional `?query`) on the endpoint's origin, e.g. a
    /// `/.well-known/…` document; `None` is the endpoint itself.
    pub path: Option<String>,
}

impl HttpRequest {
    /// The method (`default` when the case named none) for the wire and for reqwest.
    pub fn verb(&self, default: &str) -> Result<(String, reqwest::Method), TransportError> {
        let method = if self.method.is_empty() {
            default.to_string()
        } else {
            self.method.to_ascii_uppercase()
        };
        let verb = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| TransportError::Unreachable(format!("bad HTTP method `{method}`: {e}")))?;
        Ok((method, verb))
    }

    /// The transport's `defaults` less the omitted ones, then the case's own headers
    /// (lowercase names; a case's header replaces a default of the same name).
    pub fn headers_over(&self, defaults: Vec<(String, String)>) -> BTreeMap<String, String> {
        let mut headers = BTreeMap::new();
        for (k, v) in defaults {
            if !self.omit.iter().any(|o| omits(o, &k)) {
                headers.insert(k, v);
            }
        }
        for (k, v) in &self.headers {
            headers.insert(k.to_ascii_lowercase(), v.clone());
        }
        headers
    }

    /// Where the request goes: `endpoint`, or the case's `path` on its origin.
    pub fn url_on(&self, endpoint: &url::Url) -> Result<url::Url, TransportError> {
        match &self.path {
            Some(p) => same_origin(endpoint, p),
            None => Ok(endpoint.clone()),
        }
    }
}

/// The URL for `path` on `endpoint`'s origin. Only the path and query change, so the
/// request cannot leave the target's origin whatever the case (or a server) says.
pub fn same_origin(endpoint: &url::Url, path: &str) -> Result<url::Url, TransportError> {
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(TransportError::Unreachable(format!(
            "`{path}` is not an absolute path on the target's origin"
        )));
    }
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut u = endpoint.clone();
    u.set_path(p);
    u.set_query(q);
    u.set_fragment(None);
    Ok(u)
}

/// How long an idle connection is kept for the next request. Short, below the idle
/// timeouts servers commonly apply (Node.js closes idle connections after 5 s), so a
/// request seldom meets a connection the server is closing.
pub const POOL_IDLE: Duration = Duration::from_secs(2);

/// Builds the client an HTTP transport uses for all its requests (one per transport,
/// so its connections are reused: answers to a flood of server requests do not open
/// a connection each): no proxy (traffic goes straight to the target), no redirects
/// (they could lead to another origin; a 3xx is reported with its Location), bounded
/// connects, idle connections kept [`POOL_IDLE`] at most.
pub fn client() -> Result<reqwest::Client, TransportError> {
    // The ring provider is compiled in; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(exchange::MAX_IN_FLIGHT)
        .pool_idle_timeout(POOL_IDLE)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| TransportError::Unreachable(format!("cannot build the HTTP client: {e}")))
}

pub struct HttpTransport {
    client: reqwest::Client,
    endpoint: url::Url,
    sink: Sink,
    events: super::inbox::Receiver,
}

impl HttpTransport {
    /// `bearer`: an access token sent with every request (`--bearer`).
    pub fn new(
        endpoint: url::Url,
        limits: Limits,
        bearer: Option<String>,
    ) -> Result<HttpTransport, TransportError> {
        let (tx, rx) = super::inbox::default_channel();
        let client = client()?;
        let shared = exchange::new_shared(bearer);
        Ok(HttpTransport {
            sink: Sink {
                shared,
                tx,
                limits,
                legacy: false,
                resume: Some(Resumer {
                    client: client.clone(),
                    endpoint: endpoint.clone(),
                }),
                places: exchange::new_places(),
            },
            client,
            endpoint,
            events: rx,
        })
    }

    pub fn shared(&self) -> &Shared {
        &self.sink.shared
    }

    /// The revision every later request names in `MCP-Protocol-Version` (2026-07-28
    /// has no `initialize` for the transport to read it from).
    pub fn set_protocol_version(&mut self, revision: &str) {
        lock(&self.sink.shared).protocol_version = Some(revision.to_string());
    }

    /// 2026-07-28: remembers which `Mcp-Param-*` headers each listed tool asks for
    /// (`x-mcp-header` in its input schema), so that calls to it mirror those
    /// arguments ([`metadata_headers`]). `tools`: a `tools/list` result's `tools`.
    pub fn learn_param_headers(&mut self, tools: &[Value]) {
        let mut st = lock(&self.sink.shared);
        for tool in tools.iter().take(1000) {
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                continue;
            };
            let mut found = Vec::new();
            if let Some(schema) = tool.get("inputSchema") {
                annotated_properties(schema, &mut Vec::new(), &mut found);
            }
            if found.is_empty() {
                st.param_headers.remove(name);
            } else {
                st.param_headers.insert(name.to_string(), found);
            }
        }
    }

    /// The headers a conforming client sends with `method` at this point of the session.
    fn default_headers(&self, method: &str) -> Vec<(String, String)> {
        let mut h = Vec::new();
        match method {
            "POST" => {
                h.push((
                    "accept".into(),
                    "application/json, text/event-stream".to_string(),
                ));
                h.push(("content-type".into(), "application/json".to_string()));
            }
            "GET" => h.push(("accept".into(), "text/event-stream".to_string())),
            _ => {}
        }
        h.extend(session_headers(&lock(&self.sink.shared)));
        h
    }

    /// Starts a request; returns the exchange index and a receiver for its status.
    pub fn request(
        &mut self,
        req: &HttpRequest,
    ) -> Result<(usize, oneshot::Receiver<Result<u16, String>>), TransportError> {
        self.request_with(req, None, None)
    }

    /// Like [`request`](Self::request), with the body sent as `body` (the same
    /// bytes as `req.body`) when given, in the `place` among the requests in flight
    /// the caller took (else the request waits for one).
    fn request_with(
        &mut self,
        req: &HttpRequest,
        body: Option<reqwest::Body>,
        place: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<(usize, oneshot::Receiver<Result<u16, String>>), TransportError> {
        let (method, verb) = req.verb("POST")?;
        let mut defaults = self.default_headers(&method);
        let modern = lock(&self.sink.shared)
            .protocol_version
            .as_deref()
            .is_some_and(crate::revision::is_modern);
        if modern && method == "POST" {
            if let Some(body) = &req.body {
                let params = lock(&self.sink.shared).param_headers.clone();
                for (k, v) in metadata_headers(body, &params) {
                    defaults.retain(|(d, _)| *d != k);
                    defaults.push((k, v));
                }
            }
        }
        let headers = req.headers_over(defaults);
        let url = req.url_on(&self.endpoint)?;
        let mut builder = self.client.request(verb, url.clone());
        for (k, v) in &headers {
            // Raw bytes, so a case can send a value outside visible ASCII (MOD-23).
            builder = match reqwest::header::HeaderValue::from_bytes(v.as_bytes()) {
                Ok(value) => builder.header(k.as_str(), value),
                Err(_) => builder.header(k.as_str(), v.as_str()),
            };
        }
        let ids = req
            .body
            .as_deref()
            .map(exchange::request_ids)
            .unwrap_or_default();
        {
            let mut st = lock(&self.sink.shared);
            st.init_ids.extend(ids.initialize);
            st.cancelled.extend(ids.cancelled);
        }
        match (body, &req.body) {
            (Some(streamed), Some(b)) => {
                // A streamed body has no length of its own: say it, so that it is not
                // sent chunked.
                builder = builder
                    .header("content-length", b.len().to_string())
                    .body(streamed);
            }
            (_, Some(b)) => builder = builder.body(b.clone()),
            _ => {}
        }
        let record = Exchange {
            method,
            url: url.to_string(),
            request_headers: headers,
            request_ids: ids.requests,
            answers_inline: req.path.is_none(),
            document: req.path.is_some(),
            ..Exchange::default()
        };
        Ok(exchange::start(builder, record, &self.sink, place))
    }

    /// Sends one JSON-RPC message as a POST and returns once it is written: when the
    /// response head arrives, or at most `SETTLE` after the client has handed the whole
    /// body to the connection (a server may hold a JSON answer's head until a slow
    /// request is done, and that must not delay the next step), and never later than
    /// the write timeout. The rest of the answer is read in the background.
    /// With [`exchange::MAX_IN_FLIGHT`] requests still open, it first waits (at most
    /// the write timeout) for one of them to end, and fails as stalled.
    pub async fn send(&mut self, text: &str) -> Result<(), TransportError> {
        const SETTLE: Duration = Duration::from_millis(50);
        let place = exchange::take_place(&self.sink)
            .await
            .map_err(TransportError::Stalled)?;
        let (body, written) = signalled_body(text.to_string());
        let (_, mut head) = self.request_with(
            &HttpRequest {
                method: "POST".into(),
                body: Some(text.to_string()),
                ..HttpRequest::default()
            },
            Some(body),
            Some(place),
        )?;
        let wait = async {
            tokio::select! {
                h = &mut head => Some(h),
                _ = written => tokio::time::timeout(SETTLE, &mut head).await.ok(),
            }
        };
        match tokio::time::timeout(self.sink.limits.write_timeout, wait).await {
            Ok(Some(Ok(Err(e)))) => Err(TransportError::Unreachable(e)),
            _ => Ok(()),
        }
    }

    /// Opens the standalone GET stream, as a client that wants the server's own
    /// requests and notifications does. The transport follows it when the server
    /// closes its connection. Returns the exchange and a receiver for its status.
    pub fn listen(
        &mut self,
    ) -> Result<(usize, oneshot::Receiver<Result<u16, String>>), TransportError> {
        let (index, head) = self.request(&HttpRequest {
            method: "GET".into(),
            ..HttpRequest::default()
        })?;
        if let Some(x) = lock(&self.sink.shared).exchanges.get_mut(index) {
            x.follow = true;
        }
        Ok((index, head))
    }

    pub async fn recv(&mut self, wait: Duration) -> Option<Incoming> {
        tokio::time::timeout(wait, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    /// Breaks the SSE stream that carries request `id`, as a network failure would:
    /// every connection still open for it is cut (the POST's, or a GET that follows
    /// it). Returns the id of the last event delivered for it, from the newest
    /// connection that delivered one.
    pub fn break_stream(&mut self, id: &Value) -> Result<Option<String>, String> {
        let mut st = lock(&self.sink.shared);
        st.manual.push(id.clone());
        let mut found = false;
        let mut last = None;
        for x in st.exchanges.iter_mut() {
            if !x.request_ids.contains(id) {
                continue;
            }
            found = true;
            if !x.complete {
                if let Some(a) = x.abort.take() {
                    a.abort();
                }
                x.place = None;
                x.broken = true;
                x.complete = true;
            }
            if x.last_event_id.is_some() {
                last = x.last_event_id.clone();
            }
        }
        if !found {
            return Err(format!("no HTTP request carried request {id}"));
        }
        Ok(last)
    }

    /// The newest stream opened with a GET carrying `Last-Event-ID`, marked as
    /// carrying the requests of the stream it resumes (so it can be broken again).
    pub fn adopt_requests(&mut self, index: usize, last_event_id: &str) {
        let mut st = lock(&self.sink.shared);
        let ids: Vec<Value> = st
            .exchanges
            .iter()
            .find(|x| {
                x.events
                    .iter()
                    .any(|e| e.id.as_deref() == Some(last_event_id))
            })
            .map(|x| x.request_ids.clone())
            .unwrap_or_default();
        if let Some(x) = st.exchanges.get_mut(index) {
            x.request_ids.extend(ids);
        }
    }

    /// One line per exchange, kept as the case's diagnostics.
    pub fn diagnostics(&self) -> String {
        describe_exchanges(&self.sink.shared)
    }

    /// Stops every stream and, when a session is open, ends it with DELETE
    /// (a client that no longer needs a session should say so).
    pub async fn shutdown(&mut self) {
        let sid = {
            let mut st = lock(&self.sink.shared);
            for x in st.exchanges.iter_mut() {
                if let Some(a) = x.abort.take() {
                    a.abort();
                }
            }
            st.session_id.take()
        };
        if let Some(sid) = sid {
            let mut req = self
                .client
                .delete(self.endpoint.clone())
                .header("mcp-session-id", sid);
            for (k, v) in auth_headers(&lock(&self.sink.shared)) {
                req = req.header(k, v);
            }
            let req = req.send();
            let _ = tokio::time::timeout(Duration::from_secs(2), req).await;
        }
    }
}

impl Drop for HttpTransport {
    fn drop(&mut self) {
        for x in lock(&self.sink.shared).exchanges.iter_mut() {
            if let Some(a) = x.abort.take() {
                a.abort();
            }
        }
    }
}

/// A body of `text` and a receiver that fires once the HTTP client has taken all of
/// it: the end of the body is asked for only after its bytes went to the connection.
fn signalled_body(text: String) -> (reqwest::Body, oneshot::Receiver<()>) {
    use futures_util::StreamExt as _;
    let (tx, rx) = oneshot::channel();
    let mut tx = Some(tx);
    let data = futures_util::stream::iter([Ok::<String, std::io::Error>(text)]);
    let end = futures_util::stream::poll_fn(move |_| {
        if let Some(t) = tx.take() {
            let _ = t.send(());
        }
        std::task::Poll::<Option<Result<String, std::io::Error>>>::Ready(None)
    });
    (reqwest::Body::wrap_stream(data.chain(end)), rx)
}

/// Properties carrying `x-mcp-header`, reachable from the schema root through
/// `properties` keys only (the only placement the 2026-07-28 rules allow); depth-capped.
fn annotated_properties(
    schema: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(String, Vec<String>)>,
) {
    if path.len() > 8 || out.len() > 64 {
        return;
    }
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (key, sub) in props {
        path.push(key.clone());
        if let Some(h) = sub.get("x-mcp-header").and_then(Value::as_str) {
            out.push((h.to_string(), path.clone()));
        }
        annotated_properties(sub, path, out);
        path.pop();
    }
}

/// The 2026-07-28 request metadata headers a POST of `body` carries: `Mcp-Method`,
/// `Mcp-Name` (for `tools/call`, `resources/read`, `prompts/get`) and
/// `MCP-Protocol-Version` as the body's `_meta` states it. Values that are not plain
/// header text are sent in the Base64 sentinel form.
pub fn metadata_headers(
    body: &str,
    param_headers: &BTreeMap<String, Vec<(String, Vec<String>)>>,
) -> Vec<(String, String)> {
    // Member by member: a body nested deeper than serde_json's recursion limit (the
    // fuzzer sends such arguments) must still get the headers its method and name call for.
    let msg = exchange::shallow_parse(body);
    let mut h = Vec::new();
    let Some(method) = msg.get("method").and_then(Value::as_str) else {
        return h;
    };
    h.push(("mcp-method".to_string(), header_value(method)));
    let name = match method {
        "tools/call" | "prompts/get" => msg.pointer("/params/name"),
        "resources/read" => msg.pointer("/params/uri"),
        _ => None,
    };
    if let Some(name) = name.and_then(Value::as_str) {
        h.push(("mcp-name".to_string(), header_value(name)));
        if method == "tools/call" {
            let args = msg.pointer("/params/arguments");
            for (header, path) in param_headers.get(name).into_iter().flatten() {
                let value = args
                    .and_then(|a| path.iter().try_fold(a, |v, key| v.get(key)))
                    .and_then(|v| match v {
                        Value::String(s) => Some(header_value(s)),
                        Value::Bool(b) => Some(b.to_string()),
                        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
                        _ => None, // null or absent: no header (numbers are not allowed)
                    });
                if let Some(v) = value {
                    h.push((format!("mcp-param-{}", header.to_ascii_lowercase()), v));
                }
            }
        }
    }
    let version = msg
        .get("params")
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(crate::revision::META_PROTOCOL_VERSION))
        .and_then(Value::as_str);
    if let Some(v) = version {
        h.push(("mcp-protocol-version".to_string(), header_value(v)));
    }
    h
}

/// A value as a header carries it: verbatim when it is visible ASCII (spaces only
/// inside), else `=?base64?…?=` of its UTF-8 bytes (also when it looks like one).
pub fn header_value(v: &str) -> String {
    let printable = v.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let padded = v.starts_with(' ') || v.ends_with(' ');
    let sentinel_like = v.starts_with("=?base64?") && v.ends_with("?=");
    if printable && !padded && !sentinel_like {
        v.to_string()
    } else {
        format!("=?base64?{}?=", base64(v.as_bytes()))
    }
}

/// Whether an `omit_headers` entry names header `name`: equal ignoring case, or a
/// prefix followed by `*` (`mcp-param-*`).
fn omits(entry: &str, name: &str) -> bool {
    match entry.strip_suffix('*') {
        Some(prefix) => name
            .to_ascii_lowercase()
            .starts_with(&prefix.to_ascii_lowercase()),
        None => entry.eq_ignore_ascii_case(name),
    }
}

/// Standard Base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn describe_exchanges(shared: &Shared) -> String {
    let st = lock(shared);
    let mut out = String::new();
    for (i, x) in st.exchanges.iter().enumerate() {
        let status = x
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into());
        let ctype = x.headers.get("content-type").cloned().unwrap_or_default();
        out.push_str(&format!(
            "#{i} {} {} → {status} {ctype}{}{}\n",
            x.method,
            x.url,
            match (x.events.len(), x.events_dropped) {
                (0, 0) => String::new(),
                (n, 0) => format!(" ({n} SSE events)"),
                (n, d) => format!(" ({} SSE events, {d} not kept)", n + d),
            },
            match &x.error {
                Some(e) => format!(" [{e}]"),
                None if x.broken => " [broken by the harness]".to_string(),
                None if !x.complete => " [open]".to_string(),
                None => String::new(),
            }
        ));
    }
    out
}

#[cfg(test)]
mod same_origin_tests {
    use super::*;

    #[test]
    fn a_case_path_never_leaves_the_target_origin() {
        let base = url::Url::parse("http://127.0.0.1:9/mcp").expect("url");
        let ok = same_origin(&base, "/.well-known/oauth-protected-resource/mcp?x=1").expect("ok");
        assert_eq!(
            ok.as_str(),
            "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp?x=1"
        );
        for bad in [
            "//evil.example/x",
            "http://evil.example/x",
            "evil",
            "",
            "${unset}",
        ] {
            assert!(same_origin(&base, bad).is_err(), "{bad} must be refused");
        }
        // Whatever the path holds, the origin stays.
        let odd = same_origin(&base, "/@evil.example/../x").expect("a path");
        assert_eq!(odd.origin(), base.origin());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_sentinel_as_in_the_spec() {
        assert_eq!(header_value("us-west1"), "us-west1");
        assert_eq!(
            header_value("Hello, 世界"),
            "=?base64?SGVsbG8sIOS4lueVjA==?="
        );
        assert_eq!(header_value(" padded "), "=?base64?IHBhZGRlZCA=?=");
        assert_eq!(header_value("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
        assert_eq!(
            header_value("=?base64?literal?="),
            "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="
        );
    }

    #[test]
    fn metadata_headers_survive_arguments_nested_too_deep_to_parse() {
        let deep = format!("{}0{}", "[".repeat(300), "]".repeat(300));
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"add","arguments":{deep},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}}}}"#
        );
        assert!(
            serde_json::from_str::<Value>(&body).is_err(),
            "deeper than serde_json parses"
        );
        let h = metadata_headers(&body, &BTreeMap::new());
        assert!(h.contains(&("mcp-method".into(), "tools/call".into())));
        assert!(h.contains(&("mcp-name".into(), "add".into())));
        assert!(h.contains(&("mcp-protocol-version".into(), "2026-07-28".into())));
    }

    #[test]
    fn metadata_headers_follow_the_body() {
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        let h = metadata_headers(body, &BTreeMap::new());
        assert!(h.contains(&("mcp-method".into(), "tools/call".into())));
        assert!(h.contains(&("mcp-name".into(), "echo".into())));
        assert!(h.contains(&("mcp-protocol-version".into(), "2026-07-28".into())));
        let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert_eq!(metadata_headers(list, &BTreeMap::new()).len(), 1);
        let mut params = BTreeMap::new();
        params.insert(
            "echo".to_string(),
            vec![("Text".to_string(), vec!["text".to_string()])],
        );
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"Hello, 世界"}}}"#;
        let h = metadata_headers(call, &params);
        assert!(h.contains(&(
            "mcp-param-text".into(),
            "=?base64?SGVsbG8sIOS4lueVjA==?=".into()
        )));
        let none = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":null}}}"#;
        assert!(!metadata_headers(none, &params)
            .iter()
            .any(|(k, _)| k == "mcp-param-text"));
    }
}
