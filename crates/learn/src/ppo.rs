//! PPO, as the paper describes it, for tool exposure.
//!
//! An episode is one step long, a contextual bandit: the state is the task and the tools
//! available, the action is a grant, a yes or no for every tool, drawn from a factorised
//! Bernoulli whose probabilities the [`ExposureModel`] gives, and the reward
//! ([`crate::reward`]) weighs accuracy, economy and safety of that grant. With one step there
//! is nothing to discount or bootstrap: the return is the reward, and the advantage is the
//! reward minus the value head's estimate for the task, normalised over the update's batch
//! (mean 0, spread 1) so that the step size does not depend on the reward weights.
//!
//! Each update samples `episodes_per_update` episodes, draws a grant for each from the current
//! policy, and then runs `epochs` passes of minibatch AdamW steps on the clipped surrogate.
//!
//! **Ratios per tool.** The policy's probability of a grant is the product of one Bernoulli
//! per tool, so its ratio is a product of per-tool ratios; over 30 tools that product leaves
//! the clip range after the first step almost always and PPO degenerates to doing nothing.
//! We clip each tool's ratio separately, every tool decision sharing its episode's advantage,
//! and average the surrogate over all (episode, tool) pairs. At ratio 1 its gradient is the
//! policy gradient of the joint grant divided by the mean number of tools, so this is PPO on
//! the joint action with a per-decision trust region (the usual treatment of factorised
//! action spaces).
//!
//! The loss minimised is `−surrogate + value_coef · (value − reward)² − entropy_coef ·
//! entropy`, with the entropy of each tool's Bernoulli averaged over pairs.
//!
//! Everything is reproducible from `seed`: the model's initial weights, the order episodes are
//! visited in, and the grants sampled.

use crate::episode::Episode;
use crate::error::LearnError;
use crate::model::{EncodedEpisodes, ExposureModel, ModelConfig};
use crate::reward::{RewardTerms, RewardWeights};
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// PPO's settings. The defaults train on 10,000 logged sessions in a few seconds on two cores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PpoConfig {
    /// Number of updates: sample a batch, then optimise on it (default 30).
    pub updates: usize,
    /// Episodes sampled per update, visiting the training set in a shuffled cycle (default
    /// 1024).
    pub episodes_per_update: usize,
    /// Passes over each update's batch (default 4).
    pub epochs: usize,
    /// Episodes per gradient step (default 256).
    pub minibatch: usize,
    /// The clip range ε of the ratio (default 0.2).
    pub clip: f64,
    /// AdamW's learning rate (default 0.003).
    pub learning_rate: f64,
    /// AdamW's decoupled weight decay (default 0.0001).
    pub weight_decay: f64,
    /// Weight of the entropy bonus (default 0.01): keeps the policy exploring early.
    pub entropy_coef: f64,
    /// Weight of the value loss (default 0.5).
    pub value_coef: f64,
    /// The reward's weights (default: accuracy 1, economy 0.5, safety 0.5).
    pub reward: RewardWeights,
    /// How each decision's advantage is estimated (default: `episode`, as the paper).
    pub advantage: Advantage,
    /// The model's shape.
    pub model: ModelConfig,
    /// Seed of the initial weights, the visiting order and the sampled grants (default 0).
    pub seed: u64,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            updates: 30,
            episodes_per_update: 1024,
            epochs: 4,
            minibatch: 256,
            clip: 0.2,
            learning_rate: 3e-3,
            weight_decay: 1e-4,
            entropy_coef: 0.01,
            value_coef: 0.5,
            reward: RewardWeights::default(),
            advantage: Advantage::Episode,
            model: ModelConfig::default(),
            seed: 0,
        }
    }
}

