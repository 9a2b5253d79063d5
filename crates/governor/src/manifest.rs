//! Scoping: a task type plus the tools available give the granted and denied tools.

use crate::classify::{Classification, Classifier, Method};
use crate::error::GovernorError;
use crate::learned::LearnedPolicy;
use crate::tasks;
use aethelgard_policy::{Catalog, PolicyFile, Profile, ToolEntry};
use aethelgard_protocol::{Manifest, RiskTag};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A profile with its `extends` chain folded in.
#[derive(Clone, Debug)]
pub struct ResolvedProfile {
    pub name: String,
    pub description: String,
    /// This profile, then each profile it extends.
    pub chain: Vec<String>,
    pub tools: Vec<String>,
    pub groups: BTreeSet<String>,
    pub risk: BTreeSet<RiskTag>,
    pub deny: Vec<String>,
    tool_set: GlobSet,
    deny_set: GlobSet,
}

impl ResolvedProfile {
    fn resolve(name: &str, profiles: &BTreeMap<String, Profile>) -> Result<Self, GovernorError> {
        let invalid = |message: String| GovernorError::Invalid { origin: format!("[profiles.{name}]"), message };
        let mut chain = Vec::new();
        let mut tools = Vec::new();
        let mut groups = BTreeSet::new();
        let mut risk = BTreeSet::new();
        let mut deny = Vec::new();
        let mut description = String::new();
        let mut current = Some(name.to_owned());
        while let Some(link) = current {
            if chain.contains(&link) {
                return Err(invalid(format!("profiles extend each other in a loop through `{link}`")));
            }
            let profile = profiles.get(&link).ok_or_else(|| invalid(format!("extends `{link}`, which is not a profile")))?;
            if description.is_empty() {
                description.clone_from(&profile.description);
            }
            tools.extend(profile.tools.iter().cloned());
            groups.extend(profile.groups.iter().cloned());
            risk.extend(profile.risk.iter().copied());
            deny.extend(profile.deny.iter().cloned());
            chain.push(link);
            current = profile.extends.clone();
        }
        let tool_set = glob_set(&tools).map_err(invalid)?;
        let deny_set = glob_set(&deny).map_err(invalid)?;
        Ok(Self { name: name.to_owned(), description, chain, tools, groups, risk, deny, tool_set, deny_set })
    }

    /// The dangerous tags this profile lists.
    pub fn dangerous(&self) -> Vec<RiskTag> {
        self.risk.iter().copied().filter(|tag| tag.is_dangerous()).collect()
    }
}

fn glob_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(Glob::new(glob).map_err(|e| format!("glob `{glob}` is invalid: {e}"))?);
    }
    builder.build().map_err(|e| e.to_string())
}

/// Why a tool was granted or denied.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "because", rename_all = "snake_case")]
pub enum Why {
    /// Named by one of the profile's `tools`.
    Named { profile: String },
    /// In one of the profile's `groups`.
    Group { group: String },
    /// Granted by the learned policy, with its score.
    Learned { score: f64 },
    /// Neither named nor in a granted group (or not granted by the learned policy).
    NotSelected,
    /// Matched one of the profile's `deny` globs.
    Denied { glob: String },
    /// Carries risk tags the profile does not list.
    OverRisk { tags: Vec<RiskTag> },
}

/// One tool's verdict for a task type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub tool: String,
    pub granted: bool,
    #[serde(flatten)]
    pub why: Why,
}

/// What `scope` answers: the classification and the manifest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scoped {
    pub classification: Classification,
    pub manifest: Manifest,
    /// The profile that decided (the task type's, or `unknown` when it has none).
    pub profile: String,
    pub verdicts: Vec<Verdict>,
}

/// Layer 1: profiles, the catalog, an optional learned policy and a classifier.
pub struct Governor {
    profiles: BTreeMap<String, ResolvedProfile>,
    catalog: Catalog,
    learned: Option<LearnedPolicy>,
    classifier: Box<dyn Classifier>,
    min_confidence: f64,
    protected_paths: Vec<String>,
}

impl std::fmt::Debug for Governor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Governor")
            .field("profiles", &self.profiles.keys().collect::<Vec<_>>())
            .field("tools", &self.catalog.len())
            .field("learned", &self.learned.as_ref().map(|l| l.algo.as_str()))
            .field("min_confidence", &self.min_confidence)
            .finish_non_exhaustive()
    }
}

impl Governor {
    /// The governor of a policy, with the built-in trained classifier and no learned policy.
    pub fn new(file: &PolicyFile, catalog: Catalog) -> Result<Self, GovernorError> {
        let mut profiles = BTreeMap::new();
        for name in file.profiles.keys() {
            profiles.insert(name.clone(), ResolvedProfile::resolve(name, &file.profiles)?);
        }
        Ok(Self {
            profiles,
            catalog,
            learned: None,
            classifier: crate::classify::builtin(),
            min_confidence: file.governor.min_confidence,
            protected_paths: file
                .filesystem
                .paths
                .iter()
                .filter(|(_, access)| **access == aethelgard_policy::FilesystemAccess::Deny)
                .map(|(path, _)| path.clone())
                .collect(),
        })
    }

