//! The labelled call corpus (`data/corpus/calls.jsonl`) and what is measured on it: TPR and FPR
//! at the thresholds, ROC AUC, precision-recall points, and each category's share caught.

use super::{ModelError, Thresholds};
use crate::stage2::features::Subject;
use aethelgard_protocol::{DecisionKind, RiskTag, ToolCall};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One labelled call: a line of the corpus.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LabelledCall {
    pub id: String,
    /// The user's request the call serves.
    pub request: String,
    #[serde(default)]
    pub context: Vec<String>,
    #[serde(default)]
    pub untrusted: Vec<String>,
    pub tool: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub risk: Vec<RiskTag>,
    #[serde(default = "empty_object")]
    pub args: Value,
    /// `benign` or `malicious`.
    pub label: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub hard: bool,
    /// The template or scenario the call was written from; cross-validation folds keep a family
    /// together.
    #[serde(default)]
    pub family: String,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl LabelledCall {
    pub fn is_malicious(&self) -> bool {
        self.label == "malicious"
    }

    /// The call as the router would see it.
    pub fn call(&self) -> ToolCall {
        let mut call = ToolCall::new(self.tool.clone(), self.args.clone());
        call.task = Some(self.request.clone());
        call.context = (!self.context.is_empty()).then(|| self.context.clone());
        call.untrusted = (!self.untrusted.is_empty()).then(|| self.untrusted.clone());
        call
    }

    /// The features' subject for `call` (which must be [`LabelledCall::call`]'s).
    pub fn subject<'a>(&'a self, call: &'a ToolCall) -> Subject<'a> {
        Subject { call, description: &self.description, risk: &self.risk }
    }

    /// The family, or the id when the line names none.
    pub fn group(&self) -> &str {
        if self.family.is_empty() { &self.id } else { &self.family }
    }
}

/// Parses corpus JSONL (blank lines skipped); an error names the file and line.
pub fn parse_corpus(text: &str, origin: &str) -> Result<Vec<LabelledCall>, ModelError> {
    let mut calls = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let call: LabelledCall = serde_json::from_str(line)
            .map_err(|e| ModelError::Invalid { origin: origin.to_owned(), message: format!("line {}: {e}", n + 1) })?;
        if call.label != "benign" && call.label != "malicious" {
            return Err(ModelError::Invalid {
                origin: origin.to_owned(),
                message: format!("line {}: label `{}` must be `benign` or `malicious`", n + 1, call.label),
            });
        }
        calls.push(call);
    }
    Ok(calls)
}

/// One judged call.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub risk: f64,
    pub malicious: bool,
    pub category: String,
    pub hard: bool,
}

/// Counts and rates for a way of deciding.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rates {
    pub true_positives: usize,
    pub false_positives: usize,
    pub malicious: usize,
    pub benign: usize,
    pub tpr: f64,
    pub fpr: f64,
    pub precision: f64,
}

impl Rates {
    /// Counting a call as flagged when `flagged(risk)`.
    pub fn at(scored: &[Scored], flagged: impl Fn(f64) -> bool) -> Self {
        let mut rates = Self::default();
        for s in scored {
            let hit = flagged(s.risk);
            if s.malicious {
                rates.malicious += 1;
                rates.true_positives += usize::from(hit);
            } else {
                rates.benign += 1;
                rates.false_positives += usize::from(hit);
            }
        }
        rates.tpr = ratio(rates.true_positives, rates.malicious);
        rates.fpr = ratio(rates.false_positives, rates.benign);
        rates.precision = ratio(rates.true_positives, rates.true_positives + rates.false_positives);
        rates
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// One category's calls and what happened to them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CategoryResult {
    pub label: String,
    pub n: usize,
    pub blocked: usize,
    pub escalated: usize,
    pub allowed: usize,
}

/// A point of the precision-recall curve (block at or above `threshold`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub fpr: f64,
}

/// Everything measured on one labelled set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub n: usize,
    pub thresholds: Thresholds,
    /// Blocked counts as caught.
    pub block: Rates,
    /// Blocked or escalated counts as caught (and, for a benign call, as a false positive).
    pub block_or_escalate: Rates,
    pub roc_auc: f64,
    pub average_precision: f64,
    pub pr_curve: Vec<CurvePoint>,
    pub categories: BTreeMap<String, CategoryResult>,
    /// The hard cases alone (benign that look alarming, malicious that look routine).
    pub hard_block: Rates,
}

/// Measures risks against labels at `thresholds`.
pub fn evaluate(scored: &[Scored], thresholds: Thresholds) -> Evaluation {
    let mut categories: BTreeMap<String, CategoryResult> = BTreeMap::new();
    for s in scored {
        let entry = categories.entry(if s.category.is_empty() { "(none)".to_owned() } else { s.category.clone() }).or_default();
        entry.label = if s.malicious { "malicious".to_owned() } else { "benign".to_owned() };
        entry.n += 1;
        match thresholds.decide(s.risk) {
            DecisionKind::Block => entry.blocked += 1,
            DecisionKind::Escalate => entry.escalated += 1,
            DecisionKind::Allow => entry.allowed += 1,
        }
    }
    let hard: Vec<Scored> = scored.iter().filter(|s| s.hard).cloned().collect();
    let mut grid: Vec<f64> = (1..20).map(|i| f64::from(i) * 0.05).collect();
    grid.extend([0.01, 0.02, 0.98, 0.99, thresholds.lower, thresholds.upper]);
    grid.sort_by(f64::total_cmp);
    grid.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    let pr_curve = grid
        .iter()
        .map(|t| {
            let rates = Rates::at(scored, |r| r >= *t);
            CurvePoint { threshold: *t, precision: rates.precision, recall: rates.tpr, fpr: rates.fpr }
        })
        .collect();
    Evaluation {
        n: scored.len(),
        thresholds,
        block: Rates::at(scored, |r| r >= thresholds.upper),
        block_or_escalate: Rates::at(scored, |r| r >= thresholds.lower),
        roc_auc: roc_auc(scored),
        average_precision: average_precision(scored),
        pr_curve,
        categories,
        hard_block: Rates::at(&hard, |r| r >= thresholds.upper),
    }
}

/// The probability that a random malicious call outranks a random benign one (ties count half).
pub fn roc_auc(scored: &[Scored]) -> f64 {
    let mut sorted: Vec<&Scored> = scored.iter().collect();
    sorted.sort_by(|a, b| a.risk.total_cmp(&b.risk));
    let positives = scored.iter().filter(|s| s.malicious).count() as f64;
    let negatives = scored.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return 0.0;
    }
    // Mann-Whitney: the sum of positive ranks, tied scores sharing their mean rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let risk = sorted.get(i).map_or(0.0, |s| s.risk);
        let mut j = i;
        while sorted.get(j).is_some_and(|s| s.risk == risk) {
            j += 1;
        }
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += sorted.get(i..j).unwrap_or(&[]).iter().filter(|s| s.malicious).count() as f64 * mean_rank;
        i = j;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

/// The area under the precision-recall curve, as the mean precision at each malicious call.
pub fn average_precision(scored: &[Scored]) -> f64 {
    let mut sorted: Vec<&Scored> = scored.iter().collect();
    sorted.sort_by(|a, b| b.risk.total_cmp(&a.risk));
    let positives = scored.iter().filter(|s| s.malicious).count();
    if positives == 0 {
        return 0.0;
    }
    let (mut seen, mut hits, mut total) = (0usize, 0usize, 0.0);
    for s in sorted {
        seen += 1;
        if s.malicious {
            hits += 1;
            total += hits as f64 / seen as f64;
        }
    }
    total / positives as f64
}
