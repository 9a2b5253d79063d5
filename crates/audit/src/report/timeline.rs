//! Blocked calls by rule over time: stacked bars, one bar per time bucket, one colour per rule.
//! The bucket (an hour to a week) is chosen from the data's span so the chart has at most
//! [`MAX_BUCKETS`] bars.

use super::charts::{legend, nice_ceiling, open};
use super::markup::{escape, num, palette};
use aethelgard_protocol::{DecisionKind, SessionRecord};
use std::collections::BTreeMap;
use std::fmt::Write as _;

const HOUR_MS: i64 = 3_600_000;
const BUCKETS_MS: [(i64, &str); 7] = [
    (HOUR_MS, "hour"),
    (3 * HOUR_MS, "3 hours"),
    (6 * HOUR_MS, "6 hours"),
    (12 * HOUR_MS, "12 hours"),
    (24 * HOUR_MS, "day"),
    (7 * 24 * HOUR_MS, "week"),
    (30 * 24 * HOUR_MS, "30 days"),
];
pub(super) const MAX_BUCKETS: i64 = 28;
const OTHER: &str = "other rules";

/// The bucket for a span: the smallest that needs at most [`MAX_BUCKETS`] bars.
pub(super) fn bucket_for(span_ms: i64) -> (i64, &'static str) {
    BUCKETS_MS
        .into_iter()
        .find(|(size, _)| span_ms / size < MAX_BUCKETS)
        .unwrap_or((30 * 24 * HOUR_MS, "30 days"))
}

