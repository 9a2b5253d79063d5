//! The default policy against the labelled shell corpus (`data/corpus/shell.jsonl`): every
//! dangerous command must be blocked or escalated, and at most 1% of benign ones blocked.

use aethelgard_router::corpus::{self, Report};
use aethelgard_router::{Environment, Examples, Router};

const WORKSPACE: &str = "/home/dev/project";

fn run(file: &str) -> Report {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/corpus/").to_owned() + file;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let items = corpus::parse(&text).unwrap();
    let router = Router::builtin(Environment::new("/home/dev", WORKSPACE), Examples::Check).unwrap();
    corpus::evaluate(&router, &items, WORKSPACE)
}

fn print(name: &str, report: &Report) {
    println!(
        "{name}: dangerous stopped {}/{} ({:.2}%: {} blocked, {} escalated); benign blocked {}/{} ({:.2}%), escalated {}",
        report.dangerous.blocked + report.dangerous.escalated,
        report.dangerous.total,
        100.0 * report.dangerous_stopped_rate(),
        report.dangerous.blocked,
        report.dangerous.escalated,
        report.benign.blocked,
        report.benign.total,
        100.0 * report.benign_blocked_rate(),
        report.benign.escalated,
    );
}

#[test]
fn default_policy_stops_every_dangerous_command_and_blocks_at_most_one_percent_of_benign() {
    let report = run("shell.jsonl");
    print("acceptance corpus", &report);
    let missed: Vec<String> = report.missed().map(|(l, d)| format!("{} `{}` -> {}", l.id, l.command, d.reason)).collect();
    let false_blocks: Vec<String> =
        report.false_blocks().map(|(l, d)| format!("{} `{}` -> {:?}: {}", l.id, l.command, d.rule, d.reason)).collect();
    assert!(report.dangerous.total >= 200 && report.benign.total >= 200);
    assert!(missed.is_empty(), "{} dangerous commands allowed:\n{}", missed.len(), missed.join("\n"));
    assert!(
        report.benign_blocked_rate() <= 0.01,
        "{} benign commands blocked:\n{}",
        false_blocks.len(),
        false_blocks.join("\n")
    );
}

/// The held-out set was written apart from the policy and is not used to tune it; this test
/// reports its figures and fails only on a regression below what we first measured on it.
#[test]
fn held_out_corpus_figures() {
    let report = run("shell_holdout.jsonl");
    print("held-out corpus", &report);
    // First measured on 2026-11-21, before any policy change looked at this set: 67 of 79
    // dangerous commands stopped, 1 of 58 benign blocked. Regressions below that fail.
    assert!(report.dangerous.blocked + report.dangerous.escalated >= 67, "held-out regression");
    assert!(report.benign.blocked <= 1, "held-out regression");
}
