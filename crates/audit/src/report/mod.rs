//! Reports of the metrics: a plain-text summary for a terminal, and one self-contained HTML file
//! with charts.
//!
//! Both render the numbers of [`crate::metrics`] and nothing else, so the terminal, the HTML and
//! the learning layer never disagree. SER reaches either report only through [`economy_cells`],
//! which renders it with task success and the required-tool denial rate: there is no way to print
//! SER alone.
//!
//! Everything that came from a log (tool names, arguments, reasons, task text, session ids) is
//! attacker-controlled: an injected prompt chooses the arguments of the calls it provokes. The
//! terminal report drops control characters (no escape sequences reach the terminal); the HTML
//! report escapes all of it and carries a Content-Security-Policy that lets only its own script
//! run.

mod charts;
mod html;
mod markup;
mod terminal;
mod timeline;

use crate::metrics::{Economy, Mean};
use aethelgard_protocol::SessionRecord;

/// What a report shows besides the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The report's heading.
    pub title: String,
    /// How many rules the "by rule" table and chart show (the rest are summed as "other").
    pub top_rules: usize,
    /// How many blocked or escalated calls the HTML table lists (the newest first).
    pub max_call_rows: usize,
    /// When the report was made, shown in its header; `None` keeps the output reproducible.
    pub generated_at: Option<String>,
    /// Where the sessions came from (a store path, a file), shown in the header.
    pub source: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            title: "Aethelgard report".to_owned(),
            top_rules: 10,
            max_call_rows: 500,
            generated_at: None,
            source: None,
        }
    }
}

/// The summary for a terminal: aligned plain-text tables, no colour.
pub fn terminal(sessions: &[SessionRecord], options: &Options) -> String {
    terminal::render(sessions, options)
}

/// The report as one HTML file: inline CSS, SVG charts and a small script; nothing is fetched.
pub fn html(sessions: &[SessionRecord], options: &Options) -> String {
    html::render(sessions, options)
}

/// Column headings of the economy trio, in the order [`economy_cells`] renders them.
pub(crate) const ECONOMY_HEADERS: [&str; 3] = ["SER", "task success", "denial rate"];

/// SER, task success and required-tool denial rate, rendered together: the only place a report
/// formats SER. Each carries the number of sessions its mean is over.
pub(crate) fn economy_cells(economy: &Economy) -> [String; 3] {
    [
        with_count(economy.ser, |v| format!("{v:.2}")),
        match economy.task_success.value {
            Some(value) => format!("{} ({} known)", percent(value), economy.task_success.defined),
            None => NOT_AVAILABLE.to_owned(),
        },
        with_count(economy.denial_rate, percent),
    ]
}

/// SER, task success and required-tool denial rate over several runs (seeds), each a mean and
/// the half-width of its confidence interval, rendered together; the twin of [`economy_cells`]
/// for evaluations, and the only other place SER is formatted. `None` is an undefined mean.
pub fn economy_interval_cells(ser: Option<(f64, f64)>, task_success: (f64, f64), denial_rate: (f64, f64)) -> [String; 3] {
    let ci = |(mean, half): (f64, f64), scale: f64, digits: usize| format!("{:.digits$} ± {:.digits$}", mean * scale, half * scale);
    [
        ser.map_or_else(|| NOT_AVAILABLE.to_owned(), |ser| ci(ser, 1.0, 3)),
        format!("{}%", ci(task_success, 100.0, 1)),
        format!("{}%", ci(denial_rate, 100.0, 1)),
    ]
}

/// Column headings of [`economy_interval_cells`].
pub const ECONOMY_INTERVAL_HEADERS: [&str; 3] = ["SER", "task success", "req. denial"];

/// What an undefined metric shows.
pub(crate) const NOT_AVAILABLE: &str = "n/a";

/// A mean and the number of sessions it is over, or "n/a".
pub(crate) fn with_count(mean: Mean, format: impl Fn(f64) -> String) -> String {
    match mean.value {
        Some(value) => format!("{} (n={})", format(value), mean.defined),
        None => NOT_AVAILABLE.to_owned(),
    }
}

/// A share as a percentage with one decimal.
pub(crate) fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// The time of the first and the last thing recorded, in ms since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub first_ms: i64,
    pub last_ms: i64,
}

impl Span {
    /// The span of every session start and call time that parses; `None` when nothing has one.
    pub fn of(sessions: &[SessionRecord]) -> Option<Self> {
        let times = sessions.iter().flat_map(|session| {
            session.started_at.iter().chain(session.calls.iter().filter_map(|call| call.at.as_ref()))
        });
        let parsed: Vec<i64> = times.filter_map(|text| crate::time::parse_ms(text)).collect();
        Some(Self { first_ms: *parsed.iter().min()?, last_ms: *parsed.iter().max()? })
    }

    /// "2026-03-02 08:23 → 2026-03-06 06:12 UTC"
    pub fn describe(self) -> String {
        format!("{} → {} UTC", minutes(self.first_ms), minutes(self.last_ms))
    }
}

/// "2026-03-02 08:23" (UTC) from ms since the epoch.
pub(crate) fn minutes(at_ms: i64) -> String {
    let text = crate::time::rfc3339(at_ms);
    let date = text.get(..10).unwrap_or(&text);
    let clock = text.get(11..16).unwrap_or("");
    format!("{date} {clock}")
}

/// A one-line summary of a call's arguments: a shell command as itself, anything else as compact
/// JSON, cut to `limit` characters.
pub(crate) fn args_summary(args: &serde_json::Value, limit: usize) -> String {
    let text = match args.get("command").and_then(serde_json::Value::as_str) {
        Some(command) => command.to_owned(),
        None => args.to_string(),
    };
    shorten(&text, limit)
}

/// At most `limit` characters, with "…" when cut.
pub(crate) fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(limit.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
