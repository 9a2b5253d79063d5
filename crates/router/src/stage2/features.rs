//! Stage 2's features: a tool call, its tool's description and risk tags, turned into a sparse
//! vector the linear model reads.
//!
//! Two kinds of feature, both meant to carry meaning rather than names:
//!
//! - **Named features**, a small fixed table ([`named_ids`]): the tool's risk tags; which sinks
//!   the call is (send, pay, delete, publish, execute, push, transfer); for each recipient,
//!   email, host, account and path in the arguments whether the request, the trusted context,
//!   only untrusted tool output, or nothing named it (and the same for sinks); whether an amount
//!   or scope is out of proportion to the request; secrets leaving; instructions in tool output.
//!   See [`grounding`] for how each is found.
//! - **Hashed features** ([`FeatureConfig::with_ngrams`], off by default): words of the tool's
//!   description, argument keys, argument words (with and without their key as a namespace),
//!   word pairs, character 3-5-grams of each argument value under its key, request words,
//!   argument words marked by whether the request says them, and pairs of named features, hashed
//!   (FNV-1a) into `buckets` slots. Each group is scaled to unit length so a long email body
//!   weighs no more than a short command. Cross-validation with folds grouped by family scored
//!   them below the named features alone (docs/stage2.md), so the default leaves them out.
//!
//! Named features sit after the hashed buckets: feature `buckets + i` is `named_ids()[i]`.
//! [`explain`] gives any feature a human name, with the entity or n-gram text that set it, so a
//! decision can say what drove it.
//!
//! Extraction is a pure function of its inputs and reads a bounded amount of text, so it is
//! deterministic and its time has a ceiling.

mod amounts;
pub mod grounding;
pub mod intent;
mod shape;

use aethelgard_protocol::{RiskTag, ToolCall};
use grounding::{Flag, Grounding, Kind, Leaf, Sink, Sources, Status};
use intent::Danger;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Characters of one argument value that n-grams are taken from.
const MAX_VALUE_CHARS: usize = 2048;
/// Argument values read, and how deep into nested arguments.
const MAX_LEAVES: usize = 256;
const MAX_DEPTH: usize = 16;

/// Which hashed features are made. Part of a model file: a model reads the features it was
/// trained on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    /// Hash slots for the hashed features.
    pub buckets: u32,
    /// Shortest character n-gram of argument values; 0 turns them off.
    pub char_min: u8,
    /// Longest character n-gram.
    pub char_max: u8,
    /// Words of the tool's description.
    pub description_words: bool,
    /// Argument keys, and argument words with and without their key.
    pub arg_words: bool,
    /// Word pairs of argument values.
    pub arg_bigrams: bool,
    /// Words of the user's request.
    pub request_words: bool,
    /// Argument words marked by whether the request or trusted context says them too (`force`
    /// unasked for is not `force` asked for).
    pub grounded_words: bool,
    /// Every pair of named features that fire together (`sink: send` and `recipient ... only in
    /// tool output`), hashed: the conjunctions a linear model cannot form itself.
    pub pairs: bool,
}

impl Default for FeatureConfig {
    /// The named features alone: cross-validation with folds grouped by family (each fold's
    /// families unseen in training) scored the hashed n-grams below them, because n-grams learn
    /// a family's vocabulary rather than what makes a call dangerous (docs/stage2.md).
    fn default() -> Self {
        Self {
            buckets: 1 << 18,
            char_min: 0,
            char_max: 0,
            description_words: false,
            arg_words: false,
            arg_bigrams: false,
            request_words: false,
            grounded_words: false,
            pairs: false,
        }
    }
}

impl FeatureConfig {
    /// Every hashed group on as well: description words, argument keys and words (with and
    /// without their key), word pairs, character 3-5-grams under their key, request words,
    /// grounded argument words and pairs of named features.
    pub fn with_ngrams() -> Self {
        Self {
            char_min: 3,
            char_max: 5,
            description_words: true,
            arg_words: true,
            arg_bigrams: true,
            request_words: true,
            grounded_words: true,
            pairs: true,
            ..Self::default()
        }
    }

    /// The length of a feature vector: hashed buckets, then the named features.
    pub fn dimension(&self) -> usize {
        self.buckets as usize + named_count()
    }
}

/// What the features are computed from: the call, and what the catalog says of its tool.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub call: &'a ToolCall,
    /// The tool's description (empty when the catalog does not know the tool: the words of its
    /// name stand in).
    pub description: &'a str,
    pub risk: &'a [RiskTag],
}

