#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The scenario gym: its data, its determinism, its splits and its agent model.

use aethelgard_learn::ToolSpec;
use aethelgard_learn::episode::episodes_from_sessions;
use aethelgard_learn::gym::agent::{MAX_CALLS_PER_NEED, MODEL_REFUSAL_RATE};
use aethelgard_learn::gym::{
    AllowAll, AttackOutcome, CallGuard, Gym, GymConfig, GymSources, HELDOUT_CATALOG, MIN_TEMPLATES,
    RouterGuard, Scenario, TemplateSplit, is_heldout_template,
};
use aethelgard_protocol::{Decision, DecisionKind, RiskTag, SessionRecord, Stage, ToolCall};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

fn gym() -> Gym {
    Gym::builtin().expect("the built-in gym data loads")
}

fn config(seed: u64, sessions: usize) -> GymConfig {
    GymConfig {
        seed,
        sessions,
        ..GymConfig::default()
    }
}

/// Blocks every call: nothing an agent does can run.
struct BlockAll;
impl CallGuard for BlockAll {
    fn judge(&mut self, _call: &ToolCall, _tool: &ToolSpec) -> Decision {
        Decision {
            decision: DecisionKind::Block,
            stage: Stage::Rules,
            score: 1.0,
            rule: Some("all".into()),
            reason: "blocked".into(),
            latency_us: 0,
        }
    }
}

#[test]
fn builtin_data_has_the_catalogs_the_issue_asks_for() {
    let gym = gym();
    let names: Vec<&str> = gym.catalogs().iter().map(|c| c.name.as_str()).collect();
    for expected in [
        "openclaw-coding",
        "codex",
        "claude",
        "office",
        "payments",
        "devops",
        "support",
    ] {
        assert!(
            names.contains(&expected),
            "catalog {expected} missing from {names:?}"
        );
    }
    let coding: Vec<&str> = gym
        .catalog("openclaw-coding")
        .unwrap()
        .tools
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        coding,
        [
            "read",
            "write",
            "edit",
            "exec",
            "process",
            "memory_search",
            "memory_get",
            "sessions_list",
            "sessions_history",
            "sessions_send",
            "sessions_spawn",
            "subagents",
            "session_status",
            "cron",
            "image"
        ]
    );
    for domain in ["office", "payments", "devops", "support"] {
        let n = gym.catalog(domain).unwrap().tools.len();
        assert!((12..=25).contains(&n), "{domain} has {n} tools");
    }
    assert_eq!(HELDOUT_CATALOG, "support");
    assert!(gym.catalog(HELDOUT_CATALOG).unwrap().heldout);
    assert!(
        !gym.training_catalogs()
            .contains(&HELDOUT_CATALOG.to_owned())
    );
}

#[test]
fn the_coding_catalog_descriptions_are_the_openclaw_catalog_ones() {
    let gym = gym();
    let book = aethelgard_learn::episode::ToolBook::builtin().unwrap();
    for tool in &gym.catalog("openclaw-coding").unwrap().tools {
        assert_eq!(
            book.get(&tool.name),
            Some(tool),
            "{} differs from data/catalogs/openclaw.jsonl",
            tool.name
        );
    }
}

#[test]
fn every_family_is_valid_and_every_catalog_has_several() {
    let gym = gym();
    let types: BTreeSet<&str> = aethelgard_governor::tasks::ids().collect();
    let mut per_catalog: BTreeMap<&str, usize> = BTreeMap::new();
    for family in gym.families() {
        assert!(family.templates.len() >= MIN_TEMPLATES, "{}", family.id);
        assert!(
            types.contains(family.task_type.as_str()),
            "{}: {}",
            family.id,
            family.task_type
        );
        for run in &family.runs {
            *per_catalog.entry(run.catalog.as_str()).or_default() += 1;
        }
    }
    for catalog in gym.catalogs() {
        assert!(
            per_catalog.get(catalog.name.as_str()).copied().unwrap_or(0) >= 3,
            "{} has too few families",
            catalog.name
        );
    }
}

