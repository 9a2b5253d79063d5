//! Finding and loading the policy, with a cache that remembers which policy texts already passed
//! their examples, so a hook does not re-run them on every call.

use aethelgard_router::{Environment, Examples, Router, RouterError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Where the policy comes from.
#[derive(Debug)]
pub enum Source {
    File(PathBuf),
    Builtin,
}

/// `--policy`, else `$AETHELGARD_POLICY`, else the user's config file, else the built-in default.
pub fn resolve(flag: Option<&Path>) -> Source {
    if let Some(path) = flag {
        return Source::File(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("AETHELGARD_POLICY").filter(|p| !p.is_empty()) {
        return Source::File(PathBuf::from(path));
    }
    if let Some(path) = dirs::config_dir().map(|d| d.join("aethelgard").join("policy.toml"))
        && path.is_file() {
            return Source::File(path);
        }
    Source::Builtin
}

/// Loads the router. The built-in policy's examples are checked by the test suite at build time;
/// a file's examples are checked once per distinct text and remembered in the cache directory.
pub fn router(flag: Option<&Path>) -> Result<Router, RouterError> {
    let env = Environment::from_process();
    match resolve(flag) {
        Source::Builtin => Router::builtin(env, Examples::Trust),
        Source::File(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|source| aethelgard_policy::PolicyError::Read { path: path.display().to_string(), source })?;
            let stamp = stamp_path(&text);
            let examples = match &stamp {
                Some(stamp) if stamp.is_file() => Examples::Trust,
                _ => Examples::Check,
            };
            let origin = path.display().to_string();
            let (file, catalog) = match examples {
                Examples::Check => aethelgard_policy::parse(&text, &origin, path.parent())?,
                Examples::Trust => aethelgard_policy::parse_trusted(&text, &origin, path.parent())?,
            };
            let router = Router::with_examples(file, catalog, &origin, env, examples)?.with_policy_stage2(path.parent())?;
            if examples == Examples::Check
                && let Some(stamp) = stamp {
                    // Best effort: without the cache the next load simply checks again.
                    let _ = stamp.parent().map(std::fs::create_dir_all);
                    let _ = std::fs::write(&stamp, b"examples passed\n");
                }
            Ok(router)
        }
    }
}

/// The hex SHA-256 of `bytes`: policy hashes, the verified-examples cache, export records.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn stamp_path(text: &str) -> Option<PathBuf> {
    let hex = sha256_hex(text.as_bytes());
    let version = env!("CARGO_PKG_VERSION");
    dirs::cache_dir().map(|d| d.join("aethelgard").join("verified").join(format!("{version}-{hex}")))
}

/// The policy file and its catalog, without the router (for layer 1 commands), and the folder
/// relative paths in it resolve against.
pub fn policy(flag: Option<&Path>) -> Result<(aethelgard_policy::PolicyFile, aethelgard_policy::Catalog, Option<PathBuf>), aethelgard_policy::PolicyError> {
    match resolve(flag) {
        Source::Builtin => {
            let (file, catalog) = aethelgard_policy::default_policy_trusted()?;
            Ok((file, catalog, None))
        }
        Source::File(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|source| aethelgard_policy::PolicyError::Read { path: path.display().to_string(), source })?;
            let (file, catalog) = aethelgard_policy::parse(&text, &path.display().to_string(), path.parent())?;
            Ok((file, catalog, path.parent().map(Path::to_path_buf)))
        }
    }
}

/// The governor of the policy: its profiles, the classifier it names (`rules`, `builtin` or a
/// model file; else the built-in trained model)
/// and the learned policy it names, unless `learned` overrides it.
pub fn governor(flag: Option<&Path>, learned: Option<&Path>) -> anyhow::Result<aethelgard_governor::Governor> {
    use anyhow::Context as _;
    let (file, catalog, base) = policy(flag)?;
    let relative = |name: &str| base.as_ref().map_or_else(|| PathBuf::from(name), |dir| dir.join(name));
    let mut governor = aethelgard_governor::Governor::new(&file, catalog)?;
    let learned_path = learned.map(Path::to_path_buf).or_else(|| file.governor.learned.as_deref().map(relative));
    if let Some(path) = learned_path {
        let policy = aethelgard_governor::learned::LearnedPolicy::load(&path)
            .with_context(|| format!("loading the learned policy {}", path.display()))?;
        governor = governor.with_learned(policy);
    }
    if file.governor.classifier.as_deref() == Some("rules") {
        governor = governor.with_classifier(Box::new(aethelgard_governor::classify::rules::RuleClassifier::builtin()));
    } else if let Some(name) = file.governor.classifier.as_deref().filter(|name| *name != "builtin") {
        let path = relative(name);
        let model = aethelgard_governor::classify::load_model(&path)
            .with_context(|| format!("loading the task classifier {} (`[governor] classifier`)", path.display()))?;
        governor = governor.with_classifier(model);
    }
    Ok(governor)
}
