//! The exporters: what each writes for a task (snapshots), and that editing a real-looking user
//! configuration keeps its comments and keys, changes only what the exporter owns, changes nothing
//! when run twice, and can be taken back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_governor::Governor;
use aethelgard_governor::export::{self, Export, Owned, Scope, agents_md, claude, codex, codex_rules, openclaw};
use aethelgard_policy::{Catalog, ToolEntry};
use aethelgard_protocol::Manifest;
use std::path::PathBuf;

const HOOK: &str = "/usr/local/bin/aethelgard hook claude";

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/configs").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The default policy plus a task type that may read GitHub issues through MCP.
fn governor() -> Governor {
    let text = format!(
        "{}\n[profiles.triage]\ndescription = \"Sort incoming issues: read the code and the issue tracker.\"\nextends = \"local-read\"\nrisk = [\"network\"]\ntools = [\"mcp__github__get_issue\", \"mcp__github__list_*\"]\n",
        aethelgard_policy::DEFAULT_POLICY
    );
    let (file, catalog) = aethelgard_policy::parse(&text, "test policy", None).unwrap();
    Governor::new(&file, catalog).unwrap()
}

/// Everything an exporter needs for one task type over one runtime's catalog.
struct Task {
    manifest: Manifest,
    description: String,
    profile_tools: Vec<String>,
    tools: Vec<ToolEntry>,
}

impl Task {
    fn new(governor: &Governor, task_type: &str, runtime: Option<&str>, extra: &[String]) -> Self {
        let tools = match runtime {
            Some(runtime) => Catalog::builtin(runtime).unwrap(),
            None => governor.catalog().tools().to_vec(),
        };
        let mut available: Vec<String> = tools.iter().map(|t| t.name.clone()).collect();
        available.extend(extra.iter().cloned());
        let scoped = governor.scope(None, Some(task_type), Some(&available)).unwrap();
        let profile = governor.profile(&scoped.profile).unwrap();
        Self { manifest: scoped.manifest, description: profile.description.clone(), profile_tools: profile.tools.clone(), tools }
    }

    fn scope(&self) -> Scope<'_> {
        Scope { manifest: &self.manifest, description: &self.description, tools: &self.tools }
    }
}

/// A few of the default policy's protected paths, one of each shape (folder, glob, absolute,
/// file), so the snapshots stay readable.
static SECRET_PATHS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    ["~/.ssh", "**/.env", "/etc/shadow", "~/.docker/config.json"].map(str::to_owned).to_vec()
});

#[test]
fn claude_read_denials_cover_every_protected_path_in_claude_syntax() {
    let rules = claude::secret_read_rules(&SECRET_PATHS);
    // A name without an extension may be a folder (`~/.ssh`) or a file (`/etc/shadow`): both
    // forms are denied, which costs nothing for a file.
    assert_eq!(
        rules,
        ["Read(~/.ssh)", "Read(~/.ssh/**)", "Read(**/.env)", "Read(//etc/shadow)", "Read(//etc/shadow/**)", "Read(~/.docker/config.json)"]
    );
    let governor = Governor::builtin().unwrap();
    let all = claude::secret_read_rules(governor.protected_paths());
    assert!(all.len() >= governor.protected_paths().len());
    for needed in ["Read(~/.aws/**)", "Read(**/.env.*)", "Read(//proc/*/environ)", "Read(~/.netrc)"] {
        assert!(all.iter().any(|r| r == needed), "{needed} missing from {all:?}");
    }
}

#[test]
fn claude_never_denies_reading_the_home_or_the_project() {
    use std::path::Path;
    let paths: Vec<String> = ["/root", "/etc/shadow", "~/.ssh", "**/.env", "/home"].map(str::to_owned).to_vec();
    // Working as root in /root/src/app: `/root` would hide the project (and its CLAUDE.md).
    let kept = claude::deniable_paths(&paths, Some(Path::new("/root")), &[Path::new("/root/src/app")]);
    assert_eq!(kept, ["/etc/shadow", "~/.ssh", "**/.env", "/home"]);
    // An ordinary user: `/root` is someone else's home and stays denied; `/home` holds theirs.
    let kept = claude::deniable_paths(&paths, Some(Path::new("/home/dev")), &[Path::new("/srv/app")]);
    assert_eq!(kept, ["/root", "/etc/shadow", "~/.ssh", "**/.env"]);
}

fn claude_options(task: &Task) -> claude::Options<'_> {
    claude::Options { hook_command: Some(HOOK), profile_tools: &task.profile_tools, secret_paths: &SECRET_PATHS }
}

fn codex_profile(governor: &Governor, task_type: &str, existing: Option<&str>, previous: &Owned, main: &str) -> Export {
    let servers = codex::mcp_servers(main).unwrap();
    let extra: Vec<String> = servers.iter().flat_map(codex::McpServer::qualified).collect();
    let task = Task::new(governor, task_type, Some("codex"), &extra);
    let options = codex::Options {
        profile_name: &format!("aethelgard-{task_type}"),
        servers: &servers,
        profile_tools: &task.profile_tools,
        main_uses_permissions: false,
        ..Default::default()
    };
    codex::export(&task.scope(), existing, previous, &options).unwrap()
}

