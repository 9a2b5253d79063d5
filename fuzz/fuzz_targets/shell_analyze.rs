//! Arbitrary bytes as a command line: `aethelgard_shell::analyze` must return (never panic, never
//! hang) for any UTF-8 text, and so must everything that reads its result.
#![no_main]

use aethelgard_shell::{analyze, Context};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common.rs"]
mod common;

fn context() -> &'static Context {
    static CONTEXT: OnceLock<Context> = OnceLock::new();
    CONTEXT.get_or_init(|| Context::new("/home/dev/project", "/home/dev"))
}

fuzz_target!(init: common::init_panic_mode(), |data: &[u8]| {
    let Ok(command) = std::str::from_utf8(data) else { return };
    let analysis = analyze(command, context());
    let _ = analysis.is_resolved();
    let _ = analysis.file_accesses();
    let _ = analysis.hosts();
    for command in &analysis.commands {
        let _ = analysis.executes_download(command);
        let _ = command.has_flag("-r");
        let _ = command.has_flag("--force");
        // Indices the analysis hands out must point at what it holds.
        assert!(command.pipeline < analysis.pipelines.len(), "command.pipeline out of range: {analysis:?}");
    }
    for redirect in &analysis.redirects {
        if let Some(index) = redirect.command {
            assert!(index <= analysis.commands.len(), "redirect.command out of range: {analysis:?}");
        }
    }
    for unresolved in &analysis.unresolved {
        let _ = unresolved.to_string();
    }
});
