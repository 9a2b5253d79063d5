use super::{Histogram, prometheus, quantile_us};
use serde_json::json;

#[test]
fn the_histogram_counts_cumulatively_and_its_quantiles_are_bucket_bounds() {
    let histogram = Histogram::new();
    for micros in [10, 60, 60, 900, 7_000_000] {
        histogram.observe(micros);
    }
    let snapshot = histogram.snapshot();
    assert_eq!(snapshot["count"], 5);
    assert_eq!(snapshot["sum_us"], 7_001_030);
    assert_eq!(snapshot["counts"][0], 1);
    assert_eq!(snapshot["counts"][1], 3);
    assert_eq!(snapshot["counts"][4], 4);
    assert_eq!(quantile_us(&snapshot, 0.5), Some(100));
    assert_eq!(quantile_us(&snapshot, 0.8), Some(1_000));
    // Past the last bound: unknown, not a made-up figure.
    assert_eq!(quantile_us(&snapshot, 1.0), None);
    assert_eq!(quantile_us(&Histogram::new().snapshot(), 0.5), None);
}

#[test]
fn the_prometheus_text_has_every_counter_and_the_histogram() {
    let histogram = Histogram::new();
    histogram.observe(300);
    let status = json!({
        "calls": {"allow": 3, "block": 2, "escalate": 1},
        "scopes": 4, "errors": 5, "reloads": 6, "reload_failures": 7, "refused_peers": 8,
        "audit_failures": 9, "connections": 1, "uptime_ms": 12_345,
        "latency": histogram.snapshot(),
    });
    let text = prometheus(&status);
    for line in [
        "aethelgard_decisions_total{decision=\"allow\"} 3",
        "aethelgard_decisions_total{decision=\"block\"} 2",
        "aethelgard_decisions_total{decision=\"escalate\"} 1",
        "aethelgard_scopes_total 4",
        "aethelgard_bad_requests_total 5",
        "aethelgard_policy_reloads_total 6",
        "aethelgard_policy_reload_failures_total 7",
        "aethelgard_refused_peers_total 8",
        "aethelgard_audit_failures_total 9",
        "aethelgard_uptime_seconds 12",
        "aethelgard_decision_seconds_bucket{le=\"0.00025\"} 0",
        "aethelgard_decision_seconds_bucket{le=\"0.0005\"} 1",
        "aethelgard_decision_seconds_bucket{le=\"+Inf\"} 1",
        "aethelgard_decision_seconds_count 1",
        "# TYPE aethelgard_decision_seconds histogram",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
}
