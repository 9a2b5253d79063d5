//! The feedback loop: policy changes proposed from what the audit store recorded, for a person to
//! accept. Nothing here changes a file on its own: [`suggest`] only reads, and [`apply`] edits the
//! text of a policy file for the suggestions a person accepted.
//!
//! Three kinds of suggestion, each with its evidence:
//! - **narrow**: a tool granted to a task type in at least `min_sessions` scoped sessions and never
//!   called in any of them. Accepting adds it to the profile's `deny`.
//! - **widen**: a tool a task type needed but was denied: the agent called it, the manifest
//!   blocked it (`manifest.not-granted`) and the session failed; or the session's ground truth
//!   lists it as needed and it was not granted. At least `min_evidence` sessions. Accepting adds it
//!   to the profile's `tools`, and the risk tags the profile's ceiling lacks to its `risk` (shown,
//!   because that widens what the type may ever see).
//! - **relax a rule**: a rule that blocked at least `min_blocks` calls and only ever calls known
//!   to be benign: calls a labelled corpus marks benign, or escalated calls a person approved
//!   (the imported log shows the call ran). Accepting turns its `block` into `escalate`, so a
//!   person decides each time instead.

use crate::episode::ToolBook;
use aethelgard_protocol::{DecisionKind, RiskTag, SessionRecord};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use toml_edit::{Array, DocumentMut, Item, Table, Value};

/// The rule id the router gives a call to a tool outside the manifest.
pub const NOT_GRANTED_RULE: &str = "manifest.not-granted";

/// How much evidence each kind of suggestion needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SuggestConfig {
    /// Scoped sessions of a type that were granted a tool, none calling it, before narrowing.
    pub min_sessions: usize,
    /// Sessions that needed a denied tool before widening.
    pub min_evidence: usize,
    /// Benign calls a rule blocked (and nothing else) before relaxing it.
    pub min_blocks: usize,
}

impl Default for SuggestConfig {
    fn default() -> Self {
        Self { min_sessions: 10, min_evidence: 3, min_blocks: 3 }
    }
}

/// What accepting a suggestion changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Add `tool` to `[profiles.<task_type>] deny`.
    Narrow { task_type: String, tool: String },
    /// Add `tool` to `[profiles.<task_type>] tools`, and `add_risk` to its `risk`.
    Widen { task_type: String, tool: String, add_risk: Vec<RiskTag> },
    /// Set the rule's `decision` to `escalate`.
    RelaxRule { rule: String },
}

/// One proposed change with the evidence behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggestion {
    /// A stable id, the one `--accept` takes: `narrow:summarise:web_fetch`.
    pub id: String,
    pub change: Change,
    /// One line: what and why.
    pub summary: String,
    /// Up to five sessions or calls that show it.
    pub evidence: Vec<String>,
    /// How many sessions or calls back it.
    pub support: usize,
}

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.id, self.summary)
    }
}

/// A call whose label is known: from a labelled corpus routed through the policy, or a person's
/// approval of an escalation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledDecision {
    /// The rule that blocked or escalated it.
    pub rule: String,
    /// Whether the call is benign.
    pub benign: bool,
    /// Where the label came from (a corpus line id, a session), for the evidence.
    pub source: String,
}

/// Escalated calls that ran afterwards, which means a person approved them: one benign label each.
/// A call counts as having run when the imported log carries its output.
pub fn approvals(records: &[SessionRecord]) -> Vec<LabelledDecision> {
    let mut labels = Vec::new();
    for record in records {
        for call in &record.calls {
            if call.decision == Some(DecisionKind::Escalate)
                && call.output.is_some()
                && let Some(rule) = &call.rule
            {
                labels.push(LabelledDecision {
                    rule: rule.clone(),
                    benign: true,
                    source: format!("session {}: `{}` approved after escalation", record.session, call.tool),
                });
            }
        }
    }
    labels
}

