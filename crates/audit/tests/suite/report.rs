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
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

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

fn browser_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var("AETHELGARD_E2E").is_ok_and(|v| v == "1")
}

/// Runs Chromium headless with a fresh profile; returns its stdout. Killed after a minute.
fn chromium(out: &Path, extra: &[String], url: &str) -> String {
    let profile = out.join(format!("profile-{}-{}", std::process::id(), extra.len()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let stdout_path = out.join(format!("chromium-{}.out", extra.len()));
    let stderr_path = out.join(format!("chromium-{}.err", extra.len()));
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1400,3000",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s; stderr: {}", std::fs::read_to_string(&stderr_path).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = std::fs::remove_dir_all(&profile);
    assert!(status.success(), "chromium failed ({status}): {}", std::fs::read_to_string(&stderr_path).unwrap_or_default());
    std::fs::read_to_string(&stdout_path).unwrap()
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn html_report_renders_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        let message = format!("{CHROMIUM} is not installed: run `bash scripts/install-browser.sh` (Debian's chromium package)");
        if browser_required() {
            panic!("the HTML report's browser test needs Chromium, and CI or AETHELGARD_E2E=1 is set: {message}");
        }
        eprintln!("\n==================== SKIPPED ====================");
        eprintln!("html_report_renders_in_headless_chromium: {message}");
        eprintln!("=================================================\n");
        return;
    }
    let out: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-test");
    std::fs::create_dir_all(&out).unwrap();
    let report = out.join("report.html");
    std::fs::write(&report, html(&fixture(), &options())).unwrap();
    let url = format!("file://{}", report.canonicalize().unwrap().display());

    let screenshot = out.join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    chromium(&out, &[format!("--screenshot={}", screenshot.display())], &url);
    let png = std::fs::read(&screenshot).expect("chromium wrote no screenshot");
    assert_eq!(png_size(&png), (1400, 3000));
    assert!(png.len() > 100_000, "a {} byte screenshot is too small to hold the report", png.len());

    let dom = chromium(&out, &["--dump-dom".to_owned()], &url);
    std::fs::write(out.join("report.dom.html"), &dom).unwrap();
    let body = dom.split("<body").nth(1).and_then(|rest| rest.split('>').next()).expect("no body in the DOM");
    assert!(body.contains("data-rendered=\"ok\""), "the report's script did not finish: <body{body}>; see #report-errors");
    let errors = dom.split("id=\"report-errors\"").nth(1).expect("no #report-errors");
    let inside = errors.split_once('>').and_then(|(_, rest)| rest.split_once("</div>")).map(|(inside, _)| inside);
    assert_eq!(inside, Some(""), "#report-errors is not empty");
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), 5);
    assert_eq!(dom.matches("<g class=\"cell\"").count(), expected_cells());
    assert_eq!(dom.matches("<span class=\"badge ").count(), expected_stopped_calls());
    // The script moved the chart tooltips into data-tip, and nothing injected ran.
    assert!(!dom.contains("data-rendered=\"pwned\""), "an injected script ran");
    assert!(dom.contains("<title>Aethelgard report: fixture</title>"));
}
