//! Stage 1: the call's facts against the compiled rules and the filesystem table.

use crate::compiled::{may_match, ArgTest, CompiledPolicy, CompiledRule, CompiledShell, Matchers};
use crate::facts::{Environment, Facts};
use crate::filesystem::{relative_to, Anchor};
use aethelgard_policy::{Decision, FilesystemAccess, PathAccess, Targets};
use aethelgard_protocol::{RiskTag, ToolCall};
use aethelgard_shell::{Access, Arg, Command};
use serde_json::Value;

/// Stage 1's judgement of a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub decision: Decision,
    pub rule: Option<String>,
    pub reason: String,
    pub score: f64,
    /// True when no rule, filesystem entry or unresolved command decided: the policy default
    /// applied, and stage 2 may judge instead.
    pub undecided: bool,
}

/// Whether a rule applies to a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Hit {
    No,
    Yes,
    /// It would apply if a value only known at run time turns out a certain way.
    Maybe(String),
}

impl Hit {
    fn better(self, other: Hit) -> Hit {
        match (&self, &other) {
            (Hit::Yes, _) => self,
            (_, Hit::Yes) => other,
            (Hit::Maybe(_), _) => self,
            _ => other,
        }
    }
}

fn rank(decision: Decision) -> u8 {
    match decision {
        Decision::Allow => 0,
        Decision::Escalate => 1,
        Decision::Block => 2,
    }
}

/// The tool's base risk when nothing decided against it.
fn base_score(facts: &Facts<'_>) -> f64 {
    let Some(entry) = facts.entry else { return 0.3 };
    entry
        .risk
        .iter()
        .map(|tag| match tag {
            RiskTag::Read => 0.05,
            RiskTag::Write | RiskTag::Network => 0.2,
            RiskTag::Message | RiskTag::Exec => 0.3,
            RiskTag::Spawn => 0.35,
            RiskTag::Credential | RiskTag::Payment | RiskTag::Destructive => 0.5,
        })
        .fold(0.0, f64::max)
}

struct Best {
    verdict: Option<Verdict>,
}

impl Best {
    fn offer(&mut self, decision: Decision, rule: &str, reason: String, score: f64) {
        let stricter = self.verdict.as_ref().is_none_or(|v| rank(decision) > rank(v.decision));
        if stricter {
            self.verdict = Some(Verdict { decision, rule: Some(rule.to_owned()), reason, score, undecided: false });
        }
    }
}

/// Judges a call. Fails only when a rule cannot be compiled (a policy whose examples were never
/// checked); the router then applies the fail mode.
pub(crate) fn evaluate(policy: &CompiledPolicy, call: &ToolCall, env: &Environment) -> Result<Verdict, String> {
    if let Some(granted) = &call.granted
        && !granted.contains(&call.tool) {
            return Ok(Verdict {
                decision: Decision::Block,
                rule: Some("manifest.not-granted".to_owned()),
                reason: format!("the tool `{}` is not granted for this task", call.tool),
                score: 0.9,
                undecided: false,
            });
        }
    let facts = crate::facts::extract(call, &policy.catalog, env);
    let tool = globset::Candidate::new(&call.tool);
    let mut best = Best { verdict: None };

    for index in candidate_rules(policy, call, &facts) {
        let Some(rule) = policy.rules.get(index) else { continue };
        let hit = rule_hit(rule, policy, call, &tool, &facts)?;
        offer_hit(&mut best, rule, hit);
    }

    // The filesystem table, for every file the call touches.
    for (path, access) in &facts.accesses {
        if path.dynamic {
            if *access == Access::Write {
                let decision = policy.file.filesystem.dynamic_write;
                best.offer(
                    decision,
                    "filesystem.dynamic-write",
                    format!("writes to `{}`, a path only known at run time", display(&path.value)),
                    0.6,
                );
            }
            continue;
        }
        let governing = policy.filesystem.governing(&path.value, &facts.workspace, &facts.home);
        let permitted =
            matches!((governing.access, access), (FilesystemAccess::Write, _) | (FilesystemAccess::Read, Access::Read));
        if !permitted {
            let what = if *access == Access::Write { "writing" } else { "reading" };
            let reason = match governing.access {
                FilesystemAccess::Deny => format!("{what} `{}` is denied: `{}` is protected (credentials or secrets)", path.value, governing.pattern),
                _ => format!("{what} `{}` is outside the writable areas (the workspace `{}` and the policy's writable paths)", path.value, facts.workspace),
            };
            let rule = if governing.pattern == "(default)" {
                "filesystem.outside-writable".to_owned()
            } else {
                format!("filesystem:{}", governing.pattern)
            };
            best.offer(Decision::Block, &rule, reason, 0.9);
        }
    }

    if let Some(analysis) = &facts.analysis
        && let Some(first) = analysis.unresolved.first() {
            best.offer(policy.file.unresolved, "shell.unresolved", format!("cannot judge the command: {first}"), 0.6);
        }

    Ok(match best.verdict {
        Some(verdict) => verdict,
        None => Verdict {
            decision: policy.file.default,
            rule: None,
            reason: "no rule matched".to_owned(),
            score: base_score(&facts),
            undecided: true,
        },
    })
}

