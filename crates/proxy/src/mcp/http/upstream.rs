//! The proxy as a Streamable HTTP client of the server: one request per message, and the
//! server's answers (a JSON body, or an SSE stream whose every event is judged) turned back into
//! messages for the client.

use super::sse::{self, Event};
use super::{HttpError, HttpUpstream, Shared, forget, from_server, internal_error};
use crate::line::MAX_LINE;
use crate::mcp::Gate;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;

/// Events of one SSE answer waiting for the client; bounds memory when the client reads slowly.
const EVENTS_QUEUE: usize = 32;

/// Headers that belong to one connection and are never forwarded (RFC 9110, 7.6.1), with
/// `host` and `content-length` (the proxy's own request has its own), and the encodings the
/// proxy would have to decode to read the messages.
const HOP_BY_HOP: [&str; 11] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Whether a header passes through the proxy.
pub fn forwarded(name: &str) -> bool {
    !HOP_BY_HOP.contains(&name) && name != "accept-encoding" && name != "content-encoding"
}

/// The headers of `from` that pass through.
pub fn pass_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in from {
        if forwarded(name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// A Streamable HTTP server the proxy speaks to.
#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    config: HttpUpstream,
}

impl Upstream {
    pub fn new(config: HttpUpstream) -> Result<Self, HttpError> {
        // reqwest is built without a default crypto provider; ring is the one compiled in. A
        // second install (a provider already set) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // A redirect could take the session (and its credentials) to another origin.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(HttpError::Client)?;
        Ok(Self { client, config })
    }

    /// Sends one request: `headers` are the client's (already filtered), then the configured
    /// ones override them.
    pub async fn send(
        &self,
        method: Method,
        mut headers: HeaderMap,
        body: Option<Vec<u8>>,
    ) -> reqwest::Result<reqwest::Response> {
        for (name, value) in &self.config.headers {
            headers.insert(name.clone(), value.clone());
        }
        let mut request = self
            .client
            .request(method, self.config.url.clone())
            .headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        request.send().await
    }
}

/// Whether a response is an SSE stream.
pub fn is_sse(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("text/event-stream"))
}

/// Why a body could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the MCP server's answer is longer than {MAX_LINE} bytes")]
    TooLong,
    #[error("the connection to the MCP server failed: {0}")]
    Transport(reqwest::Error),
}

/// Reads a body of at most [`MAX_LINE`] bytes.
pub async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > MAX_LINE {
            return Err(ReadError::TooLong);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The events of an SSE answer, each judged as a message from the server: a tool list is
/// filtered, a dropped message loses its data (the event keeps its id). `request` is the id of
/// the request the stream answers: if the stream breaks before answering it, the client gets an
/// error event for it.
pub fn events<G: Gate + Send + 'static>(
    shared: Shared<G>,
    mut response: reqwest::Response,
    request: Option<Value>,
) -> mpsc::Receiver<Event> {
    let (sender, receiver) = mpsc::channel(EVENTS_QUEUE);
    tokio::spawn(async move {
        let mut parser = sse::Parser::default();
        let failure = loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break None,
                Err(error) => {
                    break Some(format!("the connection to the MCP server failed: {error}"));
                }
            };
            let events = match parser.push(&chunk) {
                Ok(events) => events,
                Err(error) => break Some(error.to_string()),
            };
            for mut event in events {
                if let Some(data) = &event.data
                    && !data.is_empty()
                {
                    event.data = from_server(&shared, data);
                    if event.data.is_none() && event.id.is_none() {
                        continue;
                    }
                }
                if sender.send(event).await.is_err() {
                    // The client went away; dropping the response closes the upstream stream.
                    if let Some(id) = &request {
                        forget(&shared, id);
                    }
                    return;
                }
            }
        };
        parser.finish();
        let Some(id) = request else { return };
        let unanswered = forget(&shared, &id);
        if let (true, Some(why)) = (unanswered, failure) {
            let data = internal_error(&id, format!("the MCP server did not answer: {why}"));
            let _ = sender
                .send(Event {
                    data: Some(data.into_bytes()),
                    ..Event::default()
                })
                .await;
        }
    });
    receiver
}

/// `application/json` for the proxy's own answers.
pub fn json_content_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}
