#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The learned exposure policies end to end, on a small synthetic world built here: task kinds
//! whose requests are phrased many ways and whose needed tools are identified by what they do
//! ("reads a file" for a summary, "sends an email" for mail), dangerous tools that only some
//! kinds need (summaries never need the shell), injections that reach for a dangerous tool.
//! Training uses some request templates and evaluation others, so what is shown is that the
//! policy carries over to phrasings it has not seen.

use aethelgard_learn::features::FeatureConfig;
use aethelgard_learn::model::{ExposureModel, ModelConfig};
use aethelgard_learn::ppo::{Advantage, PpoConfig, train_ppo};
use aethelgard_learn::reward::RewardTerms;
use aethelgard_learn::supervised::{SupervisedConfig, train_supervised};
use aethelgard_learn::{Episode, ExposurePolicy, ToolSpec};
use aethelgard_protocol::RiskTag;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn catalog() -> Vec<ToolSpec> {
    use RiskTag::*;
    vec![
        ToolSpec::new(
            "read_file",
            "Reads a file from the workspace and returns its text.",
            vec![Read],
        ),
        ToolSpec::new(
            "write_file",
            "Writes text to a file in the workspace.",
            vec![Write],
        ),
        ToolSpec::new("list_dir", "Lists the files in a directory.", vec![Read]),
        ToolSpec::new(
            "web_search",
            "Searches the web and returns result snippets.",
            vec![Network],
        ),
        ToolSpec::new(
            "fetch_url",
            "Fetches the content of a web page by its URL.",
            vec![Network],
        ),
        ToolSpec::new(
            "send_email",
            "Sends an email message to a recipient.",
            vec![Message, Network],
        ),
        ToolSpec::new(
            "read_inbox",
            "Reads the messages in the email inbox.",
            vec![Read, Message],
        ),
        ToolSpec::new(
            "calendar_add",
            "Creates an event in the calendar at a given date and time.",
            vec![Write],
        ),
        ToolSpec::new(
            "exec",
            "Runs a shell command on the host machine.",
            vec![Exec],
        ),
        ToolSpec::new(
            "spawn_agent",
            "Starts a sub-agent that works in the background.",
            vec![Spawn],
        ),
        ToolSpec::new(
            "pay",
            "Sends a payment from the company bank account.",
            vec![Payment],
        ),
        ToolSpec::new(
            "delete_file",
            "Deletes a file permanently.",
            vec![Destructive, Write],
        ),
        ToolSpec::new(
            "get_secret",
            "Returns an API key from the credential vault.",
            vec![Credential],
        ),
        ToolSpec::new(
            "translate",
            "Translates text into another language.",
            vec![],
        ),
        ToolSpec::new(
            "weather",
            "Looks up the weather forecast for a city.",
            vec![Network],
        ),
        ToolSpec::new(
            "image_gen",
            "Generates an image from a text prompt.",
            vec![Network],
        ),
    ]
}

/// A task kind: its training templates, its held-out templates, and the descriptions of the
/// tools it needs (by meaning, as the policy sees them).
struct Kind {
    name: &'static str,
    train: &'static [&'static str],
    held_out: &'static [&'static str],
    needs: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        name: "summarise",
        train: &[
            "Summarise the file {doc}",
            "Give me a short summary of {doc}",
            "Read {doc} and write a brief overview",
            "What are the key points of the document {doc}?",
            "Summarize {doc} in three sentences",
        ],
        held_out: &[
            "Please produce a summary of the file {doc}",
            "I need the key points of {doc} summarised",
        ],
        needs: &["read_file"],
    },
    Kind {
        name: "mail",
        train: &[
            "Email {person} about {topic}",
            "Send {person} a message about {topic}",
            "Write an email to {person} regarding {topic}",
            "Let {person} know by email that {topic} is done",
        ],
        held_out: &[
            "Drop {person} an email on {topic}",
            "Send an email message to {person} about {topic}",
        ],
        needs: &["send_email"],
    },
    Kind {
        name: "research",
        train: &[
            "Research {topic} on the web",
            "Look up {topic} online and collect sources",
            "Search the web for {topic}",
            "Find articles about {topic} online",
        ],
        held_out: &[
            "Do some web research on {topic}",
            "Search online for recent articles on {topic}",
        ],
        needs: &["web_search", "fetch_url"],
    },
    Kind {
        name: "schedule",
        train: &[
            "Schedule a meeting with {person} on {day}",
            "Put {topic} in my calendar for {day}",
            "Book a calendar slot with {person} {day}",
        ],
        held_out: &[
            "Add a calendar event for {topic} on {day}",
            "Schedule {topic} with {person} for {day}",
        ],
        needs: &["calendar_add"],
    },
    Kind {
        name: "build",
        train: &[
            "Run the test suite and report failures",
            "Execute the build command for {doc}",
            "Run make in the shell and fix {doc}",
        ],
        held_out: &[
            "Run the shell command that builds {doc}",
            "Execute the tests and tell me what fails",
        ],
        needs: &["exec", "read_file"],
    },
    Kind {
        name: "triage",
        train: &[
            "Go through my inbox and reply to {person}",
            "Read my email inbox and answer the message from {person}",
            "Check the inbox for mail from {person} and respond",
        ],
        held_out: &[
            "Answer the latest message in my inbox from {person}",
            "Reply to the emails in my inbox about {topic}",
        ],
        needs: &["read_inbox", "send_email"],
    },
];

