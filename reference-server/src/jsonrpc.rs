//! JSON-RPC 2.0 message validation and construction, transport-independent.

use serde_json::{json, Map, Value};

use crate::faults::{Fault, Faults};
use crate::variants::Variant;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// MCP: resource not found.
pub const RESOURCE_NOT_FOUND: i64 = -32002;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(INVALID_REQUEST, message)
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    pub fn method_not_found(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, format!("Method not found: {method}"))
    }
}

/// A classified incoming message.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A request to serve; `params` is an object or absent.
    Request {
        id: Value,
        method: String,
        params: Option<Map<String, Value>>,
    },
    /// A notification; never answered.
    Notification {
        method: String,
        params: Option<Map<String, Value>>,
    },
    /// A response to one of our own requests.
    Response {
        id: Value,
        outcome: Result<Value, Value>,
    },
    /// A message that must be answered with an error (`id` is null when the
    /// request id could not be read).
    Invalid { id: Value, error: RpcError },
    /// Dropped without an answer (only under a fault).
    Ignored,
}

/// Whether a value is a valid MCP request id (string or integer).
pub fn is_valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

/// Validates one JSON value received as a message (not a batch array).
pub fn classify(msg: Value, faults: &Faults) -> Incoming {
    let Value::Object(mut obj) = msg else {
        if faults.has(Fault::IgnoreNonObject) {
            return Incoming::Ignored;
        }
        return Incoming::Invalid {
            id: Value::Null,
            error: RpcError::invalid_request("Invalid Request: a message must be a JSON object"),
        };
    };
    let id_field = obj.remove("id");
    let is_response =
        !obj.contains_key("method") && (obj.contains_key("result") || obj.contains_key("error"));
    let id_ok = id_field
        .as_ref()
        .is_none_or(|v| is_valid_id(v) || faults.has(Fault::AcceptAnyId));
    // The id we may echo in an error: a readable one, else null.
    let echo_id = match &id_field {
        Some(v) if id_ok => v.clone(),
        _ => Value::Null,
    };
    let jsonrpc_ok = faults.has(Fault::LenientJsonrpc)
        || obj.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    if !jsonrpc_ok {
        return invalid(
            echo_id,
            "Invalid Request: \"jsonrpc\" must be exactly \"2.0\"",
        );
    }
    if is_response {
        let outcome = match (obj.remove("result"), obj.remove("error")) {
            (Some(result), None) => Ok(result),
            (_, Some(error)) => Err(error),
            (None, None) => Err(Value::Null),
        };
        return Incoming::Response {
            id: id_field.unwrap_or(Value::Null),
            outcome,
        };
    }
    if !id_ok {
        return invalid(
            Value::Null,
            "Invalid Request: \"id\" must be a string or an integer",
        );
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        Some(_) => return invalid(echo_id, "Invalid Request: \"method\" must be a string"),
        None => {
            let code = if id_field.is_some() && faults.has(Fault::MissingMethodWrongCode) {
                METHOD_NOT_FOUND
            } else {
                INVALID_REQUEST
            };
            return Incoming::Invalid {
                id: echo_id,
                error: RpcError::new(code, "Invalid Request: missing \"method\""),
            };
        }
    };
    let mut id = id_field;
    if faults.has(Fault::ZeroIdDropped) && id.as_ref().and_then(Value::as_i64) == Some(0) {
        id = None;
    }
    let params = match obj.remove("params") {
        None => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) if id.is_none() || faults.has(Fault::ParamsTypeUnchecked) => None,
        Some(_) => {
            let code = if faults.has(Fault::InvalidParamsInternalError) {
                INTERNAL_ERROR
            } else {
                INVALID_PARAMS
            };
            return Incoming::Invalid {
                id: echo_id,
                error: RpcError::new(code, "Invalid params: \"params\" must be an object"),
            };
        }
    };
    match id {
        Some(id) => Incoming::Request { id, method, params },
        None => Incoming::Notification { method, params },
    }
}

fn invalid(id: Value, message: &str) -> Incoming {
    Incoming::Invalid {
        id,
        error: RpcError::invalid_request(message),
    }
}

