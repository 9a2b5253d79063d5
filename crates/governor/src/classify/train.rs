//! Training the linear model: AdaGrad with L2 over the examples' hashed features, pruning to a
//! weight budget, and temperature scaling fitted by cross-validation so that a probability
//! means what it says.

use super::linear::{TrainConfig, UNIT};
use super::text::Features;
use std::collections::{BTreeMap, HashMap};

/// A trained model's numbers, in whole units of [`UNIT`].
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Fitted {
    /// Per label.
    pub bias: Vec<i32>,
    /// Per bucket, the (label index, weight) pairs that are not zero, by label index.
    pub weights: HashMap<u32, Vec<(usize, i32)>>,
}

impl Fitted {
    /// Each label's score (before the softmax) for a feature vector.
    pub fn scores(&self, x: &Features) -> Vec<f64> {
        let mut scores: Vec<f64> = self.bias.iter().map(|b| f64::from(*b) * UNIT).collect();
        for (bucket, value) in x {
            for (label, weight) in self.weights.get(bucket).into_iter().flatten() {
                if let Some(score) = scores.get_mut(*label) {
                    *score += f64::from(*weight) * UNIT * f64::from(*value);
                }
            }
        }
        scores
    }

    pub fn weight_count(&self) -> usize {
        self.weights.values().map(Vec::len).sum()
    }
}

/// Trains on examples already turned into features and label indices.
pub(crate) fn fit(data: &[(Features, usize)], labels: usize, config: &TrainConfig) -> Fitted {
    let dense = Trainer::fit(data, labels, config, None);
    if dense.nonzero() <= config.max_weights {
        return dense.finish();
    }
    // Too many weights for a small file: keep the most telling ones and train again with only
    // those free, so the kept weights make up for the dropped ones.
    let keep = dense.strongest(config.max_weights, data);
    Trainer::fit(data, labels, config, Some(keep)).finish()
}

/// The softmax temperature that makes the model's probabilities honest: fitted on predictions
/// for examples the model did not see (`config.calibration_folds`-fold cross-validation of the
/// training examples), minimising their negative log-likelihood. 1 when there are too few
/// examples or no folds.
pub(crate) fn fit_temperature(data: &[(Features, usize)], labels: usize, config: &TrainConfig) -> f64 {
    let k = config.calibration_folds;
    if k < 2 || data.len() < 2 * k || labels < 2 {
        return 1.0;
    }
    let fold_of = folds(&data.iter().map(|(_, y)| *y).collect::<Vec<_>>(), k, config.seed);
    let mut held_out: Vec<(Vec<f64>, usize)> = Vec::with_capacity(data.len());
    for fold in 0..k {
        let train: Vec<(Features, usize)> =
            data.iter().zip(&fold_of).filter(|(_, f)| **f != fold).map(|(example, _)| example.clone()).collect();
        let fitted = fit(&train, labels, config);
        for ((x, y), _) in data.iter().zip(&fold_of).filter(|(_, f)| **f == fold) {
            held_out.push((fitted.scores(x), *y));
        }
    }
    // A fine grid over log T from 1/20 to 20: one dimension, no starting point to get wrong.
    let candidates = (0..=600).map(|step| (f64::from(step) / 100.0 - 3.0).exp());
    let mut best = (f64::INFINITY, 1.0);
    for temperature in candidates {
        let loss = negative_log_likelihood(&held_out, temperature);
        if loss < best.0 {
            best = (loss, temperature);
        }
    }
    best.1
}

fn negative_log_likelihood(predictions: &[(Vec<f64>, usize)], temperature: f64) -> f64 {
    predictions
        .iter()
        .map(|(scores, y)| {
            let scaled: Vec<f64> = scores.iter().map(|s| s / temperature).collect();
            let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = scaled.iter().map(|s| (s - max).exp()).sum();
            let mine = scaled.get(*y).copied().unwrap_or(max);
            max + total.ln() - mine
        })
        .sum()
}

/// Stratified folds: the examples of each key (label) are shuffled by `seed` and dealt to the
/// `k` folds in turn, so every fold holds about the same share of every label.
pub fn folds<K: Ord>(keys: &[K], k: usize, seed: u64) -> Vec<usize> {
    let k = k.max(1);
    let mut by_key: BTreeMap<&K, Vec<usize>> = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        by_key.entry(key).or_default().push(i);
    }
    let mut fold_of = vec![0; keys.len()];
    let mut rng = SplitMix64::new(seed ^ 0x5eed_f01d);
    let mut next = 0;
    for indices in by_key.values_mut() {
        rng.shuffle(indices);
        for &i in indices.iter() {
            if let Some(slot) = fold_of.get_mut(i) {
                *slot = next % k;
            }
            next += 1;
        }
    }
    fold_of
}

/// In place: scores to probabilities.
pub(crate) fn softmax(scores: &mut [f64]) {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for score in scores.iter_mut() {
        *score = (*score - max).exp();
        total += *score;
    }
    if total > 0.0 && total.is_finite() {
        scores.iter_mut().for_each(|s| *s /= total);
    }
}

/// Dense weights and AdaGrad's squared-gradient sums while training, bucket-major so a
/// feature's weights for every label sit together.
struct Trainer {
    labels: usize,
    learning_rate: f64,
    l2: f64,
    weights: Vec<f64>,
    squares: Vec<f64>,
    bias: Vec<f64>,
    bias_squares: Vec<f64>,
    /// When set, only these weights may move; the rest stay zero.
    free: Option<Vec<bool>>,
}

