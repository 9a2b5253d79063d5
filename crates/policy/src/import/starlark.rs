//! Just enough Starlark to read execpolicy files: top-level calls with keyword arguments whose
//! values are strings, lists, numbers and `True`/`False`/`None`. Hand-written because the only
//! full Starlark crate is an interpreter far heavier than these flat, declarative files need.

/// A value in a call's keyword arguments.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Str(String),
    List(Vec<Value>),
    Other(String),
}

/// `name(key = value, ...)` at the top level of the file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Call {
    pub name: String,
    pub line: usize,
    pub kwargs: Vec<(String, Value)>,
}

impl Call {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.kwargs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

impl Lexer<'_> {
    fn next(&mut self) -> Result<Option<(Token, usize)>, (usize, String)> {
        loop {
            match self.chars.peek().copied() {
                None => return Ok(None),
                Some('\n') => {
                    self.line += 1;
                    self.chars.next();
                }
                Some(c) if c.is_whitespace() => {
                    self.chars.next();
                }
                Some('#') => {
                    while let Some(&c) = self.chars.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.chars.next();
                    }
                }
                Some(quote @ ('"' | '\'')) => {
                    let line = self.line;
                    self.chars.next();
                    let mut text = String::new();
                    loop {
                        match self.chars.next() {
                            None => return Err((line, "unterminated string".to_owned())),
                            Some('\\') => match self.chars.next() {
                                Some('n') => text.push('\n'),
                                Some('t') => text.push('\t'),
                                Some(c) => text.push(c),
                                None => return Err((line, "unterminated string".to_owned())),
                            },
                            Some('\n') => return Err((line, "newline inside a string".to_owned())),
                            Some(c) if c == quote => break,
                            Some(c) => text.push(c),
                        }
                    }
                    return Ok(Some((Token::Str(text), line)));
                }
                Some(c) if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => {
                    let mut ident = String::new();
                    while let Some(&c) = self.chars.peek() {
                        if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' {
                            ident.push(c);
                            self.chars.next();
                        } else {
                            break;
                        }
                    }
                    return Ok(Some((Token::Ident(ident), self.line)));
                }
                Some(c @ ('(' | ')' | '[' | ']' | ',' | '=')) => {
                    self.chars.next();
                    return Ok(Some((Token::Punct(c), self.line)));
                }
                Some(c) => return Err((self.line, format!("unexpected character `{c}`"))),
            }
        }
    }
}

/// Parses the calls of a file; errors carry the line number.
pub(crate) fn parse(text: &str) -> Result<Vec<Call>, (usize, String)> {
    let mut lexer = Lexer { chars: text.chars().peekable(), line: 1 };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next()? {
        tokens.push(token);
    }
    let mut calls = Vec::new();
    let mut pos = 0;
    while let Some((token, line)) = tokens.get(pos) {
        let Token::Ident(name) = token else {
            return Err((*line, "expected a call such as `prefix_rule(...)`".to_owned()));
        };
        pos += 1;
        expect(&tokens, &mut pos, '(', *line)?;
        let mut kwargs = Vec::new();
        loop {
            match tokens.get(pos) {
                Some((Token::Punct(')'), _)) => {
                    pos += 1;
                    break;
                }
                Some((Token::Ident(key), key_line)) => {
                    pos += 1;
                    expect(&tokens, &mut pos, '=', *key_line)?;
                    let value = value(&tokens, &mut pos, *key_line)?;
                    kwargs.push((key.clone(), value));
                    if let Some((Token::Punct(','), _)) = tokens.get(pos) {
                        pos += 1;
                    }
                }
                Some((_, l)) => return Err((*l, "expected `key = value` or `)`".to_owned())),
                None => return Err((*line, format!("`{name}(` is never closed"))),
            }
        }
        calls.push(Call { name: name.clone(), line: *line, kwargs });
    }
    Ok(calls)
}

fn expect(tokens: &[(Token, usize)], pos: &mut usize, punct: char, line: usize) -> Result<(), (usize, String)> {
    match tokens.get(*pos) {
        Some((Token::Punct(c), _)) if *c == punct => {
            *pos += 1;
            Ok(())
        }
        Some((_, l)) => Err((*l, format!("expected `{punct}`"))),
        None => Err((line, format!("expected `{punct}` before the end of the file"))),
    }
}

fn value(tokens: &[(Token, usize)], pos: &mut usize, line: usize) -> Result<Value, (usize, String)> {
    match tokens.get(*pos) {
        Some((Token::Str(s), _)) => {
            *pos += 1;
            Ok(Value::Str(s.clone()))
        }
        Some((Token::Ident(s), _)) => {
            *pos += 1;
            Ok(Value::Other(s.clone()))
        }
        Some((Token::Punct('['), l)) => {
            *pos += 1;
            let mut items = Vec::new();
            loop {
                if let Some((Token::Punct(']'), _)) = tokens.get(*pos) {
                    *pos += 1;
                    return Ok(Value::List(items));
                }
                items.push(value(tokens, pos, *l)?);
                match tokens.get(*pos) {
                    Some((Token::Punct(','), _)) => *pos += 1,
                    Some((Token::Punct(']'), _)) => {}
                    Some((_, l)) => return Err((*l, "expected `,` or `]` in a list".to_owned())),
                    None => return Err((*l, "a list is never closed".to_owned())),
                }
            }
        }
        Some((_, l)) => Err((*l, "expected a value".to_owned())),
        None => Err((line, "expected a value before the end of the file".to_owned())),
    }
}
