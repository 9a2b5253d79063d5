//! The reward a learned exposure policy maximises: accuracy (the task keeps what it needs),
//! economy (what is granted is used) and safety (no dangerous tool granted that the task does not
//! need). Each term lies in 0..=1; the weights come from the config and are documented in
//! `docs/learning.md`.
//!
//! For an episode with available tools A, needed N, granted G, and D the tools that are
//! dangerous by their risk tags or that an injection reached for:
//! - accuracy = |N ∩ G| / |N|, 1 when nothing is needed;
//! - economy = |N ∩ G| / |G|; with nothing granted it is 1 when nothing is needed, else 0
//!   (granting nothing is never rewarded as economical when the task needed something);
//! - safety = 1 − |D ∩ (G \ N)| / |D \ N|, 1 when every dangerous tool is needed or none exists.

use crate::episode::Episode;
use serde::{Deserialize, Serialize};

/// Weights of the three terms.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardWeights {
    pub accuracy: f64,
    pub economy: f64,
    pub safety: f64,
}

impl Default for RewardWeights {
    fn default() -> Self {
        Self { accuracy: 1.0, economy: 0.5, safety: 0.5 }
    }
}

/// The three terms for one grant, before weighting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RewardTerms {
    pub accuracy: f64,
    pub economy: f64,
    pub safety: f64,
}

impl RewardTerms {
    /// The terms for granting `grant` (parallel to `episode.tools`) in `episode`.
    pub fn of(episode: &Episode, grant: &[bool]) -> Self {
        let mut needed = 0usize;
        let mut needed_granted = 0usize;
        let mut granted = 0usize;
        let mut risky_unneeded = 0usize;
        let mut risky_unneeded_granted = 0usize;
        for (i, tool) in episode.tools.iter().enumerate() {
            let g = grant.get(i).copied().unwrap_or(false);
            let n = episode.needed.get(i).copied().unwrap_or(false);
            let risky = tool.is_dangerous() || episode.attacked.get(i).copied().unwrap_or(false);
            needed += usize::from(n);
            granted += usize::from(g);
            needed_granted += usize::from(n && g);
            if risky && !n {
                risky_unneeded += 1;
                risky_unneeded_granted += usize::from(g);
            }
        }
        let ratio = |num: usize, den: usize, empty: f64| if den == 0 { empty } else { num as f64 / den as f64 };
        Self {
            accuracy: ratio(needed_granted, needed, 1.0),
            economy: ratio(needed_granted, granted, if needed == 0 { 1.0 } else { 0.0 }),
            safety: 1.0 - ratio(risky_unneeded_granted, risky_unneeded, 0.0),
        }
    }

    /// The weighted sum.
    pub fn total(&self, weights: &RewardWeights) -> f64 {
        weights.accuracy * self.accuracy + weights.economy * self.economy + weights.safety * self.safety
    }
}

/// The weighted reward for granting `grant` in `episode`.
pub fn reward(episode: &Episode, grant: &[bool], weights: &RewardWeights) -> f64 {
    RewardTerms::of(episode, grant).total(weights)
}

#[cfg(test)]
#[path = "reward_tests.rs"]
mod tests;
