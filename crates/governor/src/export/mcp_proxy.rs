//! MCP server entries rewritten to run through `aethelgard proxy mcp`, in each runtime's own
//! format, so that the tools a server offers are filtered and every call is routed and audited
//! whatever the runtime's hooks see.
//!
//! - A command entry keeps its `env` and `cwd`; its `command` becomes the aethelgard binary and
//!   its `args` `["proxy", "mcp", "--task-type", T, "--", <command>, <args>...]`.
//! - A Streamable HTTP entry (`url`) becomes a command entry running
//!   `aethelgard proxy mcp ... --upstream URL [--header "Name: value"]...`: the runtime speaks
//!   stdio to the proxy, the proxy HTTP to the server. Headers the runtime would send go along as
//!   `--header`; an entry whose credentials live where the proxy cannot read them (Codex
//!   `bearer_token_env_var`, `env_http_headers`, header helpers, OAuth) or that speaks the legacy
//!   SSE transport is left as it is, with a note.
//! - An entry that already runs `aethelgard proxy mcp` is left as it is (the user wrote it).
//!
//! The keys changed are recorded in [`Owned`] like every other exporter's, with their values from
//! before, so exporting again changes nothing, another task type rewrites only the task
//! arguments, and reverting puts each entry back.

use super::json_doc::JsonDoc;
use super::owned::{Doc, Wants, apply};
use super::{Export, ExportError, Owned};
use serde_json::{Map, Value};

/// The task the proxy scopes tools to, as the export was given it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyTask {
    TaskType(String),
    Task(String),
}

/// The command a rewritten entry runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyCommand {
    /// The aethelgard binary, by absolute path.
    pub program: String,
    pub task: ProxyTask,
}

impl ProxyCommand {
    /// `proxy mcp --task-type T` (or `--task "..."`), before the server part.
    fn head(&self) -> Vec<Value> {
        let (flag, value) = match &self.task {
            ProxyTask::TaskType(task_type) => ("--task-type", task_type),
            ProxyTask::Task(task) => ("--task", task),
        };
        ["proxy", "mcp", flag, value.as_str()].into_iter().map(Value::from).collect()
    }
}

/// Which runtime's entry format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Codex `[mcp_servers.NAME]`: `command`/`args`/`env`/`cwd`, or `url` with `http_headers`,
    /// `env_http_headers`, `bearer_token_env_var`.
    Codex,
    /// Claude Code `mcpServers.NAME`: `type` (`stdio`, `http`, `sse`), `command`/`args`/`env`, or
    /// `url` with `headers` (`${VAR}` expanded by Claude Code in args too), `headersHelper`, `oauth`.
    Claude,
    /// OpenClaw `mcp.servers.NAME`: `command`/`args`/`env`/`cwd`, or `url` with `headers` and
    /// `transport` (`sse` unless `streamable-http`).
    OpenClaw,
}

/// The keys an entry's transport is made of; a rewrite owns these and no others.
const TRANSPORT_KEYS: &[&str] = &[
    "type", "transport", "command", "args", "url", "headers", "http_headers", "env_http_headers", "bearer_token_env_var",
];

/// Whether `entry` already starts the proxy: `<…/aethelgard> proxy mcp ...`.
fn is_proxied(entry: &Map<String, Value>) -> bool {
    let Some(command) = entry.get("command").and_then(Value::as_str) else { return false };
    let program = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let args: Vec<&str> = entry.get("args").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    program.trim_end_matches(".exe") == "aethelgard" && args.starts_with(&["proxy", "mcp"])
}

