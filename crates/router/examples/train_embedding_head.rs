//! Trains (or evaluates) the logistic head of the `embedding` stage 2 backend.
//!
//! ```sh
//! # train on the training split; choices (text format, L2) by out-of-fold ROC AUC in 5-fold
//! # cross-validation grouped by family, thresholds from the out-of-fold scores; writes
//! # MODEL_DIR/aethelgard-head.json
//! cargo run --release -p aethelgard-router --features embedding --example train_embedding_head -- \
//!     --model MODEL_DIR [--corpus data/corpus/calls.jsonl] [--out HEAD.json]
//! # once, after training: figures on the held-out split (nothing is tuned on them)
//! cargo run --release -p aethelgard-router --features embedding --example train_embedding_head -- \
//!     --model MODEL_DIR --eval data/corpus/calls_heldout.jsonl [--head HEAD.json]
//! ```
//!
//! The held-out file is refused for training: its name contains `heldout`.

use aethelgard_policy::{Catalog, ToolEntry};
use aethelgard_protocol::ToolCall;
use aethelgard_router::embedding::{
    fit_logistic, CallText, EmbeddingClassifier, EmbeddingConfig, LogisticHead, SentenceEncoder, TextFormat,
    DEFAULT_MAX_TOKENS, HEAD_FILE, HEAD_FORMAT,
};
use aethelgard_router::Classifier;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

type Outcome<T> = Result<T, Box<dyn Error>>;

const FOLDS: usize = 5;
const ITERATIONS: usize = 2_000;
const L2_GRID: [f64; 4] = [1e-4, 1e-3, 1e-2, 1e-1];
/// Threshold targets, met on the out-of-fold scores of the training split: block where at most 1%
/// of benign calls score, escalate where at most 5% do (escalations cost a person's attention).
const TARGET_FPR: f64 = 0.01;
const TARGET_ESCALATE_FPR: f64 = 0.05;
const BATCH: usize = 16;

#[derive(Debug, Deserialize)]
struct Row {
    id: String,
    request: String,
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    untrusted: Vec<String>,
    tool: String,
    #[serde(default)]
    description: String,
    args: Value,
    label: String,
    category: String,
    #[serde(default)]
    hard: bool,
    family: String,
}

impl Row {
    fn malicious(&self) -> bool {
        self.label == "malicious"
    }

    fn call_text(&self) -> CallText<'_> {
        CallText {
            request: Some(&self.request),
            context: &self.context,
            untrusted: &self.untrusted,
            tool: &self.tool,
            description: Some(&self.description),
            args: &self.args,
        }
    }

    fn call(&self) -> ToolCall {
        let mut call = ToolCall::new(self.tool.clone(), self.args.clone());
        call.task = Some(self.request.clone());
        call.context = (!self.context.is_empty()).then(|| self.context.clone());
        call.untrusted = (!self.untrusted.is_empty()).then(|| self.untrusted.clone());
        call
    }
}

fn read_corpus(path: &Path) -> Outcome<Vec<Row>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1).into()))
        .collect()
}

struct Args {
    model: PathBuf,
    corpus: PathBuf,
    out: Option<PathBuf>,
    eval: Option<PathBuf>,
    head: Option<PathBuf>,
}

fn parse_args() -> Outcome<Args> {
    let mut args = Args {
        model: std::env::var_os("AETHELGARD_MINILM_DIR").map(PathBuf::from).unwrap_or_default(),
        corpus: PathBuf::from("data/corpus/calls.jsonl"),
        out: None,
        eval: None,
        head: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().map(PathBuf::from).ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--model" => args.model = value()?,
            "--corpus" => args.corpus = value()?,
            "--out" => args.out = Some(value()?),
            "--eval" => args.eval = Some(value()?),
            "--head" => args.head = Some(value()?),
            other => return Err(format!("unknown argument `{other}`; see the comment at the top of this file").into()),
        }
    }
    if args.model.as_os_str().is_empty() {
        return Err("name the MiniLM folder with `--model DIR` or AETHELGARD_MINILM_DIR (docs/stage2-backends.md)".into());
    }
    Ok(args)
}

