//! The proxies' gate: layer 1 (the manifest) and layer 3 (the router), recorded in the audit
//! store before the decision is acted on.

use crate::audit::Recorder;
use aethelgard_audit::{Event, SessionStart};
use aethelgard_governor::Governor;
use aethelgard_protocol::{Decision, ToolCall};
use aethelgard_router::Router;
use serde_json::Value;

/// The proxy's gate: layer 1 (the manifest) and layer 3 (the router), recorded in the audit
/// store before the decision is acted on.
pub struct Governed {
    pub router: Router,
    pub governor: Option<Governor>,
    pub task: Option<String>,
    pub task_type: Option<String>,
    pub recorder: Option<Recorder>,
    pub session: String,
    pub started: bool,
    /// The audit source of this proxy's sessions (`proxy-mcp`, `proxy-llm`).
    pub source: &'static str,
}

impl aethelgard_proxy::mcp::Gate for Governed {
    fn granted(&mut self, available: &[String]) -> Option<Vec<String>> {
        let governor = self.governor.as_ref()?;
        match governor.scope(
            self.task.as_deref(),
            self.task_type.as_deref(),
            Some(available),
        ) {
            Ok(scoped) => Some(scoped.manifest.granted),
            Err(error) => {
                // A task the governor cannot scope grants nothing: fail closed.
                eprintln!("aethelgard proxy: cannot scope the task ({error}); no tool is granted");
                Some(Vec::new())
            }
        }
    }

    fn route(&mut self, tool: &str, arguments: Value, granted: Option<Vec<String>>) -> Decision {
        let mut call = ToolCall::new(tool, arguments);
        call.task = self.task.clone();
        call.task_type = self.task_type.clone();
        call.session = Some(self.session.clone());
        call.granted = granted;
        let decision = self.router.route(&call);
        let Some(recorder) = &mut self.recorder else {
            return decision;
        };
        let starts = if self.started {
            Vec::new()
        } else {
            vec![Event::SessionStart(SessionStart {
                session: self.session.clone(),
                task: self.task.clone().unwrap_or_default(),
                task_type: self.task_type.clone(),
                source: Some(self.source.to_owned()),
                granted: call.granted.clone(),
                ..SessionStart::default()
            })]
        };
        let fail_mode = self.router.fail_mode();
        let decided = [(call, decision)];
        match recorder.record_batch_with(&starts, &decided) {
            Ok(_) => {
                self.started = true;
                let [(_, decision)] = decided;
                decision
            }
            Err(error) => {
                let [(_, decision)] = decided;
                let acted = crate::audit::unrecorded(fail_mode, decision, &format!("{error:#}"));
                eprintln!(
                    "aethelgard proxy: warning: cannot record the decision in the audit log ({error:#}); the call {}",
                    if acted.rule.as_deref() == Some("audit.unavailable") { "is refused (fail_mode = \"closed\")" } else { "stands (fail_mode = \"open\" or already blocked)" }
                );
                acted
            }
        }
    }
}
