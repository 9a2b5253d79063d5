//! The built-in task types (`data/tasks/types.toml`).

use serde::Deserialize;
use std::sync::OnceLock;

/// The type a request gets when nothing fits: it is scoped by the tightest profile.
pub const UNKNOWN: &str = "unknown";

/// One task type: what agents are asked to do.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskType {
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub examples: Vec<String>,
}

#[derive(Deserialize)]
struct TypesFile {
    types: Vec<TaskType>,
}

const TYPES_TOML: &str = include_str!("../../../data/tasks/types.toml");

/// The built-in task types, in a fixed order (`unknown` last). The file ships inside the binary
/// and is checked by the test suite, so a parse failure cannot happen in a tested build; it would
/// leave only `unknown`.
pub fn builtin() -> &'static [TaskType] {
    static TYPES: OnceLock<Vec<TaskType>> = OnceLock::new();
    TYPES.get_or_init(|| match toml::from_str::<TypesFile>(TYPES_TOML) {
        Ok(file) => file.types,
        Err(_) => vec![TaskType { id: UNKNOWN.to_owned(), description: "no type fits".to_owned(), examples: Vec::new() }],
    })
}

/// A built-in task type by id.
pub fn get(id: &str) -> Option<&'static TaskType> {
    builtin().iter().find(|t| t.id == id)
}

/// The ids of the built-in task types.
pub fn ids() -> impl Iterator<Item = &'static str> {
    builtin().iter().map(|t| t.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_parses_and_ends_with_unknown() -> Result<(), toml::de::Error> {
        let file: TypesFile = toml::from_str(TYPES_TOML)?;
        assert_eq!(file.types.len(), 15);
        assert_eq!(file.types.last().map(|t| t.id.as_str()), Some(UNKNOWN));
        let ids: Vec<&str> = ids().collect();
        for id in ["summarise", "answer", "research", "review", "implement", "test", "debug", "refactor", "deploy", "data", "communicate", "schedule", "pay", "admin"] {
            assert!(ids.contains(&id), "{id} missing");
        }
        Ok(())
    }
}
