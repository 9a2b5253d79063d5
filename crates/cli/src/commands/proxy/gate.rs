//! The proxies' gate: layer 1 (the manifest) and layer 3 (the router), recorded in the audit
//! store before the decision is acted on.
//!
//! When the policy daemon answers (`--daemon auto`, the default, or `require`), the gate asks it:
//! the daemon's policy decides and the daemon's store records, as for the hook. When none answers
//! at the start, the gate decides in process, loading the policy and the recorder then. When the
//! daemon stops answering mid-run, `auto` decides in process and asks the daemon again every
//! `--daemon-retry` seconds (a short `status` probe), going back to it once it answers;
//! `require` refuses calls instead, trying the socket on each. Either way a call goes through
//! only once its decision is recorded (or the policy fails open).

use super::through_daemon::Daemon;
use crate::audit::Recorder;
use aethelgard_audit::{Event, SessionStart};
use aethelgard_governor::Governor;
use aethelgard_protocol::{Decision, ToolCall};
use aethelgard_router::Router;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Whether the gate asks the policy daemon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DaemonMode {
    /// The daemon when one answers at the start, else in process; in process too once it is lost.
    #[default]
    Auto,
    /// Always in process.
    Off,
    /// The daemon only: no start without one, and calls refused while it does not answer.
    Require,
}

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
    /// Policy file (default: see `aethelgard --help`). Used in process only: a daemon decides with
    /// its own.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// The audit store (default: the policy's `[audit] store`, else the user's data folder). Used
    /// in process only: a daemon records in its own.
    #[arg(long)]
    pub audit_db: Option<PathBuf>,
    /// Record nothing (in process only).
    #[arg(long)]
    pub no_audit: bool,
    /// Ask the policy daemon (`aethelgard serve`) at the hook's socket (`$AETHELGARD_SOCKET`,
    /// else `$XDG_RUNTIME_DIR/aethelgard.sock`, ...): `auto` when one answers, else decide in
    /// process (also once it is lost); `require` refuses to start without one and refuses calls
    /// while it does not answer; `off` always decides in process.
    #[arg(long, value_enum, default_value_t = DaemonMode::Auto, value_name = "auto|off|require")]
    pub daemon: DaemonMode,
    /// Under `--daemon auto`, after the daemon stopped answering: how long to decide in process
    /// before asking it again (a `status` probe of at most 0.2 s), in seconds.
    #[arg(long, default_value = "5", value_name = "SECONDS", value_parser = seconds)]
    pub daemon_retry: Duration,
}

/// A non-negative number of seconds (`5`, `0.5`).
fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds (e.g. 5 or 0.5)"))?;
    Duration::try_from_secs_f64(value).map_err(|_| format!("`{text}`: the seconds must be zero or more, and finite"))
}

/// Builds the gate from its flags; `source` (`proxy-mcp`, `proxy-llm`) names the proxy in the
/// audit store and starts its session ids. In process, the policy, the governor and the store are
/// opened now, so a broken one stops the proxy before it serves. [`Governed::mode`] says which
/// way it decides, for the caller to print once it serves (after the line giving its address,
/// which scripts read first).
pub fn governed(args: &GateArgs, source: &'static str) -> anyhow::Result<Governed> {
    let mut gate = Governed {
        args: args.clone(),
        source,
        session: format!(
            "{source}-{}-{}",
            aethelgard_audit::time::now_ms(),
            std::process::id()
        ),
        daemon: None,
        retry_at: None,
        local: None,
        mode: String::new(),
    };
    let socket = match args.daemon {
        DaemonMode::Off => None,
        DaemonMode::Auto | DaemonMode::Require => crate::daemon::socket_path(None),
    };
    let connected = socket.as_deref().map(Daemon::connect);
    match (args.daemon, socket, connected) {
        (_, Some(socket), Some(Ok((daemon, greeting)))) => {
            let ignored: Vec<&str> = [
                (args.policy.is_some(), "--policy"),
                (args.audit_db.is_some(), "--audit-db"),
                (args.no_audit, "--no-audit"),
            ]
            .into_iter()
            .filter_map(|(given, flag)| given.then_some(flag))
            .collect();
            let ignored = if ignored.is_empty() {
                String::new()
            } else {
                let (verb, pronoun) = if ignored.len() == 1 { ("applies", "it") } else { ("apply", "them") };
                format!(
                    "\naethelgard proxy: warning: {} {verb} in process only; the daemon decides with its own policy and store (use `--daemon off` to use {pronoun})",
                    ignored.join(", ")
                )
            };
            gate.mode = format!(
                "aethelgard proxy: deciding through the daemon at {} (pid {}, policy {}){}{ignored}",
                socket.display(),
                greeting.pid,
                greeting.policy,
                if args.daemon == DaemonMode::Require {
                    "; calls are refused if it stops answering"
                } else {
                    "; in process while it does not answer"
                }
            );
            gate.daemon = Some(daemon);
            return Ok(gate);
        }
        (DaemonMode::Require, None, _) => anyhow::bail!(
            "`--daemon require`: no daemon socket (AETHELGARD_SOCKET=off, or no home folder); set AETHELGARD_SOCKET to the socket of `aethelgard serve`, or use `--daemon auto`"
        ),
        (DaemonMode::Require, Some(socket), Some(Err(error))) => anyhow::bail!(
            "`--daemon require`: no daemon answers at `{}` ({error}); start `aethelgard serve` first, or use `--daemon auto` to decide in process without one",
            socket.display()
        ),
        (_, socket, connected) => {
            let why = match (socket, connected) {
                (Some(socket), Some(Err(error))) => {
                    format!("no daemon answers at {}: {error}", socket.display())
                }
                _ if args.daemon == DaemonMode::Off => "--daemon off".to_owned(),
                _ => "AETHELGARD_SOCKET=off".to_owned(),
            };
            gate.mode = format!("aethelgard proxy: deciding in process ({why})");
        }
    }
    let local = Local::load(&gate.args, source).map_err(anyhow::Error::msg)?;
    if let Err(error) = &local.recorder {
        anyhow::bail!("{error}");
    }
    gate.local = Some(Ok(local));
    Ok(gate)
}

