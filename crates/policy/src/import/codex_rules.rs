use super::starlark::{self, Value};
use super::slug;
use crate::error::PolicyError;
use crate::file::{Decision, Example, PrefixToken, Rule, ShellCondition};

/// Converts a Codex execpolicy `.rules` file. `prefix_rule` becomes a shell rule on the program
/// and argument prefix (its `match` / `not_match` examples carry over and are checked when the
/// policy loads); `network_rule` becomes a host rule. `host_executable` has no counterpart (our
/// analyser already reduces `/usr/bin/git` to `git`) and is skipped.
pub fn codex_rules(text: &str, origin: &str) -> Result<Vec<Rule>, PolicyError> {
    let calls = starlark::parse(text).map_err(|(line, message)| PolicyError::Import { origin: origin.to_owned(), line, message })?;
    let mut rules = Vec::new();
    for call in calls {
        let fail = |message: String| PolicyError::Import { origin: origin.to_owned(), line: call.line, message };
        match call.name.as_str() {
            "prefix_rule" => {
                let Some(Value::List(pattern)) = call.get("pattern") else {
                    return Err(fail("`prefix_rule` needs `pattern = [...]`".to_owned()));
                };
                let mut tokens = Vec::new();
                for token in pattern {
                    tokens.push(match token {
                        Value::Str(word) => PrefixToken::One(word.clone()),
                        Value::List(words) => PrefixToken::AnyOf(strings(words).map_err(&fail)?),
                        Value::Other(other) => return Err(fail(format!("pattern token `{other}` is not a string"))),
                    });
                }
                let Some((program, prefix)) = tokens.split_first() else {
                    return Err(fail("`pattern` is empty".to_owned()));
                };
                let decision = match call.get("decision") {
                    None => Decision::Allow,
                    Some(Value::Str(d)) => codex_decision(d).ok_or_else(|| fail(format!("decision `{d}`: expected allow, prompt or forbidden")))?,
                    Some(_) => return Err(fail("`decision` must be a string".to_owned())),
                };
                let justification = match call.get("justification") {
                    Some(Value::Str(text)) => text.clone(),
                    _ => format!("imported Codex rule: {}", display(program, prefix)),
                };
                let program_words = program.alternatives().to_vec();
                let words: Vec<&str> = std::iter::once(program_words.first().map_or("", String::as_str))
                    .chain(prefix.iter().filter_map(|t| t.alternatives().first().map(String::as_str)))
                    .collect();
                rules.push(Rule {
                    id: format!("codex-rules.{}.{}", call.line, slug(&words.join(" "))),
                    decision,
                    reason: justification,
                    score: None,
                    tool: Vec::new(),
                    risk: Vec::new(),
                    args: Vec::new(),
                    shell: Some(ShellCondition { program: program_words, prefix: prefix.to_vec(), ..ShellCondition::default() }),
                    hosts: Vec::new(),
                    paths: Vec::new(),
                    access: None,
                    matches: examples(call.get("match")).map_err(&fail)?,
                    not_match: examples(call.get("not_match")).map_err(&fail)?,
                });
            }
            "network_rule" => {
                let Some(Value::Str(host)) = call.get("host") else {
                    return Err(fail("`network_rule` needs `host = \"...\"`".to_owned()));
                };
                let decision = match call.get("decision") {
                    Some(Value::Str(d)) if d == "deny" || d == "forbidden" => Decision::Block,
                    Some(Value::Str(d)) if d == "prompt" => Decision::Escalate,
                    Some(Value::Str(d)) if d == "allow" => Decision::Allow,
                    _ => return Err(fail("`network_rule` needs `decision` = allow, prompt or deny".to_owned())),
                };
                let reason = match call.get("justification") {
                    Some(Value::Str(text)) => text.clone(),
                    _ => format!("imported Codex network rule for {host}"),
                };
                rules.push(Rule {
                    id: format!("codex-rules.{}.network-{}", call.line, slug(host)),
                    decision,
                    reason,
                    score: None,
                    tool: Vec::new(),
                    risk: Vec::new(),
                    args: Vec::new(),
                    shell: None,
                    hosts: vec![host.clone()],
                    paths: Vec::new(),
                    access: None,
                    matches: Vec::new(),
                    not_match: Vec::new(),
                });
            }
            "host_executable" => {}
            other => return Err(fail(format!("unknown call `{other}`; expected prefix_rule, network_rule or host_executable"))),
        }
    }
    Ok(rules)
}

fn codex_decision(decision: &str) -> Option<Decision> {
    match decision {
        "allow" => Some(Decision::Allow),
        "prompt" => Some(Decision::Escalate),
        "forbidden" => Some(Decision::Block),
        _ => None,
    }
}

fn strings(values: &[Value]) -> Result<Vec<String>, String> {
    values
        .iter()
        .map(|v| match v {
            Value::Str(s) => Ok(s.clone()),
            _ => Err("expected a list of strings".to_owned()),
        })
        .collect()
}

/// Examples are shlex strings or token lists.
fn examples(value: Option<&Value>) -> Result<Vec<Example>, String> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let Value::List(items) = value else { return Err("`match` / `not_match` must be lists".to_owned()) };
    items
        .iter()
        .map(|item| match item {
            Value::Str(command) => Ok(Example::Command(command.clone())),
            Value::List(tokens) => {
                let words = strings(tokens)?;
                Ok(Example::Command(words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")))
            }
            Value::Other(_) => Err("examples must be strings or lists of strings".to_owned()),
        })
        .collect()
}

fn quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn display(program: &PrefixToken, prefix: &[PrefixToken]) -> String {
    std::iter::once(program)
        .chain(prefix)
        .map(|t| t.alternatives().join("|"))
        .collect::<Vec<_>>()
        .join(" ")
}
