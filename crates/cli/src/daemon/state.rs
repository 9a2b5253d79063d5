//! What the daemon holds: the policy in effect (swapped whole on reload), its counters, and the
//! audit writer. Answering a request is a function of this state and one line of input.

use super::metrics::Histogram;
use crate::audit::Recorder;
use crate::commands::scope::ScopeRequest;
use aethelgard_audit::{Event, SessionStart};
use aethelgard_governor::Governor;
use aethelgard_protocol::{Decision, DecisionKind, ToolCall};
use aethelgard_router::Router;
use aethelgard_router::hook::{self, Runtime};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// A policy compiled and ready: the router (stage 1 and stage 2) and the governor.
pub struct Loaded {
    pub router: Router,
    pub governor: Governor,
    pub sha256: String,
    pub loaded_at_ms: i64,
    /// Counts loads, so the audit writer knows when the `[audit]` settings may have changed.
    pub generation: u64,
}

/// Loads the policy the flag names (or the built-in one); `text` is the file's text as read by the
/// caller, for the hash.
pub fn load(policy: Option<&Path>, text: &[u8], generation: u64) -> anyhow::Result<Loaded> {
    let router = crate::load::router(policy)?;
    let governor = crate::load::governor(policy, None)?;
    Ok(Loaded {
        router,
        governor,
        sha256: crate::load::sha256_hex(text),
        loaded_at_ms: aethelgard_audit::time::now_ms(),
        generation,
    })
}

/// One decision waiting to be recorded, with the channel its answer goes back on.
struct Job {
    source: String,
    /// Session starts recorded before the call, in the same transaction.
    starts: Vec<Event>,
    call: ToolCall,
    decision: Decision,
    policy: Arc<Loaded>,
    done: Sender<Result<(), String>>,
}

/// The audit writer: one thread owns the store (SQLite connections stay on one thread) and records
/// jobs in order. Recorders are reopened after a reload, since the `[audit]` section may differ.
fn write_audit(jobs: &Receiver<Job>, store: Option<&Path>) {
    let mut recorders: HashMap<String, Option<Recorder>> = HashMap::new();
    let mut generation = 0;
    for job in jobs {
        if job.policy.generation != generation {
            recorders.clear();
            generation = job.policy.generation;
        }
        if !recorders.contains_key(&job.source) {
            match Recorder::open(
                store,
                job.policy.router.audit_settings(),
                false,
                &job.source,
            ) {
                Ok(recorder) => {
                    recorders.insert(job.source.clone(), recorder);
                }
                Err(error) => {
                    let _ = job.done.send(Err(format!("{error:#}")));
                    continue;
                }
            }
        }
        let result = match recorders.get_mut(&job.source) {
            Some(Some(recorder)) => recorder
                .record_batch_with(&job.starts, &[(job.call, job.decision)])
                .map(|_| ())
                .map_err(|e| format!("{e:#}")),
            _ => Ok(()),
        };
        let _ = job.done.send(result);
    }
}

/// The last reload that failed.
#[derive(Clone, Debug)]
pub struct ReloadError {
    pub at_ms: i64,
    pub message: String,
}

/// The daemon's whole state, shared by the connection threads and the reload watcher.
pub struct State {
    policy: RwLock<Arc<Loaded>>,
    pub policy_path: Option<PathBuf>,
    pub socket: PathBuf,
    pub audit_store: Option<PathBuf>,
    writer: Option<Mutex<Sender<Job>>>,
    started_ms: i64,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
    last_reload_error: Mutex<Option<ReloadError>>,
    allowed: AtomicU64,
    blocked: AtomicU64,
    escalated: AtomicU64,
    scopes: AtomicU64,
    errors: AtomicU64,
    refused_peers: AtomicU64,
    audit_failures: AtomicU64,
    latency: Histogram,
    pub connections: AtomicU64,
    /// The daemon's own uid: the only peer it answers (`SO_PEERCRED`).
    pub uid: u32,
    /// The HTTP listener, when one was asked for.
    pub http: std::sync::OnceLock<HttpListener>,
}

