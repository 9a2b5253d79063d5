//! Claude Code 2.1.329: the exported `.claude/settings.json`, its tools, deferred tools and
//! `ToolSearch`, with tool search as configured and with `ENABLE_TOOL_SEARCH=false`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::{
    FORBIDDEN_FILE, Manifest, TASK, assert_not_written, assert_section_reached, export,
    export_agents_md, manifest, offered_outside,
};
use crate::claude;
use crate::harness::{self, Sandbox};
use crate::model_server::{ModelServer, Request, Response};

const CLAUDE_SEARCH_ID: &str = "toolu_gov_search";
/// Settings verified on Claude Code 2.1.329 to remove tools that `permissions.deny` does not.
const CLAUDE_HINTS: &[(&str, &str)] = &[(
    "DeferredToolPlaceholder",
    "`permissions.deny` does not remove it; `\"env\": {\"ENABLE_TOOL_SEARCH\": \"false\"}` in the settings does (and wins over the process environment)",
)];
const CLAUDE_WRITE_ID: &str = "toolu_gov_write";
/// The sentence before the list of deferred tools in Claude Code's system message.
const CLAUDE_DEFERRED_HEADING: &str = "deferred tools are now available via ToolSearch";

fn claude_requests(requests: &[Request]) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path() == "/v1/messages")
        .filter_map(Request::json)
        .collect()
}

fn claude_tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

/// The deferred tools a request names (the lines after "...deferred tools are now available via
/// ToolSearch...:" up to a blank line), or `None` when it names none.
fn claude_deferred(body: &Value) -> Option<Vec<String>> {
    let text = harness::json_strings(body)
        .into_iter()
        .find(|s| s.contains(CLAUDE_DEFERRED_HEADING))?;
    let after = text.split_once(CLAUDE_DEFERRED_HEADING)?.1;
    let list = after.split_once(":\n")?.1;
    Some(
        list.lines()
            .take_while(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_owned())
            .collect(),
    )
}

/// Every tool a Claude Code request offers: `tools`, the deferred list, and the tools a
/// `ToolSearch` result references (`tool_reference` blocks, or `<function>` lines).
fn claude_offered(requests: &[Value]) -> Vec<(String, String)> {
    let mut offered = Vec::new();
    for (i, body) in requests.iter().enumerate() {
        for name in claude_tool_names(body) {
            offered.push((name, format!("request {i} `tools`")));
        }
        for name in claude_deferred(body).unwrap_or_default() {
            offered.push((name, format!("request {i} deferred-tools message")));
        }
        for message in body["messages"].as_array().into_iter().flatten() {
            for block in message["content"].as_array().into_iter().flatten() {
                if block["type"] != "tool_result" || block["tool_use_id"] != CLAUDE_SEARCH_ID {
                    continue;
                }
                for part in block["content"].as_array().into_iter().flatten() {
                    if let Some(name) = part["tool_name"].as_str() {
                        offered.push((name.to_owned(), format!("request {i} ToolSearch result")));
                    }
                }
                for text in harness::json_strings(&block["content"]) {
                    for chunk in text.split("<function>").skip(1) {
                        if let Some(name) = serde_json::from_str::<Value>(
                            chunk.split("</function>").next().unwrap_or(""),
                        )
                        .ok()
                        .and_then(|f| f["name"].as_str().map(str::to_owned))
                        {
                            offered.push((name, format!("request {i} ToolSearch result")));
                        }
                    }
                }
            }
        }
    }
    offered
}

fn claude_tool_result(requests: &[Value], id: &str) -> Option<(String, bool)> {
    requests.iter().find_map(|body| {
        body["messages"].as_array()?.iter().find_map(|m| {
            m["content"].as_array()?.iter().find_map(|block| {
                (block["type"] == "tool_result" && block["tool_use_id"] == id).then(|| {
                    (
                        harness::flatten_text(&block["content"]),
                        block["is_error"].as_bool().unwrap_or(false),
                    )
                })
            })
        })
    })
}

