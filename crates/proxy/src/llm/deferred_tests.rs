use super::*;

const CLAUDE: &str = "<system-reminder>\nThe following deferred tools are now available via ToolSearch. Their schemas are NOT loaded:\nWebFetch\nCronCreate\nmcp__github__delete_repo\n\nMore text.\n</system-reminder>";
const OPENCLAW: &str = "Intro.\nAvailable deferred-schema tools:\n\n- web_fetch: fetch a page\n- cron: schedule\n- sessions_spawn (spawn a session)\n\n## Next section";

#[test]
fn both_runtimes_lists_are_read() {
    assert_eq!(
        names(CLAUDE),
        ["WebFetch", "CronCreate", "mcp__github__delete_repo"]
    );
    assert_eq!(names(OPENCLAW), ["web_fetch", "cron", "sessions_spawn"]);
    assert!(names("no list here").is_empty());
}

#[test]
fn ungranted_names_are_removed_and_the_rest_of_the_text_is_kept() {
    let kept = remove(CLAUDE, &["WebFetch".to_owned()]).unwrap();
    assert_eq!(
        kept,
        CLAUDE.replace("CronCreate\nmcp__github__delete_repo\n", "")
    );
    let kept = remove(OPENCLAW, &["cron".to_owned()]).unwrap();
    assert_eq!(
        kept,
        "Intro.\nAvailable deferred-schema tools:\n\n- cron: schedule\n\n## Next section"
    );
    assert_eq!(
        remove(
            OPENCLAW,
            &["web_fetch".into(), "cron".into(), "sessions_spawn".into()]
        ),
        None
    );
}

#[test]
fn lists_are_found_in_any_string_of_a_request() {
    let mut body =
        serde_json::json!({"messages": [{"content": [{"type": "text", "text": CLAUDE}]}]});
    assert_eq!(names_in(&body).len(), 3);
    remove_in(&mut body, &[]);
    assert!(names_in(&body).is_empty());
    assert!(body.to_string().contains("More text."));
}

/// OpenClaw 2026.9.6's system prompt opens with every tool of `tools`, then its deferred list.
const OPENCLAW_TOOLING: &str = "You are a personal assistant running inside OpenClaw.\n## Tooling\nTools policy-filtered. Names case-sensitive; call exact.\n- read: Read files\n- exec: Run shell; pty for TTY CLIs\n- tool_call\n### Deferred Tool Schemas\nAvailable deferred-schema tools:\n- web_fetch (core): Fetch URL\n- cron (core): schedule\n\nUse tool_search.";

#[test]
fn openclaw_tooling_list_is_read_and_filtered_like_the_deferred_one() {
    assert_eq!(
        names(OPENCLAW_TOOLING),
        ["web_fetch", "cron", "read", "exec", "tool_call"]
    );
    let kept = remove(
        OPENCLAW_TOOLING,
        &["read".into(), "tool_call".into(), "web_fetch".into()],
    )
    .unwrap();
    assert_eq!(
        kept,
        OPENCLAW_TOOLING
            .replace("- exec: Run shell; pty for TTY CLIs\n", "")
            .replace("- cron (core): schedule\n", "")
    );
}