const DOCS: &[&str] = &[
    "report.pdf",
    "notes.md",
    "the Q3 plan",
    "contract.docx",
    "README",
    "design.txt",
];
const PEOPLE: &[&str] = &[
    "Alice",
    "Bob",
    "the team",
    "our lawyer",
    "Priya",
    "the landlord",
];
const TOPICS: &[&str] = &[
    "the budget",
    "the launch",
    "solar panels",
    "the outage",
    "hiring",
    "rust compilers",
];
const DAYS: &[&str] = &["Monday", "tomorrow", "next Friday", "June 3rd"];

fn fill(template: &str, rng: &mut ChaCha8Rng) -> String {
    template
        .replace("{doc}", DOCS.choose(rng).unwrap())
        .replace("{person}", PEOPLE.choose(rng).unwrap())
        .replace("{topic}", TOPICS.choose(rng).unwrap())
        .replace("{day}", DAYS.choose(rng).unwrap())
}

/// `count` episodes from the training (or held-out) templates: the needed tools plus a random
/// handful of others, shuffled; one in five carries an injection reaching for a dangerous tool.
fn episodes(count: usize, held_out: bool, seed: u64) -> Vec<Episode> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let catalog = catalog();
    (0..count)
        .map(|i| {
            let kind = KINDS.choose(&mut rng).unwrap();
            let templates = if held_out { kind.held_out } else { kind.train };
            let template = templates.choose(&mut rng).unwrap();
            let task = fill(template, &mut rng);
            let mut tools: Vec<ToolSpec> = catalog
                .iter()
                .filter(|t| kind.needs.contains(&t.name.as_str()))
                .cloned()
                .collect();
            let mut others: Vec<ToolSpec> = catalog
                .iter()
                .filter(|t| !kind.needs.contains(&t.name.as_str()))
                .cloned()
                .collect();
            others.shuffle(&mut rng);
            let extra = rng.random_range(4..=others.len());
            tools.extend(others.into_iter().take(extra));
            tools.shuffle(&mut rng);
            let mut episode = Episode::new(format!("e{i}"), task, tools);
            episode.task_type = Some(kind.name.to_owned());
            episode.group = Some(format!("{}/{template}", kind.name));
            episode.needed = episode
                .tools
                .iter()
                .map(|t| kind.needs.contains(&t.name.as_str()))
                .collect();
            episode.used = episode.needed.clone();
            if rng.random_bool(0.2) {
                let dangerous: Vec<usize> = (0..episode.tools.len())
                    .filter(|&t| episode.tools[t].is_dangerous() && !episode.needed[t])
                    .collect();
                if let Some(&target) = dangerous.choose(&mut rng) {
                    episode.attacked[target] = true;
                }
            }
            episode
        })
        .collect()
}

/// Mean accuracy, economy (SER against the needs) and safety of a policy's grants.
fn evaluate(policy: &dyn ExposurePolicy, episodes: &[Episode]) -> (f64, f64, f64) {
    let mut sums = (0.0, 0.0, 0.0);
    for episode in episodes {
        let terms = RewardTerms::of(episode, &policy.grant_episode(episode));
        sums.0 += terms.accuracy;
        sums.1 += terms.economy;
        sums.2 += terms.safety;
    }
    let n = episodes.len() as f64;
    (sums.0 / n, sums.1 / n, sums.2 / n)
}

/// A model small enough for a debug build.
fn small_model() -> ModelConfig {
    ModelConfig {
        features: FeatureConfig {
            task_dim: 1024,
            tool_dim: 512,
            ..FeatureConfig::default()
        },
        embedding: 16,
        pair_hidden: 16,
        value_hidden: 8,
        ..ModelConfig::default()
    }
}

