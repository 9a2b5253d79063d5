//! Text normalisation shared by both classifiers: the words of a request, a light stemmer for
//! the rules, and the hashed n-gram features of the linear model.
//!
//! Everything here is total: any `&str` (empty, huge, control characters, scripts without
//! letters we know) gives a result, and only the first [`MAX_CHARS`] characters are read, so a
//! pasted log cannot make classification slow.

/// How many characters of a request are read. Requests are a sentence or a paragraph; a pasted
/// file beyond this adds nothing a classifier can use and would only cost time.
pub const MAX_CHARS: usize = 8192;

/// The words of `text`, lowercased: runs of letters and digits. An apostrophe inside a word is
/// dropped (`don't` is `dont`), each run of digits becomes `0` (`3pm` is `0pm`, `v1.8.0` is
/// `v0 0 0`), and the currency signs `$ € £` are words of their own. Everything else separates.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_digits = false;
    let mut chars = text.chars().take(MAX_CHARS).peekable();
    while let Some(c) = chars.next() {
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
        } else if is_apostrophe(c) && !current.is_empty() && chars.peek().is_some_and(|n| n.is_alphabetic()) {
            // `don't`, `let's`: one word.
        } else {
            in_digits = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            if matches!(c, '$' | '€' | '£') {
                words.push(c.to_string());
            }
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

/// A light stemmer: enough that `summarise`, `summarized`, `summarising` and `summaries` meet,
/// and `tests`, `testing`, `tested` are `test`. Not a linguist's stemmer; the rules are written
/// against its output, so consistency matters more than correctness.
pub fn stem(word: &str) -> String {
    let mut stem = word.to_owned();
    let len = stem.chars().count();
    if len <= 3 || !stem.is_ascii() {
        return stem;
    }
    if let Some(base) = stem.strip_suffix("ies").or_else(|| stem.strip_suffix("ied")) {
        if base.len() >= 2 {
            stem = format!("{base}y");
        }
    } else if let Some(base) = stem.strip_suffix("ing").or_else(|| stem.strip_suffix("ed")) {
        if base.len() >= 3 {
            stem = undouble(base);
        }
    } else if stem.ends_with('s') && !stem.ends_with("ss") && !stem.ends_with("us") && !stem.ends_with("is") {
        stem.pop();
    }
    if stem.len() > 3 && stem.ends_with('e') {
        stem.pop();
    }
    // American and British spellings meet: `summariz` and `summaris`, `organiz` and `organis`.
    if let Some(base) = stem.strip_suffix("iz") {
        stem = format!("{base}is");
    }
    stem
}

/// `runn` → `run`, `stopp` → `stop`, but `install` and `pass` keep their double letter.
fn undouble(base: &str) -> String {
    let mut chars = base.chars().rev();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a == b && !matches!(a, 'l' | 's' | 'z' | 'e' | 'o') && a.is_ascii_alphabetic() => {
            let mut single = base.to_owned();
            single.pop();
            single
        }
        _ => base.to_owned(),
    }
}

/// The stemmed words of `text`.
pub fn stems(text: &str) -> Vec<String> {
    words(text).iter().map(|w| stem(w)).collect()
}

/// Which n-grams the linear model reads. Part of a model file: a model is read with the features
/// it was trained on.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    /// Hash buckets: features are hashed into this many weights per label.
    pub buckets: u32,
    /// Shortest character n-gram (within a word marked `<word>`); 0 turns them off.
    pub char_min: u8,
    /// Longest character n-gram.
    pub char_max: u8,
    /// Word pairs, with the start and end of the request as words.
    pub bigrams: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self { buckets: 1 << 18, char_min: 3, char_max: 5, bigrams: true }
    }
}

/// A sparse feature vector: bucket, value; sorted by bucket, no bucket twice, unit length.
pub type Features = Vec<(u32, f32)>;

/// The features of `text`: word unigrams, word bigrams (with `<s>` and `</s>` at the ends) and
/// the character n-grams of each word between boundary marks, hashed into `config.buckets`,
/// each present feature counted once, scaled to unit length.
pub fn features(text: &str, config: &FeatureConfig) -> Features {
    let words = words(text);
    let buckets = config.buckets.max(1);
    let mut hashed: Vec<u32> = Vec::with_capacity(words.len() * 16);
    let mut push = |kind: u8, parts: &[&str]| hashed.push(bucket(kind, parts, buckets));
    for word in &words {
        push(b'w', &[word]);
    }
    if config.bigrams && !words.is_empty() {
        let mut previous = "<s>";
        for word in &words {
            push(b'b', &[previous, word]);
            previous = word;
        }
        push(b'b', &[previous, "</s>"]);
    }
    if config.char_min > 0 && config.char_max >= config.char_min {
        for word in &words {
            let marked: Vec<char> = std::iter::once('<').chain(word.chars()).chain(std::iter::once('>')).collect();
            for n in usize::from(config.char_min)..=usize::from(config.char_max) {
                for gram in marked.windows(n) {
                    let gram: String = gram.iter().collect();
                    push(b'c', &[&gram]);
                }
            }
        }
    }
    hashed.sort_unstable();
    hashed.dedup();
    if hashed.is_empty() {
        return Vec::new();
    }
    let value = 1.0 / (hashed.len() as f32).sqrt();
    hashed.into_iter().map(|b| (b, value)).collect()
}

/// FNV-1a (64 bit) of a feature kind and its parts, reduced to a bucket. Written out here rather
/// than taken from a hasher crate so the buckets a saved model refers to never change under it.
fn bucket(kind: u8, parts: &[&str], buckets: u32) -> u32 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut eat = |byte: u8| {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    };
    eat(kind);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(0x1f);
        }
        part.bytes().for_each(&mut eat);
    }
    (hash % u64::from(buckets)) as u32
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
