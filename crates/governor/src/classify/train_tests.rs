use super::*;

#[test]
fn softmax_sums_to_one_and_survives_extremes() {
    let mut scores = vec![1000.0, -1000.0, 0.0];
    softmax(&mut scores);
    assert!((scores.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(scores.iter().all(|p| p.is_finite()));
}

#[test]
fn shuffling_is_seeded() {
    let mut a: Vec<u32> = (0..50).collect();
    let mut b = a.clone();
    SplitMix64::new(3).shuffle(&mut a);
    SplitMix64::new(3).shuffle(&mut b);
    assert_eq!(a, b);
    let mut c: Vec<u32> = (0..50).collect();
    SplitMix64::new(4).shuffle(&mut c);
    assert_ne!(a, c);
}

#[test]
fn folds_are_stratified() {
    let keys: Vec<&str> = (0..30).map(|i| if i % 3 == 0 { "a" } else { "b" }).collect();
    let fold_of = folds(&keys, 5, 1);
    for fold in 0..5 {
        let a = keys.iter().zip(&fold_of).filter(|(k, f)| **k == "a" && **f == fold).count();
        assert_eq!(a, 2, "fold {fold}");
    }
}

#[test]
fn a_sharper_model_gets_a_higher_temperature() {
    // Scores that are right but far apart: the likelihood prefers flattening them.
    let predictions: Vec<(Vec<f64>, usize)> = (0..20).map(|i| (vec![if i % 4 == 0 { 0.0 } else { 10.0 }, 5.0], 0)).collect();
    assert!(negative_log_likelihood(&predictions, 5.0) < negative_log_likelihood(&predictions, 0.5));
}
