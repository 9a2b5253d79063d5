use super::*;
use crate::{Environment, Examples};
use serde_json::json;

fn openclaw() -> Bridge {
    Bridge {
        selectors: vec!["id".into(), "toolId".into(), "name".into()],
        arguments: vec!["args".into(), "input".into()],
        strip_prefix: Some("openclaw:*:".into()),
    }
}

#[test]
fn openclaw_tool_call_names_its_target_as_openclaw_reads_it() {
    let bridge = openclaw();
    let rm = json!({"command": "rm -r /victim"});
    assert_eq!(targets(&bridge, &json!({"id": "exec", "args": rm})), vec![("exec".to_owned(), rm.clone())]);
    assert_eq!(
        targets(&bridge, &json!({"id": "openclaw:core:exec", "input": rm})),
        vec![("exec".to_owned(), rm.clone())]
    );
    // `args` wins over `input`; a null `args` is absent.
    assert_eq!(
        targets(&bridge, &json!({"id": "exec", "args": null, "input": rm})),
        vec![("exec".to_owned(), rm.clone())]
    );
    // The selector nested in `args` is lifted out with them, and its own `args` are the target's.
    assert_eq!(
        targets(&bridge, &json!({"args": {"toolId": "exec", "command": "ls"}})),
        vec![("exec".to_owned(), json!({"command": "ls"}))]
    );
    assert_eq!(
        targets(&bridge, &json!({"input": {"id": "exec", "args": rm}})),
        vec![("exec".to_owned(), rm.clone())]
    );
    // The arguments flattened beside the selector, `args.<name>` as `<name>`.
    assert_eq!(
        targets(&bridge, &json!({"name": "write", "args.path": "x", "content": "y"})),
        vec![("write".to_owned(), json!({"path": "x", "content": "y"}))]
    );
    // `args.<name>` beside nested arguments joins them; the nested value wins.
    assert_eq!(
        targets(&bridge, &json!({"id": "write", "args.path": "x", "args": {"content": "y"}})),
        vec![("write".to_owned(), json!({"path": "x", "content": "y"}))]
    );
    // Every selector given is a target.
    assert_eq!(
        targets(&bridge, &json!({"id": "read", "name": "exec"})).into_iter().map(|(tool, _)| tool).collect::<Vec<_>>(),
        ["read", "exec"]
    );
    // Only `openclaw:<owner>:` is stripped; any other id is the name itself.
    assert_eq!(targets(&bridge, &json!({"id": "mcp:server:exec"})), vec![("mcp:server:exec".to_owned(), json!({}))]);
    assert_eq!(targets(&bridge, &json!({"id": "openclaw:a:b:exec"})), vec![("exec".to_owned(), json!({}))]);
    assert_eq!(targets(&bridge, &json!({"id": "openclaw:"})), vec![("openclaw:".to_owned(), json!({}))]);
}

#[test]
fn a_bridge_call_naming_no_tool_has_no_target() {
    let bridge = openclaw();
    for arguments in [json!({"args": {}}), json!({"args": {"path": "a"}}), json!("exec"), json!({"id": "  "}), json!({"id": 3})] {
        assert_eq!(targets(&bridge, &arguments), vec![], "{arguments}");
    }
}

#[test]
fn a_prefix_without_a_wildcard_is_stripped_as_is() {
    let bridge = Bridge { selectors: vec!["tool".into()], arguments: vec![], strip_prefix: Some("builtin.".into()) };
    assert_eq!(
        targets(&bridge, &json!({"tool": "builtin.shell", "cmd": "ls"})),
        vec![("shell".to_owned(), json!({"cmd": "ls"}))]
    );
}

const PROJECT: &str = "/home/dev/project";

fn router() -> Router {
    Router::builtin(Environment::new("/home/dev", PROJECT), Examples::Trust).unwrap()
}

/// A call under a manifest that grants the bridge and `read`, as the summarise task does.
fn summarise(tool: &str, args: Value) -> ToolCall {
    let mut call = ToolCall::new(tool, args).with_cwd(PROJECT);
    call.task = Some("Summarise the README".into());
    call.session = Some("s1".into());
    call.granted = Some(vec!["tool_call".into(), "read".into()]);
    call
}

#[test]
fn a_granted_bridge_cannot_run_an_ungranted_tool() {
    let router = router();
    for id in ["exec", "openclaw:core:exec"] {
        let blocked = router.route(&summarise("tool_call", json!({"id": id, "args": {"command": "rm -r /home/dev/victim"}})));
        assert_eq!(blocked.decision, DecisionKind::Block, "{blocked:?}");
        assert_eq!(blocked.rule.as_deref(), Some("manifest.not-granted"), "{blocked:?}");
        assert!(blocked.reason.starts_with("`tool_call` would run `exec`: "), "{}", blocked.reason);
    }
    let nested = router.route(&summarise("tool_call", json!({"input": {"toolId": "exec", "command": "ls"}})));
    assert_eq!(nested.decision, DecisionKind::Block, "{nested:?}");
    // Any selector may be the one the runtime picks.
    let named = router.route(&summarise("tool_call", json!({"id": "read", "name": "exec", "path": "README.md"})));
    assert_eq!(named.decision, DecisionKind::Block, "{named:?}");
    assert!(named.reason.contains("would run `exec`"), "{}", named.reason);
}

