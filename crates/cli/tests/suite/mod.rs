mod audit;
mod demo;
mod docs;
mod export;
mod scope;
mod lint;
mod learn;
mod suggest;
mod learn_policy;
mod proxy;
mod serve;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary as a user with no policy of their own would: no $AETHELGARD_POLICY, no
/// config directory.
pub fn aethelgard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aethelgard"))
        .args(args)
        .env("AETHELGARD_POLICY", "")
        .env("XDG_CONFIG_HOME", "/nonexistent-aethelgard-test")
        .output()
        .unwrap()
}

/// A fresh, empty folder for one test: `<target tmp>/<group>/<name>`.
pub fn scratch(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(group).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