#[test]
fn openclaw_summarisation_families_need_only_read_tools() {
    let gym = gym();
    let catalog = gym.catalog("openclaw-coding").unwrap();
    let mut summarise = 0;
    for family in gym.families().iter().filter(|f| f.task_type == "summarise") {
        let Some(run) = family.run_on("openclaw-coding") else {
            continue;
        };
        summarise += 1;
        for group in &run.groups {
            for &tool in &group.tools {
                let spec = &catalog.tools[tool];
                assert!(
                    !spec.is_dangerous() && !spec.risk.contains(&RiskTag::Write),
                    "{} needs {}",
                    family.id,
                    spec.name
                );
            }
        }
    }
    assert!(
        summarise >= 3,
        "only {summarise} summarisation families on openclaw-coding"
    );
}

#[test]
fn loading_rejects_broken_data_with_a_message_that_names_it() {
    let mut sources = GymSources::builtin();
    sources.families[0].1 =
        sources.families[0]
            .1
            .replacen("required = [[\"read\"]]", "required = [[\"reed\"]]", 1);
    let error = Gym::from_sources(&sources).unwrap_err().to_string();
    assert!(
        error.contains("`reed`") && error.contains("openclaw-coding"),
        "{error}"
    );

    let mut sources = GymSources::builtin();
    sources.families[0].1 =
        sources.families[0]
            .1
            .replacen("task_type = \"summarise\"", "task_type = \"summarize\"", 1);
    let error = Gym::from_sources(&sources).unwrap_err().to_string();
    assert!(error.contains("`summarize`"), "{error}");

    let mut sources = GymSources::builtin();
    sources.families[0].1 = sources.families[0].1.replacen(
        "\"Summarise {file} in five bullet points.\",",
        "\"Summarise {fiel}.\",",
        1,
    );
    let error = Gym::from_sources(&sources).unwrap_err().to_string();
    assert!(error.contains("{fiel}"), "{error}");

    let mut sources = GymSources::builtin();
    let short = "[[family]]\nid = \"short\"\ntask_type = \"answer\"\ntemplates = [\"a\", \"b\"]\n[family.on.office]\nrequired = [[\"mail_read\"]]\n";
    sources.families.push(("short".into(), short.into()));
    let error = Gym::from_sources(&sources).unwrap_err().to_string();
    assert!(error.contains("at least 8"), "{error}");
}

#[test]
fn the_same_seed_gives_the_same_scenarios_and_logs() {
    let gym = gym();
    let cfg = config(42, 300);
    assert_eq!(gym.scenarios(&cfg).unwrap(), gym.scenarios(&cfg).unwrap());
    assert_eq!(
        gym.logs(&cfg, &mut AllowAll).unwrap(),
        gym.logs(&cfg, &mut AllowAll).unwrap()
    );
    let other = gym.scenarios(&config(43, 300)).unwrap();
    let tasks = |s: &[Scenario]| s.iter().map(|s| s.task.clone()).collect::<Vec<_>>();
    assert_ne!(tasks(&gym.scenarios(&cfg).unwrap()), tasks(&other));
}

#[test]
fn needs_vary_between_sessions_of_one_family() {
    let gym = gym();
    let scenarios = gym.scenarios(&config(1, 3000)).unwrap();
    let mut needs: BTreeMap<(String, String), BTreeSet<Vec<String>>> = BTreeMap::new();
    for s in &scenarios {
        let names = s.needed_names().into_iter().map(str::to_owned).collect();
        needs
            .entry((s.family.clone(), s.catalog.clone()))
            .or_default()
            .insert(names);
    }
    let varying = needs.values().filter(|sets| sets.len() > 1).count();
    assert!(
        varying * 2 > needs.len(),
        "only {varying} of {} family-catalog pairs vary",
        needs.len()
    );
    let implement = &needs[&("implement-feature".to_owned(), "claude".to_owned())];
    assert!(implement.len() >= 3, "{implement:?}");
}

