//! The decision pipeline: stage 1, then stage 2 for what stage 1 leaves undecided, with the
//! policy's fail mode on any internal error.

use crate::compiled::CompiledPolicy;
use crate::error::RouterError;
use crate::facts::Environment;
use crate::stage1::{self, Verdict};
use crate::stage2::Classifier;
use aethelgard_policy::{Catalog, FailMode, PolicyFile};
use aethelgard_protocol::{Decision, DecisionKind, Stage, ToolCall};
use std::path::Path;
use std::time::Instant;

/// A compiled policy, ready to judge calls.
pub struct Router {
    pub(crate) policy: CompiledPolicy,
    env: Environment,
    classifier: Option<Box<dyn Classifier>>,
    /// The built-in linear model, built on the first call stage 2 judges (its weights stored sparse
    /// and the catalog's descriptions): a hook whose call never reaches stage 2 does not pay.
    builtin_stage2: Option<std::sync::OnceLock<Result<Box<dyn Classifier>, String>>>,
    stage2_tools: globset::GlobSet,
    examples_checked: usize,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("origin", &self.policy.origin)
            .field("rules", &self.policy.rules.len())
            .field(
                "classifier",
                &self.classifier.as_ref().map(|c| c.name().to_owned()).or_else(|| self.builtin_stage2.as_ref().map(|_| "linear".to_owned())),
            )
            .finish()
    }
}

/// Whether to run every rule's examples while loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Examples {
    Check,
    /// Skip them: only for a policy whose exact text was checked before (the hook caches that).
    Trust,
}

impl Router {
    /// Compiles a parsed policy and checks its examples.
    pub fn new(file: PolicyFile, catalog: Catalog, origin: &str, env: Environment) -> Result<Self, RouterError> {
        Self::with_examples(file, catalog, origin, env, Examples::Check)
    }

    pub fn with_examples(file: PolicyFile, catalog: Catalog, origin: &str, env: Environment, examples: Examples) -> Result<Self, RouterError> {
        let policy = CompiledPolicy::compile(file, catalog, origin)?;
        let examples_checked = match examples {
            Examples::Check => {
                policy.compile_all()?;
                crate::examples::check(&policy)?
            }
            Examples::Trust => 0,
        };
        let mut tools = globset::GlobSetBuilder::new();
        for glob in &policy.file.stage2.tools {
            let glob = globset::Glob::new(glob).map_err(|e| RouterError::Policy(aethelgard_policy::PolicyError::Invalid {
                origin: policy.origin.clone(),
                message: format!("[stage2] tools: glob `{glob}` is invalid: {e}"),
            }))?;
            tools.add(glob);
        }
        let stage2_tools = tools.build().map_err(|e| RouterError::Policy(aethelgard_policy::PolicyError::Invalid {
            origin: policy.origin.clone(),
            message: format!("[stage2] tools: {e}"),
        }))?;
        Ok(Self { policy, env, classifier: None, builtin_stage2: None, stage2_tools, examples_checked })
    }

    /// Builds the stage 2 classifier the policy's `[stage2]` asks for (model files resolve
    /// against `base_dir`, the policy's folder); nothing for `backend = "none"`.
    pub fn with_policy_stage2(mut self, base_dir: Option<&Path>) -> Result<Self, RouterError> {
        let stage2 = &self.policy.file.stage2;
        if stage2.backend == aethelgard_policy::Stage2Backend::Linear && stage2.model.is_none() {
            // Built in, so nothing to check now: build it when a call first needs it.
            self.builtin_stage2 = Some(std::sync::OnceLock::new());
            return Ok(self);
        }
        let classifier = crate::stage2::backend::from_policy(&self.policy.file.stage2, &self.policy.catalog, base_dir)
            .map_err(|source| RouterError::Stage2 { origin: self.policy.origin.clone(), source })?;
        if let Some(classifier) = classifier {
            self.classifier = Some(classifier);
        }
        Ok(self)
    }