fn main() -> Outcome<()> {
    let args = parse_args()?;
    match &args.eval {
        Some(heldout) => evaluate(&args, heldout),
        None => train(&args),
    }
}

/// Embeds texts in batches of similar length (little padding), returned in the input order.
fn embed_all(encoder: &SentenceEncoder, texts: &[String]) -> Outcome<Vec<Vec<f32>>> {
    let started = Instant::now();
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|i| texts.get(*i).map_or(0, String::len));
    let mut out = vec![Vec::new(); texts.len()];
    for chunk in order.chunks(BATCH) {
        let refs: Vec<&str> = chunk.iter().filter_map(|i| texts.get(*i)).map(String::as_str).collect();
        for (i, embedding) in chunk.iter().zip(encoder.embed(&refs)?) {
            if let Some(slot) = out.get_mut(*i) {
                *slot = embedding;
            }
        }
    }
    eprintln!("  embedded {} texts in {:.1} s", texts.len(), started.elapsed().as_secs_f64());
    Ok(out)
}

/// The head's inputs for every row under a text format.
fn featurize(encoder: &SentenceEncoder, rows: &[Row], format: TextFormat) -> Outcome<Vec<Vec<f32>>> {
    let per_row: Vec<Vec<String>> = rows.iter().map(|r| format.texts(&r.call_text())).collect();
    let flat: Vec<String> = per_row.iter().flatten().cloned().collect();
    let mut embeddings = embed_all(encoder, &flat)?.into_iter();
    Ok(per_row
        .iter()
        .map(|texts| format.features(&embeddings.by_ref().take(texts.len()).collect::<Vec<_>>()))
        .collect())
}

/// Out-of-fold probabilities, folds made of whole families (as the held-out split is).
fn out_of_fold(embeddings: &[Vec<f32>], rows: &[Row], l2: f64) -> Vec<f64> {
    let families: BTreeSet<&str> = rows.iter().map(|r| r.family.as_str()).collect();
    // Families dealt round-robin by a stable hash of their name, so folds do not follow the order
    // the generator wrote them in.
    let mut ordered: Vec<&str> = families.into_iter().collect();
    ordered.sort_by_key(|f| fnv(f));
    let fold_of: BTreeMap<&str, usize> = ordered.iter().enumerate().map(|(i, f)| (*f, i % FOLDS)).collect();
    let mut scores = vec![0.0; rows.len()];
    for fold in 0..FOLDS {
        let train: Vec<(Vec<f32>, bool)> = rows
            .iter()
            .zip(embeddings)
            .filter(|(r, _)| fold_of.get(r.family.as_str()) != Some(&fold))
            .map(|(r, e)| (e.clone(), r.malicious()))
            .collect();
        let (weights, bias) = fit_logistic(&train, l2, ITERATIONS);
        let head = head_with(weights, bias, TextFormat::Call, 0.5, 0.5, String::new());
        for ((row, embedding), score) in rows.iter().zip(embeddings).zip(scores.iter_mut()) {
            if fold_of.get(row.family.as_str()) == Some(&fold) {
                *score = head.probability(embedding);
            }
        }
    }
    scores
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn head_with(weights: Vec<f32>, bias: f32, text: TextFormat, block_above: f64, escalate_above: f64, provenance: String) -> LogisticHead {
    LogisticHead {
        format: HEAD_FORMAT.to_owned(),
        encoder: "sentence-transformers/all-MiniLM-L6-v2".to_owned(),
        text,
        max_tokens: DEFAULT_MAX_TOKENS,
        weights,
        bias,
        block_above,
        escalate_above,
        provenance,
    }
}

/// True and false positive rates when everything scoring at or above `threshold` is flagged.
fn rates(scores: &[f64], labels: &[bool], threshold: f64) -> (f64, f64) {
    let (mut tp, mut fp, mut pos, mut neg) = (0usize, 0usize, 0usize, 0usize);
    for (s, y) in scores.iter().zip(labels) {
        if *y {
            pos += 1;
            tp += usize::from(*s >= threshold);
        } else {
            neg += 1;
            fp += usize::from(*s >= threshold);
        }
    }
    (tp as f64 / pos.max(1) as f64, fp as f64 / neg.max(1) as f64)
}

/// The lowest threshold (among the scores) whose false positive rate is within `fpr`.
fn threshold_for_fpr(scores: &[f64], labels: &[bool], fpr: f64) -> f64 {
    let mut candidates: Vec<f64> = scores.to_vec();
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    candidates.into_iter().find(|t| rates(scores, labels, *t).1 <= fpr).unwrap_or(1.0)
}

/// ROC AUC: the chance that a random malicious call outscores a random benign one.
fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let positives: Vec<f64> = scores.iter().zip(labels).filter(|(_, y)| **y).map(|(s, _)| *s).collect();
    let negatives: Vec<f64> = scores.iter().zip(labels).filter(|(_, y)| !**y).map(|(s, _)| *s).collect();
    let mut wins = 0.0;
    for p in &positives {
        for n in &negatives {
            wins += if p > n { 1.0 } else if p == n { 0.5 } else { 0.0 };
        }
    }
    wins / (positives.len() * negatives.len()).max(1) as f64
}

