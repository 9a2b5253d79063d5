//! What the linter reports: a finding, where it is, how bad it is, and the rule behind it.

use serde::Serialize;
use std::fmt;

/// How bad a finding is. Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; rarely wrong on its own.
    Note,
    /// Weakens enforcement; fix unless you know why it is there.
    Warning,
    /// Lets an agent act with no effective guard; fix before running agents.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    /// Parses `error`, `warning` or `note`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "note" => Some(Self::Note),
            "warning" => Some(Self::Warning),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding is: the file as given, and a 1-based line and column (characters).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// One problem in one configuration file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable id, e.g. `codex/full-access-no-approval`.
    pub id: &'static str,
    pub severity: Severity,
    #[serde(flatten)]
    pub location: Location,
    /// What is wrong here, naming the offending key or entry.
    pub message: String,
    /// Why it matters (the rule's text).
    pub why: &'static str,
    /// How to fix it (the rule's text).
    pub fix: &'static str,
    /// For findings about something missing: the fact another file of the same runtime in the
    /// same folder can supply (settings merge across layers), so a folder lint drops the finding.
    #[serde(skip)]
    pub missing: Option<String>,
}

/// A check: its id, default severity and the texts every finding of it carries.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// Which configuration it reads: `codex`, `codex-rules`, `claude` or `openclaw`.
    pub runtime: &'static str,
    /// One line: what the check finds.
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

impl Rule {
    /// A finding of this rule at `location`.
    pub fn at(&self, location: Location, message: impl Into<String>) -> Finding {
        Finding {
            id: self.id,
            severity: self.severity,
            location,
            message: message.into(),
            why: self.why,
            fix: self.fix,
            missing: None,
        }
    }

    /// A finding about something missing that another settings layer could supply.
    pub fn missing(&self, location: Location, message: impl Into<String>, fact: impl Into<String>) -> Finding {
        Finding { missing: Some(fact.into()), ..self.at(location, message) }
    }
}
