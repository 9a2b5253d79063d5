#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Keeps `docs/policy.md` honest: every example in it is loaded and checked.
//!
//! The fenced blocks of the document are read by their info string:
//!
//! - ` ```toml `: a complete policy. It must parse and compile, every rule must have `match` and
//!   `not_match` examples, and they must hold (that is what [`Router::new`] checks).
//! - ` ```toml,should_fail `: a policy that must be refused. When the next block is a
//!   ` ```text,error ` block, the error message must be exactly its text (with the origin shown
//!   as `policy.toml`).
//! - ` ```text,decisions `: calls and what the policy of the nearest ` ```toml ` block above
//!   decides for them, one per line: `DECISION RULE CALL`. `RULE` is the deciding rule's id (`-`
//!   when none decided and the default applied); `CALL` is a shell command sent to `Bash`, or a
//!   tool call as JSON when it starts with `{"`. Calls run in the workspace `/home/dev/project`
//!   with the home `/home/dev`.
//! - ` ```codex-rules `, ` ```json,claude-permissions ` and ` ```text,claude-permissions `:
//!   importer input. It must import, and the imported rules must load (with the built-in
//!   catalogs, as `aethelgard policy import` checks them). When the next block is a
//!   ` ```toml,imported ` block, it must be exactly the importer's TOML output.
//! - ` ```jsonl,catalog `: a catalog file. It must parse as catalog JSONL.
//!
//! Every other block must be of a kind listed in `every_block_is_of_a_known_kind`, so a typo in
//! a fence cannot quietly take an example out of the test.

use aethelgard_policy::import;
use aethelgard_protocol::ToolCall;
use aethelgard_router::{Environment, Router, RouterError};
use serde_json::json;
use std::path::PathBuf;

const HOME: &str = "/home/dev";
const WORKSPACE: &str = "/home/dev/project";

struct Block {
    /// The info string after the opening fence.
    info: String,
    text: String,
    /// 1-based line of the opening fence.
    line: usize,
}

fn document() -> std::io::Result<String> {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy.md"))
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some(Block { info: info.trim().to_owned(), text: String::new(), line: index + 1 });
                }
            }
            Some(block) => {
                if line.trim_end() == "```" {
                    out.extend(open.take());
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "docs/policy.md ends inside a fenced block");
    out
}

fn environment() -> Environment {
    Environment::new(HOME, WORKSPACE)
}

fn load(text: &str, origin: &str) -> Result<Router, RouterError> {
    let (file, catalog) = aethelgard_policy::parse(text, origin, None)?;
    Router::new(file, catalog, origin, environment())
}

fn origin(index: usize) -> String {
    format!("docs/policy.md block {index}")
}

