//! `aethelgard export`, `install` and `uninstall` as a user runs them: files edited in place keep
//! everything the user wrote, a second run changes nothing, and uninstall leaves a home folder
//! exactly as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_aethelgard");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/configs").join(name)).unwrap()
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("export-suite").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn aethelgard(args: &[&str], home: &Path) -> Output {
    let output = Command::new(BIN)
        .args(args)
        .env("HOME", home)
        .env_remove("CODEX_HOME")
        .env_remove("AETHELGARD_POLICY")
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .output()
        .unwrap();
    assert!(output.status.success(), "aethelgard {args:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file under `dir`, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.insert(path.strip_prefix(dir).unwrap().join(""), Vec::new());
                stack.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn export_without_file_prints_the_whole_file() {
    let home = scratch("print");
    let claude: serde_json::Value = serde_json::from_str(&stdout(&aethelgard(&["export", "claude", "--task-type", "summarise"], &home))).unwrap();
    let deny: Vec<&str> = claude["permissions"]["deny"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(deny.contains(&"Bash") && deny.contains(&"Write") && !deny.contains(&"Read"), "{deny:?}");
    let command = claude["hooks"]["PreToolUse"][0]["hooks"][0]["command"].as_str().unwrap();
    assert!(command.starts_with('/') && command.ends_with(" hook claude"), "{command}");

    let codex = stdout(&aethelgard(&["export", "codex", "--task", "Summarise docs/design.md in five bullet points"], &home));
    let doc: toml::Table = toml::from_str(&codex).unwrap();
    assert_eq!(doc["sandbox_mode"].as_str(), Some("read-only"), "{codex}");

    let openclaw: serde_json::Value = serde_json::from_str(&stdout(&aethelgard(&["export", "openclaw", "--task-type", "research"], &home))).unwrap();
    assert!(openclaw["tools"]["allow"].as_array().unwrap().iter().any(|v| v == "web_search"));

    let md = stdout(&aethelgard(&["export", "agents-md", "--task-type", "review", "--runtime", "codex"], &home));
    assert!(md.starts_with("<!-- aethelgard:begin -->") && md.trim_end().ends_with("<!-- aethelgard:end -->"), "{md}");

    let rules = stdout(&aethelgard(&["export", "codex-rules"], &home));
    assert!(rules.contains("prefix_rule(") && rules.contains("decision = \"forbidden\""));
}

#[test]
fn export_edits_a_file_in_place_keeps_a_backup_and_is_idempotent() {
    let home = scratch("in-place");
    let cases: [(&str, &str, &[&str]); 4] = [
        ("agents-md", "AGENTS.md", &["--task-type", "review"]),
        ("claude", "claude-settings.json", &["--task-type", "review"]),
        ("openclaw", "openclaw.json", &["--task-type", "summarise", "--agent", "helper"]),
        ("codex", "codex-profile.config.toml", &["--task-type", "summarise"]),
    ];
    for (target, name, extra) in cases {
        let file = home.join("project").join(name);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let original = fixture(name);
        std::fs::write(&file, &original).unwrap();
        let mut args = vec!["export", target, "--file", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let first = aethelgard(&args, &home);
        let after = std::fs::read_to_string(&file).unwrap();
        assert_ne!(after, original, "{target}: nothing changed");
        assert!(stderr(&first).contains(&file.display().to_string()), "{target}: {}", stderr(&first));
        // The user's first lines survive.
        let first_line = original.lines().next().unwrap();
        assert!(after.contains(first_line), "{target}: lost {first_line:?}");
        let backup = PathBuf::from(format!("{}.aethelgard.bak", file.display()));
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), original, "{target}: the backup is the original");
        let state = PathBuf::from(format!("{}.aethelgard.json", file.display()));
        let state_text = std::fs::read_to_string(&state).unwrap();

        let second = aethelgard(&args, &home);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), after, "{target}: a second run changed the file");
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), original, "{target}: the backup was replaced");
        assert_eq!(std::fs::read_to_string(&state).unwrap(), state_text, "{target}: the record changed");
        assert!(stderr(&second).contains("unchanged"), "{target}: {}", stderr(&second));
    }
}