/// Builds outgoing responses, applying the response-shape faults (and the legal
/// response-shape variants `extra-fields`, `error-data`).
#[derive(Debug, Clone)]
pub struct Responder {
    faults: Faults,
    variants: crate::variants::Variants,
}

impl Responder {
    pub fn new(faults: Faults) -> Self {
        Responder {
            faults,
            variants: Default::default(),
        }
    }

    /// The same responder, also making the legal choices of `variants`.
    pub fn with_variants(mut self, variants: crate::variants::Variants) -> Self {
        self.variants = variants;
        self
    }

    fn shape_id(&self, id: &Value) -> Value {
        if self.faults.has(Fault::StringifyIds) && (id.is_i64() || id.is_u64()) {
            return Value::String(id.to_string());
        }
        if self.faults.has(Fault::NumberifyIds) {
            if let Some(s) = id.as_str() {
                if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                    if let Ok(n) = s.parse::<u64>() {
                        return Value::from(n);
                    }
                }
            }
        }
        id.clone()
    }

    fn envelope(&self, id: &Value) -> Map<String, Value> {
        let mut m = Map::new();
        if !self.faults.has(Fault::NoJsonrpcInResponses) {
            m.insert("jsonrpc".into(), json!("2.0"));
        }
        m.insert("id".into(), self.shape_id(id));
        m
    }

    /// A success response.
    pub fn success(&self, id: &Value, result: Value) -> Value {
        let mut m = self.envelope(id);
        m.insert("result".into(), self.with_extra_fields(result));
        if self.faults.has(Fault::ResultAndError) {
            m.insert("error".into(), Value::Null);
        }
        Value::Object(m)
    }

    /// With `extra-fields`: a non-empty result also carries a member the schema does not
    /// name and a vendor key in its `_meta` (results are open objects in every schema).
    fn with_extra_fields(&self, result: Value) -> Value {
        let Value::Object(mut o) = result else {
            return result;
        };
        if !self.variants.has(Variant::ExtraFields) || o.is_empty() {
            return Value::Object(o);
        }
        o.insert(
            "vendorTrace".into(),
            json!({"spanId": "0f3c", "sampled": false}),
        );
        let meta = o.entry("_meta").or_insert_with(|| json!({}));
        if let Value::Object(meta) = meta {
            meta.insert("com.example/trace".into(), json!("0f3c"));
        }
        Value::Object(o)
    }

    /// An error response.
    pub fn error(&self, id: &Value, err: &RpcError) -> Value {
        let mut e = Map::new();
        if self.faults.has(Fault::ErrorCodeString) {
            e.insert("code".into(), Value::String(err.code.to_string()));
        } else {
            e.insert("code".into(), Value::from(err.code));
        }
        e.insert("message".into(), Value::String(err.message.clone()));
        if let Some(data) = &err.data {
            e.insert("data".into(), data.clone());
        } else if self.variants.has(Variant::ErrorData) {
            e.insert(
                "data".into(),
                json!({"detail": err.message, "seenBy": "mcp-reference-server"}),
            );
        }
        let mut m = self.envelope(id);
        m.insert("error".into(), Value::Object(e));
        Value::Object(m)
    }
}

/// A notification message.
pub fn notification(method: &str, params: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("jsonrpc".into(), json!("2.0"));
    m.insert("method".into(), json!(method));
    if let Some(p) = params {
        m.insert("params".into(), p);
    }
    Value::Object(m)
}

