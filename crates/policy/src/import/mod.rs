//! Importers that turn a team's existing rules into Aethelgard rules, so they carry over:
//! Codex execpolicy `.rules` files (`prefix_rule(...)`, `network_rule(...)`) and Claude Code
//! permission strings (`Bash(npm run test:*)`, `Read(./.env)`, `WebFetch(domain:x.com)`).

mod claude;
mod codex_rules;
mod starlark;

pub use claude::{claude_permissions, claude_rule};
pub use codex_rules::codex_rules;

use crate::file::Rule;

/// Renders imported rules as policy TOML (`[[rules]]` tables), ready to paste or include.
pub fn to_toml(rules: &[Rule]) -> Result<String, toml::ser::Error> {
    #[derive(serde::Serialize)]
    struct Rules<'a> {
        rules: &'a [Rule],
    }
    toml::to_string(&Rules { rules })
}

/// A rule id fragment from free text: lowercase words joined by `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('-').to_owned()
}
