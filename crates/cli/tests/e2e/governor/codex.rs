//! Codex CLI 0.169: the exported profile (`codex exec --profile`), its tools and `tool_search`,
//! and `apply_patch` refused by the read-only sandbox.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::{
    FORBIDDEN_FILE, Manifest, TASK, assert_not_written, assert_only_allowed,
    assert_section_reached, export, export_agents_md, manifest,
};
use crate::codex;
use crate::harness::{self, Sandbox};
use crate::model_server::{ModelServer, Request, Response};

const CODEX_PROFILE: &str = "aethelgard-summarise";
/// The profile keys verified on Codex 0.169.0 to remove each tool (docs/enforcement.md).
const CODEX_HINTS: &[(&str, &str)] = &[
    ("exec_command", "`[features] shell_tool = false`"),
    ("write_stdin", "`[features] shell_tool = false`"),
    ("web_search", "`web_search = \"disabled\"`"),
    ("get_goal", "`[features] goals = false`"),
    ("create_goal", "`[features] goals = false`"),
    ("update_goal", "`[features] goals = false`"),
    (
        "request_user_input",
        "`[tools] experimental_request_user_input = { enabled = false }`",
    ),
    ("spawn_agent", "`[features] multi_agent = false`"),
    ("send_input", "`[features] multi_agent = false`"),
    ("resume_agent", "`[features] multi_agent = false`"),
    ("wait_agent", "`[features] multi_agent = false`"),
    ("close_agent", "`[features] multi_agent = false`"),
];
const CODEX_PATCH_CALL: &str = "call_gov_patch";
const CODEX_SEARCH_CALL: &str = "call_gov_search";

/// The patch the scripted model sends: it adds [`FORBIDDEN_FILE`] to the workspace.
fn forbidden_patch() -> String {
    format!(
        "*** Begin Patch\n*** Add File: {FORBIDDEN_FILE}\n+written by a summarisation task\n*** End Patch\n"
    )
}

/// The names of a Responses API tool list (namespaces flattened to their tools; built-in tools
/// without a name, such as `web_search`, by their type).
fn codex_tool_names(tools: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for tool in tools.as_array().into_iter().flatten() {
        if tool["type"] == "namespace" {
            names.extend(codex_tool_names(&tool["tools"]));
        } else if let Some(name) = tool["name"].as_str().or(tool["type"].as_str()) {
            names.push(name.to_owned());
        }
    }
    names
}

fn codex_requests(requests: &[Request]) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path().ends_with("/responses"))
        .filter_map(Request::json)
        .collect()
}

/// Every tool a Codex request offers: its `tools` array and the tools `tool_search` returned.
fn codex_offered(requests: &[Value]) -> Vec<(String, String)> {
    let mut offered = Vec::new();
    for (i, body) in requests.iter().enumerate() {
        for name in codex_tool_names(&body["tools"]) {
            offered.push((name, format!("request {i} `tools`")));
        }
        for item in body["input"].as_array().into_iter().flatten() {
            if item["type"] == "tool_search_output" {
                for name in codex_tool_names(&item["tools"]) {
                    offered.push((name, format!("request {i} tool_search_output")));
                }
            }
        }
    }
    offered
}

fn codex_output(requests: &[Value], call_id: &str) -> Option<Value> {
    requests.iter().find_map(|body| {
        body["input"]
            .as_array()?
            .iter()
            .find(|item| {
                item["call_id"] == call_id
                    && item["type"]
                        .as_str()
                        .is_some_and(|t| t.ends_with("_output"))
            })
            .cloned()
    })
}

