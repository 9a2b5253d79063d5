//! The HTML report's charts as inline SVG, drawn here so they show without a script and come out
//! the same for the same data: granted vs used tools per task type (a heat map), the economy trio
//! and overprovision per task type (bars). The timeline of blocks is in `timeline.rs`.
//!
//! Every chart is `<svg class="chart" data-chart="…">`; native `<title>` elements are the
//! tooltips, so they work with the script off too.

use super::markup::{blue_scale, escape, num, palette};
use super::{economy_cells, ECONOMY_HEADERS, NOT_AVAILABLE};
use crate::metrics::{task_type_of, GroupMetrics, Mean, Summary};
use aethelgard_protocol::SessionRecord;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Width of a character of the chart font at 12px, for laying out labels (DejaVu Sans is among
/// the widest fallbacks; over-estimating only adds margin).
const CHAR_PX: f64 = 7.0;
const LABEL_W: f64 = 130.0;

/// In how many sessions of each task type each tool was granted and called.
struct Usage<'a> {
    /// (task type, its session count), sorted by task type.
    types: Vec<(&'a str, usize)>,
    /// Tools, most often granted first.
    tools: Vec<&'a str>,
    /// (task type, tool) → (sessions granted, sessions called).
    cells: BTreeMap<(&'a str, &'a str), (usize, usize)>,
    /// Tools granted but never called that did not fit as columns.
    omitted: usize,
}

/// Columns of the heat map beyond which tools granted but never called are left out (every
/// called tool always has its column).
const MAX_HEATMAP_COLUMNS: usize = 48;

impl<'a> Usage<'a> {
    fn of(sessions: &'a [SessionRecord]) -> Self {
        let mut types: BTreeMap<&str, usize> = BTreeMap::new();
        let mut cells: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
        let mut totals: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for session in sessions {
            let task_type = task_type_of(session);
            *types.entry(task_type).or_default() += 1;
            let granted: BTreeSet<&str> = session.granted_or_available().iter().map(String::as_str).collect();
            let called: BTreeSet<&str> = session.calls.iter().map(|call| call.tool.as_str()).collect();
            for tool in granted.union(&called) {
                let (g, c) = (usize::from(granted.contains(tool)), usize::from(called.contains(tool)));
                let cell = cells.entry((task_type, tool)).or_default();
                *cell = (cell.0 + g, cell.1 + c);
                let total = totals.entry(tool).or_default();
                *total = (total.0 + g, total.1 + c);
            }
        }
        let mut tools: Vec<&str> = totals.keys().copied().collect();
        // Called tools first (most called first), then tools only ever granted: with a runtime's
        // hundred-odd tools the columns that matter come first and the tail can be cut.
        tools.sort_by(|a, b| {
            let (ta, tb) = (totals.get(a).copied().unwrap_or_default(), totals.get(b).copied().unwrap_or_default());
            tb.1.cmp(&ta.1).then(tb.0.cmp(&ta.0)).then(a.cmp(b))
        });
        let called = tools.iter().take_while(|t| totals.get(*t).is_some_and(|(_, c)| *c > 0)).count();
        let keep = called.max(MAX_HEATMAP_COLUMNS);
        let omitted = tools.len().saturating_sub(keep);
        tools.truncate(keep);
        Self { types: types.into_iter().collect(), tools, cells, omitted }
    }
}

/// The heat map: rows task types, columns tools; the cell's colour is the share of the type's
/// sessions that were granted the tool, the dot's area the share that called it. A dark cell
/// without a dot is a tool handed out and never used: overprovisioning at a glance.
pub(super) fn heatmap(sessions: &[SessionRecord]) -> String {
    let usage = Usage::of(sessions);
    let (cell_w, cell_h, max_r) = (46.0, 34.0, 13.0);
    let longest = usage.tools.iter().map(|t| t.chars().count()).max().unwrap_or(0) as f64;
    // Tool names are written at 45°, so they need √½ of their length up and to the right.
    let rise = (longest * CHAR_PX * 0.72 + 14.0).max(40.0);
    let (top, left) = (rise + 8.0, LABEL_W);
    let grid_w = usage.tools.len() as f64 * cell_w;
    let grid_h = usage.types.len() as f64 * cell_h;
    let note_w = if usage.omitted > 0 { 560.0 } else { 0.0 };
    let width = left + grid_w + rise.max(200.0).max(note_w);
    let legend_y = top + grid_h + 28.0;
    let height = legend_y + 54.0;

    let mut svg = open("heatmap", width, height, "Granted and called tools per task type");
    for (column, tool) in usage.tools.iter().enumerate() {
        let x = left + column as f64 * cell_w + cell_w / 2.0;
        let _ = write!(
            svg,
            r#"<text class="tick" x="{x}" y="{y}" transform="rotate(-45 {x} {y})">{name}</text>"#,
            x = num(x),
            y = num(top - 8.0),
            name = escape(tool),
        );
    }
    for (row, (task_type, count)) in usage.types.iter().enumerate() {
        let y = top + row as f64 * cell_h;
        let _ = write!(
            svg,
            r#"<text class="label" x="{x}" y="{ty}" text-anchor="end">{name} <tspan class="muted">({count})</tspan></text>"#,
            x = num(left - 8.0),
            ty = num(y + cell_h / 2.0 + 4.0),
            name = escape(task_type),
        );
        for (column, tool) in usage.tools.iter().enumerate() {
            let (granted, called) = usage.cells.get(&(*task_type, *tool)).copied().unwrap_or_default();
            let (granted_share, called_share) = (share(granted, *count), share(called, *count));
            let x = left + column as f64 * cell_w;
            let tip = format!(
                "{task_type} · {tool}: granted in {granted} of {count} sessions ({}), called in {called} ({})",
                whole_percent(granted_share),
                whole_percent(called_share),
            );
            let _ = write!(
                svg,
                r#"<g class="cell" data-type="{t}" data-tool="{tool}" data-tip="{tip}"><title>{tip}</title><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="3" fill="{fill}"/>"#,
                t = escape(task_type),
                tool = escape(tool),
                tip = escape(&tip),
                x = num(x + 1.0),
                y = num(y + 1.0),
                w = num(cell_w - 2.0),
                h = num(cell_h - 2.0),
                fill = blue_scale(granted_share),
            );
            if called > 0 {
                let _ = write!(
                    svg,
                    r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="{dot}" stroke="#FFFFFF" stroke-width="1"/>"##,
                    cx = num(x + cell_w / 2.0),
                    cy = num(y + cell_h / 2.0),
                    r = num((called_share.sqrt() * max_r).max(2.0)),
                    dot = palette::VERMILLION,
                );
            }
            svg.push_str("</g>");
        }
    }
    // Legend: the colour ramp for granted, three dot sizes for called.
    let _ = write!(
        svg,
        r##"<defs><linearGradient id="heatmap-ramp"><stop offset="0" stop-color="{lo}"/><stop offset="0.5" stop-color="{mid}"/><stop offset="1" stop-color="{hi}"/></linearGradient></defs><text class="legend-title" x="{left}" y="{ly}">granted in % of the type's sessions</text><rect x="{left}" y="{ry}" width="180" height="12" rx="2" fill="url(#heatmap-ramp)" stroke="{grid}"/><text class="tick" x="{left}" y="{ty}">0%</text><text class="tick" x="{mx}" y="{ty}" text-anchor="middle">50%</text><text class="tick" x="{rx}" y="{ty}" text-anchor="end">100%</text>"##,
        lo = blue_scale(0.0),
        mid = blue_scale(0.5),
        hi = blue_scale(1.0),
        grid = palette::GRID,
        left = num(left),
        ly = num(legend_y),
        ry = num(legend_y + 8.0),
        ty = num(legend_y + 34.0),
        mx = num(left + 90.0),
        rx = num(left + 180.0),
    );
    if usage.omitted > 0 {
        let _ = write!(
            svg,
            r#"<text class="tick" x="{}" y="{}">+ {} more tools granted and never called (listed under "Tools never used")</text>"#,
            num(left + grid_w + 8.0),
            num(top + cell_h / 2.0 + 4.0),
            usage.omitted
        );
    }
    let dots_x = left + 240.0;
    let _ = write!(svg, r#"<text class="legend-title" x="{}" y="{}">called in % of the type's sessions</text>"#, num(dots_x), num(legend_y));
    for (index, share) in [0.25_f64, 0.5, 1.0].into_iter().enumerate() {
        let cx = dots_x + 12.0 + index as f64 * 64.0;
        let _ = write!(
            svg,
            r#"<circle cx="{cx}" cy="{cy}" r="{r}" fill="{dot}"/><text class="tick" x="{tx}" y="{ty}">{label}</text>"#,
            cx = num(cx),
            cy = num(legend_y + 16.0),
            r = num(share.sqrt() * max_r),
            dot = palette::VERMILLION,
            tx = num(cx + 15.0),
            ty = num(legend_y + 20.0),
            label = whole_percent(share),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// SER, task success and the required-tool denial rate per task type, one group of three bars
/// per row: SER is never drawn without the two beside it.
pub(super) fn economy(summary: &Summary) -> String {
    let groups = rows(summary);
    let (bar_h, gap, group_gap) = (13.0, 3.0, 16.0);
    let group_h = 3.0 * bar_h + 2.0 * gap;
    let (top, left, plot_w) = (48.0, LABEL_W, 300.0);
    let width = left + plot_w + 150.0;
    let height = top + groups.len() as f64 * (group_h + group_gap) + 8.0;
    let colours = [palette::BLUE, palette::GREEN, palette::VERMILLION];

    let mut svg = open("economy", width, height, "SER, task success and required-tool denial rate per task type");
    let entries: Vec<(&str, &str)> = ECONOMY_HEADERS.into_iter().zip(colours).collect();
    legend(&mut svg, left, 14.0, &entries);
    axis(&mut svg, left, plot_w, top, height - 8.0, &[(0.0, "0"), (0.25, ".25"), (0.5, ".5"), (0.75, ".75"), (1.0, "1")], 1.0);
    for (index, group) in groups.iter().enumerate() {
        let y = top + index as f64 * (group_h + group_gap);
        group_label(&mut svg, group, left, y + group_h / 2.0 + 4.0);
        let values = [group.economy.ser.value, group.economy.task_success.value, group.economy.denial_rate.value];
        let labels = economy_cells(&group.economy);
        for (bar, ((value, label), colour)) in values.iter().zip(&labels).zip(colours).enumerate() {
            let by = y + bar as f64 * (bar_h + gap);
            bar_with_label(&mut svg, left, by, bar_h, value.map(|v| v.clamp(0.0, 1.0) * plot_w), colour, label, &group.task_type);
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Overprovision per task type: granted tools per tool called; the dashed line at 1× is "granted
/// exactly what was used".
pub(super) fn overprovision(summary: &Summary) -> String {
    let highest = rows(summary).iter().filter_map(|g| g.overprovision.value).fold(1.0_f64, f64::max);
    let step = nice_ceiling(highest / 4.0);
    let scale_max = step * (highest / step).ceil();
    let ticks: Vec<(f64, String)> = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|v| *v <= scale_max + 1e-9)
        .map(|v| (v, format!("{}×", num(v))))
        .collect();
    let chart = SingleBars {
        name: "overprovision",
        title: "Overprovision ratio per task type",
        legend: "tools granted ÷ tools called (mean over sessions)",
        colour: palette::ORANGE,
        scale_max,
        ticks,
        reference: Some((1.0, "1× = granted exactly what was called")),
    };
    chart.render(summary, |g| g.overprovision, |v| format!("{v:.2}×"))
}

/// Attack surface reduction per task type: the share of available tools the agent never saw.
pub(super) fn surface(summary: &Summary) -> String {
    let chart = SingleBars {
        name: "surface",
        title: "Attack surface reduction per task type",
        legend: "1 − granted ÷ available (mean over sessions)",
        colour: palette::PURPLE,
        scale_max: 1.0,
        ticks: [0.0, 0.25, 0.5, 0.75, 1.0].into_iter().map(|v| (v, format!("{:.0}%", v * 100.0))).collect(),
        reference: None,
    };
    chart.render(summary, |g| g.attack_surface_reduction, super::percent)
}

/// A bar per task type for one session metric.
struct SingleBars {
    name: &'static str,
    title: &'static str,
    legend: &'static str,
    colour: &'static str,
    scale_max: f64,
    ticks: Vec<(f64, String)>,
    reference: Option<(f64, &'static str)>,
}

impl SingleBars {
    fn render(&self, summary: &Summary, metric: fn(&GroupMetrics) -> Mean, format: fn(f64) -> String) -> String {
        let groups = rows(summary);
        let (bar_h, gap) = (15.0, 9.0);
        let (top, left, plot_w) = (48.0, LABEL_W, 300.0);
        let width = left + plot_w + 150.0;
        let height = top + groups.len() as f64 * (bar_h + gap) + 8.0;
        let tick_refs: Vec<(f64, &str)> = self.ticks.iter().map(|(v, l)| (*v, l.as_str())).collect();

        let mut svg = open(self.name, width, height, self.title);
        legend(&mut svg, left, 14.0, &[(self.legend, self.colour)]);
        axis(&mut svg, left, plot_w, top, height - 8.0, &tick_refs, self.scale_max);
        if let Some((at, note)) = self.reference {
            let _ = write!(
                svg,
                r#"<line x1="{x}" x2="{x}" y1="{y1}" y2="{y2}" stroke="{ink}" stroke-dasharray="4 3" stroke-width="1.2"><title>{note}</title></line>"#,
                x = num(left + at / self.scale_max * plot_w),
                y1 = num(top - 6.0),
                y2 = num(height - 8.0),
                ink = palette::INK,
                note = escape(note),
            );
        }
        for (index, group) in groups.iter().enumerate() {
            let y = top + index as f64 * (bar_h + gap);
            group_label(&mut svg, group, left, y + bar_h / 2.0 + 4.0);
            let mean = metric(group);
            let label = super::with_count(mean, format);
            let length = mean.value.map(|v| v.clamp(0.0, self.scale_max) / self.scale_max * plot_w);
            bar_with_label(&mut svg, left, y, bar_h, length, self.colour, &label, &group.task_type);
        }
        svg.push_str("</svg>");
        svg
    }
}

/// The task types, then the overall row.
fn rows(summary: &Summary) -> Vec<&GroupMetrics> {
    summary.task_types.iter().chain(std::iter::once(&summary.overall)).collect()
}

/// `<svg class="chart" …>` with an accessible title.
pub(super) fn open(name: &str, width: f64, height: f64, title: &str) -> String {
    format!(
        r#"<svg class="chart" data-chart="{name}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{title}"><title>{title}</title>"#,
        w = num(width),
        h = num(height),
        title = escape(title),
    )
}

/// A row of colour swatches with names.
pub(super) fn legend(svg: &mut String, x: f64, y: f64, entries: &[(&str, &str)]) {
    let mut at = x;
    for (name, colour) in entries {
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{ry}" width="12" height="12" rx="2" fill="{colour}" stroke="{ink}" stroke-opacity="0.25"/><text class="legend" x="{tx}" y="{ty}">{name}</text>"#,
            x = num(at),
            ry = num(y - 10.0),
            tx = num(at + 17.0),
            ty = num(y),
            name = escape(name),
            ink = palette::INK,
        );
        at += 17.0 + name.chars().count() as f64 * CHAR_PX + 22.0;
    }
}

/// Vertical grid lines with their labels above the plot.
fn axis(svg: &mut String, left: f64, plot_w: f64, top: f64, bottom: f64, ticks: &[(f64, &str)], max: f64) {
    for (value, label) in ticks {
        let x = left + value / max * plot_w;
        let _ = write!(
            svg,
            r#"<line x1="{x}" x2="{x}" y1="{y1}" y2="{y2}" stroke="{grid}"/><text class="tick" x="{x}" y="{ty}" text-anchor="middle">{label}</text>"#,
            x = num(x),
            y1 = num(top - 6.0),
            y2 = num(bottom),
            grid = palette::GRID,
            ty = num(top - 12.0),
            label = escape(label),
        );
    }
}

fn group_label(svg: &mut String, group: &GroupMetrics, left: f64, y: f64) {
    let class = if group.task_type == crate::metrics::OVERALL { "label strong" } else { "label" };
    let _ = write!(
        svg,
        r#"<text class="{class}" x="{x}" y="{y}" text-anchor="end">{name}</text>"#,
        x = num(left - 10.0),
        y = num(y),
        name = escape(&group.task_type),
    );
}

/// A horizontal bar with its value written after it; an undefined value shows "n/a" and no bar.
#[allow(clippy::too_many_arguments)]
fn bar_with_label(svg: &mut String, x: f64, y: f64, h: f64, length: Option<f64>, colour: &str, label: &str, task_type: &str) {
    let length = length.unwrap_or(0.0).max(0.0);
    let tip = format!("{task_type}: {label}");
    if label != NOT_AVAILABLE {
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{x}" y="{y}" width="{w}" height="{h}" rx="2" fill="{colour}" data-tip="{tip}"><title>{tip}</title></rect>"#,
            x = num(x),
            y = num(y),
            w = num(length.max(1.5)),
            h = num(h),
            tip = escape(&tip),
        );
    }
    let _ = write!(
        svg,
        r#"<text class="value" x="{x}" y="{y}">{label}</text>"#,
        x = num(x + length + 6.0),
        y = num(y + h - 2.5),
        label = escape(label),
    );
}

/// 1, 2, 2.5, 5 or 10 times a power of ten, at or above `value`.
pub(super) fn nice_ceiling(value: f64) -> f64 {
    if !(value.is_finite() && value > 0.0) {
        return 1.0;
    }
    let power = 10_f64.powf(value.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|step| step * power).find(|candidate| *candidate >= value).unwrap_or(10.0 * power)
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

fn whole_percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}
