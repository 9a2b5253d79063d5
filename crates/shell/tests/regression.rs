#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Inputs found by fuzzing (`fuzz/`, target `shell_analyze`; see `fuzz/README.md` for how each
//! was found and what causes it). Each must be analysed without a panic, within a time bound, and
//! fail closed: unresolved, or with the dangerous command still visible.
//!
//! Some of these inputs hang or allocate without bound when they regress, so each test runs its
//! body in a child process (this test binary, re-run on that one test) and kills it after a time limit (`tests/support/isolated.rs`):
//! a regression fails its own test instead of stalling or exhausting the whole run.

use aethelgard_shell::{analyze, Analysis, Context, Unresolved};

#[path = "../../../tests/support/isolated.rs"]
mod support;

use support::isolated;

fn run(command: &str) -> Analysis {
    analyze(command, &Context::new("/home/dev/project", "/home/dev"))
}

fn runs_rm(analysis: &Analysis) -> bool {
    analysis.commands.iter().any(|c| c.program == "rm")
}

/// brush-parser 0.4.0 `parser/peg.rs:695` does `w.parse::<i32>().unwrap()` on the digits before a
/// redirection operator, so an fd number above `i32::MAX` panics inside the parser. The analyser's
/// `catch_unwind` around `parse_program` must turn that into an unresolved parse (it does: this
/// one guards the `catch_unwind`).
#[test]
fn fuzz_io_number_overflow_panics_in_parser() {
    isolated("fuzz_io_number_overflow_panics_in_parser", || {
        let analysis = run("6666666666>");
        assert!(analysis.unresolved.iter().any(|u| matches!(u, Unresolved::Parse(_))), "{analysis:?}");
        let analysis = run("rm -rf ~ 99999999999>/tmp/x");
        assert!(!analysis.is_resolved(), "{analysis:?}");
    });
}

/// brush-parser 0.4.0 `word.rs:909` (and `:911` for `~-N`) does `n.parse::<usize>().unwrap()` on
/// the digits of a directory-stack tilde (`~N`, `~+N`, `~-N`), so 20 digits or more panic. Unlike
/// the program parser, `brush_parser::word::parse` (called from `words::resolve`) is not wrapped
/// in `catch_unwind`: the panic escapes `analyze`.
#[test]
fn fuzz_tilde_dirstack_overflow_panics_outside_catch_unwind() {
    isolated("fuzz_tilde_dirstack_overflow_panics_outside_catch_unwind", || {
        for command in ["echo ~99999999999999999999", "echo ~-99999999999999999999", "echo ~+99999999999999999999", "a=~99999999999999999999"] {
            run(command);
        }
        // As found: the `cd` operand is a directory-stack tilde.
        run("cd ~60000000000000000000000000000000000000000000000000000000/000000000000000666d ~/D");
        let analysis = run("rm -rf ~99999999999999999999");
        assert!(!analysis.is_resolved() || runs_rm(&analysis), "{analysis:?}");
    });
}

/// brush-parser 0.4.0's tokenizer loops forever, allocating (about 800 MB/s in a release build),
/// when the input ends while a here-document's body has not started yet (`NextLineIsHereDoc`)
/// and the end tag matches the empty current token: `remove_here_end_tag` succeeds at every
/// end-of-input check and `delimit_current_token` only pushes another pending token. The tag
/// `\f` (or `\r`) does it, because `trim_ascii_start` empties it. Found as an out-of-memory;
/// `<<<<<\f ` found again after the first fix (63815f9), whose scan skips `<<` preceded by `<`.
#[test]
fn fuzz_heredoc_whitespace_tag_at_eof_exhausts_memory() {
    isolated("fuzz_heredoc_whitespace_tag_at_eof_exhausts_memory", || {
        for command in ["<<\x0c ", "cat <<\x0c ", "cat <<-\r\t", "echo `cat <<\x0c `", "echo \"$(cat <<\x0c "] {
            run(command);
        }
        // brush splits a run of `<` greedily into `<<<` here-strings, so five make `<<<` `<<`:
        // a here-document operator right after a `<`.
        for command in ["cat <<<<<\x0c ", "<<<<<\x0c "] {
            run(command);
        }
        for command in ["rm -rf ~ <<\x0c ", "rm -rf ~ <<<<<\x0c "] {
            let analysis = run(command);
            assert!(!analysis.is_resolved() || runs_rm(&analysis), "{analysis:?}");
        }
    });
}

/// The same tokenizer loop, reached with an ordinary tag and an unterminated `$[`, and through
/// a nested construct (`"$(` left open, `<<<<…` as the operator run). Both found by the fuzzer.
#[test]
fn fuzz_heredoc_unterminated_expansion_at_eof_exhausts_memory() {
    isolated("fuzz_heredoc_unterminated_expansion_at_eof_exhausts_memory", || {
        run("<<E$[\t\t");
        let (cu, lt) = ("eval[\"$(cu", "<".repeat(74));
        run(&format!("{cu}{}{lt}{}{cu}{}", " ".repeat(17), " ".repeat(3), " ".repeat(11)));
        let analysis = run("rm -rf ~; cat <<E$[\t\t");
        assert!(!analysis.is_resolved() || runs_rm(&analysis), "{analysis:?}");
    });
}

/// brush-parser 0.4.0's PEG parser backtracks exponentially over unclosed `(` (each may open a
/// subshell or an arithmetic command): about 2x per level, 0.1 s at 22 levels and 1.5 s at 26 in
/// a release build. The analyser's bracket limit (`MAX_NESTING`, 128) lets 46 through. The parse
/// fails in the end, so the result is unresolved.
#[test]
fn fuzz_unclosed_parentheses_take_exponential_time() {
    isolated("fuzz_unclosed_parentheses_take_exponential_time", || {
        for command in [format!("{}fii", "(".repeat(46)), format!("{}rm -rf ~", "( ".repeat(40))] {
            let analysis = run(&command);
            assert!(!analysis.is_resolved(), "{analysis:?}");
        }
    });
}

/// Each command substitution is analysed twice: by `literal_echo` (a fresh `analyze`, whose depth
/// starts again at 0) and by `substitutions`. Nested substitutions therefore cost 2^depth, and
/// neither the depth limit (16) nor the bracket limit (128) bounds it: 20 levels of `echo $(...)`
/// took minutes. Found by reading `walk.rs` and confirmed with the fuzz harness; past the depth
/// limit the result is unresolved.
#[test]
fn fuzz_nested_substitutions_take_exponential_time() {
    isolated("fuzz_nested_substitutions_take_exponential_time", || {
        let mut echo = String::from("rm -rf ~");
        let mut bare = String::from("rm -rf ~");
        for _ in 0..24 {
            echo = format!("echo $({echo})");
            bare = format!("$({bare})");
        }
        for command in [echo, bare] {
            let analysis = run(&command);
            assert!(!analysis.is_resolved(), "{analysis:?}");
        }
    });
}
