#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The stage 2 tool-call corpus (`data/corpus/calls.jsonl`, `calls_heldout.jsonl` (v1, seen since
//! round 2) and `calls_heldout_v2.jsonl`, made by `data/corpus/gen_calls.py`) keeps the promises its
//! README makes: every line parses, there are at least 2,000 calls, both labels appear in every
//! file, no two files share a template family, ids are unique, and every malicious call carries one
//! of the documented categories.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const TRAIN: &str = include_str!("../../../data/corpus/calls.jsonl");
const HELDOUT: &str = include_str!("../../../data/corpus/calls_heldout.jsonl");
const HELDOUT_V2: &str = include_str!("../../../data/corpus/calls_heldout_v2.jsonl");

const CATEGORIES: [&str; 8] = [
    "exfiltration",
    "destruction",
    "credential_access",
    "persistence",
    "privilege_escalation",
    "spending",
    "injected_instruction",
    "fraud",
];
const RISK_TAGS: [&str; 9] = [
    "read",
    "write",
    "exec",
    "network",
    "credential",
    "spawn",
    "message",
    "payment",
    "destructive",
];

fn parse(name: &str, text: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{name} line {}: {e}", i + 1));
            check_line(name, i + 1, &v);
            v
        })
        .collect()
}

fn str_list(v: Option<&Value>) -> bool {
    match v {
        None => true,
        Some(Value::Array(items)) => {
            !items.is_empty()
                && items
                    .iter()
                    .all(|s| s.as_str().is_some_and(|s| !s.is_empty()))
        }
        Some(_) => false,
    }
}

fn check_line(name: &str, line: usize, v: &Value) {
    let at = format!("{name} line {line}");
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{at}: not an object"));
    for key in [
        "id",
        "request",
        "tool",
        "description",
        "category",
        "family",
        "label",
    ] {
        let s = obj.get(key).and_then(Value::as_str);
        assert!(
            s.is_some_and(|s| !s.is_empty()),
            "{at}: `{key}` must be a non-empty string"
        );
    }
    assert!(
        obj.get("args").is_some_and(Value::is_object),
        "{at}: `args` must be an object"
    );
    assert!(
        obj.get("hard").is_some_and(Value::is_boolean),
        "{at}: `hard` must be a bool"
    );
    assert!(
        str_list(obj.get("context")),
        "{at}: `context` must be a list of strings"
    );
    assert!(
        str_list(obj.get("untrusted")),
        "{at}: `untrusted` must be a list of strings"
    );
    let risk = obj["risk"]
        .as_array()
        .unwrap_or_else(|| panic!("{at}: `risk` must be a list"));
    assert!(!risk.is_empty(), "{at}: empty `risk`");
    for tag in risk {
        let tag = tag.as_str().unwrap_or_default();
        assert!(RISK_TAGS.contains(&tag), "{at}: unknown risk tag {tag:?}");
    }
    let category = obj["category"].as_str().unwrap();
    match obj["label"].as_str().unwrap() {
        "benign" => assert_eq!(
            category, "benign",
            "{at}: a benign call has category `benign`"
        ),
        "malicious" => {
            assert!(
                CATEGORIES.contains(&category),
                "{at}: unknown category {category:?}"
            );
        }
        other => panic!("{at}: unknown label {other:?}"),
    }
}

#[test]
fn calls_corpus_keeps_its_promises() {
    let train = parse("calls.jsonl", TRAIN);
    let heldout = parse("calls_heldout.jsonl", HELDOUT);
    let heldout_v2 = parse("calls_heldout_v2.jsonl", HELDOUT_V2);
    assert!(
        train.len() + heldout.len() >= 2000,
        "{} + {} calls",
        train.len(),
        heldout.len()
    );
    assert!(heldout_v2.len() >= 500, "{} v2 calls", heldout_v2.len());

    let mut ids = BTreeSet::new();
    for v in train.iter().chain(&heldout).chain(&heldout_v2) {
        let id = v["id"].as_str().unwrap();
        assert!(ids.insert(id.to_owned()), "duplicate id {id}");
    }

    let mut families: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (split, rows) in [
        ("train", &train),
        ("heldout", &heldout),
        ("heldout_v2", &heldout_v2),
    ] {
        let labels: BTreeMap<&str, usize> = rows.iter().fold(BTreeMap::new(), |mut m, v| {
            *m.entry(v["label"].as_str().unwrap()).or_default() += 1;
            m
        });
        let benign = labels.get("benign").copied().unwrap_or(0);
        let malicious = labels.get("malicious").copied().unwrap_or(0);
        assert!(
            benign > 0 && malicious > 0,
            "{split}: both labels must appear ({labels:?})"
        );
        let share = malicious as f64 / rows.len() as f64;
        assert!(
            (0.4..=0.6).contains(&share),
            "{split}: malicious share {share:.3}"
        );
        for category in CATEGORIES {
            assert!(
                rows.iter().any(|v| v["category"] == category),
                "{split}: no {category} calls"
            );
        }
        families.insert(
            split,
            rows.iter()
                .map(|v| v["family"].as_str().unwrap().to_owned())
                .collect(),
        );
    }
    for (a, b) in [
        ("train", "heldout"),
        ("train", "heldout_v2"),
        ("heldout", "heldout_v2"),
    ] {
        let shared: Vec<_> = families[a].intersection(&families[b]).collect();
        assert!(
            shared.is_empty(),
            "families in both {a} and {b}: {shared:?}"
        );
    }
}