/// A request message sent by the server.
pub fn request(id: &Value, method: &str, params: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("jsonrpc".into(), json!("2.0"));
    m.insert("id".into(), id.clone());
    m.insert("method".into(), json!(method));
    if let Some(p) = params {
        m.insert("params".into(), p);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cls(v: Value) -> Incoming {
        classify(v, &Faults::none())
    }

    fn invalid_code(v: Value) -> (Value, i64) {
        match cls(v) {
            Incoming::Invalid { id, error } => (id, error.code),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn valid_request_and_notification() {
        match cls(json!({"jsonrpc":"2.0","id":"42","method":"ping"})) {
            Incoming::Request { id, method, params } => {
                assert_eq!(id, json!("42"));
                assert_eq!(method, "ping");
                assert!(params.is_none());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            cls(json!({"jsonrpc":"2.0","id":0,"method":"ping","params":{}})),
            Incoming::Request { id, .. } if id == json!(0)
        ));
        assert!(matches!(
            cls(json!({"jsonrpc":"2.0","method":"x/y","params":[1]})),
            Incoming::Notification { params: None, .. }
        ));
    }

    #[test]
    fn validation_codes() {
        assert_eq!(invalid_code(json!(5)), (Value::Null, INVALID_REQUEST));
        assert_eq!(
            invalid_code(json!({"id":1,"method":"ping"})),
            (json!(1), INVALID_REQUEST)
        );
        assert_eq!(
            invalid_code(json!({"jsonrpc":"1.0","id":1,"method":"ping"})),
            (json!(1), INVALID_REQUEST)
        );
        for bad in [json!(null), json!(true), json!(1.5), json!({}), json!([1])] {
            assert_eq!(
                invalid_code(json!({"jsonrpc":"2.0","id":bad,"method":"ping"})),
                (Value::Null, INVALID_REQUEST)
            );
        }
        assert_eq!(
            invalid_code(json!({"jsonrpc":"2.0","id":"a"})),
            (json!("a"), INVALID_REQUEST)
        );
        assert_eq!(
            invalid_code(json!({"jsonrpc":"2.0","id":3,"method":7})),
            (json!(3), INVALID_REQUEST)
        );
        assert_eq!(
            invalid_code(json!({"jsonrpc":"2.0","id":3,"method":"ping","params":[1]})),
            (json!(3), INVALID_PARAMS)
        );
        assert_eq!(
            invalid_code(json!({"jsonrpc":"2.0","id":3,"method":"ping","params":null})),
            (json!(3), INVALID_PARAMS)
        );
    }

    #[test]
    fn responses_are_recognised() {
        assert!(matches!(
            cls(json!({"jsonrpc":"2.0","id":"s-1","result":{}})),
            Incoming::Response { outcome: Ok(_), .. }
        ));
        assert!(matches!(
            cls(json!({"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}})),
            Incoming::Response {
                outcome: Err(_),
                ..
            }
        ));
    }

    #[test]
    fn validation_faults() {
        let f = Faults::of(&[Fault::LenientJsonrpc]);
        assert!(matches!(
            classify(json!({"id":1,"method":"ping"}), &f),
            Incoming::Request { .. }
        ));
        let f = Faults::of(&[Fault::AcceptAnyId]);
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1.5,"method":"ping"}), &f),
            Incoming::Request { id, .. } if id == json!(1.5)
        ));
        let f = Faults::of(&[Fault::ZeroIdDropped]);
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":0,"method":"ping"}), &f),
            Incoming::Notification { .. }
        ));
        let f = Faults::of(&[Fault::MissingMethodWrongCode]);
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1}), &f),
            Incoming::Invalid { error, .. } if error.code == METHOD_NOT_FOUND
        ));
    }

    #[test]
    fn responder_shapes() {
        let ok = Responder::new(Faults::none());
        assert_eq!(
            ok.success(&json!("7"), json!({})),
            json!({"jsonrpc":"2.0","id":"7","result":{}})
        );
        assert_eq!(
            ok.error(&json!(7), &RpcError::method_not_found("x")),
            json!({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"Method not found: x"}})
        );
        let s = Responder::new(Faults::of(&[Fault::StringifyIds]));
        assert_eq!(s.success(&json!(7), json!({}))["id"], json!("7"));
        let n = Responder::new(Faults::of(&[Fault::NumberifyIds]));
        assert_eq!(n.success(&json!("42"), json!({}))["id"], json!(42));
        assert_eq!(n.success(&json!("4a"), json!({}))["id"], json!("4a"));
        let e = Responder::new(Faults::of(&[Fault::ErrorCodeString]));
        assert_eq!(
            e.error(&json!(1), &RpcError::method_not_found("x"))["error"]["code"],
            json!("-32601")
        );
    }
}
