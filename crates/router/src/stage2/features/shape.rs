//! The call's shape: which sinks it is (from risk tags, the description and the commands in its
//! arguments) and whether the request asks for them; how wide it reaches; SQL writes that touch
//! every row; and how much of the call's text comes from the request, or only from tool output.

use super::grounding::{Flag, Grounding, Leaf, MAX_TEXT, Sink, Sources, captures_all, find_all, lower_bounded, regex, words_of};
use aethelgard_protocol::RiskTag;
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// Words in a request that ask for all of something.
pub(super) const BROAD_WORDS: &[&str] = &["all", "every", "everything", "entire", "whole", "recursive", "recursively", "each", "bulk", "any", "full", "completely", "wipe", "reset", "everyone", "clean"];

/// What kind of sink the call is: from its risk tags, its description's words and its
/// arguments (a shell command that deletes, a `curl -d` that sends).
pub(super) fn sinks(out: &mut Grounding, leaves: &[Leaf], description: &str, risk: &[RiskTag]) {
    let mut add = |sink: Sink, why: String| {
        if !out.sinks.iter().any(|(s, _)| *s == sink) {
            out.sinks.push((sink, why));
        }
    };
    // A shell's tags and description say what it can do, not what this call does: for a tool
    // that executes, the command itself decides (below).
    let executes = risk.contains(&RiskTag::Exec);
    for tag in risk {
        let sink = match tag {
            RiskTag::Message => Sink::Send,
            RiskTag::Payment => Sink::Pay,
            RiskTag::Destructive if !executes => Sink::Delete,
            RiskTag::Exec => Sink::Execute,
            _ => continue,
        };
        add(sink, format!("risk tag {tag}"));
    }
    // Product names that start like an action word say nothing of the action (`postgresql`).
    let description_words: Vec<&str> =
        if executes { Vec::new() } else { words_of(description).filter(|w| !w.starts_with("postgres")).take(64).collect() };
    for sink in Sink::ALL {
        if let Some(word) = description_words.iter().find(|w| sink.stems().iter().any(|s| stem_match(w, s))) {
            add(sink, format!("description says `{word}`"));
        }
    }
    for leaf in leaves {
        let text = lower_bounded(&leaf.text);
        for (needle, sink) in COMMAND_SINKS {
            if contains_token(&text, needle) {
                add(*sink, format!("`{}` in `{}`", needle.trim(), leaf.key));
            }
        }
    }
}

/// Commands and flags in arguments that make a call a sink.
const COMMAND_SINKS: &[(&str, Sink)] = &[
    ("rm", Sink::Delete),
    ("rmdir", Sink::Delete),
    ("shred", Sink::Delete),
    ("mkfs", Sink::Delete),
    ("drop table", Sink::Delete),
    ("drop database", Sink::Delete),
    ("delete from", Sink::Delete),
    ("truncate", Sink::Delete),
    ("git push", Sink::Push),
    ("--force", Sink::Push),
    ("kubectl apply", Sink::Push),
    ("terraform apply", Sink::Push),
    ("npm publish", Sink::Publish),
    ("cargo publish", Sink::Publish),
    ("twine upload", Sink::Publish),
    ("docker push", Sink::Publish),
    ("gh gist", Sink::Publish),
    ("curl", Sink::Transfer),
    ("wget", Sink::Transfer),
    ("scp", Sink::Transfer),
    ("rsync", Sink::Transfer),
    ("nc", Sink::Transfer),
    ("ftp", Sink::Transfer),
    ("aws s3 cp", Sink::Transfer),
    ("gsutil cp", Sink::Transfer),
    ("sendmail", Sink::Send),
    ("mail", Sink::Send),
    ("bash -c", Sink::Execute),
    ("sh -c", Sink::Execute),
    ("eval", Sink::Execute),
    ("python -c", Sink::Execute),
    ("chmod", Sink::Execute),
    ("sudo", Sink::Execute),
];

/// `needle` as whole words in `text`.
fn contains_token(text: &str, needle: &str) -> bool {
    let mut start = 0;
    while let Some(found) = text.get(start..).and_then(|rest| rest.find(needle)) {
        let at = start + found;
        let end = at + needle.len();
        let before = text.get(..at).and_then(|s| s.chars().next_back());
        let after = text.get(end..).and_then(|s| s.chars().next());
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != '-');
        if boundary(before) && boundary(after) {
            return true;
        }
        start = end;
    }
    false
}

/// A word starts with a stem; stems of two letters (`rm`, `dm`, `cc`) must be the whole word.
/// A word starts with a stem; stems of three letters or fewer (`rm`, `dm`, `cc`) must be the
/// whole word. A stem of five letters or more also matches a word whose start is one typo away
/// (`cnacel` for `cancel`).
fn stem_match(word: &str, stem: &str) -> bool {
    if stem.len() <= 3 {
        return word == stem;
    }
    if word.starts_with(stem) {
        return true;
    }
    let n = stem.chars().count();
    n >= 5 && word.chars().count() >= n && {
        let start: String = word.chars().take(n).collect();
        typo_distance(&start, stem) <= 1
    }
}

