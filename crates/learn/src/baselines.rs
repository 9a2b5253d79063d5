//! The baselines every learned policy is measured against, through the same evaluation:
//!
//! - [`AllTools`]: what a runtime does by default: every tool, every task.
//! - [`StaticProfiles`]: hand-written profiles per task type (`data/learn/static-profiles.toml`),
//!   by risk tags and description words so that they apply to any catalog.
//! - [`Frequency`]: per task type, the union of the tools that successful training sessions of
//!   that type used. Learned from names, so a catalog it never saw gets nothing.
//! - [`Oracle`]: exactly the tools the task needs (ground truth); the ceiling no policy can beat.

use crate::episode::{Episode, ExposurePolicy, ToolSpec};
use crate::error::LearnError;
use aethelgard_protocol::RiskTag;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The static profiles that ship with Aethelgard.
pub const BUILTIN_STATIC_PROFILES: &str = include_str!("../../../data/learn/static-profiles.toml");

/// Every tool, every task.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllTools;

impl ExposurePolicy for AllTools {
    fn name(&self) -> &str {
        "all tools"
    }

    fn grant(&self, _task: &str, _task_type: Option<&str>, tools: &[ToolSpec]) -> Vec<bool> {
        vec![true; tools.len()]
    }
}

/// Exactly what the episode needs. It reads the episode's ground truth, so it only works through
/// [`ExposurePolicy::grant_episode`]; [`ExposurePolicy::grant`] alone grants nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Oracle;

impl ExposurePolicy for Oracle {
    fn name(&self) -> &str {
        "oracle"
    }

    fn grant(&self, _task: &str, _task_type: Option<&str>, tools: &[ToolSpec]) -> Vec<bool> {
        vec![false; tools.len()]
    }

    fn grant_episode(&self, episode: &Episode) -> Vec<bool> {
        episode.needed.clone()
    }
}

/// One hand-written profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticProfile {
    /// Risk tags a granted tool may carry (all of its tags must be here).
    pub allow: Vec<RiskTag>,
    /// The description must contain one of these words (as a word prefix); empty: any.
    #[serde(default)]
    pub words: Vec<String>,
    /// The description must contain none of these words (as a word prefix).
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl StaticProfile {
    /// Whether the profile grants `tool`.
    pub fn grants(&self, tool: &ToolSpec) -> bool {
        let tags_allowed = if tool.risk.is_empty() {
            self.allow.contains(&RiskTag::Read)
        } else {
            tool.risk.iter().all(|tag| self.allow.contains(tag))
        };
        if !tags_allowed {
            return false;
        }
        let words: Vec<String> = description_words(&tool.description);
        let has = |wanted: &String| words.iter().any(|word| word.starts_with(wanted.as_str()));
        (self.words.is_empty() || self.words.iter().any(has)) && !self.exclude.iter().any(has)
    }
}

fn description_words(description: &str) -> Vec<String> {
    description
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Hand-written profiles per task type. A task type without a profile uses `unknown`'s; without
/// that, nothing is granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticProfiles {
    profiles: BTreeMap<String, StaticProfile>,
}

impl StaticProfiles {
    /// Parses a profiles file (the format of `data/learn/static-profiles.toml`).
    pub fn parse(text: &str, origin: &str) -> Result<Self, LearnError> {
        let profiles: BTreeMap<String, StaticProfile> =
            toml::from_str(text).map_err(|err| LearnError::invalid(origin, err.to_string()))?;
        Ok(Self { profiles })
    }

    /// The profiles that ship with Aethelgard.
    pub fn builtin() -> Result<Self, LearnError> {
        Self::parse(BUILTIN_STATIC_PROFILES, "data/learn/static-profiles.toml")
    }

    /// The profile for `task_type`, falling back to `unknown`.
    pub fn profile(&self, task_type: Option<&str>) -> Option<&StaticProfile> {
        task_type.and_then(|name| self.profiles.get(name)).or_else(|| self.profiles.get("unknown"))
    }

    /// The task types with a profile.
    pub fn task_types(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }
}

impl ExposurePolicy for StaticProfiles {
    fn name(&self) -> &str {
        "static profiles"
    }

    fn grant(&self, _task: &str, task_type: Option<&str>, tools: &[ToolSpec]) -> Vec<bool> {
        match self.profile(task_type) {
            Some(profile) => tools.iter().map(|tool| profile.grants(tool)).collect(),
            None => vec![false; tools.len()],
        }
    }
}

/// Per task type, the union of tools that successful training sessions of that type used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frequency {
    by_type: BTreeMap<String, BTreeSet<String>>,
}

/// The label episodes without a task type are pooled under.
pub const UNTYPED: &str = "unlabelled";

impl Frequency {
    /// Learns from episodes: for each successful one, the tools it needed (as inferred from its
    /// log) join its type's set.
    pub fn train(episodes: &[Episode]) -> Self {
        let mut by_type: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for episode in episodes.iter().filter(|episode| episode.success == Some(true)) {
            let set = by_type.entry(episode.task_type.clone().unwrap_or_else(|| UNTYPED.to_owned())).or_default();
            set.extend(episode.needed_names().into_iter().map(str::to_owned));
        }
        Self { by_type }
    }

    /// The tools learned for `task_type`.
    pub fn tools_of(&self, task_type: &str) -> Option<&BTreeSet<String>> {
        self.by_type.get(task_type)
    }

    /// Every task type learned, with its tools.
    pub fn task_types(&self) -> impl Iterator<Item = (&str, &BTreeSet<String>)> {
        self.by_type.iter().map(|(task_type, tools)| (task_type.as_str(), tools))
    }
}

impl ExposurePolicy for Frequency {
    fn name(&self) -> &str {
        "frequency"
    }

    fn grant(&self, _task: &str, task_type: Option<&str>, tools: &[ToolSpec]) -> Vec<bool> {
        let learned = self.by_type.get(task_type.unwrap_or(UNTYPED));
        tools.iter().map(|tool| learned.is_some_and(|set| set.contains(&tool.name))).collect()
    }
}

#[cfg(test)]
#[path = "baselines_tests.rs"]
mod tests;
