//! `aethelgard demo`, as a newcomer runs it: every layer built so far on the built-in scenarios,
//! a verified audit log, a tamper check that fails where it should, and an HTML report that a
//! real browser renders.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_aethelgard");

#[path = "../../../../tests/support/browser.rs"]
mod browser;

#[test]
fn the_demo_records_verifies_and_reports_the_scenarios() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-test");
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(BIN).args(["demo", "--out"]).arg(&out).env_remove("AETHELGARD_POLICY").output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("scenarios: 60 sessions, 239 calls"), "{stdout}");
    assert!(stdout.contains("chain intact"), "{stdout}");
    // The tamper check edits one entry of a copy and `verify` must name exactly that entry.
    let tamper = stdout.lines().find(|l| l.starts_with("tamper check")).expect("a tamper line");
    let edited: Vec<&str> = tamper.split_whitespace().map(|w| w.trim_end_matches(':')).filter(|w| w.parse::<u64>().is_ok()).collect();
    assert!(edited.len() >= 2 && edited[0] == edited[1], "{tamper}");
    for file in ["report.md", "report.html", "decisions.jsonl", "audit.db", "learning.html"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## Layer 4") && report.contains("SER") && report.contains("task success"));
    // Layer 2: every method on both held-out splits, over five seeds, with PPO's curve.
    assert!(report.contains("## Layer 2") && report.contains("held-out catalog") && report.contains("| ppo |"), "{report}");
    let learning = std::fs::read_to_string(out.join("learning.html")).unwrap();
    assert!(learning.contains("Content-Security-Policy") && learning.contains("<polyline"));
    // Layer 1 scoped the sessions: the report says what it cost, and the router refused calls to
    // tools outside a manifest.
    assert!(report.contains("## Layer 1") && report.contains("needed but not granted"), "{report}");
    let layer1 = stdout.lines().find(|l| l.starts_with("layer 1:")).expect("a layer 1 line");
    assert!(layer1.contains("of 60 scenario requests classified as labelled"), "{layer1}");
    let log = Command::new(BIN).args(["audit", "log", "--json", "--denied", "--audit-db"]).arg(out.join("audit.db")).output().unwrap();
    assert!(String::from_utf8_lossy(&log.stdout).contains("manifest.not-granted"), "no call was refused as not granted");

    let verify = |db: &str| Command::new(BIN).args(["audit", "verify", "--audit-db"]).arg(out.join(db)).output().unwrap();
    let intact = verify("audit.db");
    assert!(intact.status.success(), "{}", String::from_utf8_lossy(&intact.stdout));
    assert!(String::from_utf8_lossy(&intact.stdout).contains("299 entries"));
    let tampered = verify("audit-tampered.db");
    assert_eq!(tampered.status.code(), Some(1));

    let exported = Command::new(BIN).args(["audit", "export", "--audit-db"]).arg(out.join("audit.db")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&exported.stdout).lines().count(), 60);

    let dom = browser::render_report("the_demo_records_verifies_and_reports_the_scenarios", &out.join("report.html"), &out);
    if let Some(dom) = dom {
        let stopped = report_count(&stdout, "blocked") + report_count(&stdout, "escalated");
        assert_eq!(dom.matches("<span class=\"badge ").count(), stopped);
    }
}

/// The count before `word` in the demo's "scenarios: … calls: N blocked, M escalated" line.
fn report_count(stdout: &str, word: &str) -> usize {
    let line = stdout.lines().find(|l| l.starts_with("scenarios:")).unwrap();
    let before = line.split(&format!(" {word}")).next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}
