//! Manifests from the built-in default policy: the paper's summarisation figure, and the promise
//! that no dangerous tool reaches a task type whose profile does not list it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_governor::{Governor, Why, tasks};
use aethelgard_policy::Profile;
use aethelgard_protocol::RiskTag;
use std::collections::BTreeMap;

/// OpenClaw's early-2026 `coding` profile: the 15 tools the paper's 15x figure most likely counts.
const OPENCLAW_CODING_15: [&str; 15] = [
    "read", "write", "edit", "exec", "process", "memory_search", "memory_get", "sessions_list", "sessions_history",
    "sessions_send", "sessions_spawn", "subagents", "session_status", "cron", "image",
];

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn summarisation_on_the_openclaw_coding_profile_grants_at_most_four_safe_tools() {
    let governor = Governor::builtin().unwrap();
    let available = strings(&OPENCLAW_CODING_15);
    let manifest = governor.manifest("summarise", Some(&available));
    assert!(manifest.granted.len() <= 4, "granted {:?}", manifest.granted);
    assert!(!manifest.granted.is_empty());
    for forbidden in ["exec", "process", "sessions_spawn", "subagents", "cron", "write", "edit"] {
        assert!(!manifest.granted.iter().any(|t| t == forbidden), "{forbidden} granted: {:?}", manifest.granted);
    }
    assert_eq!(manifest.granted.len() + manifest.denied.len(), 15);
    let reduction = 1.0 - manifest.granted.len() as f64 / 15.0;
    assert!(reduction >= 0.75, "attack surface reduction {reduction}");
}

