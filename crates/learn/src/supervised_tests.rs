use super::*;

fn episodes() -> Vec<Episode> {
    let tools = crate::model::tests::tools();
    let mut all = Vec::new();
    for (i, (task, needed)) in [
        ("summarise the report file", [true, false, false]),
        ("email the team an update", [false, true, false]),
    ]
    .iter()
    .cycle()
    .take(64)
    .enumerate()
    {
        let mut episode = Episode::new(format!("e{i}"), *task, tools.clone());
        episode.needed = needed.to_vec();
        all.push(episode);
    }
    all
}

#[test]
fn learns_two_task_kinds_and_reports_a_curve() -> Result<(), LearnError> {
    let config = SupervisedConfig {
        epochs: 30,
        minibatch: 16,
        learning_rate: 1e-2,
        ..SupervisedConfig::default()
    };
    let mut calls = 0;
    let (model, curve) = train_supervised(&episodes(), &config, &mut |_| calls += 1)?;
    assert_eq!(calls, 30);
    assert_eq!(curve.len(), 30);
    let (first, last) = (
        curve.first().map_or(0.0, |s| s.loss),
        curve.last().map_or(0.0, |s| s.loss),
    );
    assert!(last < first / 2.0, "loss {first} → {last}");
    let examples = episodes();
    for episode in examples.iter().take(2) {
        assert_eq!(
            crate::episode::ExposurePolicy::grant_episode(&model, episode),
            episode.needed
        );
    }
    Ok(())
}

#[test]
fn configs_are_validated() {
    assert!(SupervisedConfig::default().validate().is_ok());
    assert!(
        SupervisedConfig {
            positive_weight: 0.0,
            ..SupervisedConfig::default()
        }
        .validate()
        .is_err()
    );
    assert!(matches!(
        train_supervised(&[], &SupervisedConfig::default(), &mut |_| {}),
        Err(LearnError::Empty(_))
    ));
}
