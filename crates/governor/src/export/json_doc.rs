//! JSON, JSONC and JSON5 files edited in place: comments, key order, quoting and layout of
//! everything we do not touch stay as they were (dprint's `jsonc-parser` concrete syntax tree).
//!
//! A path segment `[id=main]` selects the element of an array whose `id` is `main` (OpenClaw's
//! legacy `agents.list`).

use super::ExportError;
use super::owned::Doc;
use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstArray, CstInputValue, CstNode, CstObject, CstRootNode};
use serde_json::Value;

pub(crate) struct JsonDoc {
    pub root: CstRootNode,
    origin: String,
}

impl JsonDoc {
    /// Parses `text` (empty or missing text is an empty object).
    pub fn parse(text: Option<&str>, origin: &str) -> Result<Self, ExportError> {
        let text = text.unwrap_or("");
        let root = CstRootNode::parse(text, &ParseOptions::default())
            .map_err(|e| ExportError::Parse { origin: origin.to_owned(), message: e.to_string() })?;
        let doc = Self { root, origin: origin.to_owned() };
        match doc.root.value() {
            None => {
                doc.root.object_value_or_set();
            }
            Some(node) if node.as_object().is_none() => {
                return Err(doc.shape("the file must hold one JSON object"));
            }
            Some(_) => {}
        }
        Ok(doc)
    }

    pub fn text(&self) -> String {
        let mut text = self.root.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }

    pub fn object(&self) -> Option<CstObject> {
        self.root.object_value()
    }

    fn shape(&self, message: &str) -> ExportError {
        ExportError::Shape { origin: self.origin.clone(), message: message.to_owned() }
    }

    /// The value node at `path`.
    pub fn node(&self, path: &[String]) -> Option<CstNode> {
        let mut node: CstNode = self.object()?.into();
        for segment in path {
            node = child(&node, segment)?;
        }
        Some(node)
    }

    /// The object at `path`, created (with each missing object on the way) when absent.
    pub fn object_at(&self, path: &[String], created: &mut Vec<Vec<String>>) -> Result<CstObject, ExportError> {
        self.walk(path, created)
    }

    /// The object holding the last segment of `path` (created when missing), and that segment.
    fn parent<'p>(&self, path: &'p [String], created: &mut Vec<Vec<String>>) -> Result<(CstObject, &'p str), ExportError> {
        let (last, parents) = path.split_last().ok_or_else(|| self.shape("empty path"))?;
        Ok((self.walk(parents, created)?, last.as_str()))
    }

    /// Walks `path` from the root object, creating missing objects (and `[id=X]` list elements).
    fn walk(&self, path: &[String], created: &mut Vec<Vec<String>>) -> Result<CstObject, ExportError> {
        let parents = path;
        // Walk, supporting `[id=X]` elements of arrays on the way.
        let mut object = self.object().ok_or_else(|| self.shape("the file must hold one JSON object"))?;
        let mut index = 0;
        while index < parents.len() {
            let Some(segment) = parents.get(index) else { break };
            let selector = parents.get(index + 1).map(String::as_str).and_then(id_selector);
            let here: Vec<String> = path.iter().take(index + 1).cloned().collect();
            if let Some(id) = selector {
                let array = match object.get(segment) {
                    Some(prop) => prop
                        .value()
                        .and_then(|v| v.as_array())
                        .ok_or_else(|| self.shape(&format!("`{}` is not a list", here.join("."))))?,
                    None => {
                        created.push(here.clone());
                        object.array_value_or_create(segment).ok_or_else(|| self.shape("cannot create a list"))?
                    }
                };
                object = match element_with_id(&array, id) {
                    Some(element) => element,
                    None => {
                        let mut element_path = here.clone();
                        element_path.push(format!("[id={id}]"));
                        created.push(element_path);
                        let node = array.append(CstInputValue::Object(vec![("id".to_owned(), CstInputValue::String(id.to_owned()))]));
                        node.as_object().ok_or_else(|| self.shape("cannot create a list element"))?
                    }
                };
                index += 2;
                continue;
            }
            object = match object.get(segment) {
                Some(prop) => prop
                    .value()
                    .and_then(|v| v.as_object())
                    .ok_or_else(|| self.shape(&format!("`{}` is not an object", here.join("."))))?,
                None => {
                    object.append(segment, CstInputValue::Object(Vec::new()));
                    created.push(here);
                    object.object_value(segment).ok_or_else(|| self.shape("cannot create an object"))?
                }
            };
            index += 1;
        }
        Ok(object)
    }
}

