#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Training time of the learned exposure policies on 10,000 synthetic episodes of 15 to 40
//! tools each, with the default configurations: the target is PPO under 10 seconds on
//! two cores (the paper needed 5 minutes on a GPU).
//!
//! The episodes come from a world built here (twelve domains of ten tools, task kinds that need
//! one to three of them, requests phrased from templates), so that the benchmark measures the
//! learner alone and does not move when the gym changes. Peak memory (VmHWM) is printed at the
//! end on Linux.
//!
//! Run with `cargo bench -p aethelgard-learn --bench train`.

use aethelgard_learn::ppo::{PpoConfig, train_ppo};
use aethelgard_learn::supervised::{SupervisedConfig, train_supervised};
use aethelgard_learn::{Episode, ToolSpec};
use aethelgard_protocol::RiskTag;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

/// (domain, what its tools act on, words a request about it uses)
const DOMAINS: &[(&str, &str, &str)] = &[
    (
        "files",
        "a file in the workspace",
        "file document folder report",
    ),
    ("mail", "an email message", "email inbox mail message reply"),
    (
        "calendar",
        "a calendar event",
        "meeting calendar event schedule invite",
    ),
    ("web", "a web page", "web online page site article"),
    (
        "payments",
        "a payment or invoice",
        "invoice payment refund transfer bill",
    ),
    (
        "cloud",
        "a cloud virtual machine",
        "server instance cloud vm cluster",
    ),
    (
        "database",
        "a database table",
        "database table rows query records",
    ),
    (
        "chat",
        "a chat channel message",
        "slack channel chat thread post",
    ),
    (
        "tickets",
        "a support ticket",
        "ticket customer support issue case",
    ),
    (
        "code",
        "a git repository branch",
        "repository branch commit code pull",
    ),
    ("images", "an image", "image picture photo diagram logo"),
    (
        "contacts",
        "a contact record",
        "contact phone address person crm",
    ),
];

/// (verb in a tool description, verb in a request, risk tags)
const ACTIONS: &[(&str, &str, &[RiskTag])] = &[
    ("Reads", "read", &[RiskTag::Read]),
    ("Lists", "list", &[RiskTag::Read]),
    ("Searches for", "find", &[RiskTag::Read]),
    ("Creates", "create", &[RiskTag::Write]),
    ("Updates", "update", &[RiskTag::Write]),
    ("Deletes", "delete", &[RiskTag::Destructive, RiskTag::Write]),
    ("Sends", "send", &[RiskTag::Message, RiskTag::Network]),
    ("Exports", "export", &[RiskTag::Network]),
    ("Runs a shell command on", "run", &[RiskTag::Exec]),
    (
        "Grants an access token for",
        "authorize",
        &[RiskTag::Credential],
    ),
];

const TEMPLATES: &[&str] = &[
    "Please {verb} the {noun} for {who} and let me know",
    "Can you {verb} that {noun} from yesterday",
    "I need you to {verb} the {noun} about {topic}",
    "{verb} the {noun} related to {topic} before the end of the day",
    "Quickly {verb} our {noun} and then {verb2} the {noun2}",
    "For {who}: {verb} the {noun} on {topic}, and {verb2} a {noun2} too",
];

const WHO: &[&str] = &[
    "Alice",
    "the finance team",
    "our biggest customer",
    "the on-call engineer",
    "legal",
];
const TOPICS: &[&str] = &[
    "the Q3 launch",
    "the outage",
    "hiring",
    "the migration",
    "the audit",
    "pricing",
];

fn catalog() -> Vec<ToolSpec> {
    let mut tools = Vec::new();
    for (domain, object, _) in DOMAINS {
        for (verb, _, risk) in ACTIONS {
            let name = format!(
                "{domain}_{}",
                verb.split(' ').next().unwrap_or(verb).to_lowercase()
            );
            tools.push(ToolSpec::new(
                name,
                format!("{verb} {object}."),
                risk.to_vec(),
            ));
        }
    }
    tools
}

/// `count` episodes: a request needing one or two tools of one or two domains, among 15 to 40
/// tools of the catalog, in shuffled order.
fn episodes(count: usize, seed: u64) -> Vec<Episode> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let catalog = catalog();
    (0..count)
        .map(|i| {
            let first = rng.random_range(0..DOMAINS.len() * ACTIONS.len());
            let second = rng.random_range(0..DOMAINS.len() * ACTIONS.len());
            let template = TEMPLATES.choose(&mut rng).unwrap();
            let wants_two = template.contains("{verb2}");
            let noun = |index: usize, rng: &mut ChaCha8Rng| {
                let words: Vec<&str> = DOMAINS[index / ACTIONS.len()].2.split(' ').collect();
                (*words.choose(rng).unwrap()).to_owned()
            };
            let task = template
                .replace("{verb}", ACTIONS[first % ACTIONS.len()].1)
                .replace("{noun}", &noun(first, &mut rng))
                .replace("{verb2}", ACTIONS[second % ACTIONS.len()].1)
                .replace("{noun2}", &noun(second, &mut rng))
                .replace("{who}", WHO.choose(&mut rng).unwrap())
                .replace("{topic}", TOPICS.choose(&mut rng).unwrap());
            let needed: Vec<usize> = if wants_two && second != first {
                vec![first, second]
            } else {
                vec![first]
            };
            let mut others: Vec<usize> =
                (0..catalog.len()).filter(|t| !needed.contains(t)).collect();
            others.shuffle(&mut rng);
            let size = rng.random_range(15..=40);
            let mut chosen: Vec<usize> = needed
                .iter()
                .copied()
                .chain(others.into_iter().take(size - needed.len()))
                .collect();
            chosen.shuffle(&mut rng);
            let mut episode = Episode::new(
                format!("e{i}"),
                task,
                chosen.iter().map(|&t| catalog[t].clone()).collect(),
            );
            episode.needed = chosen.iter().map(|t| needed.contains(t)).collect();
            episode.used = episode.needed.clone();
            episode
        })
        .collect()
}

fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|line| line.starts_with("VmHWM"))
        .map(|line| {
            line.split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
        })
}

fn train(c: &mut Criterion) {
    let episodes = episodes(10_000, 1);
    let mut group = c.benchmark_group("train_10k_episodes");
    group.sample_size(10);
    group.bench_function("ppo_default_config", |b| {
        b.iter(|| black_box(train_ppo(&episodes, &PpoConfig::default(), &mut |_| {}).unwrap()))
    });
    group.bench_function("supervised_default_config", |b| {
        b.iter(|| {
            black_box(
                train_supervised(&episodes, &SupervisedConfig::default(), &mut |_| {}).unwrap(),
            )
        })
    });
    group.finish();
    if let Some(peak) = peak_memory() {
        println!("peak resident memory (VmHWM): {peak}");
    }
}

criterion_group!(benches, train);
criterion_main!(benches);