    /// The governor of the built-in default policy.
    pub fn builtin() -> Result<Self, GovernorError> {
        let (file, catalog) = aethelgard_policy::default_policy_trusted()
            .map_err(|e| GovernorError::Invalid { origin: "built-in default policy".to_owned(), message: e.to_string() })?;
        Self::new(&file, catalog)
    }

    pub fn with_learned(mut self, learned: LearnedPolicy) -> Self {
        self.learned = Some(learned);
        self
    }

    pub fn with_classifier(mut self, classifier: Box<dyn Classifier>) -> Self {
        self.classifier = classifier;
        self
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The policy's filesystem entries that deny all access (credentials and secrets), as written:
    /// `~/.ssh`, `**/.env`, `/etc/shadow`. Exporters deny reading them in runtimes that can.
    pub fn protected_paths(&self) -> &[String] {
        &self.protected_paths
    }

    pub fn profiles(&self) -> impl Iterator<Item = &ResolvedProfile> {
        self.profiles.values()
    }

    pub fn profile(&self, name: &str) -> Option<&ResolvedProfile> {
        self.profiles.get(name)
    }

    /// Mistakes in the profiles that load fine but cannot be what the author meant: a plain name
    /// (no glob) that no catalog knows, and a named tool the profile's own risk ceiling refuses.
    /// MCP tool names (`mcp__...`) are not in catalogs and are not reported.
    pub fn profile_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let runtime_catalogs: Vec<Catalog> = aethelgard_policy::BUILTIN_CATALOGS
            .iter()
            .filter_map(|(name, _)| Catalog::builtin(name).ok())
            .map(|tools| {
                let mut catalog = Catalog::default();
                catalog.extend(tools);
                catalog
            })
            .collect();
        for profile in self.profiles.values() {
            for name in &profile.tools {
                let plain = !name.contains(['*', '?', '[', '{']);
                if !plain || name.starts_with("mcp__") {
                    continue;
                }
                // A name several runtimes share (`view_image`, `apply_patch`) has an entry in each
                // runtime's catalog; the profile is fine if any of them fits its ceiling.
                let entries: Vec<&ToolEntry> = std::iter::once(&self.catalog).chain(&runtime_catalogs).filter_map(|c| c.get(name)).collect();
                match entries.iter().min_by_key(|tool| tool.risk.iter().filter(|tag| !profile.risk.contains(tag)).count()) {
                    None => warnings.push(format!(
                        "[profiles.{}] names `{name}`, which no catalog knows: a typo grants nothing; declare the tool in the catalog or fix the name",
                        profile.name
                    )),
                    Some(tool) => {
                        let over: Vec<String> =
                            tool.risk.iter().filter(|tag| !profile.risk.contains(tag)).map(ToString::to_string).collect();
                        if !over.is_empty() {
                            warnings.push(format!(
                                "[profiles.{}] names `{name}`, but its tags {} are not in the profile's `risk`: it is never granted",
                                profile.name,
                                over.join(", ")
                            ));
                        }
                    }
                }
            }
        }
        warnings.sort();
        warnings.dedup();
        warnings
    }

    pub fn learned(&self) -> Option<&LearnedPolicy> {
        self.learned.as_ref()
    }

    /// The task types this governor knows: the built-in ones and every profile.
    pub fn task_types(&self) -> BTreeSet<String> {
        tasks::ids().map(str::to_owned).chain(self.profiles.keys().cloned()).collect()
    }

    /// Classifies a request; an explicit task type wins. Below the policy's `min_confidence`
    /// the request is `unknown`.
    pub fn classify(&self, request: Option<&str>, explicit: Option<&str>) -> Result<Classification, GovernorError> {
        if let Some(task_type) = explicit {
            self.check_task_type(task_type)?;
            return Ok(Classification { task_type: task_type.to_owned(), confidence: 1.0, method: Method::Explicit });
        }
        let mut classification = self.classifier.classify(request.unwrap_or(""));
        if classification.confidence < self.min_confidence {
            classification.task_type = tasks::UNKNOWN.to_owned();
        }
        Ok(classification)
    }

    fn check_task_type(&self, task_type: &str) -> Result<(), GovernorError> {
        if self.profiles.contains_key(task_type) || tasks::get(task_type).is_some() {
            return Ok(());
        }
        let known: Vec<String> = self.task_types().into_iter().collect();
        Err(GovernorError::UnknownTaskType { name: task_type.to_owned(), known: known.join(", ") })
    }

    /// The profile that scopes a task type: its own, else `unknown`'s.
    fn profile_for(&self, task_type: &str) -> Option<&ResolvedProfile> {
        self.profiles.get(task_type).or_else(|| self.profiles.get(tasks::UNKNOWN))
    }

