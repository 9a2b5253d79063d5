//! The exposure model: a small network that scores each (task, tool) pair with the probability
//! that the tool should be granted for the task. PPO ([`crate::ppo`]) and supervised learning
//! ([`crate::supervised`]) train the same model; only the loss differs.
//!
//! ```text
//! task request ──features──▶ sparse (task_dim) ──embedding bag──▶ RMS norm ──▶ t (embedding)
//! tool description + risk ──▶ sparse (tool_dim) ──embedding bag──▶ RMS norm ──▶ u (embedding)
//! pair head:  [t, u, t⊙u, risk one-hot] ──linear──▶ ReLU (pair_hidden) ──linear──▶ logit
//!             grant probability = sigmoid(logit)
//! value head: t ──linear──▶ ReLU (value_hidden) ──linear──▶ expected reward (PPO's baseline)
//! ```
//!
//! Why this shape: a task is a sparse vector of a few dozen hashed words, so its encoder is an
//! embedding bag (a `Linear` from `task_dim` whose input is sparse: gather the rows of the
//! active buckets and add them up), which costs a few dozen rows instead of `task_dim`
//! multiplications. Tools repeat across episodes (a catalog has tens of tools, a log has
//! thousands of sessions), so a batch encodes each distinct tool once and gathers its encoding
//! for every episode that offers it. The product `t⊙u` lets the head match "what the task is
//! about" with "what the tool does"; the risk one-hot lets it learn that some kinds of tool are
//! rarely worth their danger. The encodings are scaled to a root mean square of 1 so that
//! their direction, not their length, carries the meaning: a request that shares only half its
//! words with the training requests still points where they did (with a `tanh` instead, the
//! supervised baseline granted the needed tool to 53% of held-out requests; with the norm, 96%).
//! Embedding rows start near zero for the same reason: a word never trained adds nothing. The
//! first pair layer is one `Linear` over the concatenation,
//! computed as a sum of four blocks so that the task and tool blocks are multiplied once per
//! episode and once per tool rather than once per pair.
//!
//! Everything is f32 on the CPU: the whole model has about 150,000 parameters with the
//! defaults (nearly all in the two embedding tables), and a batch of a few hundred episodes is
//! a handful of small matrix products.

use crate::episode::{Episode, ExposurePolicy, ToolSpec};
use crate::error::LearnError;
use crate::features::{
    FeatureConfig, RISK_TAGS, SparseFeatures, risk_one_hot, task_features_typed, tool_features,
};
use aethelgard_governor::learned::{LearnedGrants, LearnedPolicy};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The model's shape and decision threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// How text becomes features.
    pub features: FeatureConfig,
    /// Width of the task and tool encodings (default 24).
    pub embedding: usize,
    /// Width of the pair head's hidden layer (default 24). Training time grows with both
    /// widths (the per-pair tensors dominate it); 24 trains 10,000 sessions in about half the
    /// time of 32 at the same held-out accuracy.
    pub pair_hidden: usize,
    /// Width of the value head's hidden layer (default 16).
    pub value_hidden: usize,
    /// A tool is granted when its probability reaches this (default 0.5).
    pub threshold: f64,
    /// The grant probability an untrained model gives every tool (default 0.2). PPO learns
    /// from the grants it samples: starting from a small grant, each tool left out or added
    /// moves the economy term visibly (one needed tool among five granted is 0.2, among four
    /// 0.25), where from a grant of half a 30-tool catalog one tool more or less changes it by
    /// a hundredth and economy is never learned. Least privilege as the starting point.
    pub initial_probability: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            features: FeatureConfig::default(),
            embedding: 24,
            pair_hidden: 24,
            value_hidden: 16,
            threshold: 0.5,
            initial_probability: 0.2,
        }
    }
}

impl ModelConfig {
    pub fn validate(&self) -> Result<(), LearnError> {
        let invalid = |message: String| LearnError::invalid("model config", message);
        self.features.validate().map_err(invalid)?;
        if self.embedding == 0 || self.pair_hidden == 0 || self.value_hidden == 0 {
            return Err(invalid(format!(
                "`embedding = {}`, `pair_hidden = {}` and `value_hidden = {}` must all be at least 1",
                self.embedding, self.pair_hidden, self.value_hidden
            )));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(invalid(format!(
                "`threshold = {}` is outside 0..1",
                self.threshold
            )));
        }
        if !(self.initial_probability > 0.0 && self.initial_probability < 1.0) {
            return Err(invalid(format!(
                "`initial_probability = {}` must lie strictly between 0 and 1",
                self.initial_probability
            )));
        }
        Ok(())
    }
}

