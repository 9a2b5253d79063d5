use super::*;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 1e-5
}

#[test]
fn the_hash_is_fnv1a_and_fixed() {
    // Reference values of 64-bit FNV-1a.
    assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(stable_hash(b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn words_are_lowercased_split_on_punctuation_and_stopwords_dropped() {
    assert_eq!(
        words("Please SEND an e-mail to Bob!"),
        vec!["send", "e", "mail", "bob"]
    );
    assert!(words("").is_empty());
    assert!(words("  ... ").is_empty());
}

#[test]
fn task_features_have_unit_length_sorted_unique_indices_and_stay_in_range() {
    let config = FeatureConfig::default();
    let features = task_features(
        "Summarise the quarterly report and summarise the notes",
        &config,
    );
    assert!(close(features.norm(), 1.0));
    assert!(
        features
            .indices
            .windows(2)
            .all(|pair| pair.first() < pair.get(1))
    );
    assert!(
        features
            .indices
            .iter()
            .all(|index| (*index as usize) < config.task_dim)
    );
}

#[test]
fn empty_text_gives_an_empty_vector() {
    let config = FeatureConfig::default();
    assert!(task_features("", &config).is_empty());
    assert!(task_features("the a of", &config).is_empty());
    let tool = ToolSpec::new("x", "", vec![]);
    assert!(tool_features(&tool, &config).is_empty());
}

#[test]
fn the_same_text_gives_the_same_features_and_case_does_not_matter() {
    let config = FeatureConfig::default();
    assert_eq!(
        task_features("Read the FILE", &config),
        task_features("read the file", &config)
    );
}

#[test]
fn spelling_variants_share_character_ngrams() {
    let config = FeatureConfig::default();
    let british = task_features("summarise", &config);
    let american = task_features("summarize", &config);
    let unrelated = task_features("transfer", &config);
    assert!(british.dot(&american) > 0.35, "{}", british.dot(&american));
    assert!(british.dot(&unrelated) < 0.2);
    let words_only = FeatureConfig {
        char_ngram: 0,
        ..FeatureConfig::default()
    };
    assert!(close(
        task_features("summarise", &words_only).dot(&task_features("summarize", &words_only)),
        0.0
    ));
}

#[test]
fn bigrams_can_be_turned_off() {
    let with = task_features(
        "send email",
        &FeatureConfig {
            char_ngram: 0,
            ..FeatureConfig::default()
        },
    );
    let without = task_features(
        "send email",
        &FeatureConfig {
            char_ngram: 0,
            bigrams: false,
            ..FeatureConfig::default()
        },
    );
    assert_eq!(with.len(), 3);
    assert_eq!(without.len(), 2);
    // Two words of weight 1, unit length.
    assert!(
        without
            .values
            .iter()
            .all(|value| close(*value, std::f32::consts::FRAC_1_SQRT_2))
    );
}

#[test]
fn tool_features_read_the_description_and_risk_never_the_name() {
    let config = FeatureConfig::default();
    let tool = ToolSpec::new(
        "send_email",
        "Sends an email.",
        vec![RiskTag::Message, RiskTag::Network],
    );
    let renamed = ToolSpec {
        name: "tool_7".to_owned(),
        ..tool.clone()
    };
    assert_eq!(
        tool_features(&tool, &config),
        tool_features(&renamed, &config)
    );
    let riskless = ToolSpec {
        risk: vec![],
        ..tool.clone()
    };
    assert_ne!(
        tool_features(&tool, &config),
        tool_features(&riskless, &config)
    );
    assert!(close(tool_features(&tool, &config).norm(), 1.0));
}

#[test]
fn risk_one_hot_follows_the_order_of_all_tags() {
    let one_hot = risk_one_hot(&[RiskTag::Exec, RiskTag::Destructive]);
    assert_eq!(one_hot, [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(risk_one_hot(&[]), [0.0; RISK_TAGS]);
}

#[test]
fn validation_rejects_zero_dimensions() {
    assert!(FeatureConfig::default().validate().is_ok());
    assert!(
        FeatureConfig {
            task_dim: 0,
            ..FeatureConfig::default()
        }
        .validate()
        .is_err()
    );
}

#[test]
fn sparse_dot_matches_a_dense_dot() {
    let a = SparseFeatures {
        indices: vec![1, 3, 7],
        values: vec![1.0, 2.0, 3.0],
    };
    let b = SparseFeatures {
        indices: vec![0, 3, 7, 9],
        values: vec![5.0, 4.0, -1.0, 2.0],
    };
    assert!(close(a.dot(&b), 2.0 * 4.0 - 3.0));
}
