//! The design's metrics (DESIGN.md section 4), defined once: every command that reports, and the
//! learning layer, computes them here so a number means the same thing everywhere.
//!
//! For one session: A = tools available, G = tools granted, U = tools the agent called,
//! N = tools the task needs.
//!
//! - **SER** = |U ∩ G| / |G|; **overprovision ratio** = |G| / max(1, |U|);
//! - **attack surface reduction** = 1 − |G| / |A|;
//! - **required-tool denial rate** = |N \ G| / |N|;
//! - **task success** = N ⊆ G and no call to a needed tool blocked or escalated;
//! - **block rate** = blocked calls / calls (escalations counted apart).
//!
//! Decisions the design leaves open, taken here (and in `docs/metrics.md`):
//!
//! - A is the available tools together with the granted ones: a tool that was granted was
//!   available, and a log that recorded only the grant would otherwise show a negative reduction.
//! - G is the explicit grant, or every available tool when nothing was scoped.
//! - U counts every call the agent made, blocked or not: the agent asked for the tool.
//! - N is the ground truth `needed` where known. Without it, a session *recorded* successful needed
//!   the tools of its calls that were not blocked (it succeeded without the blocked ones). A
//!   session that failed or whose outcome is unknown has no N: its denial rate is undefined.
//! - Task success: a recorded outcome wins. The computed one (from ground-truth N) is used only
//!   when nothing is recorded; where both exist and disagree the group counts the disagreement.
//!   Computing success from an N inferred from recorded success would be circular, so it is not.
//! - Undefined ratios are `None`, shown as "n/a" and left out of means; never 0 or 1. SER is
//!   undefined when |G| = 0 (granting nothing would otherwise score a perfect or a zero economy),
//!   attack surface reduction when |A| = 0, the denial rate when N is unknown or empty, the block
//!   rate when there were no calls.
//! - Session metrics aggregate as the mean over the sessions where they are defined, with that
//!   count; call rates (block, escalation) are pooled over all calls of the group, the way the
//!   paper's "26.2% of calls blocked" is.
//! - "The model refused" and "governance blocked" are separate counts. A blocked or escalated
//!   decision is governance; the logs have no model-refusal field yet, so that count is `None`
//!   ("not recorded") until [`model_refused`] can tell.

use aethelgard_protocol::{DecisionKind, SessionCall, SessionRecord};
use std::collections::{BTreeMap, BTreeSet};

/// The task type of sessions recorded without one.
pub const UNLABELLED: &str = "unlabelled";

/// The task type a session is reported under: its label, or [`UNLABELLED`].
pub fn task_type_of(record: &SessionRecord) -> &str {
    match record.task_type.as_deref().map(str::trim) {
        Some(label) if !label.is_empty() => label,
        _ => UNLABELLED,
    }
}

/// Where a session's N (tools needed) came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeededSource {
    /// The record's `needed` field.
    GroundTruth,
    /// The unblocked calls of a session recorded successful.
    InferredFromSuccess,
    /// Neither: the denial rate and computed success are undefined.
    Unknown,
}

/// What happened to the calls of a session or a group of sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub calls: usize,
    /// Allowed by governance, or run without a recorded decision (an imported log of a runtime
    /// nobody governed).
    pub allowed: usize,
    /// Governance blocked.
    pub blocked: usize,
    /// Governance escalated to a human.
    pub escalated: usize,
    /// Calls the model itself declined; `None` while the logs cannot tell (see [`model_refused`]).
    pub model_refused: Option<usize>,
    /// Calls whose decision came from stage 2 (the learned classifier) rather than a rule.
    pub stage2: usize,
}

impl CallCounts {
    /// Counts the calls of one session.
    pub fn of(calls: &[SessionCall]) -> Self {
        let mut counts = Self::default();
        for call in calls {
            counts.add(call);
        }
        counts
    }

    fn add(&mut self, call: &SessionCall) {
        self.calls += 1;
        match call.decision {
            Some(DecisionKind::Block) => self.blocked += 1,
            Some(DecisionKind::Escalate) => self.escalated += 1,
            Some(DecisionKind::Allow) | None => self.allowed += 1,
        }
        if let Some(refused) = model_refused(call) {
            *self.model_refused.get_or_insert(0) += usize::from(refused);
        }
        self.stage2 += usize::from(call.stage == Some(aethelgard_protocol::Stage::Classifier));
    }

