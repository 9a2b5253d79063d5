//! Resolving one shell word the way bash would before it runs a command: quotes removed and
//! spliced (`r''m` is `rm`), ANSI-C (`$'\x72\x6d'`) and backslash escapes decoded, `~`, `$HOME`
//! and `$PWD` expanded, and everything else that is only known at run time marked dynamic.

use crate::analysis::Arg;
use brush_parser::word::{Parameter, ParameterExpr, TildeExpr, WordPiece, WordPieceWithSource};
use brush_parser::ParserOptions;
use std::collections::HashMap;

/// A command substitution found inside a word, to be analysed by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Substitution {
    pub script: String,
}

/// What a word may expand from: the home directory, the working directory and variables
/// assigned literal values earlier in the same command line.
pub(crate) struct WordEnv<'a> {
    pub home: &'a str,
    pub cwd: Option<&'a str>,
    pub vars: &'a HashMap<String, String>,
}

/// Resolves a raw word (as written, quotes included). Command substitutions inside it are
/// appended to `subs` so the caller analyses what they run.
pub(crate) fn resolve(raw: &str, env: &WordEnv<'_>, subs: &mut Vec<Substitution>) -> Arg {
    // Most words quote and expand nothing: they are what they say, without another parse.
    if !raw.contains(['\'', '"', '\\', '$', '`', '~', '{']) {
        return Arg::literal(raw);
    }
    let options = ParserOptions::default();
    // brush-parser panics on some hostile words (a `~N` directory-stack index that overflows);
    // a panic is treated like a parse error.
    let parsed = std::panic::catch_unwind(|| brush_parser::word::parse(raw, &options).ok()).ok().flatten();
    match parsed {
        Some(pieces) => {
            let mut arg = Arg { value: String::with_capacity(raw.len()), dynamic: false };
            for piece in &pieces {
                push_piece(&mut arg, piece, env, subs, false);
            }
            arg
        }
        // A word brush cannot split into pieces is judged as written, but marked dynamic so the
        // router never relies on it.
        None => Arg { value: raw.to_owned(), dynamic: true },
    }
}

fn push_piece(
    arg: &mut Arg,
    piece: &WordPieceWithSource,
    env: &WordEnv<'_>,
    subs: &mut Vec<Substitution>,
    quoted: bool,
) {
    match &piece.piece {
        WordPiece::Text(text) => {
            // Unquoted brace expansion (`r{m,}`) produces several words: only known at run time.
            if !quoted && looks_like_brace_expansion(text) {
                arg.dynamic = true;
            }
            arg.value.push_str(text);
        }
        WordPiece::SingleQuotedText(text) => arg.value.push_str(text),
        WordPiece::AnsiCQuotedText(text) => arg.value.push_str(&decode_ansi_c(text)),
        WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
            for piece in inner {
                push_piece(arg, piece, env, subs, true);
            }
        }
        WordPiece::EscapeSequence(escaped) => {
            let mut chars = escaped.chars();
            chars.next(); // the backslash
            let rest: String = chars.collect();
            if rest != "\n" {
                arg.value.push_str(&rest);
            }
        }
        WordPiece::TildeExpansion(tilde) => match tilde {
            TildeExpr::Home => arg.value.push_str(env.home),
            TildeExpr::UserHome(user) if user == "root" => arg.value.push_str("/root"),
            TildeExpr::UserHome(user) => {
                arg.value.push_str("/home/");
                arg.value.push_str(user);
            }
            TildeExpr::WorkingDir => push_known(arg, env.cwd),
            _ => push_dynamic(arg),
        },
        WordPiece::ParameterExpansion(expr) => push_known(arg, lookup(expr, env)),
        WordPiece::CommandSubstitution(script) | WordPiece::BackquotedCommandSubstitution(script) => {
            subs.push(Substitution { script: script.clone() });
            push_dynamic(arg);
        }
        WordPiece::ArithmeticExpression(_) => push_dynamic(arg),
    }
}

fn push_known(arg: &mut Arg, value: Option<&str>) {
    match value {
        Some(value) => arg.value.push_str(value),
        None => push_dynamic(arg),
    }
}

fn push_dynamic(arg: &mut Arg) {
    arg.value.push(Arg::DYNAMIC);
    arg.dynamic = true;
}

fn lookup<'a>(expr: &ParameterExpr, env: &'a WordEnv<'_>) -> Option<&'a str> {
    let ParameterExpr::Parameter { parameter: Parameter::Named(name), indirect: false } = expr else {
        return None;
    };
    match name.as_str() {
        "HOME" => Some(env.home),
        "PWD" => env.cwd,
        other => env.vars.get(other).map(String::as_str),
    }
}

fn looks_like_brace_expansion(text: &str) -> bool {
    match (text.find('{'), text.rfind('}')) {
        (Some(open), Some(close)) if open < close => {
            let inner = text.get(open + 1..close).unwrap_or("");
            inner.contains(',') || inner.contains("..")
        }
        _ => false,
    }
}

/// Decodes the body of `$'...'` as bash does.
pub(crate) fn decode_ansi_c(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escape) = chars.next() else {
            out.push('\\');
            break;
        };
        match escape {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'e' | 'E' => out.push('\u{1b}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' | '\'' | '"' | '?' => out.push(escape),
            '0'..='7' => {
                let mut value = escape.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(digit) => {
                            value = value * 8 + digit;
                            chars.next();
                        }
                        None => break,
                    }
                }
                push_code(&mut out, value & 0xff);
            }
            'x' | 'u' | 'U' => {
                let max = match escape {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut value = 0u32;
                let mut digits = 0;
                while digits < max {
                    match chars.peek().and_then(|c| c.to_digit(16)) {
                        Some(digit) => {
                            value = value.saturating_mul(16).saturating_add(digit);
                            chars.next();
                            digits += 1;
                        }
                        None => break,
                    }
                }
                if digits == 0 {
                    out.push('\\');
                    out.push(escape);
                } else {
                    push_code(&mut out, value);
                }
            }
            'c' => {
                if let Some(control) = chars.next() {
                    push_code(&mut out, u32::from(control) & 0x1f);
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

fn push_code(out: &mut String, code: u32) {
    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
}
