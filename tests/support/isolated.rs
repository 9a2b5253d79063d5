//! Runs a test body in a child process killed after a time limit, so an input that hangs or
//! allocates without bound fails its own test instead of stalling or killing the suite. Shared by
//! the fuzz regression tests of `aethelgard-shell` and `aethelgard-router`, which include this file
//! with `#[path]`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Far above what any of these inputs needs once handled (milliseconds, even unoptimised), far
/// below the hook's own time budget multiplied by the slowdown of a debug build.
const LIMIT: Duration = Duration::from_secs(10);
const CHILD: &str = "AETHELGARD_REGRESSION_CHILD";

/// Runs `body` in a child process and fails if it fails, panics, or outlives [`LIMIT`].
pub fn isolated(test: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD).is_some() {
        body();
        return;
    }
    let test = test.to_owned();
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-run the test binary");
    // Drain both pipes on threads, so a long panic message cannot block the child.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            let stdout = stdout.join().unwrap_or_default();
            let stderr = stderr.join().unwrap_or_default();
            assert!(status.success(), "{test} failed in its child process ({status}):\n{stdout}\n{stderr}");
            // Guard against a filter that matches nothing (a renamed test or module).
            assert!(stdout.contains("running 1 test"), "{test} did not run in the child:\n{stdout}");
            return;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{test}: the check did not finish within {LIMIT:?} (killed)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
