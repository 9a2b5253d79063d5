//! Commands that run other commands: `sudo`, `env`, `xargs`, `find -exec`, `timeout` and their
//! kin run a command given in their arguments; shells run a script given with `-c` or on standard
//! input; `eval` runs its arguments as a script. Each is unwrapped so that the rules see what
//! actually runs.

use crate::analysis::{Arg, Origin};

/// What a command runs inside itself.
#[derive(Debug)]
pub(crate) enum Inner {
    None,
    /// Other commands, each as its words (program first).
    Commands(Vec<Vec<Arg>>),
    /// A script given as a string.
    Script(Arg, Origin),
    /// Shell commands given in option values (`rsync -e CMD`, `ssh -o ProxyCommand=CMD`).
    Scripts(Vec<Arg>),
    /// A shell reading its script from standard input.
    StdinShell,
}

/// Shells whose `-c` and standard-input behaviour we follow.
pub(crate) const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "fish", "rbash"];

pub(crate) fn is_shell(program: &str) -> bool {
    SHELLS.contains(&program)
}

/// Unwraps one level. `stdin` is the literal text reaching the command's standard input, when it
/// is known (`echo a b | xargs rm`).
pub(crate) fn inner(program: &str, args: &[Arg], stdin: Option<&str>) -> Inner {
    match program {
        _ if is_shell(program) => shell(args),
        "busybox" | "toybox" => {
            if args.is_empty() { Inner::None } else { Inner::Commands(vec![args.to_vec()]) }
        }
        "eval" => {
            if args.is_empty() {
                return Inner::None;
            }
            Inner::Script(join(args), Origin::Eval)
        }
        "sudo" => after_options(args, &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "-R", "--user", "--group", "--host", "--prompt", "--chdir", "--role", "--type", "--other-user", "--command-timeout", "--chroot", "--close-from"]),
        "doas" => after_options(args, &["-u", "-C"]),
        "pkexec" => after_options(args, &["--user"]),
        "runuser" | "su" => su(args),
        "env" => env(args),
        "command" => {
            if args.iter().any(|a| a.value == "-v" || a.value == "-V") {
                Inner::None
            } else {
                after_options(args, &[])
            }
        }
        "builtin" | "nohup" | "time" | "unbuffer" | "caffeinate" | "xvfb-run" | "torsocks" | "proxychains" | "proxychains4" | "strace" | "ltrace" | "catchsegv" | "valgrind" | "sg" | "firejail" => {
            after_options(args, &["-o", "-e", "-p", "-s"])
        }
        "exec" => after_options(args, &["-a"]),
        "nice" => after_options(args, &["-n", "--adjustment"]),
        "ionice" => after_options(args, &["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"]),
        "chrt" => after_count(args, 1, &["-p"]),
        "stdbuf" => after_options(args, &["-i", "-o", "-e", "--input", "--output", "--error"]),
        "setsid" | "unshare" => after_options(args, &[]),
        "nsenter" => after_options(args, &["-t", "--target", "-S", "--setuid", "-G", "--setgid", "-w", "--wd", "-r", "--root"]),
        "taskset" => {
            if args.iter().any(|a| a.value == "-p" || a.value == "--pid") {
                Inner::None
            } else {
                after_count(args, 1, &[])
            }
        }
        "timeout" => after_count(args, 1, &["-s", "--signal", "-k", "--kill-after"]),
        "flock" => flock(args),
        "chroot" => match after_count(args, 1, &["--userspec", "--groups"]) {
            Inner::Commands(commands) if commands.iter().all(Vec::is_empty) => Inner::StdinShell,
            other => other,
        },
        "watch" => {
            let words = operands(args, &["-n", "--interval", "-d", "--differences"]);
            if words.is_empty() {
                Inner::None
            } else {
                Inner::Script(join(words), Origin::ShellString)
            }
        }
        "script" => option_script(args, &["-c", "--command"]),
        "xargs" => xargs(args, stdin),
        "rsync" | "ssh" | "scp" | "sftp" | "man" | "git" | "tar" | "zip" | "gdb" | "vim" | "vi" | "nvim" | "ex" | "expect" => {
            option_scripts(program, args)
        }
        "find" => find_exec(args),
        _ => Inner::None,
    }
}

fn rest(args: &[Arg], from: usize) -> &[Arg] {
    args.get(from..).unwrap_or(&[])
}

