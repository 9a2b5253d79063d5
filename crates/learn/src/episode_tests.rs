use super::*;
use aethelgard_protocol::{SessionCall, SessionRecord};
use serde_json::json;

fn book() -> ToolBook {
    let mut book = ToolBook::new();
    book.extend([
        ToolSpec::new("read", "Reads a file.", vec![RiskTag::Read]),
        ToolSpec::new("exec", "Runs a shell command.", vec![RiskTag::Exec]),
        ToolSpec::new("web_fetch", "Fetches a URL.", vec![RiskTag::Network]),
    ]);
    book
}

fn record(id: &str, task: &str, calls: &[(&str, Option<DecisionKind>)], success: Option<bool>) -> SessionRecord {
    SessionRecord {
        session: id.into(),
        task: task.into(),
        tools: vec!["read".into(), "exec".into(), "web_fetch".into()],
        calls: calls
            .iter()
            .map(|(tool, decision)| SessionCall { decision: *decision, ..SessionCall::new(*tool, json!({})) })
            .collect(),
        success,
        ..SessionRecord::default()
    }
}

#[test]
fn a_successful_run_needed_what_it_was_allowed_to_call() {
    let records = [record("a", "Summarise notes.md", &[("read", None), ("exec", Some(DecisionKind::Block))], Some(true))];
    let (episodes, report) = episodes_from_sessions(&records, &book());
    assert_eq!(report.from_own_run, 1);
    let ep = &episodes[0];
    assert_eq!(ep.needed_names(), vec!["read"]);
    assert_eq!(ep.names_where(&ep.used), vec!["read", "exec"]);
    assert_eq!(ep.names_where(&ep.attacked), vec!["exec"]);
    assert_eq!(ep.tools[1].description, "Runs a shell command.");
}

#[test]
fn a_failed_run_takes_the_needs_of_a_successful_run_of_the_same_task() {
    let records = [
        record("ok", "Summarise  notes.md", &[("read", None), ("web_fetch", None)], Some(true)),
        record("failed", "summarise notes.md", &[("read", None)], Some(false)),
        record("alone", "Deploy the app", &[("exec", None)], Some(false)),
    ];
    let (episodes, report) = episodes_from_sessions(&records, &book());
    assert_eq!(report.episodes, 2);
    assert_eq!(report.from_same_task, 1);
    assert_eq!(report.skipped_no_success, 1);
    assert_eq!(episodes[1].needed_names(), vec!["read", "web_fetch"]);
}

#[test]
fn the_ground_truth_field_is_ignored_and_unknown_tools_are_reported() {
    let mut rec = record("a", "Summarise", &[("mcp__notes__get", None)], Some(true));
    rec.needed = Some(vec!["exec".into()]);
    let (episodes, report) = episodes_from_sessions(&[rec], &book());
    assert_eq!(episodes[0].needed_names(), vec!["mcp__notes__get"]);
    assert!(report.undescribed_tools.contains("mcp__notes__get"));
}

#[test]
fn opaque_names_keep_descriptions_and_order() {
    let records = [record("a", "Summarise", &[("read", None)], Some(true))];
    let (episodes, _) = episodes_from_sessions(&records, &book());
    let renamed = episodes[0].with_opaque_names();
    assert_eq!(renamed.tools[0].name, "tool_0");
    assert_eq!(renamed.tools[0].description, episodes[0].tools[0].description);
    assert_eq!(renamed.needed, episodes[0].needed);
}
