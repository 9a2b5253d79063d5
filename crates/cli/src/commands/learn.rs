//! `aethelgard learn`: learn from sessions. `learn classifier` trains layer 1's task classifier;
//! the tool-exposure policy of layer 2 (`learn --sessions FILE --algo ppo --out policy.toml`) is in
//! `learn_policy.rs`.

use aethelgard_governor::classify::eval::{self, Evaluation, Example, Threshold};
use aethelgard_governor::classify::linear::{LinearClassifier, TrainConfig};
use aethelgard_governor::classify::rules::RuleClassifier;
use anyhow::Context as _;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const CLASSIFIER_EXAMPLES: &str = "\
Examples:
  aethelgard learn classifier --sessions data/tasks/prompts/train.jsonl --out classifier.json
      train on labelled sessions (lines {\"task\": \"...\", \"task_type\": \"...\"}; others are skipped)
  aethelgard learn classifier --sessions data/tasks/prompts/train.jsonl \\
      --eval data/tasks/prompts/heldout.jsonl --out classifier.json
      also compare the rules and the trained model on sessions never used for training
  aethelgard learn classifier --sessions train.jsonl --cv 5 --out classifier.json
      cross-validate on the training sessions: accuracy at each min_confidence

Use the model: set `[governor] classifier = \"classifier.json\"` in your policy (relative to the
policy file). Docs: docs/classification.md.";

const POLICY_EXAMPLES: &str = "\
Examples:
  aethelgard gym --sessions 10000 --seed 1 --out gym.jsonl
  aethelgard learn --sessions gym.jsonl --out learned.toml
      PPO (the default) on 10,000 generated sessions; writes learned.toml, learned.curve.svg
      (the training curve) and learned.model.safetensors (the model)
  aethelgard learn --sessions sessions.jsonl --catalog my-mcp-tools.jsonl --algo supervised --out learned.toml
      from imported logs, with descriptions for MCP tools the built-in catalogs do not know
  aethelgard scope --learned learned.toml --task \"Summarise notes.md\" --tools read,write,exec
      put it to work (or set `[governor] learned = \"learned.toml\"` in the policy)
  aethelgard eval
      every method, 5 seeds, held-out templates and a held-out catalog: is PPO worth it?

Needs: a session's needed tools are inferred from logs: what a successful run called and was
allowed to call; a failed run takes the needs of a successful run of the same request. Sessions
without a task type are labelled by the policy's task classifier. Docs: docs/learning.md.";

/// Learn from sessions: the tool-exposure policy (layer 2), or with `learn classifier` the task
/// classifier (layer 1).
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, after_long_help = POLICY_EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<LearnCommand>,
    #[command(flatten)]
    pub policy: super::learn_policy::PolicyArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum LearnCommand {
    /// Train the task classifier (layer 1) on labelled sessions, and measure it.
    ///
    /// Trains a linear model (softmax regression over word and character n-grams) on each
    /// session's `task` and `task_type`, writes it as JSON, and with `--eval` prints the accuracy,
    /// macro-F1 and confusion matrix of the built-in rules and of the trained model on other
    /// sessions.
    Classifier(ClassifierArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = CLASSIFIER_EXAMPLES)]
pub struct ClassifierArgs {
    /// Session JSONL to train on; sessions without a `task_type` are skipped.
    #[arg(long, value_name = "FILE")]
    pub sessions: PathBuf,
    /// Where to write the model (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Labelled session JSONL never used for training: compare the rules and the trained model.
    #[arg(long, value_name = "FILE")]
    pub eval: Option<PathBuf>,
    /// Cross-validate the trained model on the training sessions with K folds, and print
    /// accuracy at each `min_confidence` (for choosing one without held-out data).
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,
    /// Seeds the training order and the folds: the same seed gives the same model.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Passes over the training sessions.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: u32,
    /// The most weights the model keeps (the file grows about 8 bytes a weight).
    #[arg(long, default_value_t = TrainConfig::default().max_weights)]
    pub max_weights: usize,
    /// In `--eval` and `--cv`, predictions below this confidence count as `unknown`, as the
    /// governor does (default: the built-in policy's `[governor] min_confidence`).
    #[arg(long, value_name = "P")]
    pub min_confidence: Option<f64>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(LearnCommand::Classifier(args)) => classifier(args),
        None => super::learn_policy::run(&args.policy),
    }
}

/// Labelled requests read from a session file.
#[derive(Debug, Serialize)]
struct Labelled {
    file: String,
    examples: usize,
    /// Sessions without a `task_type` (or without a `task`), skipped.
    skipped: usize,
    task_types: usize,
    #[serde(skip)]
    requests: Vec<Example>,
}

fn read_labelled(path: &Path) -> anyhow::Result<Labelled> {
    let mut requests = Vec::new();
    let mut skipped = 0;
    for session in crate::audit::sessions_in_file(path)? {
        match session.task_type.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(task_type) if !session.task.trim().is_empty() => requests.push(Example::new(session.task, task_type)),
            _ => skipped += 1,
        }
    }
    let task_types = requests.iter().map(|e| e.task_type.as_str()).collect::<HashSet<_>>().len();
    Ok(Labelled { file: path.display().to_string(), examples: requests.len(), skipped, task_types, requests })
}

