//! A stdio client in front of a Streamable HTTP server: each line from the client becomes a POST
//! (requests concurrently, notifications and answers in order), and each message of the answers
//! (JSON, or the events of an SSE stream) and of the session's GET stream becomes a line.
//!
//! The proxy keeps the session's headers as a Streamable HTTP client must: `Mcp-Session-Id` from
//! the answer to `initialize`, `MCP-Protocol-Version` from its result, and for a 2026-07-28
//! request (one whose `_meta` names its version) that version with `Mcp-Method` and `Mcp-Name`.

use super::upstream::{Upstream, is_sse, read_body};
use super::{
    HttpError, HttpUpstream, METHOD, NAME, PROTOCOL_VERSION, Peek, SESSION_ID, Shared, forget,
    from_client, from_server, internal_error, peek, runtime, warn,
};
use crate::line::{Line, MAX_LINE, read_line};
use crate::mcp::handler::error_message;
use crate::mcp::{Action, Gate, Handler};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use rmcp::model::ErrorCode;
use serde_json::Value;
use std::io::{self, BufReader};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Lines read ahead from the client, and lines waiting for it.
const QUEUE: usize = 32;
/// How long the answers still in flight may take once the client has closed.
const GRACE: Duration = Duration::from_secs(5);

/// The session's state as the server set it.
#[derive(Default)]
struct Session {
    id: Option<HeaderValue>,
    version: Option<String>,
    /// Whether the GET stream was opened (once per session).
    listening: bool,
}

struct Bridge<G> {
    shared: Shared<G>,
    upstream: Upstream,
    session: Mutex<Session>,
    out: mpsc::Sender<Vec<u8>>,
}

/// Runs until the client closes its stdin; the server's failures are answered as errors.
pub fn run<G: Gate + Send + 'static>(config: HttpUpstream, gate: G) -> Result<(), HttpError> {
    let runtime = runtime()?;
    runtime.block_on(async move {
        let upstream = Upstream::new(config)?;
        let (out, mut lines_out) = mpsc::channel::<Vec<u8>>(QUEUE);
        let bridge = Arc::new(Bridge {
            shared: Arc::new(Mutex::new(Handler::new(gate))),
            upstream,
            session: Mutex::new(Session::default()),
            out,
        });
        let writer = tokio::spawn(async move {
            let mut stdout = tokio::io::stdout();
            while let Some(line) = lines_out.recv().await {
                let written = async {
                    stdout.write_all(&line).await?;
                    stdout.write_all(b"\n").await?;
                    stdout.flush().await
                };
                written.await?;
            }
            Ok(())
        });
        let (lines_in, mut client) = mpsc::channel::<io::Result<Line>>(QUEUE);
        std::thread::spawn(move || {
            let mut stdin = BufReader::with_capacity(64 * 1024, io::stdin());
            loop {
                let line = read_line(&mut stdin, MAX_LINE);
                let last = matches!(line, Ok(Line::Eof) | Err(_));
                if lines_in.blocking_send(line).is_err() || last {
                    return;
                }
            }
        });
        let mut in_flight = JoinSet::new();
        while let Some(line) = client.recv().await {
            match line {
                Ok(Line::Text(line)) => {
                    if let Some(task) = Arc::clone(&bridge).judge(line).await {
                        in_flight.spawn(task);
                    }
                }
                Ok(Line::TooLong) => {
                    let answer = error_message(
                        &Value::Null,
                        ErrorCode::PARSE_ERROR,
                        format!("message longer than {MAX_LINE} bytes refused"),
                    );
                    bridge.write(answer.into_bytes()).await;
                }
                Ok(Line::Eof) | Err(_) => break,
            }
            // Finished requests leave the set as they go.
            while in_flight.try_join_next().is_some() {}
        }
        let _ = tokio::time::timeout(GRACE, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        in_flight.abort_all();
        bridge.end_session().await;
        let Bridge { out, .. } = match Arc::try_unwrap(bridge) {
            Ok(bridge) => bridge,
            Err(_) => return Ok(()),
        };
        drop(out);
        match writer.await {
            Ok(Err(error)) => Err(HttpError::ClientGone(error)),
            _ => Ok(()),
        }
    })
}

type Task = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

