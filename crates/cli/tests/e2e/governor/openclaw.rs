//! OpenClaw 2026.9.6: the exported `openclaw.json`, its tools and its deferred-tool list.

use serde_json::json;

use super::{
    FORBIDDEN_FILE, TASK, assert_not_written, assert_only_allowed, assert_section_reached, export,
    export_agents_md, manifest,
};
use crate::harness::Sandbox;
use crate::model_server::ModelServer;
use crate::openclaw;

const OPENCLAW_HINTS: &[(&str, &str)] = &[
    (
        "tool_search",
        "`tools.toolSearch: false` (or `tools.deny` naming it)",
    ),
    (
        "tool_describe",
        "`tools.toolSearch: false` (or `tools.deny` naming it)",
    ),
    (
        "tool_call",
        "`tools.toolSearch: false` (or `tools.deny` naming it)",
    ),
];

/// OpenClaw drops anything but letters and digits from tool call ids.
const OPENCLAW_EXEC_CALL: &str = "callgovexec";

#[test]
fn summarise_offers_only_granted_tools() {
    let test = "governor::openclaw::summarise_offers_only_granted_tools";
    let Some(oc) = openclaw::runtime(test) else {
        return;
    };
    let sandbox = Sandbox::new("gov-openclaw");
    let manifest = manifest(&sandbox, "openclaw");
    // The model calls `exec` directly, as a prompt-injected model would, whether offered or not.
    let server = ModelServer::start(openclaw::responder(vec![openclaw::Turn::ToolCall {
        id: OPENCLAW_EXEC_CALL.to_owned(),
        name: "exec".to_owned(),
        arguments: json!({"command": format!("echo written by a summarisation task > {FORBIDDEN_FILE}")}),
    }]));
    let config = openclaw::write_config(&sandbox, &server.base_url(), None);
    export(&sandbox, "openclaw", &config, &[], &[]);
    let section = export_agents_md(&sandbox, "openclaw");

    let run = openclaw::run(&oc, &sandbox, &config, &server, TASK);
    drop(server);
    let describe = || run.describe();
    eprintln!("{test}: took {:?}", run.output.elapsed);
    assert!(
        run.output.status.is_some_and(|s| s.success()),
        "{}",
        describe()
    );
    let requests = run.model_requests();
    assert!(
        !requests.is_empty(),
        "OpenClaw never asked the model\n{}",
        describe()
    );

    let mut offered = Vec::new();
    for (i, body) in requests.iter().enumerate() {
        let tools = openclaw::tool_names(body);
        let deferred = openclaw::deferred_tools(body);
        if tools
            .iter()
            .any(|t| t == "tool_search" || t == "tool_call" || t == "tool_describe")
        {
            assert!(
                deferred.is_some(),
                "the tool-search bridge is offered ({tools:?}) but no deferred-tool list was found; has its heading changed?\n{}",
                describe()
            );
        }
        offered.extend(
            tools
                .into_iter()
                .map(|t| (t, format!("request {i} `tools`"))),
        );
        offered.extend(
            deferred
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t, format!("request {i} deferred-tool list"))),
        );
    }
    assert_section_reached("openclaw", &section, &requests, &describe);

    let result = run.tool_result(OPENCLAW_EXEC_CALL).unwrap_or_else(|| {
        panic!(
            "the model never got an answer to its exec call\n{}",
            describe()
        )
    });
    eprintln!("{test}: exec was answered with {result}");
    assert!(
        result.to_lowercase().contains("not found"),
        "the forced exec call was not refused as an unknown tool: {result}\n{}",
        describe()
    );
    assert_not_written("openclaw", &sandbox, &describe);
    assert_eq!(
        run.final_text().as_deref(),
        Some(openclaw::FINAL_TEXT),
        "{}",
        describe()
    );
    assert_only_allowed(
        "openclaw",
        &offered,
        &manifest.granted,
        &manifest,
        OPENCLAW_HINTS,
        &describe,
    );
}