/// Where the daemon's HTTP listener serves, and the file holding the token its POST requests
/// need.
#[derive(Debug)]
pub struct HttpListener {
    pub address: String,
    pub token_file: String,
}

/// Where and whether to record.
pub struct Audit {
    pub enabled: bool,
    pub store: Option<PathBuf>,
}

impl State {
    pub fn new(
        loaded: Loaded,
        policy_path: Option<PathBuf>,
        socket: PathBuf,
        audit: Audit,
    ) -> anyhow::Result<Self> {
        let writer = if audit.enabled {
            let (sender, receiver) = std::sync::mpsc::channel::<Job>();
            let store = audit.store.clone();
            std::thread::Builder::new()
                .name("audit-writer".into())
                .spawn(move || write_audit(&receiver, store.as_deref()))?;
            Some(Mutex::new(sender))
        } else {
            None
        };
        let audit_store = if audit.enabled {
            Some(crate::audit::store_path(
                audit.store.as_deref(),
                Some(loaded.router.audit_settings()),
            )?)
        } else {
            None
        };
        Ok(Self {
            policy: RwLock::new(Arc::new(loaded)),
            policy_path,
            socket,
            audit_store,
            writer,
            started_ms: aethelgard_audit::time::now_ms(),
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
            last_reload_error: Mutex::new(None),
            allowed: AtomicU64::new(0),
            blocked: AtomicU64::new(0),
            escalated: AtomicU64::new(0),
            scopes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            refused_peers: AtomicU64::new(0),
            audit_failures: AtomicU64::new(0),
            latency: Histogram::new(),
            connections: AtomicU64::new(0),
            uid: crate::daemon::client::current_uid()?,
            http: std::sync::OnceLock::new(),
        })
    }

