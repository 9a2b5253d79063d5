//! Added latency of `aethelgard proxy llm`: time to the first streamed byte and to the end of the
//! stream, through the proxy and straight to the model API, measured in the same run.
//!
//! ```sh
//! cargo build --release -p aethelgard-cli --examples
//! target/release/examples/llm_proxy target/release/aethelgard 500
//! ```
//!
//! A scripted Anthropic Messages server on 127.0.0.1 (a thread of this process) answers every
//! request with a stream: `message_start` at once, then a text block, a `tool_use` block (`Read`,
//! granted and allowed) and the end. The client posts a Claude-Code-sized request (12 tools with
//! long descriptions, a 40 KB conversation, `stream: true`) over a fresh connection and times
//! (1) the first byte of the body and (2) the last. Rounds alternate direct / proxied after 20
//! warm-up rounds. The proxy runs with `--task-type summarise` and records every decision in a
//! fresh audit store, as a user would run it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WARMUP: usize = 20;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(args.next().unwrap_or_else(|| "target/release/aethelgard".to_owned()));
    let runs: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(500);
    let upstream = TcpListener::bind("127.0.0.1:0")?;
    let upstream_address = upstream.local_addr()?.to_string();
    std::thread::spawn(move || {
        for stream in upstream.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = answer(stream);
            });
        }
    });

    let dir = std::env::temp_dir().join(format!("aethelgard-llm-proxy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut proxy = Command::new(&binary)
        .args(["proxy", "llm", "--upstream", &format!("http://{upstream_address}"), "--listen", "127.0.0.1:0"])
        .args(["--task-type", "summarise", "--audit-db"])
        .arg(dir.join("audit.db"))
        .env("AETHELGARD_POLICY", "")
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stderr(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(proxy.stderr.take().ok_or("no stderr")?).read_line(&mut line)?;
    let proxy_address = line
        .split("listening on http://")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .ok_or_else(|| format!("the proxy did not start: {line:?}"))?
        .to_owned();
    let result = measure(&upstream_address, &proxy_address, runs);
    let _ = proxy.kill();
    let _ = proxy.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn request_body() -> String {
    let description = "Reads a file from the local filesystem. ".repeat(25);
    let tools: Vec<String> = ["Agent", "Bash", "Edit", "Glob", "Grep", "Read", "Skill", "ToolSearch", "WebFetch", "WebSearch", "Write", "TodoWrite"]
        .iter()
        .map(|name| format!(r#"{{"name":"{name}","description":"{description}","input_schema":{{"type":"object","properties":{{"path":{{"type":"string"}}}}}}}}"#))
        .collect();
    let conversation = "Summarise the README of this workspace, please. ".repeat(800);
    format!(
        r#"{{"model":"claude-bench","max_tokens":1024,"stream":true,"system":[{{"type":"text","text":"You are Claude Code."}}],"messages":[{{"role":"user","content":[{{"type":"text","text":"{conversation}"}}]}}],"tools":[{}]}}"#,
        tools.join(",")
    )
}

fn event(name: &str, data: &str) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// The scripted model: reads one request, streams the answer (first event, then the rest).
fn answer(stream: TcpStream) -> Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse()?;
        }
        if line.trim().is_empty() {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut stream = stream;
    stream.set_nodelay(true)?;
    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")?;
    stream.write_all(event("message_start", r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-bench","content":[],"stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1}}}"#).as_bytes())?;
    let rest = [
        event("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        event("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Reading it."}}"#),
        event("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
        event("content_block_start", r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"Read","input":{}}}"#),
        event("content_block_delta", r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"file_path\": \"README.md\"}"}}"#),
        event("content_block_stop", r#"{"type":"content_block_stop","index":1}"#),
        event("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":5}}"#),
        event("message_stop", r#"{"type":"message_stop"}"#),
    ];
    stream.write_all(rest.concat().as_bytes())?;
    Ok(())
}

/// One request: (time to the first body byte, time to the end of the stream, the body).
fn round(address: &str, body: &str) -> Result<(Duration, Duration, String)> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(address)?;
    stream.set_nodelay(true)?;
    let head = format!(
        "POST /v1/messages?beta=true HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nx-api-key: bench\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 16384];
    let mut first = None;
    loop {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        received.extend_from_slice(buffer.get(..read).unwrap_or_default());
        let body_started = received
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .is_some_and(|end| received.len() > end + 4);
        if first.is_none() && body_started {
            first = Some(start.elapsed());
        }
    }
    let last = start.elapsed();
    Ok((first.ok_or("no body")?, last, String::from_utf8_lossy(&received).into_owned()))
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(index).copied().unwrap_or_default()
}

fn measure(upstream: &str, proxy: &str, runs: usize) -> Result<()> {
    let body = request_body();
    let (_, _, proxied) = round(proxy, &body)?;
    if !proxied.contains("\"name\":\"Read\"") || !proxied.contains("message_stop") {
        return Err(format!("the proxied stream is not the model's answer: {proxied}").into());
    }
    let mut samples: [(Vec<Duration>, Vec<Duration>); 2] = Default::default();
    for index in 0..WARMUP + runs {
        for (case, address) in [upstream, proxy].iter().enumerate() {
            let (first, last, _) = round(address, &body)?;
            if let Some((firsts, lasts)) = samples.get_mut(case).filter(|_| index >= WARMUP) {
                firsts.push(first);
                lasts.push(last);
            }
        }
    }
    println!("request body {} bytes, {runs} rounds each after {WARMUP} warm-up rounds, interleaved", body.len());
    println!("{:<28} {:>10} {:>10} {:>10}", "", "p50", "p90", "p99");
    let mut medians = Vec::new();
    for ((firsts, lasts), name) in samples.iter_mut().zip(["direct", "through the proxy"]) {
        for (what, values) in [("first byte", &mut *firsts), ("end of stream", &mut *lasts)] {
            let (p50, p90, p99) = (percentile(values, 0.5), percentile(values, 0.9), percentile(values, 0.99));
            println!("{:<28} {:>8.0}µs {:>8.0}µs {:>8.0}µs", format!("{name}, {what}"), micros(p50), micros(p90), micros(p99));
            medians.push(p50);
        }
    }
    if let [direct_first, direct_last, proxy_first, proxy_last] = medians[..] {
        println!(
            "added by the proxy (p50): first byte {:.0}µs, end of stream {:.0}µs",
            micros(proxy_first) - micros(direct_first),
            micros(proxy_last) - micros(direct_last)
        );
    }
    Ok(())
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
