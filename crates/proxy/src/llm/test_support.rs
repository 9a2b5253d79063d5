//! What the API modules' unit tests share: the decision their stand-in routers answer with.

use aethelgard_protocol::{Decision, DecisionKind, Stage};

/// A rules-stage decision that blocks when `blocked`, else allows, with the reason "no".
pub fn block_when(blocked: bool) -> Decision {
    let kind = if blocked {
        DecisionKind::Block
    } else {
        DecisionKind::Allow
    };
    Decision {
        decision: kind,
        stage: Stage::Rules,
        score: 1.0,
        rule: None,
        reason: "no".into(),
        latency_us: 0,
    }
}
