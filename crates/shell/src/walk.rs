//! Walks the bash AST and records every simple command that could run.

use crate::analysis::{Access, Analysis, Arg, Command, Context, Origin, Redirect, Unresolved};
use crate::paths::normalize;
use crate::words::{self, Substitution, WordEnv};
use crate::wrappers::{self, Inner};
use brush_parser::ast;
use std::collections::HashMap;

/// How deep `sh -c`, `eval`, substitutions and wrappers may nest before we stop following.
const MAX_DEPTH: usize = 16;
/// Longest command line analysed; longer ones are unresolved.
const MAX_LEN: usize = 256 * 1024;
/// Most commands recorded for one command line.
const MAX_COMMANDS: usize = 4096;
/// Deepest bracket nesting handed to the parser. brush-parser's PEG grammar backtracks
/// exponentially on runs of `(` (arithmetic `((` against nested subshells): 20 take 26 ms, 30 take
/// 24 s (found by fuzzing). Real commands nest a few levels; deeper ones are unresolved.
const MAX_NESTING: usize = 16;

pub(crate) fn analyze(command: &str, context: &Context) -> Analysis {
    let mut walker = Walker { ctx: context, out: Analysis::default(), vars: HashMap::new(), functions: Vec::new() };
    let mut frame = Frame { origin: Origin::Direct, via: Vec::new(), fed_by: Vec::new(), cwd: Some(context.cwd.clone()), stdin: None, depth: 0 };
    walker.script(command, &mut frame);
    walker.out
}

/// The state a command inherits from where it appears.
#[derive(Clone, Debug)]
struct Frame {
    origin: Origin,
    via: Vec<String>,
    fed_by: Vec<String>,
    cwd: Option<String>,
    /// What reaches standard input through a pipe or here-string: literal text when known
    /// (`echo a | xargs rm`), dynamic (naming its source) when not, `None` for no redirection.
    stdin: Option<Arg>,
    depth: usize,
}

impl Frame {
    fn nested(&self, origin: Origin) -> Frame {
        Frame { origin, via: self.via.clone(), fed_by: Vec::new(), cwd: self.cwd.clone(), stdin: None, depth: self.depth + 1 }
    }
}

struct Walker<'a> {
    ctx: &'a Context,
    out: Analysis,
    /// Variables assigned literal values earlier in the command line.
    vars: HashMap<String, String>,
    /// Functions whose bodies are being walked, to spot self-calls.
    functions: Vec<String>,
}

