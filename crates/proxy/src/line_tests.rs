use super::*;

fn lines(input: &[u8], limit: usize) -> Vec<Line> {
    let mut reader = io::BufReader::with_capacity(4, input);
    let mut out = Vec::new();
    loop {
        let line = read_line(&mut reader, limit).unwrap();
        let end = line == Line::Eof;
        out.push(line);
        if end {
            return out;
        }
    }
}

#[test]
fn splits_on_newlines_and_strips_carriage_returns() {
    assert_eq!(
        lines(b"{\"a\":1}\r\n\nxyz", 100),
        vec![
            Line::Text(b"{\"a\":1}".to_vec()),
            Line::Text(Vec::new()),
            Line::Text(b"xyz".to_vec()),
            Line::Eof
        ]
    );
}

#[test]
fn a_line_over_the_limit_is_refused_and_the_next_one_read() {
    assert_eq!(
        lines(b"0123456789\nok\n0123456789", 5),
        vec![
            Line::TooLong,
            Line::Text(b"ok".to_vec()),
            Line::TooLong,
            Line::Eof
        ]
    );
}
