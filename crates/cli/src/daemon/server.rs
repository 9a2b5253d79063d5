//! The daemon's I/O: the socket (created private, stale files removed, a live daemon respected),
//! a thread per connection reading one request per line, and the policy watcher.

use super::MAX_LINE;
use super::state::{self, Audit, State};
use anyhow::Context as _;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::net::SocketAddr;

/// Most connections served at once; more are closed at once rather than exhausting threads.
const MAX_CONNECTIONS: u64 = 512;

/// How the daemon runs.
pub struct Options {
    pub policy: Option<PathBuf>,
    pub socket: PathBuf,
    pub audit: Audit,
    pub poll: Duration,
    /// A loopback address for the HTTP listener (`--http`); none by default.
    pub http: Option<SocketAddr>,
    /// Where the HTTP listener writes its token (`--http-token-file`); beside the socket by
    /// default.
    pub http_token_file: Option<PathBuf>,
}

pub fn run(options: Options) -> anyhow::Result<()> {
    let policy_path = match crate::load::resolve(options.policy.as_deref()) {
        crate::load::Source::File(path) => Some(path),
        crate::load::Source::Builtin => None,
    };
    let text = match &policy_path {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("cannot read the policy `{}`", path.display()))?,
        None => aethelgard_policy::DEFAULT_POLICY.as_bytes().to_vec(),
    };
    let loaded = state::load(policy_path.as_deref(), &text, 1).context("cannot load the policy")?;
    let listener = bind(&options.socket)?;
    let socket_inode = std::fs::symlink_metadata(&options.socket)?.ino();
    let state = Arc::new(State::new(
        loaded,
        policy_path,
        options.socket.clone(),
        options.audit,
    )?);
    if let Some(address) = options.http {
        let token_file = options
            .http_token_file
            .clone()
            .unwrap_or_else(|| super::http::default_token_file(&options.socket));
        let bound = super::http::spawn(Arc::clone(&state), address, &token_file)?;
        eprintln!(
            "aethelgard serve: HTTP on http://{bound} (GET /status, GET /metrics; POST /route, POST /scope with the bearer token in {})",
            token_file.display()
        );
        let _ = state.http.set(super::state::HttpListener {
            address: bound.to_string(),
            token_file: token_file.display().to_string(),
        });
    }
    let current = state.current();
    eprintln!(
        "aethelgard serve: listening on {} (pid {}); policy {} (sha256 {}); audit {}",
        options.socket.display(),
        std::process::id(),
        state
            .policy_path
            .as_ref()
            .map_or_else(|| "builtin".to_owned(), |p| p.display().to_string()),
        current.sha256.get(..12).unwrap_or_default(),
        state
            .audit_store
            .as_ref()
            .map_or_else(|| "off".to_owned(), |p| p.display().to_string()),
    );
    drop(current);
    let watched = Arc::clone(&state);
    let poll = options.poll;
    std::thread::Builder::new()
        .name("policy-watcher".into())
        .spawn(move || watch(&watched, socket_inode, poll))?;
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => accept(&state, stream),
            Err(error) => {
                eprintln!("aethelgard serve: accept failed: {error}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    Ok(())
}

/// Creates the socket: its folder made 0700 when missing and required to be this user's and not
/// writable by others; a stale socket file removed; a live daemon left alone.
fn bind(path: &Path) -> anyhow::Result<UnixListener> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    if !parent.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .with_context(|| format!("cannot create the socket's folder `{}`", parent.display()))?;
    }
    let uid =
        super::client::current_uid().context("cannot read this process's uid from /proc/self")?;
    let folder =
        std::fs::metadata(parent).with_context(|| format!("cannot read `{}`", parent.display()))?;
    if folder.uid() != uid {
        anyhow::bail!(
            "the socket's folder `{}` belongs to uid {}, not to this user (uid {uid}): whoever owns it could replace the socket; choose a folder of your own with --socket",
            parent.display(),
            folder.uid()
        );
    }
    if folder.mode() & 0o022 != 0 {
        anyhow::bail!(
            "the socket's folder `{}` is writable by others (mode {:o}): they could replace the socket; `chmod go-w` it or choose another with --socket",
            parent.display(),
            folder.mode() & 0o777
        );
    }
    if let Ok(existing) = std::fs::symlink_metadata(path) {
        if !existing.file_type().is_socket() {
            anyhow::bail!(
                "`{}` exists and is not a socket; not replacing it",
                path.display()
            );
        }
        let status = serde_json::json!({"op": "status"});
        if let Ok(answer) = super::client::request(path, &status, Duration::from_millis(500)) {
            let pid = answer
                .get("pid")
                .map_or_else(|| "?".to_owned(), ToString::to_string);
            anyhow::bail!(
                "another daemon (pid {pid}) already answers on `{}`; stop it first",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("cannot remove the stale socket `{}`", path.display()))?;
    }
    let listener = UnixListener::bind(path)
        .with_context(|| format!("cannot listen on `{}`", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make `{}` private (mode 0600)", path.display()))?;
    Ok(listener)
}

fn accept(state: &Arc<State>, stream: UnixStream) {
    // The second wall after the socket's 0600 mode: whoever connects must run as this daemon's
    // user (root passes file modes, and a mode can be changed between two polls).
    match rustix::net::sockopt::socket_peercred(&stream) {
        Ok(peer) if peer.uid.as_raw() == state.uid => {}
        Ok(peer) => {
            state.refuse_peer();
            eprintln!(
                "aethelgard serve: refused a connection from uid {} (pid {}): only uid {} may ask this daemon",
                peer.uid.as_raw(),
                peer.pid.as_raw_pid(),
                state.uid
            );
            return;
        }
        Err(error) => {
            state.refuse_peer();
            eprintln!("aethelgard serve: refused a connection whose peer cannot be read (SO_PEERCRED: {error})");
            return;
        }
    }
    if state.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
        state.connections.fetch_sub(1, Ordering::SeqCst);
        eprintln!("aethelgard serve: more than {MAX_CONNECTIONS} connections; closing a new one");
        return;
    }
    let state_for_thread = Arc::clone(state);
    let spawned = std::thread::Builder::new()
        .name("connection".into())
        .spawn(move || {
            serve_connection(&state_for_thread, stream);
            state_for_thread.connections.fetch_sub(1, Ordering::SeqCst);
        });
    if let Err(error) = spawned {
        state.connections.fetch_sub(1, Ordering::SeqCst);
        eprintln!("aethelgard serve: cannot start a thread for a connection: {error}");
    }
}

/// One request per line, one answer per line, until the client closes.
fn serve_connection(state: &State, stream: UnixStream) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut out = BufWriter::new(write_half);
    let mut line = Vec::new();
    loop {
        line.clear();
        let answer = match read_line(&mut reader, &mut line) {
            Ok(Line::End) | Err(_) => return,
            Ok(Line::TooLong) => {
                state.count_error();
                serde_json::json!({"error": format!("request line longer than {MAX_LINE} bytes; refused")})
            }
            Ok(Line::Complete) => {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                // A panic in judging must cost one answer, not the daemon.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| state.answer(&line)))
                    .unwrap_or_else(|_| {
                        state.count_error();
                        serde_json::json!({"error": "internal error while answering the request"})
                    })
            }
        };
        let written = serde_json::to_writer(&mut out, &answer)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if written.is_err() {
            return;
        }
    }
}

