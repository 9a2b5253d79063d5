//! The trainable classifier: multinomial logistic regression (softmax) over hashed word
//! unigrams, word bigrams and character 3-5-grams ([`super::text::features`]).
//!
//! Training ([`super::train`]) is AdaGrad with L2 regularisation over a few epochs, in an order
//! shuffled by a seeded generator, so the same examples, configuration and seed give the same
//! model bit for bit. When more than `max_weights` weights are not zero, the most telling are
//! kept and the model is trained again with only those, so the file stays small (about 270 KB
//! at the default 32,000). Weights are whole multiples of [`UNIT`], in memory as in the file, so
//! a saved and reloaded model answers identically. The confidence is the softmax probability at
//! a temperature fitted by cross-validation on the training examples, so that a confidence of
//! 0.35 means about a 35% chance of being right and `[governor] min_confidence` means what it
//! says.
//!
//! The model file is JSON, one label's weights a line:
//!
//! ```json
//! {"version": 1, "model": "linear", "labels": ["admin", "answer", ...],
//!  "features": {"buckets": 262144, "char_min": 3, "char_max": 5, "bigrams": true},
//!  "training": {"seed": 7, "epochs": 10, ..., "examples": 960},
//!  "temperature": 0.31,
//!  "bias": [12, -40, ...],
//!  "weights": {"admin": {"buckets": [17, 260, ...], "values": [1532, -87, ...]}, ...}}
//! ```
//!
//! `bias` and `values` are in units of 0.0001; `buckets` are gaps from the previous bucket (the
//! first counts from 0).

use super::text::{FeatureConfig, Features, features};
use super::train::{self, Fitted, softmax};
use super::{Classification, Classifier, Method};
use crate::GovernorError;
use crate::tasks::UNKNOWN;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// The only model file version this build reads and writes.
pub const VERSION: u32 = 1;

/// The `model` field of a linear model file.
const MODEL: &str = "linear";

/// The most hash buckets a model file may declare (64 M weights per label would not be small).
const MAX_BUCKETS: u32 = 1 << 24;

/// How a model is trained, and which features it reads.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Seeds the order examples are visited in.
    pub seed: u64,
    /// Passes over the examples.
    pub epochs: u32,
    /// AdaGrad's step size.
    pub learning_rate: f64,
    /// L2 penalty on the weights a step touches.
    pub l2: f64,
    /// After training, only this many weights (the most telling) are kept.
    pub max_weights: usize,
    /// Folds of the cross-validation that fits the temperature; below 2, none (temperature 1).
    pub calibration_folds: usize,
    pub features: FeatureConfig,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            epochs: 10,
            learning_rate: 0.1,
            l2: 3e-3,
            max_weights: 32_000,
            calibration_folds: 5,
            features: FeatureConfig::default(),
        }
    }
}

/// A linear model over word and character n-grams.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearClassifier {
    labels: Vec<String>,
    config: TrainConfig,
    examples: usize,
    /// Scores are divided by this before the softmax.
    temperature: f64,
    fitted: Fitted,
}

/// The file as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    version: u32,
    model: String,
    labels: Vec<String>,
    features: FeatureConfig,
    training: Training,
    temperature: f64,
    /// Per label, in units of [`UNIT`].
    bias: Vec<i64>,
    weights: BTreeMap<String, LabelWeights>,
}

/// One label's weights that are not zero: `buckets[i]` is the gap from the previous bucket
/// (the first counts from 0), `values[i]` the weight in units of [`UNIT`]. Gaps and whole
/// numbers keep the file about half the size of `[bucket, weight]` pairs.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelWeights {
    buckets: Vec<u32>,
    values: Vec<i64>,
}

/// Weights are stored and used in steps of this size: finer steps change no prediction.
pub const UNIT: f64 = 1e-4;

/// How the stored model was trained (the features are stored beside it).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Training {
    seed: u64,
    epochs: u32,
    learning_rate: f64,
    l2: f64,
    max_weights: usize,
    calibration_folds: usize,
    examples: usize,
}

