//! The proxies asking the policy daemon (`aethelgard serve`): one connection for the proxy's
//! life, `scope` for the manifest and `route` for each call, blocking std I/O on the gate's
//! thread. Any failure is returned as an error, and the gate decides what a lost daemon means.

use crate::daemon::client;
use aethelgard_protocol::{Decision, ToolCall};
use serde_json::{Value, json};
use std::io::{self, ErrorKind};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest wait to connect: a local socket connects in microseconds.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(200);

/// Longest wait for one answer; a daemon's route includes committing the record.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest wait for the `status` probe that asks whether a lost daemon answers again: short, as
/// a call waits on it, and a daemon that is back answers `status` at once.
const PROBE_TIMEOUT: Duration = Duration::from_millis(200);

/// A connection to the daemon that answered when the proxy started.
pub struct Daemon {
    pub socket: PathBuf,
    /// `None` after a failure: the next request connects again.
    stream: Option<UnixStream>,
    /// Whether the daemon has recorded this proxy's session start.
    started: bool,
}

/// What the daemon said about itself when the proxy connected.
pub struct Greeting {
    pub pid: String,
    pub policy: String,
}

impl Daemon {
    /// Connects and asks `status`, so a socket nobody answers on is not taken for a daemon.
    pub fn connect(socket: &Path) -> io::Result<(Self, Greeting)> {
        let mut daemon = Self {
            socket: socket.to_path_buf(),
            stream: None,
            started: false,
        };
        let status = daemon.ask(&json!({"op": "status"}))?;
        let field = |name: &str| {
            status.get(name).map_or_else(
                || "?".to_owned(),
                |v| v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        };
        let greeting = Greeting {
            pid: field("pid"),
            policy: field("policy"),
        };
        Ok((daemon, greeting))
    }

    /// Whether the daemon answers `status` again, within [`PROBE_TIMEOUT`]; the connection is
    /// kept for the next request when it does. The session start already recorded is not sent
    /// again.
    pub fn probe(&mut self) -> io::Result<()> {
        let stream = client::connect(&self.socket, PROBE_TIMEOUT)?;
        client::ask(&stream, &json!({"op": "status"}), PROBE_TIMEOUT)?;
        self.stream = Some(stream);
        Ok(())
    }

    /// The daemon's manifest for the task: `Ok(Ok(granted))`, or `Ok(Err(reason))` when the
    /// daemon answered that it cannot scope it; `Err` when the daemon did not answer.
    pub fn scope(
        &mut self,
        task: Option<&str>,
        task_type: Option<&str>,
        tools: &[String],
    ) -> io::Result<Result<Vec<String>, String>> {
        let answer = self.ask(&json!({"op": "scope", "task": task, "task_type": task_type, "tools": tools}))?;
        if let Some(error) = answer.get("error") {
            return Ok(Err(error.as_str().unwrap_or("unknown error").to_owned()));
        }
        let granted = answer
            .get("granted")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("the daemon's scope answer has no `granted` list"))?;
        let granted = granted
            .iter()
            .map(|tool| tool.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid("the daemon's `granted` list holds something other than names"))?;
        Ok(Ok(granted))
    }

    /// The daemon's decision on `call`, committed to its store (with the session's start on the
    /// first call) before it answers. An `error` answer is an error: the call was not decided.
    pub fn route(&mut self, call: &ToolCall, source: &str) -> io::Result<Decision> {
        let mut request = json!({"op": "route", "call": call, "source": source});
        if !self.started
            && let Some(fields) = request.as_object_mut()
        {
            fields.insert(
                "start".to_owned(),
                json!({"task": call.task, "task_type": call.task_type, "granted": call.granted}),
            );
        }
        let answer = self.ask(&request)?;
        if let Some(error) = answer.get("error") {
            return Err(invalid(&format!("the daemon did not decide the call: {error}")));
        }
        let decision: Decision = serde_json::from_value(answer)?;
        self.started = true;
        Ok(decision)
    }

    /// One request, one answer; a failure drops the connection, which may be out of step.
    fn ask(&mut self, request: &Value) -> io::Result<Value> {
        let stream = match self.stream.take() {
            Some(stream) => stream,
            None => client::connect(&self.socket, CONNECT_TIMEOUT)?,
        };
        let answer = client::ask(&stream, request, ANSWER_TIMEOUT)?;
        self.stream = Some(stream);
        Ok(answer)
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, message.to_owned())
}
