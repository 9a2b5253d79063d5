use super::*;

fn prediction(actual: &str, predicted: &str, confidence: f64) -> Prediction {
    Prediction { actual: actual.to_owned(), predicted: predicted.to_owned(), confidence }
}

#[test]
fn accuracy_macro_f1_and_the_confusion_matrix() {
    let predictions = [
        prediction("deploy", "deploy", 0.9),
        prediction("deploy", "admin", 0.9),
        prediction("admin", "admin", 0.9),
        prediction("pay", "pay", 0.2),
    ];
    let raw = Evaluation::of(&predictions, 0.0);
    assert_eq!((raw.examples, raw.correct), (4, 3));
    assert_eq!(raw.labels, ["deploy", "pay", "admin"]);
    assert_eq!(raw.confusion, [[1, 0, 1], [0, 1, 0], [0, 0, 1]]);
    // deploy: P 1, R 0.5, F1 2/3; pay: 1; admin: P 0.5, R 1, F1 2/3.
    assert!((raw.macro_f1 - (2.0 / 3.0 + 1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    let governed = Evaluation::of(&predictions, 0.35);
    assert_eq!(governed.correct, 2);
    assert!(governed.labels.contains(&UNKNOWN.to_owned()));
    assert!(governed.confusion_table().contains("unkn"));
}

#[test]
fn cross_validation_predicts_every_example_once() {
    let examples: Vec<Example> = (0..12)
        .map(|i| if i % 2 == 0 { Example::new(format!("deploy build {i} to prod"), "deploy") } else { Example::new(format!("pay invoice {i}"), "pay") })
        .collect();
    let predictions = cross_validate(&examples, 3, &TrainConfig::default());
    assert_eq!(predictions.len(), 12);
    assert!(predictions.iter().zip(&examples).all(|(p, e)| p.actual == e.task_type));
    assert_eq!(calibration(&predictions).len(), 19);
}
