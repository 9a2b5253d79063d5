//! The hook process: read stdin, answer, exit 0, always within the budget.
//!
//! No async runtime, no network: the path from spawn to answer is reading stdin, compiling the
//! policy, judging one call and appending it to the audit log. The record is committed before
//! the answer is printed, so a decision the runtime saw is a decision the log has. When the
//! record cannot be written, a policy that fails closed turns an allow into a deny: an action
//! nobody can audit is not allowed.
//!
//! When a policy daemon (`aethelgard serve`) answers on its socket, the hook asks it instead: the
//! daemon judges with the policy it holds and records in its own store. Any failure on that path
//! (no socket, a connection refused or slow, the daemon dying before it answers, an answer that
//! is not one) makes the hook decide in process exactly as without a daemon, so the daemon can
//! only make the answer faster and the audit central, never let anything through.

use aethelgard_policy::{AuditSection, FailMode};
use aethelgard_protocol::Decision;
use aethelgard_router::hook::{self, Runtime};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Whether and where to record the decision.
#[derive(Debug, Default)]
pub struct Recording {
    pub enabled: bool,
    pub store: Option<PathBuf>,
}

pub fn run(runtime: Runtime, policy: Option<&Path>, budget_ms: u64, recording: &Recording) -> ExitCode {
    let answered = Arc::new(AtomicBool::new(false));
    // The watchdog answers if stdin never closes or anything below hangs: the runtime must never
    // reach its own timeout, where it would fail open.
    let watchdog = Arc::clone(&answered);
    let _ = std::thread::Builder::new().name("watchdog".into()).spawn(move || {
        std::thread::sleep(Duration::from_millis(budget_ms.max(1)));
        if !watchdog.swap(true, Ordering::SeqCst) {
            emit(&hook::deny_json("aethelgard: no decision within the hook's time budget"));
            std::process::exit(0);
        }
    });
    let outcome = std::panic::catch_unwind(|| answer(runtime, policy, budget_ms, recording));
    let stdout = match outcome {
        Ok(stdout) => stdout,
        Err(_) => Some(hook::deny_json("aethelgard: internal error while judging the call")),
    };
    if !answered.swap(true, Ordering::SeqCst)
        && let Some(text) = stdout {
            emit(&text);
        }
    ExitCode::SUCCESS
}

fn answer(runtime: Runtime, policy: Option<&Path>, budget_ms: u64, recording: &Recording) -> Option<String> {
    let mut input = Vec::new();
    let limit = u64::try_from(hook::MAX_INPUT).unwrap_or(u64::MAX) + 1;
    if let Err(error) = std::io::stdin().lock().take(limit).read_to_end(&mut input) {
        return Some(hook::deny_json(&format!("aethelgard: cannot read hook input: {error}")));
    }
    if let Some(stdout) = ask_daemon(runtime, &input, budget_ms) {
        return stdout;
    }
    let router = crate::load::router(policy).map_err(|e| format!("cannot load the policy: {e}"));
    let response = hook::respond(runtime, &input, router.as_ref().map_err(String::as_str));
    if !recording.enabled {
        return response.stdout;
    }
    let Some(call) = &response.call else { return response.stdout };
    let (settings, fail_mode) = match &router {
        Ok(router) => (router.audit_settings().clone(), router.fail_mode()),
        Err(_) => (AuditSection::default(), FailMode::Closed),
    };
    let decision = response.decision.clone().unwrap_or_else(|| {
        Decision::refused("hook.policy-unavailable", router.as_ref().err().cloned().unwrap_or_default())
    });
    let source = format!("hook:{}", runtime.name());
    let recorded = crate::audit::Recorder::open(recording.store.as_deref(), &settings, false, &source)
        .and_then(|recorder| recorder.map(|mut r| r.record(call, &decision)).transpose());
    match recorded {
        Ok(_) => response.stdout,
        Err(error) => {
            let judged = decision.decision;
            let acted = crate::audit::unrecorded(fail_mode, decision, &format!("{error}"));
            eprintln!("aethelgard: warning: cannot record the decision in the audit log: {error:#}");
            if acted.decision == judged { response.stdout } else { hook::render(runtime, &acted) }
        }
    }
}

/// Longest wait to connect to the daemon: a local socket connects in microseconds.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(20);

/// The daemon's answer: `Some(stdout)` (where `None` means print nothing, an allow) when a daemon
/// answered in time, `None` when the hook must decide itself. It waits at most half the budget, so
/// deciding in process still fits in the other half.
fn ask_daemon(runtime: Runtime, input: &[u8], budget_ms: u64) -> Option<Option<String>> {
    let socket = crate::daemon::socket_path(None)?;
    // Anything that is not text is not a hook input; the in-process path denies it with the reason.
    let text = std::str::from_utf8(input).ok()?;
    let stream = crate::daemon::client::connect(&socket, CONNECT_TIMEOUT).ok()?;
    let request = serde_json::json!({"op": "hook", "runtime": runtime.name(), "input": text});
    let answer = crate::daemon::client::ask(&stream, &request, Duration::from_millis(budget_ms / 2)).ok()?;
    match answer.get("stdout")? {
        serde_json::Value::Null => Some(None),
        serde_json::Value::String(stdout) => Some(Some(stdout.clone())),
        _ => None,
    }
}

fn emit(text: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let _ = lock.write_all(text.as_bytes());
    let _ = lock.write_all(b"\n");
    let _ = lock.flush();
}
