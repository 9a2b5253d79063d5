//! The common case without the parser: a command line of plain words (letters, digits and
//! `-_./=:,@+%^`, separated by spaces) means the same to bash as its whitespace-split words,
//! because none of those characters quotes, expands, redirects or separates. Most agent commands
//! (`git status`, `cargo test -p x`, `ls -la src`) take this path and skip parsing entirely.

/// The words of a plain command line, or `None` when it needs the real parser.
pub(crate) fn plain_words(text: &str) -> Option<Vec<String>> {
    let plain = text.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b' ' | b'\t' | b'-' | b'_' | b'.' | b'/' | b'=' | b':' | b',' | b'@' | b'+' | b'%' | b'^')
    });
    if !plain {
        return None;
    }
    let words: Vec<String> = text.split_ascii_whitespace().map(str::to_owned).collect();
    // `NAME=value cmd` assigns: leave that to the parser.
    match words.first() {
        Some(first) if !first.contains('=') => Some(words),
        _ => None,
    }
}
