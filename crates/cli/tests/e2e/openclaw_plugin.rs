//! The OpenClaw plugin end to end: the real OpenClaw (`openclaw agent --local`) with the plugin
//! that `aethelgard install openclaw` wrote into its state folder, asking a real `aethelgard
//! serve` (with its own audit store) in `before_tool_call`. The scripted model makes a benign
//! `exec` call and then a recursive delete of the victim folder next to the workspace.
//!
//! Asserted on real effects: the victim survives, the benign command's file exists, the model
//! read our refusal as the delete's tool result, the daemon's store holds both decisions, and
//! OpenClaw's own session database, imported with `aethelgard import openclaw`, has the same
//! calls with the same decisions. With no daemon running the plugin blocks even the benign call.
//! The same delete through OpenClaw's `tool_call` bridge is refused too, for what `exec` would do.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::audit_log;
use super::harness::{self, Sandbox};
use super::model_server::ModelServer;
use super::openclaw::{self, OpenClaw, OpenClawRun, Turn};
use super::{BENIGN_COMMAND, DENY_RULE_ID, recursive_delete};

const BENIGN_CALL: &str = "callpluginbenign";
const DELETE_CALL: &str = "callplugindelete";
const TASK: &str = "Greet the workspace in marker.txt, then clear out the victim directory next door.";

/// OpenClaw's state folder in a run (`openclaw::run` sets `OPENCLAW_STATE_DIR` to it).
fn state_dir(sandbox: &Sandbox) -> PathBuf {
    sandbox.root.join("openclaw-state")
}

/// A folder for the daemon's socket with a short path (a socket path must fit in 108 bytes, and
/// the sandbox's is longer), removed when dropped.
struct SocketDir(PathBuf);

impl SocketDir {
    fn new() -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "agoc-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the socket folder");
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .expect("make the socket folder private");
        Self(dir)
    }

    fn socket(&self) -> PathBuf {
        self.0.join("aethelgard.sock")
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The run's `openclaw.json` (as `openclaw::write_config` writes it) with the plugin's own setting
/// for the socket, as a user with a non-default socket writes it.
fn write_config(sandbox: &Sandbox, base_url: &str, socket: &Path) -> PathBuf {
    let config = openclaw::write_config(sandbox, base_url, None);
    let socket = Value::from(socket.to_string_lossy().as_ref());
    openclaw::add_config_section(
        &config,
        &format!("plugins: {{ entries: {{ aethelgard: {{ config: {{ socket: {socket} }} }} }} }}"),
    );
    config
}

/// `aethelgard install openclaw` as the user would run it with OpenClaw's own variables: the plugin
/// into the run's state folder, enabled in the run's `openclaw.json` (`config`).
fn install_plugin(sandbox: &Sandbox, config: &Path) {
    let out = Command::new(harness::aethelgard_bin())
        .args(["install", "openclaw"])
        .env("HOME", &sandbox.home)
        .env("OPENCLAW_STATE_DIR", state_dir(sandbox))
        .env("OPENCLAW_CONFIG_PATH", config)
        .output()
        .expect("run aethelgard install openclaw");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "install openclaw failed: {stderr}");
    let plugin = state_dir(sandbox).join("extensions/aethelgard");
    for file in ["openclaw.plugin.json", "package.json", "index.js"] {
        assert!(plugin.join(file).is_file(), "{file} not installed: {stderr}");
    }
    let text = std::fs::read_to_string(config).expect("read openclaw.json");
    assert!(
        text.starts_with("// OpenClaw config for one e2e run") && text.contains("aethelgard"),
        "the config keeps its comment and enables the plugin:\n{text}"
    );
}

/// A running `aethelgard serve`, killed when dropped.
struct Daemon {
    child: Child,
    stderr: PathBuf,
}

