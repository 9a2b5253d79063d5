//! Every expected number here is worked out by hand in the comment beside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use aethelgard_protocol::{DecisionKind, SessionCall, SessionRecord};
use serde_json::json;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn call(tool: &str, decision: Option<DecisionKind>) -> SessionCall {
    SessionCall { decision, ..SessionCall::new(tool, json!({})) }
}

fn allowed(tool: &str) -> SessionCall {
    call(tool, Some(DecisionKind::Allow))
}

fn session(id: &str, tools: &[&str], granted: Option<&[&str]>, calls: Vec<SessionCall>) -> SessionRecord {
    SessionRecord {
        session: id.into(),
        task: "t".into(),
        task_type: Some("summarise".into()),
        tools: names(tools),
        granted: granted.map(names),
        calls,
        ..SessionRecord::default()
    }
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("defined");
    assert!((actual - expected).abs() < 1e-12, "{actual} != {expected}");
}

const FIFTEEN: [&str; 15] = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"];

#[test]
fn the_papers_summarisation_example() {
    // A = 15 tools, G = {a, b, c, d}, U = {a, b} (a twice), success recorded true.
    // SER = |U∩G|/|G| = 2/4 = 0.5; overprovision = |G|/|U| = 4/2 = 2;
    // reduction = 1 − 4/15 = 11/15 = 0.7333…;
    // N inferred from success = U = {a, b}; N\G = ∅ → denial 0/2 = 0;
    // |G\N|/|G| = |{c, d}|/4 = 0.5.
    let record = SessionRecord {
        success: Some(true),
        ..session("s", &FIFTEEN, Some(&["a", "b", "c", "d"]), vec![allowed("a"), allowed("a"), allowed("b")])
    };
    let m = session_metrics(&record);
    assert_eq!((m.available, m.granted, m.used, m.used_and_granted), (15, 4, 2, 2));
    close(m.ser, 0.5);
    assert!((m.overprovision - 2.0).abs() < 1e-12);
    close(m.attack_surface_reduction, 11.0 / 15.0);
    assert_eq!(m.needed_source, NeededSource::InferredFromSuccess);
    close(m.denial_rate, 0.0);
    close(m.excess_exposure, 0.5);
    assert_eq!(m.success(), Some(true));
    assert_eq!(m.computed_success, None, "not computed from an N that success itself inferred");
    assert_eq!(m.calls, CallCounts { calls: 3, allowed: 3, blocked: 0, escalated: 0, model_refused: None, stage2: 0 });
}

#[test]
fn no_calls() {
    // A = G = {a, b} (nothing scoped), U = ∅, success unknown, no ground truth.
    // SER = 0/2 = 0; overprovision = 2/max(1, 0) = 2; reduction = 1 − 2/2 = 0;
    // N unknown → denial n/a, success unknown; block rate = 0 calls → n/a.
    let m = session_metrics(&session("s", &["a", "b"], None, vec![]));
    close(m.ser, 0.0);
    assert!((m.overprovision - 2.0).abs() < 1e-12);
    close(m.attack_surface_reduction, 0.0);
    assert_eq!(m.denial_rate, None);
    assert_eq!(m.success(), None);
    assert_eq!(m.calls.block_rate(), None);
    assert_eq!(m.calls.escalation_rate(), None);
}

#[test]
fn nothing_granted() {
    // A = {a, b, c}, G = ∅, U = {a} (blocked: not granted), needed = {a}.
    // SER = 0/0 → n/a (not 0, not 1: granting nothing must not score);
    // overprovision = 0/1 = 0; reduction = 1 − 0/3 = 1;
    // denial = |{a}\∅|/|{a}| = 1/1 = 1; computed success = {a} ⊆ ∅? no → false.
    // block rate = 1/1.
    let mut blocked = call("a", Some(DecisionKind::Block));
    blocked.rule = Some("manifest.not-granted".into());
    let record = SessionRecord { needed: Some(names(&["a"])), ..session("s", &["a", "b", "c"], Some(&[]), vec![blocked]) };
    let m = session_metrics(&record);
    assert_eq!(m.ser, None);
    assert!(m.overprovision.abs() < 1e-12);
    close(m.attack_surface_reduction, 1.0);
    close(m.denial_rate, 1.0);
    assert_eq!(m.excess_exposure, None, "|G| = 0");
    assert_eq!(m.computed_success, Some(false));
    assert_eq!(m.success(), Some(false));
    close(m.calls.block_rate(), 1.0);
}