fn join(args: &[Arg]) -> Arg {
    let mut value = String::new();
    let mut dynamic = false;
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            value.push(' ');
        }
        value.push_str(&arg.value);
        dynamic |= arg.dynamic;
    }
    Arg { value, dynamic }
}

/// Skips options (and the values of those in `with_value`), then treats the rest as a command.
fn after_options(args: &[Arg], with_value: &[&str]) -> Inner {
    let start = skip_options(args, with_value);
    let command = rest(args, start);
    if command.is_empty() { Inner::None } else { Inner::Commands(vec![command.to_vec()]) }
}

/// Like [`after_options`] but also skips `count` leading operands (a duration, a mask).
fn after_count(args: &[Arg], count: usize, with_value: &[&str]) -> Inner {
    let start = skip_options(args, with_value);
    let command = rest(args, start + count);
    if command.is_empty() { Inner::None } else { Inner::Commands(vec![command.to_vec()]) }
}

fn skip_options(args: &[Arg], with_value: &[&str]) -> usize {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let value = arg.value.as_str();
        if value == "--" {
            return i + 1;
        }
        if !value.starts_with('-') || value == "-" {
            // Also skip NAME=VALUE after options (sudo VAR=x cmd).
            if is_assignment(value) {
                i += 1;
                continue;
            }
            return i;
        }
        if with_value.contains(&value) {
            i += 2;
        } else {
            i += 1;
        }
    }
    i
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Operands after options, for commands whose operands form a script.
fn operands<'a>(args: &'a [Arg], with_value: &[&str]) -> &'a [Arg] {
    rest(args, skip_options(args, with_value))
}

fn shell(args: &[Arg]) -> Inner {
    let mut i = 0;
    let mut command_string = false;
    let mut reads_stdin = false;
    while let Some(arg) = args.get(i) {
        let value = arg.value.as_str();
        if value == "--" || value == "-" {
            i += 1;
            break;
        }
        if let Some(flags) = value.strip_prefix('-').filter(|f| !f.starts_with('-')) {
            if flags.contains('c') {
                command_string = true;
            }
            if flags.contains('s') {
                reads_stdin = true;
            }
            // `-o OPTION` takes a value.
            i += if flags.ends_with('o') { 2 } else { 1 };
            continue;
        }
        if value.starts_with("--") {
            i += 1;
            continue;
        }
        if value.starts_with('+') {
            i += if value == "+o" { 2 } else { 1 };
            continue;
        }
        break;
    }
    if command_string {
        return match args.get(i) {
            Some(script) => Inner::Script(script.clone(), Origin::ShellString),
            None => Inner::None,
        };
    }
    if reads_stdin || args.get(i).is_none() {
        return Inner::StdinShell;
    }
    // `sh "$file"`: a script whose name is only known at run time.
    if let Some(file) = args.get(i).filter(|a| a.dynamic) {
        return Inner::Script(file.clone(), Origin::ShellString);
    }
    // `bash script.sh`: runs a file we do not read.
    Inner::None
}

fn su(args: &[Arg]) -> Inner {
    if let Some(pos) = args.iter().position(|a| a.value == "-c" || a.value == "--command") {
        return match args.get(pos + 1) {
            Some(script) => Inner::Script(script.clone(), Origin::ShellString),
            None => Inner::None,
        };
    }
    Inner::StdinShell
}

fn env(args: &[Arg]) -> Inner {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let value = arg.value.as_str();
        match value {
            "--" => {
                i += 1;
                break;
            }
            "-u" | "--unset" | "-C" | "--chdir" => i += 2,
            "-S" | "--split-string" => {
                return match args.get(i + 1) {
                    Some(script) => Inner::Script(script.clone(), Origin::ShellString),
                    None => Inner::None,
                };
            }
            _ if value.starts_with("--split-string=") || value.starts_with("-S") && value.len() > 2 => {
                let script = value.split_once('=').map_or(value.get(2..).unwrap_or(""), |(_, s)| s);
                return Inner::Script(Arg { value: script.to_owned(), dynamic: arg.dynamic }, Origin::ShellString);
            }
            _ if value.starts_with('-') && value != "-" => i += 1,
            _ if is_assignment(value) => i += 1,
            _ => break,
        }
    }
    let command = rest(args, i);
    if command.is_empty() { Inner::None } else { Inner::Commands(vec![command.to_vec()]) }
}

fn flock(args: &[Arg]) -> Inner {
    if let Some(pos) = args.iter().position(|a| a.value == "-c" || a.value == "--command") {
        return match args.get(pos + 1) {
            Some(script) => Inner::Script(script.clone(), Origin::ShellString),
            None => Inner::None,
        };
    }
    after_count(args, 1, &["-w", "--timeout", "-E", "--conflict-exit-code"])
}