fn json(text: &str) -> serde_json::Value {
    let root = jsonc_value(text);
    root.unwrap_or_else(|| panic!("not JSON: {text}"))
}

fn json5(text: &str) -> serde_json::Value {
    let root = jsonc_parser::cst::CstRootNode::parse(text, &jsonc_parser::ParseOptions::default()).unwrap();
    root.value().unwrap().to_serde_value().unwrap()
}

fn jsonc_value(text: &str) -> Option<serde_json::Value> {
    // The exporters' JSON must stay valid JSON where the input was JSON.
    serde_json::from_str(text).ok()
}

/// Applies an export and checks that running it again on its own output changes nothing.
fn twice(first: &Export, again: impl Fn(&str, &Owned) -> Export) {
    let second = again(&first.text, &first.owned);
    assert_eq!(second.text, first.text, "a second export changed the file");
    assert_eq!(second.owned, first.owned, "a second export changed the record");
    assert!(second.changes.is_empty(), "a second export reported changes: {:?}", second.changes);
}

// ---------------------------------------------------------------------------------------------
// What each exporter writes for a new file (the whole file, as `export` without --file prints it)

#[test]
fn agents_md_sections() {
    let governor = governor();
    for (task_type, runtime) in [("summarise", "claude"), ("implement", "codex"), ("communicate", "openclaw")] {
        let task = Task::new(&governor, task_type, Some(runtime), &[]);
        let export = agents_md::export(&task.scope(), None).unwrap();
        insta::assert_snapshot!(format!("agents_md_{task_type}_{runtime}"), export.text);
    }
}

#[test]
fn claude_settings_for_new_files() {
    let governor = governor();
    for task_type in ["summarise", "review", "implement"] {
        let task = Task::new(&governor, task_type, Some("claude"), &[]);
        let export = claude::export(&task.scope(), None, &Owned::default(), &claude_options(&task)).unwrap();
        let value = json(&export.text);
        let secrets = claude::secret_read_rules(&SECRET_PATHS).len();
        assert_eq!(value["permissions"]["deny"].as_array().unwrap().len(), task.manifest.denied.len() + secrets);
        insta::assert_snapshot!(format!("claude_{task_type}"), export.text);
    }
}

#[test]
fn codex_profiles_for_new_files() {
    let governor = governor();
    for task_type in ["summarise", "review", "implement", "research"] {
        let export = codex_profile(&governor, task_type, None, &Owned::default(), "");
        insta::assert_snapshot!(format!("codex_{task_type}"), export.text);
        let _: toml::Table = toml::from_str(&export.text).unwrap();
    }
}

#[test]
fn codex_profiles_make_writes_impossible_without_a_write_tool() {
    let governor = governor();
    for task_type in governor.task_types() {
        let task = Task::new(&governor, &task_type, Some("codex"), &[]);
        let writes = task.scope().grants_tag(aethelgard_protocol::RiskTag::Write);
        let export = codex_profile(&governor, &task_type, None, &Owned::default(), "");
        let doc: toml::Table = toml::from_str(&export.text).unwrap();
        let sandbox = doc["sandbox_mode"].as_str().unwrap();
        if writes {
            assert_eq!(sandbox, "workspace-write", "{task_type}");
        } else {
            assert_eq!(sandbox, "read-only", "{task_type}");
            assert_eq!(doc["approval_policy"].as_str(), Some("never"), "{task_type}: no escalation out of the sandbox");
        }
        let shell = task.manifest.granted.iter().any(|t| t == "exec_command" || t == "Bash");
        assert_eq!(doc.get("features").and_then(|f| f.get("shell_tool")).is_some(), !shell, "{task_type}");
    }
}

#[test]
fn openclaw_configs_for_new_files() {
    let governor = governor();
    for task_type in ["summarise", "implement", "unknown"] {
        let task = Task::new(&governor, task_type, Some("openclaw"), &[]);
        let options = openclaw::Options { agent: None, profile_tools: &task.profile_tools, ..Default::default() };
        let export = openclaw::export(&task.scope(), None, &Owned::default(), &options).unwrap();
        insta::assert_snapshot!(format!("openclaw_{task_type}"), export.text);
    }
}