#[test]
fn everything_granted() {
    // A = G = {a, b, c, d} (granted absent), U = {a}, needed = {a}, call allowed.
    // SER = 1/4 = 0.25; overprovision = 4/1 = 4; reduction = 1 − 4/4 = 0;
    // denial = 0/1 = 0; computed success = {a} ⊆ G and a allowed → true; excess = 3/4.
    let record = SessionRecord { needed: Some(names(&["a"])), ..session("s", &["a", "b", "c", "d"], None, vec![allowed("a")]) };
    let m = session_metrics(&record);
    close(m.ser, 0.25);
    assert!((m.overprovision - 4.0).abs() < 1e-12);
    close(m.attack_surface_reduction, 0.0);
    close(m.denial_rate, 0.0);
    close(m.excess_exposure, 0.75);
    assert_eq!(m.success(), Some(true));
}

#[test]
fn no_tools_available() {
    // A hook-only session: no tool list, no grant, one call to "Bash".
    // A = G = ∅, U = {Bash}: SER n/a (|G| = 0), overprovision = 0/1 = 0, reduction n/a (|A| = 0).
    let m = session_metrics(&session("s", &[], None, vec![allowed("Bash")]));
    assert_eq!((m.available, m.granted, m.used), (0, 0, 1));
    assert_eq!(m.ser, None);
    assert_eq!(m.attack_surface_reduction, None);
    assert!(m.overprovision.abs() < 1e-12);
}

#[test]
fn a_grant_outside_the_tool_list_is_still_available() {
    // tools = {a}, granted = {a, b}: A = {a} ∪ {a, b} = {a, b}; reduction = 1 − 2/2 = 0 (not −1).
    let m = session_metrics(&session("s", &["a"], Some(&["a", "b"]), vec![]));
    assert_eq!(m.available, 2);
    close(m.attack_surface_reduction, 0.0);
}

#[test]
fn needed_tool_denied() {
    // A = {read, write, bash, web}, G = {read, web}, needed = {read, write}, U = {read, write},
    // write blocked (not granted). SER = |{read}|/2 = 0.5; overprovision = 2/2 = 1;
    // reduction = 1 − 2/4 = 0.5; denial = |{write}|/2 = 0.5; computed success: write ∉ G → false;
    // excess = |G\N|/|G| = |{web}|/2 = 0.5. Block rate = 1 call of 2 = 0.5.
    let record = SessionRecord {
        needed: Some(names(&["read", "write"])),
        ..session(
            "s",
            &["read", "write", "bash", "web"],
            Some(&["read", "web"]),
            vec![allowed("read"), call("write", Some(DecisionKind::Block))],
        )
    };
    let m = session_metrics(&record);
    close(m.ser, 0.5);
    assert!((m.overprovision - 1.0).abs() < 1e-12);
    close(m.attack_surface_reduction, 0.5);
    close(m.denial_rate, 0.5);
    assert_eq!(m.needed_denied, Some(1));
    close(m.excess_exposure, 0.5);
    assert_eq!(m.computed_success, Some(false));
    close(m.calls.block_rate(), 0.5);
}

#[test]
fn an_escalated_needed_call_is_not_a_computed_success() {
    // needed = {a} ⊆ G = {a}, but the call to a was escalated → computed success false.
    let record = SessionRecord {
        needed: Some(names(&["a"])),
        ..session("s", &["a"], None, vec![call("a", Some(DecisionKind::Escalate))])
    };
    let m = session_metrics(&record);
    assert_eq!(m.computed_success, Some(false));
    assert_eq!(m.calls.escalated, 1);
    assert_eq!(m.calls.blocked, 0);
    close(m.calls.block_rate(), 0.0);
    close(m.calls.escalation_rate(), 1.0);
}

#[test]
fn unknown_success() {
    // No ground truth, success null: N unknown → denial n/a, success unknown. The same with
    // success false: a failed session does not say what it needed.
    for success in [None, Some(false)] {
        let record = SessionRecord { success, ..session("s", &["a", "b"], Some(&["a"]), vec![allowed("a")]) };
        let m = session_metrics(&record);
        assert_eq!(m.needed_source, NeededSource::Unknown);
        assert_eq!(m.denial_rate, None);
        assert_eq!(m.excess_exposure, None);
        assert_eq!(m.success(), success);
        close(m.ser, 1.0); // 1/1
    }
}

