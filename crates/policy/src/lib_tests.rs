use super::*;

#[test]
fn default_policy_parses_with_its_catalogs() {
    let (file, catalog) = default_policy().unwrap();
    assert!(file.rules.len() > 25);
    for name in ["Bash", "exec_command", "apply_patch", "exec", "sessions_spawn", "WebFetch"] {
        assert!(catalog.get(name).is_some(), "built-in catalogs lack `{name}`");
    }
}

#[test]
fn syntax_errors_name_the_file() {
    let error = parse("version = 1\n[[rules]]\nid = 3", "team.toml", None).unwrap_err().to_string();
    assert!(error.starts_with("`team.toml` is not a valid policy file"), "{error}");
}

#[test]
fn duplicate_ids_and_empty_reasons_are_rejected() {
    let dup = r#"
[[rules]]
id = "a"
decision = "block"
reason = "x"
tool = ["x"]
[[rules]]
id = "a"
decision = "block"
reason = "y"
tool = ["y"]
"#;
    assert!(parse(dup, "p", None).unwrap_err().to_string().contains("rule `a`: the id is used by another rule"));
    let empty = "[[rules]]\nid = \"b\"\ndecision = \"block\"\nreason = \" \"\ntool = [\"x\"]\n";
    assert!(parse(empty, "p", None).unwrap_err().to_string().contains("`reason` is empty"));
}

#[test]
fn a_rule_without_conditions_is_rejected() {
    let text = "[[rules]]\nid = \"all\"\ndecision = \"block\"\nreason = \"x\"\n";
    assert!(parse(text, "p", None).unwrap_err().to_string().contains("no condition"));
}

#[test]
fn bad_regex_is_named() {
    let text = "[[rules]]\nid = \"r\"\ndecision = \"block\"\nreason = \"x\"\n[rules.shell]\nprogram = [\"x\"]\nargs_regex = \"(\"\n";
    let error = parse(text, "p", None).unwrap_err().to_string();
    assert!(error.contains("rule `r`") && error.contains("regex `(` is invalid"), "{error}");
}

#[test]
fn catalog_errors_name_the_line() {
    let error = Catalog::parse_jsonl("{\"name\":\"a\"}\nnot json\n", "tools.jsonl").unwrap_err().to_string();
    assert!(error.starts_with("catalog `tools.jsonl` line 2"), "{error}");
}

#[test]
fn codex_rules_import_prefix_and_network_rules() {
    let text = r#"
# team rules
prefix_rule(
    pattern = ["git", ["push", "reset"]],
    decision = "forbidden",
    justification = "Use a PR instead.",
    match = [["git", "push", "origin"], "git reset --hard"],
    not_match = ["git status"],
)
network_rule(host = "evil.example", protocol = "https", decision = "deny", justification = "exfil")
host_executable(name = "git", paths = ["/usr/bin/git"])
"#;
    let rules = import::codex_rules(text, "default.rules").unwrap();
    assert_eq!(rules.len(), 2);
    let shell = rules[0].shell.as_ref().unwrap();
    assert_eq!(shell.program, ["git"]);
    assert_eq!(shell.prefix[0].alternatives(), ["push", "reset"]);
    assert_eq!(rules[0].decision, Decision::Block);
    assert_eq!(rules[0].matches.len(), 2);
    assert_eq!(rules[1].hosts, ["evil.example"]);
    let error = import::codex_rules("prefix_rule(pattern = [\"x\"], decision = \"maybe\")", "r.rules").unwrap_err().to_string();
    assert!(error.contains("r.rules` line 1") && error.contains("decision `maybe`"), "{error}");
}

#[test]
fn claude_permissions_import() {
    let settings = r#"{"permissions":{"allow":["Bash(npm run test:*)","Read(./src/**)"],
        "ask":["Bash(git push:*)"],"deny":["Read(./.env)","WebFetch(domain:evil.example)","Bash","mcp__github"]}}"#;
    let rules = import::claude_permissions(settings, "settings.json").unwrap();
    assert_eq!(rules.len(), 7);
    let env_rule = rules.iter().find(|r| r.paths == ["./.env"]).unwrap();
    assert_eq!(env_rule.decision, Decision::Block);
    assert!(rules.iter().any(|r| r.tool == ["mcp__github__*"]));
    let npm = rules.iter().find(|r| r.decision == Decision::Allow && r.shell.is_some()).unwrap();
    assert_eq!(npm.shell.as_ref().unwrap().program, ["npm"]);
    assert_eq!(npm.shell.as_ref().unwrap().command, ["npm run test", "npm run test[!A-Za-z0-9_]*"]);
    assert!(import::claude_rule("Bash(npm", Decision::Block).is_err());
    // Imported rules render as TOML that parses back as a policy.
    let toml = import::to_toml(&rules).unwrap();
    let (file, _) = parse(&format!("version = 1\n{toml}"), "imported", None).unwrap();
    assert_eq!(file.rules.len(), 7);
}

