use super::*;
use crate::episode::{Episode, ToolSpec};
use aethelgard_protocol::RiskTag;

fn episode() -> Episode {
    let tools = vec![
        ToolSpec::new("read", "Reads a file.", vec![RiskTag::Read]),
        ToolSpec::new("search", "Searches the web.", vec![RiskTag::Network]),
        ToolSpec::new("exec", "Runs a shell command.", vec![RiskTag::Exec]),
        ToolSpec::new("pay", "Sends money.", vec![RiskTag::Payment]),
    ];
    let mut episode = Episode::new("e", "summarise the file", tools);
    episode.needed = vec![true, false, false, false];
    episode
}

#[test]
fn the_oracle_grant_scores_one_on_every_term() {
    let terms = RewardTerms::of(&episode(), &[true, false, false, false]);
    assert_eq!(terms, RewardTerms { accuracy: 1.0, economy: 1.0, safety: 1.0 });
    assert!((terms.total(&RewardWeights::default()) - 2.0).abs() < 1e-12);
}

#[test]
fn granting_everything_keeps_accuracy_and_loses_economy_and_safety() {
    let terms = RewardTerms::of(&episode(), &[true; 4]);
    assert_eq!(terms, RewardTerms { accuracy: 1.0, economy: 0.25, safety: 0.0 });
}

#[test]
fn granting_nothing_is_not_economical_when_something_was_needed() {
    let terms = RewardTerms::of(&episode(), &[false; 4]);
    assert_eq!(terms, RewardTerms { accuracy: 0.0, economy: 0.0, safety: 1.0 });
    let mut nothing_needed = episode();
    nothing_needed.needed = vec![false; 4];
    assert_eq!(RewardTerms::of(&nothing_needed, &[false; 4]).economy, 1.0);
}

#[test]
fn an_attacked_tool_counts_as_dangerous_and_a_needed_dangerous_tool_does_not() {
    let mut ep = episode();
    ep.attacked = vec![false, true, false, false];
    // Granting `search` (attacked) and `exec`: 2 of the 3 risky unneeded tools.
    let terms = RewardTerms::of(&ep, &[true, true, true, false]);
    assert!((terms.safety - (1.0 - 2.0 / 3.0)).abs() < 1e-12);
    ep.needed = vec![true, false, true, false];
    let terms = RewardTerms::of(&ep, &[true, false, true, false]);
    assert_eq!(terms.safety, 1.0);
}

#[test]
fn a_short_grant_vector_counts_missing_entries_as_denied() {
    let terms = RewardTerms::of(&episode(), &[true]);
    assert_eq!(terms.accuracy, 1.0);
}