/// The proxy's gate: the daemon while it answers, else the policy and store in process.
pub struct Governed {
    args: GateArgs,
    /// The audit source of this proxy's sessions (`proxy-mcp`, `proxy-llm`).
    source: &'static str,
    session: String,
    /// The daemon asked; `None` when deciding in process from the start.
    daemon: Option<Daemon>,
    /// Under `auto`, after the daemon was lost: when to ask it again. Until then the gate
    /// decides in process.
    retry_at: Option<Instant>,
    /// The policy and the store in process: loaded at the start without a daemon, else when the
    /// daemon is lost; the error says why they could not be.
    local: Option<Result<Local, String>>,
    /// Which way the gate decides, as a line for stderr.
    pub mode: String,
}

/// What deciding in process needs.
struct Local {
    router: Router,
    governor: Option<Governor>,
    /// The store, or why it cannot be opened (each call then follows the unrecordable rule).
    recorder: Result<Option<Recorder>, String>,
    started: bool,
}

impl Local {
    /// Loads the policy, the governor (with a task) and the store. A store that cannot be opened
    /// is kept as its error: fatal at the start, and after a lost daemon each call then follows
    /// the unrecordable rule.
    fn load(args: &GateArgs, source: &str) -> Result<Self, String> {
        let policy = args.policy.as_deref();
        let router = crate::load::router(policy).map_err(|e| format!("cannot load the policy: {e:#}"))?;
        let governor = if args.task.is_some() || args.task_type.is_some() {
            Some(crate::load::governor(policy, None).map_err(|e| format!("cannot load the governor: {e:#}"))?)
        } else {
            None
        };
        let recorder = Recorder::open(
            args.audit_db.as_deref(),
            router.audit_settings(),
            args.no_audit,
            source,
        )
        .map_err(|e| format!("{e:#}"));
        Ok(Self {
            router,
            governor,
            recorder,
            started: false,
        })
    }

    fn granted(&self, args: &GateArgs, available: &[String]) -> Option<Vec<String>> {
        let governor = self.governor.as_ref()?;
        match governor.scope(args.task.as_deref(), args.task_type.as_deref(), Some(available)) {
            Ok(scoped) => Some(scoped.manifest.granted),
            Err(error) => Some(cannot_scope(&error.to_string())),
        }
    }

    fn route(&mut self, call: ToolCall, source: &str) -> Decision {
        let decision = self.router.route(&call);
        let recorder = match &mut self.recorder {
            Ok(None) => return decision,
            Ok(Some(recorder)) => recorder,
            Err(error) => return unrecorded(&self.router, decision, error),
        };
        let starts = if self.started {
            Vec::new()
        } else {
            vec![Event::SessionStart(SessionStart {
                session: call.session.clone().unwrap_or_default(),
                task: call.task.clone().unwrap_or_default(),
                task_type: call.task_type.clone(),
                source: Some(source.to_owned()),
                granted: call.granted.clone(),
                ..SessionStart::default()
            })]
        };
        let decided = [(call, decision)];
        match recorder.record_batch_with(&starts, &decided) {
            Ok(_) => {
                self.started = true;
                let [(_, decision)] = decided;
                decision
            }
            Err(error) => {
                let [(_, decision)] = decided;
                unrecorded(&self.router, decision, &format!("{error:#}"))
            }
        }
    }
}

/// A task that cannot be scoped grants nothing: fail closed.
fn cannot_scope(error: &str) -> Vec<String> {
    say(&format!("aethelgard proxy: cannot scope the task ({error}); no tool is granted"));
    Vec::new()
}

