//! The per-request metadata of the stateless revision (2026-07-28): what a client
//! puts into every request's `_meta` instead of an `initialize`.

use serde_json::{json, Value};

use crate::revision::{META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION};
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";

/// Who the harness says it is (`clientInfo` of `initialize`, or the `_meta` key).
pub fn client_info() -> Value {
    json!({"name": "mcp-conform", "version": env!("CARGO_PKG_VERSION")})
}

/// The per-request metadata a 2026-07-28 client puts into every request's `_meta`
/// (there is no `initialize`: the same session model, another way to say who we are).
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub protocol_version: String,
    pub client_capabilities: Value,
    /// `io.modelcontextprotocol/logLevel`, only when a case asks for log messages.
    pub log_level: Option<String>,
}

impl RequestMeta {
    /// Adds the fields a request lacks to its `params._meta`. Fields the message
    /// already has are kept, so a case can send them wrong on purpose; a field whose
    /// value is `{"$omit": true}` is removed, so a case can leave it out on purpose.
    /// Notifications, responses and non-objects pass unchanged.
    pub fn decorate(&self, msg: &Value) -> Value {
        let mut out = msg.clone();
        let is_request = out.get("method").is_some() && out.get("id").is_some();
        let Some(obj) = out.as_object_mut().filter(|_| is_request) else {
            return out;
        };
        let params = obj.entry("params").or_insert_with(|| json!({}));
        let Some(params) = params.as_object_mut() else {
            return out; // non-object params are the case's business
        };
        let meta = params.entry("_meta").or_insert_with(|| json!({}));
        let Some(meta) = meta.as_object_mut() else {
            return out;
        };
        let mut defaults = vec![
            (META_PROTOCOL_VERSION, json!(self.protocol_version)),
            (META_CLIENT_CAPABILITIES, self.client_capabilities.clone()),
            (META_CLIENT_INFO, client_info()),
        ];
        if let Some(level) = &self.log_level {
            defaults.push((META_LOG_LEVEL, json!(level)));
        }
        for (k, v) in defaults {
            meta.entry(k).or_insert(v);
        }
        meta.retain(|_, v| v != &json!({"$omit": true}));
        out
    }
}
