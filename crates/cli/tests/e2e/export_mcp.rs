//! `aethelgard export ... --mcp-proxy` read back by the real runtimes: the Codex CLI loads the
//! profile (and a `config.toml` edited in place) and reports each server's command as
//! `aethelgard proxy mcp ...` (`codex mcp get --json`), and Claude Code lists the rewritten
//! `.mcp.json` server with the proxied command and connects to it: it starts our proxy, which
//! starts the real `@modelcontextprotocol/server-filesystem`, and the MCP handshake goes through.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::harness::{self, Sandbox};

fn export(sandbox: &Sandbox, args: &[&str]) -> Output {
    let output = Command::new(harness::aethelgard_bin())
        .args(args)
        .env("HOME", &sandbox.home)
        .env_remove("CODEX_HOME")
        .env_remove("AETHELGARD_POLICY")
        .output()
        .unwrap();
    assert!(output.status.success(), "aethelgard {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The filesystem MCP server installed beside the runtimes, and the Node that runs it.
fn filesystem_server() -> (String, String) {
    let bin = harness::repo_root().join(".e2e/node_modules/.bin");
    let script = bin.join("mcp-server-filesystem").canonicalize().unwrap();
    (s(&bin.join("node")).to_owned(), s(&script).to_owned())
}

fn strings(value: &Value) -> Vec<&str> {
    value.as_array().unwrap_or_else(|| panic!("not a list: {value}")).iter().map(|v| v.as_str().unwrap()).collect()
}

fn codex_get(codex: &Path, codex_home: &Path, profile: Option<&str>, name: &str) -> Value {
    let mut cmd = Command::new(codex);
    if let Some(profile) = profile {
        cmd.args(["--profile", profile]);
    }
    let output = cmd.args(["mcp", "get", name, "--json"]).env("CODEX_HOME", codex_home).output().unwrap();
    assert!(output.status.success(), "codex mcp get {name}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn codex_loads_mcp_servers_rewritten_to_run_through_the_proxy() {
    let test = "codex_loads_mcp_servers_rewritten_to_run_through_the_proxy";
    let Some(codex) = harness::runtime("codex", test) else { return };
    let sandbox = Sandbox::new("export-mcp-codex");
    let codex_home = sandbox.home.join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    let (node, script) = filesystem_server();
    let config = codex_home.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "# my servers\n[mcp_servers.files]\ncommand = {node:?} # node from .e2e\nargs = [{script:?}, {work:?}]\n\n[mcp_servers.docs]\nurl = \"https://docs.example.com/mcp\"\nhttp_headers = {{ \"X-Team\" = \"core\" }}\n",
            work = s(&sandbox.work)
        ),
    )
    .unwrap();
    let bin = harness::aethelgard_bin().canonicalize().unwrap();

    // A task profile over config.toml: the command server runs through the proxy there.
    let profile = codex_home.join("aethelgard-summarise.config.toml");
    export(&sandbox, &["export", "codex", "--task-type", "summarise", "--file", s(&profile), "--mcp-proxy"]);
    let files = codex_get(&codex, &codex_home, Some("aethelgard-summarise"), "files");
    eprintln!("{test}: codex mcp get files --json (profile): {files}");
    // Still enabled: the proxy offers only the task's tools, so the profile does not switch the
    // server off for want of granted names.
    assert_eq!(files["enabled"], true, "{files}");
    assert_eq!(files["transport"]["type"], "stdio", "{files}");
    assert_eq!(files["transport"]["command"], s(&bin), "{files}");
    assert_eq!(strings(&files["transport"]["args"]), ["proxy", "mcp", "--task-type", "summarise", "--", node.as_str(), script.as_str(), s(&sandbox.work)]);
    // Without the profile, Codex still sees the user's own entry.
    let plain = codex_get(&codex, &codex_home, None, "files");
    assert_eq!(plain["transport"]["command"], node.as_str(), "{plain}");

    // config.toml itself: the URL server becomes a stdio entry running the proxy with --upstream.
    export(&sandbox, &["export", "codex", "--task-type", "summarise", "--file", s(&config), "--mcp-proxy"]);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("# my servers\n") && text.contains("# node from .e2e"), "{text}");
    let docs = codex_get(&codex, &codex_home, None, "docs");
    assert_eq!(docs["transport"]["type"], "stdio", "{docs}");
    assert_eq!(docs["transport"]["command"], s(&bin), "{docs}");
    assert_eq!(
        strings(&docs["transport"]["args"]),
        ["proxy", "mcp", "--task-type", "summarise", "--upstream", "https://docs.example.com/mcp", "--header", "X-Team: core"]
    );
}

#[test]
fn claude_code_lists_and_connects_to_the_proxied_mcp_server() {
    let test = "claude_code_lists_and_connects_to_the_proxied_mcp_server";
    let Some(claude) = harness::runtime("claude", test) else { return };
    let sandbox = Sandbox::new("export-mcp-claude");
    let project = &sandbox.work;
    let (node, script) = filesystem_server();
    // Claude Code reads `.mcp.json` as strict JSON (a comment makes it refuse the file).
    let mcp_json = project.join(".mcp.json");
    std::fs::write(&mcp_json, format!("{:#}\n", json!({"mcpServers": {"files": {"command": node, "args": [script, s(project)]}}}))).unwrap();
    // Project servers connect only once the project is trusted (`~/.claude.json`) and the server
    // approved (`enabledMcpjsonServers` in the project's local settings).
    let project_key = s(project).to_owned();
    std::fs::write(sandbox.home.join(".claude.json"), json!({"projects": {project_key: {"hasTrustDialogAccepted": true}}}).to_string()).unwrap();
    std::fs::create_dir_all(project.join(".claude")).unwrap();
    std::fs::write(project.join(".claude/settings.local.json"), json!({"enabledMcpjsonServers": ["files"]}).to_string()).unwrap();
    let settings = project.join(".claude/settings.json");
    export(&sandbox, &["export", "claude", "--task-type", "summarise", "--file", s(&settings), "--mcp-proxy"]);

    let output = Command::new(&claude)
        .args(["mcp", "get", "files"])
        .current_dir(project)
        .env("HOME", &sandbox.home)
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "claude mcp get files: {text}");
    let bin = harness::aethelgard_bin().canonicalize().unwrap();
    assert!(text.contains(&format!("Command: {}", s(&bin))), "{text}");
    assert!(text.contains(&format!("Args: proxy mcp --task-type summarise -- {node} {script} {}", s(project))), "{text}");
    // Claude Code started the proxy, the proxy the server, and the handshake passed through.
    assert!(text.contains("Connected"), "{text}");
}