impl Walker<'_> {
    fn script(&mut self, text: &str, frame: &mut Frame) {
        if frame.depth > MAX_DEPTH {
            self.unresolved(Unresolved::TooDeep);
            return;
        }
        if text.len() > MAX_LEN {
            self.unresolved(Unresolved::Parse(format!("longer than {MAX_LEN} bytes")));
            return;
        }
        if let Some(words) = crate::fast::plain_words(text) {
            let args: Vec<Arg> = words.into_iter().map(Arg::literal).collect();
            let pipeline = self.begin_pipeline();
            self.run(args, frame, pipeline);
            return;
        }
        if nesting(text) > MAX_NESTING {
            self.unresolved(Unresolved::TooDeep);
            return;
        }
        if let Some(problem) = bodiless_here_document(text) {
            self.unresolved(Unresolved::Parse(problem));
            return;
        }
        let options = brush_parser::ParserOptions::default();
        // brush-parser allows itself `unwrap`; a panic on hostile input must not take the hook down.
        // A trailing newline changes nothing to bash, and keeps brush's here-document tokenizer
        // out of the end-of-input state where it can loop forever (defence in depth behind
        // `bodiless_here_document`).
        let terminated = format!("{text}\n");
        let parsed = std::panic::catch_unwind(|| {
            brush_parser::Parser::new(std::io::Cursor::new(terminated.as_bytes()), &options).parse_program()
        });
        match parsed {
            Ok(Ok(program)) => {
                for list in &program.complete_commands {
                    self.compound_list(list, frame);
                }
            }
            Ok(Err(error)) => self.unresolved(Unresolved::Parse(error.to_string())),
            Err(_) => self.unresolved(Unresolved::Parse("the parser failed on this input".to_owned())),
        }
    }

    fn unresolved(&mut self, item: Unresolved) {
        if !self.out.unresolved.contains(&item) {
            self.out.unresolved.push(item);
        }
    }

    fn begin_pipeline(&mut self) -> usize {
        self.out.pipelines.push(Vec::new());
        self.out.pipelines.len() - 1
    }

    fn compound_list(&mut self, list: &ast::CompoundList, frame: &mut Frame) {
        for ast::CompoundListItem(and_or, _) in &list.0 {
            self.pipeline(&and_or.first, frame);
            for next in &and_or.additional {
                match next {
                    ast::AndOr::And(p) | ast::AndOr::Or(p) => self.pipeline(p, frame),
                }
            }
        }
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline, frame: &mut Frame) {
        let index = self.begin_pipeline();
        if pipeline.seq.len() == 1 {
            if let Some(command) = pipeline.seq.first() {
                self.command(command, frame, index);
            }
            return;
        }
        // Each stage of a real pipeline runs in a subshell, fed by the stages before it.
        let mut upstream: Vec<String> = frame.fed_by.clone();
        let mut stdin: Option<Arg> = frame.stdin.clone();
        for command in &pipeline.seq {
            let start = self.out.commands.len();
            let mut stage = Frame { fed_by: upstream.clone(), stdin: stdin.take(), ..frame.clone() };
            self.command(command, &mut stage, index);
            let produced = self.out.commands.get(start..).unwrap_or(&[]);
            stdin = Some(match literal_output(produced) {
                Some(text) => Arg::literal(text),
                None => Arg {
                    value: produced.first().map_or_else(|| "a pipe".to_owned(), |c| format!("`{}`", c.program)),
                    dynamic: true,
                },
            });
            for command in produced {
                if !upstream.contains(&command.program) {
                    upstream.push(command.program.clone());
                }
            }
        }
    }

    fn command(&mut self, command: &ast::Command, frame: &mut Frame, pipeline: usize) {
        match command {
            ast::Command::Simple(simple) => self.simple(simple, frame, pipeline),
            ast::Command::Compound(compound, redirects) => {
                self.compound(compound, frame);
                if let Some(redirects) = redirects {
                    for redirect in &redirects.0 {
                        self.redirect(redirect, frame, None, &mut Vec::new());
                    }
                }
            }
            ast::Command::Function(definition) => {
                let name = definition.fname.value.clone();
                self.functions.push(name);
                let ast::FunctionBody(body, _) = &definition.body;
                let mut inner = frame.clone();
                self.compound(body, &mut inner);
                self.functions.pop();
            }
            ast::Command::ExtendedTest(test, _) => {
                let mut subs = Vec::new();
                self.test_words(&test.expr, frame, &mut subs);
                self.substitutions(subs, frame);
            }
        }
    }

    fn test_words(&mut self, expr: &ast::ExtendedTestExpr, frame: &Frame, subs: &mut Vec<Substitution>) {
        match expr {
            ast::ExtendedTestExpr::And(a, b) | ast::ExtendedTestExpr::Or(a, b) => {
                self.test_words(a, frame, subs);
                self.test_words(b, frame, subs);
            }
            ast::ExtendedTestExpr::Not(a) | ast::ExtendedTestExpr::Parenthesized(a) => self.test_words(a, frame, subs),
            ast::ExtendedTestExpr::UnaryTest(_, word) => {
                self.word(word, frame, subs);
            }
            ast::ExtendedTestExpr::BinaryTest(_, left, right) => {
                self.word(left, frame, subs);
                self.word(right, frame, subs);
            }
        }
    }

    fn compound(&mut self, compound: &ast::CompoundCommand, frame: &mut Frame) {
        match compound {
            ast::CompoundCommand::BraceGroup(group) => self.compound_list(&group.list, frame),
            ast::CompoundCommand::Subshell(subshell) => self.compound_list(&subshell.list, &mut frame.clone()),
            ast::CompoundCommand::ForClause(clause) => {
                let mut subs = Vec::new();
                let mut values: Vec<Arg> = Vec::new();
                for word in clause.values.iter().flatten() {
                    values.push(self.word(word, frame, &mut subs));
                }
                self.substitutions(subs, frame);
                // The loop variable takes one value per iteration: known only when there is one.
                match values.as_slice() {
                    [single] if !single.dynamic => {
                        self.vars.insert(clause.variable_name.clone(), single.value.clone());
                    }
                    _ => {
                        self.vars.remove(&clause.variable_name);
                    }
                }
                self.compound_list(&clause.body.list, frame);
            }
            ast::CompoundCommand::ArithmeticForClause(clause) => self.compound_list(&clause.body.list, frame),
            ast::CompoundCommand::CaseClause(clause) => {
                let mut subs = Vec::new();
                self.word(&clause.value, frame, &mut subs);
                self.substitutions(subs, frame);
                for item in &clause.cases {
                    if let Some(list) = &item.cmd {
                        self.compound_list(list, frame);
                    }
                }
            }
            ast::CompoundCommand::IfClause(clause) => {
                self.compound_list(&clause.condition, frame);
                self.compound_list(&clause.then, frame);
                for branch in clause.elses.iter().flatten() {
                    if let Some(condition) = &branch.condition {
                        self.compound_list(condition, frame);
                    }
                    self.compound_list(&branch.body, frame);
                }
            }
            ast::CompoundCommand::WhileClause(clause) | ast::CompoundCommand::UntilClause(clause) => {
                let ast::WhileOrUntilClauseCommand(condition, body, _) = clause;
                self.compound_list(condition, frame);
                self.compound_list(&body.list, frame);
            }
            ast::CompoundCommand::Coprocess(coprocess) => {
                let pipeline = self.begin_pipeline();
                self.command(&coprocess.body, &mut frame.clone(), pipeline);
            }
            ast::CompoundCommand::Arithmetic(_) => {}
        }
    }

    fn word(&mut self, word: &ast::Word, frame: &Frame, subs: &mut Vec<Substitution>) -> Arg {
        let env = WordEnv { home: &self.ctx.home, cwd: frame.cwd.as_deref(), vars: &self.vars };
        let mut found = Vec::new();
        let mut arg = words::resolve(&word.value, &env, &mut found);
        // `$(echo rm)` and `` `printf rm` `` print a literal: substitute it rather than give up.
        if arg.dynamic && found.len() == 1 && arg.value.matches(Arg::DYNAMIC).count() == 1 {
            let printed = found.first().and_then(|sub| literal_echo(&sub.script));
            if let Some(text) = printed.filter(|t| !t.chars().any(char::is_whitespace)) {
                arg.value = arg.value.replacen(Arg::DYNAMIC, &text, 1);
                arg.dynamic = arg.value.contains(Arg::DYNAMIC);
            }
        }
        subs.extend(found);
        arg
    }

    fn substitutions(&mut self, subs: Vec<Substitution>, frame: &Frame) {
        for sub in subs {
            let mut inner = frame.nested(Origin::Substitution);
            self.script(&sub.script, &mut inner);
        }
    }

    fn simple(&mut self, simple: &ast::SimpleCommand, frame: &mut Frame, pipeline: usize) {
        let mut subs = Vec::new();
        let mut words: Vec<Arg> = Vec::new();
        let mut redirects: Vec<&ast::IoRedirect> = Vec::new();
        let mut assignments: Vec<(String, Arg)> = Vec::new();
        let mut process_subs: Vec<(&ast::ProcessSubstitutionKind, &ast::SubshellCommand)> = Vec::new();
        let items = simple.prefix.iter().flat_map(|p| p.0.iter());
        let suffix = simple.suffix.iter().flat_map(|s| s.0.iter());
        let mut collect = |item: &'_ ast::CommandPrefixOrSuffixItem| item.clone();
        let mut all: Vec<ast::CommandPrefixOrSuffixItem> = items.map(&mut collect).collect();
        let name_position = all.len();
        all.extend(suffix.map(&mut collect));
        for (i, item) in all.iter().enumerate() {
            if i == name_position
                && let Some(name) = &simple.word_or_name {
                    let arg = self.word(name, frame, &mut subs);
                    words.push(arg);
                }
            match item {
                ast::CommandPrefixOrSuffixItem::IoRedirect(redirect) => redirects.push(redirect),
                ast::CommandPrefixOrSuffixItem::Word(word) => {
                    let arg = self.word(word, frame, &mut subs);
                    words.push(arg);
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(_, word) if i >= name_position => {
                    // After the command name, `of=/dev/sda` or `a=rwx` is an argument, not an assignment.
                    let arg = self.word(word, frame, &mut subs);
                    words.push(arg);
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(assignment, _) => {
                    let value = match &assignment.value {
                        ast::AssignmentValue::Scalar(word) => self.word(word, frame, &mut subs),
                        ast::AssignmentValue::Array(_) => Arg { value: Arg::DYNAMIC.to_string(), dynamic: true },
                    };
                    if let ast::AssignmentName::VariableName(name) = &assignment.name {
                        assignments.push((name.clone(), value));
                    }
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(kind, subshell) => {
                    process_subs.push((kind, subshell));
                    words.push(Arg { value: format!("/dev/fd/{}", Arg::DYNAMIC), dynamic: true });
                }
            }
        }
        if name_position == all.len()
            && let Some(name) = &simple.word_or_name {
                let arg = self.word(name, frame, &mut subs);
                words.push(arg);
            }

        // Process substitutions run first and feed the command that reads them.
        let mut fed_by = frame.fed_by.clone();
        for (kind, subshell) in process_subs {
            let start = self.out.commands.len();
            let mut inner = frame.nested(Origin::ProcessSubstitution);
            self.compound_list(&subshell.list, &mut inner);
            if matches!(kind, ast::ProcessSubstitutionKind::Read) {
                for command in self.out.commands.get(start..).unwrap_or(&[]) {
                    fed_by.push(command.program.clone());
                }
            }
        }

        if words.is_empty() {
            // Assignments only: remember literal values for later words.
            for (name, value) in assignments {
                if value.dynamic {
                    self.vars.remove(&name);
                } else {
                    self.vars.insert(name, value.value);
                }
            }
            for redirect in redirects {
                self.redirect(redirect, frame, None, &mut subs);
            }
            self.substitutions(subs, frame);
            return;
        }

        let first_redirect = self.out.redirects.len();
        let mut here_script: Option<(Arg, Vec<String>)> = None;
        for redirect in &redirects {
            if let Some(script) = self.redirect(redirect, frame, None, &mut subs) {
                here_script = Some(script);
            }
        }
        let before_subs = self.out.commands.len();
        self.substitutions(subs, frame);
        // What `$(...)` runs feeds the command's arguments: `sh -c "$(curl ...)"` runs what curl fetched.
        for command in self.out.commands.get(before_subs..).unwrap_or(&[]) {
            if !fed_by.contains(&command.program) {
                fed_by.push(command.program.clone());
            }
        }
        // The command is recorded after everything its words and redirections ran.
        let owner = self.out.commands.len();
        for redirect in self.out.redirects.iter_mut().skip(first_redirect) {
            redirect.command = Some(owner);
        }

        let mut stage = Frame { fed_by, ..frame.clone() };
        if let Some((script, feeders)) = here_script {
            stage.fed_by.extend(feeders);
            stage.stdin = Some(if script.dynamic {
                Arg { value: "a here-string or here-document expanded at run time".to_owned(), dynamic: true }
            } else {
                script
            });
        }
        self.run(words, &mut stage, pipeline);
        frame.cwd = stage.cwd;
    }

    /// Records a redirection. Returns the script text when it feeds a here-string or
    /// here-document (with the programs whose output is spliced into it).
    fn redirect(
        &mut self,
        redirect: &ast::IoRedirect,
        frame: &Frame,
        command: Option<usize>,
        subs: &mut Vec<Substitution>,
    ) -> Option<(Arg, Vec<String>)> {
        match redirect {
            ast::IoRedirect::File(_, kind, target) => {
                let access = match kind {
                    ast::IoFileRedirectKind::Read => Access::Read,
                    ast::IoFileRedirectKind::Write
                    | ast::IoFileRedirectKind::Append
                    | ast::IoFileRedirectKind::ReadAndWrite
                    | ast::IoFileRedirectKind::Clobber => Access::Write,
                    ast::IoFileRedirectKind::DuplicateInput | ast::IoFileRedirectKind::DuplicateOutput => Access::Write,
                };
                match target {
                    ast::IoFileRedirectTarget::Filename(word) | ast::IoFileRedirectTarget::Duplicate(word) => {
                        let arg = self.word(word, frame, subs);
                        let is_fd = !arg.dynamic && (arg.value == "-" || arg.value.chars().all(|c| c.is_ascii_digit()));
                        if !is_fd {
                            let target = self.resolve_path(&arg, frame);
                            self.out.redirects.push(Redirect { target, access, command });
                        }
                    }
                    ast::IoFileRedirectTarget::ProcessSubstitution(_, subshell) => {
                        let start = self.out.commands.len();
                        let mut inner = frame.nested(Origin::ProcessSubstitution);
                        self.compound_list(&subshell.list, &mut inner);
                        // `bash < <(curl ...)`: what the substitution prints is the command's input.
                        if access == Access::Read {
                            let feeders = self.out.commands.get(start..).unwrap_or(&[]).iter().map(|c| c.program.clone()).collect();
                            let source = Arg { value: "a process substitution".to_owned(), dynamic: true };
                            return Some((source, feeders));
                        }
                    }
                    ast::IoFileRedirectTarget::Fd(_) => {}
                }
                None
            }
            ast::IoRedirect::OutputAndError(word, _) => {
                let arg = self.word(word, frame, subs);
                let target = self.resolve_path(&arg, frame);
                self.out.redirects.push(Redirect { target, access: Access::Write, command });
                None
            }
            ast::IoRedirect::HereString(_, word) => {
                let mut found = Vec::new();
                let arg = self.word(word, frame, &mut found);
                let mut feeders = Vec::new();
                for sub in &found {
                    let start = self.out.commands.len();
                    let mut inner = frame.nested(Origin::Substitution);
                    self.script(&sub.script, &mut inner);
                    for command in self.out.commands.get(start..).unwrap_or(&[]) {
                        feeders.push(command.program.clone());
                    }
                }
                Some((arg, feeders))
            }
            ast::IoRedirect::HereDocument(_, doc) => {
                let mut found = Vec::new();
                let arg = if doc.requires_expansion {
                    let env = WordEnv { home: &self.ctx.home, cwd: frame.cwd.as_deref(), vars: &self.vars };
                    let heredoc = std::panic::catch_unwind(|| {
                        brush_parser::word::parse_heredoc(&doc.doc.value, &brush_parser::ParserOptions::default()).is_ok()
                    });
                    match heredoc {
                        Ok(true) => words::resolve(&format!("\"{}\"", doc.doc.value.replace('"', "\\\"")), &env, &mut found),
                        _ => Arg { value: doc.doc.value.clone(), dynamic: true },
                    }
                } else {
                    Arg::literal(doc.doc.value.clone())
                };
                let mut feeders = Vec::new();
                for sub in &found {
                    let start = self.out.commands.len();
                    let mut inner = frame.nested(Origin::Substitution);
                    self.script(&sub.script, &mut inner);
                    for command in self.out.commands.get(start..).unwrap_or(&[]) {
                        feeders.push(command.program.clone());
                    }
                }
                Some((arg, feeders))
            }
        }
    }

    fn resolve_path(&self, arg: &Arg, frame: &Frame) -> Arg {
        if arg.dynamic {
            return arg.clone();
        }
        match (&frame.cwd, arg.value.starts_with('/')) {
            (_, true) => Arg::literal(normalize(&arg.value, "/", &self.ctx.home)),
            (Some(cwd), false) => Arg::literal(normalize(&arg.value, cwd, &self.ctx.home)),
            (None, false) => Arg { value: arg.value.clone(), dynamic: true },
        }
    }
}

impl Walker<'_> {
    /// Records one command and follows whatever it runs inside itself.
    fn run(&mut self, words: Vec<Arg>, frame: &mut Frame, pipeline: usize) {
        if self.out.commands.len() >= MAX_COMMANDS {
            self.unresolved(Unresolved::TooDeep);
            return;
        }
        let mut words = words.into_iter();
        let Some(first) = words.next() else { return };
        let args: Vec<Arg> = words.collect();
        if first.dynamic {
            self.unresolved(Unresolved::DynamicCommand(display(&first.value)));
            return;
        }
        let program = basename(&first.value).to_owned();
        if self.functions.contains(&program) {
            self.unresolved(Unresolved::RecursiveFunction(program.clone()));
        }
        if program == "cd" || program == "pushd" {
            frame.cwd = match args.iter().find(|a| !a.value.starts_with('-')) {
                None => Some(self.ctx.home.clone()),
                Some(dir) if dir.dynamic => None,
                Some(dir) => frame.cwd.as_ref().map(|cwd| normalize(&dir.value, cwd, &self.ctx.home)),
            };
        }
        let stdin_text = frame.stdin.as_ref().filter(|a| !a.dynamic).map(|a| a.value.clone());
        let inner = wrappers::inner(&program, &args, stdin_text.as_deref());
        let index = self.out.commands.len();
        self.out.commands.push(Command {
            program: program.clone(),
            path: first.value,
            args,
            via: frame.via.clone(),
            origin: frame.origin,
            fed_by: frame.fed_by.clone(),
            cwd: frame.cwd.clone(),
            stdin: frame.stdin.as_ref().filter(|a| !a.dynamic).map(|a| a.value.clone()),
            pipeline,
        });
        if let Some(stages) = self.out.pipelines.get_mut(pipeline) {
            stages.push(index);
        }
        match inner {
            Inner::None => {}
            Inner::StdinShell => match &frame.stdin {
                Some(script) if !script.dynamic => {
                    let mut nested = frame.nested(Origin::ShellStdin);
                    nested.via.push(program);
                    nested.fed_by = frame.fed_by.clone();
                    self.script(&script.value, &mut nested);
                }
                Some(source) => self.unresolved(Unresolved::DynamicScript(format!(
                    "`{program}` reads its script from {}",
                    source.value
                ))),
                None => {}
            },
            Inner::Script(script, origin) => {
                if script.dynamic {
                    self.unresolved(Unresolved::DynamicScript(format!("`{program}` runs `{}`", display(&script.value))));
                } else {
                    let mut nested = frame.nested(origin);
                    nested.via.push(program);
                    nested.fed_by = frame.fed_by.clone();
                    self.script(&script.value, &mut nested);
                }
            }
            Inner::Scripts(scripts) => {
                for script in scripts {
                    if script.dynamic {
                        self.unresolved(Unresolved::DynamicScript(format!("`{program}` runs `{}`", display(&script.value))));
                    } else {
                        let mut nested = frame.nested(Origin::ShellString);
                        nested.via.push(program.clone());
                        nested.fed_by = frame.fed_by.clone();
                        self.script(&script.value, &mut nested);
                    }
                }
            }
            Inner::Commands(commands) => {
                for command in commands {
                    let mut nested = Frame { origin: Origin::Wrapped, depth: frame.depth + 1, ..frame.clone() };
                    nested.via.push(program.clone());
                    if nested.depth > MAX_DEPTH {
                        self.unresolved(Unresolved::TooDeep);
                        return;
                    }
                    self.run(command, &mut nested, pipeline);
                }
            }
        }
    }
}

/// The program name of a command word: `/bin/rm` and `./rm` are `rm`.
fn basename(word: &str) -> &str {
    word.rsplit('/').next().filter(|name| !name.is_empty()).unwrap_or(word)
}

fn display(value: &str) -> String {
    value.replace(Arg::DYNAMIC, "…")
}

/// What a lone `echo` or `printf` of literal words prints, if that is all the commands are.
fn literal_output(commands: &[Command]) -> Option<String> {
    let [command] = commands else { return None };
    if command.args.iter().any(|a| a.dynamic) {
        return None;
    }
    match command.program.as_str() {
        "echo" => {
            let mut args = command.args.iter().peekable();
            let mut escapes = false;
            while let Some(flag) = args.peek() {
                match flag.value.as_str() {
                    "-n" | "-E" => {}
                    "-e" | "-ne" | "-en" => escapes = true,
                    _ => break,
                }
                args.next();
            }
            let text = args.map(|a| a.value.as_str()).collect::<Vec<_>>().join(" ");
            Some(if escapes { words::decode_ansi_c(&text) } else { text })
        }
        "printf" => {
            let mut args = command.args.iter().map(|a| a.value.as_str());
            let format = args.next()?;
            let rest: Vec<&str> = args.collect();
            if format == "%s" || format == "%s\\n" || format == "%s\n" {
                Some(rest.join(if format == "%s" { "" } else { "\n" }))
            } else if !format.contains('%') && rest.is_empty() {
                Some(words::decode_ansi_c(format))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Deepest nesting of brackets and quotes, counted without parsing.
fn nesting(text: &str) -> usize {
    let mut depth: usize = 0;
    let mut deepest = 0;
    for byte in text.bytes() {
        match byte {
            b'(' | b'{' | b'[' | b'`' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The output of a substitution whose script is `echo`/`printf` of plain words (`$(echo rm)`).
/// Only plain words are substituted: analysing the script fully here as well as in
/// [`Walker::substitutions`] made nested substitutions cost 2^depth (found by fuzzing).
fn literal_echo(script: &str) -> Option<String> {
    let words = crate::fast::plain_words(script.trim())?;
    let (program, args) = words.split_first()?;
    let command = Command {
        program: program.clone(),
        path: program.clone(),
        args: args.iter().map(|a| Arg::literal(a.clone())).collect(),
        via: Vec::new(),
        origin: Origin::Substitution,
        fed_by: Vec::new(),
        cwd: None,
        stdin: None,
        pipeline: 0,
    };
    literal_output(std::slice::from_ref(&command))
}

/// A here-document operator (`<<TAG`, outside quotes) whose tag is empty or whose body never
/// starts (no newline follows). brush-parser 0.4.0's tokenizer loops forever, allocating, on
/// such input (found by fuzzing); bash itself only warns and reads an empty body. Either way the
/// command is not one we can judge, so it is unresolved before the parser sees it.
fn bodiless_here_document(text: &str) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Quote {
        None,
        Single,
        Double,
        /// Inside `$(` (unquoted even within double quotes), until its `)`.
        Substitution,
    }
    let bytes = text.as_bytes();
    let mut stack = vec![Quote::None];
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let top = stack.last().copied().unwrap_or(Quote::None);
        let single = top == Quote::Single;
        let double = top == Quote::Double;
        match b {
            b'\\' if !single => i += 1,
            b'\'' if !double => {
                if single {
                    stack.pop();
                } else {
                    stack.push(Quote::Single);
                }
            }
            b'"' if !single => {
                if double {
                    stack.pop();
                } else {
                    stack.push(Quote::Double);
                }
            }
            b'$' if !single && bytes.get(i + 1) == Some(&b'(') => {
                stack.push(Quote::Substitution);
                i += 1;
            }
            b')' if top == Quote::Substitution => {
                stack.pop();
            }
            b'<' if !single && !double => {
                // A run of `<` splits the way brush tokenizes it: greedily into `<<<` (here-strings),
                // so the run is a here-document operator when its length leaves 2 (`<<`, `<<<<<`).
                let run = bytes.get(i..).map_or(0, |rest| rest.iter().take_while(|c| **c == b'<').count());
                if run % 3 == 2 {
                    let mut j = i + run;
                    if bytes.get(j) == Some(&b'-') {
                        j += 1;
                    }
                    while bytes.get(j).is_some_and(|c| c.is_ascii_whitespace() && *c != b'\n') {
                        j += 1;
                    }
                    let tag_start = j;
                    while bytes.get(j).is_some_and(|c| !c.is_ascii_whitespace() && !b";|&<>()".contains(c)) {
                        j += 1;
                    }
                    if j == tag_start {
                        return Some("a here-document without a delimiter".to_owned());
                    }
                    if !bytes.get(j..).is_some_and(|rest| rest.contains(&b'\n')) {
                        return Some("a here-document whose body never starts".to_owned());
                    }
                    i = j;
                    continue;
                }
                i += run;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}
