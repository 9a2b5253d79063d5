//! The stdio transport: the client on the proxy's own stdin and stdout, the server a child
//! process on its stdin and stdout (its stderr is the proxy's). Two threads read lines; one loop
//! decides and writes, so the handler needs no locks and each message is written whole.

use super::{Action, Gate, Handler};
use crate::line::{Line, MAX_LINE, read_line};
use rmcp::model::ErrorCode;
use serde_json::Value;
use std::ffi::OsString;
use std::io::{self, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// How long the server may take to answer and close its output once the client has closed.
const GRACE: Duration = Duration::from_secs(5);

/// Lines read ahead of the loop, per side; bounds memory when one side floods.
const QUEUE: usize = 32;

/// Why the proxy stopped other than by the client closing.
#[derive(Debug, thiserror::Error)]
pub enum StdioError {
    #[error("the MCP server command is empty: give it after `--`")]
    NoCommand,
    #[error("cannot start the MCP server `{command}`: {source}")]
    Spawn { command: String, source: io::Error },
    #[error(
        "the MCP server `{command}` exited ({status}) while the client was connected; {pending} request(s) were answered with an error"
    )]
    ServerExited {
        command: String,
        status: String,
        pending: usize,
    },
    #[error("cannot write to the client: {0}")]
    Client(io::Error),
}

/// How the session ended when the client closed.
#[derive(Debug)]
pub struct Ended {
    /// The server's exit status, or `None` when it had to be killed after the grace period.
    pub server: Option<ExitStatus>,
}

enum Event {
    Client(io::Result<Line>),
    Server(io::Result<Line>),
}

/// Starts the MCP server `command` (program and arguments) with its stdin and stdout piped and
/// its stderr the proxy's; returns it with the command as text, for messages about it.
pub(crate) fn spawn_server(command: &[OsString]) -> Result<(Child, String), StdioError> {
    let (program, arguments) = command.split_first().ok_or(StdioError::NoCommand)?;
    let display = command
        .iter()
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let child = Command::new(program)
        .args(arguments)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| StdioError::Spawn {
            command: display.clone(),
            source,
        })?;
    Ok((child, display))
}

/// Runs the proxy until the client closes its stdin (or the server exits first, an error).
pub fn run<G: Gate>(command: &[OsString], gate: G) -> Result<Ended, StdioError> {
    let (mut child, display) = spawn_server(command)?;
    let mut server_in = child.stdin.take();
    let (events, receiver) = sync_channel(QUEUE);
    if let Some(stdout) = child.stdout.take() {
        spawn_reader(BufReader::new(stdout), events.clone(), Event::Server);
    }
    spawn_reader(
        BufReader::with_capacity(64 * 1024, io::stdin()),
        events,
        Event::Client,
    );
    let stdout = io::stdout();
    let mut client_out = io::BufWriter::new(stdout.lock());
    let mut handler = Handler::new(gate);
    let outcome = serve(&mut handler, &receiver, &mut server_in, &mut client_out);
    drop(server_in);
    match outcome {
        Loop::BothClosed => Ok(Ended {
            server: child.wait().ok(),
        }),
        Loop::ServerLingered => {
            let _ = child.kill();
            let _ = child.wait();
            Ok(Ended { server: None })
        }
        Loop::ClientGone(error) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(StdioError::Client(error))
        }
        Loop::ServerClosed => {
            let status = child.wait().map_or_else(
                |error| format!("status unknown: {error}"),
                |status| status.to_string(),
            );
            let why = format!("the MCP server exited ({status}) before answering");
            let answers = handler.abandon(&why);
            let pending = answers.len();
            for answer in answers {
                if write_line(&mut client_out, answer.as_bytes()).is_err() {
                    break;
                }
            }
            Err(StdioError::ServerExited {
                command: display,
                status,
                pending,
            })
        }
    }
}

