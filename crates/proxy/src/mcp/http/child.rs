//! A stdio MCP server behind the HTTP listener: each POSTed request is written to the server's
//! stdin and its POST waits for the answer with the same id; what the server sends unasked
//! (notifications, its own requests to the client) goes to the clients' GET streams.
//!
//! Ids are the client's own, not rewritten, so the bytes pass unchanged; two requests with the
//! same id in flight at once cannot both be matched, and the second is refused.

use super::{Shared, from_server, warn};
use crate::line::{Line, MAX_LINE, read_line};
use crate::mcp::Gate;
use crate::mcp::stdio::{StdioError, spawn_server};
use serde_json::Value;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufReader, Write};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Lines waiting to be written to the server.
const INPUT_QUEUE: usize = 32;
/// Unasked messages buffered per GET stream; a slower stream loses the oldest.
const STREAM_QUEUE: usize = 256;

/// The running server.
pub struct Child {
    input: mpsc::Sender<Vec<u8>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>,
    unasked: broadcast::Sender<Arc<Vec<u8>>>,
    exited: watch::Receiver<Option<String>>,
    pub display: String,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error("the MCP server exited ({0}) before answering")]
    Exited(String),
    #[error("a request with the id {0} is already awaiting its answer; use another id")]
    Duplicate(String),
}

/// Starts the server; its stdout is read on a thread through the handler.
pub fn start<G: Gate + Send + 'static>(
    command: &[OsString],
    shared: Shared<G>,
) -> Result<Arc<Child>, StdioError> {
    let (mut process, display) = spawn_server(command)?;
    let (input, mut lines) = mpsc::channel::<Vec<u8>>(INPUT_QUEUE);
    let (unasked, _) = broadcast::channel(STREAM_QUEUE);
    let (exit_sender, exited) = watch::channel(None);
    let child = Arc::new(Child {
        input,
        waiting: Mutex::new(HashMap::new()),
        unasked,
        exited,
        display,
    });
    if let Some(mut stdin) = process.stdin.take() {
        std::thread::spawn(move || {
            while let Some(line) = lines.blocking_recv() {
                let written = stdin
                    .write_all(&line)
                    .and_then(|()| stdin.write_all(b"\n"))
                    .and_then(|()| stdin.flush());
                if let Err(error) = written {
                    warn(&format!("cannot write to the MCP server: {error}"));
                    return;
                }
            }
        });
    }
    let stdout = process.stdout.take();
    let reader = Arc::clone(&child);
    std::thread::spawn(move || {
        if let Some(stdout) = stdout {
            let mut stdout = BufReader::new(stdout);
            loop {
                match read_line(&mut stdout, MAX_LINE) {
                    Ok(Line::Text(line)) => reader.deliver(&shared, &line),
                    Ok(Line::TooLong) => warn(&format!(
                        "the server sent a message longer than {MAX_LINE} bytes; dropped"
                    )),
                    Ok(Line::Eof) | Err(_) => break,
                }
            }
        }
        // Every request still waiting learns that no answer will come.
        reader
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        let status = process.wait().map_or_else(
            |error| format!("status unknown: {error}"),
            |status| status.to_string(),
        );
        let _ = exit_sender.send(Some(status));
    });
    Ok(child)
}

impl Child {
    /// Sends a request and waits for its answer (already judged by the handler).
    pub async fn request(&self, id: &Value, message: Vec<u8>) -> Result<Vec<u8>, ChildError> {
        let key = id.to_string();
        let (sender, receiver) = oneshot::channel();
        {
            let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            if waiting.contains_key(&key) {
                return Err(ChildError::Duplicate(key));
            }
            if let Some(status) = self.exit_status() {
                return Err(ChildError::Exited(status));
            }
            waiting.insert(key.clone(), sender);
        }
        if self.input.send(message).await.is_err() {
            self.waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&key);
        }
        receiver.await.map_err(|_| {
            ChildError::Exited(
                self.exit_status()
                    .unwrap_or_else(|| "its output closed".to_owned()),
            )
        })
    }

    /// Sends a notification, or the client's answer to one of the server's requests.
    pub async fn send(&self, message: Vec<u8>) -> Result<(), ChildError> {
        if let Some(status) = self.exit_status() {
            return Err(ChildError::Exited(status));
        }
        self.input
            .send(message)
            .await
            .map_err(|_| ChildError::Exited("its input closed".to_owned()))
    }

    /// A stream of what the server sends unasked.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Vec<u8>>> {
        self.unasked.subscribe()
    }

    /// The server's exit status once it has exited.
    pub fn exit_status(&self) -> Option<String> {
        self.exited.borrow().clone()
    }

    /// Resolves when the server has exited, with its status.
    pub async fn wait(&self) -> String {
        let mut exited = self.exited.clone();
        loop {
            if let Some(status) = exited.borrow_and_update().clone() {
                return status;
            }
            if exited.changed().await.is_err() {
                return "status unknown".to_owned();
            }
        }
    }

    fn deliver<G: Gate>(&self, shared: &Shared<G>, line: &[u8]) {
        let Some(message) = from_server(shared, line) else {
            return;
        };
        let answer_to = super::peek(&message)
            .filter(|peek| peek.response)
            .and_then(|peek| peek.id);
        if let Some(id) = answer_to {
            let waiter = self
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id.to_string());
            if let Some(waiter) = waiter {
                let _ = waiter.send(message);
                return;
            }
        }
        // No GET stream open: nobody to tell, as with a Streamable HTTP server.
        let _ = self.unasked.send(Arc::new(message));
    }
}
