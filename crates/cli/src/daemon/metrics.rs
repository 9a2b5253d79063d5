//! The daemon's latency histogram and the Prometheus text of its status: one function from the
//! status JSON to the metrics, so `GET /metrics` and `aethelgard status --prometheus` agree.

use serde_json::{Value, json};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency buckets, in microseconds (the last bucket is unbounded).
pub const BUCKETS_US: [u64; 14] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
    5_000_000,
];

/// Time from a request read to its answer ready (judged and recorded), per route or hook request.
pub struct Histogram {
    /// Per bucket, not cumulative; one more than [`BUCKETS_US`] for the overflow.
    counts: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn new() -> Self {
        Self {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_us: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, micros: u64) {
        let index = BUCKETS_US
            .iter()
            .position(|bound| micros <= *bound)
            .unwrap_or(BUCKETS_US.len());
        if let Some(count) = self.counts.get(index) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    /// `{"buckets_us": [...], "counts": [...cumulative, the last is +Inf], "count", "sum_us"}`.
    pub fn snapshot(&self) -> Value {
        let mut cumulative = Vec::with_capacity(self.counts.len());
        let mut running = 0u64;
        for count in &self.counts {
            running += count.load(Ordering::Relaxed);
            cumulative.push(running);
        }
        json!({
            "buckets_us": BUCKETS_US,
            "counts": cumulative,
            "count": running,
            "sum_us": self.sum_us.load(Ordering::Relaxed),
        })
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket bound under which a fraction `q` of the answers fell (`None` before any answer, or
/// past the last bound).
pub fn quantile_us(latency: &Value, q: f64) -> Option<u64> {
    let counts: Vec<u64> = latency
        .get("counts")?
        .as_array()?
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let total = *counts.last()?;
    if total == 0 {
        return None;
    }
    // Precision loss is irrelevant at these counts.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let index = counts.iter().position(|c| *c >= rank)?;
    BUCKETS_US.get(index).copied()
}

fn counter(status: &Value, path: &[&str]) -> u64 {
    path.iter()
        .try_fold(status, |v, key| v.get(key))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// The Prometheus text exposition (version 0.0.4) of a daemon status.
pub fn prometheus(status: &Value) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let plain = |path: &[&str]| vec![(String::new(), counter(status, path))];
    metric(
        "aethelgard_decisions_total",
        "counter",
        "Tool-call decisions answered (route and hook requests), by decision.",
        &["allow", "block", "escalate"].map(|kind| {
            (
                format!("{{decision=\"{kind}\"}}"),
                counter(status, &["calls", kind]),
            )
        }),
    );
    metric(
        "aethelgard_scopes_total",
        "counter",
        "Scope requests answered.",
        &plain(&["scopes"]),
    );
    metric(
        "aethelgard_bad_requests_total",
        "counter",
        "Request lines that were not a request, or could not be answered.",
        &plain(&["errors"]),
    );
    metric(
        "aethelgard_policy_reloads_total",
        "counter",
        "Policy reloads that took effect.",
        &plain(&["reloads"]),
    );
    metric(
        "aethelgard_policy_reload_failures_total",
        "counter",
        "Changed policy files that did not load (the old policy stayed in effect).",
        &plain(&["reload_failures"]),
    );
    metric(
        "aethelgard_refused_peers_total",
        "counter",
        "Connections refused because the peer ran as another user (SO_PEERCRED).",
        &plain(&["refused_peers"]),
    );
    metric(
        "aethelgard_audit_failures_total",
        "counter",
        "Decisions the audit store could not record.",
        &plain(&["audit_failures"]),
    );
    metric(
        "aethelgard_connections",
        "gauge",
        "Socket connections open now.",
        &plain(&["connections"]),
    );
    metric(
        "aethelgard_uptime_seconds",
        "gauge",
        "Seconds since the daemon started.",
        &[(String::new(), counter(status, &["uptime_ms"]) / 1000)],
    );
    let latency = status.get("latency").cloned().unwrap_or(Value::Null);
    let counts: Vec<u64> = latency
        .get("counts")
        .and_then(Value::as_array)
        .map(|c| c.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "# HELP aethelgard_decision_seconds Time from a route or hook request read to its answer ready, recording included.\n# TYPE aethelgard_decision_seconds histogram"
    );
    for (bound, count) in BUCKETS_US.iter().zip(&counts) {
        #[allow(clippy::cast_precision_loss)]
        let seconds = *bound as f64 / 1e6;
        let _ = writeln!(
            out,
            "aethelgard_decision_seconds_bucket{{le=\"{seconds}\"}} {count}"
        );
    }
    let total = counter(&latency, &["count"]);
    #[allow(clippy::cast_precision_loss)]
    let sum = counter(&latency, &["sum_us"]) as f64 / 1e6;
    let _ = writeln!(
        out,
        "aethelgard_decision_seconds_bucket{{le=\"+Inf\"}} {total}\naethelgard_decision_seconds_sum {sum}\naethelgard_decision_seconds_count {total}"
    );
    out
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