#[test]
fn export_creates_missing_files_and_folders() {
    let home = scratch("create");
    let file = home.join("a/b/.claude/settings.json");
    aethelgard(&["export", "claude", "--task-type", "implement", "--file", file.to_str().unwrap()], &home);
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(value["permissions"]["deny"].as_array().unwrap().iter().any(|v| v == "Agent"));
    assert!(!PathBuf::from(format!("{}.aethelgard.bak", file.display())).exists(), "no original, no backup");
}

#[test]
fn export_with_another_task_type_takes_back_only_its_own_entries() {
    let home = scratch("retask");
    let file = home.join("settings.json");
    std::fs::write(&file, fixture("claude-settings.json")).unwrap();
    let path = file.to_str().unwrap();
    aethelgard(&["export", "claude", "--task-type", "summarise", "--file", path], &home);
    aethelgard(&["export", "claude", "--task-type", "research", "--file", path], &home);
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let deny: Vec<&str> = value["permissions"]["deny"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    // `WebSearch` is the user's own entry: research grants it, but the user's deny stays.
    assert!(deny.contains(&"WebSearch") && deny.contains(&"Read(./.env)"), "{deny:?}");
    assert!(deny.contains(&"Bash"));
    assert_eq!(value["hooks"]["PreToolUse"].as_array().unwrap().len(), 1, "one hook, not one per export");
}

#[test]
fn codex_profile_filters_the_mcp_servers_of_the_main_config() {
    let home = scratch("codex-mcp");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    std::fs::write(codex_home.join("config.toml"), fixture("codex-config.toml")).unwrap();
    let profile = stdout(&aethelgard(&["export", "codex", "--task-type", "summarise"], &home));
    let doc: toml::Table = toml::from_str(&profile).unwrap();
    // Nothing of either server is granted to a summarising task.
    assert_eq!(doc["mcp_servers"]["github"]["enabled"].as_bool(), Some(false), "{profile}");
    assert_eq!(doc["mcp_servers"]["docs"]["enabled"].as_bool(), Some(false), "{profile}");
    // --codex-config names another main config.
    let other = home.join("other.toml");
    std::fs::write(&other, "[mcp_servers.tiny]\ncommand = \"tiny\"\n").unwrap();
    let profile = stdout(&aethelgard(&["export", "codex", "--task-type", "summarise", "--codex-config", other.to_str().unwrap()], &home));
    assert!(profile.contains("[mcp_servers.tiny]") && !profile.contains("github"), "{profile}");
}

#[test]
fn install_then_uninstall_codex_leaves_the_home_as_it_was() {
    let home = scratch("install-codex");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    std::fs::write(codex_home.join("config.toml"), fixture("codex-config.toml")).unwrap();
    let before = tree(&home);
    let home_arg = home.to_str().unwrap();

    aethelgard(&["install", "codex", "--home", home_arg], &home);
    let hooks: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(codex_home.join("hooks.json")).unwrap()).unwrap();
    let command = hooks["hooks"]["PreToolUse"][0]["hooks"][0]["command"].as_str().unwrap().to_owned();
    assert!(command.ends_with(" hook codex"), "{command}");
    let config = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    assert!(config.starts_with("# My Codex setup."), "the user's config keeps its comments");
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    let key = format!("{}:pre_tool_use:0:0", codex_home.join("hooks.json").display());
    let trusted = parsed["hooks"]["state"][&key]["trusted_hash"].as_str().unwrap();
    assert!(trusted.starts_with("sha256:") && trusted.len() == 7 + 64, "{trusted}");
    assert_eq!(parsed["features"]["hooks"].as_bool(), Some(true));
    for task_type in ["summarise", "review", "implement", "unknown"] {
        let profile = std::fs::read_to_string(codex_home.join(format!("aethelgard-{task_type}.config.toml"))).unwrap();
        let doc: toml::Table = toml::from_str(&profile).unwrap();
        assert!(doc.contains_key("sandbox_mode"), "{task_type}");
    }
    assert!(!codex_home.join("aethelgard-local-read.config.toml").exists(), "base profiles get no file");
    assert!(std::fs::read_to_string(codex_home.join("rules/aethelgard.rules")).unwrap().contains("prefix_rule("));

    let installed = tree(&home);
    let again = aethelgard(&["install", "codex", "--home", home_arg], &home);
    assert_eq!(tree(&home), installed, "a second install changed files: {}", stderr(&again));

    aethelgard(&["uninstall", "codex", "--home", home_arg], &home);
    assert_eq!(tree(&home), before, "uninstall left the home different");
}

