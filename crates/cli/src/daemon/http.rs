//! The daemon's HTTP listener (`aethelgard serve --http 127.0.0.1:PORT`), off unless asked for:
//! `GET /status` (the socket's status JSON), `GET /metrics` (Prometheus text), `POST /route` (a
//! `ToolCall`; the answer is its `Decision`, recorded as `serve:http`) and `POST /scope`
//! (`{"task", "task_type", "tools"}`; the answer is the manifest).
//!
//! Loopback only: the address must be 127.0.0.1 or ::1. It runs on its own thread with a small
//! tokio runtime, the only place the daemon uses one; judging runs on tokio's blocking pool,
//! since recording waits for the audit writer.
//!
//! TCP carries no peer credentials and every local user can reach a loopback port, so the two
//! POST requests, which decide and record, need `Authorization: Bearer TOKEN`: 32 random bytes
//! (the kernel's `getrandom`), new at each start, written in hex to a file only the daemon's user
//! can read (`<socket>.http-token` by default). Reading that file stands in for the socket's
//! peer check. `GET /status` and `GET /metrics` stay open for scrapers: they change nothing.

use super::state::State;
use crate::commands::scope::ScopeRequest;
use aethelgard_protocol::ToolCall;
use anyhow::Context as _;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::io::Write as _;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the handlers share: the daemon, and the token the POST requests must carry.
#[derive(Clone)]
struct Http {
    state: Arc<State>,
    token: Arc<str>,
    token_file: Arc<Path>,
}

/// The token file beside the socket: `<socket>.http-token`.
pub fn default_token_file(socket: &Path) -> PathBuf {
    let mut name = socket.as_os_str().to_owned();
    name.push(".http-token");
    PathBuf::from(name)
}

/// Binds `address` (loopback only), writes a new token to `token_file` and serves on a thread of
/// its own; returns the bound address (port 0 picks one).
pub fn spawn(state: Arc<State>, address: SocketAddr, token_file: &Path) -> anyhow::Result<SocketAddr> {
    if !address.ip().is_loopback() {
        anyhow::bail!(
            "--http `{address}` is not a loopback address: the daemon's HTTP listener serves 127.0.0.1 or ::1 only (every host on the network could ask it otherwise)"
        );
    }
    let token = write_token(token_file)?;
    let shared = Http {
        state,
        token: Arc::from(token),
        token_file: Arc::from(token_file),
    };
    let listener = std::net::TcpListener::bind(address)
        .with_context(|| format!("cannot listen on http://{address}"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(16)
        .thread_name("http")
        .enable_io()
        .enable_time()
        .build()
        .context("cannot start the HTTP listener's runtime")?;
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            runtime.block_on(async move {
                let app = axum::Router::new()
                    .route("/status", get(status))
                    .route("/metrics", get(metrics))
                    .route("/route", post(route))
                    .route("/scope", post(scope))
                    .with_state(shared);
                let served = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => axum::serve(listener, app)
                        .await
                        .map_err(anyhow::Error::from),
                    Err(error) => Err(error.into()),
                };
                if let Err(error) = served {
                    eprintln!("aethelgard serve: the HTTP listener stopped: {error:#}");
                }
            });
        })?;
    Ok(bound)
}

/// A new token, written in hex to `path` (mode 0600). An old file there is removed first and the
/// new one created exclusively, so a link someone left at the path is never followed.
fn write_token(path: &Path) -> anyhow::Result<String> {
    let mut bytes = [0_u8; 32];
    let mut filled = 0;
    while filled < bytes.len() {
        let rest = bytes.get_mut(filled..).unwrap_or_default();
        let read = rustix::rand::getrandom(rest, rustix::rand::GetRandomFlags::empty())
            .context("cannot read random bytes for the HTTP token")?;
        if read == 0 {
            anyhow::bail!("cannot read random bytes for the HTTP token: the kernel gave none");
        }
        filled += read;
    }
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("cannot replace the old HTTP token `{}`", path.display()));
        }
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write the HTTP token to `{}`", path.display()))?;
    writeln!(file, "{token}").with_context(|| format!("cannot write the HTTP token to `{}`", path.display()))?;
    Ok(token)
}

/// Whether `headers` carry `Authorization: Bearer <token>`, compared in constant time.
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0_u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// The answer to a POST without the token: 401, counted with the refused peers.
fn unauthorized(http: &Http, path: &str) -> Response {
    http.state.refuse_peer();
    (
        StatusCode::UNAUTHORIZED,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::WWW_AUTHENTICATE, "Bearer"),
        ],
        json!({"error": format!(
            "POST {path} needs `Authorization: Bearer TOKEN`; the token is in `{}`, readable by the daemon's user only",
            http.token_file.display()
        )})
        .to_string(),
    )
        .into_response()
}

/// A JSON answer (axum's `json` feature is not built; this is all it would do here).
fn json_answer(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

async fn status(Shared(http): Shared<Http>) -> Response {
    json_answer(StatusCode::OK, &http.state.status())
}

async fn metrics(Shared(http): Shared<Http>) -> Response {
    let text = super::metrics::prometheus(&http.state.status());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Runs `work` on the blocking pool; a panic or a lost task is a 500 with a reason.
async fn blocking(work: impl FnOnce() -> Value + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(work).await {
        Ok(answer) if answer.get("error").is_some() => {
            json_answer(StatusCode::BAD_REQUEST, &answer)
        }
        Ok(answer) => json_answer(StatusCode::OK, &answer),
        Err(error) => json_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": format!("internal error while answering: {error}")}),
        ),
    }
}

async fn route(Shared(http): Shared<Http>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if !authorized(&headers, &http.token) {
        return unauthorized(&http, "/route");
    }
    let state = http.state;
    let call: ToolCall = match serde_json::from_slice(&body) {
        Ok(call) => call,
        Err(error) => {
            state.count_error();
            return json_answer(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("the body is not a tool call ({{\"tool\", \"args\", ...}}): {error}")}),
            );
        }
    };
    blocking(move || state.route(&call, Some("http"), None)).await
}

async fn scope(Shared(http): Shared<Http>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if !authorized(&headers, &http.token) {
        return unauthorized(&http, "/scope");
    }
    let state = http.state;
    let request: ScopeRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            state.count_error();
            return json_answer(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("the body is not a scope request ({{\"task\", \"task_type\", \"tools\"}}): {error}")}),
            );
        }
    };
    blocking(move || {
        state.scope(
            request.task.as_deref(),
            request.task_type.as_deref(),
            request.tools.as_deref(),
        )
    })
    .await
}
