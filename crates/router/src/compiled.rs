//! A policy compiled for matching: globs built into sets, regexes compiled, shell rules indexed by
//! program name so a call only meets the rules that can apply to it.

use crate::error::RouterError;
use crate::filesystem::{self, Anchor, Filesystem};
use aethelgard_policy::{Catalog, PathAccess, PolicyFile, Rule, Targets};
use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use regex::Regex;
use std::collections::HashMap;

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

pub(crate) struct CompiledRule {
    pub rule: Rule,
    pub tool: Option<GlobSet>,
    pub args: Vec<CompiledArg>,
    pub shell: Option<CompiledShell>,
    pub hosts: Option<GlobSet>,
    pub paths: Vec<(Anchor, GlobMatcher)>,
    pub access: Option<PathAccess>,
}

pub(crate) struct CompiledPolicy {
    pub origin: String,
    pub file: PolicyFile,
    pub catalog: Catalog,
    pub rules: Vec<CompiledRule>,
    pub filesystem: Filesystem,
    /// Shell rules by exact program name.
    pub by_program: HashMap<String, Vec<usize>>,
    /// Shell rules whose program list has globs, or that name no program.
    pub shell_scan: Vec<usize>,
    /// Rules without a shell condition: tried on every call.
    pub call_rules: Vec<usize>,
}

fn loose_glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    // In argument and program globs `*` may cross `/` (`/usr/*` covers `/usr/local/bin/x`).
    GlobBuilder::new(pattern).literal_separator(false).build()
}

fn set(patterns: &[String], literal_separator: bool) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = if literal_separator { filesystem::glob(pattern) } else { loose_glob(pattern) };
        builder.add(glob.map_err(|e| format!("glob `{pattern}`: {e}"))?);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

impl CompiledPolicy {
    pub(crate) fn compile(file: PolicyFile, catalog: Catalog, origin: &str) -> Result<Self, RouterError> {
        let filesystem = Filesystem::compile(&file.filesystem)
            .map_err(|message| RouterError::Compile { origin: origin.to_owned(), rule: "[filesystem]".to_owned(), message })?;
        let mut rules = Vec::with_capacity(file.rules.len());
        let mut by_program: HashMap<String, Vec<usize>> = HashMap::new();
        let mut shell_scan = Vec::new();
        let mut call_rules = Vec::new();
        for (index, rule) in file.rules.iter().enumerate() {
            let fail = |message: String| RouterError::Compile { origin: origin.to_owned(), rule: rule.id.clone(), message };
            let shell = match &rule.shell {
                None => None,
                Some(shell) => Some(CompiledShell {
                    program: set(&shell.program, false).map_err(fail)?,
                    prefix: shell.prefix.iter().map(|t| t.alternatives().to_vec()).collect(),
                    flags: shell.flags.clone(),
                    args: set(&shell.args, false).map_err(fail)?,
                    args_regex: shell.args_regex.as_deref().map(Regex::new).transpose().map_err(|e| fail(e.to_string()))?,
                    command: set(&shell.command, false).map_err(fail)?,
                    fed_by: set(&shell.fed_by, false).map_err(fail)?,
                    via: set(&shell.via, false).map_err(fail)?,
                    targets: shell.targets,
                    executes_download: shell.executes_download,
                }),
            };
            match &rule.shell {
                Some(condition) if !condition.program.is_empty() && !condition.program.iter().any(|p| is_glob(p)) => {
                    for program in &condition.program {
                        by_program.entry(program.clone()).or_default().push(index);
                    }
                }
                Some(_) => shell_scan.push(index),
                None => call_rules.push(index),
            }
            let mut args = Vec::new();
            for matcher in &rule.args {
                let test = if let Some(glob) = &matcher.glob {
                    ArgTest::Glob(loose_glob(glob).map_err(|e| fail(e.to_string()))?.compile_matcher())
                } else if let Some(regex) = &matcher.regex {
                    ArgTest::Regex(Regex::new(regex).map_err(|e| fail(e.to_string()))?)
                } else {
                    ArgTest::OneOf(matcher.one_of.clone())
                };
                args.push(CompiledArg { pointer: matcher.pointer.clone(), matcher: test });
            }
            let mut paths = Vec::new();
            for pattern in &rule.paths {
                let (anchor, rest) = filesystem::anchor(pattern);
                let glob = filesystem::glob(if rest.is_empty() { "" } else { rest }).map_err(|e| fail(e.to_string()))?;
                paths.push((anchor, glob.compile_matcher()));
            }
            rules.push(CompiledRule {
                rule: rule.clone(),
                tool: set(&rule.tool, false).map_err(fail)?,
                args,
                shell,
                hosts: set(&rule.hosts, false).map_err(fail)?,
                paths,
                access: rule.access,
            });
        }
        Ok(Self { origin: origin.to_owned(), file, catalog, rules, filesystem, by_program, shell_scan, call_rules })
    }
}
