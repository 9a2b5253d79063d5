//! The daemon under faults: killed with SIGKILL while hooks use it, an audit store that cannot be
//! written, a policy file replaced by garbage, a connection from another user, and a flood of
//! malformed lines. Each test asserts what a user would see: the hook's answer, the audit store's
//! rows, the daemon's status and stderr, its memory.

use super::serve::{
    Connection, Daemon, ask_once, bash, claude_input, commands_in, current_uid, default_policy,
    hook_output,
};
use super::{aethelgard, scratch};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_aethelgard");

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn is_deny(out: &Output) -> bool {
    stdout(out).contains("\"permissionDecision\":\"deny\"")
}

/// An audit store nobody can create, root included: its folder is a regular file.
fn unwritable_store(dir: &Path) -> std::path::PathBuf {
    let blocker = dir.join("not-a-folder");
    std::fs::write(&blocker, "a file where the store's folder should be").unwrap();
    blocker.join("audit.db")
}

/// The default policy with `fail_mode = "open"`.
fn fail_open_policy(dir: &Path) -> std::path::PathBuf {
    let text = String::from_utf8(aethelgard(&["policy", "default"]).stdout).unwrap();
    let at = text.find("fail_mode").unwrap();
    let end = at + text[at..].find('\n').unwrap();
    let path = dir.join("open.toml");
    std::fs::write(
        &path,
        format!("{}fail_mode = \"open\"{}", &text[..at], &text[end..]),
    )
    .unwrap();
    path
}

/// Rows in a store the daemon may still be creating (0 until its schema exists).
fn rows_so_far(db: &Path) -> usize {
    let out = aethelgard(&["audit", "log", "--json", "--audit-db", db.to_str().unwrap()]);
    if out.status.success() {
        out.stdout.iter().filter(|b| **b == b'\n').count()
    } else {
        0
    }
}