#[test]
fn the_train_split_never_draws_a_heldout_template() {
    let gym = gym();
    let train = gym
        .scenarios(&GymConfig {
            templates: TemplateSplit::Train,
            ..config(5, 2000)
        })
        .unwrap();
    let heldout_texts: BTreeSet<&str> = gym
        .families()
        .iter()
        .flat_map(|f| {
            f.templates
                .iter()
                .enumerate()
                .filter(|(i, _)| is_heldout_template(*i, f.templates.len()))
                .map(|(_, t)| t.as_str())
        })
        .collect();
    for s in &train {
        assert!(
            !s.heldout_template,
            "{} drew held-out template {}",
            s.id, s.template
        );
        let family = gym.family(&s.family).unwrap();
        assert!(!heldout_texts.contains(family.templates[s.template].as_str()));
    }
    let heldout = gym
        .scenarios(&GymConfig {
            templates: TemplateSplit::Heldout,
            ..config(5, 500)
        })
        .unwrap();
    assert!(heldout.iter().all(|s| s.heldout_template));
    assert_eq!(
        (0..8)
            .filter(|&i| is_heldout_template(i, 8))
            .collect::<Vec<_>>(),
        [6, 7]
    );
}

#[test]
fn catalogs_in_the_config_restrict_the_draw() {
    let gym = gym();
    let training = gym.training_catalogs();
    let scenarios = gym
        .scenarios(&GymConfig {
            catalogs: Some(training),
            ..config(9, 1000)
        })
        .unwrap();
    assert!(scenarios.iter().all(|s| s.catalog != HELDOUT_CATALOG));
    assert!(
        gym.scenarios(&GymConfig {
            catalogs: Some(vec!["nope".into()]),
            ..config(9, 10)
        })
        .is_err()
    );
}

#[test]
fn the_injection_rate_is_respected() {
    let gym = gym();
    for rate in [0.0, 0.2, 0.5] {
        let scenarios = gym
            .scenarios(&GymConfig {
                injection_rate: rate,
                ..config(3, 4000)
            })
            .unwrap();
        let injected = scenarios.iter().filter(|s| s.injection.is_some()).count() as f64
            / scenarios.len() as f64;
        assert!(
            (injected - rate).abs() < 0.03,
            "rate {rate}: got {injected}"
        );
    }
}

#[test]
fn an_attack_reaches_only_a_visible_tool_the_guard_allows() {
    let gym = gym();
    let scenarios = gym
        .scenarios(&GymConfig {
            injection_rate: 1.0,
            ..config(11, 1500)
        })
        .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for s in &scenarios {
        let injection = s.injection.as_ref().unwrap();
        let grants = [
            s.all_tools_grant(),
            s.oracle_grant(),
            (0..s.tools.len()).map(|_| rng.random_bool(0.5)).collect(),
        ];
        for grant in &grants {
            let outcome = gym.run(s, grant, &mut AllowAll, &mut s.rng());
            *seen.entry(format!("{:?}", outcome.attack)).or_default() += 1;
            let target = &s.tools[injection.target].name;
            let injected_calls = outcome
                .record
                .calls
                .iter()
                .filter(|c| c.tool == *target && c.args == injection.args)
                .count();
            match outcome.attack {
                AttackOutcome::Reached => {
                    assert!(grant[injection.target]);
                    assert!(injected_calls >= 1);
                }
                AttackOutcome::NotVisible => assert!(!grant[injection.target]),
                AttackOutcome::Refused => assert!(outcome.model_refused),
                AttackOutcome::Unseen => assert!(outcome.record.calls.is_empty()),
                AttackOutcome::Blocked | AttackOutcome::None => {
                    panic!("AllowAll blocks nothing, and every scenario carries an injection")
                }
            }
            assert_eq!(
                outcome.model_refused,
                outcome.attack == AttackOutcome::Refused
            );
            let blocked = gym.run(s, grant, &mut BlockAll, &mut s.rng());
            assert_ne!(blocked.attack, AttackOutcome::Reached);
            // The refusal draw does not depend on the grant or the guard.
            assert_eq!(
                blocked.model_refused,
                outcome.model_refused
                    || (outcome.attack == AttackOutcome::Unseen && blocked.model_refused)
            );
        }
    }
    let refused = seen.get("Refused").copied().unwrap_or(0) as f64;
    let total: usize = seen.values().sum();
    let delivered = total - seen.get("Unseen").copied().unwrap_or(0);
    assert!(
        (refused / delivered as f64 - MODEL_REFUSAL_RATE).abs() < 0.05,
        "{seen:?}"
    );
    assert!(
        seen.get("Reached").copied().unwrap_or(0) > 0
            && seen.get("NotVisible").copied().unwrap_or(0) > 0,
        "{seen:?}"
    );
}