#[test]
fn install_then_uninstall_claude_leaves_the_home_as_it_was() {
    let home = scratch("install-claude");
    std::fs::create_dir_all(home.join(".claude")).unwrap();
    std::fs::write(home.join(".claude/settings.json"), fixture("claude-settings.json")).unwrap();
    let before = tree(&home);
    let home_arg = home.to_str().unwrap();
    aethelgard(&["install", "claude", "--home", home_arg], &home);
    let settings: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(home.join(".claude/settings.json")).unwrap()).unwrap();
    assert!(settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"].as_str().unwrap().ends_with(" hook claude"));
    // The user settings get the hook and the policy's secrets as `Read` denials, after the
    // user's own entries; no task's tool denials.
    let deny: Vec<&str> = settings["permissions"]["deny"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(deny[..2], ["Read(./.env)", "WebSearch"], "the user's entries come first and stay");
    assert!(deny.contains(&"Read(~/.ssh/**)") && deny.contains(&"Read(**/.env.*)"), "{deny:?}");
    assert!(deny[2..].iter().all(|rule| rule.starts_with("Read(")), "only secrets, no task denials: {deny:?}");
    let review: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.join(".claude/aethelgard/review.settings.json")).unwrap()).unwrap();
    assert!(review["permissions"]["deny"].as_array().unwrap().iter().any(|v| v == "Write"));
    assert!(review.get("hooks").is_none(), "the hook lives in the user settings only");
    aethelgard(&["uninstall", "claude", "--home", home_arg], &home);
    assert_eq!(tree(&home), before);

    // A fresh home: everything install writes is removed again, folders included.
    let empty = scratch("install-claude-empty");
    aethelgard(&["install", "claude", "--home", empty.to_str().unwrap()], &empty);
    aethelgard(&["uninstall", "claude", "--home", empty.to_str().unwrap()], &empty);
    assert!(tree(&empty).is_empty(), "{:?}", tree(&empty).keys().collect::<Vec<_>>());
}

#[test]
fn uninstall_after_the_user_edited_removes_only_our_entries() {
    let home = scratch("uninstall-edited");
    std::fs::create_dir_all(home.join(".claude")).unwrap();
    let settings = home.join(".claude/settings.json");
    std::fs::write(&settings, fixture("claude-settings.json")).unwrap();
    let home_arg = home.to_str().unwrap();
    aethelgard(&["install", "claude", "--home", home_arg], &home);
    // The user adds a setting after install.
    let text = std::fs::read_to_string(&settings).unwrap().replacen("\"model\": \"sonnet\",", "\"model\": \"opus\",\n  \"theme\": \"dark\",", 1);
    std::fs::write(&settings, &text).unwrap();
    aethelgard(&["uninstall", "claude", "--home", home_arg], &home);
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(value["theme"], "dark", "the user's later edit stays");
    assert_eq!(value["model"], "opus");
    assert!(value["hooks"].get("PreToolUse").is_none(), "our hook is gone: {value}");
    assert_eq!(value["hooks"]["PostToolUse"][0]["hooks"][0]["command"], "npx prettier --write");
    assert!(!home.join(".claude/settings.json.aethelgard.bak").exists());
    assert!(!home.join(".claude/aethelgard").exists());
}

#[test]
fn install_openclaw_writes_the_plugin_once_and_uninstall_takes_it_back() {
    let home = scratch("install-openclaw");
    let dry = Command::new(BIN).args(["install", "openclaw", "--dry-run", "--home"]).arg(&home).output().unwrap();
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(tree(&home).is_empty(), "--dry-run writes nothing");
    let plugin = home.join(".openclaw/extensions/aethelgard");
    for round in 0..2 {
        let output = Command::new(BIN).args(["install", "openclaw", "--home"]).arg(&home).output().unwrap();
        assert!(output.status.success(), "round {round}: {}", stderr(&output));
        assert_eq!(stderr(&output).contains("write the Aethelgard plugin"), round == 0, "the second install changes nothing: {}", stderr(&output));
    }
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(plugin.join("openclaw.plugin.json")).unwrap()).unwrap();
    assert_eq!(manifest["id"], "aethelgard");
    let index = std::fs::read_to_string(plugin.join("index.js")).unwrap();
    assert!(index.contains("api.on(\"before_tool_call\""), "the plugin registers before_tool_call");
    let output = Command::new(BIN).args(["uninstall", "openclaw", "--home"]).arg(&home).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(tree(&home).is_empty(), "uninstall leaves nothing: {:?}", tree(&home));
}

