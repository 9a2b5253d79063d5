#![allow(clippy::indexing_slicing)]

use super::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-5
}

#[test]
fn softplus_is_ln_one_plus_exp_and_does_not_overflow() {
    assert!(close(softplus(0.0), std::f64::consts::LN_2));
    assert!(close(softplus(1.0), (1.0 + 1.0f64.exp()).ln()));
    assert!(close(softplus(800.0), 800.0));
    assert!(softplus(-800.0) >= 0.0 && softplus(-800.0) < 1e-300);
}

#[test]
fn bernoulli_log_prob_matches_hand_computed_values() {
    // Logit 0 is p = 0.5 either way.
    assert!(close(
        bernoulli_log_prob(0.0, true),
        -std::f64::consts::LN_2
    ));
    assert!(close(
        bernoulli_log_prob(0.0, false),
        -std::f64::consts::LN_2
    ));
    // Logit ln 3 is p = 0.75.
    let logit = 3.0f64.ln();
    assert!(close(bernoulli_log_prob(logit, true), 0.75f64.ln()));
    assert!(close(bernoulli_log_prob(logit, false), 0.25f64.ln()));
    // A confident policy that withheld: about −50, never −∞.
    assert!(close(bernoulli_log_prob(50.0, false), -50.0));
    assert!(bernoulli_log_prob(50.0, true).abs() < 1e-15);
}

#[test]
fn bernoulli_entropy_matches_hand_computed_values() {
    assert!(close(bernoulli_entropy(0.0), std::f64::consts::LN_2));
    // p = 0.75: −0.75 ln 0.75 − 0.25 ln 0.25.
    assert!(close(bernoulli_entropy(3.0f64.ln()), 0.562_335_144));
    assert!(close(bernoulli_entropy(-(3.0f64.ln())), 0.562_335_144));
    assert!(bernoulli_entropy(60.0).abs() < 1e-20);
    assert!(bernoulli_entropy(-60.0).is_finite());
}

#[test]
fn advantages_are_reward_minus_value_normalised_over_the_batch() {
    // Raw advantages 1, 2, 2, 4: mean 2.25, spread sqrt(1.1875).
    let advantages = normalised_advantages(&[1.0, 2.0, 3.0, 6.0], &[0.0, 0.0, 1.0, 2.0]);
    let expected = [-1.147_079_3, -0.229_415_9, -0.229_415_9, 1.605_911_1];
    assert_eq!(advantages.len(), 4);
    for (got, want) in advantages.iter().zip(expected) {
        assert!(close(*got, want), "{got} vs {want}");
    }
    assert!(close(advantages.iter().sum::<f64>(), 0.0));
}

#[test]
fn equal_advantages_and_empty_batches_give_zeros() {
    assert_eq!(
        normalised_advantages(&[1.0, 2.0], &[0.5, 1.5]),
        vec![0.0, 0.0]
    );
    assert_eq!(normalised_advantages(&[0.7], &[0.1]), vec![0.0]);
    assert!(normalised_advantages(&[], &[]).is_empty());
}

#[test]
fn clipped_surrogate_matches_hand_computed_values() {
    // Positive advantage: no gain past 1 + ε, the full loss below 1 − ε.
    assert!(close(clipped_surrogate(1.5, 2.0, 0.2), 2.4));
    assert!(close(clipped_surrogate(0.5, 2.0, 0.2), 1.0));
    assert!(close(clipped_surrogate(1.1, 2.0, 0.2), 2.2));
    // Negative advantage: no gain below 1 − ε, the full loss above 1 + ε.
    assert!(close(clipped_surrogate(1.5, -2.0, 0.2), -3.0));
    assert!(close(clipped_surrogate(0.5, -2.0, 0.2), -1.6));
    assert!(close(clipped_surrogate(1.0, -2.0, 0.2), -2.0));
}

fn tensor(values: &[f64]) -> Result<Tensor, LearnError> {
    let values: Vec<f32> = values.iter().map(|v| *v as f32).collect();
    Ok(Tensor::from_vec(
        values.clone(),
        values.len(),
        &Device::Cpu,
    )?)
}

fn assert_all_close(tensor: &Tensor, expected: &[f64]) -> Result<(), LearnError> {
    let got: Vec<f32> = tensor.to_vec1()?;
    assert_eq!(got.len(), expected.len());
    for (got, want) in got.iter().zip(expected) {
        assert!((f64::from(*got) - want).abs() < 1e-4, "{got} vs {want}");
    }
    Ok(())
}