/// Every suggestion the records and labels support. `type_of` gives a record's task type (its
/// label, or the governor's classification of its task); `profile_risk` a task type's risk
/// ceiling in the policy (`None` when the policy has no such profile).
pub fn suggest(
    records: &[SessionRecord],
    type_of: &dyn Fn(&SessionRecord) -> String,
    labelled: &[LabelledDecision],
    book: &ToolBook,
    profile_risk: &dyn Fn(&str) -> Option<Vec<RiskTag>>,
    config: &SuggestConfig,
) -> Vec<Suggestion> {
    let mut suggestions = narrow(records, type_of, config);
    suggestions.extend(widen(records, type_of, book, profile_risk, config));
    suggestions.extend(relax_rules(labelled, config));
    suggestions
}

#[derive(Default)]
struct ToolTally {
    granted_in: usize,
    used_in: usize,
    sessions: Vec<String>,
}

fn narrow(records: &[SessionRecord], type_of: &dyn Fn(&SessionRecord) -> String, config: &SuggestConfig) -> Vec<Suggestion> {
    let mut tallies: BTreeMap<(String, String), ToolTally> = BTreeMap::new();
    for record in records {
        let Some(granted) = &record.granted else { continue };
        let task_type = type_of(record);
        let called: BTreeSet<&str> = record.calls.iter().map(|call| call.tool.as_str()).collect();
        for tool in granted {
            let tally = tallies.entry((task_type.clone(), tool.clone())).or_default();
            tally.granted_in += 1;
            if called.contains(tool.as_str()) {
                tally.used_in += 1;
            } else if tally.sessions.len() < 5 {
                tally.sessions.push(format!("session {}: granted, not called", record.session));
            }
        }
    }
    tallies
        .into_iter()
        .filter(|(_, tally)| tally.used_in == 0 && tally.granted_in >= config.min_sessions)
        .map(|((task_type, tool), tally)| Suggestion {
            id: format!("narrow:{task_type}:{tool}"),
            summary: format!(
                "deny `{tool}` to {task_type}: granted in {} sessions, called in none",
                tally.granted_in
            ),
            change: Change::Narrow { task_type, tool },
            evidence: tally.sessions,
            support: tally.granted_in,
        })
        .collect()
}

fn widen(
    records: &[SessionRecord],
    type_of: &dyn Fn(&SessionRecord) -> String,
    book: &ToolBook,
    profile_risk: &dyn Fn(&str) -> Option<Vec<RiskTag>>,
    config: &SuggestConfig,
) -> Vec<Suggestion> {
    let mut evidence: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for record in records {
        let Some(granted) = &record.granted else { continue };
        let task_type = type_of(record);
        let mut needed_denied: BTreeMap<&str, String> = BTreeMap::new();
        if record.success == Some(false) {
            for call in &record.calls {
                if call.rule.as_deref() == Some(NOT_GRANTED_RULE) && !granted.contains(&call.tool) {
                    needed_denied
                        .entry(call.tool.as_str())
                        .or_insert_with(|| format!("session {}: called `{}`, denied by the manifest, task failed", record.session, call.tool));
                }
            }
        }
        for tool in record.needed.iter().flatten() {
            if !granted.contains(tool) {
                needed_denied
                    .entry(tool.as_str())
                    .or_insert_with(|| format!("session {}: `{tool}` needed (ground truth), not granted", record.session));
            }
        }
        for (tool, line) in needed_denied {
            evidence.entry((task_type.clone(), tool.to_owned())).or_default().push(line);
        }
    }
    evidence
        .into_iter()
        .filter(|(_, lines)| lines.len() >= config.min_evidence)
        .map(|((task_type, tool), lines)| {
            let tags = book.get(&tool).map(|spec| spec.risk.clone()).unwrap_or_default();
            let ceiling = profile_risk(&task_type).unwrap_or_default();
            let add_risk: Vec<RiskTag> = tags.into_iter().filter(|tag| !ceiling.contains(tag)).collect();
            let mut summary = format!("grant `{tool}` to {task_type}: needed and denied in {} sessions", lines.len());
            if !add_risk.is_empty() {
                let names: Vec<&str> = add_risk.iter().map(|tag| tag.as_str()).collect();
                summary.push_str(&format!("; also widens the type's risk ceiling by {}", names.join(", ")));
            }
            let support = lines.len();
            Suggestion {
                id: format!("widen:{task_type}:{tool}"),
                change: Change::Widen { task_type, tool, add_risk },
                summary,
                evidence: lines.into_iter().take(5).collect(),
                support,
            }
        })
        .collect()
}

