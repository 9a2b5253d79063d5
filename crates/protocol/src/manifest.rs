use serde::{Deserialize, Serialize};

/// The tools a task may see: what `aethelgard scope` prints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub task_type: String,
    pub granted: Vec<String>,
    pub denied: Vec<String>,
}
