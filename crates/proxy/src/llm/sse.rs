//! Server-Sent Events, incrementally: bytes in as they arrive, whole events out, each with the
//! exact text it came in (an event the proxy does not change goes out byte for byte).

use serde_json::Value;

/// The longest event the parser holds while waiting for its end: 16 MiB.
pub const MAX_EVENT: usize = 16 * 1024 * 1024;

/// One event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event as received, its terminating blank line included.
    pub raw: String,
    /// The `event:` field, if any.
    pub name: Option<String>,
    /// The `data:` lines joined with `\n` (empty when there were none).
    pub data: String,
}

impl Event {
    /// The data parsed as JSON, if it is JSON.
    #[must_use]
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.data).ok()
    }

    /// Parses one event's text (fields per the SSE specification; comments ignored).
    #[must_use]
    pub fn parse(raw: String) -> Self {
        let mut name = None;
        let mut data: Option<String> = None;
        for line in raw.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "event" => name = Some(value.to_owned()),
                "data" => match &mut data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => data = Some(value.to_owned()),
                },
                _ => {}
            }
        }
        Self {
            raw,
            name,
            data: data.unwrap_or_default(),
        }
    }
}

/// Writes one event: `event: NAME\n` (when named) and `data: JSON\n\n`.
#[must_use]
pub fn encode(name: Option<&str>, data: &Value) -> String {
    let mut out = String::new();
    if let Some(name) = name {
        out.push_str("event: ");
        out.push_str(name);
        out.push('\n');
    }
    out.push_str("data: ");
    out.push_str(&data.to_string());
    out.push_str("\n\n");
    out
}

/// A stream that cannot be read as Server-Sent Events.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SseError {
    #[error("an event of the model's stream passed {MAX_EVENT} bytes without ending")]
    TooLong,
    #[error("the model's stream is not UTF-8 text")]
    NotText,
}

/// Splits a byte stream into events.
#[derive(Debug, Default)]
pub struct Parser {
    buffer: Vec<u8>,
    /// Where to resume looking for the end of the event (bytes before it hold none).
    scanned: usize,
}

impl Parser {
    /// Adds bytes and returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Event>, SseError> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.event_end() {
            let rest = self.buffer.split_off(end);
            let raw = std::mem::replace(&mut self.buffer, rest);
            self.scanned = 0;
            let raw = String::from_utf8(raw).map_err(|_| SseError::NotText)?;
            events.push(Event::parse(raw));
        }
        if self.buffer.len() > MAX_EVENT {
            return Err(SseError::TooLong);
        }
        Ok(events)
    }

    /// The stream ended: an unterminated last event, if any text is left.
    pub fn finish(&mut self) -> Result<Option<Event>, SseError> {
        let raw = std::mem::take(&mut self.buffer);
        self.scanned = 0;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let mut raw = String::from_utf8(raw).map_err(|_| SseError::NotText)?;
        raw.push_str("\n\n");
        Ok(Some(Event::parse(raw)))
    }

    /// The end (exclusive) of the first complete event: just after a blank line.
    fn event_end(&mut self) -> Option<usize> {
        let start = self.scanned.saturating_sub(3);
        let found = self
            .buffer
            .get(start..)?
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .find_map(|(offset, _)| {
                let at = start + offset;
                let after = self.buffer.get(at + 1..)?;
                if after.first() == Some(&b'\n') {
                    Some(at + 2)
                } else if after.starts_with(b"\r\n") {
                    Some(at + 3)
                } else {
                    None
                }
            });
        if found.is_none() {
            self.scanned = self.buffer.len();
        }
        found
    }
}

#[cfg(test)]
#[path = "sse_tests.rs"]
mod tests;
