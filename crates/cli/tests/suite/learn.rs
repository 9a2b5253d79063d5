//! `aethelgard learn classifier`: training on sessions, measuring on others, and a policy that
//! puts the trained model to work in `scope`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use super::aethelgard;

fn folder(name: &str) -> PathBuf {
    super::scratch("learn-tests", name)
}

fn session(id: &str, task: &str, task_type: Option<&str>) -> String {
    let mut record = serde_json::json!({"session": id, "task": task, "tools": [], "calls": [], "success": null});
    if let Some(task_type) = task_type {
        record["task_type"] = task_type.into();
    }
    format!("{record}\n")
}

/// A few labelled requests of three types, and one session without a label.
fn small_sessions(dir: &Path) -> (PathBuf, PathBuf) {
    let train: String = [
        ("Deploy the api to production", "deploy"),
        ("Ship the release to prod", "deploy"),
        ("Roll out version 2 to staging", "deploy"),
        ("Publish the package to npm", "deploy"),
        ("Pay the electricity invoice", "pay"),
        ("Transfer 50 euros to Sam", "pay"),
        ("Buy the domain for the project", "pay"),
        ("Settle the hosting bill", "pay"),
        ("Email Dana the notes", "communicate"),
        ("Send a Slack message to the team", "communicate"),
        ("Reply to Mark's email", "communicate"),
        ("Post the announcement in #general", "communicate"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (task, task_type))| session(&format!("t{i}"), task, Some(task_type)))
    .chain([session("no-label", "do something", None)])
    .collect();
    let heldout: String = [("Deploy the worker to prod", "deploy"), ("Pay the water bill", "pay"), ("Email Sam the slides", "communicate")]
        .iter()
        .enumerate()
        .map(|(i, (task, task_type))| session(&format!("h{i}"), task, Some(task_type)))
        .collect();
    let (train_path, heldout_path) = (dir.join("train.jsonl"), dir.join("heldout.jsonl"));
    std::fs::write(&train_path, train).unwrap();
    std::fs::write(&heldout_path, heldout).unwrap();
    (train_path, heldout_path)
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn learn_without_a_subcommand_says_which_exists() {
    let output = aethelgard(&["learn"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("aethelgard learn classifier"), "{}", text(&output));
}

#[test]
fn a_classifier_is_trained_written_and_compared_with_the_rules() {
    let dir = folder("train-and-eval");
    let (train, heldout) = small_sessions(&dir);
    let model = dir.join("model.json");
    let output = aethelgard(&[
        "learn", "classifier", "--sessions", train.to_str().unwrap(), "--eval", heldout.to_str().unwrap(), "--out",
        model.to_str().unwrap(),
    ]);
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("12 labelled requests, 3 task types (1 sessions without a task_type skipped)"), "{out}");
    assert!(out.contains("trained in"), "{out}");
    assert!(out.contains("3 labelled requests"), "{out}");
    for expected in ["rules ", "trained ", "macro-F1", "rules: confusion matrix", "trained: confusion matrix", "communicate"] {
        assert!(out.contains(expected), "{expected} missing: {out}");
    }
    let loaded = aethelgard_governor::classify::linear::LinearClassifier::load(&model).unwrap();
    assert_eq!(loaded.labels(), ["communicate", "deploy", "pay"]);
}

#[test]
fn json_output_carries_both_evaluations_and_the_cross_validation() {
    let dir = folder("json");
    let (train, heldout) = small_sessions(&dir);
    let model = dir.join("model.json");
    let output = aethelgard(&[
        "learn", "classifier", "--sessions", train.to_str().unwrap(), "--eval", heldout.to_str().unwrap(), "--out",
        model.to_str().unwrap(), "--json", "--cv", "2", "--seed", "3",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["training"]["examples"], 12);
    assert_eq!(report["training"]["skipped"], 1);
    assert_eq!(report["model"]["config"]["seed"], 3);
    assert_eq!(report["eval"]["sessions"]["examples"], 3);
    assert_eq!(report["eval"]["also_in_training"], 0);
    for classifier in ["rules", "trained"] {
        let scores = &report["eval"][classifier];
        assert!(scores["accuracy"].as_f64().unwrap() <= 1.0);
        assert!(scores["macro_f1"].is_number() && scores["raw_accuracy"].is_number());
        let rows = scores["confusion"].as_array().unwrap();
        assert_eq!(rows.len(), scores["labels"].as_array().unwrap().len());
    }
    assert_eq!(report["cross_validation"]["folds"], 2);
    assert_eq!(report["cross_validation"]["trained"].as_array().unwrap().len(), 19);
}

#[test]
fn a_held_out_file_that_repeats_training_requests_is_flagged() {
    let dir = folder("overlap");
    let (train, _) = small_sessions(&dir);
    let model = dir.join("model.json");
    let output = aethelgard(&[
        "learn", "classifier", "--sessions", train.to_str().unwrap(), "--eval", train.to_str().unwrap(), "--out",
        model.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("12 of these requests also occur in the training sessions"), "{}", text(&output));
}

#[test]
fn a_malformed_session_line_names_the_file_and_the_line() {
    let dir = folder("malformed");
    let path = dir.join("sessions.jsonl");
    std::fs::write(&path, format!("{}{{not json\n{}", session("a", "Pay the bill", Some("pay")), session("b", "Deploy", Some("deploy"))))
        .unwrap();
    let output = aethelgard(&["learn", "classifier", "--sessions", path.to_str().unwrap(), "--out", dir.join("m.json").to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sessions.jsonl") && stderr.contains("line 2"), "{stderr}");
    assert!(!dir.join("m.json").exists());
}

#[test]
fn sessions_without_labels_are_not_enough_to_learn_from() {
    let dir = folder("unlabelled");
    let path = dir.join("sessions.jsonl");
    std::fs::write(&path, session("a", "Pay the bill", None)).unwrap();
    let output = aethelgard(&["learn", "classifier", "--sessions", path.to_str().unwrap(), "--out", dir.join("m.json").to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no session has a `task_type`"), "{}", text(&output));
}

#[test]
fn a_policy_that_names_the_shipped_model_scopes_with_it() {
    let dir = folder("policy");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/tasks/classifier.json");
    std::fs::copy(&shipped, dir.join("classifier.json")).unwrap();
    let default = String::from_utf8(aethelgard(&["policy", "default"]).stdout).unwrap();
    assert!(default.contains("\n[governor]\n"));
    let policy = default.replacen("\n[governor]\n", "\n[governor]\nclassifier = \"classifier.json\"\n", 1);
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    let output = aethelgard(&["scope", "--policy", dir.join("policy.toml").to_str().unwrap(), "--task", "Roll the new build out to production"]);
    assert!(output.status.success(), "{}", text(&output));
    let manifest: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(manifest["method"], "model");
    assert_eq!(manifest["task_type"], "deploy");
}