/// A sparse feature vector: index, value; sorted by index, no index twice.
pub type Features = Vec<(u32, f32)>;

// The named features, in order: risk tags, sinks, entity groundings (kind by status), sinks
// with an ungrounded entity (kind by untrusted-only or nowhere), then the flags.
const RISK_BASE: usize = 0;
const SINK_BASE: usize = RISK_BASE + RiskTag::ALL.len();
const GROUND_BASE: usize = SINK_BASE + Sink::ALL.len();
const SINK_GROUND_BASE: usize = GROUND_BASE + Kind::ALL.len() * Status::ALL.len();
const DANGER_BASE: usize = SINK_GROUND_BASE + Kind::ALL.len() * 2;
const FLAG_BASE: usize = DANGER_BASE + Danger::ALL.len() * 2;
const NAMED_COUNT: usize = FLAG_BASE + Flag::ALL.len();

/// How many named features there are.
pub const fn named_count() -> usize {
    NAMED_COUNT
}

/// The named features' ids, in index order (`risk.payment`, `sink.send`,
/// `recipient.untrusted_only`, `sink+recipient.untrusted_only`, `amount.above_request`, ...).
pub fn named_ids() -> Vec<String> {
    let mut ids = Vec::with_capacity(NAMED_COUNT);
    ids.extend(RiskTag::ALL.iter().map(|t| format!("risk.{t}")));
    ids.extend(Sink::ALL.iter().map(|s| format!("sink.{}", s.id())));
    for kind in Kind::ALL {
        ids.extend(Status::ALL.iter().map(|s| format!("{}.{}", kind.id(), s.id())));
    }
    for kind in Kind::ALL {
        ids.extend([Status::UntrustedOnly, Status::Nowhere].iter().map(|s| format!("sink+{}.{}", kind.id(), s.id())));
    }
    for danger in Danger::ALL {
        ids.extend(["requested", "unrequested"].iter().map(|r| format!("danger.{}.{r}", danger.id())));
    }
    ids.extend(Flag::ALL.iter().map(|f| f.id().to_owned()));
    ids
}

/// What the designers expect of a named feature before any data: the weight training starts
/// from and is pulled back toward (`TrainConfig::prior`). Positive for signs of a call doing what
/// the user did not ask (a recipient only tool output names, an amount ten times the request's),
/// negative for signs of a call doing what was asked; 0 for neutral facts (risk tags, sinks).
/// Data moves a weight off its prior where the corpus shows otherwise.
pub fn named_prior(id: &str) -> f64 {
    const RISKY: &[(&str, f64)] = &[
        ("sink+recipient.untrusted_only", 1.5),
        ("sink+recipient.nowhere", 1.0),
        ("sink+email.untrusted_only", 1.0),
        ("sink+host.untrusted_only", 1.5),
        ("sink+host.nowhere", 1.0),
        ("sink+account.untrusted_only", 1.5),
        ("sink+account.nowhere", 1.0),
        ("sink+path.untrusted_only", 1.0),
        ("domain.lookalike", 2.0),
        ("account.differs_from_trusted", 1.5),
        ("url.carries_data", 1.5),
        ("write.empties_file", 1.0),
        ("scope.more_items_than_requested", 1.0),
        ("amount.far_above_request", 1.5),
        ("amount.above_request", 1.0),
        ("amount.untrusted_only", 1.0),
        ("amount.unrequested", 0.5),
        ("secret.with_sink", 1.5),
        ("secret.value", 0.5),
        ("secret.path", 0.5),
        ("sql.unbounded", 1.5),
        ("scope.broad_unrequested", 1.0),
        ("scope.root", 1.0),
        ("request.inspects+sink", 1.0),
        ("delete+request.ids_unused", 1.0),
        ("delete+scope.broad_unrequested", 1.0),
        ("request.inspects+change", 0.5),
        ("sink+ids.untrusted_only", 1.0),
        ("args.echo_untrusted_most", 0.5),
        ("untrusted.instructions", 0.5),
        ("path.system", 0.5),
        ("request.ids_unused", 0.5),
        ("request.words_absent", 0.5),
        ("sink.unrequested", 0.5),
        ("recipient.in_request", -1.0),
        ("recipient.in_context", -1.0),
        ("recipient.person_named", -0.5),
        ("account.in_request", -1.0),
        ("account.in_context", -1.0),
        ("host.in_request", -0.5),
        ("amount.matches_request", -1.0),
        ("amount.minor_units", -0.5),
        ("ids.all_trusted", -1.0),
        ("request.ids_used", -0.5),
        ("request.words_present", -0.5),
        ("sink.requested", -0.5),
    ];
    if let Some((_, prior)) = RISKY.iter().find(|(name, _)| *name == id) {
        return *prior;
    }
    match id.strip_prefix("danger.") {
        Some(rest) if rest.ends_with(".unrequested") => 1.0,
        Some(rest) if rest.ends_with(".requested") => -0.5,
        _ => 0.0,
    }
}