fn id_selector(segment: &str) -> Option<&str> {
    segment.strip_prefix("[id=").and_then(|rest| rest.strip_suffix(']'))
}

fn element_with_id(array: &CstArray, id: &str) -> Option<CstObject> {
    array.elements().into_iter().filter_map(|e| e.as_object()).find(|object| {
        object
            .get("id")
            .and_then(|prop| prop.value())
            .and_then(|v| v.as_string_lit())
            .and_then(|s| s.decoded_value().ok())
            .is_some_and(|value| value == id)
    })
}

fn child(node: &CstNode, segment: &str) -> Option<CstNode> {
    if let Some(id) = id_selector(segment) {
        return element_with_id(&node.as_array()?, id).map(Into::into);
    }
    node.as_object()?.get(segment)?.value()
}

/// serde_json's value as the CST's input value.
pub(crate) fn input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), input(v))).collect()),
    }
}

fn string_of(node: &CstNode) -> Option<String> {
    node.as_string_lit().and_then(|s| s.decoded_value().ok())
}

impl Doc for JsonDoc {
    fn get(&self, path: &[String]) -> Option<Value> {
        self.node(path)?.to_serde_value()
    }

    fn set(&mut self, path: &[String], value: &Value, created: &mut Vec<Vec<String>>) -> Result<(), ExportError> {
        let (object, key) = self.parent(path, created)?;
        match object.get(key) {
            Some(prop) => prop.set_value(input(value)),
            None => {
                object.append(key, input(value));
            }
        }
        Ok(())
    }

    fn remove(&mut self, path: &[String]) {
        let Some((last, parents)) = path.split_last() else { return };
        if id_selector(last).is_some() {
            if let Some(node) = self.node(path) {
                node.remove();
            }
            return;
        }
        if let Some(prop) = self.node(parents).and_then(|n| n.as_object()).and_then(|o| o.get(last)) {
            prop.remove();
        }
    }

    fn strings(&self, path: &[String]) -> Option<Vec<String>> {
        let array = self.node(path)?.as_array()?;
        Some(array.elements().iter().filter_map(string_of).collect())
    }

    fn push_string(&mut self, path: &[String], value: &str, created: &mut Vec<Vec<String>>) -> Result<(), ExportError> {
        let array = match self.node(path) {
            Some(node) => node.as_array().ok_or_else(|| self.shape(&format!("`{}` is not a list", path.join("."))))?,
            None => {
                let (object, key) = self.parent(path, created)?;
                created.push(path.to_vec());
                object.array_value_or_create(key).ok_or_else(|| self.shape("cannot create a list"))?
            }
        };
        array.append(CstInputValue::String(value.to_owned()));
        Ok(())
    }

    fn remove_string(&mut self, path: &[String], value: &str) {
        let Some(array) = self.node(path).and_then(|n| n.as_array()) else { return };
        for element in array.elements() {
            if string_of(&element).as_deref() == Some(value) {
                element.remove();
            }
        }
    }

    fn is_empty_at(&self, path: &[String]) -> bool {
        match self.node(path) {
            Some(node) => {
                if let Some(object) = node.as_object() {
                    // A list element we created holds only its `id`.
                    let properties = object.properties();
                    let only_id = path.last().is_some_and(|s| id_selector(s).is_some())
                        && properties.len() == 1
                        && properties.first().and_then(|p| p.decoded_name()).as_deref() == Some("id");
                    properties.is_empty() || only_id
                } else if let Some(array) = node.as_array() {
                    array.elements().is_empty()
                } else {
                    false
                }
            }
            None => false,
        }
    }
}
