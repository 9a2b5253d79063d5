//! Episodes: what every learner and baseline consumes.
//!
//! An [`Episode`] is one task with the tools it could have seen: each tool's description and
//! risk tags (never its name: the learners read meaning, so renaming a tool changes nothing),
//! which tools the task needed (N), which the agent used (U), and which an injection reached for.
//!
//! From logs, [`episodes_from_sessions`] infers N the way the design says: the tools a
//! successful run of the same task called. The gym knows N exactly and builds episodes itself.

use crate::error::LearnError;
use aethelgard_policy::ToolEntry;
use aethelgard_protocol::{DecisionKind, RiskTag, SessionRecord};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A tool as a learner sees it. `name` identifies it in grants and files; features never read
/// it.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub risk: Vec<RiskTag>,
}

impl ToolSpec {
    pub fn new(name: impl Into<String>, description: impl Into<String>, risk: Vec<RiskTag>) -> Self {
        Self { name: name.into(), description: description.into(), risk }
    }

    /// Whether any of the tool's tags is dangerous (exec, spawn, credential, destructive,
    /// payment).
    pub fn is_dangerous(&self) -> bool {
        self.risk.iter().any(|tag| tag.is_dangerous())
    }
}

impl From<&ToolEntry> for ToolSpec {
    fn from(entry: &ToolEntry) -> Self {
        Self { name: entry.name.clone(), description: entry.description.clone(), risk: entry.risk.clone() }
    }
}

/// One learning example. The vectors `needed`, `used` and `attacked` run parallel to `tools`.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    pub id: String,
    /// The user's request.
    pub task: String,
    /// The task type, where known (a label, or the governor's classification).
    pub task_type: Option<String>,
    /// Where the task came from: the gym's family or template, for splits; `None` from logs.
    pub group: Option<String>,
    /// The tools available (A).
    pub tools: Vec<ToolSpec>,
    /// The tools the task needs (N).
    pub needed: Vec<bool>,
    /// The tools the logged run called (U).
    pub used: Vec<bool>,
    /// Tools an injection in this session reached for (calls the router blocked or escalated,
    /// or the gym's injected call).
    pub attacked: Vec<bool>,
    /// Whether the logged run succeeded.
    pub success: Option<bool>,
}

impl Episode {
    /// An episode with nothing needed, used or attacked yet.
    pub fn new(id: impl Into<String>, task: impl Into<String>, tools: Vec<ToolSpec>) -> Self {
        let n = tools.len();
        Self {
            id: id.into(),
            task: task.into(),
            task_type: None,
            group: None,
            tools,
            needed: vec![false; n],
            used: vec![false; n],
            attacked: vec![false; n],
            success: None,
        }
    }

    /// Index of the tool called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.tools.iter().position(|tool| tool.name == name)
    }

    /// Names of the needed tools.
    pub fn needed_names(&self) -> Vec<&str> {
        self.names_where(&self.needed)
    }

    /// Names of the tools where `mask` is set.
    pub fn names_where(&self, mask: &[bool]) -> Vec<&str> {
        self.tools.iter().zip(mask).filter(|(_, set)| **set).map(|(tool, _)| tool.name.as_str()).collect()
    }

    /// The same episode with every tool renamed to an opaque name (`tool_0`, `tool_1`, ...)
    /// and the tools in the same order: the degeneracy gate's rename test.
    pub fn with_opaque_names(&self) -> Self {
        let mut renamed = self.clone();
        for (i, tool) in renamed.tools.iter_mut().enumerate() {
            tool.name = format!("tool_{i}");
        }
        renamed
    }
}

/// A tool-exposure policy: given a task and the tools available, which to grant.
pub trait ExposurePolicy {
    /// A short name for tables (`ppo`, `static`, ...).
    fn name(&self) -> &str;

    /// One flag per tool in `tools`, in order: granted or not.
    fn grant(&self, task: &str, task_type: Option<&str>, tools: &[ToolSpec]) -> Vec<bool>;

    /// Grants for an episode.
    fn grant_episode(&self, episode: &Episode) -> Vec<bool> {
        self.grant(&episode.task, episode.task_type.as_deref(), &episode.tools)
    }
}

/// Tool descriptions and risk tags by name, for turning session records (which carry names
/// only) into episodes. Later catalogs win over earlier ones for a name.
#[derive(Clone, Debug, Default)]
pub struct ToolBook {
    tools: HashMap<String, ToolSpec>,
}

