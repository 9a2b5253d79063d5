//! The daemon's HTTP listener (`aethelgard serve --http 127.0.0.1:PORT`), off unless asked for:
//! `GET /status` (the socket's status JSON), `GET /metrics` (Prometheus text), `POST /route` (a
//! `ToolCall`; the answer is its `Decision`, recorded as `serve:http`) and `POST /scope`
//! (`{"task", "task_type", "tools"}`; the answer is the manifest).
//!
//! Loopback only: the address must be 127.0.0.1 or ::1. It runs on its own thread with a small
//! tokio runtime, the only place the daemon uses one; judging runs on tokio's blocking pool,
//! since recording waits for the audit writer. No peer check is possible on TCP: every local user
//! can reach it, which is why it is off by default (`docs/daemon.md`).

use super::state::State;
use crate::commands::scope::ScopeRequest;
use aethelgard_protocol::ToolCall;
use anyhow::Context as _;
use axum::extract::State as Shared;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

/// Binds `address` (loopback only) and serves it on a thread of its own; returns the bound
/// address (port 0 picks one).
pub fn spawn(state: Arc<State>, address: SocketAddr) -> anyhow::Result<SocketAddr> {
    if !address.ip().is_loopback() {
        anyhow::bail!(
            "--http `{address}` is not a loopback address: the daemon's HTTP listener serves 127.0.0.1 or ::1 only (every host on the network could ask it otherwise)"
        );
    }
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
                    .with_state(state);
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

/// A JSON answer (axum's `json` feature is not built; this is all it would do here).
fn json_answer(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

async fn status(Shared(state): Shared<Arc<State>>) -> Response {
    json_answer(StatusCode::OK, &state.status())
}

async fn metrics(Shared(state): Shared<Arc<State>>) -> Response {
    let text = super::metrics::prometheus(&state.status());
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

async fn route(Shared(state): Shared<Arc<State>>, body: axum::body::Bytes) -> Response {
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

async fn scope(Shared(state): Shared<Arc<State>>, body: axum::body::Bytes) -> Response {
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
