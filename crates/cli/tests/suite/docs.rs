//! Keeps the governor documentation honest: every `$ aethelgard ...` line in a ```sh block of
//! `docs/governor.md` that is followed by output is run, and its standard output must be exactly
//! that text; every ```toml block must load as a policy.

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Block {
    info: String,
    lines: Vec<String>,
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            match open.take() {
                Some(block) => blocks.push(block),
                None => open = Some(Block { info: info.trim().to_owned(), lines: Vec::new(), line: index + 1 }),
            }
        } else if let Some(block) = open.as_mut() {
            block.lines.push(line.to_owned());
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    blocks
}

#[test]
fn governor_doc_commands_print_what_the_doc_shows() {
    let doc = std::fs::read_to_string(repo().join("docs/governor.md")).unwrap();
    let mut ran = 0;
    for block in blocks(&doc).iter().filter(|b| b.info == "sh") {
        let Some(first) = block.lines.first() else { continue };
        let Some(command) = first.strip_prefix("$ aethelgard ") else { continue };
        let expected = block.lines[1..].join("\n");
        let args = shlex::split(command).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_aethelgard"))
            .args(&args)
            .env("AETHELGARD_POLICY", "")
            .env("XDG_CONFIG_HOME", repo().join("target/no-config"))
            .output()
            .unwrap();
        assert!(output.status.success(), "docs/governor.md line {}: {}", block.line, String::from_utf8_lossy(&output.stderr));
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim_end(), expected, "docs/governor.md line {}", block.line);
        ran += 1;
    }
    assert!(ran >= 1, "no command with output found in docs/governor.md");
}

#[test]
fn governor_doc_policies_load() {
    let doc = std::fs::read_to_string(repo().join("docs/governor.md")).unwrap();
    let mut loaded = 0;
    for block in blocks(&doc).iter().filter(|b| b.info == "toml") {
        let text = block.lines.join("\n");
        if text.contains("algo = ") {
            aethelgard_governor::learned::LearnedPolicy::parse(&text, "doc").unwrap_or_else(|e| panic!("line {}: {e}", block.line));
        } else {
            aethelgard_policy::parse(&text, "doc", None).unwrap_or_else(|e| panic!("line {}: {e}", block.line));
        }
        loaded += 1;
    }
    assert!(loaded >= 3);
}
