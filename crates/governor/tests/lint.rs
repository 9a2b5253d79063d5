//! `aethelgard lint` over the fixtures in tests/fixtures/lint: every planted problem found, nothing
//! raised on the good configurations, files that do not parse reported with their location, and
//! SARIF that validates against the official SARIF 2.1.0 schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_governor::lint::{self, Kind, Severity, SourceFile, catalog::RULES};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/lint")
}

/// Every file below `dir` whose name a runtime uses, relative to the fixtures folder.
fn known_files(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            known_files(&path, out);
        } else if Kind::in_folder(&path, &std::fs::read_to_string(&path).unwrap()).is_some() || path.starts_with(fixtures().join("broken")) {
            out.push(path.strip_prefix(fixtures()).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

fn source(relative: &str) -> SourceFile {
    let path = fixtures().join(relative);
    SourceFile { path: relative.to_owned(), kind: Kind::from_name(&path).unwrap(), text: std::fs::read_to_string(&path).unwrap() }
}

struct Expected {
    files: BTreeMap<String, BTreeSet<String>>,
    broken: BTreeMap<String, String>,
}

fn expected() -> Expected {
    let text = std::fs::read_to_string(fixtures().join("expected.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let files = doc["files"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(file, ids)| (file.clone(), ids.as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_owned()).collect()))
        .collect();
    let broken = doc["broken"].as_table().unwrap().iter().map(|(file, at)| (file.clone(), at.as_str().unwrap().to_owned())).collect();
    Expected { files, broken }
}

/// All good and bad fixtures, linted in one run as a folder lint would.
fn lint_all() -> (Vec<String>, lint::Report) {
    let mut all = Vec::new();
    known_files(&fixtures(), &mut all);
    let good_and_bad: Vec<String> = all.into_iter().filter(|f| !f.starts_with("broken/")).collect();
    let sources: Vec<SourceFile> = good_and_bad.iter().map(|f| source(f)).collect();
    (good_and_bad, lint::lint_files(&sources))
}

#[test]
fn every_planted_problem_is_found_and_nothing_is_raised_on_good_configurations() {
    let expected = expected();
    let (files, report) = lint_all();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(files.len() + expected.broken.len() >= 20, "only {} fixtures", files.len());
    let listed: BTreeSet<&String> = expected.files.keys().collect();
    let present: BTreeSet<&String> = files.iter().collect();
    assert_eq!(listed, present, "expected.toml and the fixture files differ");

    let mut problems = Vec::new();
    for (file, want) in &expected.files {
        let got: BTreeSet<String> = report.findings.iter().filter(|f| &f.location.file == file).map(|f| f.id.to_owned()).collect();
        if &got != want {
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(want).collect();
            problems.push(format!("{file}: missing {missing:?}, unexpected {extra:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let good = expected.files.values().filter(|ids| ids.is_empty()).count();
    assert!(good >= 8, "only {good} good fixtures");
}

#[test]
fn every_rule_is_planted_in_some_fixture() {
    let expected = expected();
    let planted: BTreeSet<&str> = expected.files.values().flatten().map(String::as_str).collect();
    let unplanted: Vec<&str> = RULES.iter().map(|r| r.id).filter(|id| !planted.contains(id)).collect();
    assert!(unplanted.is_empty(), "rules no fixture triggers: {unplanted:?}");
}

#[test]
fn findings_carry_their_rule_and_a_location_inside_the_file() {
    let (_, report) = lint_all();
    for finding in &report.findings {
        let rule = lint::catalog::rule_by_id(finding.id).unwrap();
        assert_eq!((finding.severity, finding.why, finding.fix), (rule.severity, rule.why, rule.fix));
        let text = std::fs::read_to_string(fixtures().join(&finding.location.file)).unwrap();
        let line = text.lines().nth(finding.location.line - 1).unwrap_or_else(|| panic!("{finding:?}: no such line"));
        assert!(finding.location.column <= line.chars().count().max(1), "{finding:?}: column past the line");
    }
}

#[test]
fn files_that_do_not_parse_fail_with_file_line_and_column() {
    for (file, at) in expected().broken {
        let source = source(&file);
        let failure = lint::lint_text(source.kind, &file, &source.text).unwrap_err();
        assert_eq!(format!("{}:{}", failure.line, failure.column), at, "{failure}");
        assert!(failure.to_string().starts_with(&format!("{file}:{at}: cannot parse ")), "{failure}");
    }
}

#[test]
fn locations_point_at_the_offending_key() {
    let findings = lint::lint_text(Kind::CodexConfig, "c.config.toml", "# profile\n\n[mcp_servers.docs]\nurl = \"https://x/mcp\"\n").unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!((findings[0].id, findings[0].location.line, findings[0].location.column), ("codex/mcp-no-tool-allowlist", 3, 14));

    let json5 = "// c\n{\n  tools: {\n    allow: ['read', \"*\"],\n  },\n  plugins: { entries: { aethelgard: {} } },\n}\n";
    let findings = lint::lint_text(Kind::OpenClaw, "openclaw.json", json5).unwrap();
    let wildcard = findings.iter().find(|f| f.id == "openclaw/wildcard-allow").unwrap();
    assert_eq!((wildcard.location.line, wildcard.location.column), (4, 21));
}

#[test]
fn a_hook_trusted_by_the_installer_is_trusted_and_an_edited_one_is_stale() {
    let command = "/usr/local/bin/aethelgard hook codex";
    let hash = aethelgard_governor::export::codex::hooks::trusted_hash(command);
    let hooks = |timeout: u32| {
        format!(r#"{{"hooks":{{"PreToolUse":[{{"matcher":"*","hooks":[{{"type":"command","command":"{command}","timeout":{timeout}}}]}}]}}}}"#)
    };
    let config = format!(
        "approval_policy = \"on-request\"\n[shell_environment_policy]\ninherit = \"core\"\n[hooks.state.\"/h/hooks.json:pre_tool_use:0:0\"]\ntrusted_hash = \"{hash}\"\n"
    );
    let run = |timeout| {
        let files = [
            SourceFile { path: "home/config.toml".into(), kind: Kind::CodexConfig, text: config.clone() },
            SourceFile { path: "home/hooks.json".into(), kind: Kind::CodexHooks, text: hooks(timeout) },
        ];
        lint::lint_files(&files).findings.iter().map(|f| f.id).collect::<Vec<_>>()
    };
    assert_eq!(run(aethelgard_governor::export::codex::hooks::TIMEOUT_S as u32), Vec::<&str>::new());
    assert_eq!(run(5), vec!["codex/hook-trust-stale"]);
}

#[test]
fn claude_matchers_are_read_as_claude_code_reads_them() {
    let settings = |matcher: &str| {
        format!(
            r#"{{"permissions":{{"deny":["Read(./.env)","Read(~/.ssh/**)","Read(~/.aws/**)"]}},"hooks":{{"PreToolUse":[{{"matcher":"{matcher}","hooks":[{{"type":"command","command":"gov"}}]}}]}}}}"#
        )
    };
    let ids = |matcher: &str| lint::lint_text(Kind::ClaudeSettings, "settings.json", &settings(matcher)).unwrap().iter().map(|f| f.id).collect::<Vec<_>>();
    assert!(ids("*").is_empty());
    assert!(ids("").is_empty());
    assert!(ids("Bash|Edit|Write|WebFetch|mcp__.*").is_empty());
    // A plain name is exact; `mcp__server` alone matches no tool.
    assert_eq!(ids("Bash|Edit|Write|WebFetch|mcp__server"), vec!["claude/hook-matcher-misses-tools"]);
    assert_eq!(ids("Bash"), vec!["claude/hook-matcher-misses-tools"]);
}

#[test]
fn rules_files_parse_starlark_strings_comments_and_assignments() {
    let text = "# c\nSAFE = [\"git\", \"status\"]\nprefix_rule(\n  pattern = ['bash'],  # any\n  justification = \"\"\"multi\nline\"\"\",\n)\n";
    let findings = lint::lint_text(Kind::CodexRules, "a.rules", text).unwrap();
    assert_eq!(findings.iter().map(|f| (f.id, f.location.line)).collect::<Vec<_>>(), vec![("codex-rules/allow-shell-or-interpreter", 3)]);
}

#[test]
fn fail_on_thresholds() {
    let (_, report) = lint_all();
    assert!(lint::fails(&report.findings, Severity::Error));
    let notes_only: Vec<_> = report.findings.iter().filter(|f| f.severity == Severity::Note).cloned().collect();
    assert!(!notes_only.is_empty());
    assert!(!lint::fails(&notes_only, Severity::Warning));
    assert!(lint::fails(&notes_only, Severity::Note));
}

#[test]
fn sarif_validates_against_the_official_sarif_2_1_0_schema() {
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/sarif-schema-2.1.0.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let (_, report) = lint_all();
    let broken: Vec<SourceFile> = expected().broken.keys().map(|f| source(f)).collect();
    let failures = lint::lint_files(&broken).failures;
    assert_eq!(failures.len(), broken.len());
    for sarif in [lint::sarif::to_sarif(&report.findings, &[]), lint::sarif::to_sarif(&report.findings, &failures), lint::sarif::to_sarif(&[], &[])] {
        let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
    // The schema catches a broken log (so the check above is not vacuous).
    let mut bad = lint::sarif::to_sarif(&report.findings, &[]);
    bad["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&bad));

    let sarif = lint::sarif::to_sarif(&report.findings, &[]);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), RULES.len());
    for rule in rules {
        for key in ["id", "shortDescription", "fullDescription", "help", "defaultConfiguration"] {
            assert!(rule.get(key).is_some(), "rule without {key}: {rule}");
        }
    }
    let result = &sarif["runs"][0]["results"][0];
    assert!(result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap() >= 1);
}

#[test]
fn snapshot_of_one_bad_file_in_text_and_sarif() {
    let file = "tests/fixtures/lint/claude/bad-user/settings.json";
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    let findings = lint::lint_text(Kind::ClaudeSettings, file, &text).unwrap();
    insta::assert_snapshot!("bad_claude_settings_text", lint::text::render(&findings, &[], 1));
    let mut sarif = lint::sarif::to_sarif(&findings, &[]);
    // Only the rules the file breaks, to keep the snapshot readable; the full list is checked above.
    let used: BTreeSet<&str> = findings.iter().map(|f| f.id).collect();
    let driver = &mut sarif["runs"][0]["tool"]["driver"];
    driver["rules"] = serde_json::Value::Array(driver["rules"].as_array().unwrap().iter().filter(|r| used.contains(r["id"].as_str().unwrap())).cloned().collect());
    for result in sarif["runs"][0]["results"].as_array_mut().unwrap() {
        result.as_object_mut().unwrap().remove("ruleIndex");
    }
    insta::assert_json_snapshot!("bad_claude_settings_sarif", sarif);
}

#[test]
fn every_rule_is_documented() {
    let docs = std::fs::read_to_string(repo().join("docs/lint.md")).unwrap();
    for rule in RULES {
        let heading = format!("### `{}`", rule.id);
        let at = docs.find(&heading).unwrap_or_else(|| panic!("docs/lint.md has no heading {heading}"));
        let section = &docs[at..];
        let section = &section[..section[heading.len()..].find("\n### ").map_or(section.len(), |i| i + heading.len())];
        assert!(section.contains(&format!("Severity: {}", rule.severity)), "{}: severity not documented as {}", rule.id, rule.severity);
    }
}

#[test]
fn truncated_and_garbled_files_are_reported_never_a_panic() {
    let mut all = Vec::new();
    known_files(&fixtures(), &mut all);
    for file in all {
        let source = source(&file);
        let cuts: Vec<usize> = source.text.char_indices().map(|(i, _)| i).collect();
        for &cut in &cuts {
            let text = &source.text[..cut];
            let _ = lint::lint_text(source.kind, &file, text);
            let garbled: String = text.chars().rev().collect();
            let _ = lint::lint_text(source.kind, &file, &garbled);
        }
    }
}

#[test]
fn kinds_are_told_from_names_and_from_content() {
    let kind = |name: &str, text: &str| Kind::detect(Path::new(name), text);
    assert_eq!(kind("/home/u/.codex/config.toml", ""), Some(Kind::CodexConfig));
    assert_eq!(kind("/home/u/.codex/work.config.toml", ""), Some(Kind::CodexConfig));
    assert_eq!(kind("/home/u/.codex/rules/default.rules", ""), Some(Kind::CodexRules));
    assert_eq!(kind("/etc/claude-code/managed-settings.d/10-team.json", "{}"), Some(Kind::ClaudeSettings));
    assert_eq!(kind("claude-settings-backup.json", r#"{"permissions":{"allow":[]}}"#), Some(Kind::ClaudeSettings));
    assert_eq!(kind("openclaw.prod.json5", "{ tools: { profile: 'coding' } }"), Some(Kind::OpenClaw));
    assert_eq!(kind("codex-ci.toml", "sandbox_mode = \"read-only\""), Some(Kind::CodexConfig));
    assert_eq!(kind("Cargo.toml", "[package]\nname = \"x\""), None);
    assert_eq!(kind("package.json", r#"{"name":"x"}"#), None);

    // A folder walk passes by generic names that are not the runtime's.
    let walk = |name: &str, text: &str| Kind::in_folder(Path::new(name), text);
    assert_eq!(walk("repo/.cargo/config.toml", "[build]\ntarget-dir = \"t\"\n"), None);
    assert_eq!(walk("repo/.vscode/settings.json", r#"{"editor.tabSize": 2}"#), None);
    assert_eq!(walk("repo/plugin/hooks/hooks.json", r#"{"hooks":{}}"#), None);
    assert_eq!(walk("repo/udev/99-usb.rules", "SUBSYSTEM==\"usb\", MODE=\"0666\""), None);
    assert_eq!(walk("repo/.codex/config.toml", "model = \"x\""), Some(Kind::CodexConfig));
    assert_eq!(walk("home/.codex/rules/default.rules", ""), Some(Kind::CodexRules));
    assert_eq!(walk("repo/.claude/settings.local.json", "{}"), Some(Kind::ClaudeSettings));
    assert_eq!(walk("ci/codex-home/config.toml", "approval_policy = \"never\""), Some(Kind::CodexConfig));
}
