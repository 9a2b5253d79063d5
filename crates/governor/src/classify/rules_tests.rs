use super::*;

#[test]
fn every_phrase_parses_to_words() {
    let rules = RuleClassifier::builtin();
    let mut twice = Vec::new();
    for (id, phrases) in &rules.types {
        assert!(crate::tasks::get(id).is_some(), "rules for `{id}`, which is not a built-in task type");
        let mut seen = std::collections::BTreeSet::new();
        for phrase in phrases {
            assert!(!phrase.words.is_empty(), "an empty phrase for `{id}`");
            assert!(phrase.weight.is_finite() && phrase.weight != 0.0);
            // Two phrases that stem alike would count the same words twice.
            if !seen.insert((format!("{:?}", phrase.words), phrase.anchored)) {
                twice.push(format!("{id}: {:?}", phrase.words));
            }
        }
    }
    assert!(twice.is_empty(), "phrases that stem alike: {twice:#?}");
    assert_eq!(rules.types.len(), crate::tasks::builtin().len());
}

#[test]
fn phrases_match_whole_consecutive_words() {
    let phrase = Phrase::parse("sum up", 1.0);
    let words = crate::classify::text::words("please sum up the thread");
    let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
    assert!(phrase.occurs_in(&stems, &words, 0));
    let words = crate::classify::text::words("the sum is up");
    let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
    assert!(!phrase.occurs_in(&stems, &words, 0));
    let prefix = Phrase::parse("summar*", 1.0);
    let words = crate::classify::text::words("a summary");
    let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
    assert!(prefix.occurs_in(&stems, &words, 0));
}

#[test]
fn a_tie_has_no_confidence() {
    assert_eq!(squash(0.0), 0.0);
    assert_eq!(squash(f64::NAN), 0.0);
    assert!((squash(MARGIN_SCALE) - 0.5).abs() < 1e-12);
}

#[test]
fn anchored_phrases_match_only_the_opening_verb() {
    let phrase = Phrase::parse("^order", 1.0);
    let words = crate::classify::text::words("please order new shoes");
    let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
    assert!(phrase.occurs_in(&stems, &words, 1));
    let words = crate::classify::text::words("count the orders");
    let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
    assert!(!phrase.occurs_in(&stems, &words, 0));
}