    fn merge(&mut self, other: &Self) {
        self.calls += other.calls;
        self.allowed += other.allowed;
        self.blocked += other.blocked;
        self.escalated += other.escalated;
        self.stage2 += other.stage2;
        if let Some(refused) = other.model_refused {
            *self.model_refused.get_or_insert(0) += refused;
        }
    }

    /// Blocked calls / calls; `None` without calls.
    pub fn block_rate(&self) -> Option<f64> {
        ratio(self.blocked, self.calls)
    }

    /// Escalated calls / calls; `None` without calls.
    pub fn escalation_rate(&self) -> Option<f64> {
        ratio(self.escalated, self.calls)
    }
}

/// Whether the model declined this call of its own accord, where the log can tell.
///
/// The hook for the "model refused" count: session calls have no such field yet, so this says
/// `None` (not recorded) and the count stays apart from governance blocks instead of being
/// guessed from reason texts.
pub fn model_refused(_call: &SessionCall) -> Option<bool> {
    None
}

/// The metrics of one session.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionMetrics {
    pub session: String,
    pub task_type: String,
    /// |A|
    pub available: usize,
    /// |G|
    pub granted: usize,
    /// |U|
    pub used: usize,
    /// |U ∩ G|
    pub used_and_granted: usize,
    /// |N|, when N is known.
    pub needed: Option<usize>,
    /// |N \ G|, when N is known.
    pub needed_denied: Option<usize>,
    pub needed_source: NeededSource,
    /// |U ∩ G| / |G|; `None` when nothing was granted.
    pub ser: Option<f64>,
    /// |G| / max(1, |U|)
    pub overprovision: f64,
    /// 1 − |G| / |A|; `None` when nothing was available.
    pub attack_surface_reduction: Option<f64>,
    /// |N \ G| / |N|; `None` when N is unknown or empty.
    pub denial_rate: Option<f64>,
    /// |G \ N| / |G| (the degeneracy gate's exposure); `None` when N is unknown or G empty.
    pub excess_exposure: Option<f64>,
    /// The outcome the log recorded.
    pub recorded_success: Option<bool>,
    /// N ⊆ G and no call to a needed tool blocked or escalated, from ground-truth N only.
    pub computed_success: Option<bool>,
    pub calls: CallCounts,
}

impl SessionMetrics {
    /// Task success as reported: the recorded outcome, else the computed one, else unknown.
    pub fn success(&self) -> Option<bool> {
        self.recorded_success.or(self.computed_success)
    }

    /// Whether a recorded and a computed outcome both exist and disagree.
    pub fn success_disagrees(&self) -> bool {
        matches!((self.recorded_success, self.computed_success), (Some(a), Some(b)) if a != b)
    }
}

/// The tool sets of one session, as the definitions name them.
struct Sets<'a> {
    available: BTreeSet<&'a str>,
    granted: BTreeSet<&'a str>,
    used: BTreeSet<&'a str>,
    needed: Option<BTreeSet<&'a str>>,
    needed_source: NeededSource,
}

impl<'a> Sets<'a> {
    fn of(record: &'a SessionRecord) -> Self {
        let granted: BTreeSet<&str> = record.granted_or_available().iter().map(String::as_str).collect();
        let available = record.tools.iter().map(String::as_str).chain(granted.iter().copied()).collect();
        let used = record.calls.iter().map(|call| call.tool.as_str()).collect();
        let (needed, needed_source) = match (&record.needed, record.success) {
            (Some(needed), _) => (Some(needed.iter().map(String::as_str).collect()), NeededSource::GroundTruth),
            (None, Some(true)) => (
                Some(
                    record
                        .calls
                        .iter()
                        .filter(|call| call.decision != Some(DecisionKind::Block))
                        .map(|call| call.tool.as_str())
                        .collect(),
                ),
                NeededSource::InferredFromSuccess,
            ),
            (None, _) => (None, NeededSource::Unknown),
        };
        Self { available, granted, used, needed, needed_source }
    }
}

