use aethelgard_protocol::{Decision, DecisionKind, Stage, ToolCall};
use anyhow::Context;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn run(policy: Option<&Path>, input: &str) -> anyhow::Result<ExitCode> {
    let router = crate::load::router(policy).context("cannot load the policy")?;
    let reader: Box<dyn Read> = if input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(input).with_context(|| format!("cannot open `{input}`"))?)
    };
    let mut reader = BufReader::new(reader);
    let stdout = std::io::stdout();
    let mut out = std::io::LineWriter::new(stdout.lock());
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).with_context(|| format!("cannot read `{input}`"))?;
        if read == 0 {
            break;
        }
        number += 1;
        let decision = match serde_json::from_slice::<ToolCall>(trim(&line)) {
            Ok(call) => router.route(&call),
            Err(error) => malformed(number, &error),
        };
        serde_json::to_writer(&mut out, &decision)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn trim(line: &[u8]) -> &[u8] {
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
    line.get(..end).unwrap_or(&[])
}

/// A line that is not a tool call is refused, not skipped: the output stays aligned with the input.
fn malformed(number: usize, error: &serde_json::Error) -> Decision {
    Decision {
        decision: DecisionKind::Block,
        stage: Stage::Rules,
        score: 1.0,
        rule: Some("input.malformed".to_owned()),
        reason: format!(
            "line {number} is not a tool call (expected {{\"tool\": \"name\", \"args\": {{...}}}}): {error}"
        ),
        latency_us: 0,
    }
}