/// The scripted Codex model: first `tool_search` (when offered) with every catalog name as the
/// query, then `apply_patch` adding [`FORBIDDEN_FILE`], then a final message.
fn codex_responder(query: String) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        let body = match codex::responses_body(req) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let has = |t: &str| {
            body["input"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["type"] == t))
        };
        let offers_search = codex_tool_names(&body["tools"])
            .iter()
            .any(|n| n == "tool_search");
        let item = if offers_search && !has("tool_search_output") {
            json!({
                "type": "tool_search_call", "id": "tsc_gov", "call_id": CODEX_SEARCH_CALL,
                "status": "completed", "execution": "client",
                "arguments": {"query": query, "limit": 200}
            })
        } else if !has("custom_tool_call_output") {
            json!({
                "type": "custom_tool_call", "id": "ctc_gov", "call_id": CODEX_PATCH_CALL,
                "name": "apply_patch", "input": forbidden_patch(), "status": "completed"
            })
        } else {
            json!({
                "type": "message", "id": "msg_gov", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": codex::FINAL_TEXT, "annotations": []}]
            })
        };
        codex::item_turn(&item)
    }
}

struct CodexGovernorRun {
    output: harness::RunOutput,
    requests: Vec<Value>,
    summaries: Vec<String>,
}

impl CodexGovernorRun {
    fn describe(&self) -> String {
        format!(
            "codex run: {}\nmodel server saw: {:#?}",
            self.output.describe(),
            self.summaries
        )
    }
}

/// Which profile a run selects.
enum Profile<'a> {
    /// None: Codex with the sandbox's `config.toml` alone.
    None,
    /// The one `aethelgard export codex` writes.
    Exported,
    /// This text, written by the test.
    Written(&'a str),
}

/// One `codex exec` run in `sandbox` (its CODEX_HOME from [`codex::codex_home`], which sets
/// `sandbox_mode = "danger-full-access"` and `approval_policy = "never"`), with `profile`.
fn run_codex(
    codex_bin: &Path,
    sandbox: &Sandbox,
    manifest: &Manifest,
    profile: Profile,
) -> CodexGovernorRun {
    let query = manifest.all().cloned().collect::<Vec<_>>().join(" ");
    let server = ModelServer::start(codex_responder(format!(
        "{query} agent subagent spawn mcp resource"
    )));
    let codex_home = codex::codex_home(sandbox, &server.base_url(), "");
    let mut cmd = Command::new(codex_bin);
    cmd.args(["exec", "--skip-git-repo-check", "--json"]);
    let profile_file = codex_home.join(format!("{CODEX_PROFILE}.config.toml"));
    match profile {
        Profile::None => {}
        Profile::Exported => {
            export(
                sandbox,
                "codex",
                &profile_file,
                &[],
                &[("CODEX_HOME", &codex_home)],
            );
        }
        Profile::Written(text) => std::fs::write(&profile_file, text).expect("write the profile"),
    }
    if !matches!(profile, Profile::None) {
        cmd.args(["--profile", CODEX_PROFILE]);
    }
    cmd.arg("-C").arg(&sandbox.work).arg(TASK);
    harness::sandboxed(&mut cmd, sandbox).env("CODEX_HOME", &codex_home);
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let raw = server.requests();
    drop(server);
    CodexGovernorRun {
        output,
        requests: codex_requests(&raw),
        summaries: raw.iter().map(Request::summary).collect(),
    }
}