impl PpoConfig {
    pub fn validate(&self) -> Result<(), LearnError> {
        let invalid = |message: String| LearnError::invalid("ppo config", message);
        if self.updates == 0
            || self.episodes_per_update == 0
            || self.epochs == 0
            || self.minibatch == 0
        {
            return Err(invalid(format!(
                "`updates = {}`, `episodes_per_update = {}`, `epochs = {}` and `minibatch = {}` must all be at least 1",
                self.updates, self.episodes_per_update, self.epochs, self.minibatch
            )));
        }
        if !(self.clip > 0.0 && self.clip < 1.0) {
            return Err(invalid(format!(
                "`clip = {}` must lie strictly between 0 and 1",
                self.clip
            )));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(invalid(format!(
                "`learning_rate = {}` must be a positive number",
                self.learning_rate
            )));
        }
        self.model.validate()
    }
}

/// How the advantage of a tool decision is estimated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Advantage {
    /// The paper's: the episode's reward minus the value head's estimate, shared by every
    /// tool decision of the episode, normalised over the batch. Unbiased, but with 30 tools
    /// the signal of one decision drowns in the other 29.
    #[default]
    Episode,
    /// Per decision, the reward minus its expectation over that decision alone (the others
    /// held as sampled): `r(g) − [p·r(g, tool granted) + (1 − p)·r(g, tool withheld)]`. The
    /// reward is a known function of the grant, so the counterfactual is exact; the baseline
    /// does not depend on the decision, so the gradient stays unbiased, and each decision is
    /// credited with its own effect. Scaled over the batch's decisions to a root mean square of 1
    /// (not centred: each is already zero in expectation).
    PerTool,
}

/// One point of the training curve: what an update saw and did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateStats {
    /// 1 for the first update.
    pub update: usize,
    /// Episodes sampled so far, this update's included.
    pub episodes: usize,
    /// Mean reward of the sampled grants.
    pub mean_reward: f64,
    /// Mean accuracy (share of needed tools granted) of the sampled grants.
    pub accuracy: f64,
    /// Mean economy (SER against the needs: share of granted tools needed) of the sampled
    /// grants.
    pub economy: f64,
    /// Mean safety (share of unneeded dangerous tools withheld) of the sampled grants.
    pub safety: f64,
    /// The same three for the deterministic grant (probability ≥ threshold), what the
    /// policy would ship.
    pub greedy_accuracy: f64,
    pub greedy_economy: f64,
    pub greedy_safety: f64,
    /// Mean share of the available tools that the deterministic grant exposes.
    pub greedy_granted: f64,
    /// Mean entropy (nats) of a tool's Bernoulli before the update.
    pub entropy: f64,
    /// Share of (episode, tool) ratios outside the clip range, over the update's steps.
    pub clip_fraction: f64,
    /// Mean squared error of the value head, over the update's steps.
    pub value_loss: f64,
    /// Mean clipped surrogate loss (negated surrogate), over the update's steps.
    pub policy_loss: f64,
    /// Seconds since training began.
    pub elapsed_secs: f64,
}

// ---- The pieces of PPO, as pure functions over numbers (tested against hand-computed
// ---- values), and their tensor twins used in training (tested against the pure ones).

/// `ln(1 + eˣ)`, computed without overflow.
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Log-probability of a tool's decision under a Bernoulli with logit `logit`:
/// `ln σ(logit)` when granted, `ln(1 − σ(logit))` when withheld. Both equal
/// `granted · logit − softplus(logit)`, which is how it is computed (no log of a rounded 0).
pub fn bernoulli_log_prob(logit: f64, granted: bool) -> f64 {
    if granted {
        logit - softplus(logit)
    } else {
        -softplus(logit)
    }
}

/// Entropy (nats) of a Bernoulli with logit `logit`: `−p ln p − (1 − p) ln(1 − p)`, computed as
/// `softplus(logit) − p · logit`.
pub fn bernoulli_entropy(logit: f64) -> f64 {
    let p = 1.0 / (1.0 + (-logit).exp());
    softplus(logit) - p * logit
}

