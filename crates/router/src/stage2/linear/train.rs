//! Training the linear model: logistic regression by AdaGrad with L2, in an order shuffled by a
//! seeded generator (the same examples, configuration and seed give the same model bit for
//! bit); pruning to a weight budget; Platt scaling and both thresholds fitted on
//! cross-validated scores of the training examples.
//!
//! Cross-validation folds are grouped by an example's family (its template or scenario), so a
//! fold's scores come from a model that saw no phrasing of that family: the thresholds are then
//! set on scores about as hard as unseen data gives, not on near-copies of training lines.

use super::{Calibration, LinearModel, Thresholds, Training, UNIT, Weights, from_units, sigmoid, tidy, to_units};
use crate::stage2::features::{self, FeatureConfig, Features};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a model is trained, and which features it reads.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Seeds the visiting order and the folds.
    pub seed: u64,
    /// Passes over the examples.
    pub epochs: u32,
    /// AdaGrad's step size.
    pub learning_rate: f64,
    /// L2 penalty on the hashed weights a step touches.
    pub l2: f64,
    /// How hard each named feature's weight is pulled toward its designed prior
    /// ([`crate::stage2::features::named_prior`]); 0 starts named weights at 0 with `l2` like
    /// the rest.
    pub prior: f64,
    /// Only this many weights (the largest) are kept, and the model is trained again with them.
    pub max_weights: usize,
    /// Cross-validation folds for calibration and thresholds (at least 2).
    pub folds: usize,
    /// The block threshold is the lowest whose cross-validated false positive rate is at most
    /// this.
    pub block_fpr: f64,
    /// The same for the escalate threshold (calls blocked or escalated).
    pub escalate_fpr: f64,
    pub features: FeatureConfig,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            epochs: 30,
            learning_rate: 0.1,
            l2: 0.3,
            prior: 0.1,
            max_weights: 20_000,
            folds: 5,
            block_fpr: 0.005,
            escalate_fpr: 0.05,
            features: FeatureConfig::default(),
        }
    }
}

/// One training example: its features, its label, and the family its fold is chosen by.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub features: Features,
    pub malicious: bool,
    pub group: String,
}

/// A trained model, and the cross-validated risk of each training example (in the order given)
/// that its calibration and thresholds were chosen on.
#[derive(Clone, Debug)]
pub struct Trained {
    pub model: LinearModel,
    pub cross_validated: Vec<f64>,
}

/// Trains, calibrates and sets thresholds on `examples` alone.
pub fn train(examples: &[Example], config: &TrainConfig) -> Trained {
    let folds = config.folds.max(2);
    let fold_of = grouped_folds(examples, folds, config.seed);
    let mut raw = vec![0.0; examples.len()];
    for fold in 0..folds {
        let training: Vec<&Example> = examples.iter().zip(&fold_of).filter(|(_, f)| **f != fold).map(|(e, _)| e).collect();
        if training.is_empty() {
            continue;
        }
        let fitted = fit(&training, config);
        for ((example, _), slot) in examples.iter().zip(&fold_of).zip(raw.iter_mut()).filter(|((_, f), _)| **f == fold) {
            *slot = fitted.score(&example.features);
        }
    }
    let labels: Vec<bool> = examples.iter().map(|e| e.malicious).collect();
    let (a, b) = platt(&raw, &labels);
    let calibration = Calibration { method: "platt".to_owned(), a: tidy(a, 6), b: tidy(b, 6) };
    let cross_validated: Vec<f64> = raw.iter().map(|s| calibration.risk(*s)).collect();
    let upper = threshold_for(&cross_validated, &labels, config.block_fpr);
    let lower = threshold_for(&cross_validated, &labels, config.escalate_fpr).min(upper);
    let all: Vec<&Example> = examples.iter().collect();
    let fitted = fit(&all, config);
    let model = LinearModel {
        features: config.features,
        training: Training {
            seed: config.seed,
            epochs: config.epochs,
            learning_rate: config.learning_rate,
            l2: config.l2,
            prior: config.prior,
            max_weights: config.max_weights,
            folds,
            block_fpr: config.block_fpr,
            escalate_fpr: config.escalate_fpr,
            examples: examples.len(),
        },
        calibration,
        thresholds: Thresholds { lower, upper },
        bias: fitted.bias,
        weights: Weights::from_dense(config.features.buckets, &fitted.weights),
    };
    Trained { model, cross_validated }
}

