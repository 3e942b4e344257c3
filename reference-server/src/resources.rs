//! The resources feature: list, templates, read, subscribe/unsubscribe.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::core::Session;
use crate::faults::Fault;
use crate::jsonrpc::{self, RpcError};
use crate::pagination::paginate_for;
use crate::variants::Variant;
use crate::version::Revision;

/// The one resource template.
pub const ITEM_TEMPLATE: &str = "ref://items/{id}";
const ITEM_PREFIX: &str = "ref://items/";
/// The resource present only while `toggle_extra` has enabled it.
pub const EXTRA_URI: &str = "ref://text/extra";

enum Body {
    Text(String),
    Blob(Vec<u8>),
}

struct ResourceDef {
    uri: &'static str,
    name: &'static str,
    title: &'static str,
    description: &'static str,
    mime_type: &'static str,
    body: Body,
}

fn long_text() -> String {
    (1..=80)
        .map(|i| format!("Line {i:02}: the quick brown fox jumps over the lazy dog.\n"))
        .collect()
}

fn catalog(extra: bool) -> Vec<ResourceDef> {
    let mut list = vec![
        ResourceDef {
            uri: "ref://text/hello",
            name: "hello",
            title: "Hello",
            description: "A short plain-text greeting.",
            mime_type: "text/plain",
            body: Body::Text("Hello, MCP".into()),
        },
        ResourceDef {
            uri: "ref://text/readme",
            name: "readme",
            title: "Read me",
            description: "A small Markdown document.",
            mime_type: "text/markdown",
            body: Body::Text(
                "# mcp-reference-server\n\nThe known-good server of the mcp-conform suite.\n"
                    .into(),
            ),
        },
        ResourceDef {
            uri: "ref://blob/bytes",
            name: "bytes",
            title: "Bytes",
            description: "All 256 byte values, as a base64 blob.",
            mime_type: "application/octet-stream",
            body: Body::Blob((0..=255u8).collect()),
        },
        ResourceDef {
            uri: "ref://json/config",
            name: "config",
            title: "Configuration",
            description: "A small JSON document.",
            mime_type: "application/json",
            body: Body::Text(
                r#"{"name":"mcp-reference-server","debug":false,"limits":{"pageSize":3}}"#.into(),
            ),
        },
        ResourceDef {
            uri: "ref://text/long",
            name: "long",
            title: "Long text",
            description: "A few kilobytes of text.",
            mime_type: "text/plain",
            body: Body::Text(long_text()),
        },
        ResourceDef {
            uri: "ref://text/unicode",
            name: "unicode",
            title: "Unicode text",
            description: "Text with characters outside Latin-1.",
            mime_type: "text/plain",
            body: Body::Text("Grüße aus Köln — 你好, MCP ✓".into()),
        },
    ];
    if extra {
        list.push(ResourceDef {
            uri: EXTRA_URI,
            name: "extra",
            title: "Extra",
            description: "Present only while toggle_extra has enabled it.",
            mime_type: "text/plain",
            body: Body::Text("extra resource".into()),
        });
    }
    list
}

fn resource_json(def: &ResourceDef, rev: Revision, session: &Session) -> Value {
    let faults = session.faults();
    let mut m = Map::new();
    m.insert("uri".into(), json!(def.uri));
    if !faults.has(Fault::ResourceNoName) {
        m.insert("name".into(), json!(def.name));
    }
    if rev.has_2025_06_features() {
        m.insert("title".into(), json!(def.title));
    }
    m.insert("description".into(), json!(def.description));
    if !session.config.variants.has(Variant::ResourcesNoMime) {
        m.insert("mimeType".into(), json!(mime(def.mime_type, session)));
    }
    if def.uri == "ref://text/readme" {
        let priority = if faults.has(Fault::ResourcePriorityOutOfRange) {
            json!(2)
        } else {
            json!(0.8)
        };
        m.insert(
            "annotations".into(),
            json!({"audience": ["user", "assistant"], "priority": priority}),
        );
    }
    Value::Object(m)
}

fn mime(real: &str, session: &Session) -> String {
    if session.faults().has(Fault::ResourceBadMime) {
        "plain".into()
    } else {
        real.into()
    }
}

/// `resources/list`.
pub fn list(session: &Arc<Session>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let rev = session.revision();
    let extra = session.extra_resource_and_prompt();
    let mut items: Vec<Value> = catalog(extra)
        .iter()
        .map(|r| resource_json(r, rev, session))
        .collect();
    if let Some(root) = &session.config.root {
        items.extend(crate::files::resources(root));
    }
    if session.faults().has(Fault::ResourceUriNoScheme) {
        if let Some(first) = items.first_mut() {
            first["uri"] = json!("hello resource");
        }
    }
    paginate_for(session, "resources", items, params)
}