/// The advantages of a batch: `reward − value`, then shifted and scaled to mean 0 and spread
/// 1 over the batch. A batch whose advantages are all equal (or of one episode) has nothing to
/// prefer: all zeros.
pub fn normalised_advantages(rewards: &[f64], values: &[f64]) -> Vec<f64> {
    let raw: Vec<f64> = rewards
        .iter()
        .zip(values)
        .map(|(reward, value)| reward - value)
        .collect();
    normalised(&raw)
}

/// The [`Advantage::PerTool`] advantages of one sampled grant, before normalisation: for each
/// tool, `r(g) − [p·r(g with it granted) + (1 − p)·r(g with it withheld)]`, `p` its grant
/// probability. Equals `(1 − p)·Δ` when the tool was granted and `−p·Δ` when withheld, `Δ`
/// being what granting it rather than withholding it adds to the reward.
pub fn per_tool_advantages(
    episode: &Episode,
    grant: &[bool],
    probabilities: &[f64],
    weights: &RewardWeights,
) -> Vec<f64> {
    let reward = RewardTerms::of(episode, grant).total(weights);
    let mut flipped = grant.to_vec();
    (0..grant.len())
        .map(|i| {
            let (Some(&granted), Some(&p)) = (grant.get(i), probabilities.get(i)) else {
                return 0.0;
            };
            if let Some(slot) = flipped.get_mut(i) {
                *slot = !granted;
            }
            let other = RewardTerms::of(episode, &flipped).total(weights);
            if let Some(slot) = flipped.get_mut(i) {
                *slot = granted;
            }
            let (with, without) = if granted {
                (reward, other)
            } else {
                (other, reward)
            };
            reward - (p * with + (1.0 - p) * without)
        })
        .collect()
}

/// Scales values to mean 0 and spread 1; all zeros when they are all equal.
fn normalised(values: &[f64]) -> Vec<f64> {
    let count = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / count;
    let spread = (values.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / count).sqrt();
    if spread < 1e-8 {
        return vec![0.0; values.len()];
    }
    values.iter().map(|a| (a - mean) / spread).collect()
}

/// Scales values to a root mean square of 1; all zeros when they are all (nearly) zero.
fn scaled(values: &[f64]) -> Vec<f64> {
    let rms = (values.iter().map(|a| a * a).sum::<f64>() / values.len().max(1) as f64).sqrt();
    if rms < 1e-8 {
        return vec![0.0; values.len()];
    }
    values.iter().map(|a| a / rms).collect()
}

/// PPO's clipped surrogate for one decision: `min(r·A, clip(r, 1 − ε, 1 + ε)·A)` (to be
/// maximised): the policy gains nothing from moving its ratio `r` past the clip range in the
/// direction the advantage `A` favours.
pub fn clipped_surrogate(ratio: f64, advantage: f64, clip: f64) -> f64 {
    (ratio * advantage).min(ratio.clamp(1.0 - clip, 1.0 + clip) * advantage)
}

/// [`softplus`] over a tensor.
pub(crate) fn softplus_tensor(x: &Tensor) -> Result<Tensor, LearnError> {
    Ok(x.relu()?
        .add(&x.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?)?)
}

/// [`bernoulli_log_prob`] over tensors; `granted` holds 0 or 1.
pub(crate) fn log_prob_tensor(logits: &Tensor, granted: &Tensor) -> Result<Tensor, LearnError> {
    Ok(granted.mul(logits)?.sub(&softplus_tensor(logits)?)?)
}

/// [`bernoulli_entropy`] over a tensor.
pub(crate) fn entropy_tensor(logits: &Tensor) -> Result<Tensor, LearnError> {
    Ok(softplus_tensor(logits)?.sub(&candle_nn::ops::sigmoid(logits)?.mul(logits)?)?)
}

/// [`clipped_surrogate`] over tensors.
pub(crate) fn clipped_surrogate_tensor(
    ratio: &Tensor,
    advantage: &Tensor,
    clip: f64,
) -> Result<Tensor, LearnError> {
    let unclipped = ratio.mul(advantage)?;
    let clipped = ratio.clamp(1.0 - clip, 1.0 + clip)?.mul(advantage)?;
    Ok(unclipped.minimum(&clipped)?)
}