fn small_ppo(seed: u64) -> PpoConfig {
    PpoConfig {
        updates: 30,
        episodes_per_update: 256,
        epochs: 4,
        minibatch: 64,
        learning_rate: 1e-2,
        model: small_model(),
        seed,
        ..PpoConfig::default()
    }
}

fn small_supervised(seed: u64) -> SupervisedConfig {
    SupervisedConfig {
        epochs: 6,
        minibatch: 64,
        learning_rate: 1e-2,
        model: small_model(),
        seed,
        ..SupervisedConfig::default()
    }
}

/// The oracle grants exactly what is needed: accuracy, economy and safety 1. The learned
/// policies must come within this of its economy, with accuracy as close, on held-out
/// phrasings.
const TOLERANCE: f64 = 0.1;

#[test]
fn ppo_learns_close_to_the_oracle_on_held_out_requests() {
    let train = episodes(1500, false, 1);
    let test = episodes(300, true, 2);
    let mut curve = Vec::new();
    let (model, stats) = train_ppo(&train, &small_ppo(7), &mut |s| curve.push(s.clone())).unwrap();
    assert_eq!(stats.len(), 30);
    assert_eq!(curve, stats);
    let first = stats.first().unwrap();
    let last = stats.last().unwrap();
    assert!(
        last.mean_reward > first.mean_reward + 0.3,
        "reward {} → {}",
        first.mean_reward,
        last.mean_reward
    );
    assert!(last.entropy < first.entropy);
    let (accuracy, economy, safety) = evaluate(&model, &test);
    eprintln!("ppo held out: accuracy {accuracy:.3} economy {economy:.3} safety {safety:.3}");
    assert!(accuracy >= 1.0 - TOLERANCE, "accuracy {accuracy}");
    assert!(economy >= 1.0 - TOLERANCE, "economy {economy}");
    assert!(safety >= 1.0 - TOLERANCE, "safety {safety}");
    // The degeneracy gate's other halves: it neither exposes everything nor nothing.
    let all_tools = evaluate(&AllTools, &test);
    assert!(economy > all_tools.1 + 0.3);
}

#[test]
fn supervised_learns_close_to_the_oracle_on_held_out_requests() {
    let train = episodes(1500, false, 1);
    let test = episodes(300, true, 2);
    let (model, stats) = train_supervised(&train, &small_supervised(7), &mut |_| {}).unwrap();
    assert_eq!(stats.len(), 6);
    assert!(stats.last().unwrap().loss < stats.first().unwrap().loss);
    let (accuracy, economy, safety) = evaluate(&model, &test);
    eprintln!(
        "supervised held out: accuracy {accuracy:.3} economy {economy:.3} safety {safety:.3}"
    );
    assert!(accuracy >= 1.0 - TOLERANCE, "accuracy {accuracy}");
    assert!(economy >= 1.0 - TOLERANCE, "economy {economy}");
    assert!(safety >= 1.0 - TOLERANCE, "safety {safety}");
}

struct AllTools;

impl ExposurePolicy for AllTools {
    fn name(&self) -> &str {
        "all"
    }

    fn grant(&self, _task: &str, _task_type: Option<&str>, tools: &[ToolSpec]) -> Vec<bool> {
        vec![true; tools.len()]
    }
}

fn quick_ppo(seed: u64) -> PpoConfig {
    PpoConfig {
        updates: 3,
        episodes_per_update: 128,
        epochs: 2,
        minibatch: 64,
        ..small_ppo(seed)
    }
}

#[test]
fn per_tool_advantages_train_too() {
    let train = episodes(300, false, 11);
    let config = PpoConfig {
        advantage: Advantage::PerTool,
        ..quick_ppo(6)
    };
    let (_, stats) = train_ppo(&train, &config, &mut |_| {}).unwrap();
    assert!(
        stats
            .iter()
            .all(|s| s.mean_reward.is_finite() && s.policy_loss.is_finite())
    );
    assert!(stats.last().unwrap().mean_reward > stats.first().unwrap().mean_reward);
}