fn relax_rules(labelled: &[LabelledDecision], config: &SuggestConfig) -> Vec<Suggestion> {
    let mut by_rule: BTreeMap<&str, (usize, usize, Vec<&str>)> = BTreeMap::new();
    for label in labelled {
        if label.rule == NOT_GRANTED_RULE {
            continue;
        }
        let entry = by_rule.entry(label.rule.as_str()).or_default();
        if label.benign {
            entry.0 += 1;
            if entry.2.len() < 5 {
                entry.2.push(label.source.as_str());
            }
        } else {
            entry.1 += 1;
        }
    }
    by_rule
        .into_iter()
        .filter(|(_, (benign, malicious, _))| *malicious == 0 && *benign >= config.min_blocks)
        .map(|(rule, (benign, _, sources))| Suggestion {
            id: format!("relax:{rule}"),
            change: Change::RelaxRule { rule: rule.to_owned() },
            summary: format!(
                "rule `{rule}` stopped {benign} calls, all known benign, none known malicious: escalate instead of block"
            ),
            evidence: sources.into_iter().map(str::to_owned).collect(),
            support: benign,
        })
        .collect()
}

/// Why a suggestion could not be written into a policy file.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the policy file is not valid TOML: {0}")]
    Parse(String),
    #[error("the policy has no [profiles.{0}]; add one (it may `extends` a built-in base) and run again")]
    NoProfile(String),
    #[error("the policy has no rule `{0}`")]
    NoRule(String),
    #[error("`{0}` is not a table or array as expected")]
    Shape(String),
}

/// The policy file's text with `accepted` applied, comments and layout kept. Applying a change
/// that is already in the file changes nothing.
pub fn apply(policy_text: &str, accepted: &[&Suggestion]) -> Result<String, ApplyError> {
    let mut doc: DocumentMut = policy_text.parse().map_err(|err: toml_edit::TomlError| ApplyError::Parse(err.to_string()))?;
    for suggestion in accepted {
        match &suggestion.change {
            Change::Narrow { task_type, tool } => {
                let profile = profile_mut(&mut doc, task_type)?;
                push_unique(profile, "deny", tool, task_type)?;
            }
            Change::Widen { task_type, tool, add_risk } => {
                let profile = profile_mut(&mut doc, task_type)?;
                push_unique(profile, "tools", tool, task_type)?;
                remove_value(profile, "deny", tool);
                for tag in add_risk {
                    push_unique(profile, "risk", tag.as_str(), task_type)?;
                }
            }
            Change::RelaxRule { rule } => {
                let rules = doc
                    .get_mut("rules")
                    .and_then(Item::as_array_of_tables_mut)
                    .ok_or_else(|| ApplyError::NoRule(rule.clone()))?;
                let table = rules
                    .iter_mut()
                    .find(|table| table.get("id").and_then(Item::as_str) == Some(rule.as_str()))
                    .ok_or_else(|| ApplyError::NoRule(rule.clone()))?;
                table.insert("decision", toml_edit::value("escalate"));
            }
        }
    }
    Ok(doc.to_string())
}

fn profile_mut<'a>(doc: &'a mut DocumentMut, task_type: &str) -> Result<&'a mut Table, ApplyError> {
    doc.get_mut("profiles")
        .and_then(Item::as_table_mut)
        .and_then(|profiles| profiles.get_mut(task_type))
        .and_then(Item::as_table_mut)
        .ok_or_else(|| ApplyError::NoProfile(task_type.to_owned()))
}

fn push_unique(table: &mut Table, key: &str, value: &str, task_type: &str) -> Result<(), ApplyError> {
    let item = table.entry(key).or_insert_with(|| Item::Value(Value::Array(Array::new())));
    let array = item.as_array_mut().ok_or_else(|| ApplyError::Shape(format!("profiles.{task_type}.{key}")))?;
    if !array.iter().any(|existing| existing.as_str() == Some(value)) {
        array.push(value);
    }
    Ok(())
}

fn remove_value(table: &mut Table, key: &str, value: &str) {
    if let Some(array) = table.get_mut(key).and_then(Item::as_array_mut) {
        array.retain(|existing| existing.as_str() != Some(value));
    }
}

#[cfg(test)]
#[path = "suggest_tests.rs"]
mod tests;