/// AdamW over every variable of the model.
pub(crate) fn optimiser(
    model: &ExposureModel,
    learning_rate: f64,
    weight_decay: f64,
) -> Result<AdamW, LearnError> {
    let params = ParamsAdamW {
        lr: learning_rate,
        weight_decay,
        ..ParamsAdamW::default()
    };
    Ok(AdamW::new(model.variables(), params)?)
}

/// Copies the pair ranges of the batch positions `positions` (ranges given by `offsets`,
/// one more than positions of the batch) out of `values`, in order: the per-pair inputs of a
/// minibatch, aligned with the pairs of its forward pass.
pub(crate) fn gather_ranges<T: Copy>(
    values: &[T],
    offsets: &[usize],
    positions: &[usize],
) -> Vec<T> {
    let mut gathered = Vec::new();
    for &position in positions {
        if let (Some(&start), Some(&end)) = (offsets.get(position), offsets.get(position + 1)) {
            gathered.extend_from_slice(values.get(start..end).unwrap_or(&[]));
        }
    }
    gathered
}

/// The batch an update optimises on: what the old policy sampled and what it got.
struct Rollout {
    /// Training-set rows of the batch's episodes.
    rows: Vec<usize>,
    /// Pair ranges per batch position.
    offsets: Vec<usize>,
    /// Per pair: 1 if granted, else 0.
    granted: Vec<f32>,
    /// Per pair: the log-probability of the decision under the old policy.
    old_log_prob: Vec<f32>,
    /// Per pair: the decision's advantage, normalised.
    advantages: Vec<f32>,
    /// Per batch position.
    rewards: Vec<f32>,
}

/// Visits the training set in shuffled passes, reshuffling after each.
struct Cycle {
    order: Vec<usize>,
    next: usize,
}

impl Cycle {
    fn take(&mut self, count: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let mut rows = Vec::with_capacity(count);
        while rows.len() < count && !self.order.is_empty() {
            if self.next >= self.order.len() {
                self.order.shuffle(rng);
                self.next = 0;
            }
            if let Some(&row) = self.order.get(self.next) {
                rows.push(row);
            }
            self.next += 1;
        }
        rows
    }
}

