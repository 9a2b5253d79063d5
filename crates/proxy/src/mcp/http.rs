//! Streamable HTTP for the MCP proxy, on either side or both.
//!
//! - [`serve`]: the proxy is an MCP endpoint on `http://127.0.0.1:PORT` (any path), in front of
//!   either a Streamable HTTP server ([`Upstream::Http`]) or a stdio server it starts
//!   ([`Upstream::Command`]).
//! - [`bridge`]: the client speaks stdio to the proxy (the runtime starts it as a command), and
//!   the proxy speaks Streamable HTTP to the server.
//!
//! Every message still goes through the one [`Handler`]: a POST body is a line from the client;
//! a JSON answer, and each event of an SSE answer or of a GET stream, is a line from the server.
//! So `tools/list` results are filtered wherever they arrive (a JSON body, an SSE stream, a
//! resumed stream), `tools/call` is routed before the POST leaves, and
//! `notifications/tools/list_changed` (on a GET stream, or on a 2026-07-28 `subscriptions/listen`
//! stream) makes the next list be scoped again. Headers pass through both ways except the
//! hop-by-hop ones: `Mcp-Session-Id`, `MCP-Protocol-Version`, `Authorization`, `Last-Event-ID`,
//! 2026-07-28's `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*`. The proxy keeps no session of its
//! own: the client's session is the server's.
//!
//! The gate is synchronous (it may commit to SQLite), so the handler sits behind a mutex and
//! client messages are judged on the blocking pool.

mod bridge;
mod child;
mod listen;
pub mod sse;
mod upstream;

use super::handler::error_message;
use super::{Action, Gate, Handler};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rmcp::model::ErrorCode;
use serde_json::Value;
use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

pub use bridge::run as bridge;
pub use listen::run as serve;

/// The header naming the session (2025-03-26 to 2025-11-25).
pub const SESSION_ID: &str = "mcp-session-id";
/// The header naming the protocol version of each request.
pub const PROTOCOL_VERSION: &str = "mcp-protocol-version";
/// 2026-07-28: the request's method, mirrored in a header.
pub const METHOD: &str = "mcp-method";
/// 2026-07-28: the tool, prompt or resource a request names, mirrored in a header.
pub const NAME: &str = "mcp-name";
/// 2026-07-28's error for a header that disagrees with the body.
pub const HEADER_MISMATCH: i32 = -32020;
/// The `_meta` key carrying a 2026-07-28 request's protocol version.
pub const VERSION_META: &str = "io.modelcontextprotocol/protocolVersion";

/// Why the HTTP proxy could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "`--listen {0}` is not an address the proxy can serve: give `stdio` or `http://127.0.0.1:PORT`"
    )]
    BadListen(String),
    #[error(
        "`--listen {0}` is not a loopback address: anyone who can reach it could use the MCP server; pass `--allow-non-loopback` to serve it anyway"
    )]
    NotLoopback(String),
    #[error("`--upstream {url}` is not a usable URL: {why}")]
    BadUpstream { url: String, why: String },
    #[error("`--header {0}` is not a header: write it as `Name: value`")]
    BadHeader(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the proxy's async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Stdio(#[from] super::stdio::StdioError),
    #[error("cannot write to the client: {0}")]
    ClientGone(std::io::Error),
}

/// Where the proxy serves its client over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    pub addr: SocketAddr,
}

/// The server behind the proxy.
#[derive(Debug)]
pub enum Upstream {
    /// A stdio server the proxy starts: the command and its arguments.
    Command(Vec<OsString>),
    /// A Streamable HTTP server.
    Http(HttpUpstream),
}

/// A Streamable HTTP server: its endpoint, and headers to add to every request (credentials).
#[derive(Debug, Clone)]
pub struct HttpUpstream {
    pub url: reqwest::Url,
    pub headers: HeaderMap,
}

/// `--listen`: `None` for stdio, else the loopback address (a non-loopback one only when
/// `allow_non_loopback`). `localhost` means 127.0.0.1.
pub fn parse_listen(text: &str, allow_non_loopback: bool) -> Result<Option<Listen>, HttpError> {
    if text == "stdio" {
        return Ok(None);
    }
    let bad = || HttpError::BadListen(text.to_owned());
    let url = reqwest::Url::parse(text).map_err(|_| bad())?;
    if url.scheme() != "http" {
        return Err(bad());
    }
    let host = url.host_str().ok_or_else(bad)?;
    let ip = if host == "localhost" {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map_err(|_| bad())?
    };
    let port = url.port().ok_or_else(bad)?;
    if !ip.is_loopback() && !allow_non_loopback {
        return Err(HttpError::NotLoopback(text.to_owned()));
    }
    Ok(Some(Listen {
        addr: SocketAddr::new(ip, port),
    }))
}

