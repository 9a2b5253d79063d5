//! SARIF 2.1.0 output (the OASIS standard GitHub code scanning reads): every rule in
//! `tool.driver.rules`, one result per finding, and files that did not parse as error
//! notifications of the run.

use super::catalog::RULES;
use super::{Finding, ParseFailure};
use serde_json::{Value, json};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/aethelgard-governance/aethelgard/blob/main/docs/lint.md";

/// The SARIF log of one lint run.
pub fn to_sarif(findings: &[Finding], failures: &[ParseFailure]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.title,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.why},
                "help": {"text": rule.fix, "markdown": format!("**Why:** {}\n\n**Fix:** {}", rule.why, rule.fix)},
                "helpUri": format!("{INFORMATION_URI}#{}", anchor(rule.id)),
                "defaultConfiguration": {"level": rule.severity.as_str()},
                "properties": {"tags": ["security", rule.runtime]},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = RULES.iter().position(|r| r.id == f.id);
            let mut result = json!({
                "ruleId": f.id,
                "level": f.severity.as_str(),
                "message": {"text": format!("{}. Fix: {}", f.message.trim_end_matches('.'), f.fix)},
                "locations": [location(&f.location.file, f.location.line, f.location.column)],
            });
            if let (Some(index), Some(object)) = (index, result.as_object_mut()) {
                object.insert("ruleIndex".to_owned(), json!(index));
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = failures
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": format!("cannot parse {}: {}", e.kind, e.message)},
                "locations": [location(&e.file, e.line, e.column)],
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "aethelgard lint",
                "informationUri": INFORMATION_URI,
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": failures.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

fn location(file: &str, line: usize, column: usize) -> Value {
    json!({"physicalLocation": {
        "artifactLocation": {"uri": uri(file)},
        "region": {"startLine": line.max(1), "startColumn": column.max(1)},
    }})
}

/// The docs' heading anchor for a rule id (`codex/full-access-no-approval` → `codexfull-access-no-approval`).
fn anchor(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

/// A relative path stays relative (code scanning resolves it against the repository); an
/// absolute one becomes a `file://` URI. Characters a URI cannot hold are percent-encoded.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