/// Samples a grant for each episode of `rows` from the current policy and scores it.
fn roll_out(
    model: &ExposureModel,
    episodes: &[Episode],
    data: &EncodedEpisodes,
    rows: Vec<usize>,
    config: &PpoConfig,
    rng: &mut ChaCha8Rng,
    stats: &mut UpdateStats,
) -> Result<Rollout, LearnError> {
    let forward = model.forward(data, &rows)?;
    let logits: Vec<f32> = match &forward.logits {
        Some(logits) => logits.to_vec1()?,
        None => Vec::new(),
    };
    let values: Vec<f32> = forward.values.to_vec1()?;
    let threshold = model.threshold();
    let mut granted = Vec::with_capacity(logits.len());
    let mut old_log_prob = Vec::with_capacity(logits.len());
    let mut rewards = Vec::with_capacity(rows.len());
    let mut per_tool = Vec::new();
    let (mut sampled, mut greedy) = (Terms::default(), Terms::default());
    let mut entropy = 0.0;
    for (position, &row) in rows.iter().enumerate() {
        let (Some(&start), Some(&end)) = (
            forward.offsets.get(position),
            forward.offsets.get(position + 1),
        ) else {
            continue;
        };
        let episode_logits = logits.get(start..end).unwrap_or(&[]);
        let mut grant = Vec::with_capacity(episode_logits.len());
        let mut greedy_grant = Vec::with_capacity(episode_logits.len());
        let mut probabilities = Vec::with_capacity(episode_logits.len());
        for &logit in episode_logits {
            let logit = f64::from(logit);
            let probability = 1.0 / (1.0 + (-logit).exp());
            probabilities.push(probability);
            let decision = rng.random::<f64>() < probability;
            grant.push(decision);
            greedy_grant.push(probability >= threshold);
            granted.push(if decision { 1.0 } else { 0.0 });
            old_log_prob.push(bernoulli_log_prob(logit, decision) as f32);
            entropy += bernoulli_entropy(logit);
        }
        let Some(episode) = episodes.get(row) else {
            continue;
        };
        let terms = RewardTerms::of(episode, &grant);
        rewards.push(terms.total(&config.reward));
        if config.advantage == Advantage::PerTool {
            per_tool.extend(per_tool_advantages(
                episode,
                &grant,
                &probabilities,
                &config.reward,
            ));
        }
        sampled.add(&terms, 0.0);
        let share =
            greedy_grant.iter().filter(|g| **g).count() as f64 / greedy_grant.len().max(1) as f64;
        greedy.add(&RewardTerms::of(episode, &greedy_grant), share);
    }
    let values: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
    let advantages = match config.advantage {
        // Already centred by construction (each is zero in expectation over its decision):
        // only scaled, as subtracting the batch mean would credit a decision with others' luck.
        Advantage::PerTool => scaled(&per_tool),
        Advantage::Episode => {
            let per_episode = normalised_advantages(&rewards, &values);
            let mut per_pair = Vec::with_capacity(logits.len());
            for (position, advantage) in per_episode.iter().enumerate() {
                if let (Some(&start), Some(&end)) = (
                    forward.offsets.get(position),
                    forward.offsets.get(position + 1),
                ) {
                    per_pair.extend(std::iter::repeat_n(*advantage, end - start));
                }
            }
            per_pair
        }
    };
    let count = rows.len().max(1) as f64;
    stats.mean_reward = rewards.iter().sum::<f64>() / count;
    (stats.accuracy, stats.economy, stats.safety) = sampled.means(count);
    (
        stats.greedy_accuracy,
        stats.greedy_economy,
        stats.greedy_safety,
    ) = greedy.means(count);
    stats.greedy_granted = greedy.granted / count;
    stats.entropy = entropy / logits.len().max(1) as f64;
    Ok(Rollout {
        rows,
        offsets: forward.offsets,
        granted,
        old_log_prob,
        advantages: advantages.iter().map(|a| *a as f32).collect(),
        rewards: rewards.iter().map(|r| *r as f32).collect(),
    })
}

/// Sums of reward terms, for means.
#[derive(Default)]
struct Terms {
    accuracy: f64,
    economy: f64,
    safety: f64,
    granted: f64,
}

impl Terms {
    fn add(&mut self, terms: &RewardTerms, granted: f64) {
        self.accuracy += terms.accuracy;
        self.economy += terms.economy;
        self.safety += terms.safety;
        self.granted += granted;
    }

    fn means(&self, count: f64) -> (f64, f64, f64) {
        (
            self.accuracy / count,
            self.economy / count,
            self.safety / count,
        )
    }
}

/// What one gradient step reports.
struct StepLosses {
    policy: f64,
    value: f64,
    clip_fraction: f64,
}