/// `resources/templates/list`.
pub fn list_templates(
    session: &Arc<Session>,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let mut t = Map::new();
    let template = if session.faults().has(Fault::TemplateUnbalanced) {
        "ref://items/{id"
    } else {
        ITEM_TEMPLATE
    };
    t.insert("uriTemplate".into(), json!(template));
    t.insert("name".into(), json!("item"));
    if session.revision().has_2025_06_features() {
        t.insert("title".into(), json!("Item"));
    }
    t.insert(
        "description".into(),
        json!("An item by id; reads as \"item <id>\"."),
    );
    if !session.config.variants.has(Variant::ResourcesNoMime) {
        t.insert("mimeType".into(), json!("text/plain"));
    }
    let mut templates = vec![Value::Object(t)];
    if let Some(root) = &session.config.root {
        templates.push(crate::files::template(root));
    }
    paginate_for(session, "resourceTemplates", templates, params)
}

fn uri_param(params: &Map<String, Value>) -> Result<&str, RpcError> {
    params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("Invalid params: a string \"uri\" is required"))
}

fn not_found(uri: &str) -> RpcError {
    RpcError::new(jsonrpc::RESOURCE_NOT_FOUND, "Resource not found").with_data(json!({"uri": uri}))
}

fn item_id(uri: &str) -> Option<&str> {
    uri.strip_prefix(ITEM_PREFIX).filter(|id| !id.is_empty())
}

/// The contents of a readable uri, or `None` if unknown.
pub fn contents(uri: &str, extra: bool) -> Option<Value> {
    if let Some(id) = item_id(uri) {
        return Some(json!({"uri": uri, "mimeType": "text/plain", "text": format!("item {id}")}));
    }
    let defs = catalog(extra);
    let def = defs.iter().find(|d| d.uri == uri)?;
    Some(match &def.body {
        Body::Text(text) => json!({"uri": uri, "mimeType": def.mime_type, "text": text}),
        Body::Blob(bytes) => {
            json!({"uri": uri, "mimeType": def.mime_type, "blob": base64(bytes)})
        }
    })
}

/// `resources/read`.
pub fn read(session: &Arc<Session>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let uri = uri_param(params)?;
    if let Some(root) = &session.config.root {
        if let Some(answer) = crate::files::read(session, root, uri) {
            return answer;
        }
    }
    if session.config.variants.has(Variant::ResourceReadRefused) {
        match uri {
            "ref://text/long" => return Ok(json!({"contents": []})),
            "ref://json/config" => return Err(not_found(uri)),
            _ => {}
        }
    }
    let extra = session.extra_resource_and_prompt();
    let faults = session.faults();
    let Some(mut c) = contents(uri, extra) else {
        if faults.has(Fault::ResourceNotFoundEmpty) {
            return Ok(json!({"contents": []}));
        }
        return Err(not_found(uri));
    };
    if faults.has(Fault::ResourceBlobNotBase64) && c.get("blob").is_some() {
        c["blob"] = json!("%% not base64 %%");
    }
    if let Some(m) = c
        .get("mimeType")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        c["mimeType"] = json!(mime(&m, session));
    }
    if session.config.variants.has(Variant::ResourcesNoMime) {
        if let Some(o) = c.as_object_mut() {
            o.remove("mimeType");
        }
    }
    Ok(json!({"contents": [c]}))
}

/// `resources/subscribe` (`on`) and `resources/unsubscribe`.
pub fn subscribe(
    session: &Arc<Session>,
    params: &Map<String, Value>,
    on: bool,
) -> Result<Value, RpcError> {
    let uri = uri_param(params)?;
    if session.faults().has(Fault::SubscribeUnsupported) {
        return Err(RpcError::method_not_found(if on {
            "resources/subscribe"
        } else {
            "resources/unsubscribe"
        }));
    }
    let extra = session.extra_resource_and_prompt();
    let mut st = session.state();
    if contents(uri, extra).is_none() {
        return Err(not_found(uri));
    }
    if on {
        st.subscriptions.insert(uri.to_string());
    } else {
        st.subscriptions.remove(uri);
    }
    Ok(json!({}))
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn contents_of_known_item_and_unknown_uris() {
        assert_eq!(
            contents("ref://text/hello", false).expect("known")["text"],
            "Hello, MCP"
        );
        assert!(contents("ref://blob/bytes", false).expect("known")["blob"].is_string());
        assert_eq!(
            contents("ref://items/42", false).expect("item")["text"],
            "item 42"
        );
        assert!(contents("ref://items/", false).is_none());
        assert!(contents("ref://nope", false).is_none());
        assert!(contents(EXTRA_URI, false).is_none());
        assert!(contents(EXTRA_URI, true).is_some());
        assert!(catalog(false).len() >= 5);
    }
}
