//! What commands touch: files read and written, hosts contacted. Knowledge of common programs'
//! arguments lives here, in one table, so rules can speak of paths and hosts rather than of each
//! program's syntax.

use crate::analysis::{Access, Analysis, Arg, Command};
use crate::paths::normalize;

/// Whether `flag` is among `args` (before `--`). `-r` also matches bundled short options
/// (`-rf`, `-fr`); `--force` also matches `--force=value`.
pub(crate) fn has_flag(args: &[Arg], flag: &str) -> bool {
    let long = flag.starts_with("--");
    let short = flag.strip_prefix('-').filter(|f| !long && f.chars().count() == 1);
    for arg in args {
        let value = arg.value.as_str();
        if value == "--" {
            break;
        }
        if value == flag {
            return true;
        }
        if long {
            if value.strip_prefix(flag).is_some_and(|rest| rest.starts_with('=')) {
                return true;
            }
        } else if let Some(letter) = short
            && let Some(bundle) = value.strip_prefix('-')
                && !bundle.starts_with('-') && bundle.chars().all(|c| c.is_ascii_alphabetic()) && bundle.contains(letter) {
                    return true;
                }
    }
    false
}

/// Operands: arguments that are not options (everything after `--` counts).
fn operands(args: &[Arg]) -> Vec<&Arg> {
    operands_with(args, |_| false)
}

/// Operands, skipping the word after each option for which `takes_value` holds
/// (`ssh -p 2222 host`, `sed -e SCRIPT file`).
fn operands_with(args: &[Arg], takes_value: impl Fn(&str) -> bool) -> Vec<&Arg> {
    let mut out = Vec::new();
    let mut skip = false;
    let mut options_done = false;
    for arg in args {
        if skip {
            skip = false;
            continue;
        }
        let value = arg.value.as_str();
        if !options_done && value == "--" {
            options_done = true;
            continue;
        }
        if !options_done && value.starts_with('-') && value != "-" {
            skip = takes_value(value);
            continue;
        }
        out.push(arg);
    }
    out
}

/// Programs that delete or modify every operand.
const WRITES_ALL: &[&str] = &["rm", "rmdir", "shred", "unlink", "touch", "mkdir", "truncate", "mv", "tee", "srm", "wipe"];
/// Programs whose first operand is a mode or owner and the rest are written.
const WRITES_AFTER_FIRST: &[&str] = &["chmod", "chown", "chgrp", "chattr", "setfacl"];
/// Programs that write their last operand and read the others.
const WRITES_LAST: &[&str] = &["cp", "install", "ln", "rsync", "scp"];
/// Programs that read every operand.
const READS_ALL: &[&str] = &[
    "cat", "tac", "less", "more", "head", "tail", "nl", "od", "xxd", "hexdump", "strings", "base64", "base32",
    "md5sum", "sha1sum", "sha256sum", "sha512sum", "wc", "sort", "uniq", "diff", "cmp", "file", "stat", "bat",
    "source", ".", "gpg", "openssl", "zip", "7z", "vim", "vi", "nano", "emacs", "view", "jq", "yq", "cut", "paste",
    "column", "iconv", "dos2unix", "sqlite3",
];

fn resolve(arg: &Arg, command: &Command, home: &str) -> Arg {
    if arg.dynamic {
        return arg.clone();
    }
    let value = arg.value.as_str();
    if value.starts_with('/') || value.starts_with('~') {
        return Arg::literal(normalize(value, "/", home));
    }
    match &command.cwd {
        Some(cwd) => Arg::literal(normalize(value, cwd, home)),
        None => Arg { value: arg.value.clone(), dynamic: true },
    }
}

/// Whether an operand of an arbitrary program looks like a path (so reading it is judged).
fn looks_like_path(value: &str) -> bool {
    !value.contains("://")
        && (value.starts_with('/')
            || value.starts_with('~')
            || value.starts_with("./")
            || value.starts_with("../")
            || value.contains('/')
            || (value.starts_with('.') && value.len() > 1 && value != ".."))
}