#[test]
fn every_policy_example_loads_and_its_examples_hold() {
    let markdown = document().expect("docs/policy.md is readable");
    let blocks = blocks(&markdown);
    // Every problem is collected, so one run reports them all.
    let mut problems: Vec<String> = Vec::new();
    let mut loaded = 0;
    let mut refused = 0;
    let mut examples = 0;
    let mut decisions = 0;
    let mut current: Option<(usize, Router)> = None;
    for (index, block) in blocks.iter().enumerate() {
        let origin = origin(index);
        match block.info.as_str() {
            "toml" => match load(&block.text, &origin) {
                Ok(router) => {
                    problems.extend(rules_without_examples(&block.text, &origin).into_iter().map(|id| {
                        format!("line {}: rule `{id}` needs both `match` and `not_match` examples", block.line)
                    }));
                    examples += router.examples_checked();
                    loaded += 1;
                    current = Some((block.line, router));
                }
                Err(e) => {
                    problems.push(format!("line {}: the policy does not load: {e}", block.line));
                    current = None;
                }
            },
            "toml,should_fail" => {
                let Err(error) = load(&block.text, &origin) else {
                    problems.push(format!("line {}: the block is marked should_fail but loads", block.line));
                    continue;
                };
                // The document shows the message as `aethelgard policy check policy.toml` prints it.
                let message = error.to_string().replace(&origin, "policy.toml");
                if let Some(next) = blocks.get(index + 1).filter(|b| b.info == "text,error")
                    && message != next.text.trim_end()
                {
                    problems.push(format!(
                        "line {}: the error shown is not the error the policy gives, which is:\n{message}",
                        next.line
                    ));
                }
                refused += 1;
            }
            "text,decisions" => {
                let Some((policy_line, router)) = &current else {
                    problems.push(format!("line {}: a decisions block with no loaded policy above it", block.line));
                    continue;
                };
                for (offset, line) in block.text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    if let Err(problem) = check_decision(router, line) {
                        problems.push(format!("line {} (policy at line {policy_line}): `{line}`: {problem}", block.line + 1 + offset));
                    }
                    decisions += 1;
                }
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "docs/policy.md:\n{}", problems.join("\n"));
    assert!(loaded >= 20, "only {loaded} policies in docs/policy.md; the reference should show many");
    assert!(refused >= 3, "only {refused} refused policies in docs/policy.md");
    assert!(examples >= 100, "only {examples} rule examples checked in docs/policy.md");
    assert!(decisions >= 30, "only {decisions} decisions checked in docs/policy.md");
}

/// The ids of the rules of a policy that lack `match` or `not_match` examples: every rule the
/// document shows is checked both ways.
fn rules_without_examples(text: &str, origin: &str) -> Vec<String> {
    let Ok((file, _)) = aethelgard_policy::parse(text, origin, None) else { return Vec::new() };
    file.rules.into_iter().filter(|rule| rule.matches.is_empty() || rule.not_match.is_empty()).map(|rule| rule.id).collect()
}

/// One line of a decisions block: `DECISION RULE CALL`.
fn check_decision(router: &Router, line: &str) -> Result<(), String> {
    let (expected, rest) = first_word(line);
    let (rule, call_text) = first_word(rest);
    if expected.is_empty() || rule.is_empty() || call_text.is_empty() {
        return Err("expected `DECISION RULE CALL`".to_owned());
    }
    let call: ToolCall = if call_text.starts_with("{\"") {
        let mut call: ToolCall = serde_json::from_str(call_text).map_err(|e| format!("the call is not valid JSON: {e}"))?;
        if call.cwd.is_none() {
            call.cwd = Some(WORKSPACE.to_owned());
        }
        call
    } else {
        ToolCall::new("Bash", json!({ "command": call_text })).with_cwd(WORKSPACE)
    };
    let decision = router.route(&call);
    let got_rule = decision.rule.as_deref().unwrap_or("-");
    if decision.decision.as_str() != expected || got_rule != rule {
        return Err(format!(
            "the document says `{expected} {rule}`, the router decides `{} {got_rule}` ({})",
            decision.decision, decision.reason
        ));
    }
    Ok(())
}

/// The first whitespace-separated word of `text` and the rest, both trimmed.
fn first_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

/// The rules an importer produced, rendered as TOML and loaded the way `aethelgard policy import`
/// checks them.
fn load_imported(rules: &[aethelgard_policy::Rule], origin: &str) -> Result<String, String> {
    let toml = import::to_toml(rules).map_err(|e| format!("cannot render the imported rules: {e}"))?;
    let policy = format!("version = 1\n[catalog]\nbuiltin = [\"codex\", \"claude\", \"openclaw\"]\n\n{toml}");
    load(&policy, origin).map_err(|e| format!("the imported rules do not load: {e}\n{toml}"))?;
    Ok(toml)
}

#[test]
fn every_import_example_imports_and_loads() {
    let markdown = document().expect("docs/policy.md is readable");
    let blocks = blocks(&markdown);
    let mut imported = 0;
    for (index, block) in blocks.iter().enumerate() {
        let origin = origin(index);
        let rules = match block.info.as_str() {
            "codex-rules" => import::codex_rules(&block.text, &origin),
            "json,claude-permissions" | "text,claude-permissions" => import::claude_permissions(&block.text, &origin),
            _ => continue,
        }
        .unwrap_or_else(|e| panic!("docs/policy.md line {}: the import fails: {e}", block.line));
        assert!(!rules.is_empty(), "docs/policy.md line {}: nothing imported", block.line);
        let toml = load_imported(&rules, &origin).unwrap_or_else(|e| panic!("docs/policy.md line {}: {e}", block.line));
        if let Some(next) = blocks.get(index + 1).filter(|b| b.info == "toml,imported") {
            assert_eq!(
                next.text.trim_end(),
                toml.trim_end(),
                "docs/policy.md line {}: the TOML shown is not what the importer produces",
                next.line
            );
        }
        imported += 1;
    }
    assert!(imported >= 3, "docs/policy.md should show both importers");
}

#[test]
fn every_catalog_example_parses() {
    let mut parsed = 0;
    for block in blocks(&document().expect("docs/policy.md is readable")).iter().filter(|b| b.info == "jsonl,catalog") {
        let tools = aethelgard_policy::Catalog::parse_jsonl(&block.text, "docs/policy.md")
            .unwrap_or_else(|e| panic!("docs/policy.md line {}: the catalog does not parse: {e}", block.line));
        assert!(!tools.is_empty(), "docs/policy.md line {}: an empty catalog", block.line);
        parsed += 1;
    }
    assert!(parsed >= 1, "docs/policy.md should show a catalog file");
}

#[test]
fn every_block_is_of_a_known_kind() {
    let known = [
        "toml",
        "toml,should_fail",
        "toml,imported",
        "text,error",
        "text,decisions",
        "codex-rules",
        "json,claude-permissions",
        "text,claude-permissions",
        "jsonl,catalog",
        "jsonl",
        "json",
        "text",
        "sh",
    ];
    for block in blocks(&document().expect("docs/policy.md is readable")) {
        assert!(
            known.contains(&block.info.as_str()),
            "docs/policy.md line {}: unknown fence info `{}`; the test would not check it",
            block.line,
            block.info
        );
    }
}