// ---------------------------------------------------------------------------------------------
// `--mcp-proxy`: MCP server entries rewritten to run through `aethelgard proxy mcp`

const MCP_JSON: &str = r#"{
  // Project servers.
  "mcpServers": {
    "files": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"] }, // notes
    "remote": { "type": "http", "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer ${TOKEN}" } }
  }
}
"#;

#[test]
fn export_claude_mcp_proxy_rewrites_the_project_mcp_json_once() {
    let home = scratch("mcp-proxy-claude");
    let project = home.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let mcp_json = project.join(".mcp.json");
    std::fs::write(&mcp_json, MCP_JSON).unwrap();
    let settings = project.join(".claude/settings.json");
    let args = ["export", "claude", "--task-type", "summarise", "--file", settings.to_str().unwrap(), "--mcp-proxy=/opt/aethelgard/bin/aethelgard"];
    let first = aethelgard(&args, &home);
    assert!(stderr(&first).contains("set mcpServers.files.command = \"/opt/aethelgard/bin/aethelgard\""), "{}", stderr(&first));
    let text = std::fs::read_to_string(&mcp_json).unwrap();
    assert!(text.contains("// Project servers.") && text.contains("// notes"), "{text}");
    assert!(
        text.contains(r#""args": ["proxy", "mcp", "--task-type", "summarise", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"]"#),
        "{text}"
    );
    assert!(text.contains(r#""--upstream", "https://mcp.example.com/mcp", "--header", "Authorization: Bearer ${TOKEN}""#), "{text}");
    assert_eq!(std::fs::read_to_string(project.join(".mcp.json.aethelgard.bak")).unwrap(), MCP_JSON, "the original is kept");
    assert!(project.join(".mcp.json.aethelgard.json").exists(), "the record of what was written");

    let before = tree(&home);
    let again = aethelgard(&args, &home);
    assert!(stderr(&again).contains(".mcp.json: unchanged"), "{}", stderr(&again));
    assert_eq!(tree(&home), before, "a second export changed a file");
}

#[test]
fn export_codex_mcp_proxy_wraps_the_main_config_servers_in_the_profile() {
    let home = scratch("mcp-proxy-codex");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    std::fs::write(codex_home.join("config.toml"), "[mcp_servers.files]\ncommand = \"npx\"\nargs = [\"srv\", \"/notes\"]\nenabled_tools = [\"read_text_file\"]\n").unwrap();
    let profile_path = codex_home.join("aethelgard-summarise.config.toml");
    let original = "# my profile\nmodel = \"gpt-5.5\"\n";
    std::fs::write(&profile_path, original).unwrap();
    let args = ["export", "codex", "--task", "Summarise my notes", "--file", profile_path.to_str().unwrap(), "--mcp-proxy"];
    aethelgard(&args, &home);
    let text = std::fs::read_to_string(&profile_path).unwrap();
    assert!(text.starts_with(original), "{text}");
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let files = &doc["mcp_servers"]["files"];
    // Without a path, the entries run this very binary, by absolute path.
    let bin = Path::new(BIN).canonicalize().unwrap();
    assert_eq!(files["command"].as_str(), Some(bin.to_str().unwrap()), "{text}");
    let args_written: Vec<&str> = files["args"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(args_written, ["proxy", "mcp", "--task", "Summarise my notes", "--", "npx", "srv", "/notes"]);
    let before = tree(&home);
    let again = aethelgard(&args, &home);
    assert!(stderr(&again).contains("unchanged"), "{}", stderr(&again));
    assert_eq!(tree(&home), before);
}

#[test]
fn export_mcp_proxy_is_refused_where_no_mcp_server_lives() {
    let home = scratch("mcp-proxy-refused");
    let output = Command::new(BIN)
        .args(["export", "agents-md", "--task-type", "summarise", "--mcp-proxy"])
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--mcp-proxy applies to"), "{}", stderr(&output));
}
