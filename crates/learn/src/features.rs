//! Features of a task request and of a tool, the only things the learned policies read.
//!
//! A learned exposure policy must carry over to requests it has not seen and to tools it has
//! not seen, and it must not care what a tool is called (the degeneracy gate renames every tool
//! and expects identical grants). So nothing here ever reads a tool's name: a task is the words
//! of its request, a tool is the words of its description and its risk tags.
//!
//! Words become a sparse vector by the hashing trick: each token (a word, a pair of adjacent
//! words, a character n-gram of a word, a risk tag) is hashed with a fixed hash (FNV-1a, the same
//! on every platform and every run, unlike std's randomly seeded `HashMap` hasher) into one of
//! `task_dim` (or `tool_dim`) buckets, and the vector is scaled to unit length so that a long
//! request does not shout over a short one. Character n-grams (fastText style, with `<` and `>`
//! marking the word's edges) let "summarise", "summarize" and "summary" share most of their
//! features, which is what carries the policy over to phrasings it was not trained on.
//!
//! A tool also gets a dense one-hot of its nine risk tags, which the model's pair head reads
//! directly: the risk of a tool should never be a matter of hash collisions.

use crate::episode::ToolSpec;
use aethelgard_protocol::RiskTag;
use serde::{Deserialize, Serialize};

/// How many risk tags there are: the width of [`risk_one_hot`].
pub const RISK_TAGS: usize = RiskTag::ALL.len();

/// Words that carry no meaning about which tools a task needs; dropped before hashing so that
/// they neither dilute the unit-length vector nor form bigrams ("send an email" gives the bigram
/// "send email").
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "of", "to", "and", "or", "in", "on", "for", "with", "from", "by", "at", "as",
    "is", "are", "be", "it", "its", "this", "that", "these", "those", "my", "me", "our", "us",
    "your", "you", "i", "we", "please", "can", "could", "would", "will", "some", "any", "all",
    "into", "about", "then",
];

/// How text becomes features. The defaults suit catalogs of up to a few hundred tools and
/// requests of a sentence or two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureConfig {
    /// Hash buckets for the task request (default 4096).
    pub task_dim: usize,
    /// Hash buckets for a tool's description and risk tags (default 2048).
    pub tool_dim: usize,
    /// Whether pairs of adjacent words are features (default true): "read file" means more than
    /// "read" and "file" apart.
    pub bigrams: bool,
    /// Length of the character n-grams taken from each word, 0 for none (default 4).
    pub char_ngram: usize,
    /// Weight of each character n-gram relative to a word (default 0.5): a word of five letters
    /// yields four 4-grams (edge marks included), whose squared weights then add up to a
    /// word's, so neither drowns the other in the unit-length vector.
    pub char_weight: f32,
    /// Weight of each risk tag among a tool's description words (default 1.0).
    pub risk_token_weight: f32,
    /// Weight of the task type (a label, or the governor's classification) as one more token of
    /// the request (default 1.0, 0 for none): requests phrased in ways training never saw still
    /// share their type with it.
    pub task_type_weight: f32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            task_dim: 4096,
            tool_dim: 2048,
            bigrams: true,
            char_ngram: 4,
            char_weight: 0.5,
            risk_token_weight: 1.0,
            task_type_weight: 1.0,
        }
    }
}

impl FeatureConfig {
    /// Checks that the dimensions can hold features.
    pub fn validate(&self) -> Result<(), String> {
        if self.task_dim == 0 || self.tool_dim == 0 {
            return Err(format!(
                "`task_dim = {}` and `tool_dim = {}` must both be at least 1",
                self.task_dim, self.tool_dim
            ));
        }
        if u32::try_from(self.task_dim).is_err() || u32::try_from(self.tool_dim).is_err() {
            return Err("`task_dim` and `tool_dim` must fit in 32 bits".to_owned());
        }
        if !(self.char_weight.is_finite() && self.risk_token_weight.is_finite()) {
            return Err("`char_weight` and `risk_token_weight` must be finite numbers".to_owned());
        }
        Ok(())
    }
}

/// A sparse vector: bucket indices in increasing order, each once, with their values. After
/// [`task_features`] or [`tool_features`] it has unit length (or is empty).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseFeatures {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseFeatures {
    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The entries as (index, value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// Euclidean length.
    pub fn norm(&self) -> f32 {
        self.values.iter().map(|v| v * v).sum::<f32>().sqrt()
    }

    /// Dot product with another sparse vector.
    pub fn dot(&self, other: &Self) -> f32 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while let (Some(&a), Some(&b)) = (self.indices.get(i), other.indices.get(j)) {
            match a.cmp(&b) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += self.values.get(i).copied().unwrap_or(0.0)
                        * other.values.get(j).copied().unwrap_or(0.0);
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }
}

