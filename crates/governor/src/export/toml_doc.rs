//! TOML files edited in place with `toml_edit`: comments, order and layout of what we do not touch
//! stay as they were; a value we replace keeps the comment written beside it.

use super::ExportError;
use super::owned::Doc;
use serde_json::Value as Json;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, Value};

pub(crate) struct TomlDoc {
    pub doc: DocumentMut,
    origin: String,
}

impl TomlDoc {
    pub fn parse(text: Option<&str>, origin: &str) -> Result<Self, ExportError> {
        let doc = text
            .unwrap_or("")
            .parse::<DocumentMut>()
            .map_err(|e| ExportError::Parse { origin: origin.to_owned(), message: e.to_string() })?;
        Ok(Self { doc, origin: origin.to_owned() })
    }

    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    fn shape(&self, message: String) -> ExportError {
        ExportError::Shape { origin: self.origin.clone(), message }
    }

    fn item(&self, path: &[String]) -> Option<&Item> {
        let mut item = self.doc.as_item();
        for segment in path {
            item = item.as_table_like()?.get(segment)?;
        }
        Some(item)
    }

    /// The table holding the last segment of `path`, created (as implicit tables) when missing.
    /// The existing table at `path`, if every segment is one.
    fn table_at(&mut self, path: &[String]) -> Option<&mut dyn TableLike> {
        let mut table: &mut dyn TableLike = self.doc.as_table_mut();
        for segment in path {
            table = table.get_mut(segment).and_then(Item::as_table_like_mut)?;
        }
        Some(table)
    }

    fn parent_mut(&mut self, path: &[String], created: &mut Vec<Vec<String>>) -> Result<&mut dyn TableLike, ExportError> {
        let origin = self.origin.clone();
        let parents = path.split_last().map_or(&[][..], |(_, parents)| parents);
        let mut table: &mut dyn TableLike = self.doc.as_table_mut();
        for (depth, segment) in parents.iter().enumerate() {
            if !table.contains_key(segment) {
                let mut new = Table::new();
                new.set_implicit(true);
                table.insert(segment, Item::Table(new));
                created.push(path.iter().take(depth + 1).cloned().collect());
            }
            let here = path.iter().take(depth + 1).cloned().collect::<Vec<_>>().join(".");
            table = table
                .get_mut(segment)
                .and_then(Item::as_table_like_mut)
                .ok_or_else(|| ExportError::Shape { origin: origin.clone(), message: format!("`{here}` is not a table") })?;
        }
        Ok(table)
    }
}

/// A TOML value as JSON (datetimes as strings).
pub(crate) fn to_json(item: &Item) -> Option<Json> {
    match item {
        Item::None => None,
        Item::Value(value) => Some(value_to_json(value)),
        Item::Table(table) => Some(Json::Object(table.iter().filter_map(|(k, v)| Some((k.to_owned(), to_json(v)?))).collect())),
        Item::ArrayOfTables(tables) => Some(Json::Array(
            tables.iter().map(|t| Json::Object(t.iter().filter_map(|(k, v)| Some((k.to_owned(), to_json(v)?))).collect())).collect(),
        )),
    }
}

fn value_to_json(value: &Value) -> Json {
    match value {
        Value::String(s) => Json::String(s.value().clone()),
        Value::Integer(i) => Json::from(*i.value()),
        Value::Float(f) => serde_json::Number::from_f64(*f.value()).map_or(Json::Null, Json::Number),
        Value::Boolean(b) => Json::Bool(*b.value()),
        Value::Datetime(d) => Json::String(d.value().to_string()),
        Value::Array(array) => Json::Array(array.iter().map(value_to_json).collect()),
        Value::InlineTable(table) => Json::Object(table.iter().map(|(k, v)| (k.to_owned(), value_to_json(v))).collect()),
    }
}

/// JSON as a TOML value; `null` has no TOML form.
pub(crate) fn from_json(json: &Json) -> Option<Value> {
    Some(match json {
        Json::Null => return None,
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64()?),
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => {
            let mut array = Array::new();
            for item in items {
                array.push(from_json(item)?);
            }
            Value::Array(array)
        }
        Json::Object(map) => {
            let mut table = InlineTable::new();
            for (key, value) in map {
                table.insert(key, from_json(value)?);
            }
            Value::InlineTable(table)
        }
    })
}

impl Doc for TomlDoc {
    fn get(&self, path: &[String]) -> Option<Json> {
        to_json(self.item(path)?)
    }

    fn set(&mut self, path: &[String], value: &Json, created: &mut Vec<Vec<String>>) -> Result<(), ExportError> {
        let mut new = from_json(value).ok_or_else(|| self.shape(format!("`{}`: null has no TOML form", path.join("."))))?;
        let Some(key) = path.last() else { return Err(self.shape("empty path".to_owned())) };
        let table = self.parent_mut(path, created)?;
        match table.get_mut(key) {
            Some(Item::Value(old)) => {
                // Keep the comment and spacing written around the old value.
                *new.decor_mut() = old.decor().clone();
                *old = new;
            }
            _ => {
                table.insert(key, Item::Value(new));
            }
        }
        Ok(())
    }

    fn remove(&mut self, path: &[String]) {
        let Some((key, parents)) = path.split_last() else { return };
        if let Some(table) = self.table_at(parents) {
            table.remove(key);
        }
    }

    fn strings(&self, path: &[String]) -> Option<Vec<String>> {
        let array = self.item(path)?.as_array()?;
        Some(array.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
    }

    fn push_string(&mut self, path: &[String], value: &str, created: &mut Vec<Vec<String>>) -> Result<(), ExportError> {
        let Some(key) = path.last() else { return Err(self.shape("empty path".to_owned())) };
        let origin = self.origin.clone();
        let table = self.parent_mut(path, created)?;
        if !table.contains_key(key) {
            created.push(path.to_vec());
        }
        let item = table.entry(key).or_insert(Item::Value(Value::Array(Array::new())));
        let array = item
            .as_array_mut()
            .ok_or_else(|| ExportError::Shape { origin, message: format!("`{}` is not a list", path.join(".")) })?;
        array.push(value);
        Ok(())
    }

    fn remove_string(&mut self, path: &[String], value: &str) {
        let Some((key, parents)) = path.split_last() else { return };
        let Some(table) = self.table_at(parents) else { return };
        if let Some(array) = table.get_mut(key).and_then(Item::as_array_mut) {
            array.retain(|v| v.as_str() != Some(value));
        }
    }

    fn is_empty_at(&self, path: &[String]) -> bool {
        match self.item(path) {
            Some(item) => match item.as_table_like() {
                Some(table) => table.is_empty(),
                None => item.as_array().is_some_and(Array::is_empty),
            },
            None => false,
        }
    }
}
