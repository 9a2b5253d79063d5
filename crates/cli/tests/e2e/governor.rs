//! Layer 1 end to end: for a summarisation task, `aethelgard export` writes each runtime's own
//! configuration, the REAL runtime runs with it against the scripted model, and what the runtime
//! offered the model must be inside the manifest `aethelgard scope --task-type summarise
//! --runtime <runtime>` prints.
//!
//! "Offered" means every place a runtime names a tool to the model, not only the `tools` array:
//! - Codex: the `tools` array, and what `tool_search` returns (the scripted model calls it with a
//!   query made of every catalog name, so any deferred tool would come back);
//! - Claude Code: the `tools` array, the deferred tools named in a system message, and what
//!   `ToolSearch` returns for `select:<every catalog name>`; once with tool search as the
//!   settings leave it, once with `ENABLE_TOOL_SEARCH=false`;
//! - OpenClaw: the `tools` array and the deferred tools listed in its system prompt.
//!
//! Each runtime is also made to call a tool the task may not use (a write), and the write must not
//! happen; and the AGENTS.md section (`aethelgard export agents-md`) must reach the model.
//! Codex 0.169 has no switch that hides `apply_patch`; there the offered tools may also hold
//! `apply_patch`, and the proof is that its write is refused (a control run without the profile
//! shows the same call does write).

#[path = "governor/claude.rs"]
mod claude;
#[path = "governor/codex.rs"]
mod codex;
#[path = "governor/openclaw.rs"]
mod openclaw;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::harness::{self, Sandbox};

const TASK_TYPE: &str = "summarise";
const TASK: &str = "Summarise README.md in two sentences.";
/// The file each runtime is made to write; it must not exist afterwards.
const FORBIDDEN_FILE: &str = "governor-pwned.txt";
const AGENTS_MD_BEGIN: &str = "<!-- aethelgard:begin -->";
const AGENTS_MD_END: &str = "<!-- aethelgard:end -->";

/// The manifest our CLI prints for the task on one runtime.
struct Manifest {
    granted: BTreeSet<String>,
    denied: BTreeSet<String>,
}

impl Manifest {
    fn all(&self) -> impl Iterator<Item = &String> {
        self.granted.iter().chain(&self.denied)
    }
}

fn aethelgard(sandbox: &Sandbox, args: &[&str], envs: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(harness::aethelgard_bin());
    cmd.args(args)
        .current_dir(&sandbox.work)
        .env("HOME", &sandbox.home)
        .env_remove("AETHELGARD_POLICY")
        .env_remove("CODEX_HOME");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run aethelgard");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`aethelgard {}` failed ({:?}):\n{stdout}\n{stderr}",
        args.join(" "),
        out.status
    );
    if !stderr.trim().is_empty() {
        eprintln!("aethelgard {}: {}", args.join(" "), stderr.trim());
    }
    stdout
}

fn manifest(sandbox: &Sandbox, runtime: &str) -> Manifest {
    let out = aethelgard(
        sandbox,
        &["scope", "--task-type", TASK_TYPE, "--runtime", runtime],
        &[],
    );
    let v: Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("scope printed non-JSON ({e}): {out}"));
    let names = |key: &str| -> BTreeSet<String> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("the manifest has no `{key}` list: {v}"))
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let manifest = Manifest {
        granted: names("granted"),
        denied: names("denied"),
    };
    assert_eq!(v["task_type"], TASK_TYPE, "{v}");
    assert!(
        !manifest.denied.is_empty(),
        "a summarisation task denies nothing on {runtime}? {v}"
    );
    eprintln!("{runtime}: the manifest grants {:?}", manifest.granted);
    manifest
}

