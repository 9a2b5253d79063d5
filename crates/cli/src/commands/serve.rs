//! `aethelgard serve`: the policy daemon (`docs/daemon.md`).

use crate::daemon::server::{self, Options};
use crate::daemon::state::Audit;
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Run the policy daemon: compiled policy, stage 2 model and audit writer in one process the agent
/// cannot change, answering hooks and proxies on a Unix socket.
///
/// Protocol: one JSON request per line, one JSON answer per line: {"op":"route","call":{...}},
/// {"op":"scope","task":"...","tools":[...]}, {"op":"hook","runtime":"claude","input":"..."},
/// {"op":"status"}. Connections from another user are refused (SO_PEERCRED). The policy file is watched: a changed file that loads replaces the policy, one
/// that does not is reported and the old policy stays. See docs/daemon.md.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy file (default: see `aethelgard --help`).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The socket (default: $AETHELGARD_SOCKET, else $XDG_RUNTIME_DIR/aethelgard.sock, else
    /// ~/.local/state/aethelgard/aethelgard.sock).
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Do not record decisions in the audit store.
    #[arg(long, conflicts_with = "audit_db")]
    pub no_audit: bool,
    /// The audit store (default: the policy's `[audit] store`, else $AETHELGARD_AUDIT_DB, else
    /// ~/.local/share/aethelgard/audit.db).
    #[arg(long, value_name = "PATH")]
    pub audit_db: Option<PathBuf>,
    /// How often to look at the policy file, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub poll_ms: u64,
    /// Also serve HTTP on this loopback address (127.0.0.1:PORT or [::1]:PORT; port 0 picks one):
    /// GET /status, GET /metrics (Prometheus), POST /route, POST /scope. Off by default.
    #[arg(long, value_name = "ADDRESS")]
    pub http: Option<std::net::SocketAddr>,
    /// Where `--http` writes the token that POST /route and POST /scope need as
    /// `Authorization: Bearer TOKEN` (a new one at each start, mode 0600; TCP carries no peer
    /// credentials, so the token stands in for them). Default: beside the socket,
    /// `<socket>.http-token`.
    #[arg(long, value_name = "PATH", requires = "http")]
    pub http_token_file: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if let Some(address) = args.http
        && !address.ip().is_loopback()
    {
        anyhow::bail!(
            "--http `{address}` is not a loopback address: the daemon's HTTP listener serves 127.0.0.1 or ::1 only (every host on the network could ask it otherwise)"
        );
    }
    let socket = crate::daemon::socket_path(args.socket.as_deref())
        .context("no socket path: pass --socket, or set XDG_RUNTIME_DIR or HOME")?;
    server::run(Options {
        policy: args.policy.clone(),
        socket,
        audit: Audit {
            enabled: !args.no_audit,
            store: args.audit_db.clone(),
        },
        poll: Duration::from_millis(args.poll_ms.max(10)),
        http: args.http,
        http_token_file: args.http_token_file.clone(),
    })?;
    Ok(ExitCode::SUCCESS)
}