/// The entry at `path` as it was before an earlier export rewrote it: the keys that export owns
/// under `path` set back to their values from before.
fn original_entry(doc: &dyn Doc, path: &[String], previous: &Owned) -> Option<Map<String, Value>> {
    let current = doc.get(path).and_then(|v| v.as_object().cloned());
    let mut entry = current.clone().unwrap_or_default();
    let mut touched = false;
    for key in previous.keys.iter().filter(|k| k.path.len() == path.len() + 1 && k.path.starts_with(path)) {
        let Some(name) = key.path.last() else { continue };
        if !TRANSPORT_KEYS.contains(&name.as_str()) {
            continue;
        }
        touched = true;
        match &key.original {
            Some(value) => entry.insert(name.clone(), value.clone()),
            None => entry.remove(name),
        };
    }
    (current.is_some() || touched).then_some(entry)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value.and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// The `--header` arguments for a map of header names to values; `None` when a value is not text.
fn header_args(headers: Option<&Value>) -> Option<Vec<Value>> {
    let mut args = Vec::new();
    let Some(headers) = headers else { return Some(args) };
    for (name, value) in headers.as_object()? {
        args.push(Value::from("--header"));
        args.push(Value::from(format!("{name}: {}", value.as_str()?)));
    }
    Some(args)
}

/// What to do with one server entry.
enum Plan {
    /// Set these keys (`Value::Null`: remove) under the entry, and maybe tell the user something.
    Rewrite(Vec<(&'static str, Value)>, Option<String>),
    /// Leave it, and tell the user why.
    Leave(String),
}

/// The rewrite of one entry. `own` is what the edited file itself says about the entry (as it
/// was before any export), `effective` what the runtime sees (a Codex profile over `config.toml`).
fn plan(name: &str, own: &Map<String, Value>, effective: &Map<String, Value>, proxy: &ProxyCommand, dialect: Dialect) -> Plan {
    if is_proxied(effective) {
        return Plan::Leave(format!("MCP server `{name}` already runs `aethelgard proxy mcp`; left as it is"));
    }
    let mut args = proxy.head();
    if let Some(command) = effective.get("command").and_then(Value::as_str) {
        args.push(Value::from("--"));
        args.push(Value::from(command));
        args.extend(strings(effective.get("args")).into_iter().map(Value::from));
        return Plan::Rewrite(vec![("command", Value::from(proxy.program.as_str())), ("args", Value::Array(args))], None);
    }
    let Some(url) = effective.get("url").and_then(Value::as_str) else {
        return Plan::Leave(format!("MCP server `{name}` has neither `command` nor `url`; left as it is"));
    };
    let kind = |key: &str| effective.get(key).and_then(Value::as_str).map(str::to_ascii_lowercase);
    let (headers_key, blockers, http): (&str, &[&str], bool) = match dialect {
        Dialect::Codex => ("http_headers", &["bearer_token_env_var", "env_http_headers", "http_headers_helper"], true),
        Dialect::Claude => ("headers", &["headersHelper", "oauth"], matches!(kind("type").as_deref(), Some("http" | "streamable-http"))),
        Dialect::OpenClaw => {
            let transport = kind("transport").or_else(|| kind("type"));
            ("headers", &[], matches!(transport.as_deref(), Some("streamable-http" | "http")))
        }
    };
    if !http {
        return Plan::Leave(format!(
            "MCP server `{name}` speaks the legacy SSE transport (or another than Streamable HTTP), which the proxy does not; left as it is"
        ));
    }
    if let Some(blocker) = blockers.iter().find(|key| effective.contains_key(**key)) {
        return Plan::Leave(format!(
            "MCP server `{name}` takes its credentials from `{blocker}`, which `aethelgard proxy mcp --header` cannot carry without writing the secret into the configuration; left as it is (run the proxy with `--listen http://127.0.0.1:PORT --upstream {url}` and point the entry there instead)"
        ));
    }
    let Some(headers) = header_args(effective.get(headers_key)) else {
        return Plan::Leave(format!("MCP server `{name}`: `{headers_key}` is not a map of names to text; left as it is"));
    };
    // Keys another configuration layer sets cannot be removed from here (a Codex profile over
    // `config.toml`), and a command entry that still has a `url` is refused by the runtime.
    let inherited: Vec<&str> = ["url", headers_key, "type", "transport"].into_iter().filter(|key| effective.contains_key(*key) && !own.contains_key(*key)).collect();
    if !inherited.is_empty() {
        return Plan::Leave(format!(
            "MCP server `{name}`: `{}` comes from another configuration file (config.toml), which this file cannot take away; export into that file itself to put the server behind the proxy",
            inherited.join("`, `")
        ));
    }
    let note = (!headers.is_empty()).then(|| {
        format!("MCP server `{name}`: its headers are now `--header` arguments of the proxy, which other users of this machine can read in the process list")
    });
    args.push(Value::from("--upstream"));
    args.push(Value::from(url));
    args.extend(headers);
    let mut keys = Vec::new();
    match dialect {
        Dialect::Claude => keys.push(("type", Value::from("stdio"))),
        Dialect::OpenClaw => {
            for key in ["transport", "type"] {
                if own.contains_key(key) {
                    keys.push((key, Value::Null));
                }
            }
        }
        Dialect::Codex => {}
    }
    keys.push(("command", Value::from(proxy.program.as_str())));
    keys.push(("args", Value::Array(args)));
    keys.push(("url", Value::Null));
    if own.contains_key(headers_key) {
        keys.push((if dialect == Dialect::Codex { "http_headers" } else { "headers" }, Value::Null));
    }
    Plan::Rewrite(keys, note)
}

/// What [`want_proxied`] did.
#[derive(Debug, Default)]
pub(crate) struct Proxied {
    /// Notes on the entries left as they are, and on headers moved into arguments.
    pub notes: Vec<String>,
    /// The servers that run behind the proxy once the export is applied (rewritten now, or
    /// already running it): the proxy offers only the task's tools of these, so the runtime's own
    /// tool filter must not take the whole server away.
    pub servers: Vec<String>,
}

/// Adds to `wants` the keys that put every server under `servers` behind the proxy; `inherited`
/// are the entries another layer defines (a Codex profile's `config.toml`), by name.
pub(crate) fn want_proxied(
    doc: &dyn Doc,
    servers: &[String],
    inherited: &[(String, Value)],
    previous: &Owned,
    proxy: &ProxyCommand,
    dialect: Dialect,
    wants: &mut Wants,
) -> Proxied {
    let mut notes = Vec::new();
    let mut proxied = Vec::new();
    let mut names: Vec<String> = inherited.iter().map(|(name, _)| name.clone()).collect();
    if let Some(Value::Object(own)) = doc.get(servers) {
        names.extend(own.keys().filter(|name| !inherited.iter().any(|(n, _)| n == *name)).cloned());
    }
    for name in names {
        let mut path = servers.to_vec();
        path.push(name.clone());
        let own = original_entry(doc, &path, previous).unwrap_or_default();
        let mut effective = inherited.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_object().cloned()).unwrap_or_default();
        effective.extend(own.clone());
        if is_proxied(&effective) {
            proxied.push(name.clone());
        }
        match plan(&name, &own, &effective, proxy, dialect) {
            Plan::Rewrite(keys, note) => {
                for (key, value) in keys {
                    let mut key_path = path.clone();
                    key_path.push(key.to_owned());
                    wants.key_path(key_path, value);
                }
                notes.extend(note);
                proxied.push(name);
            }
            Plan::Leave(note) => notes.push(note),
        }
    }
    Proxied { notes, servers: proxied }
}

/// Claude Code's MCP configuration (`.mcp.json`, or the `mcpServers` of `~/.claude.json`) with
/// every server behind the proxy. Taken back with [`super::claude::revert`].
pub fn claude(existing: Option<&str>, previous: &Owned, proxy: &ProxyCommand) -> Result<Export, ExportError> {
    let mut doc = JsonDoc::parse(existing, "the Claude Code MCP configuration")?;
    let mut wants = Wants::default();
    let mut notes = want_proxied(&doc, &["mcpServers".to_owned()], &[], previous, proxy, Dialect::Claude, &mut wants).notes;
    if doc.get(&["mcpServers".to_owned()]).is_none() {
        notes.push("no `mcpServers` in the Claude Code MCP configuration: nothing to put behind the proxy".to_owned());
    }
    let (owned, changes) = apply(&mut doc, &wants, previous)?;
    Ok(Export { text: doc.text(), owned, changes, notes })
}