/// The chart, and how many blocked calls had no usable time (left out of it).
pub(super) fn timeline(sessions: &[SessionRecord], top_rules: usize) -> (String, usize) {
    let mut untimed = 0;
    let mut blocks: Vec<(i64, &str)> = Vec::new();
    for call in sessions.iter().flat_map(|s| &s.calls).filter(|c| c.decision == Some(DecisionKind::Block)) {
        match call.at.as_deref().and_then(crate::time::parse_ms) {
            Some(at) => blocks.push((at, call.rule.as_deref().unwrap_or(crate::metrics::NO_RULE))),
            None => untimed += 1,
        }
    }
    let (Some(first), Some(last)) = (blocks.iter().map(|b| b.0).min(), blocks.iter().map(|b| b.0).max()) else {
        let mut svg = open("timeline", 760.0, 60.0, "Blocked calls by rule over time");
        svg.push_str(r#"<text class="value" x="0" y="30">No blocked calls with a recorded time.</text></svg>"#);
        return (svg, untimed);
    };

    // Series: the rules with most blocks; the rest share one grey series.
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, rule) in &blocks {
        *per_rule.entry(rule).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = per_rule.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let slots = top_rules.clamp(1, palette::SERIES.len());
    let named: Vec<&str> = if ranked.len() <= slots {
        ranked.iter().map(|r| r.0).collect()
    } else {
        ranked.iter().take(slots - 1).map(|r| r.0).collect()
    };
    let has_other = named.len() < ranked.len();
    let series_of = |rule: &str| named.iter().position(|n| *n == rule).unwrap_or(named.len());

    let (size, size_name) = bucket_for(last - first);
    let start = first.div_euclid(size) * size;
    let count = usize::try_from((last - start) / size + 1).unwrap_or(1);
    let mut stacks = vec![vec![0_usize; named.len() + 1]; count];
    for (at, rule) in &blocks {
        let bucket = usize::try_from((at - start) / size).unwrap_or(0);
        if let Some(slot) = stacks.get_mut(bucket).and_then(|stack| stack.get_mut(series_of(rule))) {
            *slot += 1;
        }
    }
    let tallest = stacks.iter().map(|s| s.iter().sum::<usize>()).max().unwrap_or(1).max(1);

    let (left, top, plot_w, plot_h) = (44.0, 58.0, 1120.0, 220.0);
    let width = left + plot_w + 16.0;
    let height = top + plot_h + 48.0;
    let mut svg = open("timeline", width, height, &format!("Blocked calls by rule, per {size_name}"));
    let colours: Vec<(&str, &str)> = named
        .iter()
        .zip(palette::SERIES)
        .map(|(rule, colour)| (*rule, colour))
        .chain(has_other.then_some((OTHER, palette::GREY)))
        .collect();
    legend_rows(&mut svg, left, &colours, width - left);

    // Y axis: whole numbers of calls.
    let y_max = nice_ceiling(tallest as f64).max(1.0);
    let step = (y_max / 4.0).max(1.0).ceil();
    let mut tick = 0.0;
    while tick <= y_max + 0.01 {
        let y = top + plot_h - tick / y_max * plot_h;
        let _ = write!(
            svg,
            r#"<line x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="{grid}"/><text class="tick" x="{tx}" y="{ty}" text-anchor="end">{v}</text>"#,
            l = num(left),
            r = num(left + plot_w),
            y = num(y),
            grid = palette::GRID,
            tx = num(left - 6.0),
            ty = num(y + 4.0),
            v = num(tick),
        );
        tick += step;
    }

    let slot_w = plot_w / count as f64;
    let bar_w = (slot_w * 0.72).max(2.0);
    let label_every = count.div_ceil(8).max(1);
    for (index, stack) in stacks.iter().enumerate() {
        let bucket_start = start + i64::try_from(index).unwrap_or(0) * size;
        let x = left + index as f64 * slot_w + (slot_w - bar_w) / 2.0;
        let mut base = top + plot_h;
        for (series, calls) in stack.iter().enumerate().filter(|(_, calls)| **calls > 0) {
            let (rule, colour) = colours.get(series).copied().unwrap_or((OTHER, palette::GREY));
            let h = *calls as f64 / y_max * plot_h;
            base -= h;
            let tip = format!("{}: {calls} blocked by {rule}", bucket_label(bucket_start, size));
            let _ = write!(
                svg,
                r##"<rect class="bar" data-rule="{rule}" x="{x}" y="{y}" width="{w}" height="{h}" fill="{colour}" stroke="#FFFFFF" stroke-width="0.5" data-tip="{tip}"><title>{tip}</title></rect>"##,
                rule = escape(rule),
                x = num(x),
                y = num(base),
                w = num(bar_w),
                h = num(h),
                tip = escape(&tip),
            );
        }
        if index % label_every == 0 {
            let (date, clock) = split_label(bucket_start, size);
            let cx = num(x + bar_w / 2.0);
            let _ = write!(svg, r#"<text class="tick" x="{cx}" y="{}" text-anchor="middle">{date}</text>"#, num(top + plot_h + 16.0));
            if let Some(clock) = clock {
                let _ = write!(svg, r#"<text class="tick muted" x="{cx}" y="{}" text-anchor="middle">{clock}</text>"#, num(top + plot_h + 30.0));
            }
        }
    }
    let _ = write!(
        svg,
        r#"<line x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="{ink}"/></svg>"#,
        l = num(left),
        r = num(left + plot_w),
        y = num(top + plot_h),
        ink = palette::MUTED,
    );
    (svg, untimed)
}

/// The legend, wrapped onto as many rows as it needs.
fn legend_rows(svg: &mut String, left: f64, entries: &[(&str, &str)], width: f64) {
    let mut row: Vec<(&str, &str)> = Vec::new();
    let mut used = 0.0;
    let mut y = 16.0;
    for entry in entries {
        let needed = 17.0 + entry.0.chars().count() as f64 * 7.0 + 22.0;
        if used + needed > width && !row.is_empty() {
            legend(svg, left, y, &row);
            row.clear();
            used = 0.0;
            y += 20.0;
        }
        row.push(*entry);
        used += needed;
    }
    legend(svg, left, y, &row);
}

/// "Mar 2" and, for buckets shorter than a day, "06:00".
fn split_label(at_ms: i64, size: i64) -> (String, Option<String>) {
    let text = crate::time::rfc3339(at_ms);
    let month = text.get(5..7).and_then(|m| m.parse::<usize>().ok()).unwrap_or(1);
    let day = text.get(8..10).and_then(|d| d.parse::<u32>().ok()).unwrap_or(1);
    let name = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .get(month.saturating_sub(1))
        .copied()
        .unwrap_or("?");
    let clock = (size < 24 * HOUR_MS).then(|| text.get(11..16).unwrap_or("").to_owned());
    (format!("{name} {day}"), clock)
}

fn bucket_label(at_ms: i64, size: i64) -> String {
    match split_label(at_ms, size) {
        (date, Some(clock)) => format!("{date} {clock} UTC"),
        (date, None) => date,
    }
}