/// Weights in whole units, ready to score.
pub(crate) struct Fitted {
    bias: i64,
    weights: Vec<f32>,
}

impl Fitted {
    fn score(&self, features: &Features) -> f64 {
        let mut total = self.bias as f64 * UNIT;
        for (index, value) in features {
            if let Some(w) = self.weights.get(*index as usize) {
                total += f64::from(*w) * f64::from(*value);
            }
        }
        total
    }
}

fn fit(examples: &[&Example], config: &TrainConfig) -> Fitted {
    let dimension = config.features.dimension();
    let named_from = config.features.buckets as usize;
    let (weights, bias) = adagrad(examples, config, dimension, None);
    let nonzero = weights.iter().take(named_from).filter(|w| **w != 0.0).count();
    let (weights, bias) = if nonzero > config.max_weights {
        // Keep the largest hashed weights (and every named one) and train again with only those
        // free, so the kept weights make up for the dropped ones.
        let mut order: Vec<usize> = (0..named_from).filter(|i| weights.get(*i).is_some_and(|w| *w != 0.0)).collect();
        order.sort_by(|a, b| {
            let wa = weights.get(*a).map_or(0.0, |w| w.abs());
            let wb = weights.get(*b).map_or(0.0, |w| w.abs());
            wb.total_cmp(&wa).then(a.cmp(b))
        });
        let mut free = vec![false; dimension];
        for i in order.into_iter().take(config.max_weights).chain(named_from..dimension) {
            if let Some(slot) = free.get_mut(i) {
                *slot = true;
            }
        }
        adagrad(examples, config, dimension, Some(&free))
    } else {
        (weights, bias)
    };
    Fitted { bias: to_units(bias), weights: weights.iter().map(|w| from_units(to_units(*w))).collect() }
}

/// AdaGrad on the log loss with L2 on the touched weights; `free` limits which weights move.
fn adagrad(examples: &[&Example], config: &TrainConfig, dimension: usize, free: Option<&[bool]>) -> (Vec<f64>, f64) {
    let named_from = config.features.buckets as usize;
    let priors: Vec<f64> = if config.prior > 0.0 { features::named_ids().iter().map(|id| features::named_prior(id)).collect() } else { Vec::new() };
    let mut weights = vec![0.0f64; dimension];
    for (slot, prior) in weights.iter_mut().skip(named_from).zip(&priors) {
        *slot = *prior;
    }
    let mut squares = vec![0.0f64; dimension];
    let (mut bias, mut bias_square) = (0.0f64, 0.0f64);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = SplitMix64::new(config.seed);
    const EPSILON: f64 = 1e-8;
    for _ in 0..config.epochs {
        rng.shuffle(&mut order);
        for &n in &order {
            let Some(example) = examples.get(n) else { continue };
            let mut z = bias;
            for (i, v) in &example.features {
                z += weights.get(*i as usize).copied().unwrap_or(0.0) * f64::from(*v);
            }
            let error = sigmoid(z) - if example.malicious { 1.0 } else { 0.0 };
            for (i, v) in &example.features {
                let i = *i as usize;
                if free.is_some_and(|f| !f.get(i).copied().unwrap_or(false)) {
                    continue;
                }
                if let (Some(w), Some(s)) = (weights.get_mut(i), squares.get_mut(i)) {
                    let penalty = match i.checked_sub(named_from).and_then(|n| priors.get(n)) {
                        Some(prior) => config.prior * (*w - prior),
                        None => config.l2 * *w,
                    };
                    let gradient = error * f64::from(*v) + penalty;
                    *s += gradient * gradient;
                    *w -= config.learning_rate * gradient / (s.sqrt() + EPSILON);
                }
            }
            bias_square += error * error;
            bias -= config.learning_rate * error / (bias_square.sqrt() + EPSILON);
        }
    }
    (weights, bias)
}

