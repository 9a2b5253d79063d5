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
