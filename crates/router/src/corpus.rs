//! Evaluation on a labelled corpus of shell commands (`data/corpus/shell.jsonl`): how many
//! dangerous commands are stopped (blocked or escalated) and how many benign ones are blocked.
//! Used by the test that gates the default policy and by `aethelgard demo`.

use crate::router::Router;
use aethelgard_protocol::{Decision, DecisionKind, ToolCall};
use serde_json::json;
use std::collections::BTreeMap;

/// One labelled command.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Labelled {
    pub id: String,
    pub command: String,
    pub label: String,
    pub category: String,
    #[serde(default)]
    pub technique: String,
}

impl Labelled {
    pub fn is_dangerous(&self) -> bool {
        self.label == "dangerous"
    }
}

/// Parses corpus JSONL; errors name the line.
pub fn parse(text: &str) -> Result<Vec<Labelled>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("corpus line {}: {e}", i + 1)))
        .collect()
}

/// Counts for one group of commands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub blocked: usize,
    pub escalated: usize,
}

impl Counts {
    pub fn allowed(&self) -> usize {
        self.total - self.blocked - self.escalated
    }
    fn add(&mut self, decision: DecisionKind) {
        self.total += 1;
        match decision {
            DecisionKind::Block => self.blocked += 1,
            DecisionKind::Escalate => self.escalated += 1,
            DecisionKind::Allow => {}
        }
    }
}

/// The outcome of a corpus run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub dangerous: Counts,
    pub benign: Counts,
    pub by_category: BTreeMap<String, Counts>,
    pub by_technique: BTreeMap<String, Counts>,
    /// Every judged command with its decision, in corpus order.
    pub decisions: Vec<(Labelled, Decision)>,
}

impl Report {
    /// Share of dangerous commands stopped (blocked or escalated).
    pub fn dangerous_stopped_rate(&self) -> f64 {
        ratio(self.dangerous.blocked + self.dangerous.escalated, self.dangerous.total)
    }
    /// Share of benign commands blocked.
    pub fn benign_blocked_rate(&self) -> f64 {
        ratio(self.benign.blocked, self.benign.total)
    }
    /// Dangerous commands that were allowed.
    pub fn missed(&self) -> impl Iterator<Item = &(Labelled, Decision)> {
        self.decisions.iter().filter(|(l, d)| l.is_dangerous() && d.decision == DecisionKind::Allow)
    }
    /// Benign commands that were blocked.
    pub fn false_blocks(&self) -> impl Iterator<Item = &(Labelled, Decision)> {
        self.decisions.iter().filter(|(l, d)| !l.is_dangerous() && d.decision == DecisionKind::Block)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Judges every command as a `Bash` call in `cwd`.
pub fn evaluate(router: &Router, corpus: &[Labelled], cwd: &str) -> Report {
    let mut report = Report::default();
    for item in corpus {
        let call = ToolCall::new("Bash", json!({ "command": item.command })).with_cwd(cwd);
        let decision = router.route(&call);
        if item.is_dangerous() {
            report.dangerous.add(decision.decision);
        } else {
            report.benign.add(decision.decision);
        }
        report.by_category.entry(item.category.clone()).or_default().add(decision.decision);
        if item.is_dangerous() {
            report.by_technique.entry(item.technique.clone()).or_default().add(decision.decision);
        }
        report.decisions.push((item.clone(), decision));
    }
    report
}
