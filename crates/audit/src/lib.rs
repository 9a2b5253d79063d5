//! Layer 4 of Aethelgard: the audit log, and what is learned and reported from it.
//!
//! Every grant, tool call and outcome is appended to one log whose entries are chained by
//! SHA-256: each entry's hash covers its contents and the hash before it, so an entry that is
//! edited, deleted, inserted or moved breaks the chain at that point, and `verify` names it. The
//! log is the evidence a security team reads after an incident and the training data of the
//! learning layer, so it must never lose an entry it acknowledged: an `append` that returned is
//! durable even if the process is killed the next instant.
//!
//! The store is one trait, [`AuditStore`]; SQLite ([`SqliteStore`], WAL mode, created on first
//! use in the user's data folder) is the embedded backend, and a PostgreSQL backend for many
//! hosts implements the same trait without touching its callers. Secrets in call arguments are
//! redacted ([`Redactor`]) before they are hashed and stored.
//!
//! Around the store: importers turn what agents already log (Codex rollouts and OpenTelemetry,
//! Claude Code transcripts, OpenClaw transcript events, our own session JSONL) into session
//! records; [`metrics`] computes the design's metrics (SER always beside task success and the
//! required-tool denial rate); [`report`] renders them for a terminal and as one HTML file.
//!
//! What it is not: a log shipper. OpenTelemetry export and the multi-host store build on this
//! interface; this crate keeps the record straight.

pub mod chain;
mod error;
mod event;
pub mod import;
pub mod metrics;
mod redact;
pub mod report;
mod sessions;
mod sqlite;
mod store;
pub mod time;

pub use chain::{Break, GENESIS};
pub use error::AuditError;
pub use event::{CallEvent, Entry, Event, Outcome, Receipt, SessionStart};
pub use redact::{Redactor, BUILTIN_PATTERNS};
pub use sessions::{events_of, sessions_of};
pub use sqlite::{SqliteStore, Sync};
pub use store::{AuditStore, Filter, Verification};

use std::path::PathBuf;

/// Where the store lives when nobody says: `$AETHELGARD_AUDIT_DB`, else
/// `<data dir>/aethelgard/audit.db` (`~/.local/share/aethelgard/audit.db` on Linux).
pub fn default_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AETHELGARD_AUDIT_DB").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    dirs::data_dir().map(|dir| dir.join("aethelgard").join("audit.db"))
}

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
