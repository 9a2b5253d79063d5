//! Hook answer time with and without the policy daemon, from spawn to exit.
//!
//! ```sh
//! cargo build --release -p aethelgard-cli
//! cargo run --release -p aethelgard-cli --example hook_daemon -- target/release/aethelgard 300
//! ```
//!
//! Starts `aethelgard serve` on a socket in a fresh temporary folder, then times `aethelgard hook
//! claude < payload` for a benign call (answer: nothing) and a dangerous one (answer: deny), each
//! with the daemon (`AETHELGARD_SOCKET` pointing at it) and without it (`AETHELGARD_SOCKET=off`),
//! interleaved round-robin after 20 warm-up rounds. Every case records its decisions: the daemon in
//! its store, the hook without a daemon in its own. The built-in policy; no user config.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WARMUP: usize = 20;

struct Case {
    name: &'static str,
    payload: PathBuf,
    daemon: bool,
    expect_deny: bool,
    samples: Vec<Duration>,
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/release/aethelgard".to_owned()),
    );
    let runs: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(300);
    let dir = std::env::temp_dir().join(format!("aethelgard-hook-daemon-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let socket = dir.join("aethelgard.sock");
    let mut daemon = Command::new(&binary)
        .args(["serve", "--socket"])
        .arg(&socket)
        .arg("--audit-db")
        .arg(dir.join("daemon.db"))
        .env("AETHELGARD_POLICY", "")
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stderr(Stdio::null())
        .spawn()?;
    let result = measure(&binary, &dir, &socket, runs);
    let _ = daemon.kill();
    let _ = daemon.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(binary: &Path, dir: &Path, socket: &Path, runs: usize) -> Result<()> {
    wait_for(socket)?;
    let payload = |name: &str, command: &str| -> Result<PathBuf> {
        let path = dir.join(format!("{name}.json"));
        let input = serde_json::json!({"session_id": "bench", "cwd": "/home/dev/project", "hook_event_name": "PreToolUse",
            "tool_name": "Bash", "tool_input": {"command": command}});
        std::fs::write(&path, input.to_string())?;
        Ok(path)
    };
    let benign = payload("benign", "git status")?;
    let dangerous = payload("dangerous", "rm -rf ~")?;
    let mut cases = vec![
        Case {
            name: "benign, no daemon",
            payload: benign.clone(),
            daemon: false,
            expect_deny: false,
            samples: Vec::new(),
        },
        Case {
            name: "benign, daemon",
            payload: benign,
            daemon: true,
            expect_deny: false,
            samples: Vec::new(),
        },
        Case {
            name: "dangerous, no daemon",
            payload: dangerous.clone(),
            daemon: false,
            expect_deny: true,
            samples: Vec::new(),
        },
        Case {
            name: "dangerous, daemon",
            payload: dangerous,
            daemon: true,
            expect_deny: true,
            samples: Vec::new(),
        },
    ];
    for round in 0..WARMUP + runs {
        for case in &mut cases {
            let elapsed = run_hook(binary, dir, socket, case)?;
            if round >= WARMUP {
                case.samples.push(elapsed);
            }
        }
    }
    let daemon_status = ask(socket, r#"{"op":"status"}"#)?;
    println!(
        "{} rounds after {WARMUP} warm-up rounds; daemon calls: {}",
        runs,
        daemon_status.get("calls").cloned().unwrap_or_default()
    );
    println!("| case | p50 | p90 | p99 | min | max | mean |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for case in &mut cases {
        case.samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |q: f64| {
            let rank = ((q * case.samples.len() as f64).ceil() as usize).max(1) - 1;
            case.samples.get(rank).copied().map_or(f64::NAN, ms)
        };
        let mean =
            case.samples.iter().map(|d| ms(*d)).sum::<f64>() / case.samples.len().max(1) as f64;
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {mean:.2} |",
            case.name,
            at(0.5),
            at(0.9),
            at(0.99),
            case.samples.first().copied().map_or(f64::NAN, ms),
            case.samples.last().copied().map_or(f64::NAN, ms)
        );
    }
    Ok(())
}

fn run_hook(binary: &Path, dir: &Path, socket: &Path, case: &Case) -> Result<Duration> {
    let start = Instant::now();
    let out = Command::new(binary)
        .args(["hook", "claude", "--audit-db"])
        .arg(dir.join("hook.db"))
        .env("AETHELGARD_POLICY", "")
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env(
            "AETHELGARD_SOCKET",
            if case.daemon {
                socket.as_os_str()
            } else {
                "off".as_ref()
            },
        )
        .stdin(std::fs::File::open(&case.payload)?)
        .output()?;
    let elapsed = start.elapsed();
    let denied = String::from_utf8_lossy(&out.stdout).contains("\"deny\"");
    if denied != case.expect_deny {
        return Err(format!(
            "{}: unexpected answer {:?}",
            case.name,
            String::from_utf8_lossy(&out.stdout)
        )
        .into());
    }
    Ok(elapsed)
}

fn ask(socket: &Path, line: &str) -> Result<serde_json::Value> {
    let mut stream = UnixStream::connect(socket)?;
    stream.write_all(line.as_bytes())?;
    stream.write_all(b"\n")?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    Ok(serde_json::from_str(&answer)?)
}

fn wait_for(socket: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while ask(socket, r#"{"op":"status"}"#).is_err() {
        if Instant::now() > deadline {
            return Err("the daemon did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
