//! Trying a candidate on a fresh session: a hint is kept only when the behaviour it
//! promises shows. Tools annotated destructive or open-world are never called. Every
//! wait is bounded: requests by the run's `--timeout`, notification windows by
//! [`WINDOW`].

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::inventory::{self, list_all};
use super::pick::Candidate;
use crate::case::MessageKind;
use crate::client::handshake::Stage;
use crate::client::request_meta::RequestMeta;
use crate::client::session::Session;
use crate::client::{Connection, RunConfig};
use crate::revision::is_modern;

/// How long notifications caused by a call are waited for after its answer.
const WINDOW: Duration = Duration::from_millis(600);
/// How long a `long_running` call must take.
pub const LONG_ENOUGH: Duration = Duration::from_millis(300);
/// The progress token of the verification calls.
const TOKEN: &str = "mcp-conform-suggest";

/// What trying a candidate showed.
#[derive(Debug, Clone)]
pub enum Tried {
    /// The behaviour showed; what was seen, and the hint value to write (perhaps
    /// refined: `list_changed`'s `lists`).
    Shown(String, Value),
    /// It did not show (or the call failed): why.
    NotShown(String),
}

/// The client capabilities of the verification sessions: roots, sampling and
/// elicitation, so that a tool asking for any of them can run.
pub fn client_capabilities() -> Value {
    json!({"roots": {}, "sampling": {}, "elicitation": {}})
}

/// Tries `cand` on a fresh server at `revision`.
pub async fn verify(cfg: &RunConfig, revision: &str, cand: &Candidate) -> Tried {
    if let Some(why) = cand.tool.not_callable() {
        return Tried::NotShown(format!("not called: {why}"));
    }
    if cand.hint == "server_request" && is_modern(revision) {
        return Tried::NotShown(format!("not tried: at {revision} servers send no requests"));
    }
    if cand.hint == "resource_updated" && is_modern(revision) {
        return Tried::NotShown(format!(
            "not tried: at {revision} there is no resources/subscribe"
        ));
    }
    let mut conn = Connection::new(cfg, revision, client_capabilities(), Stage::Described);
    if let Err(e) = conn.start().await {
        return Tried::NotShown(format!("could not start a session: {e}"));
    }
    let tried = match conn.session() {
        Some(session) => {
            let mut s = Trial {
                session,
                serial: 0,
                wait: cfg.timeout,
            };
            match cand.hint {
                "log_message" => s.log_message(&cand.value).await,
                "progress" => s.progress(&cand.value).await,
                "long_running" => s.long_running(&cand.value).await,
                "list_changed" => s.list_changed(&cand.value, &cand.lists).await,
                "resource_updated" => s.resource_updated(&cand.value).await,
                "server_request" => s.server_request(&cand.value).await,
                other => Tried::NotShown(format!("no way to verify `{other}`")),
            }
        }
        None => Tried::NotShown("the session ended after the handshake".into()),
    };
    conn.stop().await;
    tried
}

/// One verification session.
struct Trial<'s> {
    session: &'s mut Session,
    serial: u64,
    wait: Duration,
}