/// Edits between two words of equal length, a swap of neighbours counting as one, capped at 2:
/// all that [`stem_match`] needs.
fn typo_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // [`stem_match`] compares equal lengths; anything else is no typo.
    if a.len() != b.len() || a.len() > 32 {
        return 2;
    }
    let mismatches: Vec<usize> = (0..a.len()).filter(|i| a.get(*i) != b.get(*i)).collect();
    match mismatches.as_slice() {
        [] => 0,
        [_] => 1,
        [i, j] if *j == i + 1 && a.get(*i) == b.get(*j) && a.get(*j) == b.get(*i) => 1,
        _ => 2,
    }
}

/// A shell glob (`*.log`, `/tmp/*`, `**`), not a regular expression (`password\s*=`).
fn is_glob(word: &str) -> bool {
    word.contains('*') && word.chars().all(|c| c.is_alphanumeric() || "*./~_-{},".contains(c))
}

/// Whether the request asks for the kinds of action the call takes.
pub(super) fn requested(out: &mut Grounding, sources: &Sources) {
    if out.sinks.is_empty() {
        return;
    }
    let words: Vec<&str> = words_of(&sources.request).chain(words_of(&sources.context)).take(2048).collect();
    let asked = out.sinks.iter().find_map(|(sink, _)| {
        words.iter().find(|w| sink.stems().iter().any(|s| stem_match(w, s))).map(|w| (sink.id(), (*w).to_owned()))
    });
    match asked {
        Some((sink, word)) => out.flag(Flag::SinkRequested, format!("the request asks to {word} ({sink})")),
        None => {
            let names: Vec<&str> = out.sinks.iter().map(|(s, _)| s.id()).collect();
            out.flag(Flag::SinkUnrequested, format!("the request asks for no {}", names.join("/")));
        }
    }
}

/// Recursive, wildcard, all-of scopes, and whether the request asks for all of anything.
pub(super) fn scope(out: &mut Grounding, leaves: &[Leaf], sources: &Sources) {
    let mut broad: Option<String> = None;
    let mut root: Option<String> = None;
    for leaf in leaves {
        let text = lower_bounded(&leaf.text);
        let words: Vec<&str> = text.split_whitespace().take(4096).collect();
        for word in &words {
            let w = word.trim_matches(|c| c == '\'' || c == '"' || c == ';');
            let flag = w.starts_with('-') && !w.starts_with("--") && w.len() <= 6 && w.contains(['r', 'R']) && !w.contains(['x', 'n']);
            let long = matches!(w, "--recursive" | "--all" | "--force" | "--prune" | "--delete" | "--no-preserve-root" | "--mirror" | "-rf" | "-fr");
            if flag || long || is_glob(w) || matches!(w, "all" | "everything" | "*" | "%") {
                broad.get_or_insert_with(|| format!("`{w}` in `{}`", leaf.key));
            }
            if matches!(w, "/" | "~" | "~/" | "/*" | "~/*" | "$home" | "${home}" | "/home" | "/users" | "c:\\") {
                root.get_or_insert_with(|| format!("`{w}` in `{}`", leaf.key));
            }
        }
        if (text.contains("delete from") || text.contains("update ")) && !text.contains(" where ") {
            broad.get_or_insert_with(|| format!("a statement without `where` in `{}`", leaf.key));
        }
        if text.contains("drop database") || text.contains("drop schema") {
            root.get_or_insert_with(|| format!("a whole database dropped in `{}`", leaf.key));
        }
        if matches!(text.trim(), "true") && matches!(leaf.key.as_str(), "recursive" | "all" | "force" | "include_all" | "everyone" | "public") {
            broad.get_or_insert_with(|| format!("`{}: true`", leaf.key));
        }
    }
    let Some(what) = broad.or_else(|| root.clone()) else { return };
    out.flag(Flag::ScopeBroad, format!("broad scope: {what}"));
    if let Some(where_) = root {
        out.flag(Flag::ScopeRoot, format!("aims at the root or home: {where_}"));
    }
    let trusted = format!("{} {}", sources.request, sources.context);
    if !words_of(&trusted).any(|w| BROAD_WORDS.contains(&w)) {
        out.flag(Flag::ScopeBroadUnrequested, format!("broad scope ({what}) where the request names one thing"));
    }
}

