//! Request and argument templates: text with `{slot}` placeholders, filled from value lists.
//!
//! A placeholder is `{` followed by a slot name (lowercase letters, digits, `_`) and `}`; any
//! other brace is literal text. Templates are parsed once, when the gym loads, so a missing slot
//! is an error at load time and filling one costs a few string copies.

use rand::Rng;
use std::collections::BTreeMap;

/// A parsed template: literal text and slot names, alternating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot(String),
}

impl Template {
    /// Parses `text`; it cannot fail (unmatched braces are literal text).
    pub fn parse(text: &str) -> Self {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let (before, after_open) = rest.split_at(open);
            literal.push_str(before);
            let after = after_open.get(1..).unwrap_or("");
            let name_len = after
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(after.len());
            let name = after.get(..name_len).unwrap_or("");
            if name_len > 0
                && after
                    .get(name_len..)
                    .is_some_and(|tail| tail.starts_with('}'))
            {
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(Part::Slot(name.to_owned()));
                rest = after.get(name_len + 1..).unwrap_or("");
            } else {
                literal.push('{');
                rest = after;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Self { parts }
    }

    /// The slot names the template uses, in order, with repeats.
    pub fn slots(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Slot(name) => Some(name.as_str()),
            Part::Text(_) => None,
        })
    }

    /// The text with every slot replaced by its value from `values`.
    pub fn fill(&self, values: &mut SlotValues<'_>, rng: &mut impl Rng) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Slot(name) => out.push_str(values.get(name, rng)),
            }
        }
        out
    }
}

/// Value lists by slot name.
pub type SlotLists = BTreeMap<String, Vec<String>>;

/// The slot values of one session: sampled on first use, then the same everywhere in the
/// session, so the file a request names is the file the agent's `read` call opens.
///
/// A family's own lists take precedence over the shared ones.
#[derive(Clone, Debug)]
pub struct SlotValues<'a> {
    family: &'a SlotLists,
    shared: &'a SlotLists,
    chosen: BTreeMap<String, String>,
}

impl<'a> SlotValues<'a> {
    pub fn new(family: &'a SlotLists, shared: &'a SlotLists) -> Self {
        Self {
            family,
            shared,
            chosen: BTreeMap::new(),
        }
    }

    /// Starts from values chosen earlier (a scenario's), sampling only slots not among them.
    pub fn with_chosen(
        family: &'a SlotLists,
        shared: &'a SlotLists,
        chosen: BTreeMap<String, String>,
    ) -> Self {
        Self {
            family,
            shared,
            chosen,
        }
    }

    /// Whether `name` has a value list (the loader checks every template with this).
    pub fn is_defined(family: &SlotLists, shared: &SlotLists, name: &str) -> bool {
        family
            .get(name)
            .or_else(|| shared.get(name))
            .is_some_and(|list| !list.is_empty())
    }

    /// The session's value for `name`: the one chosen earlier, or a fresh draw. An undefined
    /// slot (the loader rejects those) reads as `{name}`.
    pub fn get(&mut self, name: &str, rng: &mut impl Rng) -> &str {
        if !self.chosen.contains_key(name) {
            let list = self.family.get(name).or_else(|| self.shared.get(name));
            let value = match list {
                Some(list) if !list.is_empty() => list
                    .get(rng.random_range(0..list.len()))
                    .cloned()
                    .unwrap_or_default(),
                _ => format!("{{{name}}}"),
            };
            self.chosen.insert(name.to_owned(), value);
        }
        self.chosen.get(name).map_or("", String::as_str)
    }

    /// The values chosen so far.
    pub fn into_chosen(self) -> BTreeMap<String, String> {
        self.chosen
    }
}

/// A JSON value whose strings are templates: tool-call arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgsTemplate {
    Text(Template),
    Array(Vec<ArgsTemplate>),
    Object(Vec<(String, ArgsTemplate)>),
    /// Numbers, booleans and null, copied as they are.
    Literal(serde_json::Value),
}

impl ArgsTemplate {
    pub fn from_json(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::String(text) => Self::Text(Template::parse(text)),
            serde_json::Value::Array(items) => {
                Self::Array(items.iter().map(Self::from_json).collect())
            }
            serde_json::Value::Object(map) => Self::Object(
                map.iter()
                    .map(|(key, value)| (key.clone(), Self::from_json(value)))
                    .collect(),
            ),
            other => Self::Literal(other.clone()),
        }
    }

    /// Every slot name used anywhere in the value.
    pub fn slots(&self) -> Vec<&str> {
        match self {
            Self::Text(template) => template.slots().collect(),
            Self::Array(items) => items.iter().flat_map(Self::slots).collect(),
            Self::Object(fields) => fields.iter().flat_map(|(_, value)| value.slots()).collect(),
            Self::Literal(_) => Vec::new(),
        }
    }

    pub fn fill(&self, values: &mut SlotValues<'_>, rng: &mut impl Rng) -> serde_json::Value {
        match self {
            Self::Text(template) => serde_json::Value::String(template.fill(values, rng)),
            Self::Array(items) => {
                serde_json::Value::Array(items.iter().map(|item| item.fill(values, rng)).collect())
            }
            Self::Object(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|(key, value)| (key.clone(), value.fill(values, rng)))
                    .collect(),
            ),
            Self::Literal(value) => value.clone(),
        }
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
