#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Inputs found by fuzzing (`fuzz/`, target `shell_analyze`): each must be analysed without a
//! panic, within a time bound, and fail closed (unresolved, or with the dangerous command still
//! visible). See `fuzz/README.md` for how each was found and what caused it.

use aethelgard_shell::{analyze, Analysis, Context, Unresolved};
use std::sync::mpsc;
use std::time::Duration;

/// Far above what any of these inputs needs once handled (milliseconds, even unoptimised), far
/// below what the hook's runtime would wait.
const LIMIT: Duration = Duration::from_secs(5);

fn context() -> Context {
    Context::new("/home/dev/project", "/home/dev")
}

/// Analyses on another thread so that a hang fails the test instead of stalling the suite.
fn analyze_within(command: &str) -> Analysis {
    let (sender, receiver) = mpsc::channel();
    let owned = command.to_owned();
    std::thread::spawn(move || {
        let _ = sender.send(analyze(&owned, &context()));
    });
    match receiver.recv_timeout(LIMIT) {
        Ok(analysis) => analysis,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("analyze did not return within {LIMIT:?} for {command:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("analyze panicked on {command:?}"),
    }
}

fn runs_rm(analysis: &Analysis) -> bool {
    analysis.commands.iter().any(|c| c.program == "rm")
}

/// brush-parser 0.4.0 `parser/peg.rs:695` does `w.parse::<i32>().unwrap()` on the digits before a
/// redirection operator, so an fd number above `i32::MAX` panics inside the parser. The analyser's
/// `catch_unwind` must turn that into an unresolved parse.
#[test]
fn fuzz_io_number_overflow_panics_in_parser() {
    let analysis = analyze_within("6666666666>");
    assert!(!analysis.is_resolved(), "{analysis:?}");
    assert!(analysis.unresolved.iter().any(|u| matches!(u, Unresolved::Parse(_))), "{analysis:?}");

    let analysis = analyze_within("rm -rf ~ 99999999999>/tmp/x");
    assert!(!analysis.is_resolved(), "{analysis:?}");
}

/// brush-parser 0.4.0's tokenizer loops forever, allocating, when the input ends while a
/// here-document's body has not started and the end tag is empty once `trim_ascii_start` has
/// removed a form feed or carriage return (`<<\f `): `remove_here_end_tag` matches the empty tag
/// against the empty current token at every end-of-input check and pushes another pending token.
/// Found as an out-of-memory (2 GB in seconds).
#[test]
fn fuzz_heredoc_whitespace_tag_at_eof_exhausts_memory() {
    for command in ["<<\x0c ", "cat <<\x0c ", "cat <<-\r\t", "echo `cat <<\x0c `", "echo \"$(cat <<\x0c "] {
        analyze_within(command);
    }
    let analysis = analyze_within("rm -rf ~ <<\x0c ");
    assert!(!analysis.is_resolved() || runs_rm(&analysis), "{analysis:?}");
}

/// The same tokenizer loop reached with an ordinary tag and an unterminated `$[` expansion.
#[test]
fn fuzz_heredoc_unterminated_expansion_at_eof_exhausts_memory() {
    analyze_within("<<E$[\t\t");
    let analysis = analyze_within("rm -rf ~; cat <<E$[\t\t");
    assert!(!analysis.is_resolved() || runs_rm(&analysis), "{analysis:?}");
}

/// Each command substitution is analysed twice: once by `literal_echo` (a fresh `analyze`, whose
/// depth starts again at 0) and once by `substitutions`. Nested substitutions therefore cost
/// 2^depth, and the nesting limit (128 brackets) does not bound it: 20 levels of
/// `echo $(...)` took minutes. The depth limit (16) means the result is unresolved.
#[test]
fn fuzz_nested_substitutions_take_exponential_time() {
    let mut echo = String::from("rm -rf ~");
    let mut bare = String::from("rm -rf ~");
    for _ in 0..24 {
        echo = format!("echo $({echo})");
        bare = format!("$({bare})");
    }
    for command in [echo, bare] {
        let analysis = analyze_within(&command);
        assert!(!analysis.is_resolved(), "{analysis:?}");
    }
}
