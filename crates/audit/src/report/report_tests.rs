#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use aethelgard_protocol::{DecisionKind, SessionCall, SessionRecord};
use serde_json::json;

const HOSTILE: &str = "<script>document.title='pwned'</script>";

fn small_set() -> Vec<SessionRecord> {
    let call = |tool: &str, decision, rule: Option<&str>, reason: &str, at: &str| SessionCall {
        decision: Some(decision),
        rule: rule.map(str::to_owned),
        reason: Some(reason.to_owned()),
        at: Some(at.to_owned()),
        ..SessionCall::new(tool, json!({"command": format!("run {tool}")}))
    };
    vec![
        SessionRecord {
            session: "s1".into(),
            task: "Summarise the README".into(),
            task_type: Some("summarise".into()),
            tools: vec!["Read".into(), "Grep".into(), "Bash".into(), "WebFetch".into()],
            granted: Some(vec!["Read".into(), "Grep".into()]),
            calls: vec![call("Read", DecisionKind::Allow, None, "ok", "2026-03-02T08:00:00Z")],
            success: Some(true),
            started_at: Some("2026-03-02T07:59:00Z".into()),
            ..SessionRecord::default()
        },
        SessionRecord {
            session: "s2".into(),
            task: "Deploy 2.4.1".into(),
            task_type: Some("deploy".into()),
            tools: vec!["Read".into(), "Bash".into()],
            needed: Some(vec!["Bash".into()]),
            calls: vec![
                call("Bash", DecisionKind::Allow, None, "ok", "2026-03-02T09:00:00Z"),
                call("Bash", DecisionKind::Block, Some("git-force-push"), "force-pushes", "2026-03-02T09:01:00Z"),
                call("Bash", DecisionKind::Escalate, Some("shell.unresolved"), "cannot judge", "2026-03-02T09:02:00Z"),
            ],
            success: None,
            ..SessionRecord::default()
        },
        SessionRecord { session: "s3".into(), task: String::new(), ..SessionRecord::default() },
    ]
}

#[test]
fn terminal_summary_of_a_small_set() {
    insta::assert_snapshot!(terminal(&small_set(), &Options::default()));
}

#[test]
fn terminal_of_nothing() {
    let text = terminal(&[], &Options::default());
    assert!(text.contains("0 sessions, 0 calls"));
    assert!(text.contains("No sessions to report."));
}

#[test]
fn ser_is_never_rendered_without_success_and_denial_rate() {
    let text = terminal(&small_set(), &Options::default());
    let header = text.lines().find(|line| line.starts_with("task type") && line.contains("SER")).unwrap();
    let ser = header.find("SER").unwrap();
    let success = header.find("task success").unwrap();
    let denial = header.find("denial rate").unwrap();
    assert!(ser < success && success < denial);
    // Wherever the page names SER (table heads, legends, the summary card, the footer), it names
    // task success and the denial rate too.
    let page = html(&small_set(), &Options::default()).to_lowercase();
    let ser = page.matches(">ser<").count();
    assert!(ser >= 4, "{ser}");
    assert_eq!(ser, page.matches(">task success<").count());
    assert_eq!(ser, page.matches(">denial rate<").count());
}

#[test]
fn terminal_drops_escape_sequences_from_logs() {
    let mut sessions = small_set();
    sessions[1].calls[1].rule = Some("evil\u{1b}[2J\u{1b}]0;owned\u{7}".into());
    let text = terminal(&sessions, &Options::default());
    assert!(!text.contains('\u{1b}'));
    assert!(!text.contains('\u{7}'));
    assert!(text.contains("evil\u{fffd}[2J"));
}

#[test]
fn html_escapes_everything_that_came_from_logs() {
    let mut sessions = small_set();
    let blocked = &mut sessions[1].calls[1];
    blocked.args = json!({"command": HOSTILE, "body": HOSTILE});
    blocked.reason = Some(HOSTILE.into());
    blocked.rule = Some(HOSTILE.into());
    blocked.tool = HOSTILE.into();
    sessions[1].task = HOSTILE.into();
    sessions[1].task_type = Some(HOSTILE.into());
    sessions[1].session = HOSTILE.into();
    let options = Options { title: HOSTILE.into(), source: Some(HOSTILE.into()), ..Options::default() };
    let page = html(&sessions, &options);
    assert!(!page.contains(HOSTILE), "a raw <script> from the log reached the page");
    assert!(!page.contains("<script>document"), "an injected script element");
    assert!(page.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
    // Exactly one script element: the report's own.
    assert_eq!(page.matches("<script").count(), 1);
}

#[test]
fn html_is_self_contained_and_pins_its_script() {
    let page = html(&small_set(), &Options::default());
    for needle in ["http://", "https://", "src=", "@import", "url(http"] {
        let outside = page.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside.contains(needle), "the report refers outside itself: {needle}");
    }
    let csp = page.lines().find(|line| line.contains("Content-Security-Policy")).unwrap();
    assert!(csp.contains("default-src 'none'"));
    let script = page.split("<script>").nth(1).unwrap().split("</script>").next().unwrap();
    assert!(csp.contains(&markup::script_hash(script)), "the CSP hash must match the inline script");
    let style = page.split("<style>").nth(1).unwrap().split("</style>").next().unwrap();
    assert!(csp.contains(&markup::script_hash(style)));
    assert!(page.contains("id=\"report-errors\""));
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 5);
}

#[test]
fn html_is_deterministic() {
    assert_eq!(html(&small_set(), &Options::default()), html(&small_set(), &Options::default()));
}

#[test]
fn html_of_nothing_still_renders() {
    let page = html(&[], &Options::default());
    assert!(page.contains("No sessions to report."));
    assert!(page.contains("document.body.dataset.rendered"));
}

#[test]
fn buckets_follow_the_span() {
    let hour = 3_600_000;
    assert_eq!(timeline::bucket_for(5 * hour).1, "hour");
    assert_eq!(timeline::bucket_for(30 * hour).1, "3 hours");
    assert_eq!(timeline::bucket_for(94 * hour).1, "6 hours");
    assert_eq!(timeline::bucket_for(20 * 24 * hour).1, "day");
    assert_eq!(timeline::bucket_for(400 * 24 * hour).1, "30 days");
}

#[test]
fn shortening_respects_characters() {
    assert_eq!(shorten("héllo wörld", 5), "héll…");
    assert_eq!(shorten("abc", 3), "abc");
    assert_eq!(args_summary(&json!({"command": "ls -la"}), 40), "ls -la");
    assert_eq!(args_summary(&json!({"path": "a"}), 40), r#"{"path":"a"}"#);
}
