use super::unrecorded;
use aethelgard_policy::FailMode;
use aethelgard_protocol::{Decision, DecisionKind, Stage};

fn decided(kind: DecisionKind) -> Decision {
    Decision {
        decision: kind,
        stage: Stage::Rules,
        score: 0.5,
        rule: Some("some-rule".to_owned()),
        reason: "judged".to_owned(),
        latency_us: 42,
    }
}

#[test]
fn fail_closed_blocks_every_unrecorded_call_that_would_run_or_be_asked() {
    for kind in [DecisionKind::Allow, DecisionKind::Escalate] {
        let acted = unrecorded(FailMode::Closed, decided(kind), "disk full");
        assert_eq!(acted.decision, DecisionKind::Block, "{kind:?}");
        assert_eq!(acted.rule.as_deref(), Some("audit.unavailable"));
        assert!(acted.reason.contains("disk full"), "{}", acted.reason);
        assert_eq!(acted.latency_us, 42);
    }
}

#[test]
fn a_block_stays_the_block_it_was() {
    for mode in [FailMode::Closed, FailMode::Open] {
        let acted = unrecorded(mode, decided(DecisionKind::Block), "disk full");
        assert_eq!(acted, decided(DecisionKind::Block));
    }
}

#[test]
fn fail_open_lets_the_decision_stand() {
    for kind in [DecisionKind::Allow, DecisionKind::Escalate] {
        assert_eq!(
            unrecorded(FailMode::Open, decided(kind), "disk full"),
            decided(kind)
        );
    }
}