/// The scripted Claude model, for requests that offer tools: first `ToolSearch` for every
/// catalog name (when offered), then a `Write` of [`FORBIDDEN_FILE`] (offered or not), then a
/// final message. Requests without tools (Claude Code's side queries) get the final message.
fn claude_responder(select: String) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        let body = match claude::messages_body(req) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let tools = claude_tool_names(&body);
        let used: Vec<&str> = body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["role"] == "assistant")
            .flat_map(|m| m["content"].as_array().into_iter().flatten())
            .filter_map(|b| b["id"].as_str())
            .collect();
        let block = if tools.is_empty() || used.contains(&CLAUDE_WRITE_ID) {
            json!({"type": "text", "text": claude::FINAL_TEXT})
        } else if tools.iter().any(|t| t == "ToolSearch") && !used.contains(&CLAUDE_SEARCH_ID) {
            json!({"type": "tool_use", "id": CLAUDE_SEARCH_ID, "name": "ToolSearch",
                   "input": {"query": select, "max_results": 200}})
        } else {
            json!({"type": "tool_use", "id": CLAUDE_WRITE_ID, "name": "Write",
                   "input": {"file_path": FORBIDDEN_FILE, "content": "written by a summarisation task\n"}})
        };
        claude::stream_message(body["model"].as_str().unwrap_or("claude-e2e"), &block)
    }
}

/// One `claude -p` run with the exported settings in the workspace's `.claude/settings.json`;
/// `enable_tool_search` sets `ENABLE_TOOL_SEARCH` in its environment.
fn run_claude_governed(
    claude_bin: &Path,
    sandbox: &Sandbox,
    manifest: &Manifest,
    enable_tool_search: Option<&str>,
) -> (harness::RunOutput, Vec<Value>, Vec<String>) {
    let select = format!(
        "select:{}",
        manifest.all().cloned().collect::<Vec<_>>().join(",")
    );
    let server = ModelServer::start(claude_responder(select));
    let mut cmd = Command::new(claude_bin);
    cmd.args([
        "-p",
        TASK,
        "--output-format",
        "stream-json",
        "--verbose",
        "--dangerously-skip-permissions",
    ]);
    claude::model_env(harness::sandboxed(&mut cmd, sandbox), &server.base_url());
    // --dangerously-skip-permissions, so that nothing but layer 1 keeps a tool from running; as
    // root Claude Code accepts it only in a sandbox.
    cmd.env("IS_SANDBOX", "1");
    if let Some(value) = enable_tool_search {
        cmd.env("ENABLE_TOOL_SEARCH", value);
    }
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let raw = server.requests();
    drop(server);
    let summaries = raw.iter().map(Request::summary).collect();
    (output, claude_requests(&raw), summaries)
}

