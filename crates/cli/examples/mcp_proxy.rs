//! The MCP proxy's cost, beside the direct connection in the same run: added `tools/call`
//! latency and messages per second, over stdio and over Streamable HTTP.
//!
//! ```sh
//! cargo build --release -p aethelgard-cli --example mcp_proxy
//! target/release/examples/mcp_proxy target/release/aethelgard 2000
//! ```
//!
//! The upstream is this example itself (`mcp_proxy serve-stdio` / `serve-http`): a minimal MCP
//! server in Rust that answers `tools/call` with a fixed text at once, so the figures are the
//! proxy's and the transport's, not a server's. Cases:
//! - `stdio direct` / `stdio proxy` / `stdio proxy+audit`: `aethelgard proxy mcp [--no-audit |
//!   --audit-db F] -- <this> serve-stdio`; latency is one call at a time, throughput is 64 calls
//!   in flight;
//! - `http direct` / `http proxy` / `http proxy+audit`: `aethelgard proxy mcp --listen
//!   http://127.0.0.1:0 --upstream http://127.0.0.1:P/mcp`; one keep-alive connection, one call
//!   at a time (latency), then 4 connections at once (throughput).
//!
//! - `stdio proxy+daemon` / `http proxy+daemon`: the same with `--daemon require` and
//!   `$AETHELGARD_SOCKET` naming an `aethelgard serve` started by this example (built-in policy,
//!   its own audit store): each call is one round trip on the daemon's socket, recorded there.
//!
//! Every call is an allowed `tools/call` of `echo` (routed, and recorded in the `+audit` and
//! `+daemon` cases); no task, so nothing is filtered. The built-in policy; no user config; the
//! other proxy cases look for the daemon at a socket where none is (`--daemon auto`'s cost when
//! no daemon runs).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WINDOW: usize = 64;
const CONNECTIONS: usize = 4;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let first = args
        .next()
        .unwrap_or_else(|| "target/release/aethelgard".to_owned());
    match first.as_str() {
        "serve-stdio" => return serve_stdio(),
        "serve-http" => return serve_http(),
        _ => {}
    }
    let binary = PathBuf::from(first);
    let calls: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(2000);
    let me = std::env::current_exe()?;
    let dir = std::env::temp_dir().join(format!("aethelgard-mcp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "{calls} calls per case; p50/p90/p99 of one call at a time; throughput with {WINDOW} in flight (stdio) or {CONNECTIONS} connections (http)"
    );
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>12}",
        "case", "p50 µs", "p90 µs", "p99 µs", "calls/s"
    );

    let mut daemon = start_daemon(&binary, &dir)?;
    let stdio_cases: [(&str, Vec<String>); 4] = [
        ("stdio direct", vec![]),
        ("stdio proxy", vec!["--no-audit".into()]),
        (
            "stdio proxy+audit",
            vec![
                "--audit-db".into(),
                dir.join("stdio.db").to_string_lossy().into_owned(),
            ],
        ),
        ("stdio proxy+daemon", vec!["--daemon".into(), "require".into()]),
    ];
    for (name, flags) in stdio_cases {
        let mut child = if name == "stdio direct" {
            Command::new(&me)
                .arg("serve-stdio")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()?
        } else {
            proxy_command(&binary, &dir, name.ends_with("+daemon"))
                .args(&flags)
                .arg("--")
                .arg(&me)
                .arg("serve-stdio")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()?
        };
        let mut input = child.stdin.take().ok_or("no stdin")?;
        let mut output = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut samples = Vec::with_capacity(calls);
        for i in 0..calls + 100 {
            let started = Instant::now();
            writeln!(input, "{}", call(i))?;
            input.flush()?;
            let line = read_answer(&mut output)?;
            if i >= 100 {
                samples.push(started.elapsed());
            }
            check(&line)?;
        }
        let started = Instant::now();
        let total = calls * 5;
        let mut sent = 0;
        let mut received = 0;
        while received < total {
            while sent < total && sent - received < WINDOW {
                writeln!(input, "{}", call(sent))?;
                sent += 1;
            }
            input.flush()?;
            check(&read_answer(&mut output)?)?;
            received += 1;
        }
        let rate = total as f64 / started.elapsed().as_secs_f64();
        drop(input);
        let _ = child.kill();
        let _ = child.wait();
        report(name, &mut samples, rate);
    }

    let (mut upstream, port) = start_http_upstream(&me)?;
    let direct: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let upstream_url = format!("http://127.0.0.1:{port}/mcp");
    let http_cases: [(&str, Vec<String>); 4] = [
        ("http direct", vec![]),
        ("http proxy", vec!["--no-audit".into()]),
        (
            "http proxy+audit",
            vec![
                "--audit-db".into(),
                dir.join("http.db").to_string_lossy().into_owned(),
            ],
        ),
        ("http proxy+daemon", vec!["--daemon".into(), "require".into()]),
    ];
    for (name, flags) in http_cases {
        let mut proxy = None;
        let addr = if name == "http direct" {
            direct
        } else {
            let mut child = proxy_command(&binary, &dir, name.ends_with("+daemon"))
                .args(&flags)
                .args([
                    "--listen",
                    "http://127.0.0.1:0",
                    "--upstream",
                    &upstream_url,
                ])
                .stderr(Stdio::piped())
                .spawn()?;
            let mut line = String::new();
            let mut stderr = BufReader::new(child.stderr.take().ok_or("no stderr")?);
            stderr.read_line(&mut line)?;
            // Keep reading, so the proxy's later lines never meet a closed pipe.
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
            let addr = line
                .trim()
                .strip_prefix("aethelgard proxy: serving MCP on http://")
                .ok_or_else(|| format!("the proxy did not start: {line}"))?
                .trim_end_matches('/')
                .parse()?;
            proxy = Some(child);
            addr
        };
        let mut connection = Connection::open(addr)?;
        let mut samples = Vec::with_capacity(calls);
        for i in 0..calls + 100 {
            let started = Instant::now();
            let answer = connection.post(&call(i))?;
            if i >= 100 {
                samples.push(started.elapsed());
            }
            check(&answer)?;
        }
        let per = calls * 2 / CONNECTIONS;
        let started = Instant::now();
        let workers: Vec<_> = (0..CONNECTIONS)
            .map(|w| {
                std::thread::spawn(move || -> std::result::Result<(), String> {
                    let mut connection = Connection::open(addr).map_err(|e| e.to_string())?;
                    for i in 0..per {
                        check(
                            &connection
                                .post(&call(w * per + i))
                                .map_err(|e| e.to_string())?,
                        )
                        .map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().map_err(|_| "a worker panicked")??;
        }
        let rate = (per * CONNECTIONS) as f64 / started.elapsed().as_secs_f64();
        if let Some(mut child) = proxy {
            let _ = child.kill();
            let _ = child.wait();
        }
        report(name, &mut samples, rate);
    }
    let _ = upstream.kill();
    let _ = upstream.wait();
    let _ = daemon.kill();
    let _ = daemon.wait();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `aethelgard proxy mcp` with no user config; the daemon's socket, or one where none answers.
fn proxy_command(binary: &Path, dir: &Path, daemon: bool) -> Command {
    let socket = if daemon {
        dir.join("daemon.sock")
    } else {
        dir.join("no-daemon.sock")
    };
    let mut command = Command::new(binary);
    command
        .args(["proxy", "mcp"])
        .env("AETHELGARD_POLICY", "")
        .env("AETHELGARD_SOCKET", socket)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env("XDG_DATA_HOME", dir.join("data"));
    command
}

/// `aethelgard serve` on `dir/daemon.sock` with the built-in policy and `dir/daemon.db`, once
/// it answers `status`.
fn start_daemon(binary: &Path, dir: &Path) -> Result<Child> {
    let socket = dir.join("daemon.sock");
    let mut child = Command::new(binary)
        .args(["serve", "--socket"])
        .arg(&socket)
        .arg("--audit-db")
        .arg(dir.join("daemon.db"))
        .env("AETHELGARD_POLICY", "")
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answered = std::os::unix::net::UnixStream::connect(&socket).and_then(|mut stream| {
            stream.write_all(b"{\"op\":\"status\"}\n")?;
            let mut line = String::new();
            BufReader::new(stream).read_line(&mut line)?;
            Ok(line.contains("\"pid\""))
        });
        if matches!(answered, Ok(true)) {
            return Ok(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("the daemon did not answer within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn call(i: usize) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":"echo","arguments":{{"message":"hello {i}"}}}}}}"#
    )
}

fn check(answer: &str) -> Result<()> {
    if answer.contains("\"hello ") && !answer.contains("Blocked by Aethelgard") {
        Ok(())
    } else {
        Err(format!("unexpected answer: {answer}").into())
    }
}

fn read_answer(output: &mut impl BufRead) -> Result<String> {
    let mut line = String::new();
    if output.read_line(&mut line)? == 0 {
        return Err("the server closed its output".into());
    }
    Ok(line)
}

fn report(name: &str, samples: &mut [Duration], rate: f64) {
    samples.sort();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    println!(
        "{name:<20} {:>9.1} {:>9.1} {:>9.1} {:>12.0}",
        at(0.5),
        at(0.9),
        at(0.99),
        rate
    );
}

/// The answer the minimal server gives to a request.
fn answer(message: &str) -> String {
    let id = message
        .split("\"id\":")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or("null");
    let text = message
        .split("\"message\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("");
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":"{text}"}}],"isError":false}}}}"#
    )
}

fn serve_stdio() -> Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut lines = BufReader::new(stdin.lock());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        writeln!(out, "{}", answer(&line))?;
        // Answer as soon as nothing more is waiting, as a real server would.
        if !lines.buffer().contains(&b'\n') {
            out.flush()?;
        }
    }
}

