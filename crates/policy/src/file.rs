//! The policy file as written (TOML), with load-time validation of everything that does not need
//! the router: unique ids, valid globs and regexes, known decisions, non-empty reasons.

use crate::error::PolicyError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A decision a rule can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Escalate,
    Block,
}

impl From<Decision> for aethelgard_protocol::DecisionKind {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Allow => Self::Allow,
            Decision::Escalate => Self::Escalate,
            Decision::Block => Self::Block,
        }
    }
}

/// What happens when the router itself fails (a bug, an exhausted resource): block unless the
/// policy explicitly chooses to fail open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    #[default]
    Closed,
    Open,
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[serde(default = "one")]
    pub version: u32,
    #[serde(default)]
    pub fail_mode: FailMode,
    /// Decision when no rule matches.
    #[serde(default = "allow")]
    pub default: Decision,
    /// Decision for a shell command the analyser could not fully resolve.
    #[serde(default = "escalate")]
    pub unresolved: Decision,
    #[serde(default)]
    pub catalog: CatalogSection,
    #[serde(default)]
    pub filesystem: FilesystemSection,
    #[serde(default)]
    pub examples: ExampleContext,
    #[serde(default)]
    pub audit: AuditSection,
    #[serde(default)]
    pub governor: GovernorSection,
    #[serde(default)]
    pub stage2: Stage2Section,
    /// Task profiles by name: which tools a task type may see (`[profiles.summarise]`).
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// Stage 2 of the router: a learned classifier for the calls rules leave to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage2Section {
    /// Which classifier judges: `none`, `linear` (built in), `embedding` or `llm`.
    #[serde(default)]
    pub backend: Stage2Backend,
    /// Judge the calls no rule decided (the policy `default` would apply otherwise).
    #[serde(default = "yes")]
    pub undecided: bool,
    /// Tool name globs whose calls stage 2 judges even when a rule allowed them (stage 1's blocks
    /// and escalations stand).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// The same for tools carrying any of these risk tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk: Vec<aethelgard_protocol::RiskTag>,
    /// `linear`: a model file from `aethelgard train router` (default: the one built in);
    /// relative to the policy file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Scores at or above `upper` block, from `lower` up escalate; default: the model's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// Backend-specific settings (`[stage2.llm]`, `[stage2.embedding]`), read by the backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<toml::Table>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<toml::Table>,
}

impl Default for Stage2Section {
    fn default() -> Self {
        Self {
            backend: Stage2Backend::default(),
            undecided: true,
            tools: Vec::new(),
            risk: Vec::new(),
            model: None,
            lower: None,
            upper: None,
            llm: None,
            embedding: None,
        }
    }
}

/// A stage 2 classifier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage2Backend {
    /// No stage 2: what rules leave undecided gets the policy's `default`.
    #[default]
    None,
    /// The built-in linear model over hashed and grounding features.
    Linear,
    /// Sentence embeddings (all-MiniLM-L6-v2 with candle) and a trained head.
    Embedding,
    /// An OpenAI-compatible chat endpoint.
    Llm,
}

/// How layer 1 classifies tasks and where learned grants come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernorSection {
    /// Below this confidence a request is classified `unknown` (the tightest profile).
    #[serde(default = "min_confidence")]
    pub min_confidence: f64,
    /// The task classifier: `builtin` (the default: the trained model that ships with
    /// Aethelgard), `rules` (the keyword rules, no model), or a model file from
    /// `aethelgard learn classifier`, relative to the policy file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier: Option<String>,
    /// A learned policy file (`aethelgard learn`), relative to the policy file: its grants replace
    /// the profiles' selections, still capped by each profile's `risk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<String>,
}

fn min_confidence() -> f64 {
    0.35
}

impl Default for GovernorSection {
    fn default() -> Self {
        Self { min_confidence: min_confidence(), classifier: None, learned: None }
    }
}

/// A task profile: the tools a task type may see.
///
/// A tool is granted when it is selected (by `tools` or `groups`), not excluded by `deny`, and
/// every risk tag it carries is listed in `risk`: `risk` is a ceiling, so a dangerous tool (exec,
/// spawn, credential, destructive, payment) is never granted to a profile that does not list the
/// tag. `extends` adds the fields of another profile (transitively) to this one's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub description: String,
    /// Another profile whose selections, denials and risk tags this one adds to its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Tool names or globs granted (`Read`, `memory_*`, `mcp__github__get_*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Catalog groups granted (`fs`, `web`, `memory`), as far as `risk` allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The risk tags a granted tool may carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk: Vec<aethelgard_protocol::RiskTag>,
    /// Tool names or globs never granted, whatever selects them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