pub(crate) fn file_accesses(analysis: &Analysis) -> Vec<(Arg, Access)> {
    let mut out: Vec<(Arg, Access)> = analysis.redirects.iter().map(|r| (r.target.clone(), r.access)).collect();
    // The home directory is only needed to expand `~`; words were expanded already, so any `~`
    // left here was quoted and is literal. Use an impossible home to keep it literal.
    let home = "/nonexistent-home";
    for command in &analysis.commands {
        let program = command.program.as_str();
        let operands = operands(&command.args);
        let mut push = |arg: &Arg, access: Access| out.push((resolve(arg, command, home), access));
        if WRITES_ALL.contains(&program) {
            for arg in &operands {
                push(arg, Access::Write);
            }
        } else if WRITES_AFTER_FIRST.contains(&program) {
            let skip = usize::from(!command.args.iter().any(|a| a.value.starts_with("--reference")));
            for arg in operands.iter().skip(skip) {
                push(arg, Access::Write);
            }
        } else if WRITES_LAST.contains(&program) {
            if let Some((last, sources)) = operands.split_last() {
                // `scp`/`rsync` remote operands (`host:path`) are not local files.
                if !is_remote(&last.value) {
                    push(last, Access::Write);
                }
                for arg in sources.iter().filter(|a| !is_remote(&a.value)) {
                    push(arg, Access::Read);
                }
            }
        } else if program == "dd" {
            for arg in &command.args {
                if let Some(path) = arg.value.strip_prefix("of=") {
                    push(&Arg { value: path.to_owned(), dynamic: arg.dynamic }, Access::Write);
                } else if let Some(path) = arg.value.strip_prefix("if=") {
                    push(&Arg { value: path.to_owned(), dynamic: arg.dynamic }, Access::Read);
                }
            }
        } else if program == "sed" || program == "perl" {
            if in_place(&command.args) {
                for arg in in_place_files(&command.args) {
                    push(arg, Access::Write);
                }
            }
        } else if program == "find" {
            if command.args.iter().any(|a| a.value == "-delete") {
                for root in crate::wrappers::find_roots(&command.args) {
                    push(&root, Access::Write);
                }
            }
        } else if READS_ALL.contains(&program) {
            for arg in &operands {
                push(arg, Access::Read);
            }
        }
        // Output files named by options.
        for path in output_files(command) {
            push(path, Access::Write);
        }
        // socat addresses that open files: `file:PATH`, `open:PATH`, `gopen:PATH`, `create:PATH`.
        if program == "socat" {
            for arg in &command.args {
                let lower = arg.value.to_ascii_lowercase();
                for prefix in ["file:", "open:", "gopen:", "create:"] {
                    if lower.starts_with(prefix) {
                        let path = arg.value.get(prefix.len()..).unwrap_or("").split(',').next().unwrap_or("");
                        let access = if prefix == "create:" { Access::Write } else { Access::Read };
                        push(&Arg { value: path.to_owned(), dynamic: arg.dynamic }, access);
                    }
                }
            }
        }
        // Anything else that looks like a path (or is `@file` data for curl) may be read.
        for arg in &command.args {
            let value = arg.value.strip_prefix('@').unwrap_or(&arg.value);
            let value = value.split_once('=').filter(|(k, _)| k.starts_with('-')).map_or(value, |(_, v)| v);
            if looks_like_path(value) {
                push(&Arg { value: value.to_owned(), dynamic: arg.dynamic }, Access::Read);
            }
        }
    }
    out.sort_by(|a, b| (&a.0.value, a.1).cmp(&(&b.0.value, b.1)));
    out.dedup();
    out
}

/// `sed -i`, `sed --in-place`, `perl -pi -e`: the bundle of one-letter options contains `i`.
fn in_place(args: &[Arg]) -> bool {
    args.iter().any(|a| {
        a.value.starts_with("--in-place")
            || a.value.strip_prefix('-').is_some_and(|b| !b.starts_with('-') && b.split('.').next().is_some_and(|letters| letters.contains('i')))
    })
}

/// The files `sed -i` / `perl -i` edit: operands other than the script (the first operand, or the
/// values of `-e` / `-f` when the script is given that way).
fn in_place_files(args: &[Arg]) -> Vec<&Arg> {
    // `-e SCRIPT`, `-f FILE`, and bundles ending in e or f (`-pie`) take the next word.
    let takes_script = |value: &str| {
        matches!(value, "--expression" | "--file") || (!value.starts_with("--") && (value.ends_with('e') || value.ends_with('f')))
    };
    let script_given = args
        .iter()
        .take_while(|a| a.value != "--")
        .any(|a| a.value.starts_with('-') && (takes_script(&a.value) || a.value.starts_with("--expression=") || a.value.starts_with("--file=")));
    let mut files = operands_with(args, takes_script);
    if !script_given && !files.is_empty() {
        files.remove(0);
    }
    files
}

