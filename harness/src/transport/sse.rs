//! The legacy HTTP+SSE transport (2024-11-05): a GET on the SSE URL opens the one
//! stream; its first event, `endpoint`, names the URL to POST messages to; answers
//! arrive on the stream as `message` events.
//!
//! An `endpoint` on another origin is never used: the harness only talks to the
//! origin the user named. No sentence of the 2024-11-05 transport requires the same
//! origin, so this is the harness's policy, not a finding: the case ends as `error`
//! naming the policy, and every send then fails. The one exception is the same
//! loopback socket by another name (`localhost` for `127.0.0.1`, same port): the POSTs
//! then go to the target's own origin, with the endpoint's path and query (see
//! `same_loopback_socket`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::exchange::{self, lock, origin_of, Exchange, Shared, Sink};
use super::http::{client, describe_exchanges, HttpRequest};
use super::resume::auth_headers;
use super::{Incoming, Limits, TransportError};

/// Most events held while waiting for `endpoint` (a server sends that one first).
const HELD_CAP: usize = 64;

pub struct SseTransport {
    client: reqwest::Client,
    sse_url: url::Url,
    sink: Sink,
    events: super::inbox::Receiver,
    /// Events read while waiting for `endpoint`, handed to the session later.
    held: VecDeque<Incoming>,
    post_url: Option<url::Url>,
    /// Why the endpoint cannot be used, once known.
    refused: Option<String>,
}

impl SseTransport {
    /// Opens the SSE stream at once (the GET runs in the background).
    /// `bearer`: an access token sent with the GET and every POST (`--bearer`).
    pub fn open(
        sse_url: url::Url,
        limits: Limits,
        bearer: Option<String>,
    ) -> Result<SseTransport, TransportError> {
        let (tx, rx) = super::inbox::default_channel();
        let c = client()?;
        let shared = exchange::new_shared(bearer);
        let sink = Sink {
            shared,
            tx,
            limits,
            legacy: true,
            resume: None,
            places: exchange::new_places(),
        };
        let mut builder = c.get(sse_url.clone()).header("accept", "text/event-stream");
        for (k, v) in auth_headers(&lock(&sink.shared)) {
            builder = builder.header(k, v);
        }
        let record = Exchange {
            method: "GET".into(),
            url: sse_url.to_string(),
            ..Exchange::default()
        };
        let _ = exchange::start(builder, record, &sink, None);
        Ok(SseTransport {
            client: c,
            sse_url,
            sink,
            events: rx,
            held: VecDeque::new(),
            post_url: None,
            refused: None,
        })
    }

    pub fn shared(&self) -> &Shared {
        &self.sink.shared
    }

    /// Takes an `endpoint` event: resolves it against the SSE URL and checks its origin.
    fn take_endpoint(&mut self, uri: &str) -> Option<Incoming> {
        if self.post_url.is_some() || self.refused.is_some() {
            return None;
        }
        match self.sse_url.join(uri.trim()) {
            Ok(u) if origin_of(&u) == origin_of(&self.sse_url) => {
                self.post_url = Some(u);
                None
            }
            Ok(u) if same_loopback_socket(&u, &self.sse_url) => {
                // `localhost` for the loopback address the target was named by (or the
                // other way round), same scheme and port: the same socket. The POST goes
                // to the target's own origin with the endpoint's path and query, so
                // nothing but the target is contacted and no name is resolved.
                let mut on_target = self.sse_url.clone();
                on_target.set_path(u.path());
                on_target.set_query(u.query());
                on_target.set_fragment(None);
                self.post_url = Some(on_target);
                None
            }
            Ok(u) => {
                let why = format!(
                    "harness policy: the harness sends only to the target's origin {}, and the endpoint event names {u}, on origin {} (the transport does not require the same origin)",
                    origin_of(&self.sse_url),
                    origin_of(&u)
                );
                self.refused = Some(why.clone());
                Some(Incoming::PolicyRefusal {
                    policy: why,
                    evidence: uri.chars().take(500).collect(),
                })
            }
            Err(e) => {
                let why = format!("the endpoint event's data is not a URI reference: {e}");
                self.refused = Some(why.clone());
                Some(super::violation(
                    "SSE-02",
                    why,
                    uri.chars().take(500).collect(),
                ))
            }
        }
    }