#[test]
fn a_daemon_killed_mid_use_leaves_every_hook_answered_and_every_call_recorded() {
    let dir = scratch("daemon-faults", "killed");
    let policy = default_policy(&dir);
    let mut daemon = Daemon::start(&dir, &policy);
    let socket = daemon.socket.clone();
    let local_db = dir.join("hook.db");

    // Hooks keep coming while the daemon is SIGKILLed under them.
    let worker = {
        let (socket, policy, local_db) = (socket.clone(), policy.clone(), local_db.clone());
        std::thread::spawn(move || {
            (0..24)
                .map(|i| {
                    let command = if i % 2 == 0 {
                        format!("rm -rf ~/gone-{i}")
                    } else {
                        format!("ls src-{i}")
                    };
                    let out = hook_output(&socket, &policy, &local_db, &claude_input(&command));
                    (command, out)
                })
                .collect::<Vec<_>>()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while rows_so_far(&dir.join("daemon.db")) < 4 {
        assert!(Instant::now() < deadline, "the daemon answered no hook: {}", daemon.log());
        std::thread::sleep(Duration::from_millis(10));
    }
    daemon.kill(); // Child::kill is SIGKILL: no cleanup, the socket file stays behind.
    assert!(socket.exists(), "a killed daemon leaves its socket behind");
    let answers = worker.join().unwrap();

    let by_daemon = commands_in(&dir.join("daemon.db"));
    let in_process = commands_in(&local_db);
    assert!(!in_process.is_empty(), "some hooks ran after the kill and decided in process");
    for (command, out) in &answers {
        if command.starts_with("rm -rf") {
            assert!(is_deny(out), "`{command}` must be denied: {out:?}");
        } else {
            assert_eq!(stdout(out), "", "`{command}` is allowed (prints nothing): {out:?}");
        }
        let recorded = by_daemon
            .iter()
            .chain(&in_process)
            .filter(|row| row.ends_with(&format!(" {command}")))
            .count();
        // Once by whoever answered; twice only when the daemon died after committing and before
        // answering. Never zero.
        assert!(
            (1..=2).contains(&recorded),
            "`{command}` recorded {recorded} times:\n{by_daemon:#?}\n{in_process:#?}"
        );
    }

    // With the daemon gone and no store the hook can write, fail-closed refuses what it would allow.
    let store = unwritable_store(&dir);
    let out = hook_output(&socket, &policy, &store, &claude_input("ls src"));
    assert!(is_deny(&out), "an unaudited allow must be denied: {out:?}");
    assert!(stdout(&out).contains("audit.unavailable"), "{}", stdout(&out));
    assert!(stderr(&out).contains("cannot record the decision"), "{}", stderr(&out));
    let out = hook_output(&socket, &policy, &store, &claude_input("rm -rf ~"));
    assert!(is_deny(&out), "a block stays a block");

    // Under fail_mode = "open" the same allow stands, with a warning.
    let open = fail_open_policy(&dir);
    let out = hook_output(&socket, &open, &store, &claude_input("ls src"));
    assert_eq!(stdout(&out), "", "fail-open lets the allow stand: {out:?}");
    assert!(stderr(&out).contains("warning: cannot record"), "{}", stderr(&out));
}

#[test]
fn a_daemon_that_cannot_record_blocks_under_fail_closed_and_allows_under_fail_open() {
    let dir = scratch("daemon-faults", "unrecordable");
    let store = unwritable_store(&dir);
    let store = store.to_str().unwrap();
    let policy = default_policy(&dir);
    let daemon = Daemon::start_with(&dir, &policy, &["--audit-db", store]);
    let mut connection = Connection::open(&daemon.socket);
    let answer = connection.send(&bash("ls src"));
    assert_eq!(answer["decision"], "block", "{answer}");
    assert_eq!(answer["rule"], "audit.unavailable", "{answer}");
    let answer = connection.send(&bash("rm -rf ~"));
    assert_eq!(answer["decision"], "block");
    assert_eq!(answer["rule"], "rm-recursive-outside-workspace", "a block keeps its own rule");
    let status = daemon.status();
    assert_eq!(status["audit_failures"], 2, "{status}");
    assert!(daemon.log().contains("warning: cannot record the decision"), "{}", daemon.log());
    drop(daemon);

    let open_dir = scratch("daemon-faults", "unrecordable-open");
    let open = fail_open_policy(&open_dir);
    let daemon = Daemon::start_with(&open_dir, &open, &["--audit-db", store]);
    let answer = Connection::open(&daemon.socket).send(&bash("ls src"));
    assert_eq!(answer["decision"], "allow", "fail-open: the allow stands: {answer}");
    assert_eq!(daemon.status()["audit_failures"], 1);
}

#[test]
fn a_policy_replaced_by_garbage_keeps_the_old_one_with_a_clear_warning() {
    let dir = scratch("daemon-faults", "garbage");
    let policy = default_policy(&dir);
    let daemon = Daemon::start(&dir, &policy);
    let before = daemon.status();
    let mut connection = Connection::open(&daemon.socket);
    assert_eq!(connection.send(&bash("rm -rf ~"))["decision"], "block");

    // Replaced, as an editor or an attacker would: a new file renamed over the old one.
    let replacement = dir.join("policy.toml.new");
    std::fs::write(&replacement, "this is [not a policy\n\u{0}\u{1}garbage").unwrap();
    std::fs::rename(&replacement, &policy).unwrap();
    let status = daemon.wait_for("the garbage is reported", |s| s["reload_failures"] == 1);
    assert_eq!(status["policy_sha256"], before["policy_sha256"], "the old policy is in effect");
    assert_eq!(status["reloads"], 0);
    let message = status["last_reload_error"]["message"].as_str().unwrap();
    assert!(
        message.contains("changed but does not load")
            && message.contains("keeping the policy loaded before")
            && message.contains(policy.to_str().unwrap()),
        "{message}"
    );
    let log = daemon.log();
    assert!(
        log.lines()
            .any(|l| l.contains("warning:") && l.contains("keeping the policy loaded before")),
        "{log}"
    );
    assert_eq!(
        connection.send(&bash("rm -rf ~"))["decision"],
        "block",
        "the old policy still decides"
    );
    let out = aethelgard(&["status", "--socket", daemon.socket.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1 failed") && text.contains("keeping the policy loaded before"), "{text}");

    // Reported once, not every poll.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(daemon.status()["reload_failures"], 1);
}

#[test]
fn a_connection_from_another_user_is_refused_and_counted() {
    if current_uid() != 0 || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!(
            "SKIPPED a_connection_from_another_user_is_refused_and_counted: needs root and /usr/bin/setpriv to run the daemon as `nobody` and connect as root (uid {})",
            current_uid()
        );
        return;
    }
    let dir = scratch("daemon-faults", "peer");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let policy = default_policy(&dir);
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o644)).unwrap();
    // The daemon runs as nobody, in a socket folder of its own.
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::os::unix::fs::chown(&run, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let socket = run.join("aethelgard.sock");
    let as_nobody = |args: &[&str]| {
        let mut command = Command::new("/usr/bin/setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", BIN])
            .args(args)
            .env("AETHELGARD_POLICY", "")
            .env("XDG_CONFIG_HOME", "/nonexistent-aethelgard-test")
            .env("HOME", "/nonexistent-aethelgard-test");
        command
    };
    let stderr_path = dir.join("serve.stderr");
    let mut daemon = as_nobody(&[
        "serve",
        "--no-audit",
        "--socket",
        socket.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(std::fs::File::create(&stderr_path).unwrap())
    .spawn()
    .unwrap();
    let status_as_nobody = || {
        let out = as_nobody(&["status", "--json", "--socket", socket.to_str().unwrap()])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).ok()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while status_as_nobody().is_none() {
        assert!(
            Instant::now() < deadline,
            "the daemon did not start as nobody: {}",
            std::fs::read_to_string(&stderr_path).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Root passes the socket's 0600 mode; the peer check is the wall that holds.
    let stream = UnixStream::connect(&socket).expect("root connects past the file mode");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let _ = writeln!(writer, "{}", json!({"op": "status"}));
    let mut answer = String::new();
    let read = BufReader::new(stream).read_line(&mut answer);
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "another user must get no answer, got {answer:?}"
    );
    assert!(ask_once(&socket, &json!({"op": "route", "call": {"tool": "Bash", "args": {"command": "ls"}}})).is_none());

    let status = status_as_nobody().expect("the daemon's own user is answered");
    assert_eq!(status["refused_peers"], 2, "{status}");
    let log = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(
        log.contains("refused a connection from uid 0") && log.contains("only uid 65534"),
        "{log}"
    );
    let _ = daemon.kill();
    let _ = daemon.wait();
}

/// The daemon's resident memory, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_flood_of_malformed_lines_gets_an_error_each_and_memory_stays_bounded() {
    let dir = scratch("daemon-faults", "flood");
    let policy = default_policy(&dir);
    let daemon = Daemon::start_with(&dir, &policy, &["--no-audit"]);
    let pid = daemon.child.id();
    let bad: Vec<Vec<u8>> = vec![
        b"not json at all".to_vec(),
        b"{\"op\": \"launch-missiles\"}".to_vec(),
        b"[1, 2, 3]".to_vec(),
        b"{\"op\": \"route\"}".to_vec(),
        b"{\"op\": \"route\", \"call\": {\"tool\": 7}}".to_vec(),
        b"{\"op\": \"hook\", \"runtime\": \"vim\", \"input\": \"{}\"}".to_vec(),
        vec![0xff, 0xfe, 0x00, b'{'],
        b"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{".to_vec(),
    ];
    let flood = |rounds: usize, connections: usize| {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                let socket = daemon.socket.clone();
                let bad = bad.clone();
                std::thread::spawn(move || {
                    let stream = UnixStream::connect(&socket).unwrap();
                    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
                    let mut writer = stream.try_clone().unwrap();
                    let lines = rounds * bad.len() + 1;
                    // Written from its own thread, so neither side blocks on a full buffer.
                    let sender = std::thread::spawn(move || {
                        for _ in 0..rounds {
                            for line in &bad {
                                writer.write_all(line).unwrap();
                                writer.write_all(b"\n").unwrap();
                            }
                        }
                        // One line over the 1 MiB limit, read to its end and refused.
                        writer.write_all(&vec![b'x'; 3 * 1024 * 1024]).unwrap();
                        writer.write_all(b"\n").unwrap();
                        writer
                    });
                    let mut reader = BufReader::new(stream);
                    let mut errors = 0;
                    for _ in 0..lines {
                        let mut answer = String::new();
                        reader.read_line(&mut answer).unwrap();
                        let value: Value = serde_json::from_str(&answer).unwrap();
                        assert!(value["error"].is_string(), "{answer}");
                        errors += 1;
                    }
                    // The connection is still usable after the flood.
                    let mut writer = sender.join().unwrap();
                    writeln!(writer, "{}", bash("rm -rf ~")).unwrap();
                    let mut answer = String::new();
                    reader.read_line(&mut answer).unwrap();
                    assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["decision"], "block");
                    errors
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum::<usize>()
    };

    let first = flood(200, 4);
    let after_first = rss_kib(pid);
    let second = flood(1000, 4);
    let after_second = rss_kib(pid);
    assert_eq!(first, 4 * (200 * bad.len() + 1));
    assert_eq!(second, 4 * (1000 * bad.len() + 1));
    let status = daemon.status();
    assert_eq!(status["errors"], first + second, "each malformed line is counted once");
    assert_eq!(status["pid"], pid, "the daemon stayed up");
    // Five times the lines must not cost memory in proportion: what a connection holds is one line
    // (at most 1 MiB) and its answer.
    assert!(
        after_second < after_first + 32 * 1024,
        "memory grew from {after_first} KiB to {after_second} KiB"
    );
    eprintln!(
        "flood: {} malformed lines answered; RSS {after_first} KiB after the first round, {after_second} KiB after the second",
        first + second
    );
}