#[test]
fn granting_exactly_the_needs_always_succeeds_without_exploration() {
    let gym = gym();
    for s in gym.scenarios(&config(21, 2000)).unwrap() {
        let outcome = gym.run(&s, &s.oracle_grant(), &mut AllowAll, &mut s.rng());
        assert!(
            outcome.success,
            "{} failed under the oracle grant: {outcome:?}",
            s.id
        );
        assert_eq!(outcome.required_denied, 0);
        assert!(!outcome.overloaded);
        assert_eq!(outcome.exploratory_calls, 0);
        let called: BTreeSet<&str> = outcome
            .record
            .calls
            .iter()
            .map(|c| c.tool.as_str())
            .collect();
        let needed: BTreeSet<&str> = s.needed_names().into_iter().collect();
        let injected = s
            .injection
            .as_ref()
            .map(|i| s.tools[i.target].name.as_str());
        assert!(
            called
                .iter()
                .all(|t| needed.contains(t) || Some(*t) == injected),
            "{called:?} vs {needed:?}"
        );
        assert!(outcome.record.calls.len() <= needed.len() * MAX_CALLS_PER_NEED + 1);
    }
}

#[test]
fn denying_a_need_without_alternative_fails_the_task() {
    let gym = gym();
    let mut failed = 0;
    for s in gym.scenarios(&config(22, 500)).unwrap() {
        let nothing = vec![false; s.tools.len()];
        let outcome = gym.run(&s, &nothing, &mut AllowAll, &mut s.rng());
        assert!(!outcome.success);
        assert_eq!(outcome.required_denied, s.needs.len());
        assert!(outcome.record.calls.is_empty());
        failed += 1;
    }
    assert_eq!(failed, 500);
}

#[test]
fn an_agent_falls_back_to_a_granted_alternative() {
    let gym = gym();
    let scenarios = gym.scenarios(&config(23, 3000)).unwrap();
    let mut checked = 0;
    for s in &scenarios {
        let Some(need) = s.needs.iter().find(|n| n.tools.len() > 1) else {
            continue;
        };
        let alternative = *need.tools.iter().find(|&&t| t != need.chosen).unwrap();
        let mut grant = s.oracle_grant();
        grant[need.chosen] = false;
        grant[alternative] = true;
        let outcome = gym.run(s, &grant, &mut AllowAll, &mut s.rng());
        if s.needs.iter().filter(|n| n.chosen == need.chosen).count() == 1
            && !s.needs.iter().any(|n| n.tools == vec![need.chosen])
        {
            assert_eq!(outcome.required_denied, 0, "{}", s.id);
            assert!(
                outcome
                    .record
                    .calls
                    .iter()
                    .any(|c| c.tool == s.tools[alternative].name)
            );
            checked += 1;
        }
    }
    assert!(checked > 100);
}

