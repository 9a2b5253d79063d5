//! The terminal summary: aligned plain-text tables. No colour, so it reads the same in a pipe, a
//! CI log and a snapshot.

use super::{economy_cells, percent, shorten, with_count, Options, Span, ECONOMY_HEADERS, NOT_AVAILABLE};
use crate::metrics::{decisions_by_rule, summarize, GroupMetrics};
use aethelgard_protocol::SessionRecord;
use std::fmt::Write as _;

pub(super) fn render(sessions: &[SessionRecord], options: &Options) -> String {
    let summary = summarize(sessions);
    let mut out = String::new();
    let _ = writeln!(out, "{}", plain(&options.title));
    let _ = writeln!(out, "{}", headline(&summary.overall, Span::of(sessions)));
    if let Some(source) = &options.source {
        let _ = writeln!(out, "source: {}", plain(source));
    }
    if let Some(at) = &options.generated_at {
        let _ = writeln!(out, "generated: {}", plain(at));
    }
    if sessions.is_empty() {
        out.push_str("\nNo sessions to report.\n");
        return out;
    }

    out.push_str("\nPer task type\n");
    let mut table = Table::new(
        ["task type", "sessions", "calls"]
            .into_iter()
            .chain(ECONOMY_HEADERS)
            .chain(["overprovision", "surface reduction", "blocked", "escalated"]),
    );
    for group in &summary.task_types {
        table.row(group_cells(group));
    }
    table.rule();
    table.row(group_cells(&summary.overall));
    out.push_str(&table.render());
    out.push_str(
        "\nSession metrics are means over the sessions where they are defined (n = that count; n/a when none).\n\
         Blocked and escalated are counts of calls, with their share of all calls.\n\
         Task success is the recorded outcome where the log has one, else computed from ground-truth needed tools.\n",
    );
    if summary.overall.success_disagreements > 0 {
        let _ = writeln!(
            out,
            "{} session(s) recorded an outcome that the ground truth contradicts; the recorded outcome is shown.",
            summary.overall.success_disagreements
        );
    }
    let _ = writeln!(out, "{}", stage2_line(&summary.overall.calls));
    let _ = writeln!(
        out,
        "Model refusals: {} (governance blocks and escalations are counted apart above).",
        match summary.overall.calls.model_refused {
            Some(count) => count.to_string(),
            None => "not recorded in these logs".to_owned(),
        }
    );

    let rules = decisions_by_rule(sessions);
    if !rules.is_empty() {
        let shown = rules.len().min(options.top_rules);
        let _ = writeln!(out, "\nBlocked and escalated calls by rule (top {shown} of {})", rules.len());
        let mut table = Table::new(["rule", "blocked", "escalated", "first reason"]);
        for count in rules.iter().take(options.top_rules) {
            table.row([
                plain(&count.rule),
                count.blocked.to_string(),
                count.escalated.to_string(),
                count.reason.as_deref().map_or_else(String::new, |reason| shorten(&plain(reason), 80)),
            ]);
        }
        out.push_str(&table.render());
    }

    out.push_str("\nTools never used (granted in some session of the type, called in none)\n");
    let mut table = Table::new(["task type", "count", "tools"]);
    for group in &summary.task_types {
        let tools: Vec<String> = group.tools_never_used.iter().map(|tool| plain(tool)).collect();
        table.row([
            plain(&group.task_type),
            tools.len().to_string(),
            list_briefly(&tools),
        ]);
    }
    out.push_str(&table.render());
    out
}

/// The first few names and how many more: a runtime can offer a hundred tools, and a table
/// row must stay readable (the HTML report lists them all).
fn list_briefly(tools: &[String]) -> String {
    const SHOWN: usize = 8;
    match tools.len() {
        0 => "-".to_owned(),
        n if n <= SHOWN => tools.join(", "),
        n => format!("{}, … (+{} more)", tools.get(..SHOWN).unwrap_or_default().join(", "), n - SHOWN),
    }
}

/// "48 sessions, 177 calls (31 blocked, 3 escalated), 2026-03-02 08:23 → 2026-03-06 06:12 UTC"
fn headline(overall: &GroupMetrics, span: Option<Span>) -> String {
    let calls = &overall.calls;
    let mut line = format!(
        "{} sessions, {} calls ({} blocked, {} escalated)",
        overall.sessions, calls.calls, calls.blocked, calls.escalated
    );
    if let Some(span) = span {
        let _ = write!(line, ", {}", span.describe());
    }
    line
}

fn group_cells(group: &GroupMetrics) -> Vec<String> {
    let [ser, success, denial] = economy_cells(&group.economy);
    vec![
        plain(&group.task_type),
        group.sessions.to_string(),
        group.calls.calls.to_string(),
        ser,
        success,
        denial,
        with_count(group.overprovision, |v| format!("{v:.2}x")),
        with_count(group.attack_surface_reduction, percent),
        counted(group.calls.blocked, group.calls.block_rate()),
        counted(group.calls.escalated, group.calls.escalation_rate()),
    ]
}

/// "31 (17.5%)", or "0 (n/a)" without calls.
fn counted(count: usize, rate: Option<f64>) -> String {
    format!("{count} ({})", rate.map_or_else(|| NOT_AVAILABLE.to_owned(), percent))
}

/// Text from a log, safe to print: control characters (escape sequences that could rewrite the
/// terminal) become U+FFFD.
pub(crate) fn plain(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect()
}

/// A table of left-aligned text and right-aligned numbers.
struct Table {
    headers: Vec<String>,
    /// `None` is a separator line.
    rows: Vec<Option<Vec<String>>>,
}

impl Table {
    fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Self { headers: headers.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        self.rows.push(Some(cells.into_iter().collect()));
    }

    fn rule(&mut self) {
        self.rows.push(None);
    }

    fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for cells in self.rows.iter().flatten() {
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = (*width).max(cell.chars().count());
            }
        }
        // A column is numeric, and right-aligned, when every cell starts with a digit or is n/a.
        let numeric: Vec<bool> = (0..widths.len())
            .map(|column| {
                let mut cells = self.rows.iter().flatten().filter_map(|cells| cells.get(column)).peekable();
                cells.peek().is_some()
                    && cells.all(|cell| cell == NOT_AVAILABLE || cell.starts_with(|c: char| c.is_ascii_digit()))
            })
            .collect();
        let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
        let mut out = String::new();
        out.push_str(&line(&self.headers, &widths, &numeric));
        out.push_str(&"-".repeat(total));
        out.push('\n');
        for cells in &self.rows {
            match cells {
                Some(cells) => out.push_str(&line(cells, &widths, &numeric)),
                None => {
                    out.push_str(&"-".repeat(total));
                    out.push('\n');
                }
            }
        }
        out
    }
}

fn line(cells: &[String], widths: &[usize], numeric: &[bool]) -> String {
    let mut out = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if index > 0 {
            out.push_str("  ");
        }
        if numeric.get(index).copied().unwrap_or(false) {
            let _ = write!(out, "{cell:>width$}");
        } else {
            let _ = write!(out, "{cell:<width$}");
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// How many calls reached stage 2: the share the learned classifier decided.
pub(crate) fn stage2_line(calls: &crate::metrics::CallCounts) -> String {
    match calls.calls {
        0 => "Stage 2 (the learned classifier) decided no calls.".to_owned(),
        total => format!(
            "Stage 2 (the learned classifier) decided {} of {total} calls ({:.1}%).",
            calls.stage2,
            100.0 * calls.stage2 as f64 / total as f64
        ),
    }
}
