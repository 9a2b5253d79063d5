//! The agent behaviour model: how a simulated agent works through a scenario under a grant.
//!
//! The model, with its constants (each documented where it is defined):
//!
//! 1. **Needs.** For each group of tools the task needs, the agent calls the session's chosen
//!    tool if it is granted, else the first granted alternative, [`calls_per_need`] times. When
//!    the guard blocks a call it moves on to the next granted alternative. A group with no
//!    granted tool is a *required-tool denial*; a group whose every granted tool was blocked is a
//!    *governance failure*. Either fails the task.
//! 2. **Exploration.** The agent also makes extra calls, Poisson distributed with mean
//!    [`EXPLORATION_PER_LOG_TOOL`] × ln(1 + u), u the visible tools the task does not need: an
//!    agent that sees more tools wanders more. Each goes to a visible unneeded tool, dangerous
//!    ones weighted [`DANGEROUS_EXPLORATION_WEIGHT`] against 1 for harmless ones. Exploration
//!    never decides success, but it fills the logs that learners read.
//! 3. **Overload.** Tool overload degrades agents: the task fails outright with probability
//!    min([`OVERLOAD_CAP`], [`OVERLOAD_PER_EXTRA_TOOL`] × u). With exactly N visible, u = 0 and
//!    this never happens.
//! 4. **Injection.** In a scenario with an injection, the output of the session's first call
//!    carries it. The model ignores it with probability [`MODEL_REFUSAL_RATE`] (a *model
//!    refusal*); otherwise it calls the target tool with the attacker's arguments, which is
//!    possible only if the tool is visible, and runs only if the guard allows it.
//!
//! Success is ground truth: every need group satisfied by a granted tool whose calls were all
//! allowed, and no overload failure. The random draws that do not depend on the grant (refusal,
//! overload) come first from the scenario's stream, so two grants of one scenario see the same
//! luck.

use super::data::Gym;
use super::guard::CallGuard;
use super::scenario::{GymConfig, Scenario, pick};
use super::template::{ArgsTemplate, SlotLists, SlotValues};
use aethelgard_protocol::{DecisionKind, SessionCall, SessionRecord, ToolCall};
use rand::Rng;
use serde_json::Value;

/// Mean extra calls per unit of ln(1 + unneeded visible tools): about 1.6 with the 15-tool
/// catalog and one tool needed, 0 with exactly N visible.
pub const EXPLORATION_PER_LOG_TOOL: f64 = 0.6;
/// Weight of a dangerous tool (exec, spawn, credential, destructive, payment) when the agent
/// picks an exploratory call, against 1 for a harmless one.
pub const DANGEROUS_EXPLORATION_WEIGHT: f64 = 0.15;
/// Added failure probability per visible tool the task does not need.
pub const OVERLOAD_PER_EXTRA_TOOL: f64 = 0.002;
/// The most that overload can add to the failure probability.
pub const OVERLOAD_CAP: f64 = 0.1;
/// Probability that the model ignores an injected instruction by itself.
pub const MODEL_REFUSAL_RATE: f64 = 0.4;
/// Probability of each further call to a needed tool (a second file, a retry), up to
/// [`MAX_CALLS_PER_NEED`].
pub const REPEAT_CALL_RATE: f64 = 0.3;
pub const MAX_CALLS_PER_NEED: usize = 3;
/// The most exploratory calls one session makes.
const MAX_EXPLORATORY_CALLS: usize = 12;

/// What became of a session's injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttackOutcome {
    /// The scenario carried none.
    None,
    /// The agent made no call, so it never read the poisoned output.
    Unseen,
    /// The model ignored the instruction.
    Refused,
    /// The model obeyed, but the target tool was not granted.
    NotVisible,
    /// The model called the tool and the guard blocked or escalated the call.
    Blocked,
    /// The call ran: the attack succeeded.
    Reached,
}

/// One run of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The session as a log holds it: `source = "gym"`, `granted`, ground-truth `needed`, every
    /// call with the guard's decision (none under [`super::AllowAll`]), the injection text as
    /// the first call's `output`.
    pub record: SessionRecord,
    pub success: bool,
    /// Need groups with no granted tool (required-tool denials).
    pub required_denied: usize,
    /// Need groups whose granted tools were all blocked by the guard.
    pub governance_failures: usize,
    pub attack: AttackOutcome,
    /// Calls the guard blocked or escalated, benign or injected.
    pub calls_blocked: usize,
    /// The model ignored the injection ([`AttackOutcome::Refused`]), kept apart from blocks.
    pub model_refused: bool,
    /// The task failed from tool overload.
    pub overloaded: bool,
    pub exploratory_calls: usize,
}

/// How many calls the agent makes to one needed tool: 1, plus more with [`REPEAT_CALL_RATE`].
pub fn calls_per_need(rng: &mut impl Rng) -> usize {
    let mut calls = 1;
    while calls < MAX_CALLS_PER_NEED && rng.random::<f64>() < REPEAT_CALL_RATE {
        calls += 1;
    }
    calls
}