impl LinearClassifier {
    /// Trains on `(request, task type)` pairs. Labels are the distinct task types given, sorted;
    /// no examples give a model that answers `unknown`.
    pub fn train<T: AsRef<str>, L: AsRef<str>>(examples: &[(T, L)], config: &TrainConfig) -> Self {
        let labels: Vec<String> = examples.iter().map(|(_, l)| l.as_ref().to_owned()).collect::<BTreeSet<_>>().into_iter().collect();
        let index: HashMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
        let data: Vec<(Features, usize)> = examples
            .iter()
            .filter_map(|(text, label)| Some((features(text.as_ref(), &config.features), *index.get(label.as_ref())?)))
            .collect();
        let fitted = train::fit(&data, labels.len(), config);
        let temperature = train::fit_temperature(&data, labels.len(), config);
        Self { labels, config: *config, examples: data.len(), temperature, fitted }
    }

    /// The task types this model can answer.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// How it was trained.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// How many weights are not zero.
    pub fn weight_count(&self) -> usize {
        self.fitted.weight_count()
    }

    /// The temperature fitted at training.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// The probability of each label for `request`, in label order; empty when the model has
    /// no labels.
    pub fn probabilities(&self, request: &str) -> Vec<f64> {
        let mut scores = self.fitted.scores(&features(request, &self.config.features));
        scores.iter_mut().for_each(|s| *s /= self.temperature);
        softmax(&mut scores);
        scores
    }

    /// Reads a model file written by [`LinearClassifier::save`]; anything else is an error naming
    /// the file.
    pub fn load(path: &Path) -> Result<Self, GovernorError> {
        let text = std::fs::read_to_string(path).map_err(|source| GovernorError::Read { path: path.display().to_string(), source })?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Parses a model file's text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, GovernorError> {
        let invalid = |message: String| GovernorError::Invalid { origin: origin.to_owned(), message };
        let file: ModelFile = serde_json::from_str(text).map_err(|e| {
            invalid(format!("not a task classifier model (`aethelgard learn classifier --out` writes them): {e}"))
        })?;
        if file.version != VERSION {
            return Err(invalid(format!("model version {} is not supported (this build reads version {VERSION}); retrain it with `aethelgard learn classifier`", file.version)));
        }
        if file.model != MODEL {
            return Err(invalid(format!("model `{}` is not supported (this build reads `{MODEL}`)", file.model)));
        }
        check(&file).map_err(invalid)?;
        let fitted = decode(&file).map_err(invalid)?;
        let t = &file.training;
        let config = TrainConfig {
            seed: t.seed,
            epochs: t.epochs,
            learning_rate: t.learning_rate,
            l2: t.l2,
            max_weights: t.max_weights,
            calibration_folds: t.calibration_folds,
            features: file.features,
        };
        Ok(Self { labels: file.labels, config, examples: t.examples, temperature: file.temperature, fitted })
    }

    /// The model file's text: one line per label's weights, so it diffs and pages readably.
    pub fn to_json(&self) -> String {
        let mut by_label: BTreeMap<&str, Vec<(u32, i32)>> = self.labels.iter().map(|l| (l.as_str(), Vec::new())).collect();
        for (bucket, row) in &self.fitted.weights {
            for (k, weight) in row {
                if let Some(entries) = self.labels.get(*k).and_then(|l| by_label.get_mut(l.as_str())) {
                    entries.push((*bucket, *weight));
                }
            }
        }
        let training = Training {
            seed: self.config.seed,
            epochs: self.config.epochs,
            learning_rate: self.config.learning_rate,
            l2: self.config.l2,
            max_weights: self.config.max_weights,
            calibration_folds: self.config.calibration_folds,
            examples: self.examples,
        };
        let mut out = String::from("{\n");
        out.push_str(&format!("\"version\": {VERSION},\n\"model\": \"{MODEL}\",\n"));
        out.push_str(&format!("\"labels\": {},\n", json(&self.labels)));
        out.push_str(&format!("\"features\": {},\n", json(&self.config.features)));
        out.push_str(&format!("\"training\": {},\n", json(&training)));
        out.push_str(&format!("\"temperature\": {},\n", json(&self.temperature)));
        out.push_str(&format!("\"bias\": {},\n", json(&self.fitted.bias)));
        out.push_str("\"weights\": {");
        for (i, (label, mut entries)) in by_label.into_iter().enumerate() {
            entries.sort_by_key(|(bucket, _)| *bucket);
            let mut stored = LabelWeights::default();
            let mut previous = 0;
            for (bucket, weight) in entries {
                stored.buckets.push(bucket - previous);
                stored.values.push(i64::from(weight));
                previous = bucket;
            }
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str(&format!("{}: {}", json(&label), json(&stored)));
        }
        out.push_str("\n}\n}\n");
        out
    }