/// What the sidecar file next to the weights holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    format: u32,
    name: String,
    config: ModelConfig,
}

const SIDECAR_FORMAT: u32 = 1;

/// The model's weights, each a handle on a variable of the [`VarMap`] (updating the variable
/// updates the handle).
struct Weights {
    task_embedding: Tensor,
    task_bias: Tensor,
    tool_embedding: Tensor,
    tool_bias: Tensor,
    pair_task: Tensor,
    pair_tool: Tensor,
    pair_interaction: Tensor,
    pair_risk: Tensor,
    pair_bias: Tensor,
    pair_out: Tensor,
    pair_out_bias: Tensor,
    value_hidden: Tensor,
    value_hidden_bias: Tensor,
    value_out: Tensor,
    value_out_bias: Tensor,
}

/// Builds the variables in a fixed order from a seeded generator: candle's own initialisers
/// draw from an unseeded generator, and training must be reproducible from its seed.
struct Initialiser {
    rng: ChaCha8Rng,
    varmap: VarMap,
}

impl Initialiser {
    /// A `rows × cols` (or `rows` when `cols` is 0) variable uniform in `-bound..bound`.
    fn uniform(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
        bound: f32,
    ) -> Result<Tensor, LearnError> {
        let count = rows * cols.max(1);
        let values: Vec<f32> = (0..count)
            .map(|_| {
                if bound > 0.0 {
                    self.rng.random_range(-bound..bound)
                } else {
                    0.0
                }
            })
            .collect();
        self.variable(name, rows, cols, values)
    }

    /// A `rows`-long variable holding `value` everywhere.
    fn constant(&mut self, name: &str, rows: usize, value: f32) -> Result<Tensor, LearnError> {
        self.variable(name, rows, 0, vec![value; rows])
    }

    fn variable(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
        values: Vec<f32>,
    ) -> Result<Tensor, LearnError> {
        let tensor = if cols == 0 {
            Tensor::from_vec(values, rows, &Device::Cpu)?
        } else {
            Tensor::from_vec(values, (rows, cols), &Device::Cpu)?
        };
        let var = Var::from_tensor(&tensor)?;
        let handle = var.as_tensor().clone();
        self.varmap
            .data()
            .lock()
            .map_err(|_| LearnError::invalid("model", "the variable store is poisoned"))?
            .insert(name.to_owned(), var);
        Ok(handle)
    }
}

/// Keeps the normalisation of an empty bag (no words at all) at zero instead of 0 / 0.
const RMS_EPSILON: f64 = 1e-6;

/// Bound of the uniform initial embedding weights.
const EMBEDDING_INIT: f32 = 0.1;

fn logit(probability: f64) -> f64 {
    (probability / (1.0 - probability)).ln()
}

fn glorot(fan_in: usize, fan_out: usize) -> f32 {
    (6.0 / (fan_in + fan_out) as f32).sqrt()
}

/// Episodes turned into features once, before training or scoring: a task vector per episode,
/// and each distinct tool (by description and risk tags) once.
pub struct EncodedEpisodes {
    tasks: Vec<SparseFeatures>,
    tools: Vec<EncodedTool>,
    /// Per episode, per tool in order: the index of its tool in `tools`.
    episode_tools: Vec<Vec<u32>>,
}

struct EncodedTool {
    features: SparseFeatures,
    risk: [f32; RISK_TAGS],
}

impl EncodedEpisodes {
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Number of distinct tools.
    pub fn distinct_tools(&self) -> usize {
        self.tools.len()
    }

    /// Number of tools of episode `row`.
    pub fn tool_count(&self, row: usize) -> usize {
        self.episode_tools.get(row).map_or(0, Vec::len)
    }
}