fn offer_hit(best: &mut Best, rule: &CompiledRule, hit: Hit) {
    let score = rule.rule.score.unwrap_or(match rule.rule.decision {
        Decision::Block => 0.9,
        Decision::Escalate => 0.6,
        Decision::Allow => 0.1,
    });
    match hit {
        Hit::No => {}
        Hit::Yes => best.offer(rule.rule.decision, &rule.rule.id, rule.rule.reason.clone(), score),
        Hit::Maybe(why) => {
            if rule.rule.decision != Decision::Allow {
                best.offer(Decision::Escalate, &rule.rule.id, format!("may be a case of: {} ({why})", rule.rule.reason), score.min(0.7));
            }
        }
    }
}

/// The rules that can apply: shell rules for the programs present, call rules always, minus those
/// a cheap look shows cannot apply (so their matchers are never compiled on the hook's path).
fn candidate_rules(policy: &CompiledPolicy, call: &ToolCall, facts: &Facts<'_>) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    if let Some(analysis) = &facts.analysis {
        for command in &analysis.commands {
            if let Some(rules) = policy.by_program.get(&command.program) {
                out.extend(rules);
            }
        }
        for (pattern, index) in &policy.program_globs {
            if analysis.commands.iter().any(|c| may_match(pattern, &c.program)) {
                out.push(*index);
            }
        }
        for &index in &policy.shell_scan {
            let Some(shell) = policy.rules.get(index).and_then(|r| r.rule.shell.as_ref()) else { continue };
            let possible = (shell.fed_by.is_empty() || analysis.commands.iter().any(|c| !c.fed_by.is_empty()))
                && (shell.via.is_empty() || analysis.commands.iter().any(|c| !c.via.is_empty()))
                && (!shell.executes_download || analysis.commands.iter().any(|c| analysis.executes_download(c)));
            if possible {
                out.push(index);
            }
        }
    }
    out.extend(&policy.call_rules);
    out.retain(|&index| {
        policy.rules.get(index).is_some_and(|rule| {
            let rule = &rule.rule;
            (rule.tool.is_empty() || rule.tool.iter().any(|p| may_match(p, &call.tool)))
                && (rule.hosts.is_empty() || !facts.hosts.is_empty())
                && (rule.paths.is_empty() || !facts.accesses.is_empty())
                && rule.shell.as_ref().is_none_or(|shell| shell_may_apply(shell, facts))
        })
    });
    out.sort_unstable();
    out.dedup();
    out
}

