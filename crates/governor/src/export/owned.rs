//! What an exporter owns in a file it edits, so that a later export (or `uninstall`) changes only
//! that and never the user's own settings.
//!
//! An exporter says what it wants (keys with values, strings in lists); [`apply`] makes the file
//! say so while touching nothing that already says it, remembers each key's value from before the
//! first export, and takes back what an earlier export wanted and this one does not. Reverting
//! everything is applying nothing. A key the user changed after we wrote it is theirs again: it
//! is left as it is.

use super::ExportError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The record of what Aethelgard wrote into one file (kept beside it as JSON by the CLI).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Owned {
    /// Keys set, with their value from before the first export (`None`: the key was absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<OwnedKey>,
    /// Strings added to lists that the user may also write in (`permissions.deny`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<OwnedEntries>,
    /// Tables or objects that did not exist before; removed again when they become empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<Vec<String>>,
    /// Hook commands registered (Claude Code `hooks.PreToolUse`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<String>,
}

/// One key set by an export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OwnedKey {
    pub path: Vec<String>,
    /// The value before the first export; `None` when the key was absent.
    pub original: Option<Value>,
    /// The value the export wrote; `null` when it removed the key.
    pub written: Value,
}

/// Strings one export added to a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OwnedEntries {
    pub path: Vec<String>,
    pub values: Vec<String>,
}

impl Owned {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.entries.is_empty() && self.created.is_empty() && self.hooks.is_empty()
    }

    fn key(&self, path: &[String]) -> Option<&OwnedKey> {
        self.keys.iter().find(|k| k.path == path)
    }

    fn entries_at(&self, path: &[String]) -> &[String] {
        self.entries.iter().find(|e| e.path == path).map_or(&[], |e| e.values.as_slice())
    }
}

/// What an exporter wants a file to say.
#[derive(Clone, Debug, Default)]
pub(crate) struct Wants {
    pub keys: Vec<(Vec<String>, Value)>,
    pub entries: Vec<(Vec<String>, Vec<String>)>,
}

impl Wants {
    /// Wants the key at `path` to hold `value`; `Value::Null` wants it absent.
    pub fn key(&mut self, path: &[&str], value: impl Into<Value>) {
        self.keys.push((path.iter().map(|s| (*s).to_owned()).collect(), value.into()));
    }

    pub fn key_path(&mut self, path: Vec<String>, value: impl Into<Value>) {
        self.keys.push((path, value.into()));
    }

    pub fn entries(&mut self, path: Vec<String>, values: Vec<String>) {
        self.entries.push((path, values));
    }
}

/// A file format the owned-keys logic can edit without disturbing the rest of the file.
pub(crate) trait Doc {
    /// The value at `path` (a leaf or a whole table), as JSON.
    fn get(&self, path: &[String]) -> Option<Value>;
    /// Sets the value at `path`, creating the tables on the way; pushes each table it creates.
    fn set(&mut self, path: &[String], value: &Value, created: &mut Vec<Vec<String>>) -> Result<(), ExportError>;
    /// Removes the key at `path` (nothing when absent).
    fn remove(&mut self, path: &[String]);
    /// The strings of the list at `path`; `None` when there is no list.
    fn strings(&self, path: &[String]) -> Option<Vec<String>>;
    /// Appends a string to the list at `path`, creating it (and its tables) when missing.
    fn push_string(&mut self, path: &[String], value: &str, created: &mut Vec<Vec<String>>) -> Result<(), ExportError>;
    /// Removes every element equal to `value` from the list at `path`.
    fn remove_string(&mut self, path: &[String], value: &str);
    /// Whether the table or list at `path` exists and holds nothing.
    fn is_empty_at(&self, path: &[String]) -> bool;
}

/// Makes `doc` say what `wants` says, takes back what `previous` wanted and `wants` does not, and
/// returns the new record and a line per change.
pub(crate) fn apply(doc: &mut dyn Doc, wants: &Wants, previous: &Owned) -> Result<(Owned, Vec<String>), ExportError> {
    let mut owned = Owned { hooks: previous.hooks.clone(), ..Owned::default() };
    let mut changes = Vec::new();
    let mut created = previous.created.clone();
    for (path, value) in &wants.keys {
        let current = doc.get(path);
        let original = match previous.key(path) {
            Some(key) => key.original.clone(),
            None => current.clone(),
        };
        if value.is_null() {
            // `null` is "absent": the key is removed (an URL entry rewritten to a command).
            if current.is_some() {
                doc.remove(path);
                changes.push(format!("remove {}", path.join(".")));
            }
        } else if current.as_ref() != Some(value) {
            doc.set(path, value, &mut created)?;
            changes.push(format!("set {} = {}", path.join("."), value));
        }
        owned.keys.push(OwnedKey { path: path.clone(), original, written: value.clone() });
    }
    for (path, values) in &wants.entries {
        let present = doc.strings(path).unwrap_or_default();
        let before = previous.entries_at(path);
        let mut ours = Vec::new();
        for value in values {
            if present.contains(value) {
                // Already there: ours when an earlier export added it, else the user's.
                if before.contains(value) {
                    ours.push(value.clone());
                }
            } else {
                doc.push_string(path, value, &mut created)?;
                changes.push(format!("add {value:?} to {}", path.join(".")));
                ours.push(value.clone());
            }
        }
        if !ours.is_empty() {
            owned.entries.push(OwnedEntries { path: path.clone(), values: ours });
        }
    }
    // Take back what the previous export wrote and this one does not want.
    for key in &previous.keys {
        if wants.keys.iter().any(|(path, _)| *path == key.path) {
            continue;
        }
        if let Some(line) = revert_key(doc, key, &mut created)? {
            changes.push(line);
        }
    }
    for entries in &previous.entries {
        let wanted: &[String] = wants.entries.iter().find(|(path, _)| *path == entries.path).map_or(&[], |(_, v)| v.as_slice());
        for value in entries.values.iter().filter(|v| !wanted.contains(v)) {
            if doc.strings(&entries.path).is_some_and(|present| present.contains(value)) {
                doc.remove_string(&entries.path, value);
                changes.push(format!("remove {value:?} from {}", entries.path.join(".")));
            }
        }
    }
    owned.created = prune_created(doc, created);
    Ok((owned, changes))
}

fn revert_key(doc: &mut dyn Doc, key: &OwnedKey, created: &mut Vec<Vec<String>>) -> Result<Option<String>, ExportError> {
    let current = doc.get(&key.path);
    let ours = if key.written.is_null() { current.is_none() } else { current.as_ref() == Some(&key.written) };
    if !ours || (key.written.is_null() && key.original.is_none()) {
        // Changed by the user since: theirs now.
        return Ok(None);
    }
    match &key.original {
        Some(original) => {
            doc.set(&key.path, original, created)?;
            Ok(Some(format!("restore {} = {}", key.path.join("."), original)))
        }
        None => {
            doc.remove(&key.path);
            Ok(Some(format!("remove {}", key.path.join("."))))
        }
    }
}

/// Removes the tables we created that are now empty (deepest first); keeps the record of the rest.
fn prune_created(doc: &mut dyn Doc, mut created: Vec<Vec<String>>) -> Vec<Vec<String>> {
    created.sort();
    created.dedup();
    created.sort_by_key(|path| std::cmp::Reverse(path.len()));
    let mut kept = Vec::new();
    for path in created {
        if doc.get(&path).is_none() {
            continue;
        }
        if doc.is_empty_at(&path) {
            doc.remove(&path);
        } else {
            kept.push(path);
        }
    }
    kept.sort();
    kept
}