    /// The policy in effect; a request keeps the one it started with even if a reload lands.
    pub fn current(&self) -> Arc<Loaded> {
        match self.policy.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn next_generation(&self) -> u64 {
        self.current().generation + 1
    }

    /// Puts a newly loaded policy in effect.
    pub fn replace(&self, loaded: Loaded) {
        let loaded = Arc::new(loaded);
        match self.policy.write() {
            Ok(mut guard) => *guard = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        self.reloads.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes a reload that failed (the old policy stays in effect).
    pub fn reload_failed(&self, message: String) {
        self.reload_failures.fetch_add(1, Ordering::Relaxed);
        let error = ReloadError {
            at_ms: aethelgard_audit::time::now_ms(),
            message,
        };
        match self.last_reload_error.lock() {
            Ok(mut guard) => *guard = Some(error),
            Err(poisoned) => *poisoned.into_inner() = Some(error),
        }
    }

    /// Answers one request line; never fails (a bad line gets `{"error": ...}`).
    pub fn answer(&self, line: &[u8]) -> Value {
        match serde_json::from_slice::<Request>(line) {
            Ok(request) => self.handle(request),
            Err(error) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                json!({"error": format!("not a request ({{\"op\": \"route\"|\"scope\"|\"hook\"|\"status\", ...}}): {error}")})
            }
        }
    }

    fn handle(&self, request: Request) -> Value {
        match request {
            Request::Route {
                call,
                source,
                start,
            } => self.route(&call, source.as_deref(), start.as_deref()),
            Request::Hook { runtime, input } => {
                let runtime = match runtime.as_str() {
                    "codex" => Runtime::Codex,
                    "claude" => Runtime::Claude,
                    other => {
                        self.errors.fetch_add(1, Ordering::Relaxed);
                        return json!({"error": format!("unknown runtime `{other}` (expected `codex` or `claude`)")});
                    }
                };
                let started = Instant::now();
                let answer = self.hook(runtime, &input);
                self.observe(started);
                answer
            }
            Request::Scope(request) => self.scope(
                request.task.as_deref(),
                request.task_type.as_deref(),
                request.tools.as_deref(),
            ),
            Request::Status => self.status(),
        }
    }

    fn observe(&self, started: Instant) {
        self.latency
            .observe(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    }

    /// Judges and records one call; the answer is its decision. `source` names the asker in the
    /// audit log (`serve:<source>`, default `serve:route`); `start`, when given, opens the call's
    /// session in the store first (task and manifest), in the same transaction.
    pub fn route(&self, call: &ToolCall, source: Option<&str>, start: Option<&Start>) -> Value {
        let started = Instant::now();
        let source = format!("serve:{}", source.unwrap_or("route"));
        let starts = match (start, &call.session) {
            (None, _) => Vec::new(),
            (Some(start), Some(session)) => vec![Event::SessionStart(SessionStart {
                session: session.clone(),
                task: start.task.clone().unwrap_or_default(),
                task_type: start.task_type.clone(),
                source: Some(source.clone()),
                tools: start.tools.clone(),
                granted: start.granted.clone(),
                ..SessionStart::default()
            })],
            (Some(_), None) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                return json!({"error": "`start` opens the call's session: the call needs a `session`"});
            }
        };
        let policy = self.current();
        let decision = policy.router.route(call);
        let decision = self.record(&policy, source, starts, call, decision);
        self.observe(started);
        serde_json::to_value(&decision).unwrap_or_else(|e| json!({"error": e.to_string()}))
    }

    /// The governor's manifest for a task.
    pub fn scope(
        &self,
        task: Option<&str>,
        task_type: Option<&str>,
        tools: Option<&[String]>,
    ) -> Value {
        self.scopes.fetch_add(1, Ordering::Relaxed);
        let policy = self.current();
        match policy.governor.scope(task, task_type, tools) {
            Ok(scoped) => json!({
                "task_type": scoped.manifest.task_type,
                "confidence": scoped.classification.confidence,
                "method": scoped.classification.method,
                "profile": scoped.profile,
                "granted": scoped.manifest.granted,
                "denied": scoped.manifest.denied,
            }),
            Err(error) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                json!({"error": error.to_string()})
            }
        }
    }

    /// A runtime's hook input judged here: the same function the hook runs in process, so the
    /// answer is the same either way.
    fn hook(&self, runtime: Runtime, input: &str) -> Value {
        let policy = self.current();
        let response = hook::respond(runtime, input.as_bytes(), Ok(&policy.router));
        let stdout = match (&response.call, response.decision) {
            (Some(call), Some(decision)) => {
                let judged = decision.decision;
                let decision = self.record(
                    &policy,
                    format!("serve:hook:{}", runtime.name()),
                    Vec::new(),
                    call,
                    decision,
                );
                if decision.decision == judged {
                    response.stdout
                } else {
                    hook::render(runtime, &decision)
                }
            }
            _ => response.stdout,
        };
        json!({"stdout": stdout})
    }

    /// Records a decision (when recording) and counts it. A decision that cannot be recorded follows
    /// the one rule in [`crate::audit::unrecorded`]: blocked when the policy fails closed.
    fn record(
        &self,
        policy: &Arc<Loaded>,
        source: String,
        starts: Vec<Event>,
        call: &ToolCall,
        decision: Decision,
    ) -> Decision {
        let decision = match self.send_to_writer(policy, source, starts, call, &decision) {
            Ok(()) => decision,
            Err(error) => {
                self.audit_failures.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "aethelgard serve: warning: cannot record the decision in the audit log: {error}"
                );
                crate::audit::unrecorded(policy.router.fail_mode(), decision, &error)
            }
        };
        let counter = match decision.decision {
            DecisionKind::Allow => &self.allowed,
            DecisionKind::Block => &self.blocked,
            DecisionKind::Escalate => &self.escalated,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        decision
    }

    fn send_to_writer(
        &self,
        policy: &Arc<Loaded>,
        source: String,
        starts: Vec<Event>,
        call: &ToolCall,
        decision: &Decision,
    ) -> Result<(), String> {
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        let (done, result) = std::sync::mpsc::channel();
        let job = Job {
            source,
            starts,
            call: call.clone(),
            decision: decision.clone(),
            policy: Arc::clone(policy),
            done,
        };
        let sent = match writer.lock() {
            Ok(sender) => sender.send(job),
            Err(poisoned) => poisoned.into_inner().send(job),
        };
        sent.map_err(|_| "the audit writer has stopped".to_owned())?;
        result
            .recv()
            .map_err(|_| "the audit writer has stopped".to_owned())?
    }

    pub fn status(&self) -> Value {
        let policy = self.current();
        let last_error = match self.last_reload_error.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let now = aethelgard_audit::time::now_ms();
        json!({
            "pid": std::process::id(),
            "version": env!("CARGO_PKG_VERSION"),
            "socket": self.socket.display().to_string(),
            "policy": self.policy_path.as_ref().map_or_else(|| "builtin".to_owned(), |p| p.display().to_string()),
            "policy_sha256": policy.sha256,
            "loaded_at_ms": policy.loaded_at_ms,
            "reloads": self.reloads.load(Ordering::Relaxed),
            "reload_failures": self.reload_failures.load(Ordering::Relaxed),
            "last_reload_error": last_error.map(|e| json!({"at_ms": e.at_ms, "message": e.message})),
            "fail_mode": format!("{:?}", policy.router.fail_mode()).to_lowercase(),
            "rules": policy.router.rule_count(),
            "audit_store": self.audit_store.as_ref().map(|p| p.display().to_string()),
            "calls": {
                "allow": self.allowed.load(Ordering::Relaxed),
                "block": self.blocked.load(Ordering::Relaxed),
                "escalate": self.escalated.load(Ordering::Relaxed),
            },
            "scopes": self.scopes.load(Ordering::Relaxed),
            "errors": self.errors.load(Ordering::Relaxed),
            "refused_peers": self.refused_peers.load(Ordering::Relaxed),
            "audit_failures": self.audit_failures.load(Ordering::Relaxed),
            "latency": self.latency.snapshot(),
            "http": self.http.get().map(|h| h.address.clone()),
            "http_token_file": self.http.get().map(|h| h.token_file.clone()),
            "connections": self.connections.load(Ordering::Relaxed),
            "started_at_ms": self.started_ms,
            "uptime_ms": now.saturating_sub(self.started_ms),
        })
    }

    /// Notes a connection refused because its peer runs as another user.
    pub fn refuse_peer(&self) {
        self.refused_peers.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// One request line.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
enum Request {
    /// A tool call to judge: the answer is its decision.
    Route {
        call: ToolCall,
        /// Who is asking, for the audit log's `source` (`serve:<source>`; default `serve:route`).
        #[serde(default)]
        source: Option<String>,
        /// The session this call opens (a proxy's first call): recorded before the call.
        #[serde(default)]
        start: Option<Box<Start>>,
    },
    /// A runtime's PreToolUse hook input, as the hook read it: the answer is `{"stdout": ...}`,
    /// the text the hook prints (`null`: print nothing).
    Hook {
        runtime: String,
        input: String,
    },
    /// Which tools a task may see: the governor's manifest.
    Scope(ScopeRequest),
    Status,
}

/// The session a `route` request opens: what an in-process proxy records when its session starts
/// (the task, its type, the tools available and the manifest), so the daemon's store holds the
/// same. Optional in the request, so older clients are answered as before.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    #[serde(default)]
    pub task: Option<String>,
    #[serde(default)]
    pub task_type: Option<String>,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub granted: Option<Vec<String>>,
}