impl<G: Gate + Send + 'static> Bridge<G> {
    /// Judges one line; a request to forward comes back as a task to run beside the others.
    async fn judge(self: Arc<Self>, line: Vec<u8>) -> Option<Task> {
        let peeked = peek(&line);
        let body = bytes::Bytes::from(line);
        let message = match from_client(&self.shared, body.clone()).await {
            Action::Forward => body.to_vec(),
            Action::ToServer(message) => message.into_bytes(),
            Action::ToClient(answer) => {
                self.write(answer.into_bytes()).await;
                return None;
            }
            Action::Drop(warning) => {
                warn(&warning);
                return None;
            }
        };
        let peeked = peeked.unwrap_or_default();
        let request = peeked.method.is_some() && peeked.id.is_some();
        if request {
            Some(Box::pin(async move { self.post(message, peeked).await }))
        } else {
            // Notifications and answers go in order (`notifications/initialized` first).
            self.post(message, peeked).await;
            None
        }
    }

    async fn post(self: Arc<Self>, message: Vec<u8>, peeked: Peek) {
        let headers = self.headers(&peeked);
        let initialize = peeked.method.as_deref() == Some("initialize");
        let request = peeked.id.clone().filter(|_| peeked.method.is_some());
        let response = match self
            .upstream
            .send(Method::POST, headers, Some(message))
            .await
        {
            Ok(response) => response,
            Err(error) => {
                let why = format!("cannot reach the MCP server: {error}");
                self.fail(request.as_ref(), why).await;
                return;
            }
        };
        if initialize && let Some(id) = response.headers().get(SESSION_ID) {
            self.session().id = Some(id.clone());
        }
        let status = response.status();
        if !status.is_success() {
            let body = read_body(response).await.unwrap_or_default();
            // A JSON-RPC error body is the server's answer; anything else becomes one.
            if let Some(answer) = peek(&body).filter(|answer| answer.response)
                && answer.id.is_some()
                && let Some(message) = from_server(&self.shared, &body)
            {
                self.write(message).await;
                return;
            }
            let text = String::from_utf8_lossy(&body)
                .chars()
                .take(200)
                .collect::<String>();
            self.fail(
                request.as_ref(),
                format!("the MCP server answered {status}: {text}"),
            )
            .await;
            return;
        }
        if is_sse(response.headers()) {
            let mut events = super::upstream::events(Arc::clone(&self.shared), response, request);
            while let Some(event) = events.recv().await {
                if let Some(data) = event.data.filter(|data| !data.is_empty()) {
                    self.server_message(data, initialize).await;
                }
            }
        } else {
            match read_body(response).await {
                Ok(body) if body.iter().all(u8::is_ascii_whitespace) => {
                    if let Some(id) = &request {
                        forget(&self.shared, id);
                    }
                }
                Ok(body) => {
                    if let Some(message) = from_server(&self.shared, &body) {
                        self.server_message(message, initialize).await;
                    } else if let Some(id) = &request {
                        self.write(
                            internal_error(
                                id,
                                "the MCP server's answer could not be read".to_owned(),
                            )
                            .into_bytes(),
                        )
                        .await;
                    }
                }
                Err(error) => self.fail(request.as_ref(), error.to_string()).await,
            }
        }
        if initialize {
            self.listen();
        }
    }

    /// A message already judged by the handler, on its way to the client.
    async fn server_message(&self, message: Vec<u8>, initialize: bool) {
        if initialize
            && let Ok(answer) = serde_json::from_slice::<Value>(&message)
            && let Some(version) = answer
                .get("result")
                .and_then(|result| result.get("protocolVersion"))
                .and_then(Value::as_str)
        {
            self.session().version = Some(version.to_owned());
        }
        self.write(message).await;
    }

    /// Opens the session's GET stream, for what the server sends unasked
    /// (`notifications/tools/list_changed` among them).
    fn listen(self: &Arc<Self>) {
        {
            let mut session = self.session();
            if session.listening {
                return;
            }
            session.listening = true;
        }
        let bridge = Arc::clone(self);
        tokio::spawn(async move {
            let mut headers = bridge.headers(&Peek::default());
            headers.insert(
                header::ACCEPT,
                HeaderValue::from_static("text/event-stream"),
            );
            let Ok(response) = bridge.upstream.send(Method::GET, headers, None).await else {
                return;
            };
            // 405: the server offers no stream.
            if !response.status().is_success() || !is_sse(response.headers()) {
                return;
            }
            let mut events = super::upstream::events(Arc::clone(&bridge.shared), response, None);
            while let Some(event) = events.recv().await {
                if let Some(data) = event.data.filter(|data| !data.is_empty()) {
                    bridge.write(data).await;
                }
            }
        });
    }

    async fn end_session(&self) {
        let Some(id) = self.session().id.clone() else {
            return;
        };
        let mut headers = self.headers(&Peek::default());
        headers.insert(SESSION_ID, id);
        let _ =
            tokio::time::timeout(GRACE, self.upstream.send(Method::DELETE, headers, None)).await;
    }

    fn headers(&self, peeked: &Peek) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        let session = self.session();
        if let Some(id) = &session.id {
            headers.insert(SESSION_ID, id.clone());
        }
        let version = peeked.version.as_ref().or(session.version.as_ref());
        if let Some(version) = version.and_then(|version| HeaderValue::from_str(version).ok()) {
            headers.insert(PROTOCOL_VERSION, version);
        }
        if peeked.version.is_some() {
            for (header, value) in [(METHOD, &peeked.method), (NAME, &peeked.name)] {
                if let Some(value) = value
                    .as_deref()
                    .and_then(|value| HeaderValue::from_str(value).ok())
                {
                    headers.insert(header, value);
                }
            }
        }
        headers
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The request failed without an answer: the client gets an error for it.
    async fn fail(&self, request: Option<&Value>, why: String) {
        warn(&why);
        if let Some(id) = request {
            forget(&self.shared, id);
            self.write(internal_error(id, why).into_bytes()).await;
        }
    }

    async fn write(&self, line: Vec<u8>) {
        let _ = self.out.send(line).await;
    }
}