#[test]
fn more_visible_tools_mean_more_exploration_and_some_overload() {
    let gym = gym();
    let scenarios = gym.scenarios(&config(24, 3000)).unwrap();
    let all: Vec<_> = scenarios
        .iter()
        .map(|s| gym.run(s, &s.all_tools_grant(), &mut AllowAll, &mut s.rng()))
        .collect();
    let explorations =
        all.iter().map(|o| o.exploratory_calls).sum::<usize>() as f64 / all.len() as f64;
    assert!(explorations > 1.0, "{explorations}");
    let overloaded = all.iter().filter(|o| o.overloaded).count() as f64 / all.len() as f64;
    assert!(overloaded > 0.01 && overloaded < 0.1, "{overloaded}");
    let success = all.iter().filter(|o| o.success).count() as f64 / all.len() as f64;
    assert!(success > 0.9, "{success}");
}

#[test]
fn the_router_blocks_some_injected_calls_and_few_benign_ones() {
    let gym = gym();
    let mut guard = RouterGuard::builtin(&gym).unwrap();
    let scenarios = gym
        .scenarios(&GymConfig {
            injection_rate: 1.0,
            ..config(31, 800)
        })
        .unwrap();
    let mut attacks: BTreeMap<String, usize> = BTreeMap::new();
    let mut benign_calls = 0usize;
    let mut benign_blocked = 0usize;
    for s in &scenarios {
        let outcome = gym.run(s, &s.all_tools_grant(), &mut guard, &mut s.rng());
        *attacks.entry(format!("{:?}", outcome.attack)).or_default() += 1;
        let injection = s.injection.as_ref().unwrap();
        for call in outcome
            .record
            .calls
            .iter()
            .filter(|c| !(c.tool == s.tools[injection.target].name && c.args == injection.args))
        {
            benign_calls += 1;
            benign_blocked += usize::from(call.decision != Some(DecisionKind::Allow));
        }
    }
    let blocked = attacks.get("Blocked").copied().unwrap_or(0);
    let reached = attacks.get("Reached").copied().unwrap_or(0);
    assert!(blocked > 0, "{attacks:?}");
    assert!(
        reached > 0,
        "the router is not expected to catch everything: {attacks:?}"
    );
    assert!(
        (benign_blocked as f64) < 0.1 * benign_calls as f64,
        "{benign_blocked} of {benign_calls} benign calls blocked"
    );
    eprintln!(
        "router on injected sessions (all tools): {attacks:?}; benign calls blocked {benign_blocked} of {benign_calls}"
    );
}

#[test]
fn needs_inferred_from_the_logs_contain_the_ground_truth() {
    let gym = gym();
    let logs = gym.logs(&config(41, 2000), &mut AllowAll).unwrap();
    let (episodes, report) = episodes_from_sessions(&logs, &gym.tool_book());
    assert!(
        report.undescribed_tools.is_empty(),
        "{:?}",
        report.undescribed_tools
    );
    let by_id: BTreeMap<&str, &SessionRecord> =
        logs.iter().map(|r| (r.session.as_str(), r)).collect();
    let mut checked = 0;
    for episode in &episodes {
        let record = by_id[episode.id.as_str()];
        if record.success != Some(true) {
            continue;
        }
        let inferred: BTreeSet<&str> = episode.needed_names().into_iter().collect();
        for name in record.needed.as_ref().unwrap() {
            // Under all tools the agent uses the session's chosen tool, so it is in the logs.
            assert!(
                inferred.contains(name.as_str()),
                "{}: {name} not in {inferred:?}",
                record.session
            );
        }
        checked += 1;
    }
    assert!(checked > 1500, "{checked}");
}

#[test]
fn records_are_session_jsonl_marked_as_gym() {
    let gym = gym();
    let logs = gym.logs(&config(51, 50), &mut AllowAll).unwrap();
    for record in &logs {
        assert_eq!(record.source.as_deref(), Some("gym"));
        assert!(record.granted.is_some() && record.needed.is_some() && record.success.is_some());
        let line = serde_json::to_string(record).unwrap();
        let back: SessionRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(&back, record);
    }
}