/// The tensors of one forward pass over a batch of episodes.
pub(crate) struct Forward {
    /// One logit per (episode, tool) pair, episodes in batch order and tools in episode order;
    /// `None` when no episode of the batch has a tool.
    pub logits: Option<Tensor>,
    /// One value per episode.
    pub values: Tensor,
    /// Where each episode's pairs start in `logits`; one more entry than episodes.
    pub offsets: Vec<usize>,
}

/// A sparse bag as the three flat vectors an embedding bag needs.
#[derive(Default)]
struct Bag {
    indices: Vec<u32>,
    weights: Vec<f32>,
    rows: Vec<u32>,
}

impl Bag {
    fn push(&mut self, row: usize, features: &SparseFeatures) {
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        for (index, value) in features.iter() {
            self.indices.push(index);
            self.weights.push(value);
            self.rows.push(row);
        }
    }
}

/// The learned exposure policy. See the module documentation for its shape.
pub struct ExposureModel {
    name: String,
    config: ModelConfig,
    varmap: VarMap,
    weights: Weights,
}

impl std::fmt::Debug for ExposureModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExposureModel")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish()
    }
}

impl ExposureModel {
    /// A freshly initialised model, reproducible from `seed`. `name` is what tables and the
    /// learned policy file call it (`ppo`, `supervised`).
    pub fn new(config: &ModelConfig, name: &str, seed: u64) -> Result<Self, LearnError> {
        config.validate()?;
        let mut init = Initialiser {
            rng: ChaCha8Rng::seed_from_u64(seed),
            varmap: VarMap::new(),
        };
        let (h, pair, value) = (config.embedding, config.pair_hidden, config.value_hidden);
        let pair_bound = glorot(3 * h + RISK_TAGS, pair);
        // Embedding rows start small: a bucket training never saw (a word only held-out
        // requests use) must add next to nothing, not noise, to the encoding it appears in.
        let weights = Weights {
            task_embedding: init.uniform(
                "task.embedding",
                config.features.task_dim,
                h,
                EMBEDDING_INIT,
            )?,
            task_bias: init.uniform("task.bias", h, 0, 0.0)?,
            tool_embedding: init.uniform(
                "tool.embedding",
                config.features.tool_dim,
                h,
                EMBEDDING_INIT,
            )?,
            tool_bias: init.uniform("tool.bias", h, 0, 0.0)?,
            pair_task: init.uniform("pair.task", h, pair, pair_bound)?,
            pair_tool: init.uniform("pair.tool", h, pair, pair_bound)?,
            pair_interaction: init.uniform("pair.interaction", h, pair, pair_bound)?,
            pair_risk: init.uniform("pair.risk", RISK_TAGS, pair, pair_bound)?,
            pair_bias: init.uniform("pair.bias", pair, 0, 0.0)?,
            // Small output weights start every probability near 0.5: PPO explores both ways.
            pair_out: init.uniform("pair.out", pair, 1, 0.1 * glorot(pair, 1))?,
            pair_out_bias: init.constant(
                "pair.out_bias",
                1,
                logit(config.initial_probability) as f32,
            )?,
            value_hidden: init.uniform("value.hidden", h, value, glorot(h, value))?,
            value_hidden_bias: init.uniform("value.hidden_bias", value, 0, 0.0)?,
            value_out: init.uniform("value.out", value, 1, glorot(value, 1))?,
            value_out_bias: init.uniform("value.out_bias", 1, 0, 0.0)?,
        };
        Ok(Self {
            name: name.to_owned(),
            config: config.clone(),
            varmap: init.varmap,
            weights,
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The trainable variables, for an optimiser.
    pub fn variables(&self) -> Vec<Var> {
        self.varmap.all_vars()
    }

    /// The grant threshold.
    pub fn threshold(&self) -> f64 {
        self.config.threshold
    }

    /// Changes the grant threshold (clamped to 0..1).
    pub fn set_threshold(&mut self, threshold: f64) {
        self.config.threshold = threshold.clamp(0.0, 1.0);
    }

    /// Computes the features of `episodes` once.
    pub fn encode(&self, episodes: &[Episode]) -> EncodedEpisodes {
        let features = &self.config.features;
        let mut tool_index: HashMap<(&str, &[aethelgard_protocol::RiskTag]), u32> = HashMap::new();
        let mut tools = Vec::new();
        let mut episode_tools = Vec::with_capacity(episodes.len());
        for episode in episodes {
            let mut indices = Vec::with_capacity(episode.tools.len());
            for tool in &episode.tools {
                let key = (tool.description.as_str(), tool.risk.as_slice());
                let index = *tool_index.entry(key).or_insert_with(|| {
                    tools.push(EncodedTool {
                        features: tool_features(tool, features),
                        risk: risk_one_hot(&tool.risk),
                    });
                    u32::try_from(tools.len() - 1).unwrap_or(u32::MAX)
                });
                indices.push(index);
            }
            episode_tools.push(indices);
        }
        let tasks = episodes
            .iter()
            .map(|episode| task_features_typed(&episode.task, episode.task_type.as_deref(), features))
            .collect();
        EncodedEpisodes {
            tasks,
            tools,
            episode_tools,
        }
    }

    /// An embedding bag: row `r` of the result is `Σ weight · embedding[index]` over the
    /// entries of bag row `r`, scaled to a root mean square of 1, plus the bias.
    fn embed(
        &self,
        bag: &Bag,
        rows: usize,
        embedding: &Tensor,
        bias: &Tensor,
    ) -> Result<Tensor, LearnError> {
        let width = self.config.embedding;
        let zeros = Tensor::zeros((rows, width), DType::F32, &Device::Cpu)?;
        let summed = if bag.indices.is_empty() {
            zeros
        } else {
            let count = bag.indices.len();
            let indices = Tensor::from_slice(&bag.indices, count, &Device::Cpu)?;
            let weights = Tensor::from_slice(&bag.weights, (count, 1), &Device::Cpu)?;
            let rows = Tensor::from_slice(&bag.rows, count, &Device::Cpu)?;
            let gathered = embedding
                .index_select(&indices, 0)?
                .broadcast_mul(&weights)?;
            zeros.index_add(&rows, &gathered, 0)?
        };
        // Scale each row to a root mean square of 1: the encoding's direction says what the
        // text is about, whatever share of its words training has seen (a held-out request
        // that shares half its words with training requests still points the same way).
        let rms = summed
            .sqr()?
            .mean_keepdim(1)?
            .affine(1.0, RMS_EPSILON)?
            .sqrt()?;
        Ok(summed.broadcast_div(&rms)?.broadcast_add(bias)?)
    }

    /// The forward pass over the episodes `rows` of `data`.
    pub(crate) fn forward(
        &self,
        data: &EncodedEpisodes,
        rows: &[usize],
    ) -> Result<Forward, LearnError> {
        let w = &self.weights;
        let mut task_bag = Bag::default();
        let mut tool_bag = Bag::default();
        let mut local_tool: HashMap<u32, u32> = HashMap::new();
        let mut risk: Vec<f32> = Vec::new();
        let mut pair_episode: Vec<u32> = Vec::new();
        let mut pair_tool: Vec<u32> = Vec::new();
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        for (position, &row) in rows.iter().enumerate() {
            if let Some(task) = data.tasks.get(row) {
                task_bag.push(position, task);
            }
            for &tool in data.episode_tools.get(row).map_or(&[][..], Vec::as_slice) {
                let next = u32::try_from(local_tool.len()).unwrap_or(u32::MAX);
                let local = *local_tool.entry(tool).or_insert_with(|| {
                    if let Some(encoded) = data.tools.get(tool as usize) {
                        tool_bag.push(next as usize, &encoded.features);
                        risk.extend_from_slice(&encoded.risk);
                    }
                    next
                });
                pair_episode.push(u32::try_from(position).unwrap_or(u32::MAX));
                pair_tool.push(local);
            }
            offsets.push(pair_episode.len());
        }
        let task = self.embed(&task_bag, rows.len(), &w.task_embedding, &w.task_bias)?;
        let values = task
            .matmul(&w.value_hidden)?
            .broadcast_add(&w.value_hidden_bias)?
            .relu()?
            .matmul(&w.value_out)?
            .broadcast_add(&w.value_out_bias)?
            .squeeze(1)?;
        if pair_episode.is_empty() {
            return Ok(Forward {
                logits: None,
                values,
                offsets,
            });
        }
        let distinct = local_tool.len();
        let tool = self.embed(&tool_bag, distinct, &w.tool_embedding, &w.tool_bias)?;
        let risk = Tensor::from_vec(risk, (distinct, RISK_TAGS), &Device::Cpu)?;
        let pairs = pair_episode.len();
        let pair_episode = Tensor::from_vec(pair_episode, pairs, &Device::Cpu)?;
        let pair_tool = Tensor::from_vec(pair_tool, pairs, &Device::Cpu)?;
        // The task and tool blocks of the first layer, once per episode and once per tool.
        let task_block = task.matmul(&w.pair_task)?;
        let tool_block = tool
            .matmul(&w.pair_tool)?
            .add(&risk.matmul(&w.pair_risk)?)?
            .broadcast_add(&w.pair_bias)?;
        let interaction = task
            .index_select(&pair_episode, 0)?
            .mul(&tool.index_select(&pair_tool, 0)?)?;
        let hidden = interaction
            .matmul(&w.pair_interaction)?
            .add(&task_block.index_select(&pair_episode, 0)?)?
            .add(&tool_block.index_select(&pair_tool, 0)?)?
            .relu()?;
        let logits = hidden
            .matmul(&w.pair_out)?
            .broadcast_add(&w.pair_out_bias)?
            .squeeze(1)?;
        Ok(Forward {
            logits: Some(logits),
            values,
            offsets,
        })
    }

    /// Grant probabilities for every tool of every episode, in order, computed in batches.
    pub fn batch_probabilities(&self, episodes: &[Episode]) -> Result<Vec<Vec<f64>>, LearnError> {
        let data = self.encode(episodes);
        self.encoded_probabilities(&data)
    }

    /// Grant probabilities for already encoded episodes.
    pub fn encoded_probabilities(
        &self,
        data: &EncodedEpisodes,
    ) -> Result<Vec<Vec<f64>>, LearnError> {
        const BATCH: usize = 1024;
        let mut all = Vec::with_capacity(data.len());
        let rows: Vec<usize> = (0..data.len()).collect();
        for chunk in rows.chunks(BATCH) {
            let forward = self.forward(data, chunk)?;
            let probabilities = match &forward.logits {
                Some(logits) => candle_nn::ops::sigmoid(logits)?.to_vec1::<f32>()?,
                None => Vec::new(),
            };
            for window in forward.offsets.windows(2) {
                let (start, end) = match window {
                    [start, end] => (*start, *end),
                    _ => (0, 0),
                };
                all.push(
                    probabilities
                        .get(start..end)
                        .unwrap_or(&[])
                        .iter()
                        .map(|p| f64::from(*p))
                        .collect(),
                );
            }
        }
        Ok(all)
    }

    /// Grant probabilities for the tools of one episode, in order.
    pub fn probabilities(&self, episode: &Episode) -> Result<Vec<f64>, LearnError> {
        Ok(self
            .batch_probabilities(std::slice::from_ref(episode))?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// Grant probabilities for `tools` given the request `task` (of no known type), in order.
    pub fn probabilities_for(
        &self,
        task: &str,
        tools: &[ToolSpec],
    ) -> Result<Vec<f64>, LearnError> {
        self.probabilities_for_typed(task, None, tools)
    }

    /// Grant probabilities for `tools` given the request `task` of type `task_type`, in order.
    pub fn probabilities_for_typed(
        &self,
        task: &str,
        task_type: Option<&str>,
        tools: &[ToolSpec],
    ) -> Result<Vec<f64>, LearnError> {
        let mut episode = Episode::new("", task, tools.to_vec());
        episode.task_type = task_type.map(str::to_owned);
        Ok(self
            .batch_probabilities(std::slice::from_ref(&episode))?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// Where [`ExposureModel::save`] puts the config next to the weights: the same path with
    /// the extension `json` (`policy.safetensors` → `policy.json`).
    pub fn sidecar_path(weights: &Path) -> PathBuf {
        weights.with_extension("json")
    }

    /// Writes the weights (safetensors) to `weights` and the config to its
    /// [sidecar](ExposureModel::sidecar_path).
    pub fn save(&self, weights: &Path) -> Result<(), LearnError> {
        self.varmap.save(weights)?;
        let sidecar = Sidecar {
            format: SIDECAR_FORMAT,
            name: self.name.clone(),
            config: self.config.clone(),
        };
        let sidecar_path = Self::sidecar_path(weights);
        let text = serde_json::to_string_pretty(&sidecar).map_err(|err| {
            LearnError::invalid(sidecar_path.display().to_string(), err.to_string())
        })?;
        std::fs::write(&sidecar_path, text).map_err(|source| LearnError::Write {
            path: sidecar_path.display().to_string(),
            source,
        })
    }

    /// Reads a model written by [`ExposureModel::save`].
    pub fn load(weights: &Path) -> Result<Self, LearnError> {
        let sidecar_path = Self::sidecar_path(weights);
        let origin = sidecar_path.display().to_string();
        let text = std::fs::read_to_string(&sidecar_path).map_err(|source| LearnError::Read {
            path: origin.clone(),
            source,
        })?;
        let sidecar: Sidecar = serde_json::from_str(&text).map_err(|err| {
            LearnError::invalid(&origin, format!("not a model sidecar file: {err}"))
        })?;
        if sidecar.format != SIDECAR_FORMAT {
            return Err(LearnError::invalid(
                origin,
                format!(
                    "unsupported `format = {}`; this build reads format {SIDECAR_FORMAT}",
                    sidecar.format
                ),
            ));
        }
        let mut model = Self::new(&sidecar.config, &sidecar.name, 0)?;
        model.varmap.load(weights)?;
        Ok(model)
    }

    /// The learned policy file for the governor: for each task type, each tool's mean grant
    /// probability over that type's episodes (where the tool was available) as its score, and
    /// this model's threshold. Episodes without a task type are skipped: the file is keyed by
    /// type (label or classify the episodes first).
    pub fn to_learned_policy(
        &self,
        episodes: &[Episode],
        algo: &str,
    ) -> Result<LearnedPolicy, LearnError> {
        let typed: Vec<Episode> = episodes
            .iter()
            .filter(|episode| episode.task_type.is_some())
            .cloned()
            .collect();
        let probabilities = self.batch_probabilities(&typed)?;
        let mut sums: BTreeMap<&str, BTreeMap<&str, (f64, usize)>> = BTreeMap::new();
        for (episode, probabilities) in typed.iter().zip(&probabilities) {
            let Some(task_type) = episode.task_type.as_deref() else {
                continue;
            };
            let per_tool = sums.entry(task_type).or_default();
            for (tool, probability) in episode.tools.iter().zip(probabilities) {
                let entry = per_tool.entry(tool.name.as_str()).or_insert((0.0, 0));
                entry.0 += probability;
                entry.1 += 1;
            }
        }
        let mut policy = LearnedPolicy::new(algo);
        policy.threshold = self.config.threshold;
        policy.training.insert(
            "episodes".to_owned(),
            toml::Value::Integer(i64::try_from(typed.len()).unwrap_or(i64::MAX)),
        );
        for (task_type, per_tool) in sums {
            let scores = per_tool
                .into_iter()
                .map(|(tool, (sum, count))| {
                    // Four decimals keep the file readable; the mean of probabilities stays in 0..1.
                    let mean = (sum / count.max(1) as f64).clamp(0.0, 1.0);
                    (tool.to_owned(), (mean * 10_000.0).round() / 10_000.0)
                })
                .collect();
            policy.task_types.insert(
                task_type.to_owned(),
                LearnedGrants {
                    grant: Vec::new(),
                    scores,
                },
            );
        }
        Ok(policy)
    }
}

impl ExposurePolicy for ExposureModel {
    fn name(&self) -> &str {
        &self.name
    }

    /// Grants the tools whose probability reaches the threshold. Should the model fail to
    /// score (it cannot on well-formed input), it grants nothing: fail closed.
    fn grant(&self, task: &str, task_type: Option<&str>, tools: &[ToolSpec]) -> Vec<bool> {
        match self.probabilities_for_typed(task, task_type, tools) {
            Ok(probabilities) => probabilities
                .iter()
                .map(|p| *p >= self.config.threshold)
                .collect(),
            Err(_) => vec![false; tools.len()],
        }
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
pub(crate) mod tests;