    /// Loads a policy file from disk (catalog files resolve beside it).
    pub fn from_path(path: &Path, env: Environment, examples: Examples) -> Result<Self, RouterError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| aethelgard_policy::PolicyError::Read { path: path.display().to_string(), source })?;
        let origin = path.display().to_string();
        let (file, catalog) = match examples {
            Examples::Check => aethelgard_policy::parse(&text, &origin, path.parent())?,
            Examples::Trust => aethelgard_policy::parse_trusted(&text, &origin, path.parent())?,
        };
        Self::with_examples(file, catalog, &origin, env, examples)?.with_policy_stage2(path.parent())
    }

    /// The built-in default policy.
    pub fn builtin(env: Environment, examples: Examples) -> Result<Self, RouterError> {
        let (file, catalog) = match examples {
            Examples::Check => aethelgard_policy::default_policy()?,
            Examples::Trust => aethelgard_policy::default_policy_trusted()?,
        };
        Self::with_examples(file, catalog, "built-in default policy", env, examples)?.with_policy_stage2(None)
    }

    /// Adds a stage 2 classifier for calls stage 1 leaves undecided.
    #[must_use]
    pub fn with_classifier(mut self, classifier: Box<dyn Classifier>) -> Self {
        self.classifier = Some(classifier);
        self
    }

    pub fn examples_checked(&self) -> usize {
        self.examples_checked
    }

    pub fn rule_count(&self) -> usize {
        self.policy.rules.len()
    }

    pub fn origin(&self) -> &str {
        &self.policy.origin
    }

    pub fn fail_mode(&self) -> FailMode {
        self.policy.file.fail_mode
    }

    /// How the policy wants decisions recorded.
    pub fn audit_settings(&self) -> &aethelgard_policy::AuditSection {
        &self.policy.file.audit
    }

    pub fn catalog(&self) -> &Catalog {
        &self.policy.catalog
    }

    /// Stage 1 only, without timing: for tests and tools that explain decisions. `Err` when a
    /// rule of an unchecked policy cannot be compiled.
    pub fn stage1(&self, call: &ToolCall) -> Result<Verdict, String> {
        stage1::evaluate(&self.policy, call, &self.env)
    }

    /// Judges one call, and when its tool is a bridge (its catalog entry's `bridge`), the calls
    /// the bridge would make ([`crate::bridge`]). Never panics: an internal failure yields the
    /// fail mode's decision.
    pub fn route(&self, call: &ToolCall) -> Decision {
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.decide_bridged(call, 0)));
        let mut decision = match outcome {
            Ok(decision) => decision,
            Err(_) => self.fail_decision("internal error in the router".to_owned()),
        };
        decision.latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        decision
    }

    /// Judges one call on its own, bridge or not.
    pub(crate) fn decide(&self, call: &ToolCall) -> Decision {
        let verdict = match stage1::evaluate(&self.policy, call, &self.env) {
            Ok(verdict) => verdict,
            Err(error) => return self.fail_decision(error),
        };
        if self.wants_stage2(call, &verdict)
            && let Some(classifier) = self.stage2_classifier() {
                let classifier = match classifier {
                    Ok(classifier) => classifier,
                    Err(error) => return self.fail_decision(error.clone()),
                };
                return match classifier.classify(call) {
                    Ok(judgement) => Decision {
                        decision: judgement.decision,
                        stage: Stage::Classifier,
                        score: judgement.score.clamp(0.0, 1.0),
                        rule: None,
                        reason: judgement.reason,
                        latency_us: 0,
                    },
                    Err(error) => self.fail_decision(error.to_string()),
                };
            }
        Decision {
            decision: verdict.decision.into(),
            stage: Stage::Rules,
            score: verdict.score,
            rule: verdict.rule,
            reason: verdict.reason,
            latency_us: 0,
        }
    }

    /// Whether stage 2 judges this call: one no rule decided (unless `[stage2] undecided = false`),
    /// or one whose tool `[stage2]` marks by name or risk tag, when no rule decided it or a rule
    /// allowed it. Stage 1's blocks and escalations stand.
    fn wants_stage2(&self, call: &ToolCall, verdict: &Verdict) -> bool {
        let stage2 = &self.policy.file.stage2;
        let marked = || {
            self.stage2_tools.is_match(&call.tool)
                || (!stage2.risk.is_empty()
                    && self.policy.catalog.get(&call.tool).is_some_and(|tool| tool.risk.iter().any(|tag| stage2.risk.contains(tag))))
        };
        if verdict.undecided {
            return stage2.undecided || marked();
        }
        verdict.decision == aethelgard_policy::Decision::Allow && marked()
    }

    /// The stage 2 classifier, building the built-in one on first use.
    fn stage2_classifier(&self) -> Option<Result<&dyn Classifier, &String>> {
        if let Some(classifier) = &self.classifier {
            return Some(Ok(classifier.as_ref()));
        }
        let cell = self.builtin_stage2.as_ref()?;
        let built = cell.get_or_init(|| {
            crate::stage2::backend::from_policy(&self.policy.file.stage2, &self.policy.catalog, None)
                .map_err(|error| error.to_string())
                .and_then(|classifier| classifier.ok_or_else(|| "the built-in stage 2 model did not build".to_owned()))
        });
        Some(built.as_ref().map(AsRef::as_ref))
    }

    /// The decision when judging failed: block unless the policy fails open.
    pub fn fail_decision(&self, why: String) -> Decision {
        fail_decision(self.policy.file.fail_mode, why)
    }
}

/// The decision for a failure under a fail mode, also usable before any policy loaded.
pub fn fail_decision(mode: FailMode, why: String) -> Decision {
    let (decision, verb) = match mode {
        FailMode::Closed => (DecisionKind::Block, "blocked"),
        FailMode::Open => (DecisionKind::Allow, "allowed (fail_mode = \"open\")"),
    };
    Decision {
        decision,
        stage: Stage::Rules,
        score: 1.0,
        rule: Some("router.internal-error".to_owned()),
        reason: format!("{verb}: {why}"),
        latency_us: 0,
    }
}