/// The metrics of one session.
pub fn session_metrics(record: &SessionRecord) -> SessionMetrics {
    let sets = Sets::of(record);
    let granted = sets.granted.len();
    let used_and_granted = sets.used.intersection(&sets.granted).count();
    let needed_denied = sets.needed.as_ref().map(|needed| needed.difference(&sets.granted).count());
    let needed = sets.needed.as_ref().map(BTreeSet::len);
    let computed_success = match (&sets.needed, sets.needed_source) {
        (Some(needed), NeededSource::GroundTruth) => Some(
            needed.is_subset(&sets.granted)
                && !record.calls.iter().any(|call| {
                    needed.contains(call.tool.as_str())
                        && matches!(call.decision, Some(DecisionKind::Block | DecisionKind::Escalate))
                }),
        ),
        _ => None,
    };
    SessionMetrics {
        session: record.session.clone(),
        task_type: task_type_of(record).to_owned(),
        available: sets.available.len(),
        granted,
        used: sets.used.len(),
        used_and_granted,
        needed,
        needed_denied,
        needed_source: sets.needed_source,
        ser: ratio(used_and_granted, granted),
        overprovision: as_f64(granted) / as_f64(sets.used.len().max(1)),
        attack_surface_reduction: ratio(granted, sets.available.len()).map(|share| 1.0 - share),
        denial_rate: needed_denied.zip(needed).and_then(|(denied, needed)| ratio(denied, needed)),
        excess_exposure: sets
            .needed
            .as_ref()
            .and_then(|needed| ratio(sets.granted.difference(needed).count(), granted)),
        recorded_success: record.success,
        computed_success,
        calls: CallCounts::of(&record.calls),
    }
}

/// A mean over the sessions where a metric is defined.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Mean {
    /// `None` when no session defines it.
    pub value: Option<f64>,
    /// How many sessions the mean is over.
    pub defined: usize,
}

impl Mean {
    /// The mean of the defined values.
    pub fn of(values: impl IntoIterator<Item = Option<f64>>) -> Self {
        let (sum, defined) = values.into_iter().flatten().fold((0.0, 0usize), |(sum, n), v| (sum + v, n + 1));
        Self { value: (defined > 0).then(|| sum / as_f64(defined)), defined }
    }
}

/// SER with the two numbers that keep it honest. SER alone is gamed by granting nothing, so the
/// reports take the three together from here and never SER by itself.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Economy {
    pub ser: Mean,
    /// Share of sessions with a known outcome that succeeded.
    pub task_success: Mean,
    pub denial_rate: Mean,
}

/// The metrics of a group of sessions (one task type, or all).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupMetrics {
    /// The task type, or `overall`.
    pub task_type: String,
    pub sessions: usize,
    /// Calls pooled over the group's sessions.
    pub calls: CallCounts,
    pub economy: Economy,
    pub overprovision: Mean,
    pub attack_surface_reduction: Mean,
    pub excess_exposure: Mean,
    /// Sessions whose recorded outcome and computed success disagree.
    pub success_disagreements: usize,
    /// Tools granted in some session of the group and called in none, sorted.
    pub tools_never_used: Vec<String>,
}

impl GroupMetrics {
    /// The metrics of these sessions under one label.
    pub fn of(task_type: &str, records: &[&SessionRecord]) -> Self {
        let per_session: Vec<SessionMetrics> = records.iter().map(|record| session_metrics(record)).collect();
        let mut calls = CallCounts::default();
        for metrics in &per_session {
            calls.merge(&metrics.calls);
        }
        let mut granted_somewhere = BTreeSet::new();
        let mut called_somewhere = BTreeSet::new();
        for record in records {
            granted_somewhere.extend(record.granted_or_available().iter().map(String::as_str));
            called_somewhere.extend(record.calls.iter().map(|call| call.tool.as_str()));
        }
        let mean = |metric: fn(&SessionMetrics) -> Option<f64>| Mean::of(per_session.iter().map(metric));
        Self {
            task_type: task_type.to_owned(),
            sessions: records.len(),
            calls,
            economy: Economy {
                ser: mean(|m| m.ser),
                task_success: mean(|m| m.success().map(|ok| if ok { 1.0 } else { 0.0 })),
                denial_rate: mean(|m| m.denial_rate),
            },
            overprovision: mean(|m| Some(m.overprovision)),
            attack_surface_reduction: mean(|m| m.attack_surface_reduction),
            excess_exposure: mean(|m| m.excess_exposure),
            success_disagreements: per_session.iter().filter(|m| m.success_disagrees()).count(),
            tools_never_used: granted_somewhere.difference(&called_somewhere).map(|tool| (*tool).to_owned()).collect(),
        }
    }
}