/// Necessary conditions of a shell condition that need nothing compiled: some command carries the
/// first prefix word, one of the flags, an argument one of the globs may match. A rule that fails
/// them cannot apply, so its regexes are never compiled for this call.
fn shell_may_apply(shell: &aethelgard_policy::ShellCondition, facts: &Facts<'_>) -> bool {
    let Some(analysis) = &facts.analysis else { return false };
    let commands = &analysis.commands;
    let prefix_ok = shell.prefix.first().is_none_or(|first| {
        commands.iter().any(|c| c.args.first().is_some_and(|a| first.alternatives().contains(&a.value)))
    });
    let flags_ok = shell.flags.is_empty() || commands.iter().any(|c| shell.flags.iter().any(|f| c.has_flag(f)));
    let args_ok = shell.args.is_empty()
        || commands.iter().any(|c| c.args.iter().any(|a| shell.args.iter().any(|g| may_match(g, &a.value))));
    prefix_ok && flags_ok && args_ok
}

/// Whether one rule applies to the call. `tool` is the call's tool name, prepared once per call
/// for glob matching.
pub(crate) fn rule_hit(
    rule: &CompiledRule,
    policy: &CompiledPolicy,
    call: &ToolCall,
    tool: &globset::Candidate<'_>,
    facts: &Facts<'_>,
) -> Result<Hit, String> {
    let m = rule.matchers()?;
    Ok(hit(m, rule, policy, call, tool, facts))
}

fn hit(m: &Matchers, rule: &CompiledRule, policy: &CompiledPolicy, call: &ToolCall, tool: &globset::Candidate<'_>, facts: &Facts<'_>) -> Hit {
    if m.tool.as_ref().is_some_and(|set| !set.is_match_candidate(tool)) {
        return Hit::No;
    }
    if !rule.rule.risk.is_empty() {
        let tags = facts.entry.map(|e| e.risk.as_slice()).unwrap_or(&[]);
        if !rule.rule.risk.iter().any(|tag| tags.contains(tag)) {
            return Hit::No;
        }
    }
    for arg in &m.args {
        if !arg_matches(&call.args, &arg.pointer, &arg.matcher) {
            return Hit::No;
        }
    }
    if let Some(hosts) = &m.hosts
        && !facts.hosts.iter().any(|host| hosts.is_match(host)) {
            return Hit::No;
        }
    if !m.paths.is_empty() {
        let touched = facts.accesses.iter().any(|(path, access)| {
            let access_ok = match m.access {
                None => true,
                Some(PathAccess::Read) => *access == Access::Read,
                Some(PathAccess::Write) => *access == Access::Write,
            };
            access_ok && !path.dynamic && path_matches(m, &path.value, facts)
        });
        if !touched {
            return Hit::No;
        }
    }
    let Some(shell) = &m.shell else { return Hit::Yes };
    let Some(analysis) = &facts.analysis else { return Hit::No };
    let mut any = Hit::No;
    for command in &analysis.commands {
        if shell.executes_download && !analysis.executes_download(command) {
            continue;
        }
        any = any.better(shell_hit(shell, command, policy, facts));
        if any == Hit::Yes {
            break;
        }
    }
    any
}

fn path_matches(m: &Matchers, path: &str, facts: &Facts<'_>) -> bool {
    m.paths.iter().any(|(anchor, glob)| match anchor {
        Anchor::Absolute => glob.is_match(path),
        Anchor::Home => relative_to(path, &facts.home).is_some_and(|rel| glob.is_match(rel)),
        Anchor::Workspace => relative_to(path, &facts.workspace).is_some_and(|rel| glob.is_match(rel)),
    })
}

fn arg_matches(args: &Value, pointer: &str, test: &ArgTest) -> bool {
    let Some(value) = args.pointer(pointer) else { return false };
    let check = |text: &str| match test {
        ArgTest::Glob(glob) => glob.is_match(text),
        ArgTest::Regex(regex) => regex.is_match(text),
        ArgTest::OneOf(options) => options.iter().any(|o| o == text),
    };
    match value {
        Value::String(text) => check(text),
        Value::Array(items) => items.iter().any(|item| match item {
            Value::String(text) => check(text),
            other => check(&other.to_string()),
        }),
        other => check(&other.to_string()),
    }
}

