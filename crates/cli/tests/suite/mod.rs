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
mod proxy_llm;
mod proxy_http;
mod daemon_faults;

#[allow(dead_code)]
#[path = "../shared/audit_log.rs"]
mod audit_log;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary as a user with no policy of their own runs it: no $AETHELGARD_POLICY, no config
/// directory.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aethelgard"));
    command.env("AETHELGARD_POLICY", "").env("XDG_CONFIG_HOME", "/nonexistent-aethelgard-test");
    command
}

/// Runs [`command`] with `args` to the end.
pub fn aethelgard(args: &[&str]) -> Output {
    command().args(args).output().unwrap()
}

/// A fresh, empty folder for one test: `<target tmp>/<group>/<name>`.
pub fn scratch(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(group).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