/// Every dangerous tool of every built-in catalog, for every task type (built-in and profile):
/// granted only when the profile that scopes the type lists each dangerous tag the tool carries.
#[test]
fn no_dangerous_tool_reaches_a_task_type_that_does_not_list_it() {
    let governor = Governor::builtin().unwrap();
    let mut checked = 0;
    for task_type in governor.task_types() {
        let profile = governor.profile(&task_type).or_else(|| governor.profile(tasks::UNKNOWN)).unwrap();
        for verdict in governor.verdicts(&task_type, None) {
            let tool = governor.catalog().get(&verdict.tool).unwrap();
            for tag in tool.risk.iter().filter(|t| t.is_dangerous()) {
                if verdict.granted {
                    assert!(profile.risk.contains(tag), "{task_type} got {} ({tag}) but lists {:?}", tool.name, profile.risk);
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} (type, dangerous tool) pairs checked");
}

/// The same promise for a hostile policy: a profile that names every tool and every group.
#[test]
fn the_risk_ceiling_holds_even_for_a_profile_that_selects_everything() {
    let (mut file, catalog) = aethelgard_policy::default_policy().unwrap();
    let groups = catalog.tools().iter().filter_map(|t| t.group.clone()).collect();
    file.profiles.insert(
        "greedy".to_owned(),
        Profile { tools: vec!["*".to_owned()], groups, risk: vec![RiskTag::Read, RiskTag::Network], ..Profile::default() },
    );
    let governor = Governor::new(&file, catalog).unwrap();
    let verdicts = governor.verdicts("greedy", None);
    for verdict in &verdicts {
        let tool = governor.catalog().get(&verdict.tool).unwrap();
        if tool.is_dangerous() {
            assert!(!verdict.granted, "{} granted", tool.name);
            assert!(matches!(verdict.why, Why::OverRisk { .. }));
        }
    }
    assert!(verdicts.iter().any(|v| v.granted));
}

#[test]
fn every_builtin_task_type_has_a_profile_and_types_without_exec_get_no_shell() {
    let governor = Governor::builtin().unwrap();
    for id in tasks::ids() {
        assert!(governor.profile(id).is_some(), "no profile for {id}");
    }
    for task_type in ["summarise", "answer", "research", "communicate", "unknown", "pay"] {
        let manifest = governor.manifest(task_type, None);
        for shell in ["Bash", "exec_command", "exec", "process"] {
            assert!(!manifest.granted.iter().any(|t| t == shell), "{task_type} grants {shell}");
        }
    }
    let implement = governor.manifest("implement", None);
    for needed in ["Bash", "Edit", "Write", "exec_command", "apply_patch", "exec", "edit"] {
        assert!(implement.granted.iter().any(|t| t == needed), "implement lacks {needed}");
    }
    // Each narrower task type sees fewer tools than the runtime offers.
    for task_type in governor.task_types() {
        let manifest = governor.manifest(&task_type, None);
        assert!(manifest.granted.len() * 2 < governor.catalog().len(), "{task_type} grants {}", manifest.granted.len());
    }
}

#[test]
fn inheritance_unions_the_chain_and_deny_wins() {
    let text = r#"
[catalog]
builtin = ["claude"]
[profiles.base]
risk = ["read"]
tools = ["Read", "Grep"]
[profiles.narrow]
extends = "base"
risk = ["network"]
tools = ["WebFetch", "Bash"]
deny = ["Grep"]
"#;
    let (file, catalog) = aethelgard_policy::parse(text, "test", None).unwrap();
    let governor = Governor::new(&file, catalog).unwrap();
    let profile = governor.profile("narrow").unwrap();
    assert_eq!(profile.chain, ["narrow", "base"]);
    let verdicts: BTreeMap<String, Why> =
        governor.verdicts("narrow", Some(&strings(&["Read", "Grep", "WebFetch", "Bash", "Write"]))).into_iter().map(|v| (v.tool, v.why)).collect();
    assert_eq!(verdicts["Read"], Why::Named { profile: "narrow".to_owned() });
    assert_eq!(verdicts["Grep"], Why::Denied { glob: "Grep".to_owned() });
    assert!(matches!(verdicts["WebFetch"], Why::Named { .. }));
    assert!(matches!(&verdicts["Bash"], Why::OverRisk { tags } if tags.contains(&RiskTag::Exec)));
    assert_eq!(verdicts["Write"], Why::NotSelected);
}

#[test]
fn loops_and_missing_parents_are_load_errors() {
    let looped = "[profiles.a]\nextends = \"b\"\n[profiles.b]\nextends = \"a\"\n";
    let error = aethelgard_policy::parse(looped, "test", None).unwrap_err().to_string();
    assert!(error.contains("loop"), "{error}");
    let missing = "[profiles.a]\nextends = \"nope\"\n";
    let error = aethelgard_policy::parse(missing, "test", None).unwrap_err().to_string();
    assert!(error.contains("`nope`, which is not a profile"), "{error}");
}

#[test]
fn learned_grants_replace_the_selection_but_not_the_ceiling() {
    use aethelgard_governor::learned::{LearnedGrants, LearnedPolicy};
    let mut learned = LearnedPolicy::new("ppo");
    learned.task_types.insert(
        "summarise".to_owned(),
        LearnedGrants { grant: vec!["read".to_owned(), "exec".to_owned()], scores: BTreeMap::from([("memory_get".to_owned(), 0.4)]) },
    );
    let governor = Governor::builtin().unwrap().with_learned(learned);
    let available = strings(&OPENCLAW_CODING_15);
    let verdicts: BTreeMap<String, Why> = governor.verdicts("summarise", Some(&available)).into_iter().map(|v| (v.tool, v.why)).collect();
    assert_eq!(verdicts["read"], Why::Learned { score: 1.0 });
    assert!(matches!(verdicts["exec"], Why::OverRisk { .. }), "the ceiling must stop a learned exec");
    assert_eq!(verdicts["memory_get"], Why::NotSelected, "below the threshold");
    // A type the learned file does not cover keeps its profile.
    let research = governor.manifest("research", None);
    assert!(research.granted.iter().any(|t| t == "WebSearch"));
}

#[test]
fn explicit_task_types_win_and_unknown_names_are_errors() {
    let governor = Governor::builtin().unwrap();
    let scoped = governor.scope(Some("anything"), Some("deploy"), None).unwrap();
    assert_eq!(scoped.classification.confidence, 1.0);
    assert_eq!(scoped.manifest.task_type, "deploy");
    let error = governor.scope(None, Some("nonsense"), None).unwrap_err().to_string();
    assert!(error.contains("unknown task type `nonsense`") && error.contains("summarise"), "{error}");
}

#[test]
fn the_builtin_profiles_have_no_warnings_and_typos_are_reported() {
    let governor = Governor::builtin().unwrap();
    assert_eq!(governor.profile_warnings(), Vec::<String>::new());
    let text = "[catalog]\nbuiltin = [\"claude\"]\n[profiles.x]\nrisk = [\"read\"]\ntools = [\"Reed\", \"Bash\", \"mcp__github__get_issue\", \"Gl*\"]\n";
    let (file, catalog) = aethelgard_policy::parse(text, "test", None).unwrap();
    let warnings = Governor::new(&file, catalog).unwrap().profile_warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("`Bash`") && warnings[0].contains("never granted"), "{warnings:?}");
    assert!(warnings[1].contains("`Reed`, which no catalog knows"), "{warnings:?}");
}

#[test]
fn a_shared_name_is_judged_by_the_runtime_catalog_it_comes_from() {
    let governor = Governor::builtin().unwrap();
    let mut codex = aethelgard_policy::Catalog::default();
    codex.extend(aethelgard_policy::Catalog::builtin("codex").unwrap());
    let mut openclaw = aethelgard_policy::Catalog::default();
    openclaw.extend(aethelgard_policy::Catalog::builtin("openclaw").unwrap());
    let granted = |catalog| governor.verdicts_in(catalog, "answer", None).into_iter().any(|v| v.tool == "view_image" && v.granted);
    assert!(granted(&codex), "Codex's view_image only reads local images");
    assert!(!granted(&openclaw), "OpenClaw's view_image fetches URLs (network), over `answer`'s ceiling");
}

#[test]
fn the_default_classifier_is_the_shipped_model() {
    use aethelgard_governor::classify::{linear::LinearClassifier, Method};
    LinearClassifier::from_json(aethelgard_governor::classify::BUILTIN_MODEL, "data/tasks/classifier.json").unwrap();
    let governor = Governor::builtin().unwrap();
    let classification = governor.classify(Some("Summarise the design doc in docs/architecture.md"), None).unwrap();
    assert_eq!(classification.method, Method::Model);
    assert_eq!(classification.task_type, "summarise");
}

/// MCP server-filesystem's tools, under the names each surface sees them by: bare (the MCP
/// proxy), `mcp__<server>__<tool>` (Codex CLI and Claude Code hooks and configs) and
/// `<server>__<tool>` (OpenClaw). A summarising task gets the reading tools and never a writing one.
#[test]
fn mcp_filesystem_tools_are_scoped_alike_under_every_surface_name() {
    let governor = Governor::builtin().unwrap();
    let reading = ["read_text_file", "list_directory", "read_multiple_files", "search_files"];
    let writing = ["write_file", "edit_file", "move_file", "create_directory"];
    for qualify in [|t: &str| t.to_owned(), |t: &str| format!("mcp__files__{t}"), |t: &str| format!("files__{t}")] {
        let available: Vec<String> = reading.iter().chain(&writing).map(|t| qualify(t)).collect();
        for task_type in ["summarise", "answer", "review", "unknown"] {
            let manifest = governor.manifest(task_type, Some(&available));
            let expected: Vec<String> = reading.iter().map(|t| qualify(t)).collect();
            assert_eq!(manifest.granted, expected, "{task_type}");
        }
        let coding = governor.manifest("implement", Some(&available));
        assert_eq!(coding.granted, available, "implement edits files");
    }
}
