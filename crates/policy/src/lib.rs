#![doc = include_str!("../README.md")]

mod catalog;
mod error;
mod file;
pub mod import;

pub use catalog::{mcp_bare_name, ArgAccess, Bridge, Catalog, ToolEntry, BUILTIN_CATALOGS, MCP_GROUP_PREFIX};
pub use error::PolicyError;
pub use file::{
    ArgMatcher, AuditSection, AuditSync, CatalogSection, Decision, Example, ExampleCall, ExampleContext, FailMode, FilesystemAccess, FilesystemSection, GovernorSection, PathAccess, PrefixToken, Profile, Stage2Backend, Stage2Section,
    PolicyFile, RedactPattern, Rule, ShellCondition, Targets,
};

/// Backend tables of `[stage2]` (`[stage2.llm]`, `[stage2.embedding]`) are kept as TOML for the
/// backend to read.
pub use toml::{Table as TomlTable, Value as TomlValue};

/// The built-in default policy (`data/policy/default.toml`).
pub const DEFAULT_POLICY: &str = include_str!("../../../data/policy/default.toml");

/// Parses and validates a policy file's text. Relative catalog files resolve against `base_dir`.
pub fn parse(text: &str, origin: &str, base_dir: Option<&std::path::Path>) -> Result<(PolicyFile, Catalog), PolicyError> {
    let file = file::parse(text, origin)?;
    let catalog = Catalog::for_policy(&file, base_dir)?;
    Ok((file, catalog))
}

/// Parses a policy text that already passed validation and its examples (the built-in policy,
/// or a file whose exact text the caller has checked before): the validation, which costs more
/// than the parse itself, is skipped. Syntax and catalog errors are still reported.
pub fn parse_trusted(text: &str, origin: &str, base_dir: Option<&std::path::Path>) -> Result<(PolicyFile, Catalog), PolicyError> {
    let file = file::parse_unvalidated(text, origin)?;
    let catalog = Catalog::for_policy(&file, base_dir)?;
    Ok((file, catalog))
}

/// The built-in default policy, parsed and validated.
pub fn default_policy() -> Result<(PolicyFile, Catalog), PolicyError> {
    parse(DEFAULT_POLICY, "built-in default policy", None)
}

/// The built-in default policy without validation: the test suite validates it and checks its
/// examples, so a binary that passed its tests carries a valid one.
pub fn default_policy_trusted() -> Result<(PolicyFile, Catalog), PolicyError> {
    parse_trusted(DEFAULT_POLICY, "built-in default policy", None)
}

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
