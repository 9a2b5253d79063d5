//! Shell command analysis: what a command line would actually run, read the way bash reads it.
//!
//! The rule stage of a safety router cannot match regexes over a raw command string: `r''m -rf ~`,
//! `$'\x72\x6d' -rf ~`, `/bin/rm -rf ~`, `sudo env rm -rf ~` and `bash -c "rm -rf ~"` all delete the
//! home directory and none of them contains `rm -rf ~`. This crate parses the command into a bash
//! AST with `brush-parser`, resolves every word as bash would (quotes spliced, ANSI-C and backslash
//! escapes decoded, `~` and `$HOME` expanded, absolute program paths reduced to their name), and
//! follows what runs inside what: `$(...)` and backticks, `sh|bash|zsh -c STRING`, `eval`,
//! here-strings and here-documents fed to a shell, `xargs`, `find -exec`, and the wrappers `sudo`,
//! `env`, `command`, `nice`, `timeout` and their kin.
//!
//! The result, an [`Analysis`], lists every simple command that could run, with its resolved
//! program and arguments, what feeds its standard input, the files it reads and writes and the
//! hosts it contacts. Anything the analyser cannot resolve statically (a dynamic command name such
//! as `$cmd` or `rm${IFS}-rf`, a script decoded at run time such as `base64 -d | sh`, a parse
//! error, nesting too deep) is recorded in [`Analysis::unresolved`]: the router turns that into an
//! escalation, never a silent allow. This crate decides nothing; it only describes.
//!
//! What it is not: a shell. It runs nothing, reads no files and expands no globs; `~` and `$HOME`
//! are the only expansions, from the [`Context`] the caller gives.

mod analysis;
mod effects;
mod fast;
mod paths;
mod walk;
mod words;
mod wrappers;

pub use analysis::{Access, Analysis, Arg, Command, Context, Origin, Redirect, Unresolved};
pub use paths::{is_within, normalize};

/// Analyses one command line. Never panics and never fails: what cannot be understood is listed
/// in [`Analysis::unresolved`].
pub fn analyze(command: &str, context: &Context) -> Analysis {
    walk::analyze(command, context)
}

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
