//! Renders an HTML report in Debian's headless Chromium (`/usr/bin/chromium`, installed by
//! `scripts/install-browser.sh`): a screenshot, then the DOM after the report's script ran.
//! Shared by the report tests of `aethelgard-audit` and the demo test of `aethelgard-cli`, which
//! include this file with `#[path]`.
//!
//! Without Chromium a test prints a loud SKIPPED notice and passes, unless `CI` is set or
//! `AETHELGARD_E2E=1`, where it fails.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

pub fn browser_required() -> bool {
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

/// Screenshots `report` into `out/<stem>.png` and reads back its DOM, asserting what every report
/// must show: a full-size screenshot, the script finished (`data-rendered="ok"`), no script errors
/// in `#report-errors`, and all five charts. Returns the DOM, or `None` when the test was skipped.
pub fn render_report(test: &str, report: &Path, out: &Path) -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        let message = format!("{CHROMIUM} is not installed: run `bash scripts/install-browser.sh` (Debian's chromium package)");
        if browser_required() {
            panic!("{test} needs Chromium, and CI or AETHELGARD_E2E=1 is set: {message}");
        }
        eprintln!("\n==================== SKIPPED ====================");
        eprintln!("{test}: {message}");
        eprintln!("=================================================\n");
        return None;
    }
    let url = format!("file://{}", report.canonicalize().unwrap().display());
    let stem = report.file_stem().and_then(|s| s.to_str()).unwrap_or("report");
    let screenshot = out.join(format!("{stem}.png"));
    let _ = std::fs::remove_file(&screenshot);
    chromium(out, &[format!("--screenshot={}", screenshot.display())], &url);
    let png = std::fs::read(&screenshot).expect("chromium wrote no screenshot");
    assert_eq!(png_size(&png), (1400, 3000));
    assert!(png.len() > 100_000, "a {} byte screenshot is too small to hold the report", png.len());

    let dom = chromium(out, &["--dump-dom".to_owned()], &url);
    std::fs::write(out.join(format!("{stem}.dom.html")), &dom).unwrap();
    let body = dom.split("<body").nth(1).and_then(|rest| rest.split('>').next()).expect("no body in the DOM");
    assert!(body.contains("data-rendered=\"ok\""), "the report's script did not finish: <body{body}>; see #report-errors");
    let errors = dom.split("id=\"report-errors\"").nth(1).expect("no #report-errors");
    let inside = errors.split_once('>').and_then(|(_, rest)| rest.split_once("</div>")).map(|(inside, _)| inside);
    assert_eq!(inside, Some(""), "#report-errors is not empty");
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), 5);
    Some(dom)
}
