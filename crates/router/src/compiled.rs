//! A policy compiled for matching: shell rules indexed by program name so a call only meets the
//! rules that can apply to it, and each rule's globs and regexes compiled on first use.
//!
//! Compiling every regex of the default policy costs about 2 ms, more than judging thousands of
//! calls; a hook process judges one call. So a rule's matchers are built the first time a call
//! reaches the rule. When the router checks the policy's examples it builds every rule's matchers
//! up front, so a policy whose examples passed cannot fail to compile later.

use crate::error::RouterError;
use crate::filesystem::{self, Anchor, Filesystem};
use aethelgard_policy::{Catalog, PathAccess, PolicyFile, Rule, Targets};
use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

pub(crate) struct CompiledArg {
    pub pointer: String,
    pub matcher: ArgTest,
}

pub(crate) enum ArgTest {
    Glob(GlobMatcher),
    Regex(Regex),
    OneOf(Vec<String>),
}

#[derive(Default)]
pub(crate) struct CompiledShell {
    pub program: Option<GlobSet>,
    pub prefix: Vec<Vec<String>>,
    pub flags: Vec<String>,
    pub args: Option<GlobSet>,
    pub args_regex: Option<Regex>,
    pub command: Option<GlobSet>,
    pub fed_by: Option<GlobSet>,
    pub via: Option<GlobSet>,
    pub targets: Option<Targets>,
    pub executes_download: bool,
}

/// A rule's compiled conditions.
pub(crate) struct Matchers {
    pub tool: Option<GlobSet>,
    pub args: Vec<CompiledArg>,
    pub shell: Option<CompiledShell>,
    pub hosts: Option<GlobSet>,
    pub paths: Vec<(Anchor, GlobMatcher)>,
    pub access: Option<PathAccess>,
}

pub(crate) struct CompiledRule {
    pub rule: Rule,
    matchers: OnceLock<Result<Matchers, String>>,
}

impl CompiledRule {
    /// The rule's matchers, built on first use.
    pub(crate) fn matchers(&self) -> Result<&Matchers, String> {
        self.matchers
            .get_or_init(|| Matchers::build(&self.rule))
            .as_ref()
            .map_err(|e| format!("rule `{}` cannot be compiled: {e}", self.rule.id))
    }
}

pub(crate) struct CompiledPolicy {
    pub origin: String,
    pub file: PolicyFile,
    pub catalog: Catalog,
    pub rules: Vec<CompiledRule>,
    pub filesystem: Filesystem,
    /// Shell rules by exact program name.
    pub by_program: HashMap<String, Vec<usize>>,
    /// Program globs of shell rules (`python*`), with their rule: the few patterns matched per call.
    pub program_globs: Vec<(String, usize)>,
    /// Shell rules that name no program (`fed_by`, `via` or `executes_download` only).
    pub shell_scan: Vec<usize>,
    /// Rules without a shell condition: tried on every call.
    pub call_rules: Vec<usize>,
}

fn loose_glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    // In argument and program globs `*` may cross `/` (`/usr/*` covers `/usr/local/bin/x`).
    GlobBuilder::new(pattern).literal_separator(false).build()
}