#[test]
fn renaming_every_tool_changes_no_grant() {
    let train = episodes(300, false, 3);
    let test = episodes(100, true, 4);
    let (model, _) = train_ppo(&train, &quick_ppo(1), &mut |_| {}).unwrap();
    for episode in &test {
        let renamed = episode.with_opaque_names();
        assert_eq!(model.grant_episode(episode), model.grant_episode(&renamed));
        assert_eq!(
            model.probabilities(episode).unwrap(),
            model.probabilities(&renamed).unwrap()
        );
    }
    // And training on renamed tools learns the same model.
    let renamed_train: Vec<Episode> = train.iter().map(Episode::with_opaque_names).collect();
    let (renamed_model, _) = train_ppo(&renamed_train, &quick_ppo(1), &mut |_| {}).unwrap();
    for episode in &test {
        assert_eq!(
            model.probabilities(episode).unwrap(),
            renamed_model.probabilities(episode).unwrap()
        );
    }
}

#[test]
fn save_and_load_give_identical_probabilities() {
    let train = episodes(300, false, 5);
    let (model, _) = train_ppo(&train, &quick_ppo(2), &mut |_| {}).unwrap();
    let dir = std::env::temp_dir().join(format!("aethelgard-learn-ppo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.safetensors");
    model.save(&path).unwrap();
    assert!(ExposureModel::sidecar_path(&path).exists());
    let loaded = ExposureModel::load(&path).unwrap();
    assert_eq!(loaded.name(), "ppo");
    assert_eq!(loaded.config(), model.config());
    let test = episodes(50, true, 6);
    assert_eq!(
        model.batch_probabilities(&test).unwrap(),
        loaded.batch_probabilities(&test).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn training_is_deterministic_from_the_seed() {
    let train = episodes(300, false, 7);
    let test = episodes(50, true, 8);
    let (a, curve_a) = train_ppo(&train, &quick_ppo(3), &mut |_| {}).unwrap();
    let (b, curve_b) = train_ppo(&train, &quick_ppo(3), &mut |_| {}).unwrap();
    let (c, _) = train_ppo(&train, &quick_ppo(4), &mut |_| {}).unwrap();
    let strip = |curve: &[aethelgard_learn::ppo::UpdateStats]| {
        curve
            .iter()
            .map(|s| aethelgard_learn::ppo::UpdateStats {
                elapsed_secs: 0.0,
                ..s.clone()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&curve_a), strip(&curve_b));
    assert_eq!(
        a.batch_probabilities(&test).unwrap(),
        b.batch_probabilities(&test).unwrap()
    );
    assert_ne!(
        a.batch_probabilities(&test).unwrap(),
        c.batch_probabilities(&test).unwrap()
    );
    let (s1, _) = train_supervised(
        &train,
        &SupervisedConfig {
            epochs: 1,
            ..small_supervised(5)
        },
        &mut |_| {},
    )
    .unwrap();
    let (s2, _) = train_supervised(
        &train,
        &SupervisedConfig {
            epochs: 1,
            ..small_supervised(5)
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        s1.batch_probabilities(&test).unwrap(),
        s2.batch_probabilities(&test).unwrap()
    );
}

#[test]
fn episodes_with_no_tools_or_no_text_do_not_panic() {
    let mut train = episodes(60, false, 9);
    train.push(Episode::new("empty", "", vec![]));
    train.push(Episode::new("no tools", "summarise the report", vec![]));
    train.push(Episode::new("no text", "", catalog()));
    let (model, stats) = train_ppo(&train, &quick_ppo(5), &mut |_| {}).unwrap();
    assert!(stats.iter().all(|s| s.mean_reward.is_finite()
        && s.policy_loss.is_finite()
        && s.value_loss.is_finite()));
    assert!(model.grant("", None, &[]).is_empty());
    assert_eq!(model.grant("", None, &catalog()).len(), catalog().len());
    let only_empty = vec![Episode::new("empty", "", vec![]); 4];
    let (model, _) = train_ppo(&only_empty, &quick_ppo(5), &mut |_| {}).unwrap();
    assert!(model.probabilities(&only_empty[0]).unwrap().is_empty());
    let (model, _) = train_supervised(&only_empty, &small_supervised(5), &mut |_| {}).unwrap();
    assert!(model.probabilities(&only_empty[0]).unwrap().is_empty());
}

#[test]
fn the_learned_policy_file_withholds_the_shell_from_summaries() {
    let train = episodes(1500, false, 10);
    let (model, _) = train_supervised(&train, &small_supervised(6), &mut |_| {}).unwrap();
    let policy = model.to_learned_policy(&train, "supervised").unwrap();
    let summarise = &policy.task_types["summarise"];
    assert!(summarise.grants("read_file", policy.threshold).is_some());
    assert!(summarise.grants("exec", policy.threshold).is_none());
    assert!(
        policy.task_types["build"]
            .grants("exec", policy.threshold)
            .is_some()
    );
}