#[test]
fn the_tensor_twins_agree_with_the_pure_functions() -> Result<(), LearnError> {
    let logits = [-30.0, -2.0, -0.5, 0.0, 0.7, 3.0, 30.0];
    let granted = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
    let logits_tensor = tensor(&logits)?;
    let softplus_expected: Vec<f64> = logits.iter().map(|l| softplus(*l)).collect();
    assert_all_close(&softplus_tensor(&logits_tensor)?, &softplus_expected)?;
    let log_prob_expected: Vec<f64> = logits
        .iter()
        .zip(granted)
        .map(|(l, g)| bernoulli_log_prob(*l, g > 0.5))
        .collect();
    assert_all_close(
        &log_prob_tensor(&logits_tensor, &tensor(&granted)?)?,
        &log_prob_expected,
    )?;
    let entropy_expected: Vec<f64> = logits.iter().map(|l| bernoulli_entropy(*l)).collect();
    assert_all_close(&entropy_tensor(&logits_tensor)?, &entropy_expected)?;
    let ratios = [0.5, 0.9, 1.0, 1.1, 1.5, 2.0];
    let advantages = [1.0, -1.0, 2.0, -0.5, 1.5, -3.0];
    let surrogate_expected: Vec<f64> = ratios
        .iter()
        .zip(advantages)
        .map(|(r, a)| clipped_surrogate(*r, a, 0.2))
        .collect();
    assert_all_close(
        &clipped_surrogate_tensor(&tensor(&ratios)?, &tensor(&advantages)?, 0.2)?,
        &surrogate_expected,
    )?;
    Ok(())
}

#[test]
fn gather_ranges_copies_the_pairs_of_the_chosen_episodes_in_order() {
    let values = [10, 11, 20, 30, 31, 32];
    let offsets = [0, 2, 3, 3, 6];
    assert_eq!(
        gather_ranges(&values, &offsets, &[3, 0, 2]),
        vec![30, 31, 32, 10, 11]
    );
    assert!(gather_ranges(&values, &offsets, &[2]).is_empty());
}

#[test]
fn configs_are_validated() {
    assert!(PpoConfig::default().validate().is_ok());
    assert!(
        PpoConfig {
            clip: 0.0,
            ..PpoConfig::default()
        }
        .validate()
        .is_err()
    );
    assert!(
        PpoConfig {
            minibatch: 0,
            ..PpoConfig::default()
        }
        .validate()
        .is_err()
    );
    assert!(matches!(
        train_ppo(&[], &PpoConfig::default(), &mut |_| {}),
        Err(LearnError::Empty(_))
    ));
}

#[test]
fn the_config_reads_from_toml_with_defaults_for_what_is_left_out() -> Result<(), toml::de::Error> {
    let config: PpoConfig = toml::from_str(
        "updates = 5\nseed = 3\n[reward]\naccuracy = 2.0\neconomy = 1.0\nsafety = 0.0\n",
    )?;
    assert_eq!(config.updates, 5);
    assert_eq!(config.seed, 3);
    assert_eq!(config.reward.accuracy, 2.0);
    assert_eq!(config.clip, 0.2);
    Ok(())
}

#[test]
fn per_tool_advantages_credit_each_decision_with_its_own_effect() {
    use crate::episode::ToolSpec;
    use aethelgard_protocol::RiskTag;
    let tools = vec![
        ToolSpec::new("read", "Reads a file.", vec![RiskTag::Read]),
        ToolSpec::new("exec", "Runs a shell command.", vec![RiskTag::Exec]),
    ];
    let mut episode = Episode::new("e", "summarise the file", tools);
    episode.needed = vec![true, false];
    let weights = RewardWeights::default();
    // Granting read and withholding exec scores 1 + 0.5 + 0.5 = 2. Withholding read too scores
    // 0 + 0 + 0.5 (so read's grant is worth 1.5); granting exec too scores 1 + 0.25 + 0 (so
    // exec's grant is worth −0.75).
    let half = per_tool_advantages(&episode, &[true, false], &[0.5, 0.5], &weights);
    assert!(
        close(half[0], 0.5 * 1.5) && close(half[1], 0.5 * 0.75),
        "{half:?}"
    );
    // Granted: (1 − p)·Δ; withheld: −p·Δ.
    let skewed = per_tool_advantages(&episode, &[true, false], &[0.9, 0.2], &weights);
    assert!(
        close(skewed[0], 0.1 * 1.5) && close(skewed[1], 0.2 * 0.75),
        "{skewed:?}"
    );
    // A bad grant: exec granted, read withheld: both decisions get negative credit.
    let bad = per_tool_advantages(&episode, &[false, true], &[0.5, 0.5], &weights);
    assert!(bad[0] < 0.0 && bad[1] < 0.0, "{bad:?}");
}