enum Line {
    Complete,
    TooLong,
    End,
}

/// Reads up to the next newline into `line`, holding at most [`MAX_LINE`] bytes: a longer line is
/// read to its end and dropped, so the connection stays in step.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<Line> {
    let mut too_long = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::End,
                (false, false) => Line::Complete,
            });
        }
        let (chunk, found) = match available.iter().position(|b| *b == b'\n') {
            Some(end) => (available.get(..end).unwrap_or_default(), Some(end + 1)),
            None => (available, None),
        };
        if !too_long {
            if line.len() + chunk.len() > MAX_LINE {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = found.unwrap_or(available.len());
        reader.consume(used);
        if found.is_some() {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Complete
            });
        }
    }
}

/// Polls the policy file and the socket: a changed policy that loads replaces the old one whole; one
/// that does not is reported and the old one stays. A socket file removed or replaced means another
/// process took the name, so this daemon, unreachable now, exits.
fn watch(state: &State, socket_inode: u64, poll: Duration) {
    let mut seen = state.current().sha256.clone();
    loop {
        std::thread::sleep(poll);
        match std::fs::symlink_metadata(&state.socket) {
            Ok(metadata) if metadata.ino() == socket_inode => {
                if metadata.mode() & 0o777 != 0o600 {
                    eprintln!(
                        "aethelgard serve: warning: the socket's mode changed to {:o}; making it 0600 again",
                        metadata.mode() & 0o777
                    );
                    let _ = std::fs::set_permissions(
                        &state.socket,
                        std::fs::Permissions::from_mode(0o600),
                    );
                }
            }
            _ => {
                eprintln!(
                    "aethelgard serve: the socket `{}` was removed or replaced; exiting",
                    state.socket.display()
                );
                std::process::exit(1);
            }
        }
        let Some(path) = &state.policy_path else {
            continue;
        };
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(error) => {
                let marker = format!("unreadable: {error}");
                if seen != marker {
                    let message = format!(
                        "cannot read the policy `{}`: {error}; keeping the policy loaded before",
                        path.display()
                    );
                    eprintln!("aethelgard serve: warning: {message}");
                    state.reload_failed(message);
                    seen = marker;
                }
                continue;
            }
        };
        let hash = crate::load::sha256_hex(&text);
        if hash == seen {
            continue;
        }
        match state::load(Some(path), &text, state.next_generation()) {
            Ok(loaded) => {
                // The file may have changed again between our read and the loader's.
                if std::fs::read(path)
                    .map(|now| crate::load::sha256_hex(&now))
                    .ok()
                    .as_deref()
                    != Some(hash.as_str())
                {
                    continue;
                }
                eprintln!(
                    "aethelgard serve: reloaded the policy `{}` (sha256 {})",
                    path.display(),
                    hash.get(..12).unwrap_or_default()
                );
                state.replace(loaded);
            }
            Err(error) => {
                // One line, so a log reader sees the whole warning (TOML errors draw a caret diagram).
                let error = format!("{error:#}")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && *l != "|")
                    .collect::<Vec<_>>()
                    .join(" ");
                let message = format!(
                    "the policy `{}` changed but does not load ({error}); keeping the policy loaded before",
                    path.display()
                );
                eprintln!("aethelgard serve: warning: {message}");
                state.reload_failed(message);
            }
        }
        seen = hash;
    }
}