#[test]
fn examples_under_the_shell_table_get_a_hint() {
    let text = "[[rules]]\nid = \"r\"\ndecision = \"block\"\nreason = \"x\"\n[rules.shell]\nprogram = [\"x\"]\nmatch = [\"x\"]\n";
    let error = parse(text, "p", None).unwrap_err().to_string();
    assert!(error.contains("put `match` and `not_match` above it"), "{error}");
}

#[test]
fn qualified_mcp_names_resolve_to_the_mcp_catalog_entry() {
    let (_, catalog) = default_policy().unwrap();
    assert_eq!(mcp_bare_name("mcp__files__read_text_file"), Some("read_text_file"));
    assert_eq!(mcp_bare_name("files__read_text_file"), Some("read_text_file"));
    assert_eq!(mcp_bare_name("read_text_file"), None);
    assert_eq!(mcp_bare_name("mcp____x"), None);
    for name in ["read_text_file", "mcp__files__read_text_file", "mcp__filesystem__read_text_file", "files__read_text_file"] {
        let tool = catalog.get(name).unwrap_or_else(|| panic!("`{name}` does not resolve"));
        assert_eq!(tool.name, "read_text_file");
        assert_eq!(tool.paths.get("/path"), Some(&ArgAccess::Read));
    }
    let write = catalog.get("mcp__files__write_file").unwrap();
    assert_eq!(write.name, "write_file");
    assert!(write.risk.contains(&aethelgard_protocol::RiskTag::Write));
    // Only MCP server entries resolve: a server cannot borrow a runtime's built-in tool.
    assert!(catalog.get("mcp__x__Bash").is_none());
    assert!(catalog.get("mcp__x__Read").is_none());
    assert!(catalog.get_exact("mcp__files__read_text_file").is_none());
}

#[test]
fn a_malformed_bridge_fails_at_load() {
    let tool = |bridge: &str| format!("[[catalog.tools]]\nname = \"run_tool\"\nbridge = {bridge}\n");
    for (bridge, message) in [
        ("{ selectors = [] }", "`bridge.selectors` is empty"),
        ("{ selectors = [\"id\"], arguments = [\"id\"] }", "key `id` is both a selector and an arguments key"),
        ("{ selectors = [\"id\"], strip_prefix = \"a:*:*:\" }", "at most one `*`"),
        ("{ selectors = [\"id\"], strip_prefix = \"*\" }", "at most one `*`"),
        ("{ selectors = [\"\"] }", "empty key"),
        ("{ selector = [\"id\"] }", "unknown field `selector`"),
    ] {
        let error = parse(&tool(bridge), "p", None).unwrap_err().to_string();
        assert!(error.contains(message), "{bridge}: {error}");
    }
    let line = r#"{"name": "run_tool", "bridge": {"selectors": []}}"#;
    let error = Catalog::parse_jsonl(line, "tools.jsonl").unwrap_err().to_string();
    assert_eq!(error, "catalog `tools.jsonl` line 1: tool `run_tool`: `bridge.selectors` is empty; name the argument keys that hold the tool to run (e.g. `[\"id\"]`)");
}

#[test]
fn openclaw_tool_call_is_a_bridge_in_the_built_in_catalog() {
    let (_, catalog) = default_policy().unwrap();
    let bridge = catalog.get("tool_call").and_then(|tool| tool.bridge.clone()).unwrap();
    assert_eq!(bridge.selectors, ["id", "toolId", "name"]);
    assert_eq!(bridge.arguments, ["args", "input"]);
    assert_eq!(bridge.strip_prefix.as_deref(), Some("openclaw:*:"));
    let bridges: Vec<&str> = catalog.tools().iter().filter(|tool| tool.bridge.is_some()).map(|tool| tool.name.as_str()).collect();
    assert_eq!(bridges, ["tool_call"]);
}