fn position<T: PartialEq>(all: &[T], item: &T) -> usize {
    all.iter().position(|x| x == item).unwrap_or(0)
}

/// The features of a call.
pub fn extract(subject: &Subject<'_>, config: &FeatureConfig) -> Features {
    let mut emitter = Emitter::new(config.buckets, None);
    emit(subject, config, &mut emitter);
    emitter.finish()
}

/// Human names for the features in `wanted`, as this call set them: `recipient evil@x.example
/// appears only in tool output`, `argument \`command\` contains "| sh"`. A hashed feature set by
/// several n-grams is named by the first.
pub fn explain(subject: &Subject<'_>, config: &FeatureConfig, wanted: &BTreeSet<u32>) -> BTreeMap<u32, String> {
    let mut emitter = Emitter::new(config.buckets, Some(wanted));
    emit(subject, config, &mut emitter);
    emitter.names
}

fn emit(subject: &Subject<'_>, config: &FeatureConfig, out: &mut Emitter<'_>) {
    let call = subject.call;
    let leaves = leaves(&call.args);
    let description = subject.description.to_lowercase();
    let description = if description.trim().is_empty() { call.tool.replace(['_', '-', '.'], " ").to_lowercase() } else { description };

    if config.description_words {
        for word in words(&description).into_iter().take(128) {
            out.hashed(b'd', "", &word, || format!("tool description word \"{word}\""));
        }
        out.end_group();
    }
    for tag in subject.risk {
        out.named(RISK_BASE + position(&RiskTag::ALL, tag), || format!("tool risk: {tag}"));
    }

    for leaf in leaves.iter().filter(|_| config.arg_words) {
        out.hashed(b'k', "", &leaf.key, || format!("argument key `{}`", leaf.key));
    }
    out.end_group();
    for leaf in &leaves {
        let words = words(&leaf.text);
        for word in words.iter().filter(|_| config.arg_words) {
            out.hashed(b'w', &leaf.key, word, || format!("argument `{}` has word \"{word}\"", leaf.key));
            out.hashed(b'u', "", word, || format!("argument word \"{word}\""));
        }
        if config.arg_bigrams {
            for pair in words.windows(2) {
                if let [a, b] = pair {
                    out.hashed2(b'b', a, b, || format!("argument words \"{a} {b}\""));
                }
            }
        }
    }
    out.end_group();
    if config.grounded_words {
        let trusted: BTreeSet<String> = words(call.task.as_deref().unwrap_or(""))
            .into_iter()
            .chain(call.context.iter().flatten().flat_map(|c| words(c)))
            .collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let all: Vec<String> = leaves.iter().flat_map(|l| words(&l.text)).collect();
        for word in &all {
            if word.chars().count() < 3 || !seen.insert(word) {
                continue;
            }
            // The first five letters decide, so `deleting` is grounded by `delete`.
            let stem: String = word.chars().take(5).collect();
            if trusted.iter().any(|t| t.starts_with(&stem) || (t.len() >= 4 && word.starts_with(t.as_str()))) {
                out.hashed(b'y', "", word, || format!("argument word \"{word}\", which the request says"));
            } else {
                out.hashed(b'x', "", word, || format!("argument word \"{word}\", which the request does not say"));
            }
        }
        out.end_group();
    }
    if config.char_min > 0 && config.char_max >= config.char_min {
        for leaf in &leaves {
            let text = squeeze(&leaf.text);
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
            for n in usize::from(config.char_min)..=usize::from(config.char_max) {
                for window in bounds.windows(n + 1) {
                    if let (Some(&start), Some(&end)) = (window.first(), window.last())
                        && let Some(gram) = text.get(start..end)
                    {
                        out.hashed(b'c', &leaf.key, gram, || format!("argument `{}` contains \"{gram}\"", leaf.key));
                    }
                }
            }
        }
    }
    out.end_group();
    if config.request_words {
        for word in words(call.task.as_deref().unwrap_or("")).into_iter().take(256) {
            out.hashed(b'q', "", &word, || format!("request word \"{word}\""));
        }
        out.end_group();
    }

    let sources = Sources::new(
        call.task.as_deref(),
        call.context.as_deref().unwrap_or(&[]),
        call.untrusted.as_deref().unwrap_or(&[]),
    );
    // Where a command runs and how long it may take are not what it acts on.
    let targets: Vec<Leaf> = leaves.iter().filter(|l| !CONTEXT_KEYS.contains(&l.key.as_str())).cloned().collect();
    let grounding = grounding::ground(&targets, &sources, &description, subject.risk);
    emit_grounding(&grounding, out);
    if config.pairs {
        out.pairs();
    }
}