#[test]
fn summarise_offers_only_granted_tools() {
    let test = "governor::claude::summarise_offers_only_granted_tools";
    let Some(claude_bin) = harness::runtime("claude", test) else {
        return;
    };
    let sandbox = Sandbox::new("gov-claude");
    let manifest = manifest(&sandbox, "claude");
    let settings = sandbox.work.join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("create .claude");
    export(&sandbox, "claude", &settings, &[], &[]);
    let section = export_agents_md(&sandbox, "claude");

    // Both modes run before the tool lists are judged, so that a failure reports both.
    let mut problems = Vec::new();
    for tool_search in [true, false] {
        let mode = if tool_search {
            "tool search as configured"
        } else {
            "ENABLE_TOOL_SEARCH=false"
        };
        let (output, requests, summaries) = run_claude_governed(
            &claude_bin,
            &sandbox,
            &manifest,
            (!tool_search).then_some("false"),
        );
        let describe = || {
            format!(
                "claude run ({mode}): {}\nmodel server saw: {summaries:#?}",
                output.describe()
            )
        };
        eprintln!("{test} ({mode}): took {:?}", output.elapsed);
        assert!(output.status.is_some_and(|s| s.success()), "{}", describe());
        let with_tools: Vec<Value> = requests
            .iter()
            .filter(|b| !claude_tool_names(b).is_empty())
            .cloned()
            .collect();
        assert!(
            !with_tools.is_empty(),
            "Claude Code never offered the model a tool\n{}",
            describe()
        );
        for body in &with_tools {
            let tools = claude_tool_names(body);
            if tools
                .iter()
                .any(|t| t == "ToolSearch" || t == "DeferredToolPlaceholder")
            {
                assert!(
                    claude_deferred(body).is_some(),
                    "tool search is on ({tools:?}) but no deferred-tools message was found; has its wording changed?\n{}",
                    describe()
                );
            }
        }

        assert_section_reached("claude", &section, &requests, &describe);

        if let Some((result, _)) = claude_tool_result(&requests, CLAUDE_SEARCH_ID) {
            let found: BTreeSet<String> = claude_offered(&requests)
                .into_iter()
                .filter(|(_, place)| place.ends_with("ToolSearch result"))
                .map(|(name, _)| name)
                .collect();
            eprintln!(
                "{test} ({mode}): ToolSearch for every catalog name loaded {found:?} {result}"
            );
            let catalog: BTreeSet<&String> = manifest.all().collect();
            let deferred_in_catalog = with_tools
                .first()
                .and_then(claude_deferred)
                .is_some_and(|names| names.iter().any(|n| catalog.contains(n)));
            assert!(
                !found.is_empty() || !deferred_in_catalog,
                "the ToolSearch result could not be read, so the deferred tools it loads went unchecked: {result}\n{}",
                describe()
            );
        }
        let (result, is_error) =
            claude_tool_result(&requests, CLAUDE_WRITE_ID).unwrap_or_else(|| {
                panic!(
                    "the model never got an answer to its Write call\n{}",
                    describe()
                )
            });
        eprintln!("{test} ({mode}): Write was answered with (is_error={is_error}) {result}");
        assert!(
            is_error,
            "the forced Write call did not fail: {result}\n{}",
            describe()
        );
        assert_not_written("claude", &sandbox, &describe);
        let offered = claude_offered(&requests);
        if let Some(problem) = offered_outside(
            &format!("claude ({mode})"),
            &offered,
            &manifest.granted,
            &manifest,
            CLAUDE_HINTS,
        ) {
            problems.push(format!(
                "{problem}\nclaude run ({mode}): model server saw: {summaries:#?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The tools a run offered: in `tools`, in the deferred-tools message, and through `ToolSearch`.
fn offered_set(requests: &[Value]) -> BTreeSet<String> {
    claude_offered(requests)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// Pins the facts docs/enforcement.md states for Claude Code 2.1.329: `permissions.deny` with
/// bare names removes every denied tool from `tools`, from the deferred list and from what
/// `ToolSearch` can load, except `DeferredToolPlaceholder`; `"env": {"ENABLE_TOOL_SEARCH": "false"}` in the same settings
/// removes that one (and `ToolSearch`), even when the process environment says `true`.
#[test]
fn deny_list_and_settings_env_hide_every_denied_tool() {
    let test = "governor::claude::deny_list_and_settings_env_hide_every_denied_tool";
    let Some(claude_bin) = harness::runtime("claude", test) else {
        return;
    };
    let sandbox = Sandbox::new("gov-claude-facts");
    let manifest = manifest(&sandbox, "claude");
    let settings = sandbox.work.join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("create .claude");
    // The manifest grants the placeholder (it belongs to tool search); deny it here anyway, to
    // pin that a deny list cannot remove it.
    let mut denied = manifest.denied.clone();
    denied.insert("DeferredToolPlaceholder".to_owned());
    let deny = json!({"permissions": {"deny": denied}});

    // The deny list alone: only the placeholder of deferred loading stays.
    std::fs::write(&settings, deny.to_string()).expect("write settings.json");
    let (output, requests, _) = run_claude_governed(&claude_bin, &sandbox, &manifest, None);
    let offered = offered_set(&requests);
    eprintln!("{test}: deny list alone -> {offered:?}");
    let denied_offered: BTreeSet<&String> = offered.intersection(&denied).collect();
    assert_eq!(
        denied_offered,
        BTreeSet::from([&"DeferredToolPlaceholder".to_owned()]),
        "with `permissions.deny` alone; offered {offered:?}\n{}",
        output.describe()
    );
    let loaded: BTreeSet<String> = claude_offered(&requests)
        .into_iter()
        .filter(|(_, place)| place.ends_with("ToolSearch result"))
        .map(|(name, _)| name)
        .collect();
    assert!(
        loaded.contains("WebFetch"),
        "ToolSearch for every catalog name should load the deferred, granted WebFetch: {loaded:?}\n{}",
        output.describe()
    );
    assert!(
        offered.contains("ToolSearch"),
        "tool search should be on: {offered:?}"
    );

    // With the settings' env turning tool search off, over a process env turning it on.
    let mut with_env = deny;
    with_env["env"] = json!({"ENABLE_TOOL_SEARCH": "false"});
    std::fs::write(&settings, with_env.to_string()).expect("write settings.json");
    let (output, requests, _) = run_claude_governed(&claude_bin, &sandbox, &manifest, Some("true"));
    let offered = offered_set(&requests);
    eprintln!("{test}: deny list + settings env ENABLE_TOOL_SEARCH=false -> {offered:?}");
    assert!(
        offered.is_subset(&manifest.granted)
            && !offered.contains("ToolSearch")
            && !offered.contains("DeferredToolPlaceholder")
            && !offered.is_empty(),
        "with the settings' env: offered {offered:?}, granted {:?}\n{}",
        manifest.granted,
        output.describe()
    );
}