fn offered_set(run: &CodexGovernorRun) -> BTreeSet<String> {
    codex_offered(&run.requests)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn summarise_offers_only_granted_tools() {
    let test = "governor::codex::summarise_offers_only_granted_tools";
    let Some(codex_bin) = harness::runtime("codex", test) else {
        return;
    };

    // Control: the same scripted model without the profile. Its apply_patch must write (so the
    // call is well formed) and its tool_search must find deferred tools (so the probe works).
    let control_sandbox = Sandbox::new("gov-codex-control");
    let manifest = manifest(&control_sandbox, "codex");
    let control = run_codex(&codex_bin, &control_sandbox, &manifest, Profile::None);
    let describe_control = || control.describe();
    eprintln!(
        "{test}: control run (no profile) took {:?}",
        control.output.elapsed
    );
    assert!(
        control_sandbox.work.join(FORBIDDEN_FILE).is_file(),
        "control: the scripted apply_patch did not write {FORBIDDEN_FILE}, so the governed run could not prove anything\n{}",
        describe_control()
    );
    let control_offered = offered_set(&control);
    eprintln!("{test}: without the profile Codex offered {control_offered:?}");
    assert!(
        control_offered.contains("exec_command") && control_offered.contains("spawn_agent"),
        "control: expected the shell in `tools` and the deferred spawn_agent through tool_search: {control_offered:?}\n{}",
        describe_control()
    );

    // Governed: the exported profile, selected with --profile.
    let sandbox = Sandbox::new("gov-codex");
    let section = export_agents_md(&sandbox, "codex");
    let run = run_codex(&codex_bin, &sandbox, &manifest, Profile::Exported);
    let describe = || run.describe();
    eprintln!("{test}: governed run took {:?}", run.output.elapsed);
    assert!(
        run.output.status.is_some_and(|s| s.success()),
        "{}",
        describe()
    );
    assert!(
        !run.requests.is_empty(),
        "Codex never asked the model\n{}",
        describe()
    );

    assert_section_reached("codex", &section, &run.requests, &describe);

    let patch_output = codex_output(&run.requests, CODEX_PATCH_CALL).unwrap_or_else(|| {
        panic!(
            "the model never got an answer to its apply_patch call\n{}",
            describe()
        )
    });
    eprintln!("{test}: apply_patch was answered with {patch_output}");
    assert_not_written("codex", &sandbox, &describe);

    // Codex 0.169 cannot hide apply_patch (docs/enforcement.md); the sandbox stopped it above.
    let mut allowed = manifest.granted.clone();
    allowed.insert("apply_patch".to_owned());
    assert_only_allowed(
        "codex",
        &codex_offered(&run.requests),
        &allowed,
        &manifest,
        CODEX_HINTS,
        &describe,
    );
}

/// Each profile key the exporter may use, alone in a profile over a permissive `config.toml`, and
/// the tools it removes from what Codex 0.169 offers (in `tools` or through `tool_search`).
/// `[features] multi_agent = false` leaves nothing deferred, so `tool_search` itself goes too.
const CODEX_KEYS: &[(&str, &[&str])] = &[
    ("web_search = \"disabled\"", &["web_search"]),
    (
        "[features]\nshell_tool = false",
        &["exec_command", "write_stdin"],
    ),
    (
        "[features]\ngoals = false",
        &["get_goal", "create_goal", "update_goal"],
    ),
    (
        "[features]\nmulti_agent = false",
        &[
            "spawn_agent",
            "send_input",
            "resume_agent",
            "wait_agent",
            "close_agent",
            "tool_search",
        ],
    ),
    (
        "[tools]\nexperimental_request_user_input = { enabled = false }",
        &["request_user_input"],
    ),
];

/// Pins the facts docs/enforcement.md states for Codex: each key removes exactly its tools.
#[test]
fn each_profile_key_removes_exactly_its_tools() {
    let test = "governor::codex::each_profile_key_removes_exactly_its_tools";
    let Some(codex_bin) = harness::runtime("codex", test) else {
        return;
    };
    let base_sandbox = Sandbox::new("gov-codex-keys");
    let manifest = manifest(&base_sandbox, "codex");
    let base = run_codex(&codex_bin, &base_sandbox, &manifest, Profile::None);
    let base_offered = offered_set(&base);
    eprintln!("{test}: with no profile Codex offers {base_offered:?}");
    let mut problems = Vec::new();
    for (key, removes) in CODEX_KEYS {
        let removes: BTreeSet<String> = removes.iter().map(|t| (*t).to_owned()).collect();
        assert!(
            removes.is_subset(&base_offered),
            "the baseline lacks some of {removes:?}, so `{key}` cannot be checked: {base_offered:?}\n{}",
            base.describe()
        );
        let sandbox = Sandbox::new("gov-codex-key");
        let run = run_codex(&codex_bin, &sandbox, &manifest, Profile::Written(key));
        let offered = offered_set(&run);
        let expected: BTreeSet<String> = base_offered.difference(&removes).cloned().collect();
        eprintln!("{test}: `{}` -> {offered:?}", key.replace('\n', " "));
        if offered != expected {
            problems.push(format!(
                "`{}`: offered {offered:?}, expected {expected:?}\n{}",
                key.replace('\n', " "),
                run.describe()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
