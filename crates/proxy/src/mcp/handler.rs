//! Per-message handling, without I/O: what to do with each line from the client and from the
//! server.

use super::Gate;
use aethelgard_protocol::DecisionKind;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock, ErrorCode, ErrorData};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};

/// Most client requests awaiting the server's answer; more are refused, so a client that never
/// gets answers cannot grow the proxy's memory without end.
pub const MAX_PENDING: usize = 65_536;

/// What to do with one line.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Pass the line on to the other side unchanged.
    Forward,
    /// Send this message to the server instead of the line.
    ToServer(String),
    /// Answer the client with this message; the line goes no further.
    ToClient(String),
    /// Drop the line, with this warning for the operator (none when empty).
    Drop(String),
}

/// The proxy's state for one connection: which client requests await answers (to find the
/// answers to `tools/list`), and the tool names the server has listed since its list last
/// changed.
pub struct Handler<G> {
    gate: G,
    pending: HashMap<String, (Value, String)>,
    known: BTreeSet<String>,
    granted: Option<Option<Vec<String>>>,
}

impl<G: Gate> Handler<G> {
    pub fn new(gate: G) -> Self {
        Self {
            gate,
            pending: HashMap::new(),
            known: BTreeSet::new(),
            granted: None,
        }
    }

    /// A line from the client.
    pub fn from_client(&mut self, line: &[u8]) -> Action {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Action::Drop(String::new());
        }
        let message = match serde_json::from_slice::<Value>(line) {
            Ok(message) => message,
            Err(error) => {
                return Action::ToClient(error_message(
                    &Value::Null,
                    ErrorCode::PARSE_ERROR,
                    format!("parse error: {error}"),
                ));
            }
        };
        let Value::Object(object) = message else {
            // Batches were removed from MCP in 2025-06-18; one could hide a `tools/call`.
            return Action::ToClient(error_message(
                &Value::Null,
                ErrorCode::INVALID_REQUEST,
                "invalid request: send one JSON-RPC object per line (batches are not supported)"
                    .to_owned(),
            ));
        };
        let id = object.get("id").cloned();
        let method = object
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_owned);
        match (method, id) {
            (Some(method), Some(id)) if method == "tools/call" => self.call(object, id),
            (Some(method), None) if method == "tools/call" => {
                Action::Drop("a `tools/call` without an id (not a request) was dropped".to_owned())
            }
            (Some(method), Some(id)) => {
                if self.pending.len() >= MAX_PENDING {
                    return Action::ToClient(error_message(
                        &id,
                        ErrorCode::INTERNAL_ERROR,
                        format!("too many requests awaiting the server ({MAX_PENDING})"),
                    ));
                }
                self.pending.insert(key(&id), (id, method));
                Action::Forward
            }
            _ => Action::Forward,
        }
    }

    /// A line from the server.
    pub fn from_server(&mut self, line: &[u8]) -> Action {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Action::Drop(String::new());
        }
        // A line the proxy cannot read could be a tool list it cannot filter: it goes no further.
        let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(line) else {
            return Action::Drop(
                "the server sent a line that is not a JSON-RPC object; dropped".to_owned(),
            );
        };
        if let Some(method) = object.get("method").and_then(Value::as_str) {
            if method == "notifications/tools/list_changed" {
                self.forget_tools();
            }
            return Action::Forward;
        }
        let Some(id) = object.get("id") else {
            return Action::Forward;
        };
        match self.pending.remove(&key(id)) {
            Some((_, method)) if method != "tools/list" => return Action::Forward,
            Some(_) => {}
            None => {
                // An answer to no request the proxy awaits (an HTTP stream resumed elsewhere, a
                // request it forgot) may still be a tool list: one that carries tools is filtered.
                let has_tools = object
                    .get("result")
                    .and_then(|result| result.get("tools"))
                    .is_some_and(Value::is_array);
                if !has_tools {
                    return Action::Forward;
                }
            }
        }
        if let Some(Value::Object(result)) = object.get_mut("result") {
            self.filter_tools(result);
        }
        match serde_json::to_string(&object) {
            Ok(text) => Action::ToClient(text),
            Err(error) => Action::Drop(format!("cannot write the filtered tool list: {error}")),
        }
    }

    /// Error answers for every request the server has not answered (it exited).
    pub fn abandon(&mut self, why: &str) -> Vec<String> {
        self.pending
            .drain()
            .map(|(_, (id, _))| error_message(&id, ErrorCode::INTERNAL_ERROR, why.to_owned()))
            .collect()
    }

    /// Stops awaiting an answer to the request `id` (its transport failed or ended without one);
    /// true when it was awaited.
    pub fn forget(&mut self, id: &Value) -> bool {
        self.pending.remove(&key(id)).is_some()
    }

    /// Requests awaiting the server's answer.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn call(&mut self, object: Map<String, Value>, id: Value) -> Action {
        let raw_params = object.get("params").cloned().unwrap_or(Value::Null);
        let stateless = is_stateless(raw_params.get("_meta"));
        let params: CallToolRequestParams = match serde_json::from_value(raw_params) {
            Ok(params) => params,
            Err(error) => {
                return Action::ToClient(error_message(
                    &id,
                    ErrorCode::INVALID_PARAMS,
                    format!("invalid `tools/call` params: {error}"),
                ));
            }
        };
        let tool = params.name.to_string();
        let arguments = Value::Object(params.arguments.unwrap_or_default());
        let granted = self.granted_for(&tool);
        let decision = self.gate.route(&tool, arguments, granted);
        if decision.decision == DecisionKind::Allow {
            if self.pending.len() < MAX_PENDING {
                self.pending
                    .insert(key(&id), (id.clone(), "tools/call".to_owned()));
            }
            // The server gets the message as the proxy read it, so it cannot see another call
            // than the one routed (duplicate keys, odd encodings).
            return match serde_json::to_string(&object) {
                Ok(text) => Action::ToServer(text),
                Err(error) => Action::ToClient(error_message(
                    &id,
                    ErrorCode::INTERNAL_ERROR,
                    format!("cannot forward the call: {error}"),
                )),
            };
        }
        let rule = decision
            .rule
            .as_deref()
            .map(|rule| format!(" (rule {rule})"))
            .unwrap_or_default();
        let escalated = if decision.decision == DecisionKind::Escalate {
            "this call needs a person's approval, which the MCP proxy cannot ask for: "
        } else {
            ""
        };
        let text = format!(
            "Blocked by Aethelgard: {escalated}{}{rule}",
            decision.reason
        );
        let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
        // `resultType` belongs to protocol 2026-07-28, whose requests carry their version.
        if !stateless {
            result.result_type = None;
        }
        Action::ToClient(json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string())
    }

    /// The manifest for a call: the tools listed so far, plus the called one if it was never
    /// listed (the governor judges it like any other).
    fn granted_for(&mut self, tool: &str) -> Option<Vec<String>> {
        if self.known.contains(tool) {
            return self.granted_known();
        }
        let mut available: Vec<String> = self.known.iter().cloned().collect();
        available.push(tool.to_owned());
        self.gate.granted(&available)
    }

    fn granted_known(&mut self) -> Option<Vec<String>> {
        if let Some(granted) = &self.granted {
            return granted.clone();
        }
        let available: Vec<String> = self.known.iter().cloned().collect();
        let granted = self.gate.granted(&available);
        self.granted = Some(granted.clone());
        granted
    }

    fn filter_tools(&mut self, result: &mut Map<String, Value>) {
        let Some(Value::Array(tools)) = result.get_mut("tools") else {
            return;
        };
        let before = self.known.len();
        self.known
            .extend(tools.iter().filter_map(tool_name).map(str::to_owned));
        if self.known.len() != before {
            self.granted = None;
        }
        let granted = self.granted_known();
        // Without a task every named tool is kept; a tool without a name cannot be judged.
        tools.retain(|tool| {
            tool_name(tool).is_some_and(|name| {
                granted
                    .as_ref()
                    .is_none_or(|granted| granted.iter().any(|g| g == name))
            })
        });
    }

    fn forget_tools(&mut self) {
        self.known.clear();
        self.granted = None;
    }
}

fn tool_name(tool: &Value) -> Option<&str> {
    tool.get("name").and_then(Value::as_str)
}

fn key(id: &Value) -> String {
    id.to_string()
}

fn is_stateless(meta: Option<&Value>) -> bool {
    meta.and_then(|meta| meta.get("io.modelcontextprotocol/protocolVersion"))
        .and_then(Value::as_str)
        .is_some_and(|version| version >= "2026-07-28")
}

/// A JSON-RPC error answer.
pub fn error_message(id: &Value, code: ErrorCode, message: String) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": ErrorData::new(code, message, None)}).to_string()
}