#[test]
fn a_granted_bridge_runs_a_granted_tool_and_the_reason_says_which() {
    let allowed = router().route(&summarise("tool_call", json!({"id": "openclaw:core:read", "args": {"path": "README.md"}})));
    assert_eq!(allowed.decision, DecisionKind::Allow, "{allowed:?}");
    assert!(allowed.reason.contains("`tool_call` would run `read`"), "{}", allowed.reason);
}

#[test]
fn the_target_is_judged_with_its_own_arguments_and_the_call_s_workspace() {
    // `read` is granted, but the target's path is a credential file of the workspace.
    let blocked = router().route(&summarise("tool_call", json!({"id": "read", "args": {"path": ".env"}})));
    assert_eq!(blocked.decision, DecisionKind::Block, "{blocked:?}");
    assert_eq!(blocked.rule.as_deref(), Some("filesystem:**/.env"), "{blocked:?}");
}

#[test]
fn an_ungranted_bridge_is_refused_as_itself() {
    let mut call = summarise("tool_call", json!({"id": "read", "args": {"path": "README.md"}}));
    call.granted = Some(vec!["read".into()]);
    let blocked = router().route(&call);
    assert_eq!(blocked.rule.as_deref(), Some("manifest.not-granted"));
    assert!(!blocked.reason.contains("would run"), "{}", blocked.reason);
}

#[test]
fn a_bridge_call_whose_target_cannot_be_read_is_refused() {
    let blocked = router().route(&summarise("tool_call", json!({"args": {"path": "README.md"}})));
    assert_eq!(blocked.decision, DecisionKind::Block);
    assert_eq!(blocked.rule.as_deref(), Some(UNREADABLE_TARGET));
    assert_eq!(
        blocked.reason,
        "`tool_call` runs another tool, and its arguments name none that can be checked; name the tool in `id`, `toolId`, `name`"
    );
}

#[test]
fn a_bridge_inside_a_bridge_is_followed_and_bounded() {
    let router = router();
    let wrap = |inner: Value| json!({"id": "tool_call", "args": inner});
    let exec = json!({"id": "exec", "args": {"command": "rm -r /home/dev/victim"}});
    let twice = router.route(&summarise("tool_call", wrap(exec.clone())));
    assert_eq!(twice.decision, DecisionKind::Block);
    assert_eq!(twice.rule.as_deref(), Some("manifest.not-granted"));
    assert!(twice.reason.starts_with("`tool_call` would run `tool_call`: `tool_call` would run `exec`: "), "{}", twice.reason);
    let read = json!({"id": "read", "args": {"path": "README.md"}});
    let mut call = read.clone();
    for _ in 0..MAX_DEPTH - 1 {
        call = wrap(call);
    }
    assert_eq!(router.route(&summarise("tool_call", call.clone())).decision, DecisionKind::Allow);
    let deeper = router.route(&summarise("tool_call", wrap(call)));
    assert_eq!(deeper.decision, DecisionKind::Block, "{deeper:?}");
    assert_eq!(deeper.rule.as_deref(), Some(TOO_DEEP), "{deeper:?}");
}

#[test]
fn a_tool_is_a_bridge_only_when_its_catalog_entry_says_so() {
    let text = r#"
[catalog]
builtin = []

[[catalog.tools]]
name = "run_tool"
risk = []
bridge = { selectors = ["tool"], arguments = ["with"] }

[[catalog.tools]]
name = "tool_call"
risk = []

[[catalog.tools]]
name = "shell"
risk = ["exec"]
shell = ["/cmd"]

[filesystem.paths]
"." = "write"
"#;
    let (file, catalog) = aethelgard_policy::parse(text, "bridges.toml", None).unwrap();
    let router = Router::new(file, catalog, "bridges.toml", Environment::new("/home/dev", PROJECT)).unwrap();
    let call = |tool: &str, args: Value| {
        let mut call = ToolCall::new(tool, args).with_cwd(PROJECT);
        call.granted = Some(vec!["run_tool".into(), "tool_call".into()]);
        call
    };
    let bridged = router.route(&call("run_tool", json!({"tool": "shell", "with": {"cmd": "ls"}})));
    assert_eq!(bridged.decision, DecisionKind::Block, "{bridged:?}");
    assert!(bridged.reason.starts_with("`run_tool` would run `shell`: "), "{}", bridged.reason);
    // Here `tool_call` is an ordinary tool: its arguments are not read.
    let plain = router.route(&call("tool_call", json!({"id": "shell"})));
    assert_eq!(plain.decision, DecisionKind::Allow, "{plain:?}");
}