fn emit_grounding(grounding: &Grounding, out: &mut Emitter<'_>) {
    for (sink, why) in &grounding.sinks {
        out.named(SINK_BASE + position(&Sink::ALL, sink), || format!("sink: {} ({why})", sink.id()));
    }
    for (kind, status, value) in &grounding.entities {
        let k = position(&Kind::ALL, kind);
        out.named(GROUND_BASE + k * Status::ALL.len() + position(&Status::ALL, status), || {
            format!("{} {value} {}", kind.id(), status.phrase())
        });
        if grounding.has_sink() {
            let ungrounded = match status {
                Status::UntrustedOnly => Some(0),
                Status::Nowhere => Some(1),
                _ => None,
            };
            if let Some(u) = ungrounded {
                let sink = grounding.sinks.first().map(|(s, _)| s.id()).unwrap_or("sink");
                out.named(SINK_GROUND_BASE + k * 2 + u, || format!("{sink} to {} {value}, which {}", kind.id(), status.phrase()));
            }
        }
    }
    for (danger, requested, word) in &grounding.dangers {
        let (offset, phrase) = if *requested { (0, "asked for") } else { (1, "not asked for") };
        out.named(DANGER_BASE + position(&Danger::ALL, danger) * 2 + offset, || format!("{} word `{word}`, {phrase}", danger.id()));
    }
    for (flag, detail) in &grounding.flags {
        out.named(FLAG_BASE + position(&Flag::ALL, flag), || detail.clone());
    }
}

/// Argument keys that say how or where a call runs rather than what it acts on.
const CONTEXT_KEYS: &[&str] = &["workdir", "cwd", "working_directory", "timeout", "timeout_ms", "run_in_background", "shell", "login"];

/// Every scalar in the arguments as text, under its nearest key (lowercased).
fn leaves(args: &Value) -> Vec<Leaf> {
    fn walk(value: &Value, key: &str, depth: usize, out: &mut Vec<Leaf>) {
        if out.len() >= MAX_LEAVES || depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    walk(v, &k.to_lowercase(), depth + 1, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, key, depth + 1, out);
                }
            }
            Value::String(s) => out.push(Leaf { key: key.to_owned(), text: s.chars().take(grounding::MAX_TEXT).collect(), number: false }),
            Value::Number(n) => out.push(Leaf { key: key.to_owned(), text: n.to_string(), number: true }),
            Value::Bool(b) => out.push(Leaf { key: key.to_owned(), text: b.to_string(), number: false }),
            Value::Null => {}
        }
    }
    let mut out = Vec::new();
    walk(args, "", 0, &mut out);
    out
}

/// Lowercase words: runs of letters and digits, each run of digits one `0`, at most 512.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_digits = false;
    for c in text.chars().take(grounding::MAX_TEXT) {
        if c.is_alphanumeric() {
            if c.is_numeric() {
                if !in_digits {
                    current.push('0');
                }
                in_digits = true;
            } else {
                current.extend(c.to_lowercase());
                in_digits = false;
            }
        } else {
            in_digits = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
                if words.len() >= 512 {
                    return words;
                }
            }
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// An argument value as the character n-grams see it: lowercase, digits as `0`, each run of
/// white space one space, at most [`MAX_VALUE_CHARS`] characters.
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_VALUE_CHARS));
    let mut count = 0;
    let mut last_space = false;
    for c in text.chars() {
        if count >= MAX_VALUE_CHARS {
            break;
        }
        if c.is_whitespace() {
            if last_space {
                continue;
            }
            out.push(' ');
            last_space = true;
        } else if c.is_numeric() {
            out.push('0');
            last_space = false;
        } else {
            out.extend(c.to_lowercase());
            last_space = false;
        }
        count += 1;
    }
    out
}

