//! Redaction of secrets from call arguments before they reach the store.
//!
//! A built-in set of patterns covers the secrets agents most often carry in tool arguments
//! (cloud keys, tokens, private keys, passwords in URLs and assignments); a policy adds its own.
//! Keys whose name says they hold a secret (`password`, `token`, ...) have their whole value
//! replaced. Redaction runs before hashing, so the secret never enters the log at all.

use crate::AuditError;
use regex::Regex;
use serde_json::Value;
use std::sync::OnceLock;

/// The built-in patterns: (name, regex, triggers). A pattern's regex is compiled only when a
/// string contains one of its triggers (case-insensitive), so a hook that records a harmless
/// call never pays for compiling them.
pub const BUILTIN_PATTERNS: &[(&str, &str, &[&str])] = &[
    ("aws-access-key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", &["akia", "asia"]),
    (
        "github-token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    ),
    ("openai-key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}", &["sk-"]),
    ("slack-token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}", &["xox"]),
    ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", &["-----begin"]),
    ("bearer", r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{16,}", &["bearer"]),
    ("url-password", r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]+):[^@\s/]+@", &["://"]),
    (
        "assignment",
        r#"(?i)\b([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY)[A-Z0-9_]*\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"']+)"#,
        &["password", "passwd", "secret", "token", "api_key", "apikey", "access_key", "accesskey"],
    ),
];

/// Object keys whose whole value is a secret.
const SECRET_KEYS: &[&str] = &["password", "passwd", "secret", "token", "api_key", "apikey", "access_token", "private_key", "client_secret"];

/// A named pattern to redact.
#[derive(Clone, Debug)]
pub struct Pattern {
    name: String,
    source: String,
    /// Compiled on first use for built-in patterns; `None` inside when it cannot compile (never
    /// for the tested built-ins).
    regex: OnceLock<Option<Regex>>,
    /// Lowercase literals one of which a matching string must contain; empty: always try.
    triggers: &'static [&'static str],
    builtin: bool,
}

impl Pattern {
    fn regex(&self) -> Option<&Regex> {
        self.regex.get_or_init(|| Regex::new(&self.source).ok()).as_ref()
    }
}

/// Replaces secrets in JSON values.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    patterns: Vec<Pattern>,
}

impl Redactor {
    /// The built-in patterns plus `extra` (name, regex) pairs from the policy.
    pub fn new(builtin: bool, extra: &[(String, String)]) -> Result<Self, AuditError> {
        let mut patterns = Vec::new();
        if builtin {
            for (name, source, triggers) in BUILTIN_PATTERNS {
                patterns.push(Pattern {
                    name: (*name).to_owned(),
                    source: (*source).to_owned(),
                    regex: OnceLock::new(),
                    triggers,
                    builtin: true,
                });
            }
        }
        for (name, source) in extra {
            // A policy's own patterns are compiled now, so a bad one fails the load, not a call.
            let regex = Regex::new(source).map_err(|e| AuditError::Redaction { name: name.clone(), message: e.to_string() })?;
            patterns.push(Pattern {
                name: name.clone(),
                source: source.clone(),
                regex: OnceLock::from(Some(regex)),
                triggers: &[],
                builtin: false,
            });
        }
        Ok(Self { patterns })
    }

    /// Redacts every string inside `value`, in place.
    pub fn redact(&self, value: &mut Value) {
        if self.patterns.is_empty() {
            return;
        }
        match value {
            Value::String(text) => {
                if let Some(redacted) = self.redact_text(text) {
                    *text = redacted;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact(item)),
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    let lower = key.to_ascii_lowercase();
                    if SECRET_KEYS.contains(&lower.as_str()) && item.is_string() {
                        *item = Value::String(format!("[REDACTED:{lower}]"));
                    } else {
                        self.redact(item);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// The text with every match replaced, or `None` when nothing matched.
    pub fn redact_text(&self, text: &str) -> Option<String> {
        let mut current: Option<String> = None;
        let lower = text.to_ascii_lowercase();
        for pattern in &self.patterns {
            if !pattern.triggers.is_empty() && !pattern.triggers.iter().any(|t| lower.contains(t)) {
                continue;
            }
            let Some(regex) = pattern.regex() else { continue };
            let source = current.as_deref().unwrap_or(text);
            if !regex.is_match(source) {
                continue;
            }
            let marker = format!("[REDACTED:{}]", pattern.name);
            // Keep a captured prefix (the `KEY=` of an assignment, the user of a URL) readable.
            let replaced = regex.replace_all(source, |caps: &regex::Captures<'_>| {
                let whole = caps.get(0).map_or("", |m| m.as_str());
                if whole.contains("[REDACTED:") {
                    // Already redacted by an earlier, more specific pattern: keep its name.
                    return whole.to_owned();
                }
                let prefix = caps.get(1).map_or("", |m| m.as_str());
                match pattern.name.as_str() {
                    "assignment" if pattern.builtin => format!("{prefix}{marker}"),
                    "url-password" if pattern.builtin => format!("{prefix}:{marker}@"),
                    _ => marker.clone(),
                }
            });
            current = Some(replaced.into_owned());
        }
        current
    }
}
