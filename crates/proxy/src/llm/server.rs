//! The HTTP side of the LLM API proxy: axum listens (127.0.0.1), reqwest forwards to the model
//! API. Every request is forwarded to `upstream` + its own path and query, with its headers
//! (credentials included) but for the hop-by-hop ones; the three APIs' requests are filtered
//! and their answers rewritten (see [`super::Api`]); anything else passes through as bytes.
//!
//! Failures the client must understand get an error in its API's own format: a body over the
//! limit (413), a body that is not JSON (400), a compressed body the proxy cannot read (415), an
//! upstream that cannot be reached or answers with something that is not its API (502). The
//! proxy itself keeps serving.

use super::{Api, sse};
use crate::mcp::Gate;
use aethelgard_protocol::Decision;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The largest request or complete answer body the proxy reads: 32 MiB (a long conversation
/// with its whole tool list is a few MiB).
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// The proxy's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The model API's base: a request for `/v1/messages?beta=true` goes to
    /// `<upstream>/v1/messages?beta=true`.
    pub upstream: String,
    /// See [`MAX_BODY`].
    pub max_body: usize,
}

/// Why the proxy could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("`--upstream {0}` is not an http:// or https:// URL")]
    Upstream(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("cannot start the gate: {0}")]
    Gate(String),
    #[error("the listener failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// The gate's thread: the gate (with its audit store, which need not be `Send`) lives on one
/// thread of its own and decides one request at a time, in arrival order, for every connection.
#[derive(Clone)]
pub struct GateThread {
    jobs: std::sync::mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce(&mut dyn Gate) + Send>;

impl GateThread {
    /// Starts the thread and builds the gate on it with `make`; its error is returned here.
    pub fn spawn<F>(make: F) -> Result<Self, ServerError>
    where
        F: FnOnce() -> Result<Box<dyn Gate>, String> + Send + 'static,
    {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let (built, ready) = std::sync::mpsc::sync_channel::<Result<(), String>>(1);
        std::thread::Builder::new()
            .name("aethelgard-gate".to_owned())
            .spawn(move || {
                let mut gate = match make() {
                    Ok(gate) => {
                        let _ = built.send(Ok(()));
                        gate
                    }
                    Err(failure) => {
                        let _ = built.send(Err(failure));
                        return;
                    }
                };
                for job in queue {
                    job(&mut *gate);
                }
            })
            .map_err(|failure| ServerError::Gate(failure.to_string()))?;
        match ready.recv() {
            Ok(Ok(())) => Ok(Self { jobs }),
            Ok(Err(failure)) => Err(ServerError::Gate(failure)),
            Err(_) => Err(ServerError::Gate(
                "the gate's thread ended while starting".to_owned(),
            )),
        }
    }

    /// Runs `work` on the gate and waits for it, without stalling the other connections' tasks
    /// (the gate may write to SQLite); `None` when the gate's thread is gone.
    fn run<T, W>(&self, work: W) -> Option<T>
    where
        T: Send + 'static,
        W: FnOnce(&mut dyn Gate) -> T + Send + 'static,
    {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |gate| {
                let _ = reply.send(work(gate));
            }))
            .ok()?;
        tokio::task::block_in_place(|| answer.recv().ok())
    }
}

/// The decision when the gate cannot be asked: refused (nothing undecided runs).
fn gate_gone() -> Decision {
    Decision::refused(
        "proxy.gate-unavailable",
        "the proxy's gate is not running, so the call cannot be decided".to_owned(),
    )
}

struct Proxy {
    upstream: String,
    client: reqwest::Client,
    gate: GateThread,
    max_body: usize,
}

/// Serves on `listener` until it fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    gate: GateThread,
) -> Result<(), ServerError> {
    let upstream = config.upstream.trim_end_matches('/').to_owned();
    if reqwest::Url::parse(&upstream).map_or(true, |url| !matches!(url.scheme(), "http" | "https"))
    {
        return Err(ServerError::Upstream(config.upstream));
    }
    // reqwest is built without a default TLS provider; a second install fails harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(ServerError::Client)?;
    let proxy = Arc::new(Proxy {
        upstream,
        client,
        gate,
        max_body: config.max_body,
    });
    let app = axum::Router::new().fallback(handle).with_state(proxy);
    axum::serve(listener, app).await.map_err(ServerError::Serve)
}

/// Headers that belong to one connection, not to the request or answer.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

fn error(api: Option<Api>, status: StatusCode, kind: &str, message: &str) -> Response {
    let body = api
        .unwrap_or(Api::ChatCompletions)
        .error_body(kind, &format!("aethelgard proxy: {message}"));
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn encoded(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            !value.trim().eq_ignore_ascii_case("identity") && !value.trim().is_empty()
        })
}

/// The router for one request's calls, bound to its manifest. A bridge call (OpenClaw's
/// `tool_call`) is decided with the tool it would run by the gate's router.
fn router(
    gate: GateThread,
    granted: Option<Vec<String>>,
) -> impl FnMut(&str, Value) -> Decision + Send {
    move |tool, arguments| {
        let tool = tool.to_owned();
        let granted = granted.clone();
        gate.run(move |gate| gate.route(&tool, arguments, granted))
            .unwrap_or_else(gate_gone)
    }
}

