//! The policy daemon (`aethelgard serve`) and its clients (`aethelgard status`, the hook).
//!
//! One long-lived process holds the compiled policy, the stage 2 model, the governor and the audit
//! writer, and answers on a Unix socket: one JSON request per line, one JSON answer per line
//! (`docs/daemon.md`). The hook asks it when it runs and decides in process when it does not, so
//! the daemon makes answers faster and the audit central, never less safe.
//!
//! The socket is the way in: mode 0600 in a folder owned by the daemon's user, so the kernel
//! refuses `connect` to every other user, and each connection's peer is checked with
//! `SO_PEERCRED` (rustix, no `unsafe`): a peer running as another user is refused and counted.
//! An HTTP listener on 127.0.0.1 (`--http`, off by default) serves status, Prometheus metrics,
//! route and scope; it is the only part that runs tokio (`docs/daemon.md`).

pub mod client;
pub mod http;
pub mod metrics;
pub mod server;
pub mod state;

use std::path::{Path, PathBuf};

/// The variable naming the daemon's socket for clients; `off` makes the hook decide in process.
pub const SOCKET_VAR: &str = "AETHELGARD_SOCKET";

/// Longest request or answer line, in bytes.
pub const MAX_LINE: usize = 1024 * 1024;

/// `--socket`, else `$AETHELGARD_SOCKET`, else `$XDG_RUNTIME_DIR/aethelgard.sock`, else
/// `~/.local/state/aethelgard/aethelgard.sock`. `None` when the variable says `off` or there is
/// no home folder.
pub fn socket_path(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = flag {
        return Some(path.to_path_buf());
    }
    if let Some(value) = std::env::var_os(SOCKET_VAR).filter(|v| !v.is_empty()) {
        if value == "off" {
            return None;
        }
        return Some(PathBuf::from(value));
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir).join("aethelgard.sock"));
    }
    dirs::home_dir().map(|home| {
        home.join(".local")
            .join("state")
            .join("aethelgard")
            .join("aethelgard.sock")
    })
}