#[derive(Debug, Serialize)]
struct Report {
    training: Labelled,
    model: ModelSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval: Option<HeldOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cross_validation: Option<CrossValidation>,
}

#[derive(Debug, Serialize)]
struct ModelSummary {
    path: String,
    bytes: usize,
    weights: usize,
    temperature: f64,
    seconds: f64,
    config: TrainConfig,
}

#[derive(Debug, Serialize)]
struct HeldOut {
    sessions: Labelled,
    /// Held-out requests whose text also occurs among the training requests.
    also_in_training: usize,
    min_confidence: f64,
    rules: Scores,
    trained: Scores,
}

/// A classifier's scores at the governor's `min_confidence`, and without it.
#[derive(Debug, Serialize)]
struct Scores {
    #[serde(flatten)]
    governed: Evaluation,
    raw_accuracy: f64,
    raw_macro_f1: f64,
}

impl Scores {
    fn of(predictions: &[eval::Prediction], min_confidence: f64) -> Self {
        let raw = Evaluation::of(predictions, 0.0);
        Self { governed: Evaluation::of(predictions, min_confidence), raw_accuracy: raw.accuracy, raw_macro_f1: raw.macro_f1 }
    }
}

#[derive(Debug, Serialize)]
struct CrossValidation {
    folds: usize,
    /// The trained model, each example predicted by a model that did not see it.
    trained: Vec<Threshold>,
    /// The rules on the training sessions (they are not trained, so not cross-validated).
    rules: Vec<Threshold>,
}

