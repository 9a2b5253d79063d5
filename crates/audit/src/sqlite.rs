//! The embedded backend: one SQLite file in WAL mode.
//!
//! Appends take the write lock (`BEGIN IMMEDIATE`), read the last hash, insert and commit, so
//! concurrent hook processes extend one chain without forking it. In WAL mode a committed
//! transaction is in the log file before `COMMIT` returns, so it survives the process being
//! killed; [`Sync`] chooses what survives power loss.

use crate::chain::{self, Row, Verifier};
use crate::store::{AuditStore, Filter, Verification};
use crate::{AuditError, Entry, Event, Receipt};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How hard a commit works to be durable. Every level survives the writing process being killed
/// the instant after `append` returns; they differ on power loss and operating-system crashes.
/// What each costs a hook is measured by `examples/wal_modes.rs` (docs/benchmarks.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sync {
    /// No fsync at all (`synchronous = OFF`). On power loss recent entries can be lost and the
    /// file can be corrupted. About four times cheaper per short-lived writer.
    Fast,
    /// fsync when the WAL is checkpointed (`synchronous = NORMAL`, the default). On power loss the
    /// last commits can be lost; the file stays consistent.
    #[default]
    Normal,
    /// fsync on every commit (`synchronous = FULL`): nothing acknowledged is lost on power loss.
    Full,
}

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Written by
/// hand: one list and one loop are all a log with one table needs.
const MIGRATIONS: &[&str] = &[
    // 1: the log itself, append-only by triggers (the hash chain catches whoever drops them).
    "CREATE TABLE entries (
        seq       INTEGER PRIMARY KEY,
        at_ms     INTEGER NOT NULL,
        kind      TEXT NOT NULL,
        session   TEXT,
        body      TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    );
    CREATE INDEX entries_session ON entries(session);
    CREATE INDEX entries_at ON entries(at_ms);
    CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
];

/// The SQLite audit store.
#[derive(Debug)]
pub struct SqliteStore {
    connection: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens the store at `path`, creating the file, its folder and the schema on first use.
    pub fn open(path: &Path, sync: Sync) -> Result<Self, AuditError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|source| AuditError::CreateDir { path: parent.display().to_string(), source })?;
        }
        let open_error = |source| AuditError::Open { path: path.display().to_string(), source };
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_error)?;
        connection.busy_timeout(Duration::from_secs(5)).map_err(open_error)?;
        // journal_mode answers with a row, so it is queried rather than executed.
        let _mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(open_error)?;
        let synchronous = match sync {
            Sync::Fast => "OFF",
            Sync::Normal => "NORMAL",
            Sync::Full => "FULL",
        };
        connection.pragma_update(None, "synchronous", synchronous).map_err(open_error)?;
        let mut store = Self { connection, path: path.to_path_buf() };
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing store for reading only; fails if there is none. A store whose writer
    /// was killed can need its WAL recovered, which a read-only connection cannot do: then it is
    /// opened for writing (without creating anything) when the file allows.
    pub fn open_read_only(path: &Path) -> Result<Self, AuditError> {
        let open_error = |source| AuditError::Open { path: path.display().to_string(), source };
        let read_only = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .and_then(|c| c.busy_timeout(Duration::from_secs(5)).map(|()| c))
            .and_then(|c| c.query_row("SELECT count(*) FROM entries", [], |row| row.get::<_, i64>(0)).map(|_| c));
        let connection = match read_only {
            Ok(connection) => connection,
            Err(first) => {
                let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                    .map_err(|_| open_error(first))?;
                connection.busy_timeout(Duration::from_secs(5)).map_err(open_error)?;
                connection
            }
        };
        Ok(Self { connection, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<(), AuditError> {
        let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        let version: i64 = self.connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version == known {
            return Ok(());
        }
        let tx = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated while this one waited for the lock.
        let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version > known {
            return Err(AuditError::SchemaTooNew { path: self.path.display().to_string(), found: version, known });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", index + 1)?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl AuditStore for SqliteStore {
    fn append(&mut self, events: &[Event]) -> Result<Vec<Receipt>, AuditError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let bodies = events.iter().map(serde_json::to_string).collect::<Result<Vec<_>, _>>()?;
        let tx = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<(i64, String)> = tx
            .query_row("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1", [], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let (mut seq, mut prev_hash) = match last {
            Some((seq, hash)) => (u64::try_from(seq).unwrap_or(0), hash),
            None => (0, chain::GENESIS.to_owned()),
        };
        let at_ms = crate::time::now_ms();
        let mut receipts = Vec::with_capacity(events.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO entries (seq, at_ms, kind, session, body, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (event, body) in events.iter().zip(&bodies) {
                seq += 1;
                let row = Row { seq, at_ms, kind: event.kind(), session: event.session(), body, prev_hash: &prev_hash };
                let hash = chain::hash(&row);
                insert.execute(params![
                    i64::try_from(seq).unwrap_or(i64::MAX),
                    at_ms,
                    row.kind,
                    row.session,
                    body,
                    prev_hash,
                    hash
                ])?;
                receipts.push(Receipt { seq, hash: hash.clone() });
                prev_hash = hash;
            }
        }
        tx.commit()?;
        Ok(receipts)
    }

    fn entries(&self, filter: &Filter) -> Result<Vec<Entry>, AuditError> {
        let mut statement = self.connection.prepare(
            "SELECT seq, at_ms, body, prev_hash, hash FROM entries
             WHERE (?1 IS NULL OR at_ms >= ?1) AND (?2 IS NULL OR at_ms < ?2) AND (?3 IS NULL OR session = ?3)
             ORDER BY seq",
        )?;
        let rows = statement.query_map(params![filter.since_ms, filter.until_ms, filter.session], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?, row.get(3)?, row.get(4)?))
        })?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, at_ms, body, prev_hash, hash) = row?;
            let seq = u64::try_from(seq).unwrap_or(0);
            let event = serde_json::from_str(&body).map_err(|e| AuditError::Corrupt { seq, message: e.to_string() })?;
            entries.push(Entry { seq, at_ms, event, prev_hash, hash });
        }
        Ok(entries)
    }

    fn verify(&self) -> Result<Verification, AuditError> {
        let mut statement =
            self.connection.prepare("SELECT seq, at_ms, kind, session, body, prev_hash, hash FROM entries ORDER BY seq")?;
        let mut rows = statement.query([])?;
        let mut verifier = Verifier::default();
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let (kind, session, body, prev_hash, hash): (String, Option<String>, String, String, String) =
                (row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?);
            let seq = u64::try_from(seq).unwrap_or(0);
            let stored = Row {
                seq,
                at_ms: row.get(1)?,
                kind: &kind,
                session: session.as_deref(),
                body: &body,
                prev_hash: &prev_hash,
            };
            if let Err(broken) = verifier.check(&stored, &hash) {
                return Ok(Verification { checked: verifier.checked(), head: verifier.head().to_owned(), first_bad: Some((seq, broken.to_string())) });
            }
        }
        Ok(Verification { checked: verifier.checked(), head: verifier.head().to_owned(), first_bad: None })
    }

    fn len(&self) -> Result<u64, AuditError> {
        let count: i64 = self.connection.query_row("SELECT count(*) FROM entries", [], |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
