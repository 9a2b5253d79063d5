//! Reading newline-delimited messages with a bound on their length, so a peer that never sends a
//! newline cannot make the proxy buffer without end.

use std::io::{self, BufRead};

/// The longest message accepted: 16 MiB.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// One read from a newline-delimited stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line without its `\n` (or `\r\n`).
    Text(Vec<u8>),
    /// A line longer than the limit: it was read and thrown away.
    TooLong,
    /// The stream ended.
    Eof,
}

/// Reads one line of at most `limit` bytes; a longer one is consumed up to its newline and
/// reported as [`Line::TooLong`], holding no more than `limit` bytes meanwhile.
pub fn read_line(reader: &mut impl BufRead, limit: usize) -> io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::Eof,
                (false, false) => Line::Text(strip_cr(line)),
            });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let chunk = newline.map_or(available, |end| available.get(..end).unwrap_or(available));
        let used = newline.map_or(available.len(), |end| end + 1);
        if !too_long {
            if line.len() + chunk.len() > limit {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(used);
        if newline.is_some() {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Text(strip_cr(line))
            });
        }
    }
}

fn strip_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
