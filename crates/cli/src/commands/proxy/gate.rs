//! The proxies' gate: layer 1 (the manifest) and layer 3 (the router), recorded in the audit
//! store before the decision is acted on.

use crate::audit::Recorder;
use aethelgard_audit::{Event, SessionStart};
use aethelgard_governor::Governor;
use aethelgard_protocol::{Decision, ToolCall};
use aethelgard_router::Router;
use anyhow::Context;
use serde_json::Value;
use std::path::PathBuf;

/// The flags both proxies take to build their gate: the task, the policy, the audit store.
#[derive(Clone, Debug, clap::Args)]
pub struct GateArgs {
    /// The user's request: the governor classifies it and scopes the tools.
    #[arg(long)]
    pub task: Option<String>,
    /// The task type, instead of classifying a request (`summarise`, `implement`, ...). Without
    /// `--task` or `--task-type` every tool is listed, but calls are still routed.
    #[arg(long)]
    pub task_type: Option<String>,
    /// Policy file (default: see `aethelgard --help`).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// The audit store (default: the policy's `[audit] store`, else the user's data folder).
    #[arg(long)]
    pub audit_db: Option<PathBuf>,
    /// Record nothing.
    #[arg(long)]
    pub no_audit: bool,
}

/// Builds the gate from its flags: the router from the policy, the governor when a task is
/// given, the audit store; `source` (`proxy-mcp`, `proxy-llm`) names the proxy in the audit
/// store and starts its session ids.
pub fn governed(args: &GateArgs, source: &'static str) -> anyhow::Result<Governed> {
    let policy = args.policy.as_deref();
    let router = crate::load::router(policy).context("cannot load the policy")?;
    let governor = if args.task.is_some() || args.task_type.is_some() {
        Some(crate::load::governor(policy, None).context("cannot load the governor")?)
    } else {
        None
    };
    let recorder = Recorder::open(
        args.audit_db.as_deref(),
        router.audit_settings(),
        args.no_audit,
        source,
    )?;
    Ok(Governed {
        router,
        governor,
        task: args.task.clone(),
        task_type: args.task_type.clone(),
        recorder,
        session: format!(
            "{source}-{}-{}",
            aethelgard_audit::time::now_ms(),
            std::process::id()
        ),
        started: false,
        source,
    })
}

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
                    if acted.rule.as_deref() == Some("audit.unavailable") {
                        "is refused (fail_mode = \"closed\")"
                    } else {
                        "stands (fail_mode = \"open\" or already blocked)"
                    }
                );
                acted
            }
        }
    }
}