/// `aethelgard export TARGET --task-type summarise --file FILE`.
fn export(sandbox: &Sandbox, target: &str, file: &Path, extra: &[&str], envs: &[(&str, &Path)]) {
    let file_arg = file.to_string_lossy();
    let mut args = vec![
        "export",
        target,
        "--task-type",
        TASK_TYPE,
        "--file",
        &file_arg,
    ];
    args.extend_from_slice(extra);
    let out = aethelgard(sandbox, &args, envs);
    assert!(
        file.is_file(),
        "`aethelgard export {target}` did not write {}",
        file.display()
    );
    eprintln!(
        "aethelgard export {target} wrote {}:\n{}{out}",
        file.display(),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

/// Writes `work/AGENTS.md` with `aethelgard export agents-md --runtime RUNTIME` (over a line of
/// the user's own) and returns the text between the section's markers, which the model must
/// receive.
fn export_agents_md(sandbox: &Sandbox, runtime: &str) -> String {
    let path = sandbox.work.join("AGENTS.md");
    std::fs::write(
        &path,
        "# Workspace notes\n\nThis folder holds a README to summarise.\n",
    )
    .expect("write AGENTS.md");
    export(sandbox, "agents-md", &path, &["--runtime", runtime], &[]);
    let text = std::fs::read_to_string(&path).expect("read AGENTS.md");
    let inner = text
        .split_once(AGENTS_MD_BEGIN)
        .and_then(|(_, rest)| rest.split_once(AGENTS_MD_END))
        .map(|(inner, _)| inner.trim())
        .unwrap_or_else(|| {
            panic!(
                "AGENTS.md has no section between {AGENTS_MD_BEGIN} and {AGENTS_MD_END}:\n{text}"
            )
        });
    assert!(
        inner.contains("## "),
        "the AGENTS.md section is empty: {text}"
    );
    assert!(
        text.contains("This folder holds a README"),
        "the export dropped the user's text: {text}"
    );
    inner.to_owned()
}

/// The words of `text` with HTML comments removed and whitespace runs made single spaces: what
/// reaches the model of an AGENTS.md section. (Claude Code 2.1.329 drops HTML comments, the
/// section's markers among them, and blank lines from AGENTS.md before sending it.)
fn model_words(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(rest.get(..start).unwrap_or_default());
        rest = rest
            .get(start..)
            .and_then(|r| {
                r.find("-->")
                    .map(|end| r.get(end + 3..).unwrap_or_default())
            })
            .unwrap_or_default();
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The section reached the model: some text of some request holds all of its words, in order.
fn assert_section_reached(
    runtime: &str,
    section: &str,
    requests: &[Value],
    describe: &dyn Fn() -> String,
) {
    let words = model_words(section);
    assert!(
        words.len() > 40,
        "{runtime}: the AGENTS.md section has almost no words: {section:?}"
    );
    let reached = requests.iter().any(|body| {
        harness::json_strings(body)
            .iter()
            .any(|s| model_words(s).contains(&words))
    });
    assert!(
        reached,
        "{runtime}: the AGENTS.md section did not reach the model; no request text contains:\n{words}\n{}",
        describe()
    );
}

/// Every tool offered (with where it was seen) is in `allowed`; prints what was offered. `hints`
/// name, for a tool, the setting verified to hide it (docs/enforcement.md), for the message.
fn assert_only_allowed(
    runtime: &str,
    offered: &[(String, String)],
    allowed: &BTreeSet<String>,
    manifest: &Manifest,
    hints: &[(&str, &str)],
    describe: &dyn Fn() -> String,
) {
    if let Some(problem) = offered_outside(runtime, offered, allowed, manifest, hints) {
        panic!("{problem}\n{}", describe());
    }
}

/// What [`assert_only_allowed`] checks, as a message when it fails.
fn offered_outside(
    runtime: &str,
    offered: &[(String, String)],
    allowed: &BTreeSet<String>,
    manifest: &Manifest,
    hints: &[(&str, &str)],
) -> Option<String> {
    let names: BTreeSet<&str> = offered.iter().map(|(name, _)| name.as_str()).collect();
    eprintln!("{runtime}: the model was offered {names:?} (allowed: {allowed:?})");
    if names.is_empty() {
        return Some(format!(
            "{runtime}: no tool was offered at all; the capture found nothing"
        ));
    }
    let extra: Vec<String> = names
        .iter()
        .filter(|name| !allowed.contains(**name))
        .map(|name| {
            let status = if manifest.denied.contains(*name) {
                "DENIED by the manifest"
            } else {
                "not in the manifest"
            };
            let places: BTreeSet<&str> = offered
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, place)| place.as_str())
                .collect();
            let hint = hints
                .iter()
                .find(|(tool, _)| tool == name)
                .map(|(_, hint)| format!("; verified to hide it: {hint}"))
                .unwrap_or_default();
            format!("`{name}` ({status}; offered in {places:?}{hint})")
        })
        .collect();
    (!extra.is_empty()).then(|| {
        format!(
            "{runtime}: the exported configuration let the runtime offer tools outside the manifest:\n  {}\n\
             offered: {names:?}\nallowed: {allowed:?}",
            extra.join("\n  ")
        )
    })
}

fn assert_not_written(runtime: &str, sandbox: &Sandbox, describe: &dyn Fn() -> String) {
    let path = sandbox.work.join(FORBIDDEN_FILE);
    assert!(
        !path.exists(),
        "{runtime}: THE WRITE HAPPENED: {} exists although the task may not write\n{}",
        path.display(),
        describe()
    );
}
