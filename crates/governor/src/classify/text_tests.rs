use super::*;

#[test]
fn words_lowercase_split_and_fold_digits() {
    assert_eq!(words("Don't SUMMARISE docs/design.md at 3pm, v1.8.0 $45"), [
        "dont", "summarise", "docs", "design", "md", "at", "0pm", "v0", "0", "0", "$", "0"
    ]);
    assert_eq!(words(""), Vec::<String>::new());
    assert_eq!(words("¿¡ ✓ — …"), Vec::<String>::new());
    assert_eq!(words("Ünïcödé ΣΑΣ"), ["ünïcödé", "σασ"]);
}

#[test]
fn spellings_and_inflections_meet() {
    for family in [
        &["summarise", "summarize", "summarised", "summarizing", "summarises"][..],
        &["test", "tests", "testing", "tested"],
        &["fix", "fixes", "fixed", "fixing"],
        &["deploy", "deploys", "deployed", "deploying"],
        &["query", "queries", "queried"],
        &["run", "running"],
        &["schedule", "scheduled", "scheduling", "schedules"],
    ] {
        let stems: Vec<String> = family.iter().map(|w| stem(w)).collect();
        assert!(stems.windows(2).all(|w| w.first() == w.last()), "{family:?} -> {stems:?}");
    }
    assert_eq!(stem("install"), "install");
    assert_eq!(stem("pass"), "pass");
}

#[test]
fn features_are_unit_length_sorted_and_stable() {
    let config = FeatureConfig::default();
    let features = features("Deploy the staging branch", &config);
    assert!(features.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)));
    let norm: f32 = features.iter().map(|(_, v)| v * v).sum();
    assert!((norm - 1.0).abs() < 1e-5);
    assert!(features.iter().all(|(b, _)| *b < config.buckets));
    // The hash is part of the model file format: a change here breaks every saved model.
    assert_eq!(bucket(b'w', &["deploy"], 1 << 18), 222_165);
    assert_ne!(bucket(b'w', &["deploy"], 1 << 18), bucket(b'c', &["deploy"], 1 << 18));
    assert!(super::features("", &config).is_empty());
}