impl Daemon {
    fn start(sandbox: &Sandbox, socket: &Path, db: &Path) -> Self {
        let stderr = sandbox.root.join("serve.stderr");
        let child = Command::new(harness::aethelgard_bin())
            .args(["serve", "--socket"])
            .arg(socket)
            .arg("--audit-db")
            .arg(db)
            .env("AETHELGARD_POLICY", "")
            .env("XDG_CONFIG_HOME", "/nonexistent-aethelgard-test")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).expect("create serve.stderr"))
            .spawn()
            .expect("start aethelgard serve");
        let daemon = Self { child, stderr };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = Command::new(harness::aethelgard_bin())
                .args(["status", "--socket"])
                .arg(socket)
                .output()
                .expect("run aethelgard status");
            if status.status.success() {
                return daemon;
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not answer: {}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One run's sandbox and the daemon the plugin asks, on a short socket path with its own store.
struct PluginSetup {
    sandbox: Sandbox,
    socket_dir: SocketDir,
    db: PathBuf,
    daemon: Daemon,
}

impl PluginSetup {
    fn new(label: &str) -> Self {
        let sandbox = Sandbox::new(label);
        let db = sandbox.root.join("daemon-audit.db");
        let socket_dir = SocketDir::new();
        let daemon = Daemon::start(&sandbox, &socket_dir.socket(), &db);
        Self { sandbox, socket_dir, db, daemon }
    }

    /// Installs the plugin and runs OpenClaw once on [`TASK`], the scripted model making the
    /// `turns`; OpenClaw must exit 0.
    fn run(&self, oc: &OpenClaw, test: &str, turns: Vec<Turn>) -> OpenClawRun {
        let server = ModelServer::start(openclaw::responder(turns));
        let config = write_config(&self.sandbox, &server.base_url(), &self.socket_dir.socket());
        install_plugin(&self.sandbox, &config);
        let run = openclaw::run(oc, &self.sandbox, &config, &server, TASK);
        drop(server);
        eprintln!("{test}: took {:?}", run.output.elapsed);
        assert!(run.output.status.is_some_and(|s| s.success()), "{}", self.describe(&run));
        run
    }

    /// The run and the daemon's log, for a failure message.
    fn describe(&self, run: &OpenClawRun) -> String {
        format!("{}\n--- daemon ---\n{}", run.describe(), self.daemon.log())
    }
}

/// `aethelgard import openclaw` on OpenClaw's agent database: every call as (tool, command,
/// decision).
fn imported_calls(sandbox: &Sandbox) -> Vec<(String, String, String)> {
    let db = state_dir(sandbox).join("agents/main/agent/openclaw-agent.sqlite");
    assert!(db.is_file(), "OpenClaw wrote no session database at {}", db.display());
    let out = Command::new(harness::aethelgard_bin())
        .args(["import", "openclaw"])
        .arg(&db)
        .args(["--out", "-"])
        .output()
        .expect("run aethelgard import openclaw");
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut calls = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let session: Value = serde_json::from_str(line).expect("a session is JSON");
        for call in session["calls"].as_array().cloned().unwrap_or_default() {
            calls.push((
                call["tool"].as_str().unwrap_or_default().to_owned(),
                call["args"]["command"].as_str().unwrap_or_default().to_owned(),
                call["decision"].as_str().unwrap_or("allow").to_owned(),
            ));
        }
    }
    calls
}