impl Trial<'_> {
    fn next_id(&mut self) -> Value {
        self.serial += 1;
        json!(format!("mcp-conform-suggest-try-{}", self.serial))
    }

    /// Calls the hint's tool (with a progress token when asked); the result, or why
    /// the call failed.
    async fn call(&mut self, hint: &Value, token: bool) -> Result<Value, String> {
        let mut params = json!({
            "name": hint.get("tool").cloned().unwrap_or(Value::Null),
            "arguments": hint.get("arguments").cloned().unwrap_or(json!({})),
        });
        if token {
            params["_meta"] = json!({"progressToken": TOKEN});
        }
        let id = self.next_id();
        let resp = self
            .session
            .request(id, "tools/call", params, self.wait)
            .await?;
        match (resp.get("result"), resp.get("error")) {
            (Some(r), _) if r.get("isError") == Some(&json!(true)) => Err(format!(
                "the call returned a tool error: {}",
                inventory::clip(&r.to_string())
            )),
            (Some(r), _) => Ok(r.clone()),
            (_, Some(e)) => Err(format!(
                "the call was refused: {}",
                inventory::clip(&e.to_string())
            )),
            _ => Err("the call got a malformed answer".into()),
        }
    }

    /// Notifications named `method` that arrived (queued) or arrive within [`WINDOW`]
    /// and satisfy `wanted`; ends at the first.
    async fn notified(
        &mut self,
        method: &str,
        wanted: impl Fn(&Value) -> bool + Send + Sync,
    ) -> Vec<Value> {
        let is = |m: &Value| m.get("method").and_then(Value::as_str) == Some(method) && wanted(m);
        let found = self
            .session
            .collect_until(
                MessageKind::Notification,
                Instant::now() + WINDOW,
                false,
                &|ms: &[Value]| ms.iter().any(is),
            )
            .await;
        found.into_iter().filter(|m| is(m)).collect()
    }

    async fn log_message(&mut self, hint: &Value) -> Tried {
        if let Some(meta) = self.session.request_meta().cloned() {
            // 2026-07-28: the level travels in every request's `_meta`.
            self.session.set_request_meta(RequestMeta {
                log_level: Some("debug".into()),
                ..meta
            });
        } else {
            let id = self.next_id();
            // A server without logging/setLevel may still log; its answer is not judged.
            let _ = self
                .session
                .request(id, "logging/setLevel", json!({"level": "debug"}), self.wait)
                .await;
        }
        if let Err(e) = self.call(hint, false).await {
            return Tried::NotShown(e);
        }
        match self
            .notified("notifications/message", |_| true)
            .await
            .first()
        {
            Some(m) => Tried::Shown(
                format!(
                    "at log level debug the call sent notifications/message (level {})",
                    m.pointer("/params/level").unwrap_or(&Value::Null)
                ),
                hint.clone(),
            ),
            None => {
                Tried::NotShown("the call sent no notifications/message at log level debug".into())
            }
        }
    }

    async fn progress(&mut self, hint: &Value) -> Tried {
        if let Err(e) = self.call(hint, true).await {
            return Tried::NotShown(e);
        }
        let ours = |m: &Value| m.pointer("/params/progressToken") == Some(&json!(TOKEN));
        let n = self.notified("notifications/progress", ours).await.len();
        if n > 0 {
            Tried::Shown(
                "given a progressToken, the call sent notifications/progress".into(),
                hint.clone(),
            )
        } else {
            Tried::NotShown("given a progressToken, the call sent no notifications/progress".into())
        }
    }

    async fn long_running(&mut self, hint: &Value) -> Tried {
        let started = Instant::now();
        if let Err(e) = self.call(hint, true).await {
            return Tried::NotShown(e);
        }
        let took = started.elapsed();
        if took < LONG_ENOUGH {
            return Tried::NotShown(format!(
                "the call took {} ms, under {} ms",
                took.as_millis(),
                LONG_ENOUGH.as_millis()
            ));
        }
        let ours = |m: &Value| m.pointer("/params/progressToken") == Some(&json!(TOKEN));
        let progress = if self
            .notified("notifications/progress", ours)
            .await
            .is_empty()
        {
            "; it sent no progress (the resumption cases need some)"
        } else {
            " and reported progress"
        };
        Tried::Shown(
            format!("the call took {} ms{progress}", took.as_millis()),
            hint.clone(),
        )
    }

    /// The names (or URIs) in one list, for comparing before and after a call.
    async fn names(&mut self, list: &str) -> Option<Vec<Value>> {
        let key = match list {
            "tools" => ("tools/list", "tools"),
            "resources" => ("resources/list", "resources"),
            _ => ("prompts/list", "prompts"),
        };
        let items = list_all(self.session, &mut self.serial, key, self.wait)
            .await
            .ok()?;
        let mut names: Vec<Value> = items
            .iter()
            .map(|i| {
                i.get("name")
                    .or_else(|| i.get("uri"))
                    .cloned()
                    .unwrap_or(Value::Null)
            })
            .collect();
        names.sort_by_key(Value::to_string);
        Some(names)
    }

    async fn list_changed(&mut self, hint: &Value, lists: &[&str]) -> Tried {
        let mut before = Vec::new();
        for l in lists {
            before.push(self.names(l).await);
        }
        let mut value = hint.clone();
        if let Err(e) = self.call(&value, false).await {
            return Tried::NotShown(e);
        }
        let notes = self
            .session
            .collect_until(
                MessageKind::Notification,
                Instant::now() + WINDOW,
                false,
                &|_: &[Value]| false,
            )
            .await;
        let mut changed = Vec::new();
        for (l, was) in lists.iter().zip(before) {
            let method = format!("notifications/{l}/list_changed");
            let notified = notes
                .iter()
                .any(|m| m.get("method").and_then(Value::as_str) == Some(method.as_str()));
            let differs = was.is_some() && self.names(l).await != was;
            if notified || differs {
                changed.push(*l);
            }
        }
        if changed.is_empty() {
            return Tried::NotShown(
                "the call changed no list and sent no list_changed notification".into(),
            );
        }
        value["lists"] = json!(changed);
        Tried::Shown(
            format!(
                "the call changed or announced a change of: {}",
                changed.join(", ")
            ),
            value,
        )
    }

    async fn resource_updated(&mut self, hint: &Value) -> Tried {
        let uri = hint.get("uri").cloned().unwrap_or(Value::Null);
        let id = self.next_id();
        match self
            .session
            .request(id, "resources/subscribe", json!({"uri": uri}), self.wait)
            .await
        {
            Ok(r) if r.get("result").is_some() => {}
            Ok(r) => {
                return Tried::NotShown(format!(
                    "resources/subscribe was refused: {}",
                    inventory::clip(&r.to_string())
                ))
            }
            Err(e) => return Tried::NotShown(e),
        }
        if let Err(e) = self.call(hint, false).await {
            return Tried::NotShown(e);
        }
        let same = |m: &Value| m.pointer("/params/uri") == Some(&uri);
        if self
            .notified("notifications/resources/updated", same)
            .await
            .is_empty()
        {
            Tried::NotShown(format!("after resources/subscribe {uri} the call sent no notifications/resources/updated for it"))
        } else {
            Tried::Shown(format!("after resources/subscribe the call sent notifications/resources/updated for {uri}"), hint.clone())
        }
    }

    async fn server_request(&mut self, hint: &Value) -> Tried {
        let method = hint
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Err(e) = self.call(hint, false).await {
            return Tried::NotShown(e);
        }
        let named = |m: &Value| m.get("method").and_then(Value::as_str) == Some(method.as_str());
        let found = self
            .session
            .collect_until(
                MessageKind::Request,
                Instant::now() + WINDOW,
                false,
                &|ms: &[Value]| ms.iter().any(named),
            )
            .await;
        if found.iter().any(named) {
            Tried::Shown(
                format!("the call made the server send `{method}`"),
                hint.clone(),
            )
        } else {
            Tried::NotShown(format!(
                "the call made the server send no `{method}` request"
            ))
        }
    }
}

