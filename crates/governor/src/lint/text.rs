//! The human-readable report: findings grouped by file, each with why and how to fix.
//! Files that did not parse are counted here; the CLI prints their errors on stderr.

use super::{Finding, ParseFailure, Severity};
use std::fmt::Write as _;

/// The text report of one lint run (`files` = how many files were linted).
pub fn render(findings: &[Finding], failures: &[ParseFailure], files: usize) -> String {
    let mut out = String::new();
    let mut current: Option<&str> = None;
    for f in findings {
        if current != Some(f.location.file.as_str()) {
            if current.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", f.location.file);
            current = Some(&f.location.file);
        }
        let _ = writeln!(out, "  {}:{}  {}  {}", f.location.line, f.location.column, f.severity, f.id);
        let _ = writeln!(out, "      {}", f.message);
        let _ = writeln!(out, "      why: {}", f.why);
        let _ = writeln!(out, "      fix: {}", f.fix);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, word: &str| if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") };
    let _ = write!(
        out,
        "{} in {}: {}, {}, {}",
        plural(findings.len(), "finding"),
        plural(files, "file"),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Note), "note"),
    );
    if !failures.is_empty() {
        // The parse errors themselves go to stderr, one line each with file, line and column.
        let _ = write!(out, "; {} could not be parsed", plural(failures.len(), "file"));
    }
    out.push('\n');
    out
}