fn classifier(args: &ClassifierArgs) -> anyhow::Result<ExitCode> {
    if let Some(p) = args.min_confidence
        && !(0.0..=1.0).contains(&p)
    {
        anyhow::bail!("`--min-confidence {p}` is outside 0..1");
    }
    let min_confidence = match args.min_confidence {
        Some(p) => p,
        None => aethelgard_policy::default_policy_trusted()?.0.governor.min_confidence,
    };
    let training = read_labelled(&args.sessions)?;
    if training.requests.is_empty() {
        anyhow::bail!(
            "{}: no session has a `task_type`, so there is nothing to learn from ({} sessions skipped)",
            training.file,
            training.skipped
        );
    }
    let config = TrainConfig { seed: args.seed, epochs: args.epochs, max_weights: args.max_weights, ..TrainConfig::default() };
    let pairs: Vec<(&str, &str)> = training.requests.iter().map(|e| (e.request.as_str(), e.task_type.as_str())).collect();
    let started = Instant::now();
    let model = LinearClassifier::train(&pairs, &config);
    let seconds = started.elapsed().as_secs_f64();
    let text = model.to_json();
    std::fs::write(&args.out, &text).with_context(|| format!("cannot write the model to {}", args.out.display()))?;
    let summary = ModelSummary {
        path: args.out.display().to_string(),
        bytes: text.len(),
        weights: model.weight_count(),
        temperature: model.temperature(),
        seconds,
        config,
    };

    let rules = RuleClassifier::builtin();
    let eval = match &args.eval {
        Some(path) => {
            let sessions = read_labelled(path)?;
            let seen: HashSet<String> = training.requests.iter().map(|e| normalised(&e.request)).collect();
            let also_in_training = sessions.requests.iter().filter(|e| seen.contains(&normalised(&e.request))).count();
            let rules_scores = Scores::of(&eval::predict(&rules, &sessions.requests), min_confidence);
            let trained_scores = Scores::of(&eval::predict(&model, &sessions.requests), min_confidence);
            Some(HeldOut { sessions, also_in_training, min_confidence, rules: rules_scores, trained: trained_scores })
        }
        None => None,
    };
    let cross_validation = args.cv.map(|folds| CrossValidation {
        folds: folds.max(2),
        trained: eval::calibration(&eval::cross_validate(&training.requests, folds, &config)),
        rules: eval::calibration(&eval::predict(&rules, &training.requests)),
    });
    let report = Report { training, model: summary, eval, cross_validation };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// Requests compared for overlap: case and spacing do not make a prompt new.
fn normalised(request: &str) -> String {
    request.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn render(report: &Report) -> String {
    let mut out = String::new();
    let t = &report.training;
    let m = &report.model;
    let _ = writeln!(
        out,
        "training: {}: {} labelled requests, {} task types ({} sessions without a task_type skipped)",
        t.file, t.examples, t.task_types, t.skipped
    );
    let _ = writeln!(
        out,
        "trained in {:.2} s: {} weights, temperature {:.3} (seed {}, {} epochs)",
        m.seconds, m.weights, m.temperature, m.config.seed, m.config.epochs
    );
    let _ = writeln!(out, "wrote {} ({} KB)", m.path, m.bytes.div_ceil(1024));
    if let Some(held_out) = &report.eval {
        render_held_out(&mut out, held_out);
    }
    if let Some(cv) = &report.cross_validation {
        let _ = writeln!(out, "\ncross-validation on the training sessions ({} folds; the rules are not trained, so they are scored on all of them):", cv.folds);
        let _ = writeln!(out, "min_confidence   trained: accuracy  macro-F1  demoted   rules: accuracy  macro-F1  demoted");
        for (trained, rules) in cv.trained.iter().zip(&cv.rules) {
            let _ = writeln!(
                out,
                "{:>14.2}   {:>17.3} {:>9.3} {:>7.1}%   {:>15.3} {:>9.3} {:>7.1}%",
                trained.min_confidence,
                trained.accuracy,
                trained.macro_f1,
                trained.demoted * 100.0,
                rules.accuracy,
                rules.macro_f1,
                rules.demoted * 100.0
            );
        }
    }
    out
}

fn render_held_out(out: &mut String, held_out: &HeldOut) {
    let s = &held_out.sessions;
    let _ = writeln!(out, "\nheld-out: {}: {} labelled requests, {} task types ({} sessions skipped)", s.file, s.examples, s.task_types, s.skipped);
    if held_out.also_in_training > 0 {
        let _ = writeln!(out, "warning: {} of these requests also occur in the training sessions, so these figures are not fully held-out", held_out.also_in_training);
    }
    let _ = writeln!(out, "predictions below confidence {} count as `unknown`, as the governor does (raw: without that)", held_out.min_confidence);
    let _ = writeln!(out, "\nclassifier  accuracy  macro-F1   raw accuracy  raw macro-F1");
    for (name, scores) in [("rules", &held_out.rules), ("trained", &held_out.trained)] {
        let _ = writeln!(
            out,
            "{name:<10} {:>9.3} {:>9.3} {:>14.3} {:>13.3}",
            scores.governed.accuracy, scores.governed.macro_f1, scores.raw_accuracy, scores.raw_macro_f1
        );
    }
    let _ = writeln!(out, "\nF1 by task type   rules  trained  support");
    let (rules, trained) = (&held_out.rules.governed.per_type, &held_out.trained.governed.per_type);
    let mut labels: Vec<&str> = rules.iter().map(|t| t.task_type.as_str()).collect();
    labels.extend(trained.iter().map(|t| t.task_type.as_str()).filter(|l| !rules.iter().any(|r| r.task_type == *l)));
    for label in labels {
        let of = |scores: &[eval::TypeScore]| scores.iter().find(|t| t.task_type == label).map_or((0.0, 0), |t| (t.f1, t.support));
        let ((rules_f1, support), (trained_f1, _)) = (of(rules), of(trained));
        let _ = writeln!(out, "{label:<16} {rules_f1:>6.2} {trained_f1:>8.2} {support:>8}");
    }
    for (name, scores) in [("rules", &held_out.rules), ("trained", &held_out.trained)] {
        let _ = writeln!(out, "\n{name}: confusion matrix (rows: the given task type; columns: the prediction)");
        out.push_str(&scores.governed.confusion_table());
    }
}