/// The one rule for a decision the store did not take, with the proxy's warning.
fn unrecorded(router: &Router, decision: Decision, error: &str) -> Decision {
    let acted = crate::audit::unrecorded(router.fail_mode(), decision, error);
    say(&format!(
        "aethelgard proxy: warning: cannot record the decision in the audit log ({error}); the call {}",
        if acted.rule.as_deref() == Some("audit.unavailable") {
            "is refused (fail_mode = \"closed\")"
        } else {
            "stands (fail_mode = \"open\" or already blocked)"
        }
    ));
    acted
}

/// A line on stderr. Unlike `eprintln!`, a closed stderr (a caller that stopped reading it)
/// cannot panic the gate in the middle of a decision.
pub fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}


impl Governed {
    /// The daemon failed to answer: under `auto` the gate decides in process until
    /// `--daemon-retry` has passed; under `require` the next request connects again and the caller
    /// refuses this one. Returns the refusal's reason under `require`.
    fn lost(&mut self, error: &std::io::Error) -> Option<String> {
        let socket = self
            .daemon
            .as_ref()
            .map_or_else(String::new, |d| d.socket.display().to_string());
        if self.args.daemon == DaemonMode::Require {
            let reason = format!(
                "the policy daemon at `{socket}` did not answer ({error}); `--daemon require` refuses calls without it"
            );
            say(&format!("aethelgard proxy: {reason}"));
            return Some(reason);
        }
        say(&format!(
            "aethelgard proxy: the daemon at {socket} did not answer ({error}); deciding in process, asking it again every {} s",
            self.args.daemon_retry.as_secs_f64()
        ));
        self.retry_at = Some(Instant::now() + self.args.daemon_retry);
        None
    }

    /// Whether to ask the daemon now. After a loss under `auto`, not until the retry is due;
    /// then a `status` probe says whether it answers again (the gate goes back to it) or not
    /// (in process for another `--daemon-retry`).
    fn daemon_due(&mut self) -> bool {
        let Some(daemon) = self.daemon.as_mut() else { return false };
        let Some(at) = self.retry_at else { return true };
        if Instant::now() < at {
            return false;
        }
        match daemon.probe() {
            Ok(()) => {
                say(&format!(
                    "aethelgard proxy: the daemon at {} answers again; deciding through it",
                    daemon.socket.display()
                ));
                self.retry_at = None;
                true
            }
            Err(_) => {
                self.retry_at = Some(Instant::now() + self.args.daemon_retry);
                false
            }
        }
    }

    /// The in-process policy and store, loaded the first time they are needed.
    fn local(&mut self) -> &mut Result<Local, String> {
        let (args, source) = (&self.args, self.source);
        self.local
            .get_or_insert_with(|| Local::load(args, source))
    }
}

impl aethelgard_proxy::mcp::Gate for Governed {
    fn granted(&mut self, available: &[String]) -> Option<Vec<String>> {
        if self.args.task.is_none() && self.args.task_type.is_none() {
            return None;
        }
        if self.daemon_due()
            && let Some(daemon) = &mut self.daemon
        {
            let asked = daemon.scope(
                self.args.task.as_deref(),
                self.args.task_type.as_deref(),
                available,
            );
            match asked {
                Ok(Ok(granted)) => return Some(granted),
                Ok(Err(error)) => return Some(cannot_scope(&error)),
                Err(error) => {
                    if self.lost(&error).is_some() {
                        return Some(Vec::new());
                    }
                }
            }
        }
        let args = self.args.clone();
        match self.local() {
            Ok(local) => local.granted(&args, available),
            Err(error) => Some(cannot_scope(error)),
        }
    }

    fn route(&mut self, tool: &str, arguments: Value, granted: Option<Vec<String>>) -> Decision {
        let mut call = ToolCall::new(tool, arguments);
        call.task = self.args.task.clone();
        call.task_type = self.args.task_type.clone();
        call.session = Some(self.session.clone());
        call.granted = granted;
        if self.daemon_due()
            && let Some(daemon) = &mut self.daemon
        {
            // The daemon runs elsewhere: the call's paths are judged against the proxy's folder.
            let mut asked = call.clone();
            asked.cwd = std::env::current_dir()
                .ok()
                .map(|dir| dir.display().to_string());
            match daemon.route(&asked, self.source) {
                Ok(decision) => return decision,
                Err(error) => {
                    if let Some(reason) = self.lost(&error) {
                        return Decision::refused("daemon.unavailable", reason);
                    }
                }
            }
        }
        let source = self.source;
        match self.local() {
            Ok(local) => local.route(call, source),
            Err(error) => Decision::refused(
                "proxy.policy-unavailable",
                format!("the proxy cannot decide in process: {error}"),
            ),
        }
    }
}
