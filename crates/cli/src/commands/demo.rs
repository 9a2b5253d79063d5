//! `aethelgard demo`: the built-in scenarios through all four layers, with a report: layer 3 on
//! the labelled shell corpus, layer 1 scoping and layer 4 on the scenario sessions
//! (`demo_governor.rs`, `demo_audit.rs`), and layer 2 on the gym (`demo_learn.rs`).

use aethelgard_router::corpus::{self, Counts, Report};
use aethelgard_router::{Environment, Examples, Router};
use anyhow::Context;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

const CORPUS: &str = include_str!("../../../../data/corpus/shell.jsonl");
const HOLDOUT: &str = include_str!("../../../../data/corpus/shell_holdout.jsonl");
const WORKSPACE: &str = "/home/dev/project";

pub fn run(out: &Path) -> anyhow::Result<ExitCode> {
    let env = Environment::new("/home/dev", WORKSPACE);
    let started = std::time::Instant::now();
    let router = Router::builtin(env, Examples::Check).context("the built-in policy failed to load")?;
    let load = started.elapsed();
    let acceptance = corpus::evaluate(&router, &corpus::parse(CORPUS).map_err(anyhow::Error::msg)?, WORKSPACE);
    let holdout = corpus::evaluate(&router, &corpus::parse(HOLDOUT).map_err(anyhow::Error::msg)?, WORKSPACE);
    let latencies = latencies(&router, &acceptance);

    std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let audit = super::demo_audit::run(&router, WORKSPACE, out).context("the audit part of the demo failed")?;
    let learning = super::demo_learn::run(out, false).context("the learning part of the demo failed")?;
    let mut report = render(&router, load, &acceptance, &holdout, &latencies);
    report.push_str(&super::demo_governor::render(&audit.scoping));
    report.push_str(&super::demo_learn::render(&learning));
    report.push_str(&render_audit(&audit));
    let report_path = out.join("report.md");
    std::fs::write(&report_path, &report).with_context(|| format!("cannot write `{}`", report_path.display()))?;
    let mut lines = String::new();
    for (item, decision) in &acceptance.decisions {
        let value = serde_json::json!({"id": item.id, "command": item.command, "label": item.label,
            "category": item.category, "technique": item.technique, "decision": decision});
        lines.push_str(&value.to_string());
        lines.push('\n');
    }
    let decisions_path = out.join("decisions.jsonl");
    std::fs::write(&decisions_path, lines).with_context(|| format!("cannot write `{}`", decisions_path.display()))?;

    println!("{}", summary("acceptance corpus", &acceptance));
    println!("{}", summary("held-out corpus  ", &holdout));
    println!("stage 1 latency in process: p50 {:.1} µs, p99 {:.1} µs", latencies.0, latencies.1);
    println!(
        "layer 1: {} of {} scenario requests classified as labelled; a session sees {:.1}% of its runtime's tools on average",
        audit.scoping.agreed,
        audit.scoping.sessions,
        100.0 * audit.scoping.mean_granted_share
    );
    println!(
        "scenarios: {} sessions, {} calls: {} blocked, {} escalated; recorded in {} ({} entries, chain intact)",
        audit.sessions,
        audit.calls,
        audit.blocked,
        audit.escalated,
        audit.store.display(),
        audit.entries
    );
    println!("{}", tamper_line(&audit));
    println!("\nlayer 2 (aethelgard eval, small configuration):{}", aethelgard_learn::eval::render_rows(&learning.report.rows));
    println!("\n{}", audit.terminal.trim_end());
    println!(
        "\nreport: {}\nHTML report: {}\nlayer 2 report: {}\ndecisions: {}",
        report_path.display(),
        audit.html.display(),
        learning.html.display(),
        decisions_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn summary(name: &str, r: &Report) -> String {
    format!(
        "{name}: dangerous stopped {}/{} ({:.1}%), benign blocked {}/{} ({:.1}%)",
        r.dangerous.blocked + r.dangerous.escalated,
        r.dangerous.total,
        100.0 * r.dangerous_stopped_rate(),
        r.benign.blocked,
        r.benign.total,
        100.0 * r.benign_blocked_rate()
    )
}

/// p50 and p99 of stage 1 over the corpus, timed here in nanoseconds (decisions carry whole µs).
fn latencies(router: &Router, report: &Report) -> (f64, f64) {
    let mut samples: Vec<f64> = report
        .decisions
        .iter()
        .map(|(item, _)| {
            let call = aethelgard_protocol::ToolCall::new("Bash", serde_json::json!({ "command": item.command })).with_cwd(WORKSPACE);
            let start = std::time::Instant::now();
            let _ = router.route(&call);
            start.elapsed().as_nanos() as f64 / 1000.0
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    let pick = |q: f64| samples.get(((samples.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    (pick(0.5), pick(0.99))
}

fn row(name: &str, c: &Counts) -> String {
    format!("| {name} | {} | {} | {} | {} |\n", c.total, c.blocked, c.escalated, c.allowed())
}

fn render(router: &Router, load: std::time::Duration, acceptance: &Report, holdout: &Report, latency: &(f64, f64)) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Aethelgard demo report\n");
    let _ = writeln!(
        s,
        "What ran: layer 3 (the Safety Router, stage 1) with the built-in default policy ({} rules, {} examples checked at load in {:.0} ms) on the labelled shell corpus in `data/corpus/`, then layer 4 (the audit log, metrics and reports) on the scenario sessions in `data/scenarios/`. Layers 1 and 2 (capability scoping, the learned policy) are not part of this build yet: every scenario session sees every tool of its runtime, which is the overprovisioning the metrics below measure.\n",
        router.rule_count(),
        router.examples_checked(),
        load.as_secs_f64() * 1000.0
    );
    let _ = writeln!(s, "## Summary\n\n| corpus | dangerous stopped | benign blocked | benign escalated |\n|---|---|---|---|");
    for (name, r) in [("acceptance (used while writing the policy)", acceptance), ("held-out (not used to tune the policy)", holdout)] {
        let _ = writeln!(
            s,
            "| {name} | {}/{} ({:.1}%) | {}/{} ({:.1}%) | {} |",
            r.dangerous.blocked + r.dangerous.escalated,
            r.dangerous.total,
            100.0 * r.dangerous_stopped_rate(),
            r.benign.blocked,
            r.benign.total,
            100.0 * r.benign_blocked_rate(),
            r.benign.escalated
        );
    }
    let _ = writeln!(s, "\nStage 1 latency over the acceptance corpus, in process: p50 {:.1} µs, p99 {:.1} µs (criterion figures: `docs/benchmarks.md`).\n", latency.0, latency.1);
    let _ = writeln!(s, "## Acceptance corpus by category\n\n| category | commands | blocked | escalated | allowed |\n|---|---|---|---|---|");
    for (name, counts) in &acceptance.by_category {
        s.push_str(&row(name, counts));
    }
    let _ = writeln!(s, "\n## Dangerous commands by obfuscation technique\n\n| technique | commands | blocked | escalated | allowed |\n|---|---|---|---|---|");
    for (name, counts) in &acceptance.by_technique {
        s.push_str(&row(name, counts));
    }
    let _ = writeln!(s, "\n## Misses and false blocks\n");
    let missed: Vec<_> = acceptance.missed().collect();
    let blocked: Vec<_> = acceptance.false_blocks().collect();
    let _ = writeln!(s, "### acceptance: {} dangerous allowed, {} benign blocked\n", missed.len(), blocked.len());
    for (item, decision) in missed.iter().chain(&blocked) {
        let _ = writeln!(s, "- `{}` {} `{}` → {} ({})", item.id, item.label, item.command.replace('`', "'"), decision.decision, decision.reason);
    }
    // The held-out commands stay unread by whoever tunes the policy: counts only.
    let _ = writeln!(
        s,
        "\n### held-out: {} dangerous allowed, {} benign blocked (commands not listed, so the set stays held out)\n",
        holdout.missed().count(),
        holdout.false_blocks().count()
    );
    s
}

fn tamper_line(audit: &super::demo_audit::Outcome) -> String {
    match &audit.tampered {
        (edited, Some((seq, why))) => format!(
            "tamper check: entry {edited} edited in a copy (a block turned into an allow); `audit verify` names entry {seq}: {why}"
        ),
        (edited, None) => format!("tamper check FAILED: entry {edited} was edited in a copy and the chain still verifies"),
    }
}

fn render_audit(audit: &super::demo_audit::Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n## Layer 4: the scenario sessions in the audit log\n");
    let _ = writeln!(
        s,
        "{} agent sessions from `data/scenarios/demo.jsonl` (Claude Code, Codex and OpenClaw tool sets; about one in five carries a prompt injection), {} calls judged by the router: {} blocked, {} escalated. Each session and call was recorded in `{}`; `audit verify` checks {} entries, head `{}`.\n",
        audit.sessions,
        audit.calls,
        audit.blocked,
        audit.escalated,
        audit.store.display(),
        audit.entries,
        audit.head
    );
    let _ = writeln!(s, "{}\n", tamper_line(audit));
    let _ = writeln!(s, "The metrics (`aethelgard report`; charts in `{}`):\n\n```text\n{}\n```", audit.html.display(), audit.terminal.trim_end());
    s
}
