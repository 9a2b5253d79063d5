//! The proxy as a Streamable HTTP endpoint: POST carries one message from the client, GET opens
//! a stream of what the server sends unasked, DELETE ends a session. Served on every path.

use super::child::{self, Child};
use super::upstream::{self, Upstream, is_sse, json_content_type, pass_headers, read_body};
use super::{
    HEADER_MISMATCH, HttpError, Listen, METHOD, NAME, Peek, Shared, Upstream as Backend, forget,
    from_client, from_server, internal_error, peek, runtime, warn,
};
use crate::line::MAX_LINE;
use crate::mcp::handler::error_message;
use crate::mcp::stdio::StdioError;
use crate::mcp::{Action, Gate, Handler};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use futures_util::stream;
use rmcp::model::ErrorCode;
use serde_json::Value;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::error::RecvError;

enum Server {
    Http(Upstream),
    Child(Arc<Child>),
}

struct App<G> {
    shared: Shared<G>,
    server: Server,
    /// Check `Origin` (DNS rebinding): only when serving loopback.
    loopback: bool,
}

/// Serves the client over HTTP on `listen` until the process is interrupted, or until a stdio
/// server exits (an error). `ready` gets the bound address (useful with port 0).
pub fn run<G: Gate + Send + 'static>(
    listen: Listen,
    backend: Backend,
    gate: G,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), HttpError> {
    let runtime = runtime()?;
    runtime.block_on(async move {
        let shared: Shared<G> = Arc::new(Mutex::new(Handler::new(gate)));
        let server = match backend {
            Backend::Http(config) => Server::Http(Upstream::new(config)?),
            Backend::Command(command) => Server::Child(child::start(&command, Arc::clone(&shared))?),
        };
        let listener = tokio::net::TcpListener::bind(listen.addr)
            .await
            .map_err(|source| HttpError::Bind {
                addr: listen.addr,
                source,
            })?;
        let bound = listener.local_addr().map_err(HttpError::Serve)?;
        let child = match &server {
            Server::Child(child) => Some(Arc::clone(child)),
            Server::Http(_) => None,
        };
        let app = Arc::new(App {
            shared,
            server,
            loopback: listen.addr.ip().is_loopback(),
        });
        let router = axum::Router::new().fallback(handle::<G>).with_state(app);
        ready(bound);
        let serving = axum::serve(listener, router);
        tokio::select! {
            served = serving => served.map_err(HttpError::Serve),
            () = interrupted() => Ok(()),
            status = exited(child.clone()) => {
                let display = child.map(|child| child.display.clone()).unwrap_or_default();
                Err(HttpError::Stdio(StdioError::ServerExited { command: display, status, pending: 0 }))
            }
        }
    })
}

async fn exited(child: Option<Arc<Child>>) -> String {
    match child {
        Some(child) => child.wait().await,
        None => std::future::pending().await,
    }
}

async fn interrupted() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

async fn handle<G: Gate + Send + 'static>(
    State(app): State<Arc<App<G>>>,
    request: Request,
) -> Response {
    if app.loopback && !local_origin(request.headers()) {
        return plain(
            StatusCode::FORBIDDEN,
            "the request's Origin is not this machine",
        );
    }
    match *request.method() {
        Method::POST => post(&app, request).await,
        Method::GET => get(&app, request).await,
        Method::DELETE => match &app.server {
            Server::Http(upstream) => {
                pass_on(&app.shared, upstream, Method::DELETE, request.headers()).await
            }
            Server::Child(_) => plain(StatusCode::METHOD_NOT_ALLOWED, "no session to end"),
        },
        _ => plain(StatusCode::METHOD_NOT_ALLOWED, "use POST, GET or DELETE"),
    }
}

async fn post<G: Gate + Send + 'static>(app: &App<G>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_LINE).await else {
        let answer = error_message(
            &Value::Null,
            ErrorCode::PARSE_ERROR,
            format!("the request body is longer than {MAX_LINE} bytes, or could not be read"),
        );
        return json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &HeaderMap::new(),
            answer.into_bytes(),
        );
    };
    let peeked = peek(&body);
    if let Some(mismatch) = peeked
        .as_ref()
        .and_then(|peeked| mismatch(&parts.headers, peeked))
    {
        return json(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            mismatch.into_bytes(),
        );
    }
    let message = match from_client(&app.shared, body.clone()).await {
        Action::Forward => body.to_vec(),
        Action::ToServer(message) => message.into_bytes(),
        Action::ToClient(answer) => {
            let status = if peeked.is_none() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            return json(status, &HeaderMap::new(), answer.into_bytes());
        }
        Action::Drop(warning) => {
            warn(&warning);
            return empty(StatusCode::ACCEPTED);
        }
    };
    // A request (method and id) awaits an answer; anything else is acknowledged.
    let request_id = peeked
        .as_ref()
        .filter(|peeked| peeked.method.is_some())
        .and_then(|peeked| peeked.id.clone());
    match &app.server {
        Server::Http(upstream) => {
            match upstream
                .send(Method::POST, pass_headers(&parts.headers), Some(message))
                .await
            {
                Ok(response) => relay(&app.shared, response, request_id).await,
                Err(error) => {
                    if let Some(id) = &request_id {
                        forget(&app.shared, id);
                    }
                    unreachable_server(request_id.as_ref(), &error)
                }
            }
        }
        Server::Child(child) => match request_id {
            Some(id) => match child.request(&id, message).await {
                Ok(answer) => json(StatusCode::OK, &HeaderMap::new(), answer),
                Err(error) => {
                    if !matches!(error, child::ChildError::Duplicate(_)) {
                        forget(&app.shared, &id);
                    }
                    let answer = internal_error(&id, error.to_string());
                    json(StatusCode::OK, &HeaderMap::new(), answer.into_bytes())
                }
            },
            None => match child.send(message).await {
                Ok(()) => empty(StatusCode::ACCEPTED),
                Err(error) => plain(StatusCode::BAD_GATEWAY, &error.to_string()),
            },
        },
    }
}

