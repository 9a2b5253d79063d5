//! Codex execpolicy `.rules` files (integrations.md section 3): the Starlark subset they are
//! written in (calls with keyword arguments, strings, lists, comments), and the allow rules
//! that reach further than they look. Commands an allow rule matches run outside the sandbox.

use super::catalog as c;
use super::tree::{Lines, SyntaxError};
use super::Ctx;

/// An argument value.
#[derive(Clone, Debug)]
pub enum Expr {
    Str(String),
    List(Vec<Expr>),
    Word(String),
}

/// One top-level call: `prefix_rule(pattern = [...], decision = "allow")`.
#[derive(Clone, Debug)]
pub struct Call {
    pub name: String,
    pub offset: usize,
    pub args: Vec<(Option<String>, Expr)>,
}

impl Call {
    fn arg(&self, name: &str) -> Option<&Expr> {
        self.args.iter().find(|(k, _)| k.as_deref() == Some(name)).map(|(_, v)| v)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Number(String),
    Punct(char),
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, (usize, String)> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, ch)) = chars.peek() {
        if ch.is_whitespace() || ch == '\\' {
            chars.next();
        } else if ch == '#' {
            while chars.peek().is_some_and(|&(_, c)| c != '\n') {
                chars.next();
            }
        } else if ch == '"' || ch == '\'' {
            let rest = text.get(at..).unwrap_or("");
            let triple: String = std::iter::repeat_n(ch, 3).collect();
            let (quote, skip) = if rest.starts_with(&triple) { (triple, 3) } else { (ch.to_string(), 1) };
            for _ in 0..skip {
                chars.next();
            }
            let mut value = String::new();
            loop {
                let Some((i, c)) = chars.next() else { return Err((at, "unterminated string".to_owned())) };
                if c == '\\' {
                    match chars.next().map(|(_, e)| e) {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some(other) => value.push(other),
                        None => return Err((at, "unterminated string".to_owned())),
                    }
                } else if text.get(i..).is_some_and(|r| r.starts_with(&quote)) {
                    for _ in 1..quote.len() {
                        chars.next();
                    }
                    break;
                } else if c == '\n' && quote.len() == 1 {
                    return Err((at, "unterminated string".to_owned()));
                } else {
                    value.push(c);
                }
            }
            tokens.push((at, Token::Str(value)));
        } else if ch.is_ascii_alphabetic() || ch == '_' || ch.is_ascii_digit() {
            let mut word = String::new();
            while let Some(&(_, c)) = chars.peek().filter(|&&(_, c)| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                word.push(c);
                chars.next();
            }
            tokens.push((at, if ch.is_ascii_digit() { Token::Number(word) } else { Token::Ident(word) }));
        } else if "()[]{},=:".contains(ch) {
            tokens.push((at, Token::Punct(ch)));
            chars.next();
        } else {
            return Err((at, format!("unexpected character `{ch}`")));
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }
    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(o, _)| *o)
    }
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).map(|(_, t)| t.clone());
        self.pos += 1;
        token
    }
    fn expect(&mut self, ch: char) -> Result<(), (usize, String)> {
        let at = self.offset();
        match self.next() {
            Some(Token::Punct(c)) if c == ch => Ok(()),
            _ => Err((at, format!("expected `{ch}`"))),
        }
    }

    fn expr(&mut self) -> Result<Expr, (usize, String)> {
        let at = self.offset();
        match self.next() {
            Some(Token::Str(s)) => Ok(Expr::Str(s)),
            Some(Token::Ident(w) | Token::Number(w)) => Ok(Expr::Word(w)),
            Some(Token::Punct(open @ ('[' | '('))) => {
                let close = if open == '[' { ']' } else { ')' };
                let mut items = Vec::new();
                while self.peek() != Some(&Token::Punct(close)) {
                    items.push(self.expr()?);
                    if self.peek() == Some(&Token::Punct(',')) {
                        self.next();
                    } else {
                        break;
                    }
                }
                self.expect(close)?;
                Ok(Expr::List(items))
            }
            _ => Err((at, "expected a string, a list or a name".to_owned())),
        }
    }

    fn call(&mut self) -> Result<Option<Call>, (usize, String)> {
        let offset = self.offset();
        let Some(Token::Ident(name)) = self.next() else { return Err((offset, "expected a rule such as `prefix_rule(...)`".to_owned())) };
        if self.peek() == Some(&Token::Punct('=')) {
            // A top-level assignment (`COMMON = [...]`): read and ignored.
            self.next();
            self.expr()?;
            return Ok(None);
        }
        self.expect('(')?;
        let mut args = Vec::new();
        while self.peek() != Some(&Token::Punct(')')) {
            let key = match (self.tokens.get(self.pos).map(|(_, t)| t), self.tokens.get(self.pos + 1).map(|(_, t)| t)) {
                (Some(Token::Ident(k)), Some(Token::Punct('='))) => {
                    let k = k.clone();
                    self.pos += 2;
                    Some(k)
                }
                _ => None,
            };
            args.push((key, self.expr()?));
            if self.peek() == Some(&Token::Punct(',')) {
                self.next();
            } else {
                break;
            }
        }
        self.expect(')')?;
        Ok(Some(Call { name, offset, args }))
    }
}