async fn handle(State(proxy): State<Arc<Proxy>>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let api = Api::of_request(parts.method.as_str(), parts.uri.path());
    let Ok(bytes) = axum::body::to_bytes(body, proxy.max_body).await else {
        return error(
            api,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            &format!(
                "the request body is over {} bytes (or could not be read)",
                proxy.max_body
            ),
        );
    };
    let (bytes, granted) = match api {
        None => (bytes, None),
        Some(api) => {
            if encoded(&parts.headers) {
                return error(
                    Some(api),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "invalid_request_error",
                    "the request body is compressed (`content-encoding`); the proxy must read its tools, so send it uncompressed",
                );
            }
            let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
                return error(
                    Some(api),
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "the request body is not JSON",
                );
            };
            let filtered = proxy.gate.run(move |gate| {
                let granted =
                    api.filter_request(&mut value, &mut |available| gate.granted(available));
                (value, granted)
            });
            let Some((value, granted)) = filtered else {
                return error(
                    Some(api),
                    StatusCode::SERVICE_UNAVAILABLE,
                    "proxy_gate_unavailable",
                    "the proxy's gate is not running; nothing is forwarded",
                );
            };
            (Bytes::from(value.to_string()), granted)
        }
    };

    let target = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut forward = proxy
        .client
        .request(parts.method.clone(), format!("{}{target}", proxy.upstream))
        .body(bytes);
    for (name, value) in &parts.headers {
        // The proxy must read the answer, so it asks for it uncompressed.
        if hop_by_hop(name) || (api.is_some() && name == header::ACCEPT_ENCODING) {
            continue;
        }
        forward = forward.header(name, value);
    }
    let upstream = match forward.send().await {
        Ok(upstream) => upstream,
        Err(failure) => {
            eprintln!("aethelgard proxy llm: {} {target}: {failure}", parts.method);
            return error(
                api,
                StatusCode::BAD_GATEWAY,
                "upstream_unreachable",
                &format!(
                    "cannot reach the model API at {}: {failure}",
                    proxy.upstream
                ),
            );
        }
    };

    let status = upstream.status();
    let mut headers = HeaderMap::new();
    for (name, value) in upstream.headers() {
        if !hop_by_hop(name) {
            headers.append(name, value.clone());
        }
    }
    let Some(api) = api.filter(|_| status.is_success()) else {
        // Not one of the APIs, or an error answer: no tool call to route.
        let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        return response;
    };
    if encoded(&headers) {
        return error(
            Some(api),
            StatusCode::BAD_GATEWAY,
            "upstream_invalid",
            "the model API answered compressed although the proxy asked for no compression",
        );
    }
    let streamed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    let route = router(proxy.gate.clone(), granted);
    if streamed {
        let mut response = Response::new(stream(api, upstream, route));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        return response;
    }
    answer(api, upstream, route, status, headers, proxy.max_body).await
}

/// A complete answer: read whole (bounded), its calls routed.
async fn answer(
    api: Api,
    mut upstream: reqwest::Response,
    mut route: impl FnMut(&str, Value) -> Decision,
    status: StatusCode,
    mut headers: HeaderMap,
    max_body: usize,
) -> Response {
    let mut body = Vec::new();
    loop {
        match upstream.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max_body {
                    return error(
                        Some(api),
                        StatusCode::BAD_GATEWAY,
                        "upstream_invalid",
                        &format!("the model API's answer is over {max_body} bytes"),
                    );
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(failure) => {
                return error(
                    Some(api),
                    StatusCode::BAD_GATEWAY,
                    "upstream_unreachable",
                    &format!("the model API's answer broke off: {failure}"),
                );
            }
        }
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(&body) else {
        // Calls that cannot be read cannot be routed: nothing of it reaches the runtime.
        return error(
            Some(api),
            StatusCode::BAD_GATEWAY,
            "upstream_invalid",
            "the model API answered with a body that is not JSON",
        );
    };
    api.rewrite_answer(&mut value, &mut route);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A streamed answer: each upstream chunk's events rewritten and sent on at once.
fn stream(
    api: Api,
    mut upstream: reqwest::Response,
    mut route: impl FnMut(&str, Value) -> Decision + Send + 'static,
) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    tokio::spawn(async move {
        let mut parser = sse::Parser::default();
        let mut rewriter = api.stream();
        loop {
            let mut out = String::new();
            let ended = match upstream.chunk().await {
                Ok(Some(chunk)) => match parser.push(&chunk) {
                    Ok(events) => {
                        for event in events {
                            out.extend(rewriter.event(event, &mut route));
                        }
                        false
                    }
                    Err(failure) => {
                        out.push_str(&api.error_event(
                            "upstream_invalid",
                            &format!("aethelgard proxy: {failure}"),
                        ));
                        true
                    }
                },
                Ok(None) => {
                    match parser.finish() {
                        Ok(Some(event)) => out.extend(rewriter.event(event, &mut route)),
                        Ok(None) => {}
                        Err(failure) => out.push_str(&api.error_event(
                            "upstream_invalid",
                            &format!("aethelgard proxy: {failure}"),
                        )),
                    }
                    out.extend(rewriter.finish(&mut route));
                    true
                }
                Err(failure) => {
                    out.push_str(&api.error_event(
                        "upstream_unreachable",
                        &format!("aethelgard proxy: the model API's stream broke off: {failure}"),
                    ));
                    true
                }
            };
            if !out.is_empty() && sender.send(Ok(Bytes::from(out))).await.is_err() {
                return; // the client went away
            }
            if ended {
                return;
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
    ))
}
