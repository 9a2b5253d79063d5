use super::*;
use crate::episode::ToolSpec;
use aethelgard_protocol::SessionCall;
use serde_json::json;

fn session(id: &str, task_type: &str, granted: &[&str], calls: &[(&str, Option<&str>)], success: Option<bool>) -> SessionRecord {
    SessionRecord {
        session: id.into(),
        task: format!("task {id}"),
        task_type: Some(task_type.into()),
        tools: vec!["read".into(), "web_fetch".into(), "exec".into()],
        granted: Some(granted.iter().map(|s| (*s).to_owned()).collect()),
        calls: calls
            .iter()
            .map(|(tool, rule)| SessionCall {
                rule: rule.map(str::to_owned),
                decision: rule.map(|_| DecisionKind::Block),
                ..SessionCall::new(*tool, json!({}))
            })
            .collect(),
        success,
        ..SessionRecord::default()
    }
}

fn type_of(record: &SessionRecord) -> String {
    record.task_type.clone().unwrap_or_default()
}

fn book() -> ToolBook {
    let mut book = ToolBook::new();
    book.extend([
        ToolSpec::new("read", "Reads a file.", vec![RiskTag::Read]),
        ToolSpec::new("web_fetch", "Fetches a URL.", vec![RiskTag::Read, RiskTag::Network]),
        ToolSpec::new("exec", "Runs a command.", vec![RiskTag::Exec]),
    ]);
    book
}

fn ceiling(task_type: &str) -> Option<Vec<RiskTag>> {
    (task_type == "summarise").then(|| vec![RiskTag::Read])
}

const CONFIG: SuggestConfig = SuggestConfig { min_sessions: 3, min_evidence: 2, min_blocks: 2 };

#[test]
fn a_tool_granted_often_and_never_called_is_narrowed() {
    let records: Vec<_> = (0..3).map(|i| session(&format!("s{i}"), "summarise", &["read", "web_fetch"], &[("read", None)], Some(true))).collect();
    let found = suggest(&records, &type_of, &[], &book(), &ceiling, &CONFIG);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, "narrow:summarise:web_fetch");
    assert_eq!(found[0].support, 3);
    // One session fewer than min_sessions: no suggestion.
    assert!(suggest(&records[..2], &type_of, &[], &book(), &ceiling, &CONFIG).is_empty());
}

#[test]
fn a_tool_denied_and_needed_is_widened_with_the_ceiling_it_needs() {
    let records: Vec<_> = (0..2)
        .map(|i| session(&format!("s{i}"), "summarise", &["read"], &[("read", None), ("web_fetch", Some(NOT_GRANTED_RULE))], Some(false)))
        .collect();
    let found = suggest(&records, &type_of, &[], &book(), &ceiling, &CONFIG);
    let widen = found.iter().find(|s| s.id == "widen:summarise:web_fetch").unwrap();
    assert_eq!(widen.change, Change::Widen { task_type: "summarise".into(), tool: "web_fetch".into(), add_risk: vec![RiskTag::Network] });
    assert!(widen.summary.contains("risk ceiling by network"), "{}", widen.summary);
    assert_eq!(widen.evidence.len(), 2);
}

#[test]
fn a_denied_call_in_a_successful_session_is_no_evidence_for_widening() {
    let records: Vec<_> = (0..3)
        .map(|i| session(&format!("s{i}"), "summarise", &["read"], &[("read", None), ("exec", Some(NOT_GRANTED_RULE))], Some(true)))
        .collect();
    let found = suggest(&records, &type_of, &[], &book(), &ceiling, &CONFIG);
    assert!(found.iter().all(|s| !s.id.starts_with("widen:")), "{found:?}");
}

#[test]
fn a_rule_is_relaxed_only_when_everything_it_stopped_was_benign() {
    let label = |rule: &str, benign: bool, source: &str| LabelledDecision { rule: rule.into(), benign, source: source.into() };
    let labelled = vec![
        label("curl-pipe-shell", true, "call-1"),
        label("curl-pipe-shell", true, "call-2"),
        label("rm-root", true, "call-3"),
        label("rm-root", true, "call-4"),
        label("rm-root", false, "call-5"),
        label(NOT_GRANTED_RULE, true, "call-6"),
        label(NOT_GRANTED_RULE, true, "call-7"),
    ];
    let found = suggest(&[], &type_of, &labelled, &book(), &ceiling, &CONFIG);
    let ids: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, vec!["relax:curl-pipe-shell"]);
}

#[test]
fn an_escalation_that_ran_afterwards_is_an_approval() {
    let mut record = session("s", "implement", &["exec"], &[], Some(true));
    record.calls.push(SessionCall {
        decision: Some(DecisionKind::Escalate),
        rule: Some("git-push-force".into()),
        output: Some("pushed".into()),
        ..SessionCall::new("exec", json!({"command": "git push -f"}))
    });
    record.calls.push(SessionCall {
        decision: Some(DecisionKind::Escalate),
        rule: Some("git-push-force".into()),
        ..SessionCall::new("exec", json!({"command": "git push -f"}))
    });
    let labels = approvals(&[record]);
    assert_eq!(labels.len(), 1);
    assert!(labels[0].benign);
    assert_eq!(labels[0].rule, "git-push-force");
}

const POLICY: &str = r#"# my policy
[profiles.summarise]
description = "summaries" # keep me
tools = ["read"]
deny = ["web_fetch"]

[[rules]]
id = "curl-pipe-shell"
decision = "block"
reason = "pipes a download into a shell"
"#;

fn suggestion(change: Change) -> Suggestion {
    Suggestion { id: "x".into(), change, summary: String::new(), evidence: Vec::new(), support: 1 }
}

#[test]
fn applying_edits_in_place_and_keeps_comments() {
    let widen = suggestion(Change::Widen { task_type: "summarise".into(), tool: "web_fetch".into(), add_risk: vec![RiskTag::Network] });
    let narrow = suggestion(Change::Narrow { task_type: "summarise".into(), tool: "exec".into() });
    let relax = suggestion(Change::RelaxRule { rule: "curl-pipe-shell".into() });
    let out = apply(POLICY, &[&widen, &narrow, &relax]).unwrap();
    assert!(out.starts_with("# my policy\n"));
    assert!(out.contains("# keep me"));
    assert!(out.contains(r#"tools = ["read", "web_fetch"]"#), "{out}");
    assert!(out.contains(r#"deny = ["exec"]"#), "{out}");
    assert!(out.contains(r#"risk = ["network"]"#), "{out}");
    assert!(out.contains(r#"decision = "escalate""#), "{out}");
    // Applying again changes nothing.
    assert_eq!(apply(&out, &[&widen, &narrow, &relax]).unwrap(), out);
}

#[test]
fn applying_to_a_missing_profile_or_rule_says_what_to_do() {
    let narrow = suggestion(Change::Narrow { task_type: "deploy".into(), tool: "exec".into() });
    let err = apply(POLICY, &[&narrow]).unwrap_err();
    assert!(err.to_string().contains("[profiles.deploy]"), "{err}");
    let relax = suggestion(Change::RelaxRule { rule: "nope".into() });
    assert!(matches!(apply(POLICY, &[&relax]), Err(ApplyError::NoRule(_))));
    assert!(matches!(apply("not = [toml", &[&relax]), Err(ApplyError::Parse(_))));
}
