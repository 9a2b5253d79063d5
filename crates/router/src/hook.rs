//! The PreToolUse hook protocols of Codex CLI and Claude Code, as pure functions from the bytes
//! on stdin to the text on stdout, so they can be tested and fuzzed without a process.
//!
//! Both runtimes fail open: Codex lets the call run on `ask`, a bare `allow`, invalid JSON, a
//! non-zero exit other than 2 or a timeout; Claude Code on exit code 1. So every answer here is
//! either nothing (no opinion: the runtime's own permission flow continues) or a well-formed
//! deny (or, for Claude Code only, an ask) with a non-empty reason, and the caller always exits 0.

use crate::router::Router;
use aethelgard_protocol::hooks::{PermissionDecision, PreToolUseInput, PreToolUseOutput};
use aethelgard_protocol::{Decision, DecisionKind, ToolCall};

/// Which runtime is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Codex,
    Claude,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Self::Codex => "codex",
            Self::Claude => "claude",
        }
    }
}

/// Largest hook input judged; anything larger is denied unread.
pub const MAX_INPUT: usize = 8 * 1024 * 1024;

/// What the hook answers.
#[derive(Clone, Debug, PartialEq)]
pub struct HookResponse {
    /// The JSON to print, or `None` for no opinion (the call proceeds to the runtime's own checks).
    pub stdout: Option<String>,
    /// The router's decision, when a call was judged.
    pub decision: Option<Decision>,
    /// The call as judged, when the input was a tool call.
    pub call: Option<ToolCall>,
}

/// The deny every failure turns into. Kept as a constant-shaped string so it cannot fail.
pub fn deny_json(reason: &str) -> String {
    serde_json::to_string(&PreToolUseOutput::deny(reason)).unwrap_or_else(|_| {
        r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"blocked by aethelgard: internal error"}}"#.to_owned()
    })
}

/// Answers one hook invocation. `router` is `Err(reason)` when the policy could not be loaded;
/// then every call is denied (there is no policy to fail open by).
pub fn respond(runtime: Runtime, input: &[u8], router: Result<&Router, &str>) -> HookResponse {
    let none = |stdout: String| HookResponse { stdout: Some(stdout), decision: None, call: None };
    if input.len() > MAX_INPUT {
        return none(deny_json(&format!("aethelgard: hook input larger than {MAX_INPUT} bytes; refusing to judge it")));
    }
    let payload: PreToolUseInput = match serde_json::from_slice(input) {
        Ok(payload) => payload,
        Err(error) => {
            return none(deny_json(&format!("aethelgard: could not read the {} hook input as PreToolUse JSON: {error}", runtime.name())));
        }
    };
    if payload.hook_event_name.as_deref().is_some_and(|event| event != "PreToolUse") {
        // Registered for another event by mistake: say nothing rather than misuse a deny.
        return HookResponse { stdout: None, decision: None, call: None };
    }
    let call = ToolCall {
        tool: payload.tool_name,
        args: payload.tool_input,
        task: None,
        task_type: None,
        session: payload.session_id,
        cwd: payload.cwd,
        granted: None,
        context: None,
        untrusted: None,
    };
    let router = match router {
        Ok(router) => router,
        Err(reason) => {
            return HookResponse { stdout: Some(deny_json(&format!("aethelgard: {reason}"))), decision: None, call: Some(call) };
        }
    };
    let decision = router.route(&call);
    let stdout = render(runtime, &decision);
    HookResponse { stdout, decision: Some(decision), call: Some(call) }
}

/// The runtime's JSON for a decision.
pub fn render(runtime: Runtime, decision: &Decision) -> Option<String> {
    let rule = decision.rule.as_deref().map(|id| format!(" [rule {id}]")).unwrap_or_default();
    let (permission, reason) = match decision.decision {
        DecisionKind::Allow => return None,
        DecisionKind::Block => (PermissionDecision::Deny, format!("Blocked by Aethelgard policy: {}{rule}", decision.reason)),
        DecisionKind::Escalate => match runtime {
            // Codex fails open on `ask`, so an escalation is a deny that says a human must approve.
            Runtime::Codex => (
                PermissionDecision::Deny,
                format!("Needs human approval under Aethelgard policy (Codex hooks cannot ask): {}{rule}", decision.reason),
            ),
            Runtime::Claude => (PermissionDecision::Ask, format!("Aethelgard asks for approval: {}{rule}", decision.reason)),
        },
    };
    Some(serde_json::to_string(&PreToolUseOutput::new(permission, &reason)).unwrap_or_else(|_| deny_json(&reason)))
}
