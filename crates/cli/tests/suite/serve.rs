//! The policy daemon: routing over the socket into the audit store, reload (garbage kept out, a
//! stricter policy taken in), malformed lines, the hook asking the daemon and falling back when it
//! is gone or dies mid-request, `status`, and what another user can and cannot do.

use super::{aethelgard, audit_log, scratch};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_aethelgard");

/// A rule the default policy does not have, so a reload is visible in a decision.
const STRICTER_RULE: &str = r#"[[rules]]
id = "no-git-status"
decision = "block"
reason = "git status is off limits in this test"
score = 1.0
match = ["git status"]
not_match = ["ls"]
[rules.shell]
program = ["git"]
args = ["status"]

"#;

/// A running `aethelgard serve`, killed when dropped.
pub(super) struct Daemon {
    pub(super) child: Child,
    pub(super) socket: PathBuf,
    stderr: PathBuf,
}

impl Daemon {
    pub(super) fn start(dir: &Path, policy: &Path) -> Self {
        let db = dir.join("daemon.db");
        Self::start_with(dir, policy, &["--audit-db", db.to_str().unwrap()])
    }

    /// A daemon on `dir/aethelgard.sock` with `policy` and more arguments (`--audit-db`, `--http`).
    pub(super) fn start_with(dir: &Path, policy: &Path, extra: &[&str]) -> Self {
        let socket = dir.join("aethelgard.sock");
        let stderr = dir.join("serve.stderr");
        let child = super::command()
            .args(["serve", "--poll-ms", "50", "--socket"])
            .arg(&socket)
            .arg("--policy")
            .arg(policy)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let daemon = Self {
            child,
            socket,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while ask_once(&daemon.socket, &json!({"op": "status"})).is_none() {
            assert!(
                Instant::now() < deadline,
                "the daemon did not answer: {}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub(super) fn status(&self) -> Value {
        ask_once(&self.socket, &json!({"op": "status"})).unwrap()
    }

    /// Waits until the status satisfies `ready`.
    pub(super) fn wait_for(&self, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = self.status();
            if ready(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: {status}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(super) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One connection, many lines: each answer in order.
pub(super) struct Connection {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Connection {
    pub(super) fn open(socket: &Path) -> Self {
        let stream = UnixStream::connect(socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Self {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    pub(super) fn send_raw(&mut self, line: &[u8]) -> Value {
        self.writer.write_all(line).unwrap();
        self.writer.write_all(b"\n").unwrap();
        let mut answer = String::new();
        self.reader.read_line(&mut answer).unwrap();
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("answer {answer:?}: {e}"))
    }

    pub(super) fn send(&mut self, request: &Value) -> Value {
        self.send_raw(request.to_string().as_bytes())
    }
}

pub(super) fn ask_once(socket: &Path, request: &Value) -> Option<Value> {
    let stream = UnixStream::connect(socket).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut writer = stream.try_clone().ok()?;
    writeln!(writer, "{request}").ok()?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).ok()?;
    serde_json::from_str(&answer).ok()
}

pub(super) fn bash(command: &str) -> Value {
    json!({"op": "route", "call": {"tool": "Bash", "args": {"command": command}, "cwd": "/home/dev/project"}})
}

/// The default policy as a file in `dir`.
pub(super) fn default_policy(dir: &Path) -> PathBuf {
    let path = dir.join("policy.toml");
    std::fs::write(&path, aethelgard(&["policy", "default"]).stdout).unwrap();
    path
}

/// The default policy with [`STRICTER_RULE`] first among its rules.
fn stricter_policy() -> String {
    let text = String::from_utf8(aethelgard(&["policy", "default"]).stdout).unwrap();
    let at = text.find("[[rules]]").unwrap();
    format!("{}{STRICTER_RULE}{}", &text[..at], &text[at..])
}

#[test]
fn routes_through_the_socket_and_records_in_the_daemon_store() {
    let dir = scratch("serve", "route");
    let daemon = Daemon::start(&dir, &default_policy(&dir));
    let mode = std::fs::metadata(&daemon.socket).unwrap().mode();
    assert_eq!(mode & 0o777, 0o600, "the socket must be private");

    let mut connection = Connection::open(&daemon.socket);
    let dangerous = connection.send(&bash("rm -rf ~"));
    assert_eq!(dangerous["decision"], "block", "{dangerous}");
    assert_eq!(dangerous["rule"], "rm-recursive-outside-workspace");
    let benign = connection.send(&bash("git status"));
    assert_eq!(benign["decision"], "allow", "{benign}");
    let manifest = connection.send(&json!({"op": "scope", "task": "Summarise docs/design.md", "task_type": null, "tools": ["Read", "Write", "Bash"]}));
    assert_eq!(manifest["task_type"], "summarise", "{manifest}");
    assert!(
        manifest["granted"]
            .as_array()
            .unwrap()
            .contains(&json!("Read")),
        "{manifest}"
    );

    let log = audit_log::rows(&dir.join("daemon.db"));
    let calls: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| {
            (
                e["event"]["args"]["command"].as_str().unwrap(),
                e["event"]["decision"].as_str().unwrap(),
                e["event"]["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("rm -rf ~", "block", "serve:route"),
            ("git status", "allow", "serve:route")
        ]
    );

    let status = daemon.status();
    assert_eq!(
        status["calls"],
        json!({"allow": 1, "block": 1, "escalate": 0}),
        "{status}"
    );
    assert_eq!(status["scopes"], 1);
    assert_eq!(status["reloads"], 0);
    assert_eq!(status["pid"], daemon.child.id());
}

#[test]
fn a_route_may_open_its_session_and_one_without_a_session_cannot() {
    let dir = scratch("serve", "route-start");
    let daemon = Daemon::start(&dir, &default_policy(&dir));
    let mut connection = Connection::open(&daemon.socket);
    let opened = connection.send(&json!({"op": "route", "source": "proxy-mcp",
        "call": {"tool": "Read", "args": {"path": "README.md"}, "session": "s-1", "task_type": "summarise", "granted": ["Read"]},
        "start": {"task": null, "task_type": "summarise", "granted": ["Read"]}}));
    assert_eq!(opened["decision"], "allow", "{opened}");
    let next = connection.send(&json!({"op": "route", "source": "proxy-mcp",
        "call": {"tool": "Bash", "args": {"command": "ls"}, "session": "s-1", "granted": ["Read"]}}));
    assert_eq!(next["rule"], "manifest.not-granted", "{next}");
    let sessionless = connection.send(&json!({"op": "route",
        "call": {"tool": "Read", "args": {"path": "README.md"}}, "start": {"task": "x"}}));
    assert!(
        sessionless["error"].as_str().unwrap().contains("needs a `session`"),
        "{sessionless}"
    );

    let events = audit_log::events(&dir.join("daemon.db"));
    let kinds: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                audit_log::text(e, "kind"),
                audit_log::text(e, "session"),
                audit_log::text(e, "source"),
            )
        })
        .collect();
    let row = |kind: &str| (kind.to_owned(), "s-1".to_owned(), "serve:proxy-mcp".to_owned());
    assert_eq!(
        kinds,
        [row("session_start"), row("tool_call"), row("tool_call")],
        "the sessionless call was not recorded: {events:?}"
    );
    assert_eq!(events[0]["task_type"], "summarise");
    assert_eq!(events[0]["granted"], json!(["Read"]));
}

#[test]
fn garbage_policy_keeps_the_old_one_and_a_stricter_one_reloads() {
    let dir = scratch("serve", "reload");
    let policy = default_policy(&dir);
    let daemon = Daemon::start(&dir, &policy);
    let first_hash = daemon.status()["policy_sha256"].clone();
    let mut connection = Connection::open(&daemon.socket);
    assert_eq!(connection.send(&bash("git status"))["decision"], "allow");

    std::fs::write(&policy, "this is [not a policy\n").unwrap();
    let status = daemon.wait_for("the garbage policy is reported", |s| {
        s["reload_failures"].as_u64() >= Some(1)
    });
    let message = status["last_reload_error"]["message"].as_str().unwrap();
    assert!(
        message.contains("does not load") && message.contains("keeping the policy loaded before"),
        "{message}"
    );
    assert_eq!(status["reloads"], 0);
    assert_eq!(status["policy_sha256"], first_hash);
    assert!(daemon.log().contains("warning"), "{}", daemon.log());
    assert_eq!(
        connection.send(&bash("rm -rf ~"))["decision"],
        "block",
        "the old policy is still enforced"
    );
    assert_eq!(connection.send(&bash("git status"))["decision"], "allow");

    std::fs::write(&policy, stricter_policy()).unwrap();
    let status = daemon.wait_for("the stricter policy is loaded", |s| s["reloads"] == 1);
    assert_ne!(status["policy_sha256"], first_hash);
    let decision = connection.send(&bash("git status"));
    assert_eq!(decision["decision"], "block", "{decision}");
    assert_eq!(decision["rule"], "no-git-status");
    assert_eq!(connection.send(&bash("rm -rf ~"))["decision"], "block");

    let text = aethelgard(&["status", "--socket", daemon.socket.to_str().unwrap()]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("1 reloads, 1 failed"), "{text}");
}

#[test]
fn malformed_lines_each_get_an_error_and_the_connection_stays_usable() {
    let dir = scratch("serve", "malformed");
    let daemon = Daemon::start(&dir, &default_policy(&dir));
    let mut connection = Connection::open(&daemon.socket);
    let oversized = vec![b'x'; 1024 * 1024 + 1];
    let bad: [&[u8]; 7] = [
        b"not json",
        b"{\"op\":\"route\"}",
        b"{\"op\":\"launch\"}",
        b"{\"op\":\"route\",\"call\":{\"args\":{}}}",
        b"[1,2,3]",
        b"{\"op\":\"hook\",\"runtime\":\"vim\",\"input\":\"{}\"}",
        &oversized,
    ];
    for line in bad {
        let answer = connection.send_raw(line);
        assert!(answer["error"].is_string(), "{answer}");
    }
    assert_eq!(connection.send(&bash("rm -rf ~"))["decision"], "block");
    let status = daemon.status();
    assert_eq!(status["errors"], 7, "{status}");
}

/// A Claude Code PreToolUse input for a Bash command.
pub(super) fn claude_input(command: &str) -> String {
    json!({"session_id": "hook-session", "cwd": "/home/dev/project", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": command}})
        .to_string()
}

/// Runs `aethelgard hook claude` with the daemon's socket, `policy` for the fallback and `db` for
/// its own recording; the whole output (it must exit 0: a hook always answers).
pub(super) fn hook_output(socket: &Path, policy: &Path, db: &Path, input: &str) -> Output {
    let mut child = super::command()
        .args(["hook", "claude", "--audit-db"])
        .arg(db)
        .env("AETHELGARD_SOCKET", socket)
        .env("AETHELGARD_POLICY", policy)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the hook must exit 0: {out:?}");
    out
}

/// What [`hook_output`] printed: the hook's answer.
fn hook(socket: &Path, policy: &Path, db: &Path, input: &str) -> String {
    String::from_utf8(hook_output(socket, policy, db, input).stdout).unwrap()
}

pub(super) fn commands_in(db: &Path) -> Vec<String> {
    if !db.exists() {
        return Vec::new();
    }
    audit_log::rows(db)
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"]["source"].as_str().unwrap(),
                e["event"]["args"]["command"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn the_hook_asks_the_daemon_and_falls_back_when_it_is_killed() {
    let dir = scratch("serve", "hook");
    let policy = default_policy(&dir);
    let mut daemon = Daemon::start(&dir, &policy);
    let local_db = dir.join("hook.db");

    let via_daemon = hook(
        &daemon.socket,
        &policy,
        &local_db,
        &claude_input("rm -rf ~"),
    );
    assert!(
        via_daemon.contains("\"permissionDecision\":\"deny\""),
        "{via_daemon}"
    );
    assert_eq!(
        hook(
            &daemon.socket,
            &policy,
            &local_db,
            &claude_input("git status")
        ),
        "",
        "an allowed call prints nothing"
    );
    assert_eq!(
        commands_in(&dir.join("daemon.db")),
        ["serve:hook:claude rm -rf ~", "serve:hook:claude git status"]
    );
    assert!(
        commands_in(&local_db).is_empty(),
        "the daemon answered, so the hook recorded nothing itself"
    );

    daemon.kill();
    let fallback = hook(
        &daemon.socket,
        &policy,
        &local_db,
        &claude_input("rm -rf ~"),
    );
    assert_eq!(fallback, via_daemon, "the same decision in process");
    assert_eq!(
        hook(
            &daemon.socket,
            &policy,
            &local_db,
            &claude_input("git status")
        ),
        ""
    );
    assert_eq!(
        commands_in(&local_db),
        ["hook:claude rm -rf ~", "hook:claude git status"]
    );
}

#[test]
fn a_daemon_that_dies_mid_request_makes_the_hook_decide_and_record_itself() {
    let dir = scratch("serve", "dies");
    let policy = default_policy(&dir);
    let socket = dir.join("dying.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    // A daemon that reads the request and dies before answering.
    let fake = std::thread::spawn(move || {
        for _ in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            let mut line = String::new();
            BufReader::new(&stream).read_line(&mut line).unwrap();
            assert!(line.contains("\"op\":\"hook\""), "{line}");
            drop(stream);
        }
    });
    let local_db = dir.join("hook.db");
    let denied = hook(&socket, &policy, &local_db, &claude_input("rm -rf ~"));
    assert!(
        denied.contains("\"permissionDecision\":\"deny\""),
        "{denied}"
    );
    assert_eq!(
        hook(&socket, &policy, &local_db, &claude_input("git status")),
        ""
    );
    fake.join().unwrap();
    // Both were decided in process and recorded there: nothing was allowed unaudited.
    assert_eq!(
        commands_in(&local_db),
        ["hook:claude rm -rf ~", "hook:claude git status"]
    );
}

#[test]
fn status_without_a_daemon_exits_1_with_a_message() {
    let dir = scratch("serve", "no-daemon");
    let socket = dir.join("nobody-here.sock");
    let out = aethelgard(&["status", "--socket", socket.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("no daemon answers") && stderr.contains("aethelgard serve"),
        "{stderr}"
    );
}

#[test]
fn a_second_daemon_refuses_to_start_and_a_stale_socket_is_replaced() {
    let dir = scratch("serve", "second");
    let policy = default_policy(&dir);
    let mut daemon = Daemon::start(&dir, &policy);
    let second = Command::new(BIN)
        .args(["serve", "--no-audit", "--socket"])
        .arg(&daemon.socket)
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8(second.stderr).unwrap();
    assert!(
        stderr.contains("another daemon") && stderr.contains(&daemon.child.id().to_string()),
        "{stderr}"
    );
    assert!(
        daemon.status()["pid"] == daemon.child.id(),
        "the first daemon still answers"
    );

    daemon.kill();
    assert!(
        daemon.socket.exists(),
        "a killed daemon leaves its socket file behind"
    );
    let restarted = Daemon::start(&dir, &policy);
    assert_eq!(restarted.status()["pid"], restarted.child.id());
}

pub(super) fn current_uid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

/// The deployment `docs/daemon.md` describes: the policy read-only to the agent, in a read-only
/// folder. Running as root, the agent is played by `nobody` through `setpriv`, which also shows
/// the 0600 socket refusing another user; running as an ordinary user, the test shows what one
/// account can: the agent's own writes fail and the daemon keeps enforcing the policy it loaded.
#[test]
fn the_agent_can_neither_rewrite_the_policy_nor_reach_the_socket_as_another_user() {
    let dir = scratch("serve", "read-only");
    let locked = dir.join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    let policy = default_policy(&locked);
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let daemon = Daemon::start(&dir, &policy);
    let hash = daemon.status()["policy_sha256"].clone();

    let as_root = current_uid() == 0 && Path::new("/usr/bin/setpriv").exists();
    if as_root {
        let agent = |args: &[&str]| {
            Command::new("/usr/bin/setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .args(args)
                .output()
                .unwrap()
        };
        let policy_text = policy.to_str().unwrap();
        let write = agent(&["sh", "-c", &format!("echo 'garbage' > '{policy_text}'")]);
        assert!(!write.status.success(), "nobody wrote the policy");
        let replace = agent(&[
            "sh",
            "-c",
            &format!("rm -f '{policy_text}' && echo garbage > '{policy_text}'"),
        ]);
        assert!(!replace.status.success(), "nobody replaced the policy");
        let status = agent(&[BIN, "status", "--socket", daemon.socket.to_str().unwrap()]);
        assert_eq!(status.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&status.stderr);
        assert!(
            stderr.contains("Permission denied"),
            "another user must not reach the socket: {stderr}"
        );
    } else {
        let write = std::fs::write(&policy, "garbage");
        assert_eq!(
            write.unwrap_err().kind(),
            std::io::ErrorKind::PermissionDenied
        );
        let create = std::fs::write(locked.join("policy.toml.new"), "garbage");
        assert_eq!(
            create.unwrap_err().kind(),
            std::io::ErrorKind::PermissionDenied
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut connection = Connection::open(&daemon.socket);
    assert_eq!(connection.send(&bash("rm -rf ~"))["decision"], "block");
    let status = daemon.status();
    assert_eq!(status["policy_sha256"], hash);
    assert_eq!(status["reloads"], 0);
    assert_eq!(status["reload_failures"], 0);

    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// One HTTP/1.1 request to `address`; the status code and the body.
pub(super) fn http(address: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    http_with(address, method, path, "", body)
}

/// [`http`] with more header lines (`extra`, each ending in `\r\n`).
fn http_with(address: &str, method: &str, path: &str, extra: &str, body: &str) -> (u16, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    (code, body.to_owned())
}

#[test]
fn http_on_loopback_serves_status_metrics_and_route_and_nothing_else_is_allowed() {
    let dir = scratch("serve", "http");
    let policy = default_policy(&dir);
    let db = dir.join("daemon.db");
    let daemon = Daemon::start_with(
        &dir,
        &policy,
        &["--audit-db", db.to_str().unwrap(), "--http", "127.0.0.1:0"],
    );
    let status = daemon.status();
    let address = status["http"].as_str().unwrap().to_owned();

    // The token: beside the socket, readable by the daemon's user only.
    let token_file = PathBuf::from(status["http_token_file"].as_str().unwrap());
    assert_eq!(token_file, dir.join("aethelgard.sock.http-token"));
    assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64, "{token}");
    let bearer = format!("Authorization: Bearer {token}\r\n");

    // POST without the token, or with another, decides nothing and records nothing.
    let rm = json!({"tool": "Bash", "args": {"command": "rm -rf ~"}, "cwd": "/home/dev/project"}).to_string();
    let wrong = format!("Authorization: Bearer {}\r\n", "0".repeat(64));
    for extra in ["", wrong.as_str(), "Authorization: Basic dXNlcjpwYXNz\r\n"] {
        let (code, body) = http_with(&address, "POST", "/route", extra, &rm);
        assert_eq!(code, 401, "{body}");
        assert!(body.contains("Authorization: Bearer TOKEN") && body.contains(token_file.to_str().unwrap()), "{body}");
    }
    let (code, _) = http(&address, "POST", "/scope", &json!({"task_type": "summarise"}).to_string());
    assert_eq!(code, 401);
    assert_eq!(daemon.status()["refused_peers"], 4);
    assert!(!db.exists(), "a refused request recorded nothing");

    let (code, body) = http_with(&address, "POST", "/route", &bearer, &rm);
    assert_eq!(code, 200, "{body}");
    let decision: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(decision["decision"], "block");
    let (code, body) = http_with(&address, "POST", "/route", &bearer, "not a call");
    assert_eq!(code, 400, "{body}");
    let (code, body) = http_with(
        &address,
        "POST",
        "/scope",
        &bearer,
        &json!({"task_type": "summarise", "tools": ["Read", "Bash"]}).to_string(),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["granted"], json!(["Read"]));

    let (code, body) = http(&address, "GET", "/status", "");
    assert_eq!(code, 200);
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["pid"], daemon.child.id());
    assert_eq!(status["calls"]["block"], 1);
    assert_eq!(status["latency"]["count"], 1);

    let (code, metrics) = http(&address, "GET", "/metrics", "");
    assert_eq!(code, 200);
    for line in [
        "aethelgard_decisions_total{decision=\"block\"} 1",
        "aethelgard_decisions_total{decision=\"allow\"} 0",
        "aethelgard_scopes_total 1",
        "aethelgard_bad_requests_total 1",
        "aethelgard_refused_peers_total 4",
        "aethelgard_audit_failures_total 0",
        "aethelgard_decision_seconds_count 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "`{line}` in:\n{metrics}");
    }
    // The same text from the socket, and the figures in the human status.
    let out = aethelgard(&["status", "--prometheus", "--socket", daemon.socket.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("aethelgard_decisions_total{decision=\"block\"} 1"), "{text}");
    let out = aethelgard(&["status", "--socket", daemon.socket.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("latency      1 answers"), "{text}");
    assert!(text.contains("refused      4 connections from other users or HTTP requests without the token"), "{text}");
    assert!(text.contains(&format!("POST /route and /scope need the bearer token in {}", token_file.display())), "{text}");
    assert_eq!(audit_log::rows(&db).len(), 1, "the HTTP route was recorded");

    for address in ["0.0.0.0:0", "[::]:0"] {
        let refused = super::command()
            .args(["serve", "--no-audit", "--http", address, "--socket"])
            .arg(dir.join("other.sock"))
            .output()
            .unwrap();
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("not a loopback address"), "{stderr}");
    }
}
