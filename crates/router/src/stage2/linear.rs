//! The built-in stage 2 model: logistic regression over [`super::features`], with calibrated
//! probabilities and two thresholds.
//!
//! A call's risk is `sigmoid(a * (bias + w·x) + b)`: `w·x` the linear score over the call's
//! features, `a` and `b` fitted (Platt scaling) on cross-validated scores of the training
//! examples, so that a risk of 0.9 means about nine in ten such calls were malicious. At or
//! above the model's `upper` threshold the call is blocked, from `lower` it is escalated to a
//! human, below it is allowed. Both thresholds are chosen on the training data
//! ([`train`]), never on held-out data.
//!
//! Every verdict names the features that pushed hardest toward it, with the entity or n-gram
//! that set them: `recipient evil@x.example appears only in tool output (+2.1); sink: send (+0.8)`.
//!
//! The model file is compact JSON:
//!
//! ```json
//! {"version": 1, "model": "stage2-linear",
//!  "features": {"buckets": 262144, "char_min": 0, "char_max": 0, ...},
//!  "training": {"seed": 7, "epochs": 30, ..., "examples": 2400},
//!  "calibration": {"method": "platt", "a": 1.117378, "b": 0.085342},
//!  "thresholds": {"lower": 0.7401, "upper": 0.9781},
//!  "bias": -6808,
//!  "named": {"sink+recipient.untrusted_only": 22112, ...},
//!  "hashed": {"buckets": [17, 260, ...], "values": [1532, -87, ...]}}
//! ```
//!
//! Weights and the bias are whole numbers of [`UNIT`]; only weights that are not zero are
//! stored; `hashed.buckets` are gaps from the previous bucket (the first counts from 0). Weights
//! are whole units in memory too, so a saved and reloaded model scores identically, and in memory
//! only the non-zero hashed weights are kept ([`Weights`]).

pub mod eval;
pub mod train;

use super::features::{self, FeatureConfig, Features, Subject};
use super::{Classifier, ClassifierError, Stage2Verdict};
use aethelgard_policy::Catalog;
use aethelgard_protocol::{DecisionKind, RiskTag, ToolCall};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use thiserror::Error;
pub use train::TrainConfig;

/// The only model file version this build reads and writes.
pub const VERSION: u32 = 1;
/// The `model` field of a file this module reads.
const MODEL: &str = "stage2-linear";
/// Weights are stored and used in steps of this size.
pub const UNIT: f64 = 1e-4;
/// The most hash buckets a model file may declare.
const MAX_BUCKETS: u32 = 1 << 24;
/// How many features a reason names.
const REASON_FEATURES: usize = 3;

/// The model shipped with Aethelgard, trained on `data/corpus/calls.jsonl` and the round 1
/// held-out file (seen since round 2), never on `calls_heldout_v2.jsonl`.
const BUILTIN: &str = include_str!("../../../../data/router/stage2-linear.json");

/// Why a model could not be read or written.
#[derive(Debug, Error)]
pub enum ModelError {
    #[error("cannot read stage 2 model `{path}`: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write stage 2 model `{path}`: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("`{origin}` is not a valid stage 2 model: {message}")]
    Invalid { origin: String, message: String },
}

/// Scores at or above `upper` block; from `lower` they escalate; below, allow.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub lower: f64,
    pub upper: f64,
}

impl Thresholds {
    pub fn decide(&self, risk: f64) -> DecisionKind {
        if risk >= self.upper {
            DecisionKind::Block
        } else if risk >= self.lower {
            DecisionKind::Escalate
        } else {
            DecisionKind::Allow
        }
    }
}

/// Platt scaling: risk = sigmoid(a * score + b).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    pub method: String,
    pub a: f64,
    pub b: f64,
}

impl Calibration {
    pub fn identity() -> Self {
        Self { method: "platt".to_owned(), a: 1.0, b: 0.0 }
    }

    pub fn risk(&self, score: f64) -> f64 {
        sigmoid(self.a * score + self.b)
    }
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// How the stored model was trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Training {
    pub seed: u64,
    pub epochs: u32,
    pub learning_rate: f64,
    pub l2: f64,
    #[serde(default)]
    pub prior: f64,
    pub max_weights: usize,
    pub folds: usize,
    pub block_fpr: f64,
    pub escalate_fpr: f64,
    pub examples: usize,
}