fn option_script(args: &[Arg], flags: &[&str]) -> Inner {
    match args.iter().position(|a| flags.contains(&a.value.as_str())) {
        Some(pos) => match args.get(pos + 1) {
            Some(script) => Inner::Script(script.clone(), Origin::ShellString),
            None => Inner::None,
        },
        None => Inner::None,
    }
}

/// `xargs [options] COMMAND ARGS...`: the command gets the words of standard input appended (or
/// substituted for the `-I` placeholder). Unknown input becomes one dynamic argument.
fn xargs(args: &[Arg], stdin: Option<&str>) -> Inner {
    let mut i = 0;
    let mut replace: Option<String> = None;
    while let Some(arg) = args.get(i) {
        let value = arg.value.as_str();
        if value == "--" {
            i += 1;
            break;
        }
        if !value.starts_with('-') || value == "-" {
            break;
        }
        match value {
            "-I" => {
                replace = args.get(i + 1).map(|a| a.value.clone());
                i += 2;
            }
            "-i" => {
                replace = Some("{}".to_owned());
                i += 1;
            }
            "-n" | "-L" | "-P" | "-s" | "-d" | "-E" | "-a" | "--max-args" | "--max-procs" | "--delimiter" | "--arg-file" => i += 2,
            _ if value.starts_with("-I") => {
                replace = value.get(2..).map(str::to_owned);
                i += 1;
            }
            _ if value.starts_with("--replace") => {
                replace = Some(value.split_once('=').map_or("{}", |(_, r)| r).to_owned());
                i += 1;
            }
            _ => i += 1,
        }
    }
    let template: Vec<Arg> = match rest(args, i) {
        [] => vec![Arg::literal("echo")],
        words => words.to_vec(),
    };
    let items: Option<Vec<&str>> = stdin.map(|text| text.split_whitespace().take(16).collect());
    let mut commands = Vec::new();
    match (items, replace) {
        (Some(items), Some(placeholder)) => {
            for item in items {
                commands.push(
                    template
                        .iter()
                        .map(|a| Arg { value: a.value.replace(&placeholder, item), dynamic: a.dynamic })
                        .collect(),
                );
            }
        }
        (Some(items), None) => {
            let mut command = template;
            command.extend(items.into_iter().map(Arg::literal));
            commands.push(command);
        }
        (None, Some(placeholder)) => commands.push(
            template
                .iter()
                .map(|a| {
                    if a.value.contains(&placeholder) {
                        Arg { value: a.value.replace(&placeholder, &Arg::DYNAMIC.to_string()), dynamic: true }
                    } else {
                        a.clone()
                    }
                })
                .collect(),
        ),
        (None, None) => {
            let mut command = template;
            command.push(Arg { value: Arg::DYNAMIC.to_string(), dynamic: true });
            commands.push(command);
        }
    }
    Inner::Commands(commands)
}

/// `find ROOTS... -exec COMMAND {} ;` (and `-execdir`, `-ok`, `-okdir`): the command runs on
/// files below the roots, so `{}` stands for the roots when paths are judged.
fn find_exec(args: &[Arg]) -> Inner {
    let roots = find_roots(args);
    let mut commands = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if matches!(arg.value.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
            let mut command = Vec::new();
            i += 1;
            while let Some(word) = args.get(i) {
                if word.value == ";" || word.value == "+" {
                    break;
                }
                if word.value.contains("{}") {
                    for root in &roots {
                        command.push(Arg { value: word.value.replace("{}", &root.value), dynamic: word.dynamic || root.dynamic });
                    }
                } else {
                    command.push(word.clone());
                }
                i += 1;
            }
            if !command.is_empty() {
                commands.push(command);
            }
        }
        i += 1;
    }
    if commands.is_empty() { Inner::None } else { Inner::Commands(commands) }
}

/// The starting points of `find`: operands before the first expression word.
pub(crate) fn find_roots(args: &[Arg]) -> Vec<Arg> {
    let mut roots: Vec<Arg> = args
        .iter()
        .skip_while(|a| matches!(a.value.as_str(), "-H" | "-L" | "-P") || a.value.starts_with("-O") || a.value.starts_with("-D"))
        .take_while(|a| !a.value.starts_with('-') && a.value != "(" && a.value != "!")
        .cloned()
        .collect();
    if roots.is_empty() {
        roots.push(Arg::literal("."));
    }
    roots
}