/// Files written through output options: `curl -o F` (also bundled, `-sSLo F`), `wget -O F`
/// (`-qO F`), `tar -C DIR`, `unzip -d DIR`.
fn output_files(command: &Command) -> Vec<&Arg> {
    let (short, long): (char, &[&str]) = match command.program.as_str() {
        "curl" => ('o', &["--output"]),
        "wget" => ('O', &["--output-document"]),
        "tar" => ('C', &["--directory"]),
        "unzip" => ('d', &[]),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut args = command.args.iter().peekable();
    while let Some(arg) = args.next() {
        let value = arg.value.as_str();
        let bundle = value.strip_prefix('-').filter(|b| !b.starts_with('-') && !b.is_empty());
        let takes_next = long.contains(&value) || bundle.is_some_and(|b| b.ends_with(short) && b.chars().all(|c| c.is_ascii_alphabetic()));
        if takes_next
            && let Some(next) = args.next()
                && next.value != "-" {
                    out.push(next);
                }
    }
    out
}

/// Files a fetcher (`curl`, `wget` ...) writes: its output options and its redirections.
fn downloaded(analysis: &Analysis) -> Vec<String> {
    let mut files = Vec::new();
    for (index, command) in analysis.commands.iter().enumerate() {
        if !FETCHERS.contains(&command.program.as_str()) {
            continue;
        }
        let mut targets: Vec<Arg> = output_files(command).into_iter().cloned().collect();
        if command.program == "wget" && targets.is_empty() {
            // `wget URL` saves to the URL's last path component in the working directory.
            for arg in operands(&command.args) {
                if let Some(name) = arg.value.split('?').next().and_then(|u| u.rsplit('/').next()).filter(|n| !n.is_empty() && !n.contains(':')) {
                    targets.push(Arg { value: name.to_owned(), dynamic: arg.dynamic });
                }
            }
        }
        for redirect in analysis.redirects.iter().filter(|r| r.command == Some(index) && r.access == Access::Write) {
            targets.push(redirect.target.clone());
        }
        for target in targets {
            let resolved = resolve(&target, command, "/nonexistent-home");
            if !resolved.dynamic {
                files.push(resolved.value);
            }
        }
    }
    files
}

const INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python2", "python3", "perl", "ruby", "node", "php", "lua", "source", ".",
];

pub(crate) fn executes_download(analysis: &Analysis, command: &Command) -> bool {
    let files = downloaded(analysis);
    if files.is_empty() {
        return false;
    }
    let runs = |arg: &Arg| {
        let resolved = resolve(arg, command, "/nonexistent-home");
        !resolved.dynamic && files.contains(&resolved.value)
    };
    if command.path.contains('/') && runs(&Arg::literal(command.path.clone())) {
        return true;
    }
    // `bash < /tmp/i.sh`: an interpreter reading the downloaded file on standard input.
    let index = analysis.commands.iter().position(|c| std::ptr::eq(c, command));
    if INTERPRETERS.contains(&command.program.as_str())
        && analysis.redirects.iter().any(|r| r.command == index && r.access == Access::Read && !r.target.dynamic && files.contains(&r.target.value))
    {
        return true;
    }
    INTERPRETERS.contains(&command.program.as_str()) && operands(&command.args).first().is_some_and(|arg| runs(arg))
}

fn is_remote(value: &str) -> bool {
    match value.split_once(':') {
        Some((host, _)) => !host.is_empty() && !host.contains('/'),
        None => false,
    }
}

/// The host of a URL (`scheme://[user@]host[:port]/...`).
fn url_host(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    // The authority ends at the path, or where a run-time value begins (`http://169.254.170.2$URI`).
    let authority = rest.split(['/', '?', '#', Arg::DYNAMIC, '"', '\'', ' ']).next()?;
    let host_port = authority.rsplit('@').next()?;
    host_only(host_port)
}

fn host_only(host_port: &str) -> Option<&str> {
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().filter(|h| !h.is_empty());
    }
    // A bare IPv6 address has several colons and no port.
    if host_port.matches(':').count() > 1 {
        return Some(host_port);
    }
    host_port.split(':').next().filter(|h| !h.is_empty())
}

