//! The demo's layer 2 part: `aethelgard eval` on a small configuration (every method, five seeds,
//! both held-out splits), written into the report and as `learning.html` with PPO's training
//! curve.

use aethelgard_learn::curve::{self, Series};
use aethelgard_learn::eval::{self, EvalConfig, Report};
use aethelgard_learn::gym::Gym;
use anyhow::Context as _;
use std::path::{Path, PathBuf};

/// The demo's configuration: small enough for a minute on two cores, five seeds for intervals.
pub fn demo_config() -> EvalConfig {
    EvalConfig { seeds: (1..=5).collect(), train_sessions: 600, test_sessions: 300, ..EvalConfig::default() }
}

/// What the layer 2 part produced.
pub struct Outcome {
    pub report: Report,
    pub html: PathBuf,
}

pub fn run(out: &Path, quiet: bool) -> anyhow::Result<Outcome> {
    let gym = Gym::builtin()?;
    let config = demo_config();
    let report = super::eval::run_with_bar(&gym, &config, quiet)?;
    let points = &report.ppo_curve;
    let svg = curve::svg("PPO training curve, seed 1 (deterministic grant)", "update", &[
        Series { name: "accuracy", values: points.iter().map(|s| s.greedy_accuracy).collect() },
        Series { name: "economy", values: points.iter().map(|s| s.greedy_economy).collect() },
        Series { name: "safety", values: points.iter().map(|s| s.greedy_safety).collect() },
        Series { name: "share granted", values: points.iter().map(|s| s.greedy_granted).collect() },
    ]);
    let html = out.join("learning.html");
    std::fs::write(&html, page(&report, &svg)).with_context(|| format!("cannot write `{}`", html.display()))?;
    Ok(Outcome { report, html })
}

/// One self-contained page: the table as preformatted text, and the curve.
fn page(report: &Report, svg: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Aethelgard: layer 2 evaluation</title>\
         <style>body{{font-family:sans-serif;margin:2em}}pre{{font-size:12px;overflow-x:auto}}</style></head>\n<body>\
         <h1>Layer 2: learned exposure policies on the gym</h1>\
         <p>Every method through the same evaluation: training logs generated with every tool visible and the router judging calls, \
         needs inferred from the logs, tests on held-out templates and on a held-out catalog. Mean ± 95% confidence interval over seeds. \
         Reproduce: <code>aethelgard eval --seeds {} --train-sessions {} --test-sessions {}</code>.</p>\
         <pre>{}</pre>\n{}\n</body></html>\n",
        report.config.seeds.len(),
        report.config.train_sessions,
        report.config.test_sessions,
        curve::escape(&eval::render(report)),
        svg
    )
}

/// The report's section.
pub fn render(outcome: &Outcome) -> String {
    let report = &outcome.report;
    format!(
        "\n## Layer 2: learned exposure policies\n\n\
         `aethelgard eval` on the demo's small configuration (reproduce: `aethelgard eval --seeds {} --train-sessions {} --test-sessions {}`). \
         The tables and PPO's training curve are also in `{}`.\n\n{}\n",
        report.config.seeds.len(),
        report.config.train_sessions,
        report.config.test_sessions,
        outcome.html.display(),
        eval::render_markdown(report)
    )
}