/// Shell commands that programs run from their options: `rsync -e CMD`, `ssh -o ProxyCommand=CMD`,
/// `man -P CMD`, `git -c core.pager=CMD`, `tar --to-command=CMD`, `zip -TT CMD`,
/// `gdb -ex 'shell CMD'`, `vim -c ':!CMD'`, `expect -c 'spawn CMD'`.
fn option_scripts(program: &str, args: &[Arg]) -> Inner {
    let mut scripts = Vec::new();
    let value_of = |i: usize| args.get(i + 1).cloned();
    for (i, arg) in args.iter().enumerate() {
        let value = arg.value.as_str();
        let with = |text: &str| Arg { value: text.to_owned(), dynamic: arg.dynamic };
        match program {
            "rsync" => {
                if value == "-e" || value == "--rsh" {
                    scripts.extend(value_of(i));
                } else if let Some(cmd) = value.strip_prefix("--rsh=") {
                    scripts.push(with(cmd));
                }
            }
            "ssh" | "scp" | "sftp" => {
                let option = if value == "-o" { args.get(i + 1).map(|a| a.value.as_str()) } else { value.strip_prefix("-o") };
                if let Some(option) = option {
                    for key in ["ProxyCommand", "LocalCommand", "RemoteCommand"] {
                        if let Some(cmd) = option.strip_prefix(key).and_then(|r| r.strip_prefix('=').or_else(|| r.strip_prefix(' '))) {
                            scripts.push(with(cmd));
                        }
                    }
                }
            }
            "man" => {
                if value == "-P" || value == "--pager" {
                    scripts.extend(value_of(i));
                } else if let Some(cmd) = value.strip_prefix("--pager=") {
                    scripts.push(with(cmd));
                }
            }
            "git" => {
                if value == "-c"
                    && let Some(setting) = args.get(i + 1)
                        && let Some((key, cmd)) = setting.value.split_once('=') {
                            let key = key.to_ascii_lowercase();
                            if key.ends_with("pager") || key.ends_with("editor") || key == "core.sshcommand" || key == "core.fsmonitor" || key.starts_with("alias.") && cmd.starts_with('!') {
                                scripts.push(Arg { value: cmd.trim_start_matches('!').to_owned(), dynamic: setting.dynamic });
                            }
                        }
            }
            "tar" => {
                for prefix in ["--to-command=", "--checkpoint-action=exec=", "--use-compress-program=", "--info-script=", "--new-volume-script="] {
                    if let Some(cmd) = value.strip_prefix(prefix) {
                        scripts.push(with(cmd));
                    }
                }
                if value == "-I" || value == "--to-command" || value == "-F" {
                    scripts.extend(value_of(i));
                }
            }
            "zip"
                if (value == "-TT" || value == "--unzip-command") => {
                    scripts.extend(value_of(i));
                }
            "gdb" => {
                if (value == "-ex" || value == "--eval-command")
                    && let Some(cmd) = args.get(i + 1) {
                        let text = cmd.value.trim_start();
                        if let Some(rest) = text.strip_prefix("shell ").or_else(|| text.strip_prefix('!')) {
                            scripts.push(Arg { value: rest.to_owned(), dynamic: cmd.dynamic });
                        }
                    }
            }
            "vim" | "vi" | "nvim" | "ex"
                if (value == "-c" || value.starts_with('+')) => {
                    let text = if value == "-c" { args.get(i + 1).map(|a| a.value.as_str()).unwrap_or("") } else { value.get(1..).unwrap_or("") };
                    let text = text.trim_start_matches(':').trim_start();
                    if let Some(rest) = text.strip_prefix('!') {
                        scripts.push(with(rest));
                    }
                }
            "expect" => {
                if value == "-c"
                    && let Some(cmd) = args.get(i + 1) {
                        for part in cmd.value.split([';', '\n']) {
                            if let Some(rest) = part.trim().strip_prefix("spawn ") {
                                scripts.push(Arg { value: rest.to_owned(), dynamic: cmd.dynamic });
                            }
                        }
                    }
            }
            _ => {}
        }
    }
    // Programs hand these strings to `sh -c`; a leading `;` (a common trick) changes nothing.
    for script in &mut scripts {
        script.value = script.value.trim_start_matches([';', ' ', '\t']).to_owned();
    }
    if scripts.is_empty() { Inner::None } else { Inner::Scripts(scripts) }
}
