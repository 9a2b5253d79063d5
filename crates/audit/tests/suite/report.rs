//! The reports over the fixed session set: the terminal summary as a snapshot, the HTML's
//! structure, and the HTML rendered by a real headless Chromium, screenshotted and its DOM read
//! back after the script ran.
//!
//! Chromium is Debian's (`/usr/bin/chromium`, `bash scripts/install-browser.sh`). Without it the
//! browser test prints a loud SKIPPED notice and passes, unless `CI` is set or `AETHELGARD_E2E=1`,
//! where it fails. The screenshot stays at `target/tmp/report-test/report.png` for a person to
//! look at.

use super::metrics::fixture;
use aethelgard_audit::metrics::task_type_of;
use aethelgard_audit::report::{html, terminal, Options};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn options() -> Options {
    Options { title: "Aethelgard report: fixture".into(), ..Options::default() }
}

#[test]
fn terminal_summary_of_the_fixture() {
    insta::assert_snapshot!(terminal(&fixture(), &options()));
}

/// The heat map has one cell per task type and tool granted or called in the data.
fn expected_cells() -> usize {
    let sessions = fixture();
    let types: BTreeSet<&str> = sessions.iter().map(task_type_of).collect();
    let tools: BTreeSet<&str> = sessions
        .iter()
        .flat_map(|s| s.granted_or_available().iter().map(String::as_str).chain(s.calls.iter().map(|c| c.tool.as_str())))
        .collect();
    types.len() * tools.len()
}

fn expected_stopped_calls() -> usize {
    fixture().iter().flat_map(|s| &s.calls).filter(|c| matches!(c.decision, Some(d) if d.as_str() != "allow")).count()
}

#[path = "../../../../tests/support/browser.rs"]
mod browser;

#[test]
fn html_structure_of_the_fixture() {
    let page = html(&fixture(), &options());
    for chart in ["heatmap", "economy", "overprovision", "surface", "timeline"] {
        assert_eq!(page.matches(&format!("data-chart=\"{chart}\"")).count(), 1, "{chart}");
    }
    assert_eq!(page.matches("<g class=\"cell\"").count(), expected_cells());
    assert!(page.matches("<rect class=\"bar\" data-rule=").count() > 0);
    assert_eq!(page.matches("<span class=\"badge ").count(), expected_stopped_calls());
    // The fixture's injection attempts are on the page as text only.
    assert!(page.contains("&lt;script&gt;document.body.dataset.rendered=&#39;pwned&#39;&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror="));
    assert!(!page.contains("<img"));
    assert_eq!(page.matches("<script").count(), 1);
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let out: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-test");
    std::fs::create_dir_all(&out).unwrap();
    let report = out.join("report.html");
    std::fs::write(&report, html(&fixture(), &options())).unwrap();
    let Some(dom) = browser::render_report("html_report_renders_in_headless_chromium", &report, &out) else { return };
    assert_eq!(dom.matches("<g class=\"cell\"").count(), expected_cells());
    assert_eq!(dom.matches("<span class=\"badge ").count(), expected_stopped_calls());
    // Nothing injected ran.
    assert!(!dom.contains("data-rendered=\"pwned\""), "an injected script ran");
    assert!(dom.contains("<title>Aethelgard report: fixture</title>"));
}
