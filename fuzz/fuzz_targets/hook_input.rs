//! Arbitrary bytes as a hook's stdin, through both runtimes' adapters with the built-in policy.
//! `respond` must always answer, and every answer must be one the runtime enforces: nothing (no
//! opinion), or JSON with `hookSpecificOutput.permissionDecision` `deny` (or, for Claude Code
//! only, `ask`; Codex fails open on `ask`) and a non-empty reason.
#![no_main]

use aethelgard_router::hook::{respond, Runtime};
use aethelgard_router::{Environment, Examples, Router};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common.rs"]
mod common;

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::builtin(Environment::new("/home/dev", "/home/dev/project"), Examples::Trust).expect("the built-in policy compiles")
    })
}

fuzz_target!(init: common::init_panic_mode(), |data: &[u8]| {
    let router = router();
    for runtime in [Runtime::Codex, Runtime::Claude] {
        let response = respond(runtime, data, Ok(router));
        common::check(runtime, &response);
    }
});