/// A trained linear model: weights in whole [`UNIT`]s, calibration and thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    pub features: FeatureConfig,
    pub training: Training,
    pub calibration: Calibration,
    pub thresholds: Thresholds,
    /// In units of [`UNIT`].
    pub(crate) bias: i64,
    /// Each a whole number of units.
    pub(crate) weights: Weights,
}

/// A model's weights, stored by what is not zero: a named-only model holds a few hundred bytes,
/// not a slot for every hash bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    buckets: u32,
    /// Non-zero hashed weights, sorted by bucket.
    hashed: Vec<(u32, f32)>,
    /// One per named feature.
    named: Vec<f32>,
}

impl Weights {
    /// From one weight per feature ([`FeatureConfig::dimension`]).
    pub(crate) fn from_dense(buckets: u32, dense: &[f32]) -> Self {
        let split = (buckets as usize).min(dense.len());
        let (hashed, named) = dense.split_at(split);
        let hashed = hashed.iter().enumerate().filter(|(_, w)| **w != 0.0).filter_map(|(i, w)| Some((u32::try_from(i).ok()?, *w))).collect();
        let mut named = named.to_vec();
        named.resize(features::named_count(), 0.0);
        Self { buckets, hashed, named }
    }

    /// The weight of feature `index`.
    pub fn get(&self, index: u32) -> f32 {
        match index.checked_sub(self.buckets) {
            Some(named) => self.named.get(named as usize).copied().unwrap_or(0.0),
            None => self.hashed.binary_search_by_key(&index, |(i, _)| *i).ok().and_then(|at| self.hashed.get(at)).map_or(0.0, |(_, w)| *w),
        }
    }

    /// The weights that are not zero, by feature index.
    pub fn nonzero(&self) -> impl Iterator<Item = (usize, f32)> + '_ {
        let named = self.named.iter().enumerate().filter(|(_, w)| **w != 0.0).map(|(i, w)| (self.buckets as usize + i, *w));
        self.hashed.iter().map(|(i, w)| (*i as usize, *w)).chain(named)
    }
}

impl LinearModel {
    /// The linear score (log-odds before calibration).
    pub fn score(&self, features: &Features) -> f64 {
        let mut total = self.bias as f64 * UNIT;
        for (index, value) in features {
            total += f64::from(self.weights.get(*index)) * f64::from(*value);
        }
        total
    }

    /// The calibrated risk of a call, 0..=1.
    pub fn risk(&self, subject: &Subject<'_>) -> f64 {
        self.calibration.risk(self.score(&features::extract(subject, &self.features)))
    }

    /// How many weights are not zero.
    pub fn weight_count(&self) -> usize {
        self.weights.nonzero().count()
    }

    /// Bytes the weights take in memory.
    pub fn weight_bytes(&self) -> usize {
        self.weights.hashed.len() * std::mem::size_of::<(u32, f32)>() + self.weights.named.len() * std::mem::size_of::<f32>()
    }