/// `--upstream URL` with its `--header`s.
pub fn parse_upstream(url: &str, headers: &[String]) -> Result<HttpUpstream, HttpError> {
    let parsed = reqwest::Url::parse(url).map_err(|error| HttpError::BadUpstream {
        url: url.to_owned(),
        why: error.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(HttpError::BadUpstream {
            url: url.to_owned(),
            why: "only http and https are supported".to_owned(),
        });
    }
    let mut map = HeaderMap::new();
    for header in headers {
        let bad = || HttpError::BadHeader(header.clone());
        let (name, value) = header.split_once(':').ok_or_else(bad)?;
        let name = HeaderName::try_from(name.trim()).map_err(|_| bad())?;
        let value = HeaderValue::try_from(value.trim()).map_err(|_| bad())?;
        map.append(name, value);
    }
    Ok(HttpUpstream {
        url: parsed,
        headers: map,
    })
}

type Shared<G> = Arc<Mutex<Handler<G>>>;

/// What the proxy needs to know of a message besides what the handler does with it.
#[derive(Debug, Default)]
struct Peek {
    id: Option<Value>,
    method: Option<String>,
    /// `params._meta["io.modelcontextprotocol/protocolVersion"]` (2026-07-28 and later).
    version: Option<String>,
    /// The tool, prompt or resource a request names (what `Mcp-Name` mirrors).
    name: Option<String>,
    /// A response: an id and a result or an error, no method.
    response: bool,
}

/// `None` when the message is not a JSON object (the handler answers it).
fn peek(message: &[u8]) -> Option<Peek> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(message) else {
        return None;
    };
    let method = object.get("method").and_then(Value::as_str);
    let params = object.get("params");
    let name_key = match method {
        Some("tools/call" | "prompts/get") => Some("name"),
        Some("resources/read") => Some("uri"),
        _ => None,
    };
    Some(Peek {
        id: object.get("id").filter(|id| !id.is_null()).cloned(),
        method: method.map(str::to_owned),
        version: params
            .and_then(|params| params.get("_meta"))
            .and_then(|meta| meta.get(VERSION_META))
            .and_then(Value::as_str)
            .map(str::to_owned),
        name: name_key
            .and_then(|key| params.and_then(|params| params.get(key)))
            .and_then(Value::as_str)
            .map(str::to_owned),
        response: method.is_none()
            && (object.contains_key("result") || object.contains_key("error")),
    })
}

/// A message from the client, judged on the blocking pool (the gate may write to SQLite).
async fn from_client<G: Gate + Send + 'static>(
    shared: &Shared<G>,
    message: bytes::Bytes,
) -> Action {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || {
        shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .from_client(&message)
    })
    .await
    .unwrap_or_else(|error| {
        Action::ToClient(error_message(
            &Value::Null,
            ErrorCode::INTERNAL_ERROR,
            format!("the proxy failed to judge the message: {error}"),
        ))
    })
}

/// A message from the server: what goes on to the client, or `None` when it is dropped.
fn from_server<G: Gate>(shared: &Shared<G>, message: &[u8]) -> Option<Vec<u8>> {
    let action = shared
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .from_server(message);
    match action {
        Action::Forward => Some(message.to_vec()),
        Action::ToClient(text) | Action::ToServer(text) => Some(text.into_bytes()),
        Action::Drop(warning) => {
            warn(&warning);
            None
        }
    }
}

/// Stops awaiting `id`; true when it was awaited.
fn forget<G: Gate>(shared: &Shared<G>, id: &Value) -> bool {
    shared
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .forget(id)
}

fn internal_error(id: &Value, why: String) -> String {
    error_message(id, ErrorCode::INTERNAL_ERROR, why)
}

fn warn(message: &str) {
    if !message.is_empty() {
        eprintln!("aethelgard proxy: {message}");
    }
}

/// The async runtime the HTTP proxy runs on: two workers are plenty for one agent.
fn runtime() -> Result<tokio::runtime::Runtime, HttpError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(HttpError::Runtime)
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