/// The answer to one request on a fresh session with `cfg`'s token: the response, or
/// why there is none (over HTTP a refusal names its status).
async fn ask_once(
    cfg: &RunConfig,
    revision: &str,
    method: &str,
    params: &Value,
) -> Result<Value, String> {
    let mut conn = Connection::new(cfg, revision, client_capabilities(), Stage::Described);
    if let Err(e) = conn.start().await {
        return Err(format!("the handshake failed: {e}"));
    }
    let answer = match conn.session() {
        Some(s) => {
            let id = json!("mcp-conform-suggest-scope");
            s.request(id, method, params.clone(), cfg.timeout).await
        }
        None => Err("the session ended after the handshake".into()),
    };
    conn.stop().await;
    answer
}

/// `insufficient_scope`: the request succeeds with the `--bearer` token and is refused
/// with 403 with the `--scoped-bearer` one.
pub async fn scope(cfg: &RunConfig, revision: &str, hint: &Value) -> Tried {
    let Some(scoped) = cfg.http.as_ref().and_then(|h| h.scoped_bearer.clone()) else {
        return Tried::NotShown("not tried: no --scoped-bearer token".into());
    };
    let method = hint.get("method").and_then(Value::as_str).unwrap_or("");
    let params = hint.get("params").cloned().unwrap_or(json!({}));
    match ask_once(cfg, revision, method, &params).await {
        Ok(r) if r.get("result").is_some() => {}
        Ok(r) => {
            return Tried::NotShown(format!(
                "with the --bearer token: {}",
                inventory::clip(&r.to_string())
            ))
        }
        Err(e) => return Tried::NotShown(format!("with the --bearer token: {e}")),
    }
    let mut narrow = cfg.clone();
    if let Some(h) = narrow.http.as_mut() {
        h.bearer = Some(scoped);
    }
    match ask_once(&narrow, revision, method, &params).await {
        Err(why) if why.contains(" 403 ") => Tried::Shown(
            "answered with the --bearer token, refused with 403 with the --scoped-bearer token"
                .into(),
            hint.clone(),
        ),
        Err(why) => Tried::NotShown(format!(
            "with the --scoped-bearer token: {}",
            inventory::clip(&why)
        )),
        Ok(r) => Tried::NotShown(format!(
            "the --scoped-bearer token got an answer: {}",
            inventory::clip(&r.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::pick;
    use crate::transport::stdio::Launch;

    /// A destructive or open-world tool is refused before any server is started (the
    /// program does not exist, so starting one would say so instead).
    #[tokio::test]
    async fn destructive_and_open_world_tools_are_never_called() {
        let cfg = RunConfig::new(Launch {
            program: "/nonexistent/mcp-conform-test".into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
        });
        for annotation in ["destructiveHint", "openWorldHint"] {
            let inv = super::super::inventory::Inventory {
                tools: vec![inventory::Tool {
                    name: "log".into(),
                    text: "log".into(),
                    schema: json!({"type": "object"}),
                    annotations: json!({annotation: true}),
                }],
                capabilities: json!({"logging": {}}),
                ..Default::default()
            };
            let cand = pick::log_message(&inv).remove(0);
            match verify(&cfg, "2025-11-25", &cand).await {
                Tried::NotShown(why) => {
                    assert_eq!(why, format!("not called: annotated {annotation}: true"))
                }
                Tried::Shown(..) => panic!("{annotation}: shown"),
            }
        }
    }
}