    /// Waits (bounded) for the `endpoint` event; other events are held for the session.
    async fn await_endpoint(&mut self) -> Result<url::Url, TransportError> {
        let deadline = Instant::now() + self.sink.limits.write_timeout;
        loop {
            if let Some(u) = &self.post_url {
                return Ok(u.clone());
            }
            if let Some(why) = &self.refused {
                return Err(TransportError::Unreachable(why.clone()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(TransportError::Unreachable(format!(
                    "no `endpoint` event on the SSE stream within {} ms",
                    self.sink.limits.write_timeout.as_millis()
                )));
            }
            match tokio::time::timeout(deadline - now, self.events.recv()).await {
                Ok(Some(Incoming::Endpoint { uri })) => {
                    if let Some(v) = self.take_endpoint(&uri) {
                        self.held.push_back(v);
                    }
                }
                Ok(Some(Incoming::StreamEnded { exchange, reason })) => {
                    let opened = lock(&self.sink.shared)
                        .exchanges
                        .get(exchange)
                        .is_some_and(Exchange::is_sse);
                    // A GET answered without a stream (a redirect, a 401) says why itself.
                    let why = if opened {
                        format!("the SSE stream ended before an `endpoint` event: {reason}")
                    } else {
                        reason
                    };
                    self.held.push_back(Incoming::Closed {
                        reason: why.clone(),
                    });
                    return Err(TransportError::Unreachable(why));
                }
                Ok(Some(other)) if self.held.len() < HELD_CAP => self.held.push_back(other),
                // Bounded: what a server floods before its `endpoint` is not kept.
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {}
            }
        }
    }

    /// Sends one message as a POST to the endpoint (waiting for the `endpoint` event
    /// first, and for a place among the requests in flight).
    pub async fn send(&mut self, text: &str) -> Result<(), TransportError> {
        let url = self.await_endpoint().await?;
        let place = exchange::take_place(&self.sink)
            .await
            .map_err(TransportError::Stalled)?;
        let mut builder = self
            .client
            .post(url.clone())
            .header("content-type", "application/json")
            .body(text.to_string());
        // The endpoint is on the target's origin (checked when it arrived).
        for (k, v) in auth_headers(&lock(&self.sink.shared)) {
            builder = builder.header(k, v);
        }
        let record = Exchange {
            method: "POST".into(),
            url: url.to_string(),
            request_ids: exchange::request_ids(text).requests,
            ..Exchange::default()
        };
        let (_, head) = exchange::start(builder, record, &self.sink, Some(place));
        match tokio::time::timeout(self.sink.limits.write_timeout, head).await {
            Ok(Ok(Err(e))) => Err(TransportError::Unreachable(e)),
            _ => Ok(()),
        }
    }

    pub async fn recv(&mut self, wait: Duration) -> Option<Incoming> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(ev) = self.held.pop_front() {
                return Some(ev);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            match tokio::time::timeout(deadline - now, self.events.recv()).await {
                Ok(Some(Incoming::Endpoint { uri })) => {
                    if let Some(v) = self.take_endpoint(&uri) {
                        return Some(v);
                    }
                }
                // The one stream ending means the connection is gone.
                Ok(Some(Incoming::StreamEnded {
                    exchange: 0,
                    reason,
                })) => return Some(Incoming::Closed { reason }),
                Ok(Some(ev)) => return Some(ev),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    pub fn diagnostics(&self) -> String {
        describe_exchanges(&self.sink.shared)
    }

    pub async fn shutdown(&mut self) {
        let mut st = lock(&self.sink.shared);
        for x in st.exchanges.iter_mut() {
            if let Some(a) = x.abort.take() {
                a.abort();
            }
        }
    }
}

impl SseTransport {
    /// A request of a case's own (a GET of the SSE endpoint with other headers, a
    /// metadata document): only its head and, for non-SSE answers, its body are kept;
    /// nothing in it is taken as a message of this session. GET when no method is given.
    pub fn request(
        &mut self,
        req: &HttpRequest,
    ) -> Result<(usize, oneshot::Receiver<Result<u16, String>>), TransportError> {
        let (method, verb) = req.verb("GET")?;
        let url = req.url_on(&self.sse_url)?;
        let mut defaults = auth_headers(&lock(&self.sink.shared));
        if method == "GET" {
            defaults.push(("accept".into(), "text/event-stream".into()));
        }
        let headers = req.headers_over(defaults);
        let mut builder = self.client.request(verb, url.clone());
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(b) = &req.body {
            builder = builder.body(b.clone());
        }
        let record = Exchange {
            method,
            url: url.to_string(),
            request_headers: headers,
            document: true,
            ..Exchange::default()
        };
        Ok(exchange::start(builder, record, &self.sink, None))
    }
}

/// Whether two URLs name the same loopback socket by different host names: the same
/// scheme and port, one host `localhost` and the other a loopback address (RFC 6761
/// §6.3: `localhost` names the loopback interface). Two different addresses
/// (`127.0.0.1` and `[::1]`, say) are not taken for the same socket.
pub fn same_loopback_socket(a: &url::Url, b: &url::Url) -> bool {
    use url::Host;
    fn is_localhost(h: &Host<&str>) -> bool {
        matches!(h, Host::Domain(d) if d.eq_ignore_ascii_case("localhost"))
    }
    fn is_loopback_ip(h: &Host<&str>) -> bool {
        match h {
            Host::Ipv4(ip) => ip.is_loopback(),
            Host::Ipv6(ip) => ip.is_loopback(),
            Host::Domain(_) => false,
        }
    }
    let (Some(ha), Some(hb)) = (a.host(), b.host()) else {
        return false;
    };
    a.scheme() == b.scheme()
        && a.port_or_known_default() == b.port_or_known_default()
        && ((is_localhost(&ha) && is_loopback_ip(&hb))
            || (is_loopback_ip(&ha) && is_localhost(&hb)))
}

impl Drop for SseTransport {
    fn drop(&mut self) {
        for x in lock(&self.sink.shared).exchanges.iter_mut() {
            if let Some(a) = x.abort.take() {
                a.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_loopback_socket;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).expect("test URL")
    }

    #[test]
    fn localhost_and_the_loopback_address_are_one_socket_on_the_same_port() {
        let target = url("http://127.0.0.1:8080/sse");
        assert!(same_loopback_socket(
            &url("http://localhost:8080/messages?a=1"),
            &target
        ));
        assert!(same_loopback_socket(
            &url("http://LOCALHOST:8080/m"),
            &target
        ));
        assert!(same_loopback_socket(
            &target,
            &url("http://localhost:8080/m")
        ));
        assert!(same_loopback_socket(
            &url("http://localhost:8080/m"),
            &url("http://[::1]:8080/sse")
        ));
        // Another port, scheme or host is another origin.
        assert!(!same_loopback_socket(
            &url("http://localhost:8081/m"),
            &target
        ));
        assert!(!same_loopback_socket(
            &url("https://localhost:8080/m"),
            &target
        ));
        assert!(!same_loopback_socket(
            &url("http://example.com:8080/m"),
            &target
        ));
        assert!(!same_loopback_socket(
            &url("http://localhost.example:8080/m"),
            &target
        ));
        assert!(!same_loopback_socket(&url("http://[::1]:8080/m"), &target));
        assert!(!same_loopback_socket(
            &url("http://localhost:8080/m"),
            &url("http://localhost:8080/sse")
        ));
    }
}
