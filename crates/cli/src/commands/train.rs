//! `aethelgard train router`: train stage 2's built-in linear model on a labelled call corpus,
//! choose its thresholds by cross-validation on that corpus, and (with `--eval`) measure it on
//! calls it never saw.

use aethelgard_router::stage2::features::{self, FeatureConfig};
use aethelgard_router::stage2::linear::eval::{self, Evaluation, LabelledCall, Rates, Scored};
use aethelgard_router::stage2::linear::train::{self, Example};
use aethelgard_router::stage2::linear::{LinearClassifier, TrainConfig};
use anyhow::Context as _;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const ROUTER_EXAMPLES: &str = "\
Examples:
  aethelgard train router --corpus data/corpus/calls.jsonl --corpus data/corpus/calls_heldout.jsonl \
      --out data/router/stage2-linear.json
      train on the labelled calls (the shipped model's corpus: the v1 held-out file is seen since
      round 2); thresholds from 5-fold cross-validation grouped by family
  aethelgard train router --corpus data/corpus/calls.jsonl --corpus data/corpus/calls_heldout.jsonl \
      --eval data/corpus/calls_heldout_v2.jsonl
      also measure the trained model on calls never used for training or tuning

Corpus lines: {\"id\", \"request\", \"context\"?, \"untrusted\"?, \"tool\", \"description\", \"risk\",
\"args\", \"label\": \"benign\"|\"malicious\", \"category\", \"hard\", \"family\"}. Use the model: set
`[stage2] backend = \"linear\"` and `model = \"FILE\"` in your policy. Docs: docs/stage2.md.";

/// Train a learned component.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: TrainCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TrainCommand {
    /// Train the router's stage 2 linear model on labelled tool calls.
    ///
    /// Logistic regression over named grounding features (and, with `--ngrams`, hashed n-grams),
    /// by seeded AdaGrad; calibrated by Platt scaling on scores cross-validated with folds grouped
    /// by family; the block threshold is the lowest whose cross-validated false positive rate is
    /// at most `--block-fpr`, the escalate threshold the same at `--escalate-fpr`.
    Router(RouterArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = ROUTER_EXAMPLES)]
pub struct RouterArgs {
    /// Labelled call JSONL to train on; repeat to train on several files as one corpus.
    #[arg(long, value_name = "FILE", required = true)]
    pub corpus: Vec<PathBuf>,
    /// Where to write the model (JSON).
    #[arg(long, value_name = "PATH", default_value = "stage2-linear.json")]
    pub out: PathBuf,
    /// Labelled call JSONL never used for training or tuning: measure the model on it.
    #[arg(long, value_name = "HELDOUT")]
    pub eval: Option<PathBuf>,
    /// Seeds the training order and the folds: the same seed gives the same model.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Passes over the corpus.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: u32,
    /// The most hashed weights the model keeps.
    #[arg(long, default_value_t = TrainConfig::default().max_weights)]
    pub max_weights: usize,
    /// Cross-validated false positive rate the block threshold aims at.
    #[arg(long, default_value_t = TrainConfig::default().block_fpr)]
    pub block_fpr: f64,
    /// Cross-validated rate of benign calls blocked or escalated the escalate threshold aims at.
    #[arg(long, default_value_t = TrainConfig::default().escalate_fpr)]
    pub escalate_fpr: f64,
    /// Also use the hashed n-gram features (description, argument and request words, character
    /// 3-5-grams, pairs of named features); off by default, see docs/stage2.md.
    #[arg(long)]
    pub ngrams: bool,
    /// L2 penalty on hashed weights (named weights are pulled toward their designed priors).
    #[arg(long, default_value_t = TrainConfig::default().l2)]
    pub l2: f64,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write each training call's cross-validated risk (id, family, label, category, risk) as
    /// JSONL: which families the model gets wrong when it has not seen them.
    #[arg(long, value_name = "FILE")]
    pub cv_scores: Option<PathBuf>,
}

#[derive(Serialize)]
struct Summary {
    corpus: String,
    out: String,
    examples: usize,
    weights: usize,
    train_seconds: f64,
    cross_validated: Evaluation,
    #[serde(skip_serializing_if = "Option::is_none")]
    heldout: Option<Evaluation>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        TrainCommand::Router(router) => run_router(router),
    }
}

fn read_corpus(path: &Path) -> anyhow::Result<Vec<LabelledCall>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read corpus `{}`", path.display()))?;
    let calls = eval::parse_corpus(&text, &path.display().to_string())?;
    anyhow::ensure!(!calls.is_empty(), "corpus `{}` holds no calls", path.display());
    Ok(calls)
}

