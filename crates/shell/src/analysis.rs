use std::fmt;

/// Where a command runs: the workspace root and the user's home, for `~` and relative paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// Absolute directory the command starts in.
    pub cwd: String,
    /// Absolute home directory, for `~` and `$HOME`.
    pub home: String,
}

impl Context {
    pub fn new(cwd: impl Into<String>, home: impl Into<String>) -> Self {
        Self { cwd: cwd.into(), home: home.into() }
    }
}

/// One resolved word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The word as bash would pass it, with dynamic parts (unknown variables, command
    /// substitutions) replaced by [`Arg::DYNAMIC`].
    pub value: String,
    /// Whether any part of the word is only known at run time.
    pub dynamic: bool,
}

impl Arg {
    /// Stands in for a part of a word that is only known at run time.
    pub const DYNAMIC: char = '\u{fffd}';

    pub fn literal(value: impl Into<String>) -> Self {
        Self { value: value.into(), dynamic: false }
    }
}

/// How a command came to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written directly in the command line (or in a compound command or pipeline of it).
    Direct,
    /// Inside `$(...)` or backticks.
    Substitution,
    /// Inside `<(...)` or `>(...)`.
    ProcessSubstitution,
    /// The script of `sh -c`, `bash -c`, `zsh -c` ...
    ShellString,
    /// The text passed to `eval`.
    Eval,
    /// A script fed to a shell on standard input (here-string, here-document, `echo ... | sh`).
    ShellStdin,
    /// Run by a wrapper (`sudo`, `env`, `xargs`, `find -exec`, `timeout` ...), named in `via`.
    Wrapped,
}

/// One simple command that could run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The program's name: the basename of an absolute or relative path (`/bin/rm` is `rm`).
    pub program: String,
    /// The program word as written, after quote removal (`/bin/rm`, `./run.sh`).
    pub path: String,
    pub args: Vec<Arg>,
    /// Wrappers this command runs under, outermost first (`["sudo", "env"]`).
    pub via: Vec<String>,
    pub origin: Origin,
    /// Programs whose output reaches this command's standard input or script: earlier stages of
    /// its pipeline, process substitutions in its arguments, command substitutions in a here-string.
    pub fed_by: Vec<String>,
    /// The directory it runs in, when known (`cd DIR && ...` changes it).
    pub cwd: Option<String>,
    /// Literal text on its standard input, when known (a here-string, a here-document, the
    /// output of `echo`/`printf` piped in).
    pub stdin: Option<String>,
    /// Index of the pipeline it belongs to in [`Analysis::pipelines`].
    pub pipeline: usize,
}

impl Command {
    /// The argument values as strings.
    pub fn arg_values(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|arg| arg.value.as_str())
    }

    /// Whether a flag is present: `-r` also matches bundled short flags such as `-rf` or `-fr`
    /// (for options of one dash and one letter), `--force` also matches `--force=...`.
    pub fn has_flag(&self, flag: &str) -> bool {
        crate::effects::has_flag(&self.args, flag)
    }
}

/// Read or write access to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    Read,
    Write,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Write => "write",
        })
    }
}

/// A file redirection (`> f`, `>> f`, `< f`, `&> f`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The target, resolved to an absolute path when it is not dynamic.
    pub target: Arg,
    pub access: Access,
    /// Index of the command it belongs to, when it belongs to one.
    pub command: Option<usize>,
}

/// Something the analyser could not resolve statically; the router escalates on any of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// The command line is not valid shell syntax (or is larger or deeper than the limits).
    Parse(String),
    /// A command name that is only known at run time (`$cmd`, `rm${IFS}-rf`, `$(echo rm)`).
    DynamicCommand(String),
    /// A shell or interpreter runs a script that is only known at run time (`base64 -d | sh`,
    /// `sh -c "$x"`, `eval "$(curl ...)"`).
    DynamicScript(String),
    /// Nesting of `sh -c`, `eval` and substitutions beyond the analyser's depth limit.
    TooDeep,
    /// A function that calls itself (the shape of a fork bomb).
    RecursiveFunction(String),
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse(detail) => write!(f, "the command could not be parsed ({detail})"),
            Self::DynamicCommand(word) => {
                write!(f, "the command name `{word}` is only known at run time")
            }
            Self::DynamicScript(detail) => {
                write!(f, "a script only known at run time is executed ({detail})")
            }
            Self::TooDeep => f.write_str("commands are nested deeper than the analyser follows"),
            Self::RecursiveFunction(name) => {
                write!(f, "the function `{name}` calls itself (fork bomb shape)")
            }
        }
    }
}

/// Everything that could run when the command line runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub commands: Vec<Command>,
    /// Each pipeline as the indices of its stages' commands, in order.
    pub pipelines: Vec<Vec<usize>>,
    pub redirects: Vec<Redirect>,
    pub unresolved: Vec<Unresolved>,
}

impl Analysis {
    /// Whether everything was resolved statically.
    pub fn is_resolved(&self) -> bool {
        self.unresolved.is_empty()
    }

    /// Files the command line reads or writes, resolved to absolute paths where possible.
    pub fn file_accesses(&self) -> Vec<(Arg, Access)> {
        crate::effects::file_accesses(self)
    }

    /// Whether `command` runs a file that an earlier command of the same line downloaded
    /// (`curl -o i.sh URL && bash i.sh`).
    pub fn executes_download(&self, command: &Command) -> bool {
        crate::effects::executes_download(self, command)
    }

    /// Hosts the command line contacts (URLs, `user@host`, `/dev/tcp/HOST/PORT`, `nc HOST PORT`).
    pub fn hosts(&self) -> Vec<String> {
        crate::effects::hosts(self)
    }
}