/// Content words an argument shares with untrusted text but not with the request or context.
pub(super) fn echo(out: &mut Grounding, leaves: &[Leaf], sources: &Sources) {
    if sources.untrusted.is_empty() {
        return;
    }
    let mut content: BTreeSet<String> = BTreeSet::new();
    for leaf in leaves.iter().filter(|l| !l.number) {
        let text = lower_bounded(&leaf.text);
        content.extend(words_of(&text).filter(|w| w.chars().count() >= 5 && !w.chars().all(|c| c.is_ascii_digit())).map(str::to_owned).take(512));
    }
    if content.len() < 3 {
        return;
    }
    let untrusted: BTreeSet<&str> = words_of(&sources.untrusted).collect();
    let trusted: BTreeSet<&str> = words_of(&sources.request).chain(words_of(&sources.context)).collect();
    let echoed: Vec<&String> = content.iter().filter(|w| untrusted.contains(w.as_str()) && !trusted.contains(w.as_str())).collect();
    let share = echoed.len() as f64 / content.len() as f64;
    let sample: Vec<&str> = echoed.iter().take(3).map(|w| w.as_str()).collect();
    if share >= 0.25 {
        out.flag(Flag::ArgsEchoUntrusted, format!("{:.0}% of the argument words come only from tool output ({})", share * 100.0, sample.join(", ")));
    }
    if share >= 0.6 {
        out.flag(Flag::ArgsEchoUntrustedMost, format!("most argument words come only from tool output ({})", sample.join(", ")));
    }
}

static SQL_WRITE: LazyLock<Option<Regex>> = LazyLock::new(|| regex(r"(?is)(?-u:\b)(delete\s+from\s+[0-9A-Za-z_.\x22`]+|update\s+[0-9A-Za-z_.\x22`]+\s+set(?-u:\b))(.*?)(;|$)"));
static TAUTOLOGY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    regex(r"(?i)(?-u:\b)where\s+(?:.*(?-u:\b)or\s+)?(?:1\s*=\s*1|true|1(?-u:\b)|'[^']*'\s*=\s*'[^']*'|[0-9A-Za-z_]+\s*(?:>=?\s*0|is\s+not\s+null|<>\s*''|!=\s*''|like\s+'%'))")
});

/// SQL writes that reach every row.
pub(super) fn sql(out: &mut Grounding, leaves: &[Leaf]) {
    for leaf in leaves {
        // Most calls hold no SQL write: skip them before the regexes (built on first use) run.
        let lower = leaf.text.to_ascii_lowercase();
        if !lower.contains("delete") && !lower.contains("update") {
            continue;
        }
        for caps in captures_all(&SQL_WRITE, &leaf.text) {
            let rest = caps.get(2).map_or("", |m| m.as_str());
            let statement = caps.get(0).map_or("", |m| m.as_str());
            let unbounded = !rest.to_lowercase().contains("where") || !find_all(&TAUTOLOGY, rest).is_empty();
            if unbounded {
                let shown: String = statement.chars().take(60).collect();
                out.flag(Flag::SqlUnbounded, format!("`{}` touches every row", shown.trim()));
                return;
            }
        }
    }
}

/// Words of four letters or more that carry no request of their own.
const STOPWORDS: &[&str] = &[
    "please", "could", "would", "can", "you", "your", "the", "this", "that", "these", "those", "with", "from", "into", "about", "thanks",
    "thank", "when", "what", "have", "just", "also", "them", "they", "their", "there", "then", "than", "some", "need", "needs", "want",
    "make", "sure", "quick", "before", "after", "today", "tomorrow", "meetings", "standup", "cheers", "hi", "hey", "all", "day", "sec",
    "get", "it's", "it", "for", "and", "our", "my", "me", "to", "of", "in", "on", "at", "a", "an", "is", "are", "be", "so", "i'm",
    "urgent", "urgent-ish", "one", "okay", "will", "should", "while", "where", "which", "been", "being", "does", "done", "know",
];

/// How many of the request's content words the call's arguments repeat.
pub(super) fn request_words(out: &mut Grounding, leaves: &[Leaf], sources: &Sources) {
    let asked: BTreeSet<&str> = words_of(&sources.request).filter(|w| w.chars().count() >= 4 && !STOPWORDS.contains(w)).take(64).collect();
    if asked.len() < 2 {
        return;
    }
    let mut call = String::new();
    for leaf in leaves {
        call.extend(leaf.text.chars().take(MAX_TEXT).flat_map(char::to_lowercase));
        call.push(' ');
    }
    // A word counts when the call holds its first five letters (`invoices` for `invoice`).
    let present: Vec<&str> = asked.iter().copied().filter(|w| call.contains(&w.chars().take(5).collect::<String>())).collect();
    let share = present.len() as f64 / asked.len() as f64;
    if share < 0.2 {
        let missing: Vec<&str> = asked.iter().copied().filter(|w| !present.contains(w)).take(3).collect();
        out.flag(Flag::RequestWordsAbsent, format!("the call repeats {} of {} request words (not {})", present.len(), asked.len(), missing.join(", ")));
    } else if share >= 0.5 {
        out.flag(Flag::RequestWordsPresent, format!("the call repeats {} of {} request words", present.len(), asked.len()));
    }
}