/// 64-bit FNV-1a: a fixed, platform-independent hash, so that a model trained on one machine
/// reads the same buckets on another.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// The words of a text: lowercased runs of letters and digits, stopwords dropped.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .filter(|word| !STOPWORDS.contains(&word.as_str()))
        .collect()
}

/// Accumulates weighted tokens into hash buckets.
struct Hasher {
    dim: u64,
    buckets: Vec<(u32, f32)>,
}

impl Hasher {
    fn new(dim: usize) -> Self {
        Self {
            dim: dim.max(1) as u64,
            buckets: Vec::new(),
        }
    }

    /// Adds `weight` to the bucket of `token` in the namespace `kind` (so the word "read" and
    /// the risk tag "read" are different features).
    fn add(&mut self, kind: &str, token: &str, weight: f32) {
        let mut key = String::with_capacity(kind.len() + 1 + token.len());
        key.push_str(kind);
        key.push('\u{1f}');
        key.push_str(token);
        let bucket = u32::try_from(stable_hash(key.as_bytes()) % self.dim).unwrap_or(0);
        self.buckets.push((bucket, weight));
    }

    fn add_text(&mut self, text: &str, config: &FeatureConfig) {
        let words = words(text);
        for word in &words {
            self.add("w", word, 1.0);
            if config.char_ngram > 0 {
                let marked: Vec<char> = std::iter::once('<')
                    .chain(word.chars())
                    .chain(std::iter::once('>'))
                    .collect();
                for gram in marked.windows(config.char_ngram) {
                    self.add("c", &gram.iter().collect::<String>(), config.char_weight);
                }
            }
        }
        if config.bigrams {
            for pair in words.windows(2) {
                if let [first, second] = pair {
                    self.add("b", &format!("{first} {second}"), 1.0);
                }
            }
        }
    }

    /// Sums repeated buckets, sorts them and scales the vector to unit length.
    fn finish(mut self) -> SparseFeatures {
        self.buckets.sort_by_key(|(bucket, _)| *bucket);
        let mut features = SparseFeatures::default();
        for (bucket, weight) in self.buckets {
            match (features.indices.last(), features.values.last_mut()) {
                (Some(last), Some(value)) if *last == bucket => *value += weight,
                _ => {
                    features.indices.push(bucket);
                    features.values.push(weight);
                }
            }
        }
        let norm = features.norm();
        if norm > 0.0 {
            features.values.iter_mut().for_each(|value| *value /= norm);
        }
        features
    }
}

/// Features of a task request: its words, word pairs and character n-grams, hashed into
/// `config.task_dim` buckets, unit length. Empty text gives an empty vector.
pub fn task_features(task: &str, config: &FeatureConfig) -> SparseFeatures {
    let mut hasher = Hasher::new(config.task_dim);
    hasher.add_text(task, config);
    hasher.finish()
}

/// [`task_features`] with the task type as one more token (weighted by
/// `config.task_type_weight`), when there is one.
pub fn task_features_typed(task: &str, task_type: Option<&str>, config: &FeatureConfig) -> SparseFeatures {
    let mut hasher = Hasher::new(config.task_dim);
    hasher.add_text(task, config);
    if let Some(task_type) = task_type.filter(|_| config.task_type_weight > 0.0) {
        hasher.add("type", task_type, config.task_type_weight);
    }
    hasher.finish()
}

/// Features of a tool: the words of its description and its risk tags, hashed into
/// `config.tool_dim` buckets, unit length. Never its name.
pub fn tool_features(tool: &ToolSpec, config: &FeatureConfig) -> SparseFeatures {
    let mut hasher = Hasher::new(config.tool_dim);
    hasher.add_text(&tool.description, config);
    for tag in &tool.risk {
        hasher.add("r", tag.as_str(), config.risk_token_weight);
    }
    hasher.finish()
}

/// The tool's risk tags as a dense 0/1 vector, in the order of [`RiskTag::ALL`].
pub fn risk_one_hot(risk: &[RiskTag]) -> [f32; RISK_TAGS] {
    let mut one_hot = [0.0; RISK_TAGS];
    for (slot, tag) in one_hot.iter_mut().zip(RiskTag::ALL) {
        if risk.contains(&tag) {
            *slot = 1.0;
        }
    }
    one_hot
}

#[cfg(test)]
#[path = "features_tests.rs"]
mod tests;
