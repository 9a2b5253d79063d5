#![allow(clippy::indexing_slicing)]

use super::*;
use aethelgard_protocol::RiskTag;

/// Three tools: a read, a mail sender, a shell (shared with the supervised tests).
pub(crate) fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec::new(
            "read",
            "Reads a file from the workspace.",
            vec![RiskTag::Read],
        ),
        ToolSpec::new(
            "mail",
            "Sends an email message.",
            vec![RiskTag::Message, RiskTag::Network],
        ),
        ToolSpec::new("exec", "Runs a shell command.", vec![RiskTag::Exec]),
    ]
}

fn small() -> ModelConfig {
    ModelConfig {
        features: FeatureConfig {
            task_dim: 256,
            tool_dim: 128,
            ..FeatureConfig::default()
        },
        ..ModelConfig::default()
    }
}

#[test]
fn a_fresh_model_starts_near_its_initial_probability_for_every_tool() -> Result<(), LearnError> {
    let model = ExposureModel::new(&small(), "test", 1)?;
    let probabilities = model.probabilities_for("summarise the report", &tools())?;
    assert_eq!(probabilities.len(), 3);
    assert!(
        probabilities.iter().all(|p| (0.1..0.3).contains(p)),
        "{probabilities:?}"
    );
    let undecided = ModelConfig {
        initial_probability: 0.5,
        ..small()
    };
    let probabilities =
        ExposureModel::new(&undecided, "test", 1)?.probabilities_for("summarise", &tools())?;
    assert!(
        probabilities.iter().all(|p| (0.4..0.6).contains(p)),
        "{probabilities:?}"
    );
    Ok(())
}

#[test]
fn the_same_seed_gives_the_same_model_and_another_seed_another() -> Result<(), LearnError> {
    let a = ExposureModel::new(&small(), "test", 1)?.probabilities_for("send mail", &tools())?;
    let b = ExposureModel::new(&small(), "test", 1)?.probabilities_for("send mail", &tools())?;
    let c = ExposureModel::new(&small(), "test", 2)?.probabilities_for("send mail", &tools())?;
    assert_eq!(a, b);
    assert_ne!(a, c);
    Ok(())
}

#[test]
fn batched_scores_equal_one_at_a_time_scores() -> Result<(), LearnError> {
    let model = ExposureModel::new(&small(), "test", 3)?;
    let mut second = Episode::new("b", "email the team", tools().into_iter().rev().collect());
    second.task_type = Some("mail".to_owned());
    let episodes = vec![
        Episode::new("a", "summarise the report", tools()),
        second,
        Episode::new("c", "", vec![]),
    ];
    let batched = model.batch_probabilities(&episodes)?;
    assert_eq!(batched.len(), 3);
    for (episode, batch) in episodes.iter().zip(&batched) {
        let single = model.probabilities(episode)?;
        assert_eq!(single.len(), batch.len());
        for (s, b) in single.iter().zip(batch) {
            assert!((s - b).abs() < 1e-6);
        }
    }
    Ok(())
}

#[test]
fn distinct_tools_are_encoded_once_by_meaning_not_name() {
    let config = small();
    let Ok(model) = ExposureModel::new(&config, "test", 0) else {
        return;
    };
    let episode = Episode::new("a", "task", tools());
    let encoded = model.encode(&[episode.clone(), episode.with_opaque_names()]);
    assert_eq!(encoded.len(), 2);
    assert_eq!(encoded.distinct_tools(), 3);
}

#[test]
fn zero_tools_and_empty_text_do_not_fail() -> Result<(), LearnError> {
    let model = ExposureModel::new(&small(), "test", 0)?;
    assert!(model.probabilities_for("", &[])?.is_empty());
    assert_eq!(model.probabilities_for("", &tools())?.len(), 3);
    assert!(model.grant("", None, &[]).is_empty());
    assert!(model.batch_probabilities(&[])?.is_empty());
    Ok(())
}

#[test]
fn the_learned_policy_holds_mean_scores_per_task_type() -> Result<(), LearnError> {
    let model = ExposureModel::new(&small(), "test", 0)?;
    let mut a = Episode::new("a", "summarise the report", tools());
    a.task_type = Some("summarise".to_owned());
    let mut b = Episode::new("b", "summarise the notes", tools());
    b.task_type = Some("summarise".to_owned());
    let untyped = Episode::new("c", "email", tools());
    let policy = model.to_learned_policy(&[a.clone(), b.clone(), untyped], "ppo")?;
    assert_eq!(policy.algo, "ppo");
    assert_eq!(policy.task_types.len(), 1);
    let scores = &policy.task_types["summarise"].scores;
    assert_eq!(scores.len(), 3);
    let (pa, pb) = (model.probabilities(&a)?, model.probabilities(&b)?);
    let mean_read = (pa[0] + pb[0]) / 2.0;
    assert!((scores["read"] - mean_read).abs() < 1e-4);
    let text = policy.to_toml();
    assert!(LearnedPolicy::parse(&text, "test").is_ok());
    Ok(())
}

#[test]
fn invalid_configs_are_refused() {
    assert!(
        ExposureModel::new(
            &ModelConfig {
                embedding: 0,
                ..ModelConfig::default()
            },
            "x",
            0
        )
        .is_err()
    );
    assert!(
        ExposureModel::new(
            &ModelConfig {
                threshold: 1.5,
                ..ModelConfig::default()
            },
            "x",
            0
        )
        .is_err()
    );
}
