use super::*;

#[test]
fn pruning_keeps_at_most_the_budget() {
    let config = TrainConfig { max_weights: 40, calibration_folds: 0, ..TrainConfig::default() };
    let model = LinearClassifier::train(&[("deploy to prod", "deploy"), ("pay the invoice", "pay")], &config);
    assert!(model.weight_count() <= 40);
    assert_eq!(model.labels(), ["deploy", "pay"]);
    assert!((model.temperature() - 1.0).abs() < f64::EPSILON);
}

#[test]
fn an_empty_training_set_answers_unknown() {
    let model = LinearClassifier::train::<&str, &str>(&[], &TrainConfig::default());
    assert_eq!(model.classify("deploy it").task_type, UNKNOWN);
}

#[test]
fn the_file_round_trips() -> Result<(), GovernorError> {
    let config = TrainConfig { calibration_folds: 0, ..TrainConfig::default() };
    let model = LinearClassifier::train(&[("deploy to prod", "deploy"), ("pay the invoice", "pay")], &config);
    let again = LinearClassifier::from_json(&model.to_json(), "test")?;
    assert_eq!(again, model);
    Ok(())
}
