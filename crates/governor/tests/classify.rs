//! Task classification: the rules on clear requests, both classifiers on garbage, training that
//! is deterministic, model files that round-trip and fail cleanly, and the figure that justifies
//! the trained model: it beats the rules on held-out requests it never saw.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_governor::classify::eval::{self, Evaluation, Example};
use aethelgard_governor::classify::linear::{LinearClassifier, TrainConfig};
use aethelgard_governor::classify::rules::RuleClassifier;
use aethelgard_governor::classify::{self, Classifier, Method};
use aethelgard_governor::{GovernorError, tasks};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const TRAIN: &str = include_str!("../../../data/tasks/prompts/train.jsonl");
const HELDOUT: &str = include_str!("../../../data/tasks/prompts/heldout.jsonl");
const SHIPPED: &str = include_str!("../../../data/tasks/classifier.json");

fn examples(jsonl: &str) -> Vec<Example> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            Example::new(v["task"].as_str().unwrap(), v["task_type"].as_str().unwrap())
        })
        .collect()
}

fn pairs(examples: &[Example]) -> Vec<(&str, &str)> {
    examples.iter().map(|e| (e.request.as_str(), e.task_type.as_str())).collect()
}

/// The model `aethelgard learn classifier --sessions data/tasks/prompts/train.jsonl` trains,
/// trained once for the tests that need it (about 15 s in a debug build).
fn trained() -> &'static LinearClassifier {
    static MODEL: OnceLock<LinearClassifier> = OnceLock::new();
    MODEL.get_or_init(|| LinearClassifier::train(&pairs(&examples(TRAIN)), &TrainConfig::default()))
}

/// A quick configuration for the tests about mechanics rather than accuracy.
fn quick() -> TrainConfig {
    TrainConfig { epochs: 3, calibration_folds: 2, max_weights: 5_000, ..TrainConfig::default() }
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("classify-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn the_rules_classify_clear_requests() {
    let rules = RuleClassifier::builtin();
    let mut clear: Vec<(String, &str)> = Vec::new();
    // The examples that come with each type's description.
    for task_type in tasks::builtin() {
        for example in &task_type.examples {
            clear.push((example.clone(), task_type.id.as_str()));
        }
    }
    for (request, task_type) in [
        ("Please summarize CONTRIBUTING.md for me", "summarise"),
        ("Run cargo test and tell me what fails", "test"),
        ("Refactor the parser without changing its behaviour", "refactor"),
        ("Deploy the api to production", "deploy"),
        ("Pay the invoice from Acme", "pay"),
        ("Remind me tomorrow at 9am to call Lena", "schedule"),
        ("Email Priya the slides", "communicate"),
        ("Install Docker on the build server", "admin"),
        ("Plot revenue by month from sales.csv", "data"),
        ("hello!", "unknown"),
    ] {
        clear.push((request.to_owned(), task_type));
    }
    for (request, task_type) in &clear {
        let c = rules.classify(request);
        assert_eq!(c.task_type, *task_type, "{request:?}: {c:?}");
        assert_eq!(c.method, Method::Rules);
        assert!(c.confidence > 0.0 && c.confidence <= 1.0, "{request:?}: {c:?}");
    }
}

#[test]
fn garbage_gives_a_valid_answer_and_never_panics() {
    let model = LinearClassifier::from_json(SHIPPED, "data/tasks/classifier.json").unwrap();
    let rules = RuleClassifier::builtin();
    let huge = "deploy ".repeat(200_000);
    let one_word = "x".repeat(1_000_000);
    let lossy = String::from_utf8_lossy(&[0xff, 0xfe, 0x00, b'p', b'a', b'y', 0xc3, 0x28, 0xed, 0xa0, 0x80]).into_owned();
    let inputs: Vec<&str> = vec![
        "", " ", "\n\t\r", "\0\0\0", "???!!!", "🙂🙂🙂", "ℌ𝔢𝔩𝔩𝔬", "\u{202e}evil\u{202c}", "'''", "$ € £", "12345 678",
        "a", "日本語のテキストを要約して", "\u{feff}summarise", &huge, &one_word, &lossy,
    ];
    let known: Vec<&str> = tasks::ids().collect();
    for classifier in [&rules as &dyn Classifier, &model as &dyn Classifier] {
        for input in &inputs {
            let c = classifier.classify(input);
            assert!(known.contains(&c.task_type.as_str()), "{:?}: {c:?}", input.chars().take(20).collect::<String>());
            assert!(c.confidence.is_finite() && (0.0..=1.0).contains(&c.confidence), "{c:?}");
        }
        for empty in ["", "   ", "?!", "🙂"] {
            assert_eq!(classifier.classify(empty).task_type, tasks::UNKNOWN, "{empty:?}");
        }
    }
}

#[test]
fn training_is_deterministic_given_a_seed() {
    let train = examples(TRAIN);
    let subset = pairs(&train[..300]);
    let a = LinearClassifier::train(&subset, &quick());
    let b = LinearClassifier::train(&subset, &quick());
    assert_eq!(a.to_json(), b.to_json());
    let other = LinearClassifier::train(&subset, &TrainConfig { seed: 8, ..quick() });
    assert_ne!(a.to_json(), other.to_json(), "a different seed visits the examples in another order");
}

#[test]
fn a_saved_model_loads_and_predicts_identically() {
    let train = examples(TRAIN);
    let model = LinearClassifier::train(&pairs(&train[..400]), &quick());
    let path = scratch("round-trip.json");
    model.save(&path).unwrap();
    let loaded = LinearClassifier::load(&path).unwrap();
    assert_eq!(loaded, model);
    let through_trait = classify::load_model(&path).unwrap();
    for example in examples(HELDOUT) {
        let (a, b) = (model.classify(&example.request), loaded.classify(&example.request));
        assert_eq!(a.task_type, b.task_type);
        assert_eq!(a.confidence.to_bits(), b.confidence.to_bits(), "{}", example.request);
        assert_eq!(through_trait.classify(&example.request), a);
    }
}

#[test]
fn a_corrupt_model_file_is_a_clean_error_naming_the_file() {
    let good: serde_json::Value = serde_json::from_str(SHIPPED).unwrap();
    let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value = good.clone();
        edit(&mut value);
        value.to_string()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty", String::new(), "not a task classifier model"),
        ("truncated", SHIPPED[..SHIPPED.len() / 2].to_owned(), "not a task classifier model"),
        ("policy", "[governor]\nmin_confidence = 0.35\n".to_owned(), "not a task classifier model"),
        ("version", edited(&|v| v["version"] = 99.into()), "version 99"),
        ("model", edited(&|v| v["model"] = "forest".into()), "`forest`"),
        ("no-labels", edited(&|v| v["labels"] = serde_json::json!([])), "no labels"),
        ("twice", edited(&|v| v["labels"][1] = "admin".into()), "listed twice"),
        ("bias", edited(&|v| v["bias"] = serde_json::json!([1, 2])), "`bias` has 2 values"),
        ("buckets", edited(&|v| v["features"]["buckets"] = 0.into()), "buckets = 0"),
        ("range", edited(&|v| v["weights"]["admin"]["buckets"][0] = 10_000_000.into()), "reaches past"),
        ("gap", edited(&|v| v["weights"]["admin"]["buckets"][1] = 0.into()), "bucket twice"),
        ("length", edited(&|v| v["weights"]["admin"]["values"] = serde_json::json!([1])), "values"),
        ("huge", edited(&|v| v["weights"]["admin"]["values"][0] = 1e12.into()), "not a task classifier model"),
        ("big", edited(&|v| v["weights"]["admin"]["values"][0] = 9_000_000_000_i64.into()), "too large"),
        ("label", edited(&|v| v["weights"]["nobody"] = serde_json::json!({"buckets": [], "values": []})), "`nobody`"),
        ("temperature", edited(&|v| v["temperature"] = (-1.0).into()), "temperature"),
        ("unknown-field", edited(&|v| v["extra"] = true.into()), "not a task classifier model"),
    ];
    for (name, text, expected) in cases {
        let path = scratch(&format!("corrupt-{name}.json"));
        std::fs::write(&path, &text).unwrap();
        let error = match LinearClassifier::load(&path) {
            Ok(_) => panic!("{name}: loaded"),
            Err(error) => error,
        };
        let message = error.to_string();
        assert!(matches!(error, GovernorError::Invalid { .. }), "{name}: {message}");
        assert!(message.contains(&path.display().to_string()), "{name}: {message}");
        assert!(message.contains(expected), "{name}: {message}");
        assert!(classify::load_model(&path).is_err());
    }
    let missing = scratch("no-such-model.json");
    let _ = std::fs::remove_file(&missing);
    let error = LinearClassifier::load(&missing).err().unwrap();
    assert!(matches!(error, GovernorError::Read { .. }) && error.to_string().contains("no-such-model.json"), "{error}");
}

