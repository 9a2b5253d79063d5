//! Which tool names a PreToolUse matcher reaches, the way each runtime reads it
//! (integrations.md 1.3 for Codex, 5 for Claude Code).

use regex::Regex;

/// What a matcher string does with a tool name.
pub enum Matcher {
    All,
    Names(Vec<String>),
    Pattern(Regex),
    /// A regex that does not compile: the runtime cannot match anything with it.
    Invalid(String),
}

impl Matcher {
    /// Codex: omitted, empty or `*` match all; a plain name matches exactly; anything else is a
    /// Rust regex, unanchored.
    pub fn codex(matcher: Option<&str>) -> Self {
        match matcher.map(str::trim) {
            None | Some("" | "*") => Self::All,
            Some(m) if m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => Self::Names(vec![m.to_owned()]),
            Some(m) => regex(m),
        }
    }

    /// Claude Code: omitted, empty or `*` match all; names, letters, digits, `_`, `-`, spaces
    /// and `|` only, are exact names or a `|`-list; anything else is an unanchored regex.
    pub fn claude(matcher: Option<&str>) -> Self {
        match matcher.map(str::trim) {
            None | Some("" | "*") => Self::All,
            Some(m) if m.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | '|' | ',')) => {
                Self::Names(m.split(['|', ',']).map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect())
            }
            Some(m) => regex(m),
        }
    }

    pub fn matches(&self, tool: &str) -> bool {
        match self {
            Self::All => true,
            Self::Names(names) => names.iter().any(|n| n == tool),
            Self::Pattern(re) => re.is_match(tool),
            Self::Invalid(_) => false,
        }
    }
}

fn regex(pattern: &str) -> Matcher {
    match Regex::new(pattern) {
        Ok(re) => Matcher::Pattern(re),
        Err(e) => Matcher::Invalid(e.to_string().lines().last().unwrap_or("").trim().to_owned()),
    }
}

/// The tools in `wanted` that none of `matchers` reaches.
pub fn missed<'a>(matchers: &[Matcher], wanted: &[&'a str]) -> Vec<&'a str> {
    wanted.iter().copied().filter(|tool| !matchers.iter().any(|m| m.matches(tool))).collect()
}