fn run_router(args: &RouterArgs) -> anyhow::Result<ExitCode> {
    if let Some(eval) = &args.eval {
        anyhow::ensure!(
            !args.corpus.iter().any(|c| c == eval),
            "`{}` is both a training corpus and the --eval file: measure on calls the model never saw",
            eval.display()
        );
    }
    anyhow::ensure!(
        (0.0..1.0).contains(&args.block_fpr) && (0.0..1.0).contains(&args.escalate_fpr),
        "--block-fpr and --escalate-fpr must lie in 0..1"
    );
    let config = TrainConfig {
        seed: args.seed,
        epochs: args.epochs,
        max_weights: args.max_weights,
        block_fpr: args.block_fpr,
        escalate_fpr: args.escalate_fpr.max(args.block_fpr),
        l2: args.l2,
        features: if args.ngrams { FeatureConfig::with_ngrams() } else { FeatureConfig::default() },
        ..TrainConfig::default()
    };
    let mut corpus = Vec::new();
    for path in &args.corpus {
        corpus.extend(read_corpus(path)?);
    }
    let started = Instant::now();
    let examples: Vec<Example> = corpus
        .iter()
        .map(|labelled| {
            let call = labelled.call();
            Example {
                features: features::extract(&labelled.subject(&call), &config.features),
                malicious: labelled.is_malicious(),
                group: labelled.group().to_owned(),
            }
        })
        .collect();
    let trained = train::train(&examples, &config);
    let train_seconds = started.elapsed().as_secs_f64();
    let classifier = LinearClassifier::new(trained.model);
    classifier.save(&args.out)?;
    let thresholds = classifier.thresholds();
    let cv_scored: Vec<Scored> = corpus
        .iter()
        .zip(&trained.cross_validated)
        .map(|(labelled, risk)| Scored { risk: *risk, malicious: labelled.is_malicious(), category: labelled.category.clone(), hard: labelled.hard })
        .collect();
    if let Some(path) = &args.cv_scores {
        let mut text = String::new();
        for (labelled, risk) in corpus.iter().zip(&trained.cross_validated) {
            let line = serde_json::json!({
                "id": labelled.id, "family": labelled.group(), "label": labelled.label,
                "category": labelled.category, "risk": (risk * 1e4).round() / 1e4,
            });
            text.push_str(&line.to_string());
            text.push('\n');
        }
        std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    let heldout = match &args.eval {
        Some(path) => {
            let calls = read_corpus(path)?;
            let scored: Vec<Scored> = calls
                .iter()
                .map(|labelled| {
                    let call = labelled.call();
                    let risk = classifier.model().risk(&labelled.subject(&call));
                    Scored { risk, malicious: labelled.is_malicious(), category: labelled.category.clone(), hard: labelled.hard }
                })
                .collect();
            Some(eval::evaluate(&scored, thresholds))
        }
        None => None,
    };
    let summary = Summary {
        corpus: args.corpus.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" + "),
        out: args.out.display().to_string(),
        examples: examples.len(),
        weights: classifier.model().weight_count(),
        train_seconds,
        cross_validated: eval::evaluate(&cv_scored, thresholds),
        heldout,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", render(&summary));
    }
    Ok(ExitCode::SUCCESS)
}

fn rates(name: &str, r: &Rates) -> String {
    format!(
        "  {name:<22} TPR {:.3} ({}/{})  FPR {:.3} ({}/{})  precision {:.3}\n",
        r.tpr, r.true_positives, r.malicious, r.fpr, r.false_positives, r.benign, r.precision
    )
}

fn render_evaluation(title: &str, e: &Evaluation) -> String {
    let mut out = format!("{title} (N = {}):\n", e.n);
    out += &rates("blocked", &e.block);
    out += &rates("blocked or escalated", &e.block_or_escalate);
    out += &rates("hard cases, blocked", &e.hard_block);
    out += &format!("  ROC AUC {:.4}  average precision {:.4}\n", e.roc_auc, e.average_precision);
    out += "  per category (blocked / escalated / allowed of N):\n";
    for (name, c) in &e.categories {
        out += &format!("    {name:<22} {:<9} {:>4} / {:>4} / {:>4} of {:>4}\n", c.label, c.blocked, c.escalated, c.allowed, c.n);
    }
    out += "  precision-recall (block at risk >= threshold):\n    threshold  precision  recall   FPR\n";
    for p in &e.pr_curve {
        out += &format!("    {:>9.4}  {:>9.3}  {:>6.3}  {:>5.3}\n", p.threshold, p.precision, p.recall, p.fpr);
    }
    out
}

fn render(s: &Summary) -> String {
    let t = s.cross_validated.thresholds;
    let mut out = format!(
        "trained on {} calls from {} in {:.1} s: {} weights, written to {}\nthresholds: block at risk >= {:.4}, escalate from {:.4}\n\n",
        s.examples, s.corpus, s.train_seconds, s.weights, s.out, t.upper, t.lower
    );
    out += &render_evaluation("cross-validated on the training corpus (folds grouped by family)", &s.cross_validated);
    if let Some(heldout) = &s.heldout {
        out += "\n";
        out += &render_evaluation("held-out", heldout);
    }
    out
}
