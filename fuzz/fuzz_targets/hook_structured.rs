//! Well-formed PreToolUse JSON built from structured input, so the fuzzer spends its time past
//! the JSON parser: in the router's fact extraction and, for shell tools, in the shell analyser
//! as reached through the hook. Same invariant as `hook_input`.
#![no_main]

use aethelgard_protocol::DecisionKind;
use aethelgard_router::hook::{respond, Runtime};
use aethelgard_router::{Environment, Examples, Router};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

#[path = "common.rs"]
mod common;

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::builtin(Environment::new("/home/dev", "/home/dev/project"), Examples::Trust).expect("the built-in policy compiles")
    })
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Tool {
    Bash,
    ApplyPatch,
    Read,
    Write,
    ExecCommand,
    McpDelete,
    Unknown,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Self::Bash => "Bash",
            Self::ApplyPatch => "apply_patch",
            Self::Read => "Read",
            Self::Write => "Write",
            Self::ExecCommand => "exec_command",
            Self::McpDelete => "mcp__x__delete",
            Self::Unknown => "unknown",
        }
    }

    /// The argument the tool's catalog entry (or the router's fallback) reads the text from.
    fn natural_key(self) -> &'static str {
        match self {
            Self::Bash | Self::Unknown => "command",
            Self::ApplyPatch => "input",
            Self::Read | Self::Write => "file_path",
            Self::ExecCommand => "cmd",
            Self::McpDelete => "path",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Key {
    Command,
    Cmd,
    Input,
    FilePath,
    Path,
    Url,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Self::Command => "command",
            Self::Cmd => "cmd",
            Self::Input => "input",
            Self::FilePath => "file_path",
            Self::Path => "path",
            Self::Url => "url",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Event {
    PreToolUse,
    Absent,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Cwd {
    Absent,
    Workspace,
    Home,
    Root,
    Relative,
    Any(String),
}

/// Field order matters for the seeds in `seeds/hook_structured/`: the fixed-size choices come
/// first and the command last, so it takes the rest of the input verbatim (see `seeds/gen.py`).
#[derive(Arbitrary, Debug)]
struct Payload {
    claude: bool,
    tool: Tool,
    /// `None`: the tool's own argument; `Some`: another (tools read only theirs).
    key: Option<Key>,
    /// Send the command as an argv array (`["bash", "-lc", "..."]` shape) instead of a string.
    argv: Option<Vec<String>>,
    extra: Option<(Key, String)>,
    event: Event,
    cwd: Cwd,
    session: Option<String>,
    command: String,
}

fuzz_target!(init: common::init_panic_mode(), |payload: Payload| {
    let mut input = Map::new();
    let key = payload.key.map_or(payload.tool.natural_key(), Key::name);
    if let Some((extra, text)) = &payload.extra {
        input.insert(extra.name().to_owned(), Value::String(text.clone()));
    }
    let value = match payload.argv {
        Some(mut argv) => {
            argv.push(payload.command);
            json!(argv)
        }
        None => Value::String(payload.command),
    };
    input.insert(key.to_owned(), value);

    let mut object = Map::new();
    object.insert("tool_name".to_owned(), json!(payload.tool.name()));
    object.insert("tool_input".to_owned(), Value::Object(input));
    object.insert("tool_use_id".to_owned(), json!("toolu_fuzz"));
    match payload.event {
        Event::PreToolUse => drop(object.insert("hook_event_name".to_owned(), json!("PreToolUse"))),
        Event::Absent => {}
        Event::Other(name) => drop(object.insert("hook_event_name".to_owned(), json!(name))),
    }
    let cwd = match payload.cwd {
        Cwd::Absent => None,
        Cwd::Workspace => Some("/home/dev/project".to_owned()),
        Cwd::Home => Some("/home/dev".to_owned()),
        Cwd::Root => Some("/".to_owned()),
        Cwd::Relative => Some("project/sub".to_owned()),
        Cwd::Any(text) => Some(text),
    };
    if let Some(cwd) = cwd {
        object.insert("cwd".to_owned(), json!(cwd));
    }
    if let Some(session) = payload.session {
        object.insert("session_id".to_owned(), json!(session));
    }
    let bytes = serde_json::to_vec(&Value::Object(object)).expect("a JSON value serialises");

    let runtime = if payload.claude { Runtime::Claude } else { Runtime::Codex };
    let response = respond(runtime, &bytes, Ok(router()));
    common::check(runtime, &response);
    // A PreToolUse call (the event named or absent) is always judged: the hook must say something
    // or have routed it to an allow.
    if response.stdout.is_none() && response.call.is_some() {
        let decision = response.decision.as_ref().expect("a judged call has a decision");
        assert_eq!(decision.decision, DecisionKind::Allow, "no stdout but not an allow: {decision:?}");
    }
});
