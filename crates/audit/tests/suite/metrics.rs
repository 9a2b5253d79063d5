//! The metrics over the fixed session set (`tests/fixtures/report_sessions.jsonl`, written by
//! `gen_report_sessions.py` beside it): cross-checked against plain arithmetic, and unchanged by a
//! trip through the audit store.

use aethelgard_audit::metrics::{self, session_metrics, summarize, NeededSource, UNLABELLED};
use aethelgard_audit::{events_of, sessions_of, AuditStore, Filter, SqliteStore, Sync};
use aethelgard_protocol::{DecisionKind, SessionRecord};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report_sessions.jsonl")
}

pub fn fixture() -> Vec<SessionRecord> {
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn the_fixture_is_what_the_tests_assume() {
    let sessions = fixture();
    assert_eq!(sessions.len(), 48);
    let types: BTreeSet<&str> = sessions.iter().map(metrics::task_type_of).collect();
    assert_eq!(types, BTreeSet::from(["deploy", "implement", "research", "review", "summarise", UNLABELLED]));
    let calls: usize = sessions.iter().map(|s| s.calls.len()).sum();
    assert_eq!(calls, 177);
    let blocked = sessions.iter().flat_map(|s| &s.calls).filter(|c| c.decision == Some(DecisionKind::Block)).count();
    let escalated = sessions.iter().flat_map(|s| &s.calls).filter(|c| c.decision == Some(DecisionKind::Escalate)).count();
    assert_eq!((blocked, escalated), (27, 3));
    for success in [Some(true), Some(false), None] {
        assert!(sessions.iter().any(|s| s.success == success), "the fixture needs sessions with success {success:?}");
    }
    assert!(sessions.iter().any(|s| s.granted.is_none()), "unscoped sessions");
    assert!(sessions.iter().any(|s| s.needed.is_some()) && sessions.iter().any(|s| s.needed.is_none()));
}

/// SER recomputed the long way, for one type: |U ∩ G| / |G| per session, then the plain mean.
#[test]
fn ser_and_denial_rate_match_plain_arithmetic() {
    let sessions = fixture();
    let summary = summarize(&sessions);
    for group in &summary.task_types {
        let members: Vec<&SessionRecord> =
            sessions.iter().filter(|s| metrics::task_type_of(s) == group.task_type).collect();
        let mut sers = Vec::new();
        let mut denials = Vec::new();
        for session in &members {
            let granted: BTreeSet<&String> = session.granted_or_available().iter().collect();
            let used: BTreeSet<&String> = session.calls.iter().map(|c| &c.tool).collect();
            if !granted.is_empty() {
                sers.push(used.intersection(&granted).count() as f64 / granted.len() as f64);
            }
            if let Some(needed) = &session.needed {
                let needed: BTreeSet<&String> = needed.iter().collect();
                if !needed.is_empty() {
                    denials.push(needed.difference(&granted).count() as f64 / needed.len() as f64);
                }
            } else if session.success == Some(true) {
                let needed: BTreeSet<&String> =
                    session.calls.iter().filter(|c| c.decision != Some(DecisionKind::Block)).map(|c| &c.tool).collect();
                if !needed.is_empty() {
                    denials.push(needed.difference(&granted).count() as f64 / needed.len() as f64);
                }
            }
        }
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-12,
            (a, b) => a == b,
        };
        assert!(close(group.economy.ser.value, mean(&sers)), "{}: SER", group.task_type);
        assert_eq!(group.economy.ser.defined, sers.len());
        assert!(close(group.economy.denial_rate.value, mean(&denials)), "{}: denial rate", group.task_type);
        assert_eq!(group.economy.denial_rate.defined, denials.len());
        assert_eq!(group.sessions, members.len());
    }
}

#[test]
fn groups_add_up_to_the_overall_row() {
    let summary = summarize(&fixture());
    let sum = |f: fn(&metrics::GroupMetrics) -> usize| summary.task_types.iter().map(f).sum::<usize>();
    assert_eq!(sum(|g| g.sessions), summary.overall.sessions);
    assert_eq!(sum(|g| g.calls.calls), summary.overall.calls.calls);
    assert_eq!(sum(|g| g.calls.blocked), summary.overall.calls.blocked);
    assert_eq!(sum(|g| g.calls.escalated), summary.overall.calls.escalated);
    assert_eq!(sum(|g| g.economy.ser.defined), summary.overall.economy.ser.defined);
    assert_eq!(summary.overall.calls.model_refused, None, "no log records model refusals yet");
    for group in summary.task_types.iter().chain([&summary.overall]) {
        for value in [group.economy.ser.value, group.economy.task_success.value, group.economy.denial_rate.value]
            .into_iter()
            .flatten()
        {
            assert!((0.0..=1.0).contains(&value), "{}: {value}", group.task_type);
        }
    }
}

#[test]
fn hook_only_sessions_have_no_ser_and_no_surface_reduction() {
    for session in fixture().iter().filter(|s| metrics::task_type_of(s) == UNLABELLED) {
        let m = session_metrics(session);
        assert_eq!((m.available, m.granted), (0, 0));
        assert_eq!(m.ser, None);
        assert_eq!(m.attack_surface_reduction, None);
        assert_eq!(m.needed_source, NeededSource::Unknown);
    }
}

/// Sessions appended to the store and read back give the same metrics: the report of a store and
/// the report of the JSONL it was imported from agree.
#[test]
fn metrics_survive_the_audit_store() {
    let sessions = fixture();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("metrics-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut store = SqliteStore::open(&dir.join("audit.db"), Sync::Normal).unwrap();
    let events: Vec<_> = sessions.iter().flat_map(|s| events_of(s, None)).collect();
    store.append(&events).unwrap();
    let back = sessions_of(&store.entries(&Filter::default()).unwrap());
    assert_eq!(back.len(), sessions.len());
    assert_eq!(summarize(&back), summarize(&sessions));
    let _ = std::fs::remove_dir_all(&dir);
}