impl ToolBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds tools; a name already present is replaced.
    pub fn extend(&mut self, tools: impl IntoIterator<Item = ToolSpec>) {
        for tool in tools {
            self.tools.insert(tool.name.clone(), tool);
        }
    }

    /// The built-in catalogs (Codex, Claude Code, OpenClaw).
    pub fn builtin() -> Result<Self, LearnError> {
        let mut book = Self::new();
        for (name, _) in aethelgard_policy::BUILTIN_CATALOGS {
            let entries = aethelgard_policy::Catalog::builtin(name)
                .map_err(|err| LearnError::invalid(format!("built-in catalog {name}"), err.to_string()))?;
            book.extend(entries.iter().map(ToolSpec::from));
        }
        Ok(book)
    }

    /// The spec for `name`; a tool no catalog knows has an empty description and no tags.
    pub fn spec(&self, name: &str) -> ToolSpec {
        self.tools.get(name).cloned().unwrap_or_else(|| ToolSpec::new(name, "", Vec::new()))
    }

    pub fn get(&self, name: &str) -> Option<&ToolSpec> {
        self.tools.get(name)
    }

    /// Every tool, in no particular order.
    pub fn specs(&self) -> impl Iterator<Item = &ToolSpec> {
        self.tools.values()
    }

    pub fn len(&self) -> usize {
        self.tools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

/// Counts of what [`episodes_from_sessions`] kept and skipped, for the CLI to report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InferenceReport {
    pub sessions: usize,
    pub episodes: usize,
    /// Sessions whose needs came from their own successful run.
    pub from_own_run: usize,
    /// Sessions whose needs came from successful runs of the same task.
    pub from_same_task: usize,
    /// Sessions skipped: no successful run of the task to infer the needs from.
    pub skipped_no_success: usize,
    /// Sessions skipped: no tools available.
    pub skipped_no_tools: usize,
    /// Tools named in sessions that no catalog describes (learned from an empty description).
    pub undescribed_tools: BTreeSet<String>,
}

/// The tools a run called and the router let through.
fn allowed_calls(record: &SessionRecord) -> BTreeSet<&str> {
    record
        .calls
        .iter()
        .filter(|call| !matches!(call.decision, Some(DecisionKind::Block | DecisionKind::Escalate)))
        .map(|call| call.tool.as_str())
        .collect()
}

fn task_key(task: &str) -> String {
    task.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Turns logged sessions into episodes.
///
/// N, the tools a session needed, is inferred from logs only (a record's `needed` ground truth
/// is deliberately ignored, so that training on the gym's logs is training on what a real log
/// would hold):
/// - a successful session needed what it called and was allowed to call;
/// - a failed or unknown session needed the union of what successful sessions of the same task
///   (same request text, whitespace and case folded) called; with none, it is skipped.
///
/// A tool a session called that was not in its `tools` list is added to the available tools.
/// `attacked` marks tools whose calls the router blocked or escalated.
pub fn episodes_from_sessions(records: &[SessionRecord], book: &ToolBook) -> (Vec<Episode>, InferenceReport) {
    let mut report = InferenceReport { sessions: records.len(), ..InferenceReport::default() };
    let mut by_task: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for record in records.iter().filter(|record| record.success == Some(true)) {
        let entry = by_task.entry(task_key(&record.task)).or_default();
        entry.extend(allowed_calls(record).into_iter().map(str::to_owned));
    }
    let mut episodes = Vec::with_capacity(records.len());
    for record in records {
        let own_run = record.success == Some(true);
        let needed: BTreeSet<String> = if own_run {
            allowed_calls(record).into_iter().map(str::to_owned).collect()
        } else if let Some(needed) = by_task.get(&task_key(&record.task)) {
            needed.clone()
        } else {
            report.skipped_no_success += 1;
            continue;
        };
        let mut names: Vec<String> = record.tools.clone();
        for call in &record.calls {
            if !names.contains(&call.tool) {
                names.push(call.tool.clone());
            }
        }
        for name in &needed {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        if names.is_empty() {
            report.skipped_no_tools += 1;
            continue;
        }
        if own_run {
            report.from_own_run += 1;
        } else {
            report.from_same_task += 1;
        }
        let tools: Vec<ToolSpec> = names
            .iter()
            .map(|name| {
                if book.get(name).is_none() {
                    report.undescribed_tools.insert(name.clone());
                }
                book.spec(name)
            })
            .collect();
        let mut episode = Episode::new(record.session.clone(), record.task.clone(), tools);
        episode.task_type = record.task_type.clone();
        episode.success = record.success;
        for (i, name) in names.iter().enumerate() {
            if let Some(flag) = episode.needed.get_mut(i) {
                *flag = needed.contains(name);
            }
        }
        for call in &record.calls {
            let Some(i) = names.iter().position(|name| *name == call.tool) else { continue };
            if let Some(flag) = episode.used.get_mut(i) {
                *flag = true;
            }
            if matches!(call.decision, Some(DecisionKind::Block | DecisionKind::Escalate))
                && let Some(flag) = episode.attacked.get_mut(i)
            {
                *flag = true;
            }
        }
        episodes.push(episode);
    }
    report.episodes = episodes.len();
    (episodes, report)
}

#[cfg(test)]
#[path = "episode_tests.rs"]
mod tests;