/// Collects features; in naming mode, also the names of the wanted ones.
struct Emitter<'w> {
    buckets: u32,
    group: Vec<u32>,
    out: Vec<(u32, f32)>,
    wanted: Option<&'w BTreeSet<u32>>,
    names: BTreeMap<u32, String>,
    /// Named features that fired, by position, with their names in naming mode.
    fired: Vec<(usize, String)>,
}

impl<'w> Emitter<'w> {
    fn new(buckets: u32, wanted: Option<&'w BTreeSet<u32>>) -> Self {
        Self { buckets: buckets.max(1), group: Vec::with_capacity(1024), out: Vec::with_capacity(2048), wanted, names: BTreeMap::new(), fired: Vec::new() }
    }

    fn name(&mut self, index: u32, name: impl FnOnce() -> String) {
        if let Some(wanted) = self.wanted
            && wanted.contains(&index)
            && !self.names.contains_key(&index)
        {
            self.names.insert(index, name());
        }
    }

    fn hashed(&mut self, namespace: u8, key: &str, text: &str, name: impl FnOnce() -> String) {
        let mut hash = Fnv::new();
        hash.byte(namespace);
        hash.str(key);
        hash.byte(0x1f);
        hash.str(text);
        let index = hash.bucket(self.buckets);
        self.group.push(index);
        self.name(index, name);
    }

    fn hashed2(&mut self, namespace: u8, a: &str, b: &str, name: impl FnOnce() -> String) {
        let mut hash = Fnv::new();
        hash.byte(namespace);
        hash.str(a);
        hash.byte(0x1f);
        hash.str(b);
        let index = hash.bucket(self.buckets);
        self.group.push(index);
        self.name(index, name);
    }

    /// Closes a group of hashed features: each present once, the group scaled to unit length.
    fn end_group(&mut self) {
        self.group.sort_unstable();
        self.group.dedup();
        if !self.group.is_empty() {
            let value = 1.0 / (self.group.len() as f32).sqrt();
            self.out.extend(self.group.drain(..).map(|i| (i, value)));
        }
    }

    fn named(&mut self, position: usize, name: impl FnOnce() -> String) {
        let index = self.buckets.saturating_add(u32::try_from(position).unwrap_or(u32::MAX));
        self.out.push((index, 1.0));
        if self.fired.iter().any(|(p, _)| *p == position) {
            return;
        }
        // Pairs are named after both halves, so in naming mode every named feature gets its name.
        let name = if self.wanted.is_some() { name() } else { String::new() };
        if let Some(wanted) = self.wanted
            && wanted.contains(&index)
        {
            self.names.entry(index).or_insert_with(|| name.clone());
        }
        self.fired.push((position, name));
    }

    /// Every pair of the named features that fired, hashed into the buckets.
    fn pairs(&mut self) {
        self.end_group();
        let mut fired = std::mem::take(&mut self.fired);
        fired.sort_by_key(|(p, _)| *p);
        for (n, (a, name_a)) in fired.iter().enumerate() {
            for (b, name_b) in fired.iter().skip(n + 1) {
                let mut hash = Fnv::new();
                hash.byte(b'p');
                hash.str(&a.to_string());
                hash.byte(0x1f);
                hash.str(&b.to_string());
                let index = hash.bucket(self.buckets);
                self.group.push(index);
                self.name(index, || format!("{name_a} & {name_b}"));
            }
        }
        self.end_group();
        self.fired = fired;
    }

    fn finish(mut self) -> Features {
        self.end_group();
        self.out.sort_unstable_by_key(|(i, _)| *i);
        let mut merged: Features = Vec::with_capacity(self.out.len());
        for (index, value) in self.out {
            match merged.last_mut() {
                // Named features are yes or no however often they fire; hashed collisions add.
                Some((last, total)) if *last == index && index >= self.buckets => *total = total.max(value),
                Some((last, total)) if *last == index => *total += value,
                _ => merged.push((index, value)),
            }
        }
        merged
    }
}

/// FNV-1a (64 bit), written out so the buckets a saved model refers to never change under it.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    fn byte(&mut self, byte: u8) {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn str(&mut self, text: &str) {
        text.bytes().for_each(|b| self.byte(b));
    }
    fn bucket(&self, buckets: u32) -> u32 {
        u32::try_from(self.0 % u64::from(buckets.max(1))).unwrap_or(0)
    }
}

#[cfg(test)]
#[path = "features_tests.rs"]
mod tests;