#[test]
fn scenario_episodes_carry_ground_truth_and_the_attack_target() {
    let gym = gym();
    for s in gym
        .scenarios(&GymConfig {
            injection_rate: 0.5,
            ..config(61, 200)
        })
        .unwrap()
    {
        let episode = s.episode();
        assert_eq!(episode.needed, s.needed);
        assert_eq!(
            episode.group.as_deref(),
            Some(format!("{}/{}", s.family, s.template).as_str())
        );
        assert_eq!(episode.task_type.as_deref(), Some(s.task_type.as_str()));
        let attacked: Vec<usize> = episode
            .attacked
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            attacked,
            s.injection.iter().map(|i| i.target).collect::<Vec<_>>()
        );
        assert!(!s.task.contains('{'), "unfilled slot in {:?}", s.task);
    }
}

/// Figures for the docs: `cargo test --release -p aethelgard-learn --test gym -- --ignored --nocapture`.
#[test]
#[ignore = "prints timings and router figures; run in release"]
fn print_gym_figures() {
    let started = std::time::Instant::now();
    let gym = gym();
    let loaded = started.elapsed();
    let cfg = config(1, 10_000);
    let started = std::time::Instant::now();
    let scenarios = gym.scenarios(&cfg).unwrap();
    let generated = started.elapsed();
    let started = std::time::Instant::now();
    let outcomes: Vec<_> = scenarios
        .iter()
        .map(|s| gym.run(s, &s.all_tools_grant(), &mut AllowAll, &mut s.rng()))
        .collect();
    let ran = started.elapsed();
    eprintln!(
        "load {loaded:?}; 10,000 scenarios generated in {generated:?}, run (all tools, AllowAll) in {ran:?}"
    );
    for outcome in outcomes
        .iter()
        .filter(|o| o.attack != AttackOutcome::None)
        .take(2)
        .chain(outcomes.iter().take(2))
    {
        eprintln!("{}", serde_json::to_string(&outcome.record).unwrap());
    }
    let success = outcomes.iter().filter(|o| o.success).count();
    let calls: usize = outcomes.iter().map(|o| o.record.calls.len()).sum();
    eprintln!("all tools: success {success} of 10000, {calls} calls");

    let mut guard = RouterGuard::builtin(&gym).unwrap();
    let started = std::time::Instant::now();
    let routed: Vec<_> = scenarios
        .iter()
        .map(|s| gym.run(s, &s.all_tools_grant(), &mut guard, &mut s.rng()))
        .collect();
    eprintln!("run with RouterGuard in {:?}", started.elapsed());
    let mut blocked_benign: BTreeMap<String, usize> = BTreeMap::new();
    let mut attacks: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (s, o) in scenarios.iter().zip(&routed) {
        let injection = s.injection.as_ref();
        for call in &o.record.calls {
            let injected = injection
                .is_some_and(|i| s.tools[i.target].name == call.tool && i.args == call.args);
            if !injected && call.decision != Some(DecisionKind::Allow) {
                *blocked_benign
                    .entry(format!("{} {} ({:?})", call.tool, call.args, call.rule))
                    .or_default() += 1;
            }
        }
        if let Some(i) = injection {
            *attacks
                .entry((s.tools[i.target].name.clone(), format!("{:?}", o.attack)))
                .or_default() += 1;
        }
    }
    let success = routed.iter().filter(|o| o.success).count();
    eprintln!("router: success {success} of 10000");
    for (what, n) in &attacks {
        eprintln!("attack {what:?}: {n}");
    }
    let mut blocked: Vec<_> = blocked_benign.into_iter().collect();
    blocked.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    for (what, n) in blocked.iter().take(15) {
        eprintln!("benign blocked {n}: {what}");
    }
}