#[test]
fn recorded_success_wins_over_computed_and_the_disagreement_is_counted() {
    // needed = {a, b}, G = {a}: computed success false (b ∉ G), but the log recorded success.
    let record = SessionRecord {
        needed: Some(names(&["a", "b"])),
        success: Some(true),
        ..session("s", &["a", "b"], Some(&["a"]), vec![allowed("a")])
    };
    let m = session_metrics(&record);
    assert_eq!(m.computed_success, Some(false));
    assert_eq!(m.success(), Some(true));
    assert!(m.success_disagrees());
    assert_eq!(GroupMetrics::of("x", &[&record]).success_disagreements, 1);
}

#[test]
fn empty_ground_truth_has_no_denial_rate_but_succeeds() {
    // needed = ∅: N\G = ∅ of |N| = 0 → denial n/a; computed success = ∅ ⊆ G → true.
    let record = SessionRecord { needed: Some(vec![]), ..session("s", &["a"], None, vec![]) };
    let m = session_metrics(&record);
    assert_eq!(m.denial_rate, None);
    assert_eq!(m.computed_success, Some(true));
}

#[test]
fn inferred_need_leaves_out_blocked_calls() {
    // Success recorded; calls: read (allowed), bash (blocked), web (no decision: an ungoverned
    // runtime ran it). N = {read, web}. G = {read, bash}: N\G = {web} → denial 1/2.
    let record = SessionRecord {
        success: Some(true),
        ..session(
            "s",
            &["read", "bash", "web"],
            Some(&["read", "bash"]),
            vec![allowed("read"), call("bash", Some(DecisionKind::Block)), call("web", None)],
        )
    };
    let m = session_metrics(&record);
    assert_eq!(m.needed, Some(2));
    close(m.denial_rate, 0.5);
    assert_eq!(m.calls, CallCounts { calls: 3, allowed: 2, blocked: 1, escalated: 0, model_refused: None, stage2: 0 });
}

#[test]
fn group_means_are_over_sessions_where_defined() {
    // s1: G = {a, b}, U = {a}: SER 1/2, overprovision 2/1 = 2, success true (recorded).
    // s2: G = ∅: SER n/a, overprovision 0, success unknown.
    // s3: G = {a, b, c, d}, U = {a, b, c, d}: SER 1, overprovision 1, success false.
    // SER mean = (0.5 + 1)/2 = 0.75 over 2; overprovision mean = (2 + 0 + 1)/3 = 1 over 3;
    // success = 1 of 2 known = 0.5; calls pooled: 1 + 0 + 4 = 5, blocked 1 (in s3) → 1/5.
    let s1 = SessionRecord { success: Some(true), ..session("s1", &["a", "b"], None, vec![allowed("a")]) };
    let s2 = session("s2", &["a", "b"], Some(&[]), vec![]);
    let s3 = SessionRecord {
        success: Some(false),
        ..session(
            "s3",
            &["a", "b", "c", "d"],
            None,
            vec![allowed("a"), allowed("b"), allowed("c"), call("d", Some(DecisionKind::Block))],
        )
    };
    let group = GroupMetrics::of("summarise", &[&s1, &s2, &s3]);
    assert_eq!(group.sessions, 3);
    close(group.economy.ser.value, 0.75);
    assert_eq!(group.economy.ser.defined, 2);
    close(group.overprovision.value, 1.0);
    assert_eq!(group.overprovision.defined, 3);
    close(group.economy.task_success.value, 0.5);
    assert_eq!(group.economy.task_success.defined, 2);
    // Denial: s1 inferred N = {a} ⊆ G → 0; s2, s3 unknown (no truth, not successful) → mean 0 over 1.
    close(group.economy.denial_rate.value, 0.0);
    assert_eq!(group.economy.denial_rate.defined, 1);
    close(group.calls.block_rate(), 0.2);
    // Reduction: s1 1 − 2/2 = 0, s2 1 − 0/2 = 1, s3 0 → 1/3.
    close(group.attack_surface_reduction.value, 1.0 / 3.0);
    // Granted somewhere: {a, b} ∪ ∅ ∪ {a, b, c, d}; called: {a, b, c, d} → none unused.
    assert!(group.tools_never_used.is_empty());
}

