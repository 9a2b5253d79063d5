use super::*;

fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec::new("read", "Reads a text file into the context.", vec![RiskTag::Read]),
        ToolSpec::new("web_fetch", "Fetches a web page by URL.", vec![RiskTag::Read, RiskTag::Network]),
        ToolSpec::new("exec", "Runs a shell command.", vec![RiskTag::Exec]),
        ToolSpec::new("vault_get", "Reads a secret from the vault.", vec![RiskTag::Read]),
        ToolSpec::new("wire", "Sends money to a payee.", vec![RiskTag::Payment]),
    ]
}

#[test]
fn the_shipped_static_profiles_cover_every_task_type() {
    let profiles = StaticProfiles::builtin().unwrap();
    let types: Vec<&str> = profiles.task_types().collect();
    for wanted in ["summarise", "answer", "research", "review", "implement", "test", "debug", "refactor", "deploy", "data", "communicate", "schedule", "pay", "admin", "unknown"] {
        assert!(types.contains(&wanted), "no static profile for {wanted}");
    }
}

#[test]
fn a_static_profile_applies_tags_words_and_exclusions() {
    let profiles = StaticProfiles::builtin().unwrap();
    let grant = profiles.grant("", Some("summarise"), &tools());
    // read and web_fetch: tags and words fit; exec and wire carry tags summaries may not have;
    // vault_get is excluded by "secret".
    assert_eq!(grant, vec![true, true, false, false, false]);
    let grant = profiles.grant("", Some("research"), &tools());
    assert_eq!(grant, vec![true, true, false, false, false]);
    let grant = profiles.grant("", Some("pay"), &tools());
    assert_eq!(grant, vec![false, false, false, false, true]);
    // An unknown type falls back to `unknown`.
    assert_eq!(profiles.grant("", Some("nope"), &tools()), profiles.grant("", Some("unknown"), &tools()));
}

#[test]
fn a_bad_profiles_file_names_itself() {
    let err = StaticProfiles::parse("[summarise]\nallow = [\"reed\"]\n", "mine.toml").unwrap_err();
    assert!(err.to_string().starts_with("mine.toml"), "{err}");
}

#[test]
fn frequency_unions_what_successful_sessions_of_a_type_needed() {
    let mut a = Episode::new("a", "summarise x", tools());
    a.task_type = Some("summarise".into());
    a.needed = vec![true, false, false, false, false];
    a.success = Some(true);
    let mut b = a.clone();
    b.needed = vec![false, true, false, false, false];
    let mut failed = a.clone();
    failed.needed = vec![false, false, true, false, false];
    failed.success = Some(false);
    let policy = Frequency::train(&[a.clone(), b, failed]);
    assert_eq!(policy.grant_episode(&a), vec![true, true, false, false, false]);
    assert_eq!(policy.grant("", Some("deploy"), &tools()), vec![false; 5]);
}

#[test]
fn all_tools_and_the_oracle() {
    let mut episode = Episode::new("e", "t", tools());
    episode.needed = vec![false, true, false, false, false];
    assert_eq!(AllTools.grant_episode(&episode), vec![true; 5]);
    assert_eq!(Oracle.grant_episode(&episode), episode.needed);
}
