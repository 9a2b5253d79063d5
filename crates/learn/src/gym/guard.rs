//! Who judges the agent's calls in the gym: nobody ([`AllowAll`]) or the real router
//! ([`RouterGuard`], layer 3 with the built-in default policy).

use super::data::Gym;
use crate::episode::ToolSpec;
use crate::error::LearnError;
use aethelgard_protocol::{Decision, DecisionKind, Stage, ToolCall};
use aethelgard_router::{Environment, Examples, Router};

/// Judges one tool call before it runs.
///
/// The call carries the session's request (`task`, `task_type`, `session`) and, in
/// `untrusted`, the tool outputs the agent has read so far, so a recipient or host that only an
/// injected output mentions can be told apart from one the user asked for.
pub trait CallGuard {
    fn judge(&mut self, call: &ToolCall, tool: &ToolSpec) -> Decision;

    /// Whether the session record should carry the guard's decisions. A guard that judges
    /// nothing ([`AllowAll`]) leaves them out, as a runtime without governance logs no decision.
    fn records_decisions(&self) -> bool {
        true
    }
}

/// No governance: every call runs (the runtimes' default).
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl CallGuard for AllowAll {
    fn judge(&mut self, _call: &ToolCall, _tool: &ToolSpec) -> Decision {
        Decision {
            decision: DecisionKind::Allow,
            stage: Stage::Rules,
            score: 0.0,
            rule: None,
            reason: String::new(),
            latency_us: 0,
        }
    }

    fn records_decisions(&self) -> bool {
        false
    }
}

/// The router as the gym's guard: a call is let through only when the router allows it; an
/// escalation counts as a block, since no human answers in the gym.
#[derive(Debug)]
pub struct RouterGuard {
    router: Router,
}

/// Where gym calls run: the workspace and home the default policy's examples use.
pub const GYM_HOME: &str = "/home/dev";
pub const GYM_WORKSPACE: &str = "/home/dev/project";

impl RouterGuard {
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    /// The built-in default policy (rules and the stage 2 model), its catalog extended with
    /// every gym catalog so the router knows the domain tools' risk tags and argument pointers.
    pub fn builtin(gym: &Gym) -> Result<Self, LearnError> {
        let (file, mut catalog) = aethelgard_policy::default_policy_trusted()
            .map_err(|e| LearnError::invalid("built-in default policy", e.to_string()))?;
        catalog.extend(gym.tool_entries().cloned());
        let env = Environment::new(GYM_HOME, GYM_WORKSPACE);
        let router = Router::with_examples(
            file,
            catalog,
            "built-in default policy with the gym's catalogs",
            env,
            Examples::Trust,
        )
        .and_then(|router| router.with_policy_stage2(None))
        .map_err(|e| LearnError::invalid("built-in default policy", e.to_string()))?;
        Ok(Self::new(router))
    }

    pub fn router(&self) -> &Router {
        &self.router
    }
}

impl CallGuard for RouterGuard {
    fn judge(&mut self, call: &ToolCall, _tool: &ToolSpec) -> Decision {
        self.router.route(call)
    }
}
