//! The hook process: read stdin, answer, exit 0, always within the budget.
//!
//! No async runtime, no database, no network: the path from spawn to answer is reading stdin,
//! compiling the policy and judging one call.

use aethelgard_router::hook::{self, Runtime};
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub fn run(runtime: Runtime, policy: Option<&Path>, budget_ms: u64) -> ExitCode {
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
    let outcome = std::panic::catch_unwind(|| answer(runtime, policy));
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

fn answer(runtime: Runtime, policy: Option<&Path>) -> Option<String> {
    let mut input = Vec::new();
    let limit = u64::try_from(hook::MAX_INPUT).unwrap_or(u64::MAX) + 1;
    if let Err(error) = std::io::stdin().lock().take(limit).read_to_end(&mut input) {
        return Some(hook::deny_json(&format!("aethelgard: cannot read hook input: {error}")));
    }
    let router = crate::load::router(policy).map_err(|e| format!("cannot load the policy: {e}"));
    let response = hook::respond(runtime, &input, router.as_ref().map_err(String::as_str));
    response.stdout
}

fn emit(text: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let _ = lock.write_all(text.as_bytes());
    let _ = lock.write_all(b"\n");
    let _ = lock.flush();
}