fn shell_hit(shell: &CompiledShell, command: &Command, policy: &CompiledPolicy, facts: &Facts<'_>) -> Hit {
    if let Some(programs) = &shell.program
        && !programs.is_match(&command.program) {
            return Hit::No;
        }
    for (i, alternatives) in shell.prefix.iter().enumerate() {
        match command.args.get(i) {
            Some(arg) if alternatives.contains(&arg.value) => {}
            _ => return Hit::No,
        }
    }
    if !shell.flags.is_empty() && !shell.flags.iter().any(|flag| command.has_flag(flag)) {
        return Hit::No;
    }
    if let Some(args) = &shell.args
        && !command.args.iter().any(|arg| args.is_match(&arg.value)) {
            return Hit::No;
        }
    if shell.args_regex.is_some() || shell.command.is_some() {
        let joined = command.args.iter().map(|a| a.value.as_str()).collect::<Vec<_>>().join(" ");
        if let Some(regex) = &shell.args_regex {
            let matched = regex.is_match(&joined) || command.stdin.as_deref().is_some_and(|input| regex.is_match(&format!("{joined}\n{input}")));
            if !matched {
                return Hit::No;
            }
        }
        if let Some(globs) = &shell.command {
            let whole = if joined.is_empty() { command.program.clone() } else { format!("{} {joined}", command.program) };
            if !globs.is_match(&whole) {
                return Hit::No;
            }
        }
    }
    if let Some(fed_by) = &shell.fed_by
        && !command.fed_by.iter().any(|p| fed_by.is_match(p)) {
            return Hit::No;
        }
    if let Some(via) = &shell.via
        && !command.via.iter().any(|p| via.is_match(p)) {
            return Hit::No;
        }
    match shell.targets {
        None => Hit::Yes,
        Some(Targets::Any) => {
            if operands(command).next().is_some() {
                Hit::Yes
            } else {
                Hit::No
            }
        }
        Some(Targets::OutsideWorkspace) => {
            // `find ROOT -delete` removes what is below ROOT, so the workspace itself is a fine root.
            let is_find = command.program == "find";
            let targets: Vec<&Arg> = if is_find {
                command.args.iter().take_while(|a| !a.value.starts_with('-') && a.value != "(" && a.value != "!").collect()
            } else {
                operands(command).collect()
            };
            let mut result = Hit::No;
            for operand in targets {
                let Some(path) = resolve_operand(operand, command, facts) else {
                    result = result.better(Hit::Maybe(format!("the target `{}` is only known at run time", display(&operand.value))));
                    continue;
                };
                let inside = (is_find && path == facts.workspace)
                    || policy.filesystem.strictly_inside_writable(&path, &facts.workspace, &facts.home);
                if !inside {
                    return Hit::Yes;
                }
            }
            result
        }
    }
}

/// Non-option arguments (everything after `--` counts).
fn operands(command: &Command) -> impl Iterator<Item = &Arg> {
    let mut done = false;
    command.args.iter().filter(move |arg| {
        if done {
            return true;
        }
        if arg.value == "--" {
            done = true;
            return false;
        }
        !arg.value.starts_with('-') || arg.value == "-"
    })
}

fn resolve_operand(arg: &Arg, command: &Command, facts: &Facts<'_>) -> Option<String> {
    if arg.dynamic {
        return None;
    }
    if arg.value.starts_with('/') {
        return Some(aethelgard_shell::normalize(&arg.value, "/", &facts.home));
    }
    command.cwd.as_ref().map(|cwd| aethelgard_shell::normalize(&arg.value, cwd, &facts.home))
}

fn display(value: &str) -> String {
    value.replace(Arg::DYNAMIC, "…")
}
