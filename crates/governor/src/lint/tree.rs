//! One small read-only tree for TOML, JSON and JSON5, with the byte offset of every key and
//! value, so each check reads the same way whatever the file format and every finding can name
//! its line and column.

use super::finding::Location;
use jsonc_parser::ast;
use jsonc_parser::{CollectOptions, ParseOptions};

/// A parsed value and where it starts (the key's offset for a table entry, else the value's).
#[derive(Clone, Debug)]
pub struct Node {
    pub offset: usize,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub enum Value {
    Table(Vec<(String, Node)>),
    Array(Vec<Node>),
    Str(String),
    Bool(bool),
    /// A number as written.
    Number(String),
    Other,
}

impl Node {
    /// The entry `key` of a table (the last one when a JSON object repeats a key, as JSON
    /// parsers keep).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Table(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, n)| n),
            _ => None,
        }
    }

    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&str> {
        match &self.value {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Table(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Array(items) => items,
            _ => &[],
        }
    }

    /// The strings of an array (other elements skipped).
    pub fn strings(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.items().iter().filter_map(|n| n.as_str().map(|s| (s, n)))
    }
}

/// Byte offsets to 1-based lines and character columns.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { text, starts }
    }

    pub fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self.text.get(start..offset.min(self.text.len())).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    pub fn location(&self, file: &str, offset: usize) -> Location {
        let (line, column) = self.position(offset);
        Location { file: file.to_owned(), line, column }
    }
}

/// A file that does not parse: the message and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// TOML through `toml_edit`, whose parsed (not yet edited) document keeps every span.
pub fn parse_toml(text: &str) -> Result<Node, SyntaxError> {
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let (line, column) = Lines::new(text).position(e.span().map_or(0, |s| s.start));
        SyntaxError { line, column, message: e.message().trim().to_owned() }
    })?;
    Ok(toml_table(doc.as_table(), 0))
}

fn first_offset(entries: &[(String, Node)], fallback: usize) -> usize {
    entries.iter().map(|(_, n)| n.offset).min().unwrap_or(fallback)
}

fn toml_table(table: &toml_edit::Table, fallback: usize) -> Node {
    let here = table.span().map_or(fallback, |s| s.start);
    let entries: Vec<(String, Node)> = table
        .iter()
        .map(|(key, item)| {
            let key_offset = table.key(key).and_then(toml_edit::Key::span).map(|s| s.start);
            let mut node = toml_item(item, key_offset.unwrap_or(here));
            if let Some(offset) = key_offset {
                node.offset = offset;
            }
            (key.to_owned(), node)
        })
        .collect();
    // An implicit table (`[a.b]` makes `a`) has no span of its own: it starts at its first entry.
    let offset = table.span().map_or_else(|| first_offset(&entries, fallback), |s| s.start);
    Node { offset, value: Value::Table(entries) }
}

fn toml_item(item: &toml_edit::Item, fallback: usize) -> Node {
    match item {
        toml_edit::Item::Value(value) => toml_value(value, fallback),
        toml_edit::Item::Table(table) => toml_table(table, fallback),
        toml_edit::Item::ArrayOfTables(array) => {
            let items: Vec<Node> = array.iter().map(|t| toml_table(t, fallback)).collect();
            let offset = array.span().map_or_else(|| items.iter().map(|n| n.offset).min().unwrap_or(fallback), |s| s.start);
            Node { offset, value: Value::Array(items) }
        }
        toml_edit::Item::None => Node { offset: fallback, value: Value::Other },
    }
}

fn toml_value(value: &toml_edit::Value, fallback: usize) -> Node {
    let offset = value.span().map_or(fallback, |s| s.start);
    let value = match value {
        toml_edit::Value::String(s) => Value::Str(s.value().clone()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Integer(i) => Value::Number(i.value().to_string()),
        toml_edit::Value::Array(array) => Value::Array(array.iter().map(|v| toml_value(v, offset)).collect()),
        toml_edit::Value::InlineTable(table) => Value::Table(
            table
                .iter()
                .map(|(key, v)| {
                    let key_offset = table.key(key).and_then(toml_edit::Key::span).map_or(offset, |s| s.start);
                    let mut node = toml_value(v, key_offset);
                    node.offset = key_offset;
                    (key.to_owned(), node)
                })
                .collect(),
        ),
        _ => Value::Other,
    };
    Node { offset, value }
}

/// JSON, JSONC or JSON5 through dprint's `jsonc-parser` (comments, trailing commas, unquoted
/// keys, single quotes). `strict` accepts plain JSON only.
pub fn parse_json(text: &str, strict: bool) -> Result<Node, SyntaxError> {
    let options = if strict {
        ParseOptions {
            allow_comments: false,
            allow_loose_object_property_names: false,
            allow_trailing_commas: false,
            allow_missing_commas: false,
            allow_single_quoted_strings: false,
            allow_hexadecimal_numbers: false,
            allow_unary_plus_numbers: false,
            allow_bare_decimal_point_numbers: false,
            allow_non_finite_numbers: false,
            allow_extended_string_escapes: false,
        }
    } else {
        ParseOptions::default()
    };
    let parsed = jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options)
        .map_err(|e| SyntaxError { line: e.line_display(), column: e.column_display(), message: e.kind().to_string() })?;
    Ok(parsed.value.map_or(Node { offset: 0, value: Value::Table(Vec::new()) }, |v| json_value(&v)))
}

fn json_value(value: &ast::Value<'_>) -> Node {
    match value {
        ast::Value::Object(object) => Node {
            offset: object.range.start,
            value: Value::Table(
                object
                    .properties
                    .iter()
                    .map(|prop| {
                        let mut node = json_value(&prop.value);
                        node.offset = prop.range.start;
                        (prop.name.as_str().to_owned(), node)
                    })
                    .collect(),
            ),
        },
        ast::Value::Array(array) => Node { offset: array.range.start, value: Value::Array(array.elements.iter().map(json_value).collect()) },
        ast::Value::StringLit(s) => Node { offset: s.range.start, value: Value::Str(s.value.to_string()) },
        ast::Value::BooleanLit(b) => Node { offset: b.range.start, value: Value::Bool(b.value) },
        ast::Value::NumberLit(n) => Node { offset: n.range.start, value: Value::Number(n.value.to_owned()) },
        ast::Value::NullKeyword(n) => Node { offset: n.range.start, value: Value::Other },
    }
}
