//! `aethelgard lint` as a user and a CI job drive it: exit codes per `--fail-on`, files that do
//! not parse, folders, and each output format.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_aethelgard");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/lint")
}

fn lint(args: &[&str], paths: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("lint").args(args).current_dir(fixtures());
    cmd.args(paths);
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn fail_on_sets_the_exit_status() {
    // partial-env.config.toml has one note and nothing else.
    let note_only = ["codex/partial-env.config.toml"];
    assert_eq!(lint(&[], &note_only).status.code(), Some(0));
    assert_eq!(lint(&["--fail-on", "warning"], &note_only).status.code(), Some(0));
    assert_eq!(lint(&["--fail-on", "note"], &note_only).status.code(), Some(1));

    // permissions.config.toml: an error and warnings.
    let with_error = ["codex/permissions.config.toml"];
    assert_eq!(lint(&[], &with_error).status.code(), Some(1));
    assert_eq!(lint(&["--fail-on", "error"], &with_error).status.code(), Some(1));
    assert_eq!(lint(&["--fail-on", "never"], &with_error).status.code(), Some(0));

    // no-hook-home: warnings only.
    let warnings = ["codex/no-hook-home/config.toml"];
    assert_eq!(lint(&[], &warnings).status.code(), Some(0));
    assert_eq!(lint(&["--fail-on", "warning"], &warnings).status.code(), Some(1));

    let good = lint(&["--fail-on", "note"], &["codex/good-home", "claude/good-project", "openclaw/good/openclaw.json"]);
    assert_eq!(good.status.code(), Some(0), "{}", stdout(&good));
    assert!(stdout(&good).starts_with("0 findings in 6 files"), "{}", stdout(&good));
}

#[test]
fn a_file_that_does_not_parse_exits_2_naming_file_line_and_column() {
    let out = lint(&[], &["broken/config.toml", "codex/yolo.config.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("broken/config.toml:3:30: cannot parse codex config: invalid basic string"), "{err}");
    // The other file is still linted and reported.
    assert!(stdout(&out).contains("codex/full-access-no-approval"), "{}", stdout(&out));

    let out = lint(&["--fail-on", "never"], &["broken/openclaw.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken/openclaw.json:6:1: cannot parse openclaw config"), "{}", stderr(&out));
    let out = lint(&[], &["broken/default.rules"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken/default.rules:5:1: cannot parse codex rules: expected `)`"), "{}", stderr(&out));
}

#[test]
fn unreadable_and_unknown_files_are_usage_errors() {
    let out = lint(&[], &["no/such/settings.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read no/such/settings.json"), "{}", stderr(&out));

    let out = lint(&[], &["README.md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("README.md: not a configuration"), "{}", stderr(&out));

    let out = lint(&["--fail-on", "sometimes"], &["codex/yolo.config.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_folder_is_linted_as_the_runtime_merges_it() {
    let out = lint(&["--format", "json"], &["codex/bad-home"]);
    assert_eq!(out.status.code(), Some(1));
    let findings: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let files: std::collections::BTreeSet<&str> = findings.as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files.into_iter().collect::<Vec<_>>(), vec!["codex/bad-home/config.toml", "codex/bad-home/rules/default.rules"]);
    let first = &findings[0];
    for key in ["id", "severity", "file", "line", "column", "message", "why", "fix"] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
}

#[test]
fn text_groups_by_file_with_why_and_fix() {
    let out = lint(&[], &["openclaw/yolo/openclaw.json"]);
    let text = stdout(&out);
    assert!(text.starts_with("openclaw/yolo/openclaw.json\n  4:3  warning  openclaw/secrets-readable\n"), "{text}");
    assert!(text.contains("      why: ") && text.contains("      fix: "), "{text}");
    assert!(text.trim_end().ends_with("8 findings in 1 file: 3 errors, 5 warnings, 0 notes"), "{text}");
}

#[test]
fn sarif_goes_to_the_output_file() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lint-sarif");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("out.sarif");
    let out = lint(&["--format", "sarif", "--fail-on", "never", "--output", file.to_str().unwrap()], &["claude/bad-user/settings.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let sarif: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 13);
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "claude/bad-user/settings.json");
}

#[test]
fn help_shows_examples() {
    let out = Command::new(BIN).args(["lint", "--help"]).output().unwrap();
    let help = stdout(&out);
    assert!(help.contains("Examples:") && help.contains("--fail-on") && help.contains("docs/lint.md"), "{help}");
}