fn set(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(loose_glob(pattern).map_err(|e| format!("glob `{pattern}`: {e}"))?);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

/// Whether a glob may match `text`, without compiling it: exact for patterns of literals, `*` and
/// `?`; `true` (cannot tell) for anything richer. Used to skip rules that cannot apply before
/// paying for their compiled matchers.
pub(crate) fn may_match(pattern: &str, text: &str) -> bool {
    // `?` stands for one character; compared byte-wise it could miss a multi-byte one.
    if pattern.contains(['[', '{', '\\']) || (pattern.contains('?') && !text.is_ascii()) {
        return true;
    }
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                backtrack = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == b'?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    pi = star + 1;
                    ti = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

impl Matchers {
    fn build(rule: &Rule) -> Result<Self, String> {
        let shell = match &rule.shell {
            None => None,
            Some(shell) => Some(CompiledShell {
                program: set(&shell.program)?,
                prefix: shell.prefix.iter().map(|t| t.alternatives().to_vec()).collect(),
                flags: shell.flags.clone(),
                args: set(&shell.args)?,
                args_regex: shell.args_regex.as_deref().map(Regex::new).transpose().map_err(|e| e.to_string())?,
                command: set(&shell.command)?,
                fed_by: set(&shell.fed_by)?,
                via: set(&shell.via)?,
                targets: shell.targets,
                executes_download: shell.executes_download,
            }),
        };
        let mut args = Vec::new();
        for matcher in &rule.args {
            let test = if let Some(glob) = &matcher.glob {
                ArgTest::Glob(loose_glob(glob).map_err(|e| e.to_string())?.compile_matcher())
            } else if let Some(regex) = &matcher.regex {
                ArgTest::Regex(Regex::new(regex).map_err(|e| e.to_string())?)
            } else {
                ArgTest::OneOf(matcher.one_of.clone())
            };
            args.push(CompiledArg { pointer: matcher.pointer.clone(), matcher: test });
        }
        let mut paths = Vec::new();
        for pattern in &rule.paths {
            let (anchor, rest) = filesystem::anchor(pattern);
            let glob = filesystem::glob(rest).map_err(|e| e.to_string())?;
            paths.push((anchor, glob.compile_matcher()));
        }
        Ok(Self { tool: set(&rule.tool)?, args, shell, hosts: set(&rule.hosts)?, paths, access: rule.access })
    }
}

impl CompiledPolicy {
    pub(crate) fn compile(file: PolicyFile, catalog: Catalog, origin: &str) -> Result<Self, RouterError> {
        let filesystem = Filesystem::compile(&file.filesystem)
            .map_err(|message| RouterError::Compile { origin: origin.to_owned(), rule: "[filesystem]".to_owned(), message })?;
        let mut rules = Vec::with_capacity(file.rules.len());
        let mut by_program: HashMap<String, Vec<usize>> = HashMap::new();
        let mut program_globs = Vec::new();
        let mut shell_scan = Vec::new();
        let mut call_rules = Vec::new();
        for (index, rule) in file.rules.iter().enumerate() {
            match &rule.shell {
                Some(condition) if !condition.program.is_empty() => {
                    for program in &condition.program {
                        if is_glob(program) {
                            program_globs.push((program.clone(), index));
                        } else {
                            by_program.entry(program.clone()).or_default().push(index);
                        }
                    }
                }
                Some(_) => shell_scan.push(index),
                None => call_rules.push(index),
            }
            rules.push(CompiledRule { rule: rule.clone(), matchers: OnceLock::new() });
        }
        Ok(Self { origin: origin.to_owned(), file, catalog, rules, filesystem, by_program, program_globs, shell_scan, call_rules })
    }

    /// Builds every rule's matchers now, so compile errors surface at load.
    pub(crate) fn compile_all(&self) -> Result<(), RouterError> {
        for rule in &self.rules {
            rule.matchers().map_err(|message| RouterError::Compile {
                origin: self.origin.clone(),
                rule: rule.rule.id.clone(),
                message,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::may_match;

    #[test]
    fn wildcard_prefilter_agrees_with_globs() {
        for (pattern, text, expected) in [
            ("python*", "python3.11", true),
            ("python*", "ipython", false),
            ("mkfs.*", "mkfs.ext4", true),
            ("mkfs.*", "mkfs", false),
            ("mcp__*__delete*", "mcp__tiny__delete_path", true),
            ("mcp__*__delete*", "mcp__github__get_issue", false),
            ("a?c", "abc", true),
            ("*", "", true),
            ("x[yz]", "anything", true),
        ] {
            assert_eq!(may_match(pattern, text), expected, "{pattern} vs {text}");
        }
    }
}
