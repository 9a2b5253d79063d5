//! What a call does, extracted once per call: the tool's catalog entry, the shell analysis, the
//! files it touches and the hosts it contacts.

use aethelgard_policy::{Catalog, ToolEntry};
use aethelgard_protocol::ToolCall;
use aethelgard_shell::{Access, Analysis, Arg, Context};
use serde_json::Value;

/// Where calls run when they do not say: the user's home and the default workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    pub home: String,
    /// Workspace for calls without `cwd`.
    pub cwd: String,
}

impl Environment {
    pub fn new(home: impl Into<String>, cwd: impl Into<String>) -> Self {
        Self { home: home.into(), cwd: cwd.into() }
    }

    /// From `$HOME` and the process's working directory.
    pub fn from_process() -> Self {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned());
        let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| "/".to_owned());
        Self { home, cwd }
    }
}

pub(crate) struct Facts<'a> {
    pub entry: Option<&'a ToolEntry>,
    pub workspace: String,
    pub home: String,
    pub analysis: Option<Analysis>,
    pub accesses: Vec<(Arg, Access)>,
    pub hosts: Vec<String>,
}

/// Argument names that carry a shell command in tools the catalog does not know.
const SHELL_KEYS: &[&str] = &["/command", "/cmd"];
const PATH_KEYS: &[&str] = &["/path", "/file_path", "/filePath", "/notebook_path", "/file", "/filename"];
const URL_KEYS: &[&str] = &["/url", "/uri", "/href", "/endpoint"];

pub(crate) fn extract<'a>(call: &ToolCall, catalog: &'a Catalog, env: &Environment) -> Facts<'a> {
    let entry = catalog.get(&call.tool);
    let workspace = aethelgard_shell::normalize(call.cwd.as_deref().unwrap_or(&env.cwd), "/", &env.home);
    let home = env.home.clone();
    let mut facts = Facts { entry, workspace, home, analysis: None, accesses: Vec::new(), hosts: Vec::new() };

    let shell_pointers: Vec<&str> = match entry {
        Some(e) => e.shell.iter().map(String::as_str).collect(),
        None => SHELL_KEYS.to_vec(),
    };
    if let Some(command) = shell_pointers.iter().find_map(|p| call.args.pointer(p)).and_then(command_text) {
        let context = Context::new(facts.workspace.clone(), facts.home.clone());
        let analysis = aethelgard_shell::analyze(&command, &context);
        facts.accesses = analysis.file_accesses();
        facts.hosts = analysis.hosts();
        facts.analysis = Some(analysis);
    }

    let default_write = entry.is_some_and(|e| e.risk.contains(&aethelgard_protocol::RiskTag::Write));
    match entry {
        Some(e) => {
            for (pointer, access) in &e.paths {
                let access = match access {
                    aethelgard_policy::ArgAccess::Read => Access::Read,
                    aethelgard_policy::ArgAccess::Write => Access::Write,
                };
                for path in strings_at(&call.args, pointer) {
                    facts.accesses.push((resolve(path, &facts.workspace, &facts.home), access));
                }
            }
            for pointer in &e.urls {
                if let Some(url) = call.args.pointer(pointer).and_then(Value::as_str) {
                    push_host(&mut facts.hosts, url);
                }
            }
            for pointer in &e.patch {
                if let Some(patch) = call.args.pointer(pointer).and_then(Value::as_str) {
                    for path in patch_paths(patch) {
                        facts.accesses.push((resolve(path, &facts.workspace, &facts.home), Access::Write));
                    }
                }
            }
        }
        None => {
            let access = if default_write || looks_like_write(&call.tool) { Access::Write } else { Access::Read };
            for pointer in PATH_KEYS {
                if let Some(path) = call.args.pointer(pointer).and_then(Value::as_str) {
                    facts.accesses.push((resolve(path, &facts.workspace, &facts.home), access));
                }
            }
            for pointer in URL_KEYS {
                if let Some(url) = call.args.pointer(pointer).and_then(Value::as_str) {
                    push_host(&mut facts.hosts, url);
                }
            }
        }
    }
    let numeric: Vec<String> = facts.hosts.iter().filter_map(|h| canonical_ipv4(h)).collect();
    for host in numeric {
        if !facts.hosts.contains(&host) {
            facts.hosts.push(host);
        }
    }
    facts
}

/// The dotted-quad form of an IPv4 address written another way: one number (`2852039166`,
/// `0xa9fea9fe`), octal or hex parts (`0251.0376.0251.0376`), fewer parts (`169.254.43518`), or
/// IPv4-mapped IPv6 (`::ffff:169.254.169.254`). Resolvers accept all of these, so rules about
/// an address must see through them.
pub(crate) fn canonical_ipv4(host: &str) -> Option<String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Some(mapped) = host.strip_prefix("::ffff:") {
        if mapped.contains('.') {
            return canonical_ipv4(mapped).or_else(|| Some(mapped.to_owned()));
        }
        let mut groups = mapped.split(':').map(|g| u32::from_str_radix(g, 16).ok());
        let (Some(Some(high)), Some(Some(low)), None) = (groups.next(), groups.next(), groups.next()) else { return None };
        return Some(dotted((high << 16) | low));
    }
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let numbers: Option<Vec<u64>> = parts
        .iter()
        .map(|part| {
            if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                u64::from_str_radix(hex, 16).ok()
            } else if part.len() > 1 && part.starts_with('0') {
                u64::from_str_radix(part, 8).ok()
            } else {
                part.parse::<u64>().ok()
            }
        })
        .collect();
    let numbers = numbers?;
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|n| *n > 255) {
        return None;
    }
    let shift = 8 * (4 - u32::try_from(numbers.len()).ok()?);
    if *last >= 1u64 << (shift + 8).min(32) {
        return None;
    }
    let mut value: u64 = 0;
    for (i, n) in leading.iter().enumerate() {
        value |= n << (24 - 8 * i);
    }
    value |= last;
    let value = u32::try_from(value).ok()?;
    let canonical = dotted(value);
    (canonical != host).then_some(canonical)
}

fn dotted(value: u32) -> String {
    let [a, b, c, d] = value.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

/// The string at `pointer`, or each string of the array there.
fn strings_at<'v>(args: &'v Value, pointer: &str) -> Vec<&'v str> {
    match args.pointer(pointer) {
        Some(Value::String(text)) => vec![text.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A shell command as text: a string, or an argv array quoted back into one line.
fn command_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => {
            let words: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            let words = words?;
            shlex::try_join(words.iter().copied()).ok()
        }
        _ => None,
    }
}

fn resolve(path: &str, workspace: &str, home: &str) -> Arg {
    Arg::literal(aethelgard_shell::normalize(path, workspace, home))
}

fn looks_like_write(tool: &str) -> bool {
    let lower = tool.to_ascii_lowercase();
    ["write", "edit", "delete", "remove", "create", "move", "rename", "patch", "upload", "save", "put"]
        .iter()
        .any(|verb| lower.contains(verb))
}

fn push_host(hosts: &mut Vec<String>, url: &str) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else if host_port.matches(':').count() > 1 {
        host_port
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if !host.is_empty() && !hosts.contains(&host) {
        hosts.push(host);
    }
}

/// Paths named by an `apply_patch` body (`*** Add File: x`, `*** Update File: x`,
/// `*** Delete File: x`, `*** Move to: x`).
fn patch_paths(patch: &str) -> Vec<&str> {
    patch
        .lines()
        .filter_map(|line| {
            ["*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "]
                .iter()
                .find_map(|prefix| line.strip_prefix(prefix))
                .map(str::trim)
        })
        .collect()
}