#[test]
fn openclaw_deny_compresses_whole_groups_and_covers_every_denied_tool() {
    let governor = governor();
    let task = Task::new(&governor, "summarise", Some("openclaw"), &[]);
    let options = openclaw::Options { agent: None, profile_tools: &task.profile_tools, ..Default::default() };
    let export = openclaw::export(&task.scope(), None, &Owned::default(), &options).unwrap();
    let value = json(&export.text);
    let deny: Vec<&str> = value["tools"]["deny"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(deny.contains(&"group:runtime"), "{deny:?}");
    for name in &task.manifest.denied {
        if name == "cron" || name == "image" {
            continue; // aliases of automations and view_image
        }
        let group = task.tools.iter().find(|t| &t.name == name).and_then(|t| t.group.clone()).unwrap();
        assert!(deny.contains(&name.as_str()) || deny.contains(&format!("group:{group}").as_str()), "{name} is not denied: {deny:?}");
    }
    let allow = value["tools"]["allow"].as_array().unwrap();
    assert_eq!(allow.len(), task.manifest.granted.len());
}

#[test]
fn codex_rules_from_the_default_policy() {
    let (file, _) = aethelgard_policy::default_policy().unwrap();
    let rules = codex_rules::export(&file.rules);
    assert!(rules.exported.contains(&"privilege-escalation".to_owned()), "{:?}", rules.exported);
    assert!(rules.skipped.iter().any(|(id, _)| id == "rm-recursive-outside-workspace"));
    // `disk-destruction` lists `mkfs.*`, a glob Codex cannot express: all or nothing.
    assert!(rules.skipped.iter().any(|(id, _)| id == "disk-destruction"));
    insta::assert_snapshot!("codex_rules_default", rules.text);
}

/// The real Codex checks each rule's examples when it loads the file, and decides as we say.
#[test]
fn codex_rules_load_in_the_real_codex() {
    let codex = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.e2e/node_modules/.bin/codex");
    if !codex.exists() {
        eprintln!("skipped: {} is not installed (scripts/install-e2e.sh)", codex.display());
        return;
    }
    let (file, _) = aethelgard_policy::default_policy().unwrap();
    let rules = codex_rules::export(&file.rules);
    let dir = std::env::temp_dir().join(format!("aethelgard-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("aethelgard.rules");
    std::fs::write(&path, &rules.text).unwrap();
    let check = |words: &[&str]| -> serde_json::Value {
        let out = std::process::Command::new(&codex)
            .env("CODEX_HOME", &dir)
            .args(["execpolicy", "check", "--rules"])
            .arg(&path)
            .arg("--")
            .args(words)
            .output()
            .unwrap();
        assert!(out.status.success(), "codex execpolicy check failed: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
    };
    assert_eq!(check(&["sudo", "apt-get", "install", "jq"])["decision"], "forbidden");
    assert_eq!(check(&["shutdown", "-h", "now"])["decision"], "forbidden");
    assert_eq!(check(&["git", "status"])["matchedRules"], serde_json::json!([]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn codex_hook_trust_hash_is_the_hash_of_the_normalised_group() {
    use sha2::{Digest, Sha256};
    let command = "/usr/local/bin/aethelgard hook codex";
    let canonical = serde_json::json!({
        "event_name": "pre_tool_use",
        "hooks": [{"async": false, "command": command, "timeout": codex::hooks::TIMEOUT_S, "type": "command"}],
        "matcher": codex::hooks::MATCHER,
    })
    .to_string();
    let hex: String = Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(codex::hooks::trusted_hash(command), format!("sha256:{hex}"));
}

#[test]
fn codex_hooks_json_and_trust_are_idempotent_and_revert() {
    let command = "/usr/local/bin/aethelgard hook codex";
    let (hooks, index) = codex::hooks::hooks_json(None, &Owned::default(), command).unwrap();
    assert_eq!(index, 0);
    insta::assert_snapshot!("codex_hooks_json", hooks.text);
    let (again, again_index) = codex::hooks::hooks_json(Some(&hooks.text), &hooks.owned, command).unwrap();
    assert_eq!((again.text.as_str(), again_index), (hooks.text.as_str(), 0));

    let main = fixture("codex-config.toml");
    let trust = codex::hooks::trust(Some(&main), &Owned::default(), "/home/dev/.codex/hooks.json", index, command).unwrap();
    insta::assert_snapshot!("codex_config_trusted", trust.text);
    assert!(trust.text.starts_with("# My Codex setup."));
    twice(&trust, |text, owned| codex::hooks::trust(Some(text), owned, "/home/dev/.codex/hooks.json", index, command).unwrap());
    // `hooks = true` was already there: the user's, so taking ours back leaves it.
    let reverted = codex::revert(&trust.text, &trust.owned).unwrap();
    assert_eq!(reverted.text, main);
}

// ---------------------------------------------------------------------------------------------
// Round trips on user configurations with comments

#[test]
fn agents_md_keeps_the_text_around_the_section() {
    let governor = governor();
    let original = fixture("AGENTS.md");
    let task = Task::new(&governor, "review", Some("codex"), &[]);
    let export = agents_md::export(&task.scope(), Some(&original)).unwrap();
    assert!(export.text.starts_with("# Project notes for agents\n\nBuild with `cargo build`"));
    assert!(export.text.ends_with("## Style\n\n- Keep functions short.\n- Write tests first.\n"));
    assert!(!export.text.contains("An older section"));
    insta::assert_snapshot!("agents_md_round_trip", export.text);
    twice(&export, |text, _| agents_md::export(&task.scope(), Some(text)).unwrap());
    // A file without the markers gets the section at the end, the rest untouched.
    let plain = "# Notes\n\nNothing else.\n";
    let appended = agents_md::export(&task.scope(), Some(plain)).unwrap();
    assert!(appended.text.starts_with("# Notes\n\nNothing else.\n\n<!-- aethelgard:begin -->"));
    // CRLF files stay CRLF.
    let crlf = agents_md::export(&task.scope(), Some("# Notes\r\n")).unwrap();
    assert!(!crlf.text.replace("\r\n", "").contains('\n'));
}

#[test]
fn agents_md_refuses_half_a_section() {
    let governor = governor();
    let task = Task::new(&governor, "review", Some("codex"), &[]);
    assert!(agents_md::export(&task.scope(), Some("<!-- aethelgard:begin -->\nno end\n")).is_err());
}

#[test]
fn claude_settings_round_trip() {
    let governor = governor();
    let original = fixture("claude-settings.json");
    let (mcp, servers) = claude::mcp_names(&original).unwrap();
    assert_eq!(mcp, vec!["mcp__github__get_issue"]);
    assert_eq!(servers, vec!["github", "linear"]);

    let task = Task::new(&governor, "triage", Some("claude"), &mcp);
    let export = claude::export(&task.scope(), Some(&original), &Owned::default(), &claude_options(&task)).unwrap();
    insta::assert_snapshot!("claude_round_trip_triage", export.text);
    let value = json(&export.text);
    let before = json(&original);
    // The user's keys are untouched.
    for key in ["$schema", "model", "enabledMcpjsonServers", "env"] {
        assert_eq!(value[key], before[key], "{key}");
    }
    assert_eq!(value["permissions"]["allow"], before["permissions"]["allow"]);
    assert_eq!(value["permissions"]["ask"], before["permissions"]["ask"]);
    assert_eq!(value["hooks"]["PostToolUse"], before["hooks"]["PostToolUse"]);
    let deny: Vec<&str> = value["permissions"]["deny"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(&deny[..2], &["Read(./.env)", "WebSearch"], "the user's entries stay first");
    assert!(deny.contains(&"Bash") && deny.contains(&"mcp__linear"), "{deny:?}");
    assert!(!deny.contains(&"mcp__github"), "github holds a granted tool: {deny:?}");
    assert!(!deny.contains(&"mcp__github__get_issue"));
    // `WebSearch` was the user's: not ours to take back.
    assert!(!export.owned.entries[0].values.contains(&"WebSearch".to_owned()));
    twice(&export, |text, owned| claude::export(&task.scope(), Some(text), owned, &claude_options(&task)).unwrap());

    // Another task type takes back our entries that it does not want, never the user's.
    let research = Task::new(&governor, "research", Some("claude"), &mcp);
    let moved = claude::export(&research.scope(), Some(&export.text), &export.owned, &claude_options(&research)).unwrap();
    let deny: Vec<String> =
        json(&moved.text)["permissions"]["deny"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert!(deny.contains(&"WebSearch".to_owned()), "the user's own deny stays");
    assert!(!deny.contains(&"WebFetch".to_owned()), "research grants WebFetch");

    // Taking everything back gives the original settings.
    let reverted = claude::revert(&moved.text, &moved.owned).unwrap();
    assert_eq!(json(&reverted.text), before);
    assert!(reverted.owned.is_empty(), "{:?}", reverted.owned);
}

#[test]
fn claude_hook_is_not_registered_twice() {
    let governor = governor();
    let task = Task::new(&governor, "review", Some("claude"), &[]);
    let mut user = json(&fixture("claude-settings.json"));
    user["hooks"]["PreToolUse"] = serde_json::json!([{"matcher": "Bash", "hooks": [{"type": "command", "command": HOOK}]}]);
    let text = serde_json::to_string_pretty(&user).unwrap();
    let export = claude::export(&task.scope(), Some(&text), &Owned::default(), &claude_options(&task)).unwrap();
    assert_eq!(json(&export.text)["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
    assert!(export.owned.hooks.is_empty(), "the user registered it: not ours");
}

#[test]
fn codex_profile_round_trip() {
    let governor = governor();
    let main = fixture("codex-config.toml");
    let servers = codex::mcp_servers(&main).unwrap();
    assert_eq!(servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["github", "docs"]);
    let original = fixture("codex-profile.config.toml");

    let export = codex_profile(&governor, "triage", Some(&original), &Owned::default(), &main);
    insta::assert_snapshot!("codex_round_trip_triage", export.text);
    for kept in ["# My review profile: a faster model, and my own notes.", "model = \"gpt-5.5-mini\"   # cheaper for reviews", "web_search_request = true"] {
        assert!(export.text.contains(kept), "lost {kept:?}");
    }
    // The replaced value keeps its comment.
    assert!(export.text.contains("sandbox_mode = \"read-only\" # I trust reviews (we will see)"), "{}", export.text);
    let doc: toml::Table = toml::from_str(&export.text).unwrap();
    let github = &doc["mcp_servers"]["github"];
    assert_eq!(github["enabled_tools"], toml::Value::Array(vec!["get_issue".into(), "list_issues".into()]));
    assert_eq!(doc["mcp_servers"]["docs"]["enabled"], toml::Value::Boolean(false), "no profile tool can be on `docs`");
    twice(&export, |text, owned| codex_profile(&governor, "triage", Some(text), owned, &main));

    // Another task type: keys it does not set go back to the user's values.
    let implement = codex_profile(&governor, "implement", Some(&export.text), &export.owned, &main);
    assert!(implement.text.contains("view_image = true # screenshots in PRs"), "{}", implement.text);
    let doc: toml::Table = toml::from_str(&implement.text).unwrap();
    assert_eq!(doc["sandbox_mode"].as_str(), Some("workspace-write"));
    assert_eq!(doc["mcp_servers"]["github"].get("enabled"), Some(&toml::Value::Boolean(false)));
    twice(&implement, |text, owned| codex_profile(&governor, "implement", Some(text), owned, &main));

    // Everything taken back: the user's file as it was.
    let reverted = codex::revert(&implement.text, &implement.owned).unwrap();
    assert_eq!(reverted.text, original);
}

#[test]
fn codex_profile_leaves_a_key_the_user_changed_since() {
    let governor = governor();
    let export = codex_profile(&governor, "summarise", None, &Owned::default(), "");
    let edited = export.text.replace("web_search = \"disabled\"", "web_search = \"live\"");
    let reverted = codex::revert(&edited, &export.owned).unwrap();
    assert!(reverted.text.contains("web_search = \"live\""), "{}", reverted.text);
    assert!(!reverted.text.contains("sandbox_mode"));
}

#[test]
fn openclaw_round_trip_global_and_per_agent() {
    let governor = governor();
    let original = fixture("openclaw.json");
    assert_eq!(openclaw::mcp_servers(&original).unwrap(), vec!["github"]);
    let task = Task::new(&governor, "triage", Some("openclaw"), &[]);
    let global = openclaw::Options { agent: None, profile_tools: &task.profile_tools, ..Default::default() };
    let export = openclaw::export(&task.scope(), Some(&original), &Owned::default(), &global).unwrap();
    insta::assert_snapshot!("openclaw_round_trip_triage", export.text);
    for kept in [
        "// OpenClaw gateway config (JSON5). Edited by hand; keep the comments.",
        "gateway: { port: 18789, bind: 'loopback' },",
        "profile: 'coding', // local onboarding default",
        "name: \"Helper\", // a second agent for chores",
    ] {
        assert!(export.text.contains(kept), "lost {kept:?}:\n{}", export.text);
    }
    // `bash` (the user's) already denies exec: not added again.
    assert!(!export.text.contains("\"exec\""), "{}", export.text);
    assert!(export.text.contains("\"github__get_issue\"") && export.text.contains("\"github__list_*\""));
    twice(&export, |text, owned| openclaw::export(&task.scope(), Some(text), owned, &global).unwrap());
    let reverted = openclaw::revert(&export.text, &export.owned).unwrap();
    assert_eq!(reverted.text, original);

    let per_agent = openclaw::Options { agent: Some("helper"), profile_tools: &task.profile_tools, ..Default::default() };
    let agent = openclaw::export(&task.scope(), Some(&original), &Owned::default(), &per_agent).unwrap();
    insta::assert_snapshot!("openclaw_round_trip_triage_helper", agent.text);
    assert!(agent.text.contains("deny: [\"browser\""), "the agent's own deny list is kept and extended:\n{}", agent.text);
    twice(&agent, |text, owned| openclaw::export(&task.scope(), Some(text), owned, &per_agent).unwrap());
    // Keys added to a one-line object make it span lines; taking them back keeps the values.
    let reverted = openclaw::revert(&agent.text, &agent.owned).unwrap();
    assert_eq!(json5(&reverted.text), json5(&original));
    assert!(reverted.text.contains("name: \"Helper\", // a second agent for chores"));
}

#[test]
fn openclaw_legacy_agent_list() {
    let governor = governor();
    let task = Task::new(&governor, "summarise", Some("openclaw"), &[]);
    let original = "{\n  agents: { list: [ { id: \"main\" }, { id: \"docs\", name: \"Docs\" } ] },\n}\n";
    let options = openclaw::Options { agent: Some("docs"), profile_tools: &task.profile_tools, ..Default::default() };
    let export = openclaw::export(&task.scope(), Some(original), &Owned::default(), &options).unwrap();
    insta::assert_snapshot!("openclaw_legacy_list", export.text);
    twice(&export, |text, owned| openclaw::export(&task.scope(), Some(text), owned, &options).unwrap());
    assert_eq!(json5(&openclaw::revert(&export.text, &export.owned).unwrap().text), json5(original));
}

#[test]
fn openclaw_also_allow_means_deny_only() {
    let governor = governor();
    let task = Task::new(&governor, "summarise", Some("openclaw"), &[]);
    let original = "{ tools: { profile: \"coding\", alsoAllow: [\"message\"] } }\n";
    let options = openclaw::Options { agent: None, profile_tools: &task.profile_tools, ..Default::default() };
    let export = openclaw::export(&task.scope(), Some(original), &Owned::default(), &options).unwrap();
    assert!(!export.text.contains("\"allow\""), "{}", export.text);
    assert!(export.text.contains("\"deny\""));
    assert!(export.notes.iter().any(|n| n.contains("alsoAllow")));
}

#[test]
fn mcp_server_globs() {
    assert_eq!(openclaw::safe_server_name("Outlook Graph"), "outlook-graph");
    assert_eq!(openclaw::safe_server_name("1password"), "mcp-1password");
    assert_eq!(export::mcp_tool_name("github", "get_issue"), "mcp__github__get_issue");
}

// ---------------------------------------------------------------------------------------------
// `--mcp-proxy`: MCP server entries rewritten to run through `aethelgard proxy mcp`

const AETHELGARD: &str = "/usr/local/bin/aethelgard";

fn proxy(task_type: &str) -> export::ProxyCommand {
    export::ProxyCommand { program: AETHELGARD.to_owned(), task: export::ProxyTask::TaskType(task_type.to_owned()) }
}

fn strings(value: &serde_json::Value) -> Vec<&str> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect()
}

/// A project's `.mcp.json` as a user writes it (JSONC, Claude Code accepts comments).
const CLAUDE_MCP_JSON: &str = r#"{
  // Servers for this project.
  "mcpServers": {
    "files": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"], // notes only
      "env": { "DEBUG": "1" }
    },
    "remote": {
      "type": "http",
      "url": "https://mcp.example.com/mcp",
      "headers": { "Authorization": "Bearer ${REMOTE_TOKEN}" }
    },
    "legacy": { "type": "sse", "url": "https://old.example.com/sse" },
    "oauthed": { "type": "http", "url": "https://oauth.example.com/mcp", "oauth": { "clientId": "x" } },
    "mine": { "command": "/opt/bin/aethelgard", "args": ["proxy", "mcp", "--task-type", "review", "--", "srv"] }
  }
}
"#;

#[test]
fn mcp_proxy_claude_rewrites_commands_and_http_servers_and_reverts() {
    let proxy = proxy("summarise");
    let export = export::mcp_proxy::claude(Some(CLAUDE_MCP_JSON), &Owned::default(), &proxy).unwrap();
    assert!(export.text.contains("// Servers for this project."), "{}", export.text);
    assert!(export.text.contains("// notes only"), "the comment beside a replaced value stays: {}", export.text);
    let servers = json5(&export.text)["mcpServers"].clone();
    assert_eq!(servers["files"]["command"], AETHELGARD);
    assert_eq!(
        strings(&servers["files"]["args"]),
        ["proxy", "mcp", "--task-type", "summarise", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"]
    );
    assert_eq!(servers["files"]["env"], serde_json::json!({"DEBUG": "1"}), "env is kept");
    assert_eq!(servers["remote"]["type"], "stdio");
    assert_eq!(servers["remote"]["command"], AETHELGARD);
    assert_eq!(
        strings(&servers["remote"]["args"]),
        ["proxy", "mcp", "--task-type", "summarise", "--upstream", "https://mcp.example.com/mcp", "--header", "Authorization: Bearer ${REMOTE_TOKEN}"]
    );
    assert!(servers["remote"].get("url").is_none() && servers["remote"].get("headers").is_none(), "{servers}");
    // Left as they were, each with a note saying why.
    let original = json5(CLAUDE_MCP_JSON)["mcpServers"].clone();
    for name in ["legacy", "oauthed", "mine"] {
        assert_eq!(servers[name], original[name], "{name}");
        assert!(export.notes.iter().any(|n| n.contains(&format!("`{name}`"))), "{name}: {:?}", export.notes);
    }
    twice(&export, |text, owned| export::mcp_proxy::claude(Some(text), owned, &proxy).unwrap());

    // Another task type rewrites only the task arguments; the record keeps the originals.
    let review = export::mcp_proxy::claude(Some(&export.text), &export.owned, &crate::proxy("review")).unwrap();
    let servers = json5(&review.text)["mcpServers"].clone();
    assert_eq!(strings(&servers["files"]["args"])[..4], ["proxy", "mcp", "--task-type", "review"]);
    assert_eq!(strings(&servers["files"]["args"])[5..], ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"]);

    // Reverting gives every entry back; the URL entry's keys come back at the end of its object.
    let reverted = claude::revert(&review.text, &review.owned).unwrap();
    assert_eq!(json5(&reverted.text), json5(CLAUDE_MCP_JSON));
    assert!(reverted.text.contains("// notes only") && reverted.text.contains("// Servers for this project."), "{}", reverted.text);
    assert!(reverted.owned.is_empty(), "{:?}", reverted.owned);
}

#[test]
fn mcp_proxy_claude_revert_of_command_entries_is_byte_identical() {
    let original = "{\n  // mine\n  \"mcpServers\": {\n    \"files\": { \"type\": \"stdio\", \"command\": \"npx\", \"args\": [\"srv\", \"/notes\"] }, // files\n    \"bare\": {\n      \"command\": \"/usr/bin/mcp-bare\"\n    }\n  }\n}\n";
    let task = export::ProxyCommand { program: AETHELGARD.to_owned(), task: export::ProxyTask::Task("Summarise my notes".to_owned()) };
    let export = export::mcp_proxy::claude(Some(original), &Owned::default(), &task).unwrap();
    let servers = json5(&export.text)["mcpServers"].clone();
    assert_eq!(strings(&servers["files"]["args"]), ["proxy", "mcp", "--task", "Summarise my notes", "--", "npx", "srv", "/notes"]);
    assert_eq!(strings(&servers["bare"]["args"]), ["proxy", "mcp", "--task", "Summarise my notes", "--", "/usr/bin/mcp-bare"]);
    twice(&export, |text, owned| export::mcp_proxy::claude(Some(text), owned, &task).unwrap());
    assert_eq!(claude::revert(&export.text, &export.owned).unwrap().text, original);
}

/// A Codex `config.toml` with a command server, a URL server with static headers and one whose
/// token lives in the environment.
const CODEX_MAIN: &str = r#"# My Codex setup.
model = "gpt-5.5"

# Files, read-only.
[mcp_servers.files]
command = "npx" # via npm
args = ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"]
env = { DEBUG = "1" }
cwd = "/home/me"

# Remote docs.
[mcp_servers.docs]
url = "https://docs.example.com/mcp"
http_headers = { "X-Team" = "core" }
startup_timeout_sec = 5.0

[mcp_servers.tracker]
url = "https://tracker.example.com/mcp"
bearer_token_env_var = "TRACKER_TOKEN"
"#;

fn codex_proxied(existing: Option<&str>, previous: &Owned, main: &str, proxy: &export::ProxyCommand) -> Export {
    let governor = governor();
    let task = Task::new(&governor, "summarise", Some("codex"), &[]);
    let entries = codex::mcp_server_entries(main).unwrap();
    // As `aethelgard export` does: the servers of the main config.toml, when there is one.
    let servers = codex::mcp_servers(main).unwrap();
    let options = codex::Options {
        profile_name: "aethelgard-summarise",
        proxy: Some(proxy),
        main_entries: &entries,
        servers: &servers,
        ..Default::default()
    };
    codex::export(&task.scope(), existing, previous, &options).unwrap()
}

#[test]
fn mcp_proxy_codex_profile_wraps_the_command_servers_of_the_main_config() {
    let proxy = proxy("summarise");
    let original = fixture("codex-profile.config.toml");
    let export = codex_proxied(Some(&original), &Owned::default(), CODEX_MAIN, &proxy);
    assert!(export.text.contains("# My review profile: a faster model, and my own notes."), "{}", export.text);
    let doc: toml::Table = toml::from_str(&export.text).unwrap();
    let files = &doc["mcp_servers"]["files"];
    assert_eq!(files["command"].as_str(), Some(AETHELGARD));
    let args: Vec<&str> = files["args"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(args, ["proxy", "mcp", "--task-type", "summarise", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"]);
    assert!(files.get("env").is_none(), "env and cwd stay in config.toml, where Codex merges them from");
    // A profile cannot take `url` away from config.toml: both URL servers are left, with notes.
    assert!(doc["mcp_servers"].get("docs").is_none_or(|d| d.get("command").is_none()), "{}", export.text);
    assert!(export.notes.iter().any(|n| n.contains("`docs`") && n.contains("another configuration file")), "{:?}", export.notes);
    assert!(export.notes.iter().any(|n| n.contains("`tracker`") && n.contains("bearer_token_env_var")), "{:?}", export.notes);
    // The proxied server stays on, although the export knows none of its tools (the proxy offers
    // only the task's); those left as they are, with nothing granted, are switched off.
    assert!(files.get("enabled").is_none(), "the proxied server stays on: {}", export.text);
    assert_eq!(doc["mcp_servers"]["docs"]["enabled"].as_bool(), Some(false), "{}", export.text);
    assert_eq!(doc["mcp_servers"]["tracker"]["enabled"].as_bool(), Some(false), "{}", export.text);
    twice(&export, |text, owned| codex_proxied(Some(text), owned, CODEX_MAIN, &proxy));
    assert_eq!(codex::revert(&export.text, &export.owned).unwrap().text, original);
}

#[test]
fn mcp_proxy_codex_config_itself_turns_url_servers_into_proxy_commands() {
    let proxy = proxy("summarise");
    // Exporting into config.toml itself (no other main config): its own entries are rewritten.
    let export = codex_proxied(Some(CODEX_MAIN), &Owned::default(), "", &proxy);
    for kept in ["# My Codex setup.", "# Files, read-only.", "# Remote docs.", "command = \"/usr/local/bin/aethelgard\" # via npm", "startup_timeout_sec = 5.0"] {
        assert!(export.text.contains(kept), "lost {kept:?}: {}", export.text);
    }
    let doc: toml::Table = toml::from_str(&export.text).unwrap();
    let files = &doc["mcp_servers"]["files"];
    assert_eq!(files["env"]["DEBUG"].as_str(), Some("1"));
    assert_eq!(files["cwd"].as_str(), Some("/home/me"));
    let docs = &doc["mcp_servers"]["docs"];
    let args: Vec<&str> = docs["args"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(args, ["proxy", "mcp", "--task-type", "summarise", "--upstream", "https://docs.example.com/mcp", "--header", "X-Team: core"]);
    assert!(docs.get("url").is_none() && docs.get("http_headers").is_none(), "{}", export.text);
    assert_eq!(doc["mcp_servers"]["tracker"]["url"].as_str(), Some("https://tracker.example.com/mcp"), "left: its token is in the environment");
    twice(&export, |text, owned| codex_proxied(Some(text), owned, "", &proxy));
    let reverted = codex::revert(&export.text, &export.owned).unwrap();
    assert_eq!(toml::from_str::<toml::Table>(&reverted.text).unwrap(), toml::from_str::<toml::Table>(CODEX_MAIN).unwrap());
    assert!(reverted.text.contains("command = \"npx\" # via npm"), "{}", reverted.text);
}

const OPENCLAW_JSON5: &str = r#"// OpenClaw, with three MCP servers.
{
  agents: { defaults: { workspace: "/home/me/work" } },
  mcp: {
    servers: {
      files: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"], cwd: "/home/me" }, // local
      docs: { url: "https://docs.example.com/mcp", transport: "streamable-http", headers: { "X-Team": "core" } },
      old: { url: "https://old.example.com/sse" }, // SSE unless told otherwise
    },
  },
}
"#;

#[test]
fn mcp_proxy_openclaw_rewrites_mcp_servers_and_reverts() {
    let governor = governor();
    let task = Task::new(&governor, "summarise", Some("openclaw"), &[]);
    let proxy = proxy("summarise");
    let run = |text: &str, owned: &Owned| {
        let options = openclaw::Options { proxy: Some(&proxy), profile_tools: &task.profile_tools, ..Default::default() };
        openclaw::export(&task.scope(), Some(text), owned, &options).unwrap()
    };
    let export = run(OPENCLAW_JSON5, &Owned::default());
    for kept in ["// OpenClaw, with three MCP servers.", "// local", "// SSE unless told otherwise", "agents: { defaults: { workspace: \"/home/me/work\" } },"] {
        assert!(export.text.contains(kept), "lost {kept:?}: {}", export.text);
    }
    let servers = json5(&export.text)["mcp"]["servers"].clone();
    assert_eq!(servers["files"]["command"], AETHELGARD);
    assert_eq!(servers["files"]["cwd"], "/home/me");
    assert_eq!(strings(&servers["docs"]["args"]), ["proxy", "mcp", "--task-type", "summarise", "--upstream", "https://docs.example.com/mcp", "--header", "X-Team: core"]);
    assert!(servers["docs"].get("transport").is_none() && servers["docs"].get("url").is_none(), "{servers}");
    assert_eq!(servers["old"], serde_json::json!({"url": "https://old.example.com/sse"}));
    assert!(export.notes.iter().any(|n| n.contains("`old`") && n.contains("SSE")), "{:?}", export.notes);
    // The proxied servers are allowed whole (the proxy offers only the task's tools of each); the
    // one left as it is, with nothing granted, is denied whole.
    let tools = json5(&export.text)["tools"].clone();
    for server in ["files", "docs"] {
        let glob = format!("{server}__*");
        assert!(strings(&tools["allow"]).contains(&glob.as_str()), "{glob} not allowed: {tools}");
        assert!(!strings(&tools["deny"]).contains(&glob.as_str()), "{glob} denied: {tools}");
    }
    assert!(strings(&tools["deny"]).contains(&"old__*"), "{tools}");
    assert!(!strings(&tools["allow"]).contains(&"old__*"), "{tools}");
    twice(&export, |text, owned| run(text, owned));
    let reverted = openclaw::revert(&export.text, &export.owned).unwrap();
    assert_eq!(json5(&reverted.text), json5(OPENCLAW_JSON5));
    assert!(reverted.text.contains("// local"), "{}", reverted.text);
}