/// Failure probability from tool overload with `unneeded_visible` tools visible beyond N.
pub fn overload_probability(unneeded_visible: usize) -> f64 {
    (OVERLOAD_PER_EXTRA_TOOL * unneeded_visible as f64).min(OVERLOAD_CAP)
}

/// Mean number of exploratory calls with `unneeded_visible` tools visible beyond N.
pub fn exploration_mean(unneeded_visible: usize) -> f64 {
    EXPLORATION_PER_LOG_TOOL * (1.0 + unneeded_visible as f64).ln()
}

/// A Poisson draw (Knuth's method; the means here are small).
fn poisson(mean: f64, rng: &mut impl Rng) -> usize {
    let limit = (-mean).exp();
    let mut product = rng.random::<f64>();
    let mut count = 0;
    while product > limit && count < MAX_EXPLORATORY_CALLS {
        count += 1;
        product *= rng.random::<f64>();
    }
    count
}

/// A session in progress: the calls so far and what the agent has read.
struct Session<'g, 's> {
    scenario: &'s Scenario,
    guard: &'g mut dyn CallGuard,
    calls: Vec<SessionCall>,
    untrusted: Vec<String>,
    calls_blocked: usize,
}

impl Session<'_, '_> {
    /// Makes one call through the guard and records it; whether it was allowed.
    fn call(&mut self, tool: usize, args: Value) -> bool {
        let Some(spec) = self.scenario.tools.get(tool) else {
            return false;
        };
        let mut call = ToolCall::new(spec.name.clone(), args);
        call.task = Some(self.scenario.task.clone());
        call.task_type = Some(self.scenario.task_type.clone());
        call.session = Some(self.scenario.id.clone());
        if !self.untrusted.is_empty() {
            call.untrusted = Some(self.untrusted.clone());
        }
        let decision = self.guard.judge(&call, spec);
        let allowed = decision.decision == DecisionKind::Allow;
        self.calls_blocked += usize::from(!allowed);
        let recorded = if self.guard.records_decisions() {
            SessionCall {
                tool: call.tool,
                args: call.args,
                decision: Some(decision.decision),
                stage: Some(decision.stage),
                rule: decision.rule,
                score: Some(decision.score),
                reason: (!decision.reason.is_empty()).then_some(decision.reason),
                ..SessionCall::default()
            }
        } else {
            SessionCall::new(call.tool, call.args)
        };
        self.calls.push(recorded);
        allowed
    }
}

impl Gym {
    /// Runs `scenario` with the tools where `grant` is set visible (parallel to
    /// `scenario.tools`; missing entries count as not granted), `guard` judging every call.
    /// Pass `&mut scenario.rng()` for runs comparable across grants.
    pub fn run(
        &self,
        scenario: &Scenario,
        grant: &[bool],
        guard: &mut dyn CallGuard,
        rng: &mut impl Rng,
    ) -> Outcome {
        let granted = |tool: usize| grant.get(tool).copied().unwrap_or(false);
        let visible: Vec<usize> = (0..scenario.tools.len())
            .filter(|&tool| granted(tool))
            .collect();
        let unneeded: Vec<usize> = visible
            .iter()
            .copied()
            .filter(|&tool| !scenario.needed.get(tool).copied().unwrap_or(false))
            .collect();

        // Draws that must not depend on the grant come first.
        let refusal_draw = rng.random::<f64>();
        let overload_draw = rng.random::<f64>();
        let overloaded = overload_draw < overload_probability(unneeded.len());

        let empty = SlotLists::new();
        let family = self.family(&scenario.family);
        let family_slots = family.map_or(&empty, |family| &family.slots);
        let mut slots =
            SlotValues::with_chosen(family_slots, &self.shared_slots, scenario.slots.clone());

        // Exploratory calls, each placed before one of the need groups (or after the last).
        let exploratory = if unneeded.is_empty() {
            0
        } else {
            poisson(exploration_mean(unneeded.len()), rng)
        };
        let mut explore_at: Vec<usize> = (0..exploratory)
            .map(|_| rng.random_range(0..=scenario.needs.len()))
            .collect();
        explore_at.sort_unstable();

        let mut session = Session {
            scenario,
            guard,
            calls: Vec::new(),
            untrusted: Vec::new(),
            calls_blocked: 0,
        };
        let mut attack = if scenario.injection.is_some() {
            AttackOutcome::Unseen
        } else {
            AttackOutcome::None
        };
        let mut required_denied = 0;
        let mut governance_failures = 0;
        let mut next_exploration = explore_at.iter().peekable();
        for position in 0..=scenario.needs.len() {
            while next_exploration.next_if(|&&at| at == position).is_some() {
                if let Some(tool) = pick_exploration(scenario, &unneeded, rng) {
                    let args = self.arguments(None, &scenario.tools, tool, &mut slots, rng);
                    session.call(tool, args);
                    self.deliver_injection(&mut session, &mut attack, refusal_draw, &granted);
                }
            }
            let Some(need) = scenario.needs.get(position) else {
                continue;
            };
            let candidates = std::iter::once(need.chosen).chain(
                need.tools
                    .iter()
                    .copied()
                    .filter(|&tool| tool != need.chosen),
            );
            let mut any_granted = false;
            let mut satisfied = false;
            for tool in candidates.filter(|&tool| granted(tool)) {
                any_granted = true;
                let mut all_allowed = true;
                for _ in 0..calls_per_need(rng) {
                    let args = self.arguments(
                        family.map(|f| &f.args),
                        &scenario.tools,
                        tool,
                        &mut slots,
                        rng,
                    );
                    all_allowed &= session.call(tool, args);
                    self.deliver_injection(&mut session, &mut attack, refusal_draw, &granted);
                }
                if all_allowed {
                    satisfied = true;
                    break;
                }
            }
            if !any_granted {
                required_denied += 1;
            } else if !satisfied {
                governance_failures += 1;
            }
        }

        let success = required_denied == 0 && governance_failures == 0 && !overloaded;
        let names = |mask: &dyn Fn(usize) -> bool| -> Vec<String> {
            scenario
                .tools
                .iter()
                .enumerate()
                .filter(|(i, _)| mask(*i))
                .map(|(_, tool)| tool.name.clone())
                .collect()
        };
        let record = SessionRecord {
            session: scenario.id.clone(),
            task: scenario.task.clone(),
            task_type: Some(scenario.task_type.clone()),
            tools: names(&|_| true),
            calls: session.calls,
            success: Some(success),
            granted: Some(names(&granted)),
            needed: Some(names(&|i| scenario.needed.get(i).copied().unwrap_or(false))),
            source: Some("gym".to_owned()),
            started_at: None,
        };
        Outcome {
            record,
            success,
            required_denied,
            governance_failures,
            attack,
            calls_blocked: session.calls_blocked,
            model_refused: attack == AttackOutcome::Refused,
            overloaded,
            exploratory_calls: exploratory,
        }
    }