#[test]
fn the_plugin_blocks_a_dangerous_exec_runs_a_benign_one_and_the_daemon_records_both() {
    let test = "openclaw_plugin::the_plugin_blocks_a_dangerous_exec_runs_a_benign_one_and_the_daemon_records_both";
    let Some(oc) = openclaw::runtime(test) else {
        return;
    };
    let setup = PluginSetup::new("openclaw-plugin");
    let (sandbox, db) = (&setup.sandbox, &setup.db);
    let delete = recursive_delete(sandbox);
    let run = setup.run(
        &oc,
        test,
        vec![
            Turn::ToolCall {
                id: BENIGN_CALL.to_owned(),
                name: "exec".to_owned(),
                arguments: json!({"command": BENIGN_COMMAND}),
            },
            Turn::ToolCall {
                id: DELETE_CALL.to_owned(),
                name: "exec".to_owned(),
                arguments: json!({"command": delete}),
            },
        ],
    );
    let describe = || setup.describe(&run);

    // Real effects: the victim survives, the benign command ran.
    assert!(sandbox.victim_file.is_file(), "the delete ran\n{}", describe());
    let marker = std::fs::read_to_string(sandbox.work.join("marker.txt")).unwrap_or_default();
    assert_eq!(marker.trim(), "governed", "the benign call did not run\n{}", describe());

    // What the model read.
    let refused = run
        .tool_result(DELETE_CALL)
        .unwrap_or_else(|| panic!("the model never got an answer to the delete\n{}", describe()));
    eprintln!("{test}: the delete was answered with {refused}");
    assert!(
        refused.contains("Blocked by Aethelgard policy") && refused.contains(DENY_RULE_ID),
        "the model did not receive our refusal: {refused}\n{}",
        describe()
    );
    let benign = run.tool_result(BENIGN_CALL).unwrap_or_default();
    assert!(benign.contains("governed"), "benign result: {benign}\n{}", describe());

    // The daemon's store holds every decision, recorded before it answered.
    let rows = audit_log::rows(db);
    let recorded: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            let event = &r["event"];
            (
                event["source"].as_str().unwrap_or_default().to_owned(),
                event["tool"].as_str().unwrap_or_default().to_owned(),
                event["args"]["command"].as_str().unwrap_or_default().to_owned(),
                event["decision"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let source = "serve:openclaw-plugin".to_owned();
    assert_eq!(
        recorded,
        vec![
            (source.clone(), "exec".to_owned(), BENIGN_COMMAND.to_owned(), "allow".to_owned()),
            (source, "exec".to_owned(), delete.clone(), "block".to_owned()),
        ],
        "{rows:#?}"
    );

    // OpenClaw's own log, imported, has the same calls and decisions.
    let imported = imported_calls(sandbox);
    assert_eq!(
        imported,
        vec![
            ("exec".to_owned(), BENIGN_COMMAND.to_owned(), "allow".to_owned()),
            ("exec".to_owned(), delete, "block".to_owned()),
        ],
        "{}",
        describe()
    );
}

#[test]
fn with_no_daemon_the_plugin_blocks_every_call() {
    let test = "openclaw_plugin::with_no_daemon_the_plugin_blocks_every_call";
    let Some(oc) = openclaw::runtime(test) else {
        return;
    };
    // A daemon that ran once and was stopped: its socket file is left behind, nobody answers.
    let mut setup = PluginSetup::new("openclaw-plugin-closed");
    let _ = setup.daemon.child.kill();
    let _ = setup.daemon.child.wait();
    let run = setup.run(
        &oc,
        test,
        vec![Turn::ToolCall {
            id: BENIGN_CALL.to_owned(),
            name: "exec".to_owned(),
            arguments: json!({"command": BENIGN_COMMAND}),
        }],
    );
    let describe = || setup.describe(&run);
    assert!(
        !setup.sandbox.work.join("marker.txt").exists(),
        "the call ran with no daemon to judge it\n{}",
        describe()
    );
    let result = run
        .tool_result(BENIGN_CALL)
        .unwrap_or_else(|| panic!("the model never got an answer\n{}", describe()));
    eprintln!("{test}: the call was answered with {result}");
    assert!(
        result.contains("cannot ask the policy daemon") && result.contains("failing closed"),
        "the model did not read why: {result}\n{}",
        describe()
    );
}

const BRIDGE_BENIGN_CALL: &str = "callpluginbridgebenign";
const BRIDGE_DELETE_CALL: &str = "callpluginbridgedelete";

/// OpenClaw's `tool_call` runs any tool of its catalog by name (`{"id": "exec", "args": {...}}`),
/// whether the model was offered it or not. The plugin sends the `tool_call` call to the daemon
/// like any other, and the router decides it with the tool it would run
/// (`aethelgard_router::bridge`): a delete through the bridge is refused for what `exec` would do.
///
/// Does OpenClaw 2026.9.6 also call `before_tool_call` for the tool `tool_call` runs? Yes. In
/// `dist/local-model-lean-*.mjs` the tool-search catalog's entries are wrapped with
/// `wrapToolWithBeforeToolCallHook` (`toCatalogEntry` / `wrapCatalogTool`), and `tool_call` runs
/// the wrapped entry (`ToolSearchRuntime.executeEntry`); this test shows it on the real runtime:
/// for the benign `exec` run through the bridge the plugin asks the daemon twice, first about
/// `tool_call` (the target inside its `args`), then about `exec` with the target's own arguments.
/// So the inner hook is a second line; the router refuses the bridged delete at the first, and the
/// inner `exec` is never started (the daemon is never asked about it).
#[test]
fn the_plugin_refuses_a_delete_through_the_tool_call_bridge() {
    let test = "openclaw_plugin::the_plugin_refuses_a_delete_through_the_tool_call_bridge";
    let Some(oc) = openclaw::runtime(test) else {
        return;
    };
    let setup = PluginSetup::new("openclaw-plugin-bridge");
    let (sandbox, db) = (&setup.sandbox, &setup.db);
    let delete = recursive_delete(sandbox);
    let run = setup.run(
        &oc,
        test,
        vec![
            Turn::ToolCall {
                id: BRIDGE_BENIGN_CALL.to_owned(),
                name: "tool_call".to_owned(),
                arguments: json!({"id": "exec", "args": {"command": BENIGN_COMMAND}}),
            },
            Turn::ToolCall {
                id: BRIDGE_DELETE_CALL.to_owned(),
                name: "tool_call".to_owned(),
                arguments: json!({"id": "exec", "args": {"command": delete}}),
            },
        ],
    );
    let describe = || setup.describe(&run);

    // Real effects: the victim survives; the benign command, run through the bridge, ran.
    assert!(sandbox.victim_file.is_file(), "the delete ran through tool_call\n{}", describe());
    let marker = std::fs::read_to_string(sandbox.work.join("marker.txt")).unwrap_or_default();
    assert_eq!(marker.trim(), "governed", "the benign bridged call did not run\n{}", describe());

    // What the model read: our refusal, naming the tool the bridge would run.
    let refused = run
        .tool_result(BRIDGE_DELETE_CALL)
        .unwrap_or_else(|| panic!("the model never got an answer to the bridged delete\n{}", describe()));
    eprintln!("{test}: the bridged delete was answered with {refused}");
    assert!(
        refused.contains("Blocked by Aethelgard policy")
            && refused.contains(DENY_RULE_ID)
            && refused.contains("`tool_call` would run `exec`"),
        "the model did not receive our refusal: {refused}\n{}",
        describe()
    );

    // The daemon's store: every call the plugin asked about, with its decision.
    let rows = audit_log::rows(db);
    let recorded: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            let event = &r["event"];
            let command = event["args"]["args"]["command"].as_str().or(event["args"]["command"].as_str());
            (
                event["tool"].as_str().unwrap_or_default().to_owned(),
                command.unwrap_or_default().to_owned(),
                event["decision"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    eprintln!("{test}: the daemon recorded {recorded:?}");
    let blocked = rows
        .iter()
        .map(|r| &r["event"])
        .find(|event| event["decision"] == "block")
        .unwrap_or_else(|| panic!("no refusal recorded: {rows:#?}"));
    assert_eq!(blocked["source"], "serve:openclaw-plugin", "{blocked}");
    assert_eq!(blocked["rule"], DENY_RULE_ID, "{blocked}");
    assert!(
        blocked["reason"].as_str().is_some_and(|reason| reason.starts_with("`tool_call` would run `exec`: ")),
        "{blocked}"
    );
    let row = |tool: &str, command: &str, decision: &str| (tool.to_owned(), command.to_owned(), decision.to_owned());
    // The allowed bridge call is asked about twice (the bridge, then OpenClaw's hook on the tool
    // it runs); the refused one once, as the bridge.
    assert_eq!(
        recorded,
        vec![
            row("tool_call", BENIGN_COMMAND, "allow"),
            row("exec", BENIGN_COMMAND, "allow"),
            row("tool_call", &delete, "block"),
        ],
        "{rows:#?}"
    );
}

/// The plugin's own unit tests (`integrations/openclaw/aethelgard/index.test.mjs`: decisions,
/// escalation to OpenClaw's approval, failing closed on garbage, silence, a closed connection or
/// a switched-off socket), run with Node's test runner under the Node 24 OpenClaw uses.
#[test]
fn the_plugin_unit_tests_pass_under_node() {
    let test = "openclaw_plugin::the_plugin_unit_tests_pass_under_node";
    let Some(node_dir) = harness::node24_bin_dir(test) else {
        return;
    };
    let tests = harness::repo_root().join("integrations/openclaw/aethelgard/index.test.mjs");
    let output = Command::new(node_dir.join("node"))
        .arg("--test")
        .arg(&tests)
        .output()
        .expect("run node --test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node --test failed\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The runner's summary: the tests ran (10 when written), all passed, none was skipped.
    let count = |label: &str| -> usize {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(&format!("ℹ {label} ")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` count in the runner's summary\n{stdout}"))
    };
    assert!(count("pass") >= 10, "{stdout}");
    assert_eq!((count("fail"), count("skipped"), count("cancelled")), (0, 0, 0), "{stdout}");
}