const EPSILON: f64 = 1e-8;

impl Trainer {
    /// `config.epochs` passes over `data`, in an order shuffled by `config.seed`.
    fn fit(data: &[(Features, usize)], labels: usize, config: &TrainConfig, free: Option<Vec<bool>>) -> Self {
        let size = labels * config.features.buckets.max(1) as usize;
        let mut trainer = Self {
            labels,
            learning_rate: config.learning_rate,
            l2: config.l2,
            weights: vec![0.0; size],
            squares: vec![0.0; size],
            bias: vec![0.0; labels],
            bias_squares: vec![0.0; labels],
            free,
        };
        let mut rng = SplitMix64::new(config.seed);
        let mut order: Vec<usize> = (0..data.len()).collect();
        for _ in 0..config.epochs {
            rng.shuffle(&mut order);
            for &i in &order {
                if let Some((x, y)) = data.get(i) {
                    trainer.step(x, *y);
                }
            }
        }
        trainer
    }

    fn step(&mut self, x: &[(u32, f32)], y: usize) {
        let mut p = self.bias.clone();
        for &(bucket, value) in x {
            let start = bucket as usize * self.labels;
            if let Some(row) = self.weights.get(start..start + self.labels) {
                p.iter_mut().zip(row).for_each(|(s, w)| *s += w * f64::from(value));
            }
        }
        softmax(&mut p);
        let rate = self.learning_rate;
        for (k, pk) in p.iter().enumerate() {
            let g = pk - if k == y { 1.0 } else { 0.0 };
            if let (Some(b), Some(s)) = (self.bias.get_mut(k), self.bias_squares.get_mut(k)) {
                *s += g * g;
                *b -= rate * g / (s.sqrt() + EPSILON);
            }
            for &(bucket, value) in x {
                let i = bucket as usize * self.labels + k;
                if self.free.as_ref().is_some_and(|free| !free.get(i).copied().unwrap_or(false)) {
                    continue;
                }
                if let (Some(w), Some(s)) = (self.weights.get_mut(i), self.squares.get_mut(i)) {
                    let grad = g * f64::from(value) + self.l2 * *w;
                    *s += grad * grad;
                    *w -= rate * grad / (s.sqrt() + EPSILON);
                }
            }
        }
    }

    /// How many weights are not zero once rounded.
    fn nonzero(&self) -> usize {
        self.weights.iter().filter(|w| units(**w) != 0).count()
    }

    /// The `keep` weights that tell labels apart most, as a mask.
    ///
    /// Adding the same number to one feature's weight for every label changes no probability,
    /// so each feature's weights are first measured from their median: a word seen with one task
    /// type then has one large weight instead of one large and fourteen middling ones. A weight
    /// counts by its size times how many examples carry its feature, so a large weight on a
    /// feature one example had weighs less than a middling one that many requests share (by
    /// 5-fold cross-validation on our prompts: 0.826 accuracy against 0.811 by size alone).
    fn strongest(&self, keep: usize, data: &[(Features, usize)]) -> Vec<bool> {
        let mut carried: HashMap<u32, f64> = HashMap::new();
        for (x, _) in data {
            for (bucket, _) in x {
                *carried.entry(*bucket).or_default() += 1.0;
            }
        }
        let mut strength: Vec<(usize, f64)> = Vec::new();
        let mut sorted = Vec::with_capacity(self.labels);
        for (bucket, row) in self.weights.chunks(self.labels.max(1)).enumerate() {
            sorted.clear();
            sorted.extend_from_slice(row);
            sorted.sort_by(f64::total_cmp);
            let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
            let examples = u32::try_from(bucket).ok().and_then(|b| carried.get(&b)).copied().unwrap_or(0.0);
            for (k, w) in row.iter().enumerate() {
                let centred = (w - median).abs();
                if units(centred) != 0 {
                    strength.push((bucket * self.labels + k, centred * examples));
                }
            }
        }
        // Strongest first; the index breaks ties so the cut is deterministic.
        strength.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        strength.truncate(keep);
        let mut free = vec![false; self.weights.len()];
        for (i, _) in strength {
            if let Some(slot) = free.get_mut(i) {
                *slot = true;
            }
        }
        free
    }

    /// The bias and the weights that are not zero, in units of [`UNIT`].
    fn finish(self) -> Fitted {
        let labels = self.labels.max(1);
        let mut weights: HashMap<u32, Vec<(usize, i32)>> = HashMap::new();
        for (i, w) in self.weights.iter().enumerate() {
            let w = units(*w);
            if w != 0 {
                weights.entry((i / labels) as u32).or_default().push((i % labels, w));
            }
        }
        Fitted { bias: self.bias.iter().map(|b| units(*b)).collect(), weights }
    }
}

/// A weight in whole units of [`UNIT`] (saturating; a non-finite weight is 0).
fn units(weight: f64) -> i32 {
    let units = (weight / UNIT).round();
    if units.is_finite() { units.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32 } else { 0 }
}

/// A small seeded generator (SplitMix64): deterministic everywhere, no dependency.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

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


#[cfg(test)]
#[path = "train_tests.rs"]
mod tests;