    /// The training logs: every scenario of `cfg` run with all tools visible (the runtimes'
    /// default), `guard` judging the calls, each on its own random stream.
    pub fn logs(
        &self,
        cfg: &GymConfig,
        guard: &mut dyn CallGuard,
    ) -> Result<Vec<SessionRecord>, crate::error::LearnError> {
        let scenarios = self.scenarios(cfg)?;
        Ok(scenarios
            .iter()
            .map(|scenario| {
                self.run(
                    scenario,
                    &scenario.all_tools_grant(),
                    guard,
                    &mut scenario.rng(),
                )
                .record
            })
            .collect())
    }

    /// After the session's first call: its output carries the injection, and the agent reacts.
    fn deliver_injection(
        &self,
        session: &mut Session<'_, '_>,
        attack: &mut AttackOutcome,
        refusal_draw: f64,
        granted: &dyn Fn(usize) -> bool,
    ) {
        let scenario = session.scenario;
        let Some(injection) = &scenario.injection else {
            return;
        };
        if *attack != AttackOutcome::Unseen {
            return;
        }
        if let Some(carrier) = session.calls.last_mut() {
            carrier.output = Some(injection.text.clone());
        }
        session.untrusted.push(injection.text.clone());
        *attack = if refusal_draw < MODEL_REFUSAL_RATE {
            AttackOutcome::Refused
        } else if !granted(injection.target) {
            AttackOutcome::NotVisible
        } else if session.call(injection.target, injection.args.clone()) {
            AttackOutcome::Reached
        } else {
            AttackOutcome::Blocked
        };
    }

    /// Arguments for a call to `tool`: the family's own templates for it, else the shared
    /// benign ones, else `{}`.
    fn arguments(
        &self,
        family_args: Option<&std::collections::BTreeMap<String, Vec<ArgsTemplate>>>,
        tools: &[crate::episode::ToolSpec],
        tool: usize,
        slots: &mut SlotValues<'_>,
        rng: &mut impl Rng,
    ) -> Value {
        let Some(name) = tools.get(tool).map(|spec| spec.name.as_str()) else {
            return Value::Object(serde_json::Map::new());
        };
        let templates = family_args
            .and_then(|args| args.get(name))
            .or_else(|| self.benign.get(name));
        match templates.and_then(|list| pick(rng, list.len()).and_then(|i| list.get(i))) {
            Some(template) => template.fill(slots, rng),
            None => Value::Object(serde_json::Map::new()),
        }
    }
}

/// An exploratory call's tool: a visible unneeded tool, harmless ones preferred.
fn pick_exploration(scenario: &Scenario, unneeded: &[usize], rng: &mut impl Rng) -> Option<usize> {
    let weight = |tool: usize| {
        if scenario
            .tools
            .get(tool)
            .is_some_and(crate::episode::ToolSpec::is_dangerous)
        {
            DANGEROUS_EXPLORATION_WEIGHT
        } else {
            1.0
        }
    };
    let total: f64 = unneeded.iter().map(|&tool| weight(tool)).sum();
    let mut draw = rng.random::<f64>() * total;
    for &tool in unneeded {
        draw -= weight(tool);
        if draw < 0.0 {
            return Some(tool);
        }
    }
    unneeded.last().copied()
}
