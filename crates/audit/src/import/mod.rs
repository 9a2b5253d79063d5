//! Importers: what agents already log, turned into session records (DESIGN.md section 3).
//!
//! Each runtime keeps its own record of a session: Codex a rollout file per session and, when
//! configured, OpenTelemetry log events; Claude Code a transcript per session; OpenClaw rows of
//! transcript events in its agent database. An importer reads one of them and answers the
//! questions the audit layer asks of every session: what was the task, which tools were called
//! with which arguments, and which calls did the runtime refuse (a hook, a policy, a plugin).
//!
//! Every importer is a pure function over text (`import_text`), so it is tested on real samples
//! without I/O; `import_path` adds the file system (a directory is walked for the runtime's file
//! names) and OpenClaw's SQLite database. Importers never panic on input: what they cannot read
//! is an [`ImportError`] naming the file, the line and what was expected there, except a
//! half-written last line of a log still being written, which is skipped with a warning.

mod calls;
mod claude_transcript;
mod codex_otel;
mod codex_rollout;
mod error;
mod lines;
mod openclaw;
mod sessions;

pub use error::ImportError;

use aethelgard_protocol::SessionRecord;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The log formats `aethelgard import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Codex session rollouts: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`.
    CodexRollout,
    /// Claude Code transcripts: `~/.claude/projects/<project>/<session>.jsonl`.
    ClaudeTranscript,
    /// OpenClaw transcript events: the agent database's `transcript_events` table
    /// (`<state dir>/agents/<agent>/agent/openclaw-agent.sqlite`), or a JSONL dump of its rows.
    Openclaw,
    /// Codex OpenTelemetry log events, exported as OTLP JSON (one export request a line).
    CodexOtel,
    /// Aethelgard's own session JSONL.
    Sessions,
}

impl Format {
    pub const ALL: [Format; 5] =
        [Format::CodexRollout, Format::ClaudeTranscript, Format::Openclaw, Format::CodexOtel, Format::Sessions];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::CodexRollout => "codex-rollout",
            Format::ClaudeTranscript => "claude-transcript",
            Format::Openclaw => "openclaw",
            Format::CodexOtel => "codex-otel",
            Format::Sessions => "sessions",
        }
    }

    /// Which files a directory walk picks up, described for messages.
    fn file_pattern(self) -> &'static str {
        match self {
            Format::CodexRollout => "`rollout-*.jsonl`",
            Format::ClaudeTranscript | Format::Sessions => "`*.jsonl`",
            Format::Openclaw => "`openclaw-agent.sqlite` or `*.jsonl`",
            Format::CodexOtel => "`*.jsonl` or `*.json`",
        }
    }

    fn matches(self, name: &str) -> bool {
        match self {
            Format::CodexRollout => name.starts_with("rollout-") && name.ends_with(".jsonl"),
            Format::ClaudeTranscript | Format::Sessions => name.ends_with(".jsonl"),
            // The state folder holds many SQLite files (locks, gateway state); transcripts are
            // in each agent's `openclaw-agent.sqlite`, and in older versions' session JSONL.
            Format::Openclaw => name == "openclaw-agent.sqlite" || name.ends_with(".jsonl"),
            Format::CodexOtel => name.ends_with(".jsonl") || name.ends_with(".json"),
        }
    }
}

impl FromStr for Format {
    type Err = ImportError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Format::ALL.into_iter().find(|f| f.as_str() == name).ok_or_else(|| ImportError::UnknownFormat(name.to_owned()))
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an import produced: the sessions, and what was skipped or could not be known, worded
/// for the user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    pub sessions: Vec<SessionRecord>,
    pub warnings: Vec<String>,
}

impl Imported {
    /// Adds another import's sessions (merging records of the same session, which a runtime may
    /// spread over several files) and warnings.
    pub fn absorb(&mut self, other: Imported) {
        merge_sessions(&mut self.sessions, other.sessions);
        self.warnings.extend(other.warnings);
    }
}

/// Imports a file, or every matching file under a directory.
pub fn import_path(format: Format, path: &Path) -> Result<Imported, ImportError> {
    let mut all = Imported::default();
    for file in files_of(format, path)? {
        all.absorb(import_file(format, &file)?);
    }
    Ok(all)
}

/// The files `import_path` reads for `path`: the file itself, or the files under a directory
/// whose names fit the format (walked recursively, in sorted order).
pub fn files_of(format: Format, path: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let metadata = std::fs::metadata(path).map_err(|error| read_error(path, error))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    walk(format, path, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(ImportError::File {
            file: path.display().to_string(),
            message: format!(
                "this folder holds no {} files (looked in every subfolder); is it the right folder for `{format}`?",
                format.file_pattern()
            ),
        });
    }
    Ok(files)
}

fn walk(format: Format, dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let entries = std::fs::read_dir(dir).map_err(|error| read_error(dir, error))?;
    for entry in entries {
        let entry = entry.map_err(|error| read_error(dir, error))?;
        let path = entry.path();
        // Symbolic links to folders are not followed, so a link cycle cannot trap the walk.
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            walk(format, &path, files)?;
        } else if format.matches(&entry.file_name().to_string_lossy()) && path.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

/// Imports one file. OpenClaw's SQLite database is recognised by its header; everything else is
/// read as text (invalid UTF-8 replaced, so a stray byte does not lose a whole log).
pub fn import_file(format: Format, file: &Path) -> Result<Imported, ImportError> {
    let bytes = std::fs::read(file).map_err(|error| read_error(file, error))?;
    let name = file.display().to_string();
    if format == Format::Openclaw && bytes.starts_with(openclaw::SQLITE_HEADER) {
        return openclaw::import_database(file, &name);
    }
    import_text(format, &String::from_utf8_lossy(&bytes), &name)
}

/// Imports the text of one file; `file` names it in messages.
pub fn import_text(format: Format, text: &str, file: &str) -> Result<Imported, ImportError> {
    let mut imported = match format {
        Format::CodexRollout => codex_rollout::import(text, file)?,
        Format::ClaudeTranscript => claude_transcript::import(text, file)?,
        Format::Openclaw => openclaw::import_rows(text, file)?,
        Format::CodexOtel => codex_otel::import(text, file)?,
        Format::Sessions => sessions::import(text, file)?,
    };
    if text.trim().is_empty() {
        imported.warnings.push(format!("`{file}` is empty: no sessions in it"));
    }
    Ok(imported)
}

/// Appends `more` to `sessions`, merging a record into an earlier one of the same session id:
/// its calls follow the earlier calls, and what the earlier record did not know (task, start,
/// tools) is taken from the later one.
pub fn merge_sessions(sessions: &mut Vec<SessionRecord>, more: Vec<SessionRecord>) {
    let mut index: HashMap<String, usize> =
        sessions.iter().enumerate().map(|(slot, record)| (record.session.clone(), slot)).collect();
    for record in more {
        match index.get(&record.session).and_then(|&slot| sessions.get_mut(slot)) {
            Some(earlier) => {
                if earlier.task.is_empty() {
                    earlier.task = record.task;
                }
                if earlier.started_at.is_none() {
                    earlier.started_at = record.started_at;
                }
                for tool in record.tools {
                    if !earlier.tools.contains(&tool) {
                        earlier.tools.push(tool);
                    }
                }
                earlier.calls.extend(record.calls);
                earlier.success = earlier.success.or(record.success);
            }
            None => {
                index.insert(record.session.clone(), sessions.len());
                sessions.push(record);
            }
        }
    }
}

fn read_error(path: &Path, error: std::io::Error) -> ImportError {
    ImportError::Read { file: path.display().to_string(), error }
}