/// How decisions are recorded in the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// Record decisions at all (`--no-audit` turns recording off for one command).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The store; default `$AETHELGARD_AUDIT_DB`, else `~/.local/share/aethelgard/audit.db`.
    #[serde(default)]
    pub store: Option<String>,
    /// Every level survives the process being killed. `fast`: no fsync (power loss can lose or
    /// corrupt recent entries); `normal`: fsync at checkpoints (power loss can lose the last
    /// entries); `full`: fsync every commit.
    #[serde(default)]
    pub sync: AuditSync,
    /// Redact the built-in secret patterns (cloud keys, tokens, private keys, passwords).
    #[serde(default = "yes")]
    pub redact_builtin: bool,
    /// More patterns to redact from arguments before they are stored.
    #[serde(default)]
    pub redact: Vec<RedactPattern>,
}

impl Default for AuditSection {
    fn default() -> Self {
        Self { enabled: true, store: None, sync: AuditSync::Normal, redact_builtin: true, redact: Vec::new() }
    }
}

fn yes() -> bool {
    true
}

/// Durability of an audit commit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditSync {
    Fast,
    #[default]
    Normal,
    Full,
}

/// A named regex whose matches are replaced by `[REDACTED:name]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactPattern {
    pub name: String,
    pub pattern: String,
}

fn one() -> u32 {
    1
}
fn allow() -> Decision {
    Decision::Allow
}
fn escalate() -> Decision {
    Decision::Escalate
}

/// Which tool catalogs the policy knows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSection {
    /// Built-in catalogs: `codex`, `claude`, `openclaw`, `mcp` (MCP servers' tools).
    #[serde(default)]
    pub builtin: Vec<String>,
    /// Catalog files (JSONL), relative to the policy file.
    #[serde(default)]
    pub files: Vec<String>,
    /// Tools declared inline.
    #[serde(default)]
    pub tools: Vec<crate::catalog::ToolEntry>,
}

/// Access a path grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilesystemAccess {
    Deny,
    Read,
    Write,
}

/// Path → access, where the most specific path wins. Paths are relative to the workspace unless
/// they start with `/` or `~`; `**/name` matches anywhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesystemSection {
    /// Access for paths no entry covers.
    #[serde(default = "read_access")]
    pub default: FilesystemAccess,
    /// Decision for a write whose target is only known at run time.
    #[serde(default = "escalate")]
    pub dynamic_write: Decision,
    #[serde(default)]
    pub paths: BTreeMap<String, FilesystemAccess>,
}

fn read_access() -> FilesystemAccess {
    FilesystemAccess::Read
}

impl Default for FilesystemSection {
    fn default() -> Self {
        Self { default: FilesystemAccess::Read, dynamic_write: Decision::Escalate, paths: BTreeMap::new() }
    }
}

/// The context examples are judged in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleContext {
    #[serde(default = "example_cwd")]
    pub cwd: String,
    #[serde(default = "example_home")]
    pub home: String,
    /// The tool a plain-string example is sent to, with the command in `/command`.
    #[serde(default = "example_tool")]
    pub shell_tool: String,
}

fn example_cwd() -> String {
    "/home/dev/project".to_owned()
}
fn example_home() -> String {
    "/home/dev".to_owned()
}
fn example_tool() -> String {
    "Bash".to_owned()
}

impl Default for ExampleContext {
    fn default() -> Self {
        Self { cwd: example_cwd(), home: example_home(), shell_tool: example_tool() }
    }
}

/// One rule: all its conditions must hold for it to match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub decision: Decision,
    pub reason: String,
    /// Risk score reported when this rule decides (0..=1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Tool name globs the rule applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool: Vec<String>,
    /// The tool must carry at least one of these risk tags (from the catalog).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk: Vec<aethelgard_protocol::RiskTag>,
    /// Argument matchers; all must match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<ArgMatcher>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<ShellCondition>,
    /// Host globs: the call contacts one of them (URL arguments, curl/nc/ssh hosts, /dev/tcp).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Path globs: the call reads or writes one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Restricts `paths` to reads or writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<PathAccess>,
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<Example>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_match: Vec<Example>,
}

/// Read or write, for path conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathAccess {
    Read,
    Write,
}

/// An argument condition: the JSON value at `pointer` matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgMatcher {
    /// RFC 6901 JSON pointer into the arguments, e.g. `/to` or `/recipients/0`.
    pub pointer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<String>,
}

/// Where the operands of a command point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Targets {
    /// At least one operand is the workspace root, an ancestor of it, or outside it.
    OutsideWorkspace,
    /// Any operand at all.
    Any,
}