enum Loop {
    /// The client closed, then the server finished its answers and closed.
    BothClosed,
    /// The client closed and the server was still open after the grace period.
    ServerLingered,
    /// The client stopped reading.
    ClientGone(io::Error),
    /// The server closed while the client was connected.
    ServerClosed,
}

fn serve<G: Gate>(
    handler: &mut Handler<G>,
    receiver: &Receiver<Event>,
    server_in: &mut Option<ChildStdin>,
    client_out: &mut impl Write,
) -> Loop {
    let mut warned_server = false;
    let mut deadline: Option<Instant> = None;
    loop {
        let event = match deadline {
            None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(deadline) => {
                receiver.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            }
        };
        let event = match event {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => return Loop::ServerLingered,
            Err(RecvTimeoutError::Disconnected) => {
                return if deadline.is_some() {
                    Loop::BothClosed
                } else {
                    Loop::ServerClosed
                };
            }
        };
        match event {
            Event::Client(Ok(Line::Text(line))) => match handler.from_client(&line) {
                Action::Forward => to_server(server_in, &line, &mut warned_server),
                Action::ToServer(message) => {
                    to_server(server_in, message.as_bytes(), &mut warned_server)
                }
                Action::ToClient(message) => {
                    if let Err(error) = write_line(client_out, message.as_bytes()) {
                        return Loop::ClientGone(error);
                    }
                }
                Action::Drop(warning) => warn(&warning),
            },
            Event::Client(Ok(Line::TooLong)) => {
                let answer = super::handler::error_message(
                    &Value::Null,
                    ErrorCode::PARSE_ERROR,
                    format!("message longer than {MAX_LINE} bytes refused"),
                );
                if let Err(error) = write_line(client_out, answer.as_bytes()) {
                    return Loop::ClientGone(error);
                }
            }
            Event::Client(Ok(Line::Eof) | Err(_)) => {
                // The server sees its input close, and has the grace period to answer and exit.
                *server_in = None;
                deadline = Some(Instant::now() + GRACE);
            }
            Event::Server(Ok(Line::Text(line))) => {
                let result = match handler.from_server(&line) {
                    Action::Forward => write_line(client_out, &line),
                    Action::ToClient(message) | Action::ToServer(message) => {
                        write_line(client_out, message.as_bytes())
                    }
                    Action::Drop(warning) => {
                        warn(&warning);
                        Ok(())
                    }
                };
                if let Err(error) = result {
                    return Loop::ClientGone(error);
                }
            }
            Event::Server(Ok(Line::TooLong)) => warn(&format!(
                "the server sent a message longer than {MAX_LINE} bytes; dropped"
            )),
            Event::Server(Ok(Line::Eof) | Err(_)) => {
                return if deadline.is_some() {
                    Loop::BothClosed
                } else {
                    Loop::ServerClosed
                };
            }
        }
    }
}

fn spawn_reader<R, F>(mut reader: R, events: SyncSender<Event>, wrap: F)
where
    R: io::BufRead + Send + 'static,
    F: Fn(io::Result<Line>) -> Event + Send + 'static,
{
    std::thread::spawn(move || {
        loop {
            let line = read_line(&mut reader, MAX_LINE);
            let last = matches!(line, Ok(Line::Eof) | Err(_));
            if events.send(wrap(line)).is_err() || last {
                return;
            }
        }
    });
}

fn to_server(server_in: &mut Option<ChildStdin>, line: &[u8], warned: &mut bool) {
    let Some(stdin) = server_in else { return };
    if let Err(error) = write_line(stdin, line) {
        // The server is going away; its exit is reported when its stdout closes.
        if !*warned {
            warn(&format!("cannot write to the MCP server: {error}"));
            *warned = true;
        }
    }
}

fn write_line(out: &mut impl Write, line: &[u8]) -> io::Result<()> {
    out.write_all(line)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn warn(message: &str) {
    if !message.is_empty() {
        eprintln!("aethelgard proxy: {message}");
    }
}