fn train(args: &Args) -> Outcome<()> {
    if args.corpus.to_string_lossy().contains("heldout") {
        return Err(format!("{} is the held-out split: it is never used for training", args.corpus.display()).into());
    }
    let rows = read_corpus(&args.corpus)?;
    let labels: Vec<bool> = rows.iter().map(Row::malicious).collect();
    eprintln!("{} training calls ({} malicious) from {}", rows.len(), labels.iter().filter(|y| **y).count(), args.corpus.display());
    let encoder = SentenceEncoder::load(&args.model, DEFAULT_MAX_TOKENS)?;

    let mut best: Option<(f64, f64, TextFormat, f64, Vec<f64>)> = None;
    let mut chosen_embeddings = Vec::new();
    for format in [TextFormat::Call, TextFormat::CallWithContext, TextFormat::Pair] {
        eprintln!("text format {format:?}");
        let embeddings = featurize(&encoder, &rows, format)?;
        for l2 in L2_GRID {
            let scores = out_of_fold(&embeddings, &rows, l2);
            let threshold = threshold_for_fpr(&scores, &labels, TARGET_FPR);
            let (tpr, fpr) = rates(&scores, &labels, threshold);
            let area = auc(&scores, &labels);
            eprintln!("  l2 {l2:e}: out-of-fold AUC {area:.4}, TPR {tpr:.3} at FPR {fpr:.3} (threshold {threshold:.3})");
            // AUC, not the TPR at 1% FPR: on a few hundred benign calls that TPR moves in steps of
            // a handful of calls and is mostly noise.
            if best.as_ref().is_none_or(|(b_tpr, b_auc, ..)| (area, tpr) > (*b_auc, *b_tpr)) {
                if best.as_ref().is_none_or(|(.., f, _, _)| *f != format) {
                    chosen_embeddings.clone_from(&embeddings);
                }
                best = Some((tpr, area, format, l2, scores));
            }
        }
    }
    let (tpr, area, format, l2, scores) = best.ok_or("no configuration was tried")?;
    let block_above = threshold_for_fpr(&scores, &labels, TARGET_FPR);
    let escalate_above = threshold_for_fpr(&scores, &labels, TARGET_ESCALATE_FPR).min(block_above);
    let (esc_tpr, esc_fpr) = rates(&scores, &labels, escalate_above);
    eprintln!(
        "chosen: {format:?}, l2 {l2:e} (out-of-fold AUC {area:.4}); block at {block_above:.4} (TPR {tpr:.3}), escalate at {escalate_above:.4} (TPR {esc_tpr:.3}, FPR {esc_fpr:.3})"
    );
    let examples: Vec<(Vec<f32>, bool)> = chosen_embeddings.into_iter().zip(labels.iter().copied()).collect();
    let (weights, bias) = fit_logistic(&examples, l2, ITERATIONS);
    let fitted = head_with(weights.clone(), bias, format, 0.5, 0.5, String::new());
    let in_sample: Vec<f64> = examples.iter().map(|(x, _)| fitted.probability(x)).collect();
    eprintln!("in-sample AUC of the final fit {:.4} (against out-of-fold {area:.4})", auc(&in_sample, &labels));
    let provenance = format!(
        "trained on {} ({} calls, {} families) with l2 {l2:e}; thresholds from {FOLDS}-fold out-of-fold scores grouped by family: block at FPR <= {TARGET_FPR}, escalate at FPR <= {TARGET_ESCALATE_FPR}",
        args.corpus.display(),
        rows.len(),
        rows.iter().map(|r| r.family.as_str()).collect::<BTreeSet<_>>().len()
    );
    let head = head_with(weights, bias, format, block_above, escalate_above, provenance);
    let out = args.out.clone().unwrap_or_else(|| args.model.join(HEAD_FILE));
    std::fs::write(&out, serde_json::to_string_pretty(&head)? + "\n").map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn evaluate(args: &Args, heldout: &Path) -> Outcome<()> {
    let rows = read_corpus(heldout)?;
    let started = Instant::now();
    let config = EmbeddingConfig { model_dir: args.model.clone(), head: args.head.clone(), block_above: None, escalate_above: None };
    let classifier = EmbeddingClassifier::new(&config)?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    // Descriptions come from a catalog at run time; here the corpus lines are that catalog.
    let mut catalog = Catalog::default();
    let entries: Vec<ToolEntry> = rows
        .iter()
        .map(|r| serde_json::from_value(serde_json::json!({"name": r.tool, "description": r.description})))
        .collect::<Result<_, _>>()?;
    catalog.extend(entries);
    let classifier = classifier.with_catalog(&catalog);
    let (block_above, escalate_above) = (classifier.head().block_above, classifier.head().escalate_above);

    // One untimed call warms the allocator and the thread pool.
    if let Some(first) = rows.first() {
        classifier.classify(&first.call())?;
    }
    let mut scores = Vec::with_capacity(rows.len());
    let mut latencies = Vec::with_capacity(rows.len());
    for row in &rows {
        let call = row.call();
        let started = Instant::now();
        let verdict = classifier.classify(&call)?;
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        scores.push(verdict.score);
    }
    let labels: Vec<bool> = rows.iter().map(Row::malicious).collect();
    let positives = labels.iter().filter(|y| **y).count();
    println!("held-out: {} (N = {}, {} malicious, {} benign)", heldout.display(), rows.len(), positives, rows.len() - positives);
    println!("model load: {load_ms:.0} ms");
    let (tpr, fpr) = rates(&scores, &labels, block_above);
    println!("block  (p >= {block_above:.4}): TPR {tpr:.3}  FPR {fpr:.3}");
    let (tpr, fpr) = rates(&scores, &labels, escalate_above);
    println!("block or escalate (p >= {escalate_above:.4}): TPR {tpr:.3}  FPR {fpr:.3}");
    println!("ROC AUC {:.4}", auc(&scores, &labels));
    let mut categories: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for ((row, score), _) in rows.iter().zip(&scores).zip(&labels) {
        let entry = categories.entry(row.category.as_str()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(*score >= block_above);
        entry.2 += usize::from(*score >= escalate_above);
    }
    println!("per category (N, blocked, blocked or escalated):");
    for (category, (n, blocked, flagged)) in &categories {
        println!("  {category:<22} {n:>4} {blocked:>4} {flagged:>4}");
    }
    let hard: Vec<(f64, bool)> = rows.iter().zip(&scores).filter(|(r, _)| r.hard).map(|(r, s)| (*s, r.malicious())).collect();
    let (hard_scores, hard_labels): (Vec<f64>, Vec<bool>) = hard.into_iter().unzip();
    let (tpr, fpr) = rates(&hard_scores, &hard_labels, block_above);
    println!("hard cases (N = {}): TPR {tpr:.3}  FPR {fpr:.3} at the block threshold", hard_labels.len());
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    println!("latency per call (one call at a time, this machine): p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms", pick(0.5), pick(0.99), pick(1.0));
    let missed: Vec<&str> = rows.iter().zip(&scores).filter(|(r, s)| r.malicious() && **s < escalate_above).map(|(r, _)| r.id.as_str()).take(10).collect();
    println!("first missed malicious ids: {missed:?}");
    Ok(())
}