fn start_http_upstream(me: &Path) -> Result<(Child, u16)> {
    let mut child = Command::new(me)
        .arg("serve-http")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    Ok((child, line.trim().parse()?))
}

fn serve_http() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            let _ = serve_connection(stream);
        });
    }
    Ok(())
}

fn serve_connection(stream: TcpStream) -> Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let Some(body) = read_http_body(&mut reader)? else {
            return Ok(());
        };
        let answer = answer(&body);
        write!(
            writer,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        )?;
        writer.flush()?;
    }
}

/// The body of the next request or response on a keep-alive connection (`Content-Length` only).
fn read_http_body(reader: &mut impl BufRead) -> Result<Option<String>> {
    let mut length = 0;
    let mut first = true;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return if first {
                Ok(None)
            } else {
                Err("the connection closed mid-message".into())
            };
        }
        first = false;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(String::from_utf8(body)?))
}

struct Connection {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Connection {
    fn open(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Self {
            writer: stream.try_clone()?,
            reader: BufReader::new(stream),
            addr,
        })
    }

    fn post(&mut self, body: &str) -> Result<String> {
        write!(
            self.writer,
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )?;
        self.writer.flush()?;
        read_http_body(&mut self.reader)?.ok_or_else(|| "the connection closed".into())
    }
}
