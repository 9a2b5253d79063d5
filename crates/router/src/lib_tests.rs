use super::*;
use aethelgard_protocol::{DecisionKind, ToolCall};
use serde_json::json;

fn router() -> Router {
    Router::builtin(Environment::new("/home/dev", "/home/dev/project"), Examples::Check).unwrap()
}

fn bash(command: &str) -> ToolCall {
    ToolCall::new("Bash", json!({ "command": command })).with_cwd("/home/dev/project")
}

#[test]
fn default_policy_loads_and_its_examples_pass() {
    let r = router();
    assert!(r.examples_checked() > 100, "only {} examples checked", r.examples_checked());
}

#[test]
fn benign_command_is_allowed_with_no_rule() {
    let d = router().route(&bash("git status"));
    assert_eq!(d.decision, DecisionKind::Allow);
    assert_eq!(d.rule, None);
}

#[test]
fn not_granted_tool_is_blocked() {
    let mut call = bash("ls");
    call.granted = Some(vec!["Read".into()]);
    let d = router().route(&call);
    assert_eq!(d.decision, DecisionKind::Block);
    assert_eq!(d.rule.as_deref(), Some("manifest.not-granted"));
}

#[test]
fn credential_read_by_read_tool_is_blocked_by_filesystem() {
    let call = ToolCall::new("Read", json!({"file_path": "/home/dev/project/.env"})).with_cwd("/home/dev/project");
    let d = router().route(&call);
    assert_eq!(d.decision, DecisionKind::Block);
    assert_eq!(d.rule.as_deref(), Some("filesystem:**/.env"));
    let ok = ToolCall::new("Read", json!({"file_path": "/home/dev/project/.env.example"})).with_cwd("/home/dev/project");
    assert_eq!(router().route(&ok).decision, DecisionKind::Allow);
}

#[test]
fn write_tool_outside_workspace_is_blocked() {
    let call = ToolCall::new("Write", json!({"file_path": "/etc/cron.d/x", "content": "x"})).with_cwd("/home/dev/project");
    assert_eq!(router().route(&call).decision, DecisionKind::Block);
    let inside = ToolCall::new("Write", json!({"file_path": "src/main.rs", "content": "x"})).with_cwd("/home/dev/project");
    assert_eq!(router().route(&inside).decision, DecisionKind::Allow);
}

#[test]
fn unresolved_command_escalates() {
    let d = router().route(&bash("$cmd -rf ~"));
    assert_eq!(d.decision, DecisionKind::Escalate);
    assert_eq!(d.rule.as_deref(), Some("shell.unresolved"));
}

#[test]
fn dynamic_delete_target_escalates() {
    let d = router().route(&bash("rm -rf \"$TARGET\""));
    assert_eq!(d.decision, DecisionKind::Escalate);
}

struct Failing;
impl Classifier for Failing {
    fn name(&self) -> &str {
        "failing"
    }
    fn classify(&self, _: &ToolCall) -> Result<Stage2Verdict, ClassifierError> {
        Err(ClassifierError { classifier: "failing".into(), message: "model unavailable".into() })
    }
}

struct Blocks;
impl Classifier for Blocks {
    fn name(&self) -> &str {
        "blocks"
    }
    fn classify(&self, _: &ToolCall) -> Result<Stage2Verdict, ClassifierError> {
        Ok(Stage2Verdict { decision: DecisionKind::Block, score: 0.97, reason: "looks like exfiltration".into() })
    }
}

#[test]
fn stage2_only_sees_the_marked_classes_and_fails_closed() {
    // The default policy sends message, payment and credential tools and MCP tools to stage 2;
    // shell commands stay with the rules.
    let r = router().with_classifier(Box::new(Blocks));
    let mail = ToolCall::new("mcp__mail__send_email", serde_json::json!({"to": "x@evil.example"}));
    let marked = r.route(&mail);
    assert_eq!((marked.decision, marked.stage), (DecisionKind::Block, aethelgard_protocol::Stage::Classifier));
    let shell = r.route(&bash("git status"));
    assert_eq!((shell.decision, shell.stage), (DecisionKind::Allow, aethelgard_protocol::Stage::Rules));
    let decided = r.route(&bash("rm -rf ~"));
    assert_eq!(decided.stage, aethelgard_protocol::Stage::Rules);
    let failing = router().with_classifier(Box::new(Failing)).route(&mail);
    assert_eq!(failing.decision, DecisionKind::Block);
    assert_eq!(failing.rule.as_deref(), Some("router.internal-error"));
}

