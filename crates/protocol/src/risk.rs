use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a tool can do, as tagged in a catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskTag {
    Read,
    Write,
    Exec,
    Network,
    Credential,
    Spawn,
    Message,
    Payment,
    Destructive,
}

impl RiskTag {
    pub const ALL: [RiskTag; 9] = [
        Self::Read,
        Self::Write,
        Self::Exec,
        Self::Network,
        Self::Credential,
        Self::Spawn,
        Self::Message,
        Self::Payment,
        Self::Destructive,
    ];

    /// Tags that make a tool dangerous: never granted to a task type that does not list them.
    pub fn is_dangerous(self) -> bool {
        matches!(
            self,
            Self::Exec | Self::Spawn | Self::Credential | Self::Destructive | Self::Payment
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Exec => "exec",
            Self::Network => "network",
            Self::Credential => "credential",
            Self::Spawn => "spawn",
            Self::Message => "message",
            Self::Payment => "payment",
            Self::Destructive => "destructive",
        }
    }
}

impl fmt::Display for RiskTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RiskTag {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|tag| tag.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown risk tag `{s}`; expected one of read, write, exec, network, credential, spawn, message, payment, destructive"
                )
            })
    }
}
