//! The `derive` step: compute a value from another (an example instance of a JSON
//! Schema, the arguments a prompt needs, a parsed `WWW-Authenticate` challenge, the
//! `x-mcp-header` probes, …) into a variable.

use serde_json::{json, Map, Value};

use super::auth_vars as auth_probe;
use crate::case::{Derive, DeriveHow};
use crate::json_schema::example;

use super::{substitute, Ctx, Flow, StepResult};

mod header_probes;

pub(super) fn derive(d: &Derive, ctx: &mut Ctx<'_>) -> StepResult {
    let from = substitute(&d.from, &ctx.vars);
    let target = ctx.cfg.http.as_ref().map(|h| &h.url);
    let value = match d.how {
        DeriveHow::SchemaExample => example(&from, 0),
        DeriveHow::PromptArguments => prompt_arguments(&from),
        // An unset variable stays as its `${…}` text: no header.
        DeriveHow::AuthChallenge => auth_probe::parse_challenge(
            from.as_str().filter(|s| !s.starts_with("${")).unwrap_or(""),
            target,
        ),
        DeriveHow::IdVariation => auth_probe::id_variation(&from),
        DeriveHow::IssuerPaths => auth_probe::issuer_paths(from.as_str().unwrap_or(""), target),
        DeriveHow::HeaderArguments => header_probes::header_arguments(&from),
        DeriveHow::HeaderProbe => header_probes::header_probe(&from),
        DeriveHow::XMcpHeaders => header_probes::x_mcp_headers(&from),
    };
    ctx.vars.insert(d.into.clone(), value);
    Ok(Flow::Next)
}

/// `{name: "mcp-conform", …}` for every required entry of a prompt's `arguments`.
fn prompt_arguments(args: &Value) -> Value {
    let mut out = Map::new();
    for a in args.as_array().into_iter().flatten() {
        if a.get("required") == Some(&Value::Bool(true)) {
            if let Some(name) = a.get("name").and_then(Value::as_str) {
                out.insert(name.to_string(), json!("mcp-conform"));
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_arguments_fill_required_ones() {
        let args =
            json!([{"name": "a", "required": true}, {"name": "b"}, {"name": 3, "required": true}]);
        assert_eq!(prompt_arguments(&args), json!({"a": "mcp-conform"}));
        assert_eq!(prompt_arguments(&json!("x")), json!({}));
    }
}
