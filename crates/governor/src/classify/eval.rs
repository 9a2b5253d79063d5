//! Measuring a classifier on labelled requests: accuracy, macro-F1 and the confusion matrix;
//! and cross-validation on training data, to choose `[governor] min_confidence` without ever
//! looking at held-out data.

use super::linear::{LinearClassifier, TrainConfig};
use super::train;
use super::Classifier;
use crate::tasks::{self, UNKNOWN};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A request and the task type a person gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub request: String,
    pub task_type: String,
}

impl Example {
    pub fn new(request: impl Into<String>, task_type: impl Into<String>) -> Self {
        Self { request: request.into(), task_type: task_type.into() }
    }
}

/// What a classifier said about one example.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    pub actual: String,
    pub predicted: String,
    pub confidence: f64,
}

/// The classifier's answer for every example, in order.
pub fn predict(classifier: &dyn Classifier, examples: &[Example]) -> Vec<Prediction> {
    examples
        .iter()
        .map(|e| {
            let c = classifier.classify(&e.request);
            Prediction { actual: e.task_type.clone(), predicted: c.task_type, confidence: c.confidence }
        })
        .collect()
}

/// One task type's scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeScore {
    pub task_type: String,
    /// Examples of this type.
    pub support: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// A classifier's scores on a set of labelled requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub examples: usize,
    pub correct: usize,
    pub accuracy: f64,
    /// The mean F1 over every task type that occurs as an answer or a prediction.
    pub macro_f1: f64,
    /// Predictions below this confidence counted as `unknown`, as the governor does.
    pub min_confidence: f64,
    /// The task types, in the built-in order, then any others sorted.
    pub labels: Vec<String>,
    /// `confusion[actual][predicted]`, in `labels` order.
    pub confusion: Vec<Vec<usize>>,
    pub per_type: Vec<TypeScore>,
}

impl Evaluation {
    /// Scores predictions; one below `min_confidence` counts as `unknown`.
    pub fn of(predictions: &[Prediction], min_confidence: f64) -> Self {
        let effective: Vec<(&str, &str)> = predictions
            .iter()
            .map(|p| (p.actual.as_str(), if p.confidence < min_confidence { UNKNOWN } else { p.predicted.as_str() }))
            .collect();
        let labels = ordered_labels(effective.iter().flat_map(|(a, p)| [*a, *p]));
        let position: BTreeMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
        let mut confusion = vec![vec![0_usize; labels.len()]; labels.len()];
        for (actual, predicted) in &effective {
            if let (Some(a), Some(p)) = (position.get(actual), position.get(predicted))
                && let Some(cell) = confusion.get_mut(*a).and_then(|row| row.get_mut(*p))
            {
                *cell += 1;
            }
        }
        let cell = |a: usize, p: usize| confusion.get(a).and_then(|row| row.get(p)).copied().unwrap_or(0);
        let per_type: Vec<TypeScore> = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let hits = cell(i, i);
                let support: usize = (0..labels.len()).map(|p| cell(i, p)).sum();
                let predicted: usize = (0..labels.len()).map(|a| cell(a, i)).sum();
                let precision = ratio(hits, predicted);
                let recall = ratio(hits, support);
                let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
                TypeScore { task_type: label.clone(), support, precision, recall, f1 }
            })
            .collect();
        let correct = effective.iter().filter(|(a, p)| a == p).count();
        let macro_f1 = if per_type.is_empty() { 0.0 } else { per_type.iter().map(|t| t.f1).sum::<f64>() / per_type.len() as f64 };
        Self { examples: effective.len(), correct, accuracy: ratio(correct, effective.len()), macro_f1, min_confidence, labels, confusion, per_type }
    }

    /// The confusion matrix as a text table: rows are the given task types, columns the
    /// predicted ones (their first four letters), zeros shown as `.`.
    pub fn confusion_table(&self) -> String {
        let width = self.labels.iter().map(String::len).max().unwrap_or(0).max(6);
        let mut out = format!("{:<width$}", "actual");
        for label in &self.labels {
            let short: String = label.chars().take(4).collect();
            let _ = write!(out, " {short:>4}");
        }
        out.push('\n');
        for (label, row) in self.labels.iter().zip(&self.confusion) {
            let _ = write!(out, "{label:<width$}");
            for count in row {
                if *count == 0 {
                    out.push_str("    .");
                } else {
                    let _ = write!(out, " {count:>4}");
                }
            }
            out.push('\n');
        }
        out
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// The built-in task types that occur, in their order, then the other labels sorted.
fn ordered_labels<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<String> {
    let present: std::collections::BTreeSet<&str> = labels.collect();
    let builtin: Vec<&str> = tasks::ids().filter(|id| present.contains(id)).collect();
    let others = present.iter().filter(|l| !builtin.contains(l)).copied();
    builtin.iter().copied().chain(others).map(str::to_owned).collect()
}

/// Stratified `folds`-fold cross-validation of the linear model: each example is predicted by a
/// model trained on the other folds. Folds are drawn with `config.seed`; predictions come back
/// in the examples' order.
pub fn cross_validate(examples: &[Example], folds: usize, config: &TrainConfig) -> Vec<Prediction> {
    let folds = folds.max(2);
    let labels: Vec<&str> = examples.iter().map(|e| e.task_type.as_str()).collect();
    let fold_of = train::folds(&labels, folds, config.seed);
    let mut predictions: Vec<Option<Prediction>> = vec![None; examples.len()];
    for fold in 0..folds {
        let train: Vec<(&str, &str)> = examples
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != fold)
            .map(|(e, _)| (e.request.as_str(), e.task_type.as_str()))
            .collect();
        let model = LinearClassifier::train(&train, config);
        for ((e, f), slot) in examples.iter().zip(&fold_of).zip(predictions.iter_mut()) {
            if *f == fold {
                let c = model.classify(&e.request);
                *slot = Some(Prediction { actual: e.task_type.clone(), predicted: c.task_type, confidence: c.confidence });
            }
        }
    }
    predictions.into_iter().flatten().collect()
}

/// Accuracy and macro-F1 at one `min_confidence`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Threshold {
    pub min_confidence: f64,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// The share of predictions the threshold turned into `unknown`.
    pub demoted: f64,
}

/// How accuracy and macro-F1 move with `min_confidence`, 0 to 0.9 in steps of 0.05.
pub fn calibration(predictions: &[Prediction]) -> Vec<Threshold> {
    (0..=18)
        .map(|step| {
            let min_confidence = f64::from(step) * 0.05;
            let evaluation = Evaluation::of(predictions, min_confidence);
            let demoted = predictions.iter().filter(|p| p.confidence < min_confidence && p.predicted != UNKNOWN).count();
            Threshold { min_confidence, accuracy: evaluation.accuracy, macro_f1: evaluation.macro_f1, demoted: ratio(demoted, predictions.len()) }
        })
        .collect()
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