/// A condition over the commands of a shell command line: some single command satisfies all of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShellCondition {
    /// Program names (the basename; `/bin/rm` is `rm`). Globs allowed (`python*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub program: Vec<String>,
    /// Leading arguments after the program, in order, each a word or a list of alternatives, in
    /// the spirit of Codex `prefix_rule`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<PrefixToken>,
    /// Any of these flags is present (`-r` matches `-rf`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Any argument matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// The arguments joined by spaces (followed by a newline and the command's literal standard
    /// input, when it has one: a here-string, a here-document, `echo ... |`) match this regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_regex: Option<String>,
    /// The whole command (program and arguments joined by spaces) matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// The command's input comes from one of these programs (pipeline, process substitution).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fed_by: Vec<String>,
    /// The command runs under one of these wrappers (`sudo`, `env`, `xargs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Targets>,
    /// The command runs a file that an earlier command of the same line downloaded
    /// (`curl -o i.sh URL && bash i.sh`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub executes_download: bool,
}

/// One token of a prefix: a word or alternatives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PrefixToken {
    One(String),
    AnyOf(Vec<String>),
}

impl PrefixToken {
    pub fn alternatives(&self) -> &[String] {
        match self {
            Self::One(word) => std::slice::from_ref(word),
            Self::AnyOf(words) => words,
        }
    }
}

/// A `match` / `not_match` example: a shell command (sent to the example shell tool) or a call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Example {
    Command(String),
    Call(ExampleCall),
}

/// A tool call example.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleCall {
    pub tool: String,
    #[serde(default)]
    pub args: serde_json::Value,
}

impl std::fmt::Display for Example {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Command(command) => write!(f, "`{command}`"),
            Self::Call(call) => write!(f, "{} {}", call.tool, call.args),
        }
    }
}

pub(crate) fn parse(text: &str, origin: &str) -> Result<PolicyFile, PolicyError> {
    let file = parse_unvalidated(text, origin)?;
    validate(&file, origin)?;
    Ok(file)
}

pub(crate) fn parse_unvalidated(text: &str, origin: &str) -> Result<PolicyFile, PolicyError> {
    toml::from_str(text).map_err(|e| {
        let mut message = e.to_string();
        if message.contains("unknown field `match`") || message.contains("unknown field `not_match`") {
            message.push_str(
                "hint: in TOML, keys after `[rules.shell]` belong to the shell table; put `match` and `not_match` above it",
            );
        }
        PolicyError::Syntax { origin: origin.to_owned(), message }
    })
}

fn validate(file: &PolicyFile, origin: &str) -> Result<(), PolicyError> {
    if file.version != 1 {
        return Err(PolicyError::Invalid {
            origin: origin.to_owned(),
            message: format!("unsupported `version = {}`; this build reads version 1", file.version),
        });
    }
    for redact in &file.audit.redact {
        if let Err(error) = regex_syntax::Parser::new().parse(&redact.pattern) {
            return Err(PolicyError::Invalid {
                origin: origin.to_owned(),
                message: format!("`[[audit.redact]]` pattern `{}` is not a valid regex: {error}", redact.name),
            });
        }
    }
    let mut ids = HashSet::new();
    for rule in &file.rules {
        let fail = |message: String| PolicyError::Rule { origin: origin.to_owned(), rule: rule.id.clone(), message };
        if rule.id.trim().is_empty() {
            return Err(PolicyError::Invalid { origin: origin.to_owned(), message: "a rule has an empty `id`".to_owned() });
        }
        if !ids.insert(rule.id.as_str()) {
            return Err(fail("the id is used by another rule; ids must be unique".to_owned()));
        }
        if rule.reason.trim().is_empty() {
            return Err(fail("`reason` is empty; say why the rule exists, it is shown to the agent and the user".to_owned()));
        }
        if let Some(score) = rule.score
            && !(0.0..=1.0).contains(&score) {
                return Err(fail(format!("`score = {score}` is outside 0..1")));
            }
        let has_condition = !rule.tool.is_empty()
            || !rule.risk.is_empty()
            || !rule.args.is_empty()
            || rule.shell.is_some()
            || !rule.hosts.is_empty()
            || !rule.paths.is_empty();
        if !has_condition {
            return Err(fail("the rule has no condition and would match every call; add `tool`, `risk`, `shell`, `args`, `hosts` or `paths`".to_owned()));
        }
        for glob in rule.tool.iter().chain(&rule.hosts).chain(&rule.paths) {
            check_glob(glob).map_err(fail)?;
        }
        for matcher in &rule.args {
            if !matcher.pointer.is_empty() && !matcher.pointer.starts_with('/') {
                return Err(fail(format!("argument pointer `{}` must start with `/` (RFC 6901)", matcher.pointer)));
            }
            let kinds = usize::from(matcher.glob.is_some()) + usize::from(matcher.regex.is_some()) + usize::from(!matcher.one_of.is_empty());
            if kinds != 1 {
                return Err(fail(format!("argument `{}` needs exactly one of `glob`, `regex`, `one_of`", matcher.pointer)));
            }
            if let Some(glob) = &matcher.glob {
                check_glob(glob).map_err(fail)?;
            }
            if let Some(regex) = &matcher.regex {
                check_regex(regex).map_err(fail)?;
            }
        }
        if let Some(shell) = &rule.shell {
            if shell.program.is_empty() && shell.command.is_empty() && shell.fed_by.is_empty() && shell.via.is_empty() && !shell.executes_download {
                return Err(fail("`[rules.shell]` needs `program`, `command`, `fed_by`, `via` or `executes_download`".to_owned()));
            }
            for glob in shell.program.iter().chain(&shell.args).chain(&shell.command).chain(&shell.fed_by).chain(&shell.via) {
                check_glob(glob).map_err(fail)?;
            }
            if let Some(regex) = &shell.args_regex {
                check_regex(regex).map_err(fail)?;
            }
            for flag in &shell.flags {
                if !flag.starts_with('-') {
                    return Err(fail(format!("flag `{flag}` must start with `-`; use `args` for other words")));
                }
            }
        }
    }
    validate_governor(file, origin)?;
    validate_stage2(&file.stage2, origin)?;
    for tool in &file.catalog.tools {
        tool.check_pointers().map_err(|message| PolicyError::Invalid {
            origin: origin.to_owned(),
            message: format!("[[catalog.tools]]: {message}"),
        })?;
    }
    for path in file.filesystem.paths.keys() {
        check_glob(path).map_err(|message| PolicyError::Invalid { origin: origin.to_owned(), message: format!("filesystem path {message}") })?;
    }
    Ok(())
}