    /// Writes the model file.
    pub fn save(&self, path: &Path) -> Result<(), GovernorError> {
        std::fs::write(path, self.to_json()).map_err(|source| GovernorError::Write { path: path.display().to_string(), source })
    }
}

/// One part of the model file, on a single line. Serialising plain data (strings, numbers,
/// vectors of them) cannot fail, and non-finite numbers never reach here: training and loading
/// keep every weight finite.
fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// What a file must satisfy beyond its shape.
fn check(file: &ModelFile) -> Result<(), String> {
    if file.labels.is_empty() {
        return Err("the model has no labels".to_owned());
    }
    let mut seen = BTreeSet::new();
    for label in &file.labels {
        if label.trim().is_empty() {
            return Err("a label is empty".to_owned());
        }
        if !seen.insert(label.as_str()) {
            return Err(format!("label `{label}` is listed twice"));
        }
    }
    if !(file.temperature.is_finite() && file.temperature > 0.0) {
        return Err(format!("`temperature = {}` is not a positive number", file.temperature));
    }
    if file.bias.len() != file.labels.len() {
        return Err(format!("`bias` has {} values for {} labels", file.bias.len(), file.labels.len()));
    }
    let features = &file.features;
    if features.buckets == 0 || features.buckets > MAX_BUCKETS {
        return Err(format!("`features.buckets = {}` is outside 1..={MAX_BUCKETS}", features.buckets));
    }
    if features.char_min > features.char_max || features.char_max > 12 {
        return Err(format!("character n-grams {}..={} are not a range within 0..=12", features.char_min, features.char_max));
    }
    if let Some(label) = file.weights.keys().find(|l| !seen.contains(l.as_str())) {
        return Err(format!("`weights` names label `{label}`, which is not in `labels`"));
    }
    Ok(())
}

/// The bias and the weights by bucket, checked: every bucket inside the model's range and
/// listed once per label, every weight a whole number of units that fits.
fn decode(file: &ModelFile) -> Result<Fitted, String> {
    let whole = |value: i64, place: &str| i32::try_from(value).map_err(|_| format!("{place} holds {value}, too large for a weight"));
    let bias = file.bias.iter().map(|b| whole(*b, "`bias`")).collect::<Result<Vec<i32>, String>>()?;
    let mut weights: HashMap<u32, Vec<(usize, i32)>> = HashMap::new();
    for (k, label) in file.labels.iter().enumerate() {
        let Some(stored) = file.weights.get(label) else { continue };
        if stored.buckets.len() != stored.values.len() {
            return Err(format!("`weights.{label}` has {} buckets but {} values", stored.buckets.len(), stored.values.len()));
        }
        let mut bucket: Option<u32> = None;
        for (gap, value) in stored.buckets.iter().zip(&stored.values) {
            let next = match bucket {
                None => Some(*gap),
                Some(_) if *gap == 0 => return Err(format!("`weights.{label}` lists a bucket twice (a gap of 0)")),
                Some(previous) => previous.checked_add(*gap),
            };
            let next = next.filter(|b| *b < file.features.buckets).ok_or_else(|| {
                format!("`weights.{label}` reaches past the model's {} buckets", file.features.buckets)
            })?;
            bucket = Some(next);
            let weight = whole(*value, &format!("`weights.{label}`"))?;
            if weight != 0 {
                weights.entry(next).or_default().push((k, weight));
            }
        }
    }
    for row in weights.values_mut() {
        row.sort_by_key(|(k, _)| *k);
    }
    Ok(Fitted { bias, weights })
}

impl Classifier for LinearClassifier {
    fn classify(&self, request: &str) -> Classification {
        let unknown = |confidence: f64| Classification { task_type: UNKNOWN.to_owned(), confidence, method: Method::Model };
        // A request without a single word carries nothing to classify.
        if super::text::words(request).is_empty() {
            return unknown(1.0);
        }
        let probabilities = self.probabilities(request);
        let mut best: Option<(usize, f64)> = None;
        for (k, p) in probabilities.iter().enumerate() {
            if best.is_none_or(|(_, top)| *p > top) {
                best = Some((k, *p));
            }
        }
        match best.and_then(|(k, p)| Some((self.labels.get(k)?, p))) {
            Some((label, p)) => Classification { task_type: label.clone(), confidence: p, method: Method::Model },
            None => unknown(0.0),
        }
    }
}


#[cfg(test)]
#[path = "linear_tests.rs"]
mod tests;