#[test]
fn the_shipped_model_is_what_training_on_the_training_prompts_gives() {
    assert_eq!(trained().to_json(), SHIPPED, "retrain: aethelgard learn classifier --sessions data/tasks/prompts/train.jsonl --out data/tasks/classifier.json");
}

#[test]
fn the_trained_model_beats_the_rules_on_held_out_requests() {
    let heldout = examples(HELDOUT);
    let train = examples(TRAIN);
    let seen: std::collections::HashSet<&str> = train.iter().map(|e| e.request.as_str()).collect();
    assert!(heldout.iter().all(|e| !seen.contains(e.request.as_str())), "a held-out request is in the training set");
    assert!(heldout.len() >= 150);
    for task_type in tasks::ids() {
        assert!(heldout.iter().filter(|e| e.task_type == task_type).count() >= 10, "{task_type}");
        assert!(train.iter().filter(|e| e.task_type == task_type).count() >= 20, "{task_type}");
    }
    let rules = Evaluation::of(&eval::predict(&RuleClassifier::builtin(), &heldout), 0.0);
    let model = Evaluation::of(&eval::predict(trained(), &heldout), 0.0);
    assert!(model.accuracy > rules.accuracy, "trained {:.3} vs rules {:.3}", model.accuracy, rules.accuracy);
    assert!(model.macro_f1 > rules.macro_f1, "trained {:.3} vs rules {:.3}", model.macro_f1, rules.macro_f1);
    // Pinned so a change that moves the documented figures (docs/classification.md) is seen.
    assert_eq!((rules.correct, model.correct, heldout.len()), (170, 184, 210), "rules {rules:?}\nmodel {model:?}");
    let governed = |predictions: &[eval::Prediction]| Evaluation::of(predictions, 0.35).correct;
    assert_eq!(governed(&eval::predict(&RuleClassifier::builtin(), &heldout)), 144);
    assert_eq!(governed(&eval::predict(trained(), &heldout)), 184);
}
