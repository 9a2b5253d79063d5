//! Server-sent events, read with a bound on each event's size (a peer that never ends an event
//! cannot make the proxy buffer without end) and written back field for field, so that a stream
//! the proxy filters keeps its event ids (resumption with `Last-Event-ID` still works).

use crate::line::MAX_LINE;

/// One event: the fields the proxy keeps. `data` is the event's data lines joined by `\n`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: Option<String>,
    pub event: Option<String>,
    pub retry: Option<String>,
    pub data: Option<Vec<u8>>,
}

impl Event {
    /// The event on the wire, ending with its blank line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(event) = &self.event {
            field(&mut out, "event", event.as_bytes());
        }
        if let Some(id) = &self.id {
            field(&mut out, "id", id.as_bytes());
        }
        if let Some(retry) = &self.retry {
            field(&mut out, "retry", retry.as_bytes());
        }
        if let Some(data) = &self.data {
            for line in data.split(|&b| b == b'\n') {
                field(&mut out, "data", line);
            }
        }
        if out.is_empty() {
            // An event with no field at all is a keep-alive comment.
            out.extend_from_slice(b":\n");
        }
        out.push(b'\n');
        out
    }

    fn is_empty(&self) -> bool {
        self.id.is_none() && self.event.is_none() && self.retry.is_none() && self.data.is_none()
    }
}

fn field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// An event (or a line) longer than [`MAX_LINE`]: the stream cannot be read safely any further.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a server-sent event longer than {MAX_LINE} bytes")]
pub struct TooLong;

/// Splits a byte stream into events as its chunks arrive.
#[derive(Debug, Default)]
pub struct Parser {
    line: Vec<u8>,
    event: Event,
    size: usize,
}

impl Parser {
    /// Feeds one chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Event>, TooLong> {
        let mut events = Vec::new();
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(end);
            self.grow(head.len())?;
            self.line.extend_from_slice(head);
            rest = tail.get(1..).unwrap_or_default();
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(event) = self.line_done(&line) {
                events.push(event);
            }
        }
        self.grow(rest.len())?;
        self.line.extend_from_slice(rest);
        Ok(events)
    }

    /// The stream ended: an event not closed by a blank line is dropped, as the standard says.
    pub fn finish(self) {}

    fn grow(&mut self, by: usize) -> Result<(), TooLong> {
        self.size += by;
        if self.size > MAX_LINE {
            return Err(TooLong);
        }
        Ok(())
    }

    fn line_done(&mut self, line: &[u8]) -> Option<Event> {
        if line.is_empty() {
            self.size = 0;
            let event = std::mem::take(&mut self.event);
            return (!event.is_empty()).then_some(event);
        }
        if line.first() == Some(&b':') {
            return None;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let (name, value) = line.split_at(colon);
                let value = value.get(1..).unwrap_or_default();
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let text = || String::from_utf8_lossy(value).into_owned();
        match name {
            b"data" => match &mut self.event.data {
                Some(data) => {
                    data.push(b'\n');
                    data.extend_from_slice(value);
                }
                None => self.event.data = Some(value.to_vec()),
            },
            b"id" => self.event.id = Some(text()),
            b"event" => self.event.event = Some(text()),
            b"retry" => self.event.retry = Some(text()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
#[path = "sse_tests.rs"]
mod tests;