/// One AdamW step on the minibatch `positions` of the rollout.
fn optimise_step(
    model: &ExposureModel,
    data: &EncodedEpisodes,
    rollout: &Rollout,
    positions: &[usize],
    config: &PpoConfig,
    optimiser: &mut AdamW,
) -> Result<StepLosses, LearnError> {
    let rows: Vec<usize> = positions
        .iter()
        .filter_map(|p| rollout.rows.get(*p).copied())
        .collect();
    let forward = model.forward(data, &rows)?;
    let batch_rewards: Vec<f32> = positions
        .iter()
        .filter_map(|p| rollout.rewards.get(*p).copied())
        .collect();
    let rewards = Tensor::from_vec(batch_rewards, rows.len(), &Device::Cpu)?;
    let value_loss = forward.values.sub(&rewards)?.sqr()?.mean_all()?;
    let mut loss = value_loss.affine(config.value_coef, 0.0)?;
    let mut losses = StepLosses {
        policy: 0.0,
        value: f64::from(value_loss.to_scalar::<f32>()?),
        clip_fraction: 0.0,
    };
    if let Some(logits) = &forward.logits {
        let pairs = logits.dim(0)?;
        let granted = Tensor::from_vec(
            gather_ranges(&rollout.granted, &rollout.offsets, positions),
            pairs,
            &Device::Cpu,
        )?;
        let old_log_prob = Tensor::from_vec(
            gather_ranges(&rollout.old_log_prob, &rollout.offsets, positions),
            pairs,
            &Device::Cpu,
        )?;
        let advantages = Tensor::from_vec(
            gather_ranges(&rollout.advantages, &rollout.offsets, positions),
            pairs,
            &Device::Cpu,
        )?;
        let ratio = log_prob_tensor(logits, &granted)?
            .sub(&old_log_prob)?
            .exp()?;
        let policy_loss = clipped_surrogate_tensor(&ratio, &advantages, config.clip)?
            .mean_all()?
            .neg()?;
        let entropy = entropy_tensor(logits)?.mean_all()?;
        loss = loss
            .add(&policy_loss)?
            .sub(&entropy.affine(config.entropy_coef, 0.0)?)?;
        losses.policy = f64::from(policy_loss.to_scalar::<f32>()?);
        let ratios: Vec<f32> = ratio.to_vec1()?;
        let outside = ratios
            .iter()
            .filter(|r| (f64::from(**r) - 1.0).abs() > config.clip)
            .count();
        losses.clip_fraction = outside as f64 / pairs.max(1) as f64;
    }
    optimiser.backward_step(&loss)?;
    Ok(losses)
}

/// Trains an exposure policy with PPO on `episodes` (needs known, from logs or the gym).
/// `progress` is called after every update with that update's point of the training curve,
/// which is also returned whole.
pub fn train_ppo(
    episodes: &[Episode],
    config: &PpoConfig,
    progress: &mut dyn FnMut(&UpdateStats),
) -> Result<(ExposureModel, Vec<UpdateStats>), LearnError> {
    config.validate()?;
    if episodes.is_empty() {
        return Err(LearnError::Empty(
            "PPO was given no episodes; train on sessions whose needs are known".to_owned(),
        ));
    }
    let started = Instant::now();
    let model = ExposureModel::new(&config.model, "ppo", config.seed)?;
    let data = model.encode(episodes);
    let mut optimiser = optimiser(&model, config.learning_rate, config.weight_decay)?;
    // One generator for the visiting order and the grants; the model drew its weights from its
    // own, so changing the model's size does not change which episodes are visited.
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut cycle = Cycle {
        order: (0..episodes.len()).collect(),
        next: episodes.len(),
    };
    let mut curve = Vec::with_capacity(config.updates);
    let mut seen = 0;
    for update in 1..=config.updates {
        let mut stats = UpdateStats {
            update,
            ..UpdateStats::default()
        };
        let rows = cycle.take(config.episodes_per_update, &mut rng);
        seen += rows.len();
        let rollout = roll_out(&model, episodes, &data, rows, config, &mut rng, &mut stats)?;
        let mut positions: Vec<usize> = (0..rollout.rows.len()).collect();
        let mut steps = 0usize;
        for _ in 0..config.epochs {
            positions.shuffle(&mut rng);
            for minibatch in positions.chunks(config.minibatch) {
                let losses =
                    optimise_step(&model, &data, &rollout, minibatch, config, &mut optimiser)?;
                stats.policy_loss += losses.policy;
                stats.value_loss += losses.value;
                stats.clip_fraction += losses.clip_fraction;
                steps += 1;
            }
        }
        let steps = steps.max(1) as f64;
        stats.policy_loss /= steps;
        stats.value_loss /= steps;
        stats.clip_fraction /= steps;
        stats.episodes = seen;
        stats.elapsed_secs = started.elapsed().as_secs_f64();
        progress(&stats);
        curve.push(stats);
    }
    Ok((model, curve))
}

#[cfg(test)]
#[path = "ppo_tests.rs"]
mod tests;
