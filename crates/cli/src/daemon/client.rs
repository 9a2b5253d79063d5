//! Asking the daemon: check the socket is ours, connect within a deadline, send one line, read one.

use super::MAX_LINE;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// The effective uid of this process: the owner of `/proc/self` (Linux), read without `unsafe`.
pub fn current_uid() -> io::Result<u32> {
    Ok(std::fs::metadata("/proc/self")?.uid())
}

/// Refuses a socket someone else could have put there: it must be a socket owned by this user or
/// root, so another user cannot stand in for the daemon and answer `allow`.
fn check_trusted(path: &Path) -> io::Result<()> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.file_type().is_socket() {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("`{}` is not a socket", path.display()),
        ));
    }
    let uid = current_uid()?;
    if metadata.uid() != uid && metadata.uid() != 0 {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "`{}` belongs to uid {}, not to this user (uid {uid}); not asking it",
                path.display(),
                metadata.uid()
            ),
        ));
    }
    Ok(())
}

/// Connects to the daemon, giving up after `timeout` (a daemon whose backlog is full would
/// otherwise block `connect`).
pub fn connect(path: &Path, timeout: Duration) -> io::Result<UnixStream> {
    check_trusted(path)?;
    let (sender, receiver) = std::sync::mpsc::channel();
    let target = path.to_path_buf();
    std::thread::Builder::new()
        .name("connect".into())
        .spawn(move || {
            let _ = sender.send(UnixStream::connect(&target));
        })?;
    match receiver.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            ErrorKind::TimedOut,
            format!(
                "no connection to `{}` within {} ms",
                path.display(),
                timeout.as_millis()
            ),
        )),
    }
}

/// Sends one request and reads its answer; `timeout` bounds each read and write.
pub fn ask(
    stream: &UnixStream,
    request: &serde_json::Value,
    timeout: Duration,
) -> io::Result<serde_json::Value> {
    let timeout = timeout.max(Duration::from_millis(1));
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut line = serde_json::to_vec(request)?;
    line.push(b'\n');
    (&*stream).write_all(&line)?;
    let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
    let mut reader = BufReader::new(Read::take(stream, limit));
    let mut answer = Vec::new();
    reader.read_until(b'\n', &mut answer)?;
    if answer.last() != Some(&b'\n') {
        return Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            "the daemon closed the connection without a complete answer",
        ));
    }
    Ok(serde_json::from_slice(&answer)?)
}

/// Connects and asks once.
pub fn request(
    path: &Path,
    request: &serde_json::Value,
    timeout: Duration,
) -> io::Result<serde_json::Value> {
    let stream = connect(path, timeout)?;
    ask(&stream, request, timeout)
}