/// The calls of a `.rules` file.
pub fn parse(text: &str) -> Result<Vec<Call>, SyntaxError> {
    let error = |(offset, message): (usize, String)| {
        let (line, column) = Lines::new(text).position(offset);
        SyntaxError { line, column, message }
    };
    let tokens = tokenize(text).map_err(error)?;
    let mut parser = Parser { tokens, pos: 0, end: text.len() };
    let mut calls = Vec::new();
    while parser.peek().is_some() {
        if let Some(call) = parser.call().map_err(error)? {
            calls.push(call);
        }
    }
    Ok(calls)
}

/// Shells, interpreters and wrappers that run whatever they are given.
const SHELLS: &[&str] = &[
    "bash", "sh", "zsh", "fish", "dash", "ksh", "csh", "tcsh", "busybox", "python", "python2", "python3", "node", "nodejs", "deno", "bun", "perl",
    "ruby", "php", "lua", "osascript", "pwsh", "powershell", "env", "sudo", "su", "doas", "xargs", "nohup", "timeout", "nice", "exec", "eval", "command",
];
/// Flags that make an interpreter run code given on the command line (or any module).
const INLINE_FLAGS: &[&str] = &["-c", "-lc", "-ic", "-e", "-E", "--eval", "-p", "--print", "-r", "-m", "-x"];
/// Programs that read arbitrary files or reach the network.
const FILE_OR_NETWORK: &[&str] = &[
    "cat", "head", "tail", "less", "more", "cp", "mv", "tar", "zip", "unzip", "base64", "xxd", "od", "strings", "dd", "tee", "curl", "wget", "nc",
    "ncat", "netcat", "socat", "scp", "sftp", "ftp", "rsync", "ssh",
];
/// Tools whose subcommands range from harmless to destructive.
const POWERFUL: &[&str] = &[
    "git", "docker", "podman", "kubectl", "helm", "npm", "npx", "pnpm", "yarn", "pip", "pip3", "uv", "cargo", "go", "make", "aws", "gcloud", "az",
    "gh", "terraform", "rm", "chmod", "chown", "systemctl", "brew", "apt", "apt-get", "find",
];

/// The alternatives of one pattern token.
fn alternatives(token: &Expr) -> Vec<&str> {
    match token {
        Expr::Str(s) => vec![s.as_str()],
        Expr::List(items) => items.iter().filter_map(|i| if let Expr::Str(s) = i { Some(s.as_str()) } else { None }).collect(),
        Expr::Word(_) => Vec::new(),
    }
}

fn program(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

pub(super) fn lint(ctx: &mut Ctx<'_>, calls: &[Call]) {
    for call in calls {
        let decision = match call.arg("decision") {
            Some(Expr::Str(d)) => d.as_str(),
            _ => "allow",
        };
        match call.name.as_str() {
            "prefix_rule" if decision == "allow" => prefix_allow(ctx, call),
            // Codex refuses these whatever the decision (checked with `codex execpolicy` 0.169).
            "network_rule" => {
                if let Some(Expr::Str(host)) = call.arg("host")
                    && host.contains('*')
                {
                    let finding = c::RULES_NETWORK_WILDCARD.at(ctx.at(call.offset), format!("`network_rule(host = \"{host}\")`: Codex rejects wildcard hosts, so this file does not load"));
                    ctx.findings.push(finding);
                }
            }
            _ => {}
        }
    }
}

fn prefix_allow(ctx: &mut Ctx<'_>, call: &Call) {
    let Some(Expr::List(pattern)) = call.arg("pattern") else { return };
    let Some(first) = pattern.first() else { return };
    let programs: Vec<&str> = alternatives(first).into_iter().map(program).collect();
    let second: Vec<&str> = pattern.get(1).map(alternatives).unwrap_or_default();
    let shown = shown_pattern(pattern);
    let shell = programs.iter().find(|p| SHELLS.contains(p)).filter(|_| pattern.len() == 1 || second.iter().any(|s| INLINE_FLAGS.contains(s)));
    let reader = programs.iter().find(|p| FILE_OR_NETWORK.contains(p));
    let whole = programs.iter().find(|p| POWERFUL.contains(p)).filter(|_| pattern.len() == 1);
    let (rule, message) = if let Some(p) = shell {
        (&c::RULES_ALLOW_SHELL, format!("`prefix_rule(pattern = {shown}, decision = \"allow\")`: `{p}` runs any command, outside the sandbox and unasked"))
    } else if let Some(p) = reader {
        (&c::RULES_ALLOW_ESCAPES_SANDBOX, format!("`prefix_rule(pattern = {shown})` allows `{p}` outside the sandbox, past its file and network denies"))
    } else if let Some(p) = whole {
        (&c::RULES_ALLOW_WHOLE_TOOL, format!("`prefix_rule(pattern = {shown})` allows every `{p}` subcommand outside the sandbox"))
    } else {
        return;
    };
    let finding = rule.at(ctx.at(call.offset), message);
    ctx.findings.push(finding);
}

fn shown_pattern(pattern: &[Expr]) -> String {
    let show = |e: &Expr| match e {
        Expr::Str(s) => format!("\"{s}\""),
        Expr::List(items) => format!("[{}]", items.iter().filter_map(|i| if let Expr::Str(s) = i { Some(format!("\"{s}\"")) } else { None }).collect::<Vec<_>>().join(", ")),
        Expr::Word(w) => w.clone(),
    };
    format!("[{}]", pattern.iter().map(show).collect::<Vec<_>>().join(", "))
}
