//! The learned policy file: what `aethelgard learn` (layer 2) writes and the governor reads.
//!
//! ```toml
//! version = 1
//! algo = "ppo"                 # ppo | supervised | frequency | ...
//! threshold = 0.5              # a tool is granted when its score reaches this
//! created_at = "2026-11-21T10:00:00Z"
//!
//! [training]                   # free-form provenance: sessions file, seed, metrics
//! sessions = "gym.jsonl"
//! seed = 7
//!
//! [task_types.summarise]
//! grant = ["read", "memory_get"]           # granted outright
//! scores = { web_fetch = 0.62, exec = 0.01 } # granted when >= threshold
//! ```
//!
//! Grants from this file replace a profile's selection (`tools`, `groups`), but the profile's
//! `deny` and `risk` ceiling still apply: a learned policy can never grant a dangerous tool to a
//! task type whose profile does not list its tags. A task type the file does not cover falls back
//! to its profile.

use crate::error::GovernorError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The only version this build reads and writes.
pub const VERSION: u32 = 1;

/// A learned policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnedPolicy {
    pub version: u32,
    /// The algorithm that produced it.
    pub algo: String,
    #[serde(default = "half")]
    pub threshold: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Provenance, free-form.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub training: toml::Table,
    #[serde(default)]
    pub task_types: BTreeMap<String, LearnedGrants>,
}

fn half() -> f64 {
    0.5
}

/// What was learned for one task type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnedGrants {
    /// Tools granted outright.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grant: Vec<String>,
    /// Per-tool grant probabilities; granted at or above the file's threshold.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<String, f64>,
}

impl LearnedGrants {
    /// Whether the learned policy grants `tool`, and the score behind it.
    pub fn grants(&self, tool: &str, threshold: f64) -> Option<f64> {
        if self.grant.iter().any(|name| name == tool) {
            return Some(1.0);
        }
        self.scores.get(tool).copied().filter(|score| *score >= threshold)
    }
}

impl LearnedPolicy {
    pub fn new(algo: &str) -> Self {
        Self { version: VERSION, algo: algo.to_owned(), threshold: 0.5, created_at: None, training: toml::Table::new(), task_types: BTreeMap::new() }
    }

    /// Parses and validates the file's text.
    pub fn parse(text: &str, origin: &str) -> Result<Self, GovernorError> {
        let invalid = |message: String| GovernorError::Invalid { origin: origin.to_owned(), message };
        let policy: Self = toml::from_str(text).map_err(|e| invalid(format!("not a learned policy file: {e}")))?;
        if policy.version != VERSION {
            return Err(invalid(format!("unsupported `version = {}`; this build reads version {VERSION}", policy.version)));
        }
        if !(0.0..=1.0).contains(&policy.threshold) {
            return Err(invalid(format!("`threshold = {}` is outside 0..1", policy.threshold)));
        }
        for (task_type, grants) in &policy.task_types {
            for (tool, score) in &grants.scores {
                if !(0.0..=1.0).contains(score) || score.is_nan() {
                    return Err(invalid(format!("[task_types.{task_type}] score of `{tool}` = {score} is outside 0..1")));
                }
            }
        }
        Ok(policy)
    }

    pub fn load(path: &Path) -> Result<Self, GovernorError> {
        let text = std::fs::read_to_string(path).map_err(|source| GovernorError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!("# Learned policy written by `aethelgard {}`; see docs/governor.md for the format.\n{body}", self.algo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_validates() -> Result<(), GovernorError> {
        let mut policy = LearnedPolicy::new("ppo");
        policy.task_types.insert(
            "summarise".to_owned(),
            LearnedGrants { grant: vec!["read".to_owned()], scores: BTreeMap::from([("web_fetch".to_owned(), 0.7), ("exec".to_owned(), 0.1)]) },
        );
        let parsed = LearnedPolicy::parse(&policy.to_toml(), "test")?;
        assert_eq!(parsed, policy);
        let grants = &parsed.task_types["summarise"];
        assert_eq!(grants.grants("read", 0.5), Some(1.0));
        assert_eq!(grants.grants("web_fetch", 0.5), Some(0.7));
        assert_eq!(grants.grants("exec", 0.5), None);
        let bad = LearnedPolicy::parse("version = 1\nalgo = \"ppo\"\n[task_types.x.scores]\na = 1.5\n", "bad");
        assert!(matches!(bad, Err(GovernorError::Invalid { .. })));
        assert!(LearnedPolicy::parse("version = 2\nalgo = \"ppo\"\n", "v2").is_err());
        Ok(())
    }
}
