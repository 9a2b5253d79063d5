//! Codex execpolicy (`.rules`, Starlark): the policy's block rules that are plain program (and
//! argument prefix) rules, as `prefix_rule(..., decision = "forbidden")`.
//!
//! Codex matches a prefix rule on the exact first word of a command (`/bin/rm` is not `rm`) and
//! splits only plain `bash -lc` scripts, while the router also sees through paths, wrappers
//! (`sudo`, `env`) and obfuscation. So these rules are a second, narrower line behind the hook:
//! they still hold when the hook is not trusted or fails open. A rule is exported only when its
//! whole condition is a token prefix (programs without globs, an optional argument prefix, no
//! flags, regexes, targets, pipes, paths or hosts); exporting part of a rule would make Codex
//! forbid less than its text claims, silently.
//!
//! Each rule carries `match` / `not_match` examples, which Codex checks when it loads the file:
//! the rule's own examples that are plain commands on the prefix, else the bare program.

use aethelgard_policy::{Decision, Example, PrefixToken, Rule, ShellCondition};

/// The `.rules` text and which block rules could not be expressed.
#[derive(Clone, Debug, PartialEq)]
pub struct RulesExport {
    pub text: String,
    pub exported: Vec<String>,
    /// Rule id and why it is not a prefix rule.
    pub skipped: Vec<(String, String)>,
}

fn has_glob(word: &str) -> bool {
    word.contains(['*', '?', '[', '{'])
}

/// Why a rule is not exactly a token prefix (`None`: it is).
fn not_prefix(rule: &Rule) -> Option<&'static str> {
    if !rule.tool.is_empty() || !rule.risk.is_empty() || !rule.args.is_empty() {
        return Some("it names tools or tool arguments");
    }
    if !rule.hosts.is_empty() || !rule.paths.is_empty() {
        return Some("it matches hosts or paths");
    }
    let Some(shell) = &rule.shell else { return Some("it has no shell condition") };
    let ShellCondition { program, prefix, flags, args, args_regex, command, fed_by, via, targets, executes_download } = shell;
    if program.is_empty() {
        return Some("it names no program");
    }
    if program.iter().any(|p| has_glob(p)) || prefix.iter().flat_map(PrefixToken::alternatives).any(|w| has_glob(w)) {
        return Some("a program or prefix word is a glob");
    }
    if !flags.is_empty() || !args.is_empty() || args_regex.is_some() || !command.is_empty() {
        return Some("it matches flags or arguments anywhere, not a prefix");
    }
    if !fed_by.is_empty() || !via.is_empty() || *executes_download {
        return Some("it looks at pipelines or wrappers");
    }
    if targets.is_some() {
        return Some("it looks at where the operands point");
    }
    None
}

/// The rule's pattern: the programs, then its prefix words.
fn pattern(shell: &ShellCondition) -> Vec<Vec<String>> {
    let mut pattern = vec![shell.program.clone()];
    pattern.extend(shell.prefix.iter().map(|token| token.alternatives().to_vec()));
    pattern
}

fn matches(pattern: &[Vec<String>], words: &[String]) -> bool {
    words.len() >= pattern.len() && pattern.iter().zip(words).all(|(alternatives, word)| alternatives.contains(word))
}

fn command_words(examples: &[Example]) -> Vec<Vec<String>> {
    examples
        .iter()
        .filter_map(|example| match example {
            Example::Command(text) => shlex::split(text),
            Example::Call(_) => None,
        })
        .filter(|words| !words.is_empty())
        .collect()
}

fn starlark_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn starlark_list(words: &[String]) -> String {
    format!("[{}]", words.iter().map(|w| starlark_string(w)).collect::<Vec<_>>().join(", "))
}

fn pattern_text(pattern: &[Vec<String>]) -> String {
    let tokens: Vec<String> = pattern
        .iter()
        .map(|alternatives| match alternatives.as_slice() {
            [one] => starlark_string(one),
            many => starlark_list(many),
        })
        .collect();
    format!("[{}]", tokens.join(", "))
}

fn examples_text(examples: &[Vec<String>]) -> String {
    format!("[{}]", examples.iter().map(|words| starlark_list(words)).collect::<Vec<_>>().join(", "))
}

/// The `.rules` file for a policy's rules.
pub fn export(rules: &[Rule]) -> RulesExport {
    let mut body = String::new();
    let mut exported = Vec::new();
    let mut skipped = Vec::new();
    for rule in rules.iter().filter(|rule| rule.decision == Decision::Block) {
        if let Some(why) = not_prefix(rule) {
            skipped.push((rule.id.clone(), why.to_owned()));
            continue;
        }
        let Some(shell) = &rule.shell else { continue };
        let pattern = pattern(shell);
        let mut positive: Vec<Vec<String>> = command_words(&rule.matches).into_iter().filter(|w| matches(&pattern, w)).collect();
        if positive.is_empty() {
            positive.push(pattern.iter().filter_map(|alternatives| alternatives.first().cloned()).collect());
        }
        let negative: Vec<Vec<String>> = command_words(&rule.not_match).into_iter().filter(|w| !matches(&pattern, w)).collect();
        body.push_str(&format!("# {} (`{}`)\n", rule.reason, rule.id));
        body.push_str("prefix_rule(\n");
        body.push_str(&format!("    pattern = {},\n", pattern_text(&pattern)));
        body.push_str("    decision = \"forbidden\",\n");
        body.push_str(&format!("    justification = {},\n", starlark_string(&format!("Aethelgard policy `{}`: {}", rule.id, rule.reason))));
        body.push_str(&format!("    match = {},\n", examples_text(&positive)));
        if !negative.is_empty() {
            body.push_str(&format!("    not_match = {},\n", examples_text(&negative)));
        }
        body.push_str(")\n\n");
        exported.push(rule.id.clone());
    }
    let mut text = String::from(
        "# Aethelgard: the policy's block rules that are plain program/prefix rules, as Codex execpolicy rules.\n\
         # Written by `aethelgard export codex-rules`; regenerate it rather than editing it. Codex checks each\n\
         # rule's match/not_match examples when it loads this file. The PreToolUse hook judges every command\n\
         # with the whole policy; these rules still hold when the hook does not run.\n",
    );
    if !skipped.is_empty() {
        let ids: Vec<&str> = skipped.iter().map(|(id, _)| id.as_str()).collect();
        text.push_str("#\n# Block rules left to the hook (not a token prefix):\n");
        for line in wrap(&ids.join(", "), 96) {
            text.push_str(&format!("#   {line}\n"));
        }
    }
    text.push('\n');
    text.push_str(&body);
    let text = format!("{}\n", text.trim_end());
    RulesExport { text, exported, skipped }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.len() + word.len() + 1 > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
