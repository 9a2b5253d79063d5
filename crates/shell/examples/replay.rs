//! Replays inputs (fuzzer artifacts, say) through the shell analyser and prints how long each took:
//! `cargo run --release -p aethelgard-shell --example replay -- fuzz/artifacts/shell_analyze/*`
#![allow(clippy::unwrap_used)]
fn main() {
    let ctx = aethelgard_shell::Context::new("/home/dev/project", "/home/dev");
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(text) = std::str::from_utf8(&bytes) else { println!("{path}: not utf8"); continue };
        let start = std::time::Instant::now();
        let a = aethelgard_shell::analyze(text, &ctx);
        let _ = a.file_accesses();
        let _ = a.hosts();
        for c in &a.commands { let _ = a.executes_download(c); }
        println!("{:>10.3?} {} commands={} unresolved={}", start.elapsed(), path.rsplit('/').next().unwrap(), a.commands.len(), a.unresolved.len());
    }
}
