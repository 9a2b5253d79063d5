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
            let router = Router::with_examples(file, catalog, &origin, env, examples)?;
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

fn stamp_path(text: &str) -> Option<PathBuf> {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let version = env!("CARGO_PKG_VERSION");
    dirs::cache_dir().map(|d| d.join("aethelgard").join("verified").join(format!("{version}-{hex}")))
}