    /// The file's text.
    pub fn to_json(&self) -> String {
        let buckets = self.features.buckets as usize;
        let ids = features::named_ids();
        let mut named = BTreeMap::new();
        let mut gaps = Vec::new();
        let mut values = Vec::new();
        let mut previous = 0usize;
        for (index, weight) in self.weights.nonzero() {
            let units = to_units(f64::from(weight));
            if units == 0 {
                continue;
            }
            if index < buckets {
                gaps.push(u32::try_from(index - previous).unwrap_or(u32::MAX));
                values.push(units);
                previous = index;
            } else if let Some(id) = ids.get(index - buckets) {
                named.insert(id.clone(), units);
            }
        }
        let file = ModelFile {
            version: VERSION,
            model: MODEL.to_owned(),
            features: self.features,
            training: self.training.clone(),
            calibration: self.calibration.clone(),
            thresholds: self.thresholds,
            bias: self.bias,
            named,
            hashed: Hashed { buckets: gaps, values },
        };
        let mut text = serde_json::to_string(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a model file's text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, ModelError> {
        let invalid = |message: String| ModelError::Invalid { origin: origin.to_owned(), message };
        let file: ModelFile = serde_json::from_str(text)
            .map_err(|e| invalid(format!("{e} (`aethelgard train router --out FILE` writes stage 2 models)")))?;
        if file.version != VERSION {
            return Err(invalid(format!("version {} is not supported (this build reads version {VERSION}); retrain with `aethelgard train router`", file.version)));
        }
        if file.model != MODEL {
            return Err(invalid(format!("model `{}` is not `{MODEL}`", file.model)));
        }
        let config = file.features;
        if config.buckets == 0 || config.buckets > MAX_BUCKETS {
            return Err(invalid(format!("`features.buckets` = {} must be between 1 and {MAX_BUCKETS}", config.buckets)));
        }
        if config.char_max > 16 {
            return Err(invalid(format!("`features.char_max` = {} is above 16", config.char_max)));
        }
        let t = file.thresholds;
        if !(0.0..=1.0).contains(&t.lower) || !(0.0..=1.0).contains(&t.upper) || t.lower > t.upper {
            return Err(invalid(format!("thresholds lower = {} and upper = {} must lie in 0..1 with lower <= upper", t.lower, t.upper)));
        }
        if file.calibration.method != "platt" || !file.calibration.a.is_finite() || !file.calibration.b.is_finite() {
            return Err(invalid("calibration must be `platt` with finite `a` and `b`".to_owned()));
        }
        if file.hashed.buckets.len() != file.hashed.values.len() {
            return Err(invalid(format!("`hashed` has {} buckets but {} values", file.hashed.buckets.len(), file.hashed.values.len())));
        }
        let buckets = config.buckets;
        let mut hashed = Vec::with_capacity(file.hashed.values.len());
        let mut index = 0u32;
        for (n, (gap, value)) in file.hashed.buckets.iter().zip(&file.hashed.values).enumerate() {
            index = index.saturating_add(*gap);
            if index >= buckets || (n > 0 && *gap == 0) {
                return Err(invalid(format!("hashed weight {n} lands on bucket {index}, outside 0..{buckets} or twice")));
            }
            if *value != 0 {
                hashed.push((index, from_units(*value)));
            }
        }
        let positions: HashMap<String, usize> = features::named_ids().into_iter().enumerate().map(|(i, id)| (id, i)).collect();
        let mut named = vec![0.0f32; features::named_count()];
        for (id, value) in &file.named {
            let position = positions.get(id).ok_or_else(|| invalid(format!("unknown named feature `{id}` (a model from another version of the features?)")))?;
            if let Some(slot) = named.get_mut(*position) {
                *slot = from_units(*value);
            }
        }
        let calibration = Calibration { a: tidy(file.calibration.a, 6), b: tidy(file.calibration.b, 6), ..file.calibration };
        let thresholds = Thresholds { lower: tidy(t.lower, 4), upper: tidy(t.upper, 4) };
        let weights = Weights { buckets, hashed, named };
        Ok(Self { features: config, training: file.training, calibration, thresholds, bias: file.bias, weights })
    }
}

/// `value` to `digits` decimals. Calibration and thresholds are stored this way and tidied
/// again on load, so a value that parses a bit off its written decimal still compares equal.
pub(crate) fn tidy(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

fn to_units(weight: f64) -> i64 {
    (weight / UNIT).round() as i64
}

fn from_units(units: i64) -> f32 {
    (units as f64 * UNIT) as f32
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    version: u32,
    model: String,
    features: FeatureConfig,
    training: Training,
    calibration: Calibration,
    thresholds: Thresholds,
    bias: i64,
    named: BTreeMap<String, i64>,
    hashed: Hashed,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hashed {
    buckets: Vec<u32>,
    values: Vec<i64>,
}

/// What the catalog says of one tool.
#[derive(Clone, Debug, Default, PartialEq)]
struct ToolFacts {
    description: String,
    risk: Vec<RiskTag>,
}

/// The built-in stage 2 classifier: a [`LinearModel`] and the catalog that describes the tools
/// it judges.
#[derive(Clone, Debug)]
pub struct LinearClassifier {
    model: LinearModel,
    thresholds: Thresholds,
    tools: HashMap<String, ToolFacts>,
}

impl LinearClassifier {
    pub fn new(model: LinearModel) -> Self {
        Self { thresholds: model.thresholds, model, tools: HashMap::new() }
    }

    /// The model shipped with Aethelgard (`data/router/stage2-linear.json`).
    pub fn builtin() -> Result<Self, ModelError> {
        Ok(Self::new(LinearModel::from_json(BUILTIN, "built-in stage 2 model")?))
    }

    /// A model file written by `aethelgard train router`.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read { path: path.display().to_string(), source })?;
        Ok(Self::new(LinearModel::from_json(&text, &path.display().to_string())?))
    }

    /// Writes the model (with its own thresholds) to `path`.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        std::fs::write(path, self.model.to_json()).map_err(|source| ModelError::Write { path: path.display().to_string(), source })
    }

    /// Tool descriptions and risk tags for the calls it judges; a tool the catalog does not
    /// know is judged by the words of its name and its arguments.
    #[must_use]
    pub fn with_catalog(mut self, catalog: &Catalog) -> Self {
        self.tools = catalog
            .tools()
            .iter()
            .map(|t| (t.name.clone(), ToolFacts { description: t.description.clone(), risk: t.risk.clone() }))
            .collect();
        self
    }

    /// Overrides the model's thresholds (the policy's `[stage2] lower` / `upper`); a value left
    /// out keeps the model's. `lower` above `upper` is lowered to `upper`.
    #[must_use]
    pub fn with_thresholds(mut self, lower: Option<f64>, upper: Option<f64>) -> Self {
        let upper = upper.unwrap_or(self.thresholds.upper).clamp(0.0, 1.0);
        let lower = lower.unwrap_or(self.thresholds.lower).clamp(0.0, 1.0).min(upper);
        self.thresholds = Thresholds { lower, upper };
        self
    }

    pub fn model(&self) -> &LinearModel {
        &self.model
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// Judges a call with the tool's description and risk tags given directly.
    pub fn judge(&self, subject: &Subject<'_>) -> Stage2Verdict {
        let features = features::extract(subject, &self.model.features);
        let risk = self.model.calibration.risk(self.model.score(&features));
        let decision = self.thresholds.decide(risk);
        let reason = self.reason(subject, &features, risk, decision);
        Stage2Verdict { decision, score: risk, reason }
    }

    /// The verdict's words: the risk, and the features that pushed hardest toward the decision.
    fn reason(&self, subject: &Subject<'_>, features: &Features, risk: f64, decision: DecisionKind) -> String {
        let toward_risk = decision != DecisionKind::Allow;
        let mut pushes: Vec<(u32, f64)> = features
            .iter()
            .map(|(i, v)| (*i, f64::from(self.model.weights.get(*i)) * f64::from(*v)))
            .filter(|(_, c)| if toward_risk { *c > 0.0 } else { *c < 0.0 })
            .collect();
        pushes.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        pushes.truncate(REASON_FEATURES);
        let wanted: BTreeSet<u32> = pushes.iter().map(|(i, _)| *i).collect();
        let names = features::explain(subject, &self.model.features, &wanted);
        let drivers: Vec<String> = pushes
            .iter()
            .map(|(i, c)| format!("{} ({c:+.1})", names.get(i).map_or_else(|| format!("feature #{i}"), String::clone)))
            .collect();
        let verdict = match decision {
            DecisionKind::Block => format!("risk {risk:.2} >= {:.2}", self.thresholds.upper),
            DecisionKind::Escalate => format!("risk {risk:.2} in {:.2}..{:.2}", self.thresholds.lower, self.thresholds.upper),
            DecisionKind::Allow => format!("risk {risk:.2} < {:.2}", self.thresholds.lower),
        };
        if drivers.is_empty() { format!("stage 2 linear model: {verdict}") } else { format!("stage 2 linear model: {verdict}: {}", drivers.join("; ")) }
    }
}

impl Classifier for LinearClassifier {
    fn name(&self) -> &str {
        "linear"
    }

    fn classify(&self, call: &ToolCall) -> Result<Stage2Verdict, ClassifierError> {
        let facts = self.tools.get(&call.tool);
        let subject = Subject {
            call,
            description: facts.map_or("", |f| f.description.as_str()),
            risk: facts.map_or(&[], |f| f.risk.as_slice()),
        };
        Ok(self.judge(&subject))
    }
}

#[cfg(test)]
#[path = "linear_tests.rs"]
mod tests;