#[test]
fn tools_never_used_and_task_types() {
    // review: granted {a, b, c} twice, calls a then b → c never used.
    // unlabelled (no task type, or blank): granted {x}, no calls → x never used.
    let r1 = SessionRecord { task_type: Some("review".into()), ..session("r1", &["a", "b", "c"], None, vec![allowed("a")]) };
    let r2 = SessionRecord { task_type: Some("review".into()), ..session("r2", &["a", "b", "c"], None, vec![allowed("b")]) };
    let u1 = SessionRecord { task_type: None, ..session("u1", &["x"], None, vec![]) };
    let u2 = SessionRecord { task_type: Some("  ".into()), ..session("u2", &["x"], None, vec![]) };
    let summary = summarize(&[r1, u1, r2, u2]);
    let types: Vec<&str> = summary.task_types.iter().map(|g| g.task_type.as_str()).collect();
    assert_eq!(types, ["review", UNLABELLED]);
    assert_eq!(summary.task_types[0].tools_never_used, ["c"]);
    assert_eq!(summary.task_types[1].sessions, 2);
    assert_eq!(summary.task_types[1].tools_never_used, ["x"]);
    assert_eq!(summary.overall.task_type, OVERALL);
    assert_eq!(summary.overall.sessions, 4);
    assert_eq!(summary.overall.tools_never_used, ["c", "x"]);
}

#[test]
fn an_empty_summary_is_all_undefined() {
    let summary = summarize(&[]);
    assert!(summary.task_types.is_empty());
    assert_eq!(summary.overall.sessions, 0);
    assert_eq!(summary.overall.economy, Economy::default());
    assert_eq!(summary.overall.calls.block_rate(), None);
}

#[test]
fn rules_are_counted_most_blocks_first() {
    let with_rule = |decision, rule: Option<&str>, reason: &str| SessionCall {
        rule: rule.map(str::to_owned),
        reason: Some(reason.into()),
        ..call("Bash", Some(decision))
    };
    let record = session(
        "s",
        &["Bash"],
        None,
        vec![
            with_rule(DecisionKind::Escalate, Some("git-force-push"), "force push"),
            with_rule(DecisionKind::Block, Some("pipe-network-to-interpreter"), "first reason"),
            with_rule(DecisionKind::Block, Some("pipe-network-to-interpreter"), "second reason"),
            with_rule(DecisionKind::Block, None, "no rule"),
            with_rule(DecisionKind::Allow, Some("allowed-rule"), "not counted"),
        ],
    );
    let counts = decisions_by_rule(&[record]);
    let rows: Vec<(&str, usize, usize)> = counts.iter().map(|c| (c.rule.as_str(), c.blocked, c.escalated)).collect();
    assert_eq!(rows, [("pipe-network-to-interpreter", 2, 0), (NO_RULE, 1, 0), ("git-force-push", 0, 1)]);
    assert_eq!(counts[0].reason.as_deref(), Some("first reason"));
}

#[test]
fn router_rates_on_labelled_calls() {
    // 4 malicious: 2 blocked, 1 escalated, 1 allowed → TP 3, FN 1 → TPR 3/4.
    // 5 benign: 1 escalated, 4 allowed → FP 1, TN 4 → FPR 1/5.
    use DecisionKind::{Allow, Block, Escalate};
    use Label::{Benign, Malicious};
    let rates = RouterRates::of([
        (Malicious, Block),
        (Malicious, Block),
        (Malicious, Escalate),
        (Malicious, Allow),
        (Benign, Escalate),
        (Benign, Allow),
        (Benign, Allow),
        (Benign, Allow),
        (Benign, Allow),
    ]);
    assert_eq!(
        rates,
        RouterRates { true_positives: 3, false_positives: 1, true_negatives: 4, false_negatives: 1 }
    );
    close(rates.tpr(), 0.75);
    close(rates.fpr(), 0.2);
    assert_eq!(rates.total(), 9);
    // No malicious calls: TPR undefined; no benign: FPR undefined.
    assert_eq!(RouterRates::of([(Benign, Allow)]).tpr(), None);
    assert_eq!(RouterRates::of([(Malicious, Allow)]).fpr(), None);
}

#[test]
fn calls_decided_by_stage_2_are_counted() {
    let mut by_rule = SessionCall::new("Bash", serde_json::json!({"command": "ls"}));
    by_rule.decision = Some(DecisionKind::Allow);
    by_rule.stage = Some(aethelgard_protocol::Stage::Rules);
    let mut by_model = SessionCall::new("send_email", serde_json::json!({"to": "x@evil.example"}));
    by_model.decision = Some(DecisionKind::Block);
    by_model.stage = Some(aethelgard_protocol::Stage::Classifier);
    let counts = CallCounts::of(&[by_rule, by_model, SessionCall::new("Read", serde_json::json!({}))]);
    assert_eq!((counts.calls, counts.stage2, counts.blocked), (3, 1, 1));
}
