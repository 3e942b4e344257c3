//! What the server offers: its declared capabilities, tools, resources, resource
//! templates and prompts, read on one session (every page of each list).

use serde_json::{json, Value};

use crate::client::session::Session;
use crate::client::Connection;

/// Most pages read of one list (a server whose cursors never end stops here).
const MAX_PAGES: usize = 50;

/// One tool as listed, with what the heuristics read.
#[derive(Debug, Clone, Default)]
pub struct Tool {
    pub name: String,
    /// Name, title and description, lowercased: what words are looked for in.
    pub text: String,
    pub schema: Value,
    pub annotations: Value,
}

impl Tool {
    /// The tool as `tools/list` gives it; `None` without a string `name`.
    pub fn from_listed(t: &Value) -> Option<Tool> {
        let name = t.get("name")?.as_str()?.to_string();
        let field = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("");
        let text = format!("{name} {} {}", field("title"), field("description")).to_lowercase();
        Some(Tool {
            name,
            text,
            schema: t.get("inputSchema").cloned().unwrap_or(json!({})),
            annotations: t.get("annotations").cloned().unwrap_or(json!({})),
        })
    }

    /// Whether an annotation (`destructiveHint`, `openWorldHint`) is `true`.
    pub fn annotated(&self, hint: &str) -> bool {
        self.annotations.get(hint) == Some(&Value::Bool(true))
    }

    /// Why the harness must not call it, if so.
    pub fn not_callable(&self) -> Option<&'static str> {
        if self.annotated("destructiveHint") {
            Some("annotated destructiveHint: true")
        } else if self.annotated("openWorldHint") {
            Some("annotated openWorldHint: true")
        } else {
            None
        }
    }

    /// The names of the schema's properties.
    pub fn properties(&self) -> Vec<String> {
        self.schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Everything listed, and the capabilities the server declared.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub revision: String,
    pub capabilities: Value,
    pub tools: Vec<Tool>,
    /// Static resource URIs.
    pub resources: Vec<String>,
    pub templates: usize,
    pub prompts: usize,
    /// Lists that could not be read, and why.
    pub problems: Vec<String>,
}

impl Inventory {
    /// Whether the declared capability at a dotted path is present (and not `false`).
    pub fn declares(&self, path: &str) -> bool {
        let mut v = &self.capabilities;
        for part in path.split('.') {
            match v.get(part) {
                Some(next) => v = next,
                None => return false,
            }
        }
        v != &Value::Bool(false) && !v.is_null()
    }
}

/// Every item of a paginated list (`method`, items under `key`); an error stops it.
pub async fn list_all(
    session: &mut Session,
    serial: &mut u64,
    (method, key): (&str, &str),
    wait: std::time::Duration,
) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut cursor: Option<Value> = None;
    for _ in 0..MAX_PAGES {
        *serial += 1;
        let params = match &cursor {
            Some(c) => json!({"cursor": c}),
            None => json!({}),
        };
        let id = json!(format!("mcp-conform-suggest-{serial}"));
        let resp = session.request(id, method, params, wait).await?;
        let Some(result) = resp.get("result") else {
            return Err(format!("`{method}` answered {}", clip(&resp.to_string())));
        };
        if let Some(page) = result.get(key).and_then(Value::as_array) {
            items.extend(page.iter().cloned());
        }
        match result.get("nextCursor") {
            Some(next) if next.is_string() && Some(next) != cursor.as_ref() => {
                cursor = Some(next.clone());
            }
            _ => return Ok(items),
        }
    }
    Ok(items)
}

/// Reads the inventory on a started connection; `init` is its handshake result.
pub async fn read(conn: &mut Connection<'_>, init: Option<Value>) -> Inventory {
    let wait = conn.config().timeout;
    let mut inv = Inventory {
        revision: conn.revision().to_string(),
        capabilities: init
            .as_ref()
            .and_then(|r| r.get("capabilities"))
            .cloned()
            .unwrap_or(json!({})),
        ..Inventory::default()
    };
    let Some(session) = conn.session() else {
        inv.problems
            .push("the session ended after the handshake".into());
        return inv;
    };
    let mut serial = 0;
    let lists = [
        ("tools/list", "tools", "tools"),
        ("resources/list", "resources", "resources"),
        ("resources/templates/list", "resourceTemplates", "resources"),
        ("prompts/list", "prompts", "prompts"),
    ];
    for (method, key, cap) in lists {
        if !inv.declares(cap) {
            continue;
        }
        match list_all(session, &mut serial, (method, key), wait).await {
            Ok(items) => match key {
                "tools" => inv.tools = items.iter().filter_map(Tool::from_listed).collect(),
                "resources" => {
                    inv.resources = items
                        .iter()
                        .filter_map(|r| r.get("uri").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect();
                }
                "resourceTemplates" => inv.templates = items.len(),
                _ => inv.prompts = items.len(),
            },
            Err(e) => inv.problems.push(e),
        }
    }
    inv
}

/// Server text shown in a comment: one line, at most 120 characters, no control
/// characters.
pub fn clip(s: &str) -> String {
    let one: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect();
    if s.chars().count() > 120 {
        format!("{one}…")
    } else {
        one
    }
}