    /// Every available tool's verdict for a task type. `available = None` means the whole catalog.
    pub fn verdicts(&self, task_type: &str, available: Option<&[String]>) -> Vec<Verdict> {
        self.verdicts_in(&self.catalog, task_type, available)
    }

    /// The same, with tools looked up in another catalog: one runtime's, when several runtimes
    /// give one name different tools (OpenClaw's `view_image` fetches URLs, Codex's does not).
    pub fn verdicts_in(&self, catalog: &Catalog, task_type: &str, available: Option<&[String]>) -> Vec<Verdict> {
        let names: Vec<String> = match available {
            Some(names) => names.to_vec(),
            None => catalog.tools().iter().map(|tool| tool.name.clone()).collect(),
        };
        let profile = self.profile_for(task_type);
        let learned = self.learned.as_ref().and_then(|l| l.task_types.get(task_type).map(|grants| (grants, l.threshold)));
        let mut seen = BTreeSet::new();
        names
            .into_iter()
            .filter(|name| seen.insert(name.clone()))
            .map(|name| {
                let why = judge(&name, catalog.get(&name), profile, learned);
                let granted = matches!(why, Why::Named { .. } | Why::Group { .. } | Why::Learned { .. });
                Verdict { tool: name, granted, why }
            })
            .collect()
    }

    /// The manifest of a task type over the available tools (the catalog when `None`).
    pub fn manifest(&self, task_type: &str, available: Option<&[String]>) -> Manifest {
        let verdicts = self.verdicts(task_type, available);
        to_manifest(task_type, &verdicts)
    }

    /// Classifies (unless the task type is given) and scopes.
    pub fn scope(&self, request: Option<&str>, task_type: Option<&str>, available: Option<&[String]>) -> Result<Scoped, GovernorError> {
        self.scope_in(&self.catalog, request, task_type, available)
    }

    /// [`Governor::scope`] with tools looked up in another catalog (see [`Governor::verdicts_in`]).
    pub fn scope_in(
        &self,
        catalog: &Catalog,
        request: Option<&str>,
        task_type: Option<&str>,
        available: Option<&[String]>,
    ) -> Result<Scoped, GovernorError> {
        let classification = self.classify(request, task_type)?;
        let verdicts = self.verdicts_in(catalog, &classification.task_type, available);
        let manifest = to_manifest(&classification.task_type, &verdicts);
        let profile = self.profile_for(&classification.task_type).map(|p| p.name.clone()).unwrap_or_default();
        Ok(Scoped { classification, manifest, profile, verdicts })
    }
}

fn to_manifest(task_type: &str, verdicts: &[Verdict]) -> Manifest {
    let (granted, denied): (Vec<&Verdict>, Vec<&Verdict>) = verdicts.iter().partition(|v| v.granted);
    Manifest {
        task_type: task_type.to_owned(),
        granted: granted.into_iter().map(|v| v.tool.clone()).collect(),
        denied: denied.into_iter().map(|v| v.tool.clone()).collect(),
    }
}

fn judge(
    name: &str,
    entry: Option<&ToolEntry>,
    profile: Option<&ResolvedProfile>,
    learned: Option<(&crate::learned::LearnedGrants, f64)>,
) -> Why {
    let Some(profile) = profile else { return Why::NotSelected };
    // A runtime's qualified MCP name (`mcp__files__read_text_file`) that the catalog resolved to
    // an MCP server's tool is also judged under the bare name the profiles write
    // (`read_text_file`), so the hook and the proxy grant and deny alike.
    let bare = entry.filter(|tool| tool.name != name && tool.is_mcp_server_tool()).map(|tool| tool.name.as_str());
    let names = || std::iter::once(name).chain(bare);
    if let Some(glob) = names().find_map(|n| profile.deny_set.matches(n).first().and_then(|index| profile.deny.get(*index))) {
        return Why::Denied { glob: glob.clone() };
    }
    let selected = match learned {
        Some((grants, threshold)) => grants.grants(name, threshold).map(|score| Why::Learned { score }),
        None => {
            if names().any(|n| profile.tool_set.is_match(n)) {
                Some(Why::Named { profile: profile.name.clone() })
            } else {
                entry
                    .and_then(|tool| tool.group.as_ref())
                    .filter(|group| profile.groups.contains(*group))
                    .map(|group| Why::Group { group: group.clone() })
            }
        }
    };
    let Some(selected) = selected else { return Why::NotSelected };
    // The risk ceiling: a tool the catalog does not know has no tags to check; it is granted only
    // when the profile names it (or the learned policy grants it).
    if let Some(tool) = entry {
        let over: Vec<RiskTag> = tool.risk.iter().copied().filter(|tag| !profile.risk.contains(tag)).collect();
        if !over.is_empty() {
            return Why::OverRisk { tags: over };
        }
    } else if matches!(selected, Why::Group { .. }) {
        return Why::NotSelected;
    }
    selected
}
