//! PPO on the gym itself: trained on logs of a small configuration (the 15-tool OpenClaw coding
//! catalog, training templates, every tool visible, the router judging calls), with needs inferred
//! from the logs, then measured on held-out templates against the oracle and against all tools.
//! (`tests/ppo.rs` shows PPO within 0.1 of the oracle on a world whose needs are known exactly.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_learn::episode::episodes_from_sessions;
use aethelgard_learn::gym::{Gym, GymConfig, RouterGuard, TemplateSplit};
use aethelgard_learn::ppo::{PpoConfig, train_ppo};
use aethelgard_learn::reward::RewardTerms;
use aethelgard_learn::{Episode, ExposurePolicy};

fn config(seed: u64, sessions: usize, templates: TemplateSplit) -> GymConfig {
    GymConfig { seed, sessions, catalogs: Some(vec!["openclaw-coding".to_owned()]), templates, ..GymConfig::default() }
}

/// Mean accuracy (|N ∩ G| / |N|) and economy (|N ∩ G| / |G|, SER against the needs) of `grants`.
fn score(episodes: &[Episode], grants: &[Vec<bool>]) -> (f64, f64) {
    let terms: Vec<RewardTerms> = episodes.iter().zip(grants).map(|(e, g)| RewardTerms::of(e, g)).collect();
    let n = terms.len() as f64;
    (terms.iter().map(|t| t.accuracy).sum::<f64>() / n, terms.iter().map(|t| t.economy).sum::<f64>() / n)
}

#[test]
fn ppo_on_a_small_gym_configuration_learns_but_stays_far_from_the_oracle() {
    let gym = Gym::builtin().unwrap();
    let mut guard = RouterGuard::builtin(&gym).unwrap();
    let logs = gym.logs(&config(11, 800, TemplateSplit::Train), &mut guard).unwrap();
    let (episodes, report) = episodes_from_sessions(&logs, &gym.tool_book());
    assert!(report.episodes > 700, "{report:?}");
    let (model, curve) = train_ppo(&episodes, &PpoConfig { seed: 11, ..PpoConfig::default() }, &mut |_| {}).unwrap();
    assert!(curve.len() == 30);

    let tests: Vec<Episode> = gym.scenarios(&config(12, 300, TemplateSplit::Heldout)).unwrap().iter().map(|s| s.episode()).collect();
    let oracle: Vec<Vec<bool>> = tests.iter().map(|e| e.needed.clone()).collect();
    let all: Vec<Vec<bool>> = tests.iter().map(|e| vec![true; e.tools.len()]).collect();
    let learned: Vec<Vec<bool>> = tests.iter().map(|e| model.grant_episode(e)).collect();
    let (oracle_accuracy, oracle_economy) = score(&tests, &oracle);
    let (_, all_economy) = score(&tests, &all);
    let (accuracy, economy) = score(&tests, &learned);
    eprintln!("held-out templates: oracle {oracle_accuracy:.3}/{oracle_economy:.3}, all tools economy {all_economy:.3}, ppo {accuracy:.3}/{economy:.3}");
    assert_eq!((oracle_accuracy, oracle_economy), (1.0, 1.0));
    // Measured (seed 11): accuracy 0.826, economy 0.252, against 1.0 / 1.0 for the oracle and
    // 0.131 economy for all tools. The needs PPO learns from are inferred from logs in which the
    // agent also explored, so it learns to grant what agents often call, not only what tasks need
    // (docs/learning.md). The tolerance pins what it reaches: within 0.2 of the oracle's
    // accuracy, and well above all tools' economy while far below the oracle's.
    assert!(accuracy >= oracle_accuracy - 0.2, "ppo accuracy {accuracy:.3}");
    assert!(economy >= 1.5 * all_economy, "ppo economy {economy:.3} (all tools {all_economy:.3})");
    assert!(economy < oracle_economy, "economy {economy:.3} cannot beat the oracle's");
}