/// Every task type's metrics, sorted by task type, and the overall ones.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub task_types: Vec<GroupMetrics>,
    pub overall: GroupMetrics,
}

/// The label of the overall row.
pub const OVERALL: &str = "overall";

/// Metrics per task type and overall.
pub fn summarize(records: &[SessionRecord]) -> Summary {
    let mut by_type: BTreeMap<&str, Vec<&SessionRecord>> = BTreeMap::new();
    for record in records {
        by_type.entry(task_type_of(record)).or_default().push(record);
    }
    let everything: Vec<&SessionRecord> = records.iter().collect();
    Summary {
        task_types: by_type.iter().map(|(task_type, group)| GroupMetrics::of(task_type, group)).collect(),
        overall: GroupMetrics::of(OVERALL, &everything),
    }
}

/// The decisions one rule made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCount {
    /// The rule id; [`NO_RULE`] for decisions without one.
    pub rule: String,
    pub blocked: usize,
    pub escalated: usize,
    /// The first reason recorded for it.
    pub reason: Option<String>,
}

/// The label of blocks and escalations recorded without a rule id.
pub const NO_RULE: &str = "(no rule)";

/// Blocked and escalated calls per rule, most blocks first (then most escalations, then by id).
pub fn decisions_by_rule(records: &[SessionRecord]) -> Vec<RuleCount> {
    let mut by_rule: BTreeMap<&str, RuleCount> = BTreeMap::new();
    for call in records.iter().flat_map(|record| &record.calls) {
        let blocked = call.decision == Some(DecisionKind::Block);
        if !blocked && call.decision != Some(DecisionKind::Escalate) {
            continue;
        }
        let rule = call.rule.as_deref().unwrap_or(NO_RULE);
        let count = by_rule.entry(rule).or_insert_with(|| RuleCount {
            rule: rule.to_owned(),
            blocked: 0,
            escalated: 0,
            reason: None,
        });
        if blocked {
            count.blocked += 1;
        } else {
            count.escalated += 1;
        }
        if count.reason.is_none() {
            count.reason.clone_from(&call.reason);
        }
    }
    let mut counts: Vec<RuleCount> = by_rule.into_values().collect();
    counts.sort_by(|a, b| b.blocked.cmp(&a.blocked).then(b.escalated.cmp(&a.escalated)).then(a.rule.cmp(&b.rule)));
    counts
}

/// The ground-truth label of a call, for measuring the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    Benign,
    Malicious,
}

/// Whether a decision counts as the router saying "malicious": block and escalate both stop the
/// call, so both are positives.
pub fn is_positive(decision: DecisionKind) -> bool {
    matches!(decision, DecisionKind::Block | DecisionKind::Escalate)
}

/// The router's confusion matrix over labelled calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouterRates {
    pub true_positives: usize,
    pub false_positives: usize,
    pub true_negatives: usize,
    pub false_negatives: usize,
}

impl RouterRates {
    /// The matrix of (label, decision) pairs.
    pub fn of(labelled: impl IntoIterator<Item = (Label, DecisionKind)>) -> Self {
        let mut rates = Self::default();
        for (label, decision) in labelled {
            rates.add(label, decision);
        }
        rates
    }

    /// Counts one labelled decision.
    pub fn add(&mut self, label: Label, decision: DecisionKind) {
        let slot = match (label, is_positive(decision)) {
            (Label::Malicious, true) => &mut self.true_positives,
            (Label::Benign, true) => &mut self.false_positives,
            (Label::Benign, false) => &mut self.true_negatives,
            (Label::Malicious, false) => &mut self.false_negatives,
        };
        *slot += 1;
    }

    /// TP / (TP + FN): the share of malicious calls stopped; `None` without malicious calls.
    pub fn tpr(&self) -> Option<f64> {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    /// FP / (FP + TN): the share of benign calls stopped; `None` without benign calls.
    pub fn fpr(&self) -> Option<f64> {
        ratio(self.false_positives, self.false_positives + self.true_negatives)
    }

    /// How many labelled calls the rates are over (report it with them).
    pub fn total(&self) -> usize {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }
}

/// `part / whole`, undefined when `whole` is 0.
fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| as_f64(part) / as_f64(whole))
}

/// Counts as floats; sessions and tools never come near 2^53.
#[allow(clippy::cast_precision_loss)]
fn as_f64(count: usize) -> f64 {
    count as f64
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