/// Platt scaling fitted by Newton's method on the log loss, with Platt's smoothed targets so a
/// separable training set does not drive the slope to infinity.
pub fn platt(scores: &[f64], labels: &[bool]) -> (f64, f64) {
    let positives = labels.iter().filter(|l| **l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return (1.0, 0.0);
    }
    let high = (positives + 1.0) / (positives + 2.0);
    let low = 1.0 / (negatives + 2.0);
    let targets: Vec<f64> = labels.iter().map(|l| if *l { high } else { low }).collect();
    let loss = |a: f64, b: f64| -> f64 {
        scores
            .iter()
            .zip(&targets)
            .map(|(s, t)| {
                let p = sigmoid(a * s + b).clamp(1e-12, 1.0 - 1e-12);
                -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
            })
            .sum()
    };
    let (mut a, mut b) = (1.0, 0.0);
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (s, t) in scores.iter().zip(&targets) {
            let p = sigmoid(a * s + b);
            let d = p - t;
            let w = p * (1.0 - p);
            ga += d * s;
            gb += d;
            haa += w * s * s;
            hab += w * s;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nb) = (a - step * da, b - step * db);
            let next = loss(na, nb);
            if next.is_finite() && next <= current {
                improved = next < current - 1e-12;
                (a, b, current) = (na, nb, next);
                break;
            }
            step /= 2.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

/// The lowest threshold at which at most `max_fpr` of the benign risks are at or above it: the
/// most malicious calls caught at that false positive rate. Rounded up to the stored precision.
pub fn threshold_for(risks: &[f64], labels: &[bool], max_fpr: f64) -> f64 {
    let mut benign: Vec<f64> = risks.iter().zip(labels).filter(|(_, l)| !**l).map(|(r, _)| *r).collect();
    if benign.is_empty() {
        return 0.5;
    }
    benign.sort_by(|a, b| b.total_cmp(a));
    let allowed = (max_fpr.max(0.0) * benign.len() as f64).floor() as usize;
    // The highest benign risk that must stay below the threshold; just above it is the answer.
    let Some(&must_pass) = benign.get(allowed) else { return 0.0 };
    let above = risks.iter().copied().filter(|r| *r > must_pass).fold(1.0f64, f64::min);
    let threshold = if above > must_pass { (must_pass + above) / 2.0 } else { must_pass + 1e-6 };
    tidy((threshold * 1e4).ceil() / 1e4, 4).clamp(0.0, 1.0)
}

/// Folds dealt by family: each family's examples land in one fold, the families shuffled by
/// `seed` and dealt, largest first, to the fold with the fewest examples.
pub fn grouped_folds(examples: &[Example], folds: usize, seed: u64) -> Vec<usize> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, example) in examples.iter().enumerate() {
        groups.entry(example.group.as_str()).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    let mut rng = SplitMix64::new(seed ^ 0x5eed_f01d);
    rng.shuffle(&mut groups);
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let mut sizes = vec![0usize; folds.max(1)];
    let mut fold_of = vec![0usize; examples.len()];
    for group in groups {
        let fold = sizes.iter().enumerate().min_by_key(|(f, s)| (**s, *f)).map_or(0, |(f, _)| f);
        if let Some(size) = sizes.get_mut(fold) {
            *size += group.len();
        }
        for i in group {
            if let Some(slot) = fold_of.get_mut(i) {
                *slot = fold;
            }
        }
    }
    fold_of
}

/// A small, fast, seeded generator (SplitMix64): enough to shuffle, and the same on every
/// platform.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}