/// A request without a body (GET, DELETE) to an HTTP server: sent on with the client's headers,
/// its answer relayed.
async fn pass_on<G: Gate + Send + 'static>(
    shared: &Shared<G>,
    upstream: &Upstream,
    method: Method,
    headers: &HeaderMap,
) -> Response {
    match upstream.send(method, pass_headers(headers), None).await {
        Ok(response) => relay(shared, response, None).await,
        Err(error) => unreachable_server(None, &error),
    }
}

async fn get<G: Gate + Send + 'static>(app: &App<G>, request: Request) -> Response {
    match &app.server {
        Server::Http(upstream) => {
            pass_on(&app.shared, upstream, Method::GET, request.headers()).await
        }
        Server::Child(child) => {
            let unasked = child.subscribe();
            let events = stream::unfold(unasked, |mut unasked| async move {
                loop {
                    match unasked.recv().await {
                        Ok(message) => {
                            let event = super::sse::Event {
                                data: Some(message.to_vec()),
                                ..Default::default()
                            };
                            return Some((
                                Ok::<_, Infallible>(Bytes::from(event.to_bytes())),
                                unasked,
                            ));
                        }
                        Err(RecvError::Lagged(lost)) => {
                            warn(&format!(
                                "a GET stream read too slowly and lost {lost} message(s)"
                            ));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            });
            let mut response = Response::new(Body::from_stream(events));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/event-stream"),
            );
            response
        }
    }
}

/// The server's answer to the client: a JSON body judged whole, an SSE stream judged event by
/// event, anything else (202, errors) as it came.
async fn relay<G: Gate + Send + 'static>(
    shared: &Shared<G>,
    response: reqwest::Response,
    request: Option<Value>,
) -> Response {
    let status = response.status();
    let headers = pass_headers(response.headers());
    if status.is_success() && is_sse(response.headers()) {
        let events = upstream::events(Arc::clone(shared), response, request);
        let body = stream::unfold(events, |mut events| async move {
            let event = events.recv().await?;
            Some((Ok::<_, Infallible>(Bytes::from(event.to_bytes())), events))
        });
        return with_headers(status, &headers, Body::from_stream(body));
    }
    let body = match read_body(response).await {
        Ok(body) => body,
        Err(error) => {
            let Some(id) = request else {
                return plain(StatusCode::BAD_GATEWAY, &error.to_string());
            };
            forget(shared, &id);
            let answer = internal_error(&id, error.to_string());
            return json(StatusCode::OK, &HeaderMap::new(), answer.into_bytes());
        }
    };
    if !status.is_success() || body.iter().all(u8::is_ascii_whitespace) {
        if let Some(id) = &request {
            forget(shared, id);
        }
        return with_headers(status, &headers, Body::from(body));
    }
    match from_server(shared, &body) {
        Some(body) => json(status, &headers, body),
        None => match request {
            Some(id) => {
                let answer =
                    internal_error(&id, "the MCP server's answer could not be read".to_owned());
                json(StatusCode::OK, &HeaderMap::new(), answer.into_bytes())
            }
            None => plain(
                StatusCode::BAD_GATEWAY,
                "the MCP server's answer could not be read",
            ),
        },
    }
}

/// 2026-07-28 mirrors the method and the tool's name in headers; a server might route on the
/// header while the proxy judged the body, so the two must agree.
fn mismatch(headers: &HeaderMap, peeked: &Peek) -> Option<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap_or("\u{fffd}"))
    };
    let id = peeked.id.clone().unwrap_or(Value::Null);
    let code = ErrorCode(HEADER_MISMATCH);
    if let Some(method) = header(METHOD)
        && Some(method) != peeked.method.as_deref()
    {
        return Some(error_message(
            &id,
            code,
            "the Mcp-Method header does not match the body's method".to_owned(),
        ));
    }
    if let Some(name) = header(NAME)
        && Some(name) != peeked.name.as_deref()
    {
        return Some(error_message(
            &id,
            code,
            "the Mcp-Name header does not match the name in the body".to_owned(),
        ));
    }
    None
}

/// No `Origin` (not a browser), or one on this machine.
fn local_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Ok(url) = reqwest::Url::parse(origin) else {
        return false;
    };
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

fn unreachable_server(request: Option<&Value>, error: &reqwest::Error) -> Response {
    let why = format!("cannot reach the MCP server: {error}");
    warn(&why);
    match request {
        Some(id) => json(
            StatusCode::OK,
            &HeaderMap::new(),
            internal_error(id, why).into_bytes(),
        ),
        None => plain(StatusCode::BAD_GATEWAY, &why),
    }
}

fn with_headers(status: StatusCode, headers: &HeaderMap, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers.clone();
    response
}

fn json(status: StatusCode, headers: &HeaderMap, body: Vec<u8>) -> Response {
    let mut response = with_headers(status, headers, Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, json_content_type());
    response
}

fn empty(status: StatusCode) -> Response {
    with_headers(status, &HeaderMap::new(), Body::empty())
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = with_headers(status, &HeaderMap::new(), Body::from(text.to_owned()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
