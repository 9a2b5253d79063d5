use serde::{Deserialize, Serialize};
use std::fmt;

/// What the router decided about one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    Allow,
    /// Neither allowed nor blocked outright: a human decides (or the runtime's nearest
    /// equivalent; runtimes that cannot ask get a deny with the reason).
    Escalate,
    Block,
}

impl DecisionKind {
    /// The stricter of two decisions: block beats escalate beats allow.
    #[must_use]
    pub fn strictest(self, other: Self) -> Self {
        self.max(other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Escalate => "escalate",
            Self::Block => "block",
        }
    }
}

impl fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which stage of the router produced the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Stage {
    /// Rules over the compiled policy.
    Rules,
    /// The learned classifier.
    Classifier,
}

impl From<Stage> for u8 {
    fn from(stage: Stage) -> u8 {
        match stage {
            Stage::Rules => 1,
            Stage::Classifier => 2,
        }
    }
}

impl TryFrom<u8> for Stage {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            1 => Ok(Self::Rules),
            2 => Ok(Self::Classifier),
            other => Err(format!("stage must be 1 or 2, got {other}")),
        }
    }
}

/// One output line of `aethelgard route`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub decision: DecisionKind,
    pub stage: Stage,
    /// Risk in 0..=1; higher is riskier.
    pub score: f64,
    /// The id of the rule that decided, or null when no rule did.
    pub rule: Option<String>,
    /// Human-readable: shown to the model and the user.
    pub reason: String,
    pub latency_us: u64,
}

impl Decision {
    pub fn is_allow(&self) -> bool {
        self.decision == DecisionKind::Allow
    }

    /// A block that no rule of the policy made: the caller could not decide (malformed input, a
    /// policy or gate that is not there, an action that cannot be recorded). Stage 1, certain.
    pub fn refused(rule: &str, reason: String) -> Self {
        Self {
            decision: DecisionKind::Block,
            stage: Stage::Rules,
            score: 1.0,
            rule: Some(rule.to_owned()),
            reason,
            latency_us: 0,
        }
    }
}