fn validate_stage2(stage2: &Stage2Section, origin: &str) -> Result<(), PolicyError> {
    let invalid = |message: String| PolicyError::Invalid { origin: origin.to_owned(), message };
    for (name, value) in [("lower", stage2.lower), ("upper", stage2.upper)] {
        if let Some(value) = value
            && !(0.0..=1.0).contains(&value) {
                return Err(invalid(format!("`[stage2] {name} = {value}` is outside 0..1")));
            }
    }
    if let (Some(lower), Some(upper)) = (stage2.lower, stage2.upper)
        && lower > upper {
            return Err(invalid(format!("`[stage2] lower = {lower}` is above `upper = {upper}`; scores from lower escalate, from upper block")));
        }
    for glob in &stage2.tools {
        check_glob(glob).map_err(|message| invalid(format!("[stage2] tools: {message}")))?;
    }
    let needs = |table: &Option<toml::Table>, name: &str, backend: Stage2Backend| {
        if stage2.backend == backend && table.is_none() {
            Err(invalid(format!("`[stage2] backend = \"{name}\"` needs a `[stage2.{name}]` table; see docs/stage2-backends.md")))
        } else {
            Ok(())
        }
    };
    needs(&stage2.llm, "llm", Stage2Backend::Llm)?;
    needs(&stage2.embedding, "embedding", Stage2Backend::Embedding)?;
    Ok(())
}

fn validate_governor(file: &PolicyFile, origin: &str) -> Result<(), PolicyError> {
    let invalid = |message: String| PolicyError::Invalid { origin: origin.to_owned(), message };
    let confidence = file.governor.min_confidence;
    if !(0.0..=1.0).contains(&confidence) {
        return Err(invalid(format!("`[governor] min_confidence = {confidence}` is outside 0..1")));
    }
    for (name, profile) in &file.profiles {
        if name.trim().is_empty() {
            return Err(invalid("a profile has an empty name".to_owned()));
        }
        for glob in profile.tools.iter().chain(&profile.deny) {
            check_glob(glob).map_err(|message| invalid(format!("[profiles.{name}]: tool {message}")))?;
        }
        // Follow `extends` to the root: every link exists and none loops back.
        let mut seen = vec![name.as_str()];
        let mut current = profile;
        while let Some(parent) = &current.extends {
            let Some(next) = file.profiles.get(parent) else {
                let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
                return Err(invalid(format!(
                    "[profiles.{}] extends `{parent}`, which is not a profile; profiles: {}",
                    seen.last().copied().unwrap_or(name),
                    known.join(", ")
                )));
            };
            if seen.contains(&parent.as_str()) {
                seen.push(parent);
                return Err(invalid(format!("profiles extend each other in a loop: {}", seen.join(" -> "))));
            }
            seen.push(parent);
            current = next;
        }
    }
    Ok(())
}

fn check_glob(glob: &str) -> Result<(), String> {
    globset::Glob::new(glob).map(|_| ()).map_err(|e| format!("glob `{glob}` is invalid: {e}"))
}

/// Checks the syntax only: compiling a regex costs about 100 µs and the router compiles each one
/// anyway (eagerly when it checks the examples, lazily on the hook's path).
fn check_regex(regex: &str) -> Result<(), String> {
    regex_syntax::Parser::new().parse(regex).map(|_| ()).map_err(|e| format!("regex `{regex}` is invalid: {e}"))
}