/// `/dev/tcp/HOST/PORT` and `/dev/udp/HOST/PORT`.
fn dev_tcp_host(value: &str) -> Option<&str> {
    let rest = value.strip_prefix("/dev/tcp/").or_else(|| value.strip_prefix("/dev/udp/"))?;
    rest.split('/').next().filter(|h| !h.is_empty())
}

const NETCATS: &[&str] = &["nc", "ncat", "netcat", "telnet", "nc.traditional", "nc.openbsd"];
const FETCHERS: &[&str] = &["curl", "wget", "http", "https", "xh", "fetch", "aria2c", "lynx", "links", "w3m"];
const REMOTE_SHELLS: &[&str] = &["ssh", "scp", "sftp", "rsync", "mosh"];

/// Operands of ssh-like programs, skipping the values of their options (`ssh -p 2222 host`).
fn remote_operands<'a>(program: &str, args: &'a [Arg]) -> Vec<&'a Arg> {
    let with_value: &[&str] = match program {
        "ssh" | "mosh" => &["-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-e", "-m", "-O", "-Q", "-S", "-W", "-w", "-E", "-B", "-I"],
        "scp" | "sftp" => &["-P", "-i", "-o", "-F", "-J", "-l", "-c", "-S", "-D", "-X"],
        "rsync" => &["-e", "--rsh", "-f", "--filter", "--exclude", "--include", "--port", "-T", "--temp-dir"],
        _ => &[],
    };
    operands_with(args, |value| with_value.contains(&value))
}

pub(crate) fn hosts(analysis: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |host: &str| {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if !host.is_empty() && !host.contains(Arg::DYNAMIC) && !out.contains(&host) {
            out.push(host);
        }
    };
    for redirect in &analysis.redirects {
        if let Some(host) = dev_tcp_host(&redirect.target.value) {
            push(host);
        }
    }
    for command in &analysis.commands {
        let program = command.program.as_str();
        for arg in &command.args {
            let value = arg.value.as_str();
            if let Some(host) = url_host(value) {
                push(host);
            }
            if let Some(host) = dev_tcp_host(value) {
                push(host);
            }
            // socat addresses: TCP:host:port, TCP4-CONNECT:host:port, OPENSSL:host:port.
            if program == "socat" {
                let mut parts = value.split(':');
                if let (Some(kind), Some(host)) = (parts.next(), parts.next()) {
                    let kind = kind.to_ascii_lowercase();
                    if kind.starts_with("tcp") || kind.starts_with("udp") || kind.starts_with("openssl") {
                        push(host);
                    }
                }
            }
        }
        let operands = operands(&command.args);
        if NETCATS.contains(&program) {
            if let Some(host) = operands.iter().find(|a| !a.value.chars().all(|c| c.is_ascii_digit())) {
                push(&host.value);
            }
        } else if FETCHERS.contains(&program) {
            for arg in operands.iter().filter(|a| !a.value.contains("://")) {
                let candidate = arg.value.split('/').next().unwrap_or("");
                // `x.example/...`, `host:8080`, or a numeric address such as `2852039166` or `0xa9fea9fe`.
                let numeric = candidate.starts_with(|c: char| c.is_ascii_digit())
                    && candidate.chars().all(|c| c.is_ascii_hexdigit() || c == 'x' || c == 'X');
                if (candidate.contains('.') || candidate.contains(':') || numeric)
                    && let Some(host) = host_only(candidate)
                {
                    push(host);
                }
            }
        } else if REMOTE_SHELLS.contains(&program) {
            for arg in &remote_operands(program, &command.args) {
                let value = arg.value.as_str();
                let host_part = value.split_once(':').map_or(value, |(h, _)| h);
                let host = host_part.rsplit('@').next().unwrap_or(host_part);
                if program == "ssh" || value.contains(':') || value.contains('@') {
                    if !host.is_empty() && !host.starts_with('/') && !host.starts_with('.') {
                        push(host);
                    }
                    if program == "ssh" {
                        break;
                    }
                }
            }
        }
        // git remotes written scp-style: git@github.com:org/repo.git
        if program == "git" {
            for arg in &operands {
                if let Some((user_host, _)) = arg.value.split_once(':')
                    && let Some((_, host)) = user_host.split_once('@') {
                        push(host);
                    }
            }
        }
    }
    out
}
