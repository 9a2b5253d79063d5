//! The one interface every audit backend implements. Callers (the CLI, the hook, the daemon, the
//! importers) hold a `Box<dyn AuditStore>` and never name a backend.

use crate::{AuditError, Entry, Event, Receipt};

/// Which entries to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only entries recorded at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Only entries recorded before this time (ms since the epoch).
    pub until_ms: Option<i64>,
    /// Only entries of this session.
    pub session: Option<String>,
}

/// The outcome of `verify`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Entries that passed before the first bad one (all of them when the log is intact).
    pub checked: u64,
    /// The hash of the last good entry: anchor it elsewhere to detect truncation later.
    pub head: String,
    /// The first bad entry, if any: its position and why.
    pub first_bad: Option<(u64, String)>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// An append-only, hash-chained log of audit events.
pub trait AuditStore {
    /// Appends events in one transaction. When this returns `Ok`, every event is durable: it
    /// survives the process being killed right after.
    fn append(&mut self, events: &[Event]) -> Result<Vec<Receipt>, AuditError>;

    /// Reads entries in log order.
    fn entries(&self, filter: &Filter) -> Result<Vec<Entry>, AuditError>;

    /// Walks the whole chain and reports the first entry that was edited, deleted, inserted or
    /// moved.
    fn verify(&self) -> Result<Verification, AuditError>;

    /// The number of entries.
    fn len(&self) -> Result<u64, AuditError>;

    /// Whether the log has no entries.
    fn is_empty(&self) -> Result<bool, AuditError> {
        Ok(self.len()? == 0)
    }
}