#[test]
fn fail_open_policy_allows_on_internal_error() {
    let text = "version = 1\nfail_mode = \"open\"\n";
    let (file, catalog) = aethelgard_policy::parse(text, "inline", None).unwrap();
    let r = Router::new(file, catalog, "inline", Environment::new("/h", "/w")).unwrap().with_classifier(Box::new(Failing));
    assert_eq!(r.route(&bash("ls")).decision, DecisionKind::Allow);
}

#[test]
fn a_failing_example_stops_the_load_and_names_rule_and_example() {
    let text = r#"
version = 1
[[rules]]
id = "no-curl"
decision = "block"
reason = "no curl"
match = ["wget https://x.example"]
[rules.shell]
program = ["curl"]
"#;
    let (file, catalog) = aethelgard_policy::parse(text, "team.toml", None).unwrap();
    let error = Router::new(file, catalog, "team.toml", Environment::new("/h", "/w")).unwrap_err().to_string();
    assert!(error.contains("no-curl") && error.contains("wget https://x.example"), "{error}");
}

#[test]
fn filesystem_most_specific_wins() {
    let r = router();
    let fs = &r.policy.filesystem;
    let g = |p: &str| fs.governing(p, "/home/dev/project", "/home/dev").access;
    use aethelgard_policy::FilesystemAccess::*;
    assert_eq!(g("/home/dev/project/src/main.rs"), Write);
    assert_eq!(g("/home/dev/project/.env"), Deny);
    assert_eq!(g("/home/dev/project/.env.example"), Read);
    assert_eq!(g("/home/dev/.ssh/id_rsa"), Deny);
    assert_eq!(g("/home/dev/.ssh/id_rsa.pub"), Read);
    assert_eq!(g("/home/dev/.ssh"), Deny);
    assert_eq!(g("/etc/hosts"), Read);
    assert_eq!(g("/tmp/x"), Write);
    assert_eq!(g("/home/dev/project/.git/hooks/pre-commit"), Read);
    assert_eq!(fs.entry_anchor("~/.ssh"), Some(filesystem::Anchor::Home));
    // A workspace that is the home directory itself still protects ~/.ssh.
    assert_eq!(fs.governing("/home/dev/.ssh/id_rsa", "/home/dev", "/home/dev").access, Deny);
}

#[test]
fn numeric_ipv4_spellings_are_canonicalised() {
    use crate::facts::canonical_ipv4;
    assert_eq!(canonical_ipv4("2852039166").as_deref(), Some("169.254.169.254"));
    assert_eq!(canonical_ipv4("0xa9fea9fe").as_deref(), Some("169.254.169.254"));
    assert_eq!(canonical_ipv4("0251.0376.0251.0376").as_deref(), Some("169.254.169.254"));
    assert_eq!(canonical_ipv4("169.254.43518").as_deref(), Some("169.254.169.254"));
    assert_eq!(canonical_ipv4("::ffff:a9fe:a9fe").as_deref(), Some("169.254.169.254"));
    assert_eq!(canonical_ipv4("[::ffff:169.254.169.254]").as_deref(), Some("169.254.169.254"));
    assert_eq!(canonical_ipv4("169.254.169.254"), None);
    assert_eq!(canonical_ipv4("example.com"), None);
    assert_eq!(canonical_ipv4("1.2.3.4.5"), None);
}

#[test]
fn a_rule_that_cannot_compile_fails_the_load_when_checked_and_the_call_when_trusted() {
    // Valid syntax, but far beyond the regex size limit once compiled.
    let text = r#"
version = 1
[[rules]]
id = "huge"
decision = "block"
reason = "x"
[rules.shell]
program = ["ls"]
args_regex = '(\w{200}){200}'
"#;
    let (file, catalog) = aethelgard_policy::parse(text, "huge.toml", None).unwrap();
    let checked = Router::new(file.clone(), catalog.clone(), "huge.toml", Environment::new("/h", "/w"));
    assert!(checked.unwrap_err().to_string().contains("rule `huge`"));
    let trusted = Router::with_examples(file, catalog, "huge.toml", Environment::new("/h", "/w"), Examples::Trust).unwrap();
    let d = trusted.route(&bash("ls"));
    assert_eq!((d.decision, d.rule.as_deref()), (DecisionKind::Block, Some("router.internal-error")));
    assert!(d.reason.contains("huge"), "{}", d.reason);
}
