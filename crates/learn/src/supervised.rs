//! The supervised baseline: the same [`ExposureModel`], the same features, trained to predict
//! each tool's `needed` flag by binary cross-entropy. It answers the question PPO must: does
//! learning from the reward beat simply learning what sessions needed?
//!
//! Where PPO sees one noisy reward per grant, this sees the label of every tool, so it usually
//! learns faster; what PPO can do that it cannot is trade accuracy against economy and safety
//! by the reward's weights. The value head is not trained here.

use crate::episode::Episode;
use crate::error::LearnError;
use crate::model::{ExposureModel, ModelConfig};
use crate::ppo::{gather_ranges, log_prob_tensor, optimiser};
use crate::reward::RewardTerms;
use candle_core::{Device, Tensor};
use candle_nn::Optimizer;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The supervised baseline's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupervisedConfig {
    /// Passes over the training set (default 60: chosen on the validation split, `aethelgard eval
    /// --validation`; 6 left a model trained on 3,000 sessions far from converged).
    pub epochs: usize,
    /// Episodes per gradient step (default 256).
    pub minibatch: usize,
    /// AdamW's learning rate (default 0.003).
    pub learning_rate: f64,
    /// AdamW's decoupled weight decay (default 0.0001).
    pub weight_decay: f64,
    /// Weight of a needed tool's term against an unneeded one's (default 1.0); above 1 trades
    /// economy for accuracy.
    pub positive_weight: f64,
    /// The model's shape.
    pub model: ModelConfig,
    /// Seed of the initial weights and the visiting order (default 0).
    pub seed: u64,
}

impl Default for SupervisedConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            minibatch: 256,
            learning_rate: 3e-3,
            weight_decay: 1e-4,
            positive_weight: 1.0,
            model: ModelConfig::default(),
            seed: 0,
        }
    }
}

impl SupervisedConfig {
    pub fn validate(&self) -> Result<(), LearnError> {
        let invalid = |message: String| LearnError::invalid("supervised config", message);
        if self.epochs == 0 || self.minibatch == 0 {
            return Err(invalid(format!(
                "`epochs = {}` and `minibatch = {}` must both be at least 1",
                self.epochs, self.minibatch
            )));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(invalid(format!(
                "`learning_rate = {}` must be a positive number",
                self.learning_rate
            )));
        }
        if !(self.positive_weight > 0.0 && self.positive_weight.is_finite()) {
            return Err(invalid(format!(
                "`positive_weight = {}` must be a positive number",
                self.positive_weight
            )));
        }
        self.model.validate()
    }
}

/// One point of the supervised training curve: one pass over the training set. The terms are
/// those of the deterministic grant (probability ≥ threshold) on each minibatch just before
/// its step, averaged over the pass.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1 for the first pass.
    pub epoch: usize,
    /// Mean binary cross-entropy per (episode, tool) pair.
    pub loss: f64,
    pub accuracy: f64,
    /// SER against the needs.
    pub economy: f64,
    pub safety: f64,
    /// Mean share of the available tools granted.
    pub granted: f64,
    /// Seconds since training began.
    pub elapsed_secs: f64,
}

/// Trains the exposure model by binary cross-entropy on each episode's `needed` flags.
/// `progress` is called after every pass with that pass's point of the curve.
pub fn train_supervised(
    episodes: &[Episode],
    config: &SupervisedConfig,
    progress: &mut dyn FnMut(&EpochStats),
) -> Result<(ExposureModel, Vec<EpochStats>), LearnError> {
    config.validate()?;
    if episodes.is_empty() {
        return Err(LearnError::Empty(
            "supervised training was given no episodes; train on sessions whose needs are known"
                .to_owned(),
        ));
    }
    let started = Instant::now();
    let model = ExposureModel::new(&config.model, "supervised", config.seed)?;
    let data = model.encode(episodes);
    let mut optimiser = optimiser(&model, config.learning_rate, config.weight_decay)?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x9e37_79b9_7f4a_7c15);
    // Labels per pair, in the order of the whole training set.
    let mut offsets = vec![0usize];
    let mut labels: Vec<f32> = Vec::new();
    for (row, episode) in episodes.iter().enumerate() {
        let count = data.tool_count(row);
        labels.extend((0..count).map(|i| {
            if episode.needed.get(i).copied().unwrap_or(false) {
                1.0
            } else {
                0.0
            }
        }));
        offsets.push(labels.len());
    }
    let mut order: Vec<usize> = (0..episodes.len()).collect();
    let mut curve = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        let mut stats = EpochStats {
            epoch,
            ..EpochStats::default()
        };
        let (mut steps, mut seen) = (0usize, 0usize);
        for rows in order.chunks(config.minibatch) {
            let forward = model.forward(&data, rows)?;
            let Some(logits) = &forward.logits else {
                continue;
            };
            let pairs = logits.dim(0)?;
            let batch_labels = gather_ranges(&labels, &offsets, rows);
            let weights: Vec<f32> = batch_labels
                .iter()
                .map(|y| {
                    if *y > 0.5 {
                        config.positive_weight as f32
                    } else {
                        1.0
                    }
                })
                .collect();
            let targets = Tensor::from_vec(batch_labels, pairs, &Device::Cpu)?;
            let weights = Tensor::from_vec(weights, pairs, &Device::Cpu)?;
            let loss = log_prob_tensor(logits, &targets)?
                .mul(&weights)?
                .mean_all()?
                .neg()?;
            stats.loss += f64::from(loss.to_scalar::<f32>()?);
            let logits: Vec<f32> = logits.to_vec1()?;
            for (position, &row) in rows.iter().enumerate() {
                let (Some(&start), Some(&end), Some(episode)) = (
                    forward.offsets.get(position),
                    forward.offsets.get(position + 1),
                    episodes.get(row),
                ) else {
                    continue;
                };
                let grant: Vec<bool> = logits
                    .get(start..end)
                    .unwrap_or(&[])
                    .iter()
                    .map(|logit| 1.0 / (1.0 + (-f64::from(*logit)).exp()) >= model.threshold())
                    .collect();
                let terms = RewardTerms::of(episode, &grant);
                stats.accuracy += terms.accuracy;
                stats.economy += terms.economy;
                stats.safety += terms.safety;
                stats.granted +=
                    grant.iter().filter(|g| **g).count() as f64 / grant.len().max(1) as f64;
                seen += 1;
            }
            optimiser.backward_step(&loss)?;
            steps += 1;
        }
        stats.loss /= steps.max(1) as f64;
        let seen = seen.max(1) as f64;
        stats.accuracy /= seen;
        stats.economy /= seen;
        stats.safety /= seen;
        stats.granted /= seen;
        stats.elapsed_secs = started.elapsed().as_secs_f64();
        progress(&stats);
        curve.push(stats);
    }
    Ok((model, curve))
}

#[cfg(test)]
#[path = "supervised_tests.rs"]
mod tests;
