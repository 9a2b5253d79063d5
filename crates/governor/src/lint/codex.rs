//! Codex `config.toml` and profile files (integrations.md section 2).

use super::catalog as c;
use super::codex_hooks;
use super::tree::Node;
use super::Ctx;

pub(super) fn lint(ctx: &mut Ctx<'_>, root: &Node, is_profile: bool) {
    sandbox(ctx, root);
    network(ctx, root);
    secrets(ctx, root);
    shell_environment(ctx, root, is_profile);
    mcp_servers(ctx, root);
    codex_hooks::lint_config(ctx, root, is_profile);
    if let Some(node) = root.get("allow_login_shell").filter(|n| n.as_bool() == Some(true)) {
        ctx.report(&c::CODEX_LOGIN_SHELL, node, "`allow_login_shell = true`: commands may run in a login shell that sources your profile files");
    }
    projects(ctx, root);
}

fn sandbox(ctx: &mut Ctx<'_>, root: &Node) {
    let approval = root.get("approval_policy").and_then(Node::as_str);
    let full = root
        .get("sandbox_mode")
        .filter(|n| n.as_str() == Some("danger-full-access"))
        .map(|n| (n, "`sandbox_mode = \"danger-full-access\"`"))
        .or_else(|| {
            root.get("default_permissions")
                .filter(|n| n.as_str() == Some(":danger-full-access") && root.get("sandbox_mode").is_none())
                .map(|n| (n, "`default_permissions = \":danger-full-access\"`"))
        });
    let Some((node, what)) = full else { return };
    if approval == Some("never") {
        ctx.report(&c::CODEX_FULL_ACCESS_NO_APPROVAL, node, format!("{what} with `approval_policy = \"never\"`: commands run unsandboxed and unasked"));
    } else {
        ctx.report(&c::CODEX_FULL_ACCESS_SANDBOX, node, format!("{what}: the sandbox is off"));
    }
}

fn network(ctx: &mut Ctx<'_>, root: &Node) {
    if let Some(node) = root.path(&["sandbox_workspace_write", "network_access"]).filter(|n| n.as_bool() == Some(true)) {
        ctx.report(&c::CODEX_NETWORK_UNRESTRICTED, node, "`sandbox_workspace_write.network_access = true`: sandboxed commands may reach any host");
    }
    let proxy = root.path(&["features", "network_proxy"]).and_then(Node::as_bool) == Some(true);
    for (name, profile) in root.get("permissions").map(Node::entries).unwrap_or_default() {
        let Some(network) = profile.get("network") else { continue };
        let enabled = network.get("enabled").and_then(Node::as_bool) == Some(true);
        let mode = network.get("mode").and_then(Node::as_str);
        if !enabled && mode.is_none_or(|m| m != "full") {
            continue;
        }
        let allowed = network.get("domains").map(Node::entries).unwrap_or_default().iter().any(|(_, v)| v.as_str() == Some("allow"));
        let message = if mode == Some("full") {
            format!("permission profile `{name}`: network `mode = \"full\"` allows every host")
        } else if !allowed {
            format!("permission profile `{name}`: network enabled with no `domains` allow-list")
        } else if !proxy {
            format!("permission profile `{name}`: the `domains` allow-list is enforced only with `features.network_proxy = true`, which is not set here")
        } else {
            continue;
        };
        ctx.report(&c::CODEX_NETWORK_UNRESTRICTED, network, message);
    }
}

/// A filesystem table (or any table below it) that denies a `.env` path.
fn denies_env(node: &Node) -> bool {
    node.entries().iter().any(|(key, value)| (key.contains(".env") && matches!(value.as_str(), Some("deny" | "none"))) || denies_env(value))
}

fn secrets(ctx: &mut Ctx<'_>, root: &Node) {
    for (name, profile) in root.get("permissions").map(Node::entries).unwrap_or_default() {
        let Some(filesystem) = profile.get("filesystem") else { continue };
        if !denies_env(filesystem) {
            ctx.report(&c::CODEX_SECRETS_READABLE, filesystem, format!("permission profile `{name}`: no `\"**/.env*\" = \"deny\"` in its filesystem table"));
        }
    }
}

fn shell_environment(ctx: &mut Ctx<'_>, root: &Node, is_profile: bool) {
    let Some(policy) = root.get("shell_environment_policy") else {
        if !is_profile {
            ctx.report_at(&c::CODEX_SHELL_ENV_DEFAULT, 0, "no `[shell_environment_policy]`: every variable of your environment reaches commands");
        }
        return;
    };
    let inherit = policy.get("inherit").and_then(Node::as_str).unwrap_or("all");
    let include_only = policy.get("include_only").is_some_and(|n| !n.items().is_empty());
    if inherit != "all" || include_only {
        return;
    }
    let excludes: Vec<String> = policy.get("exclude").map(|n| n.strings().map(|(s, _)| s.to_ascii_uppercase()).collect()).unwrap_or_default();
    let excluded = |words: &[&str]| words.iter().all(|w| excludes.iter().any(|e| e.contains(w)));
    let covers_secrets = excluded(&["KEY", "SECRET", "TOKEN"]);
    match policy.get("ignore_default_excludes") {
        Some(node) if node.as_bool() == Some(true) && !covers_secrets => ctx.report(
            &c::CODEX_SHELL_ENV_INHERITS_SECRETS,
            node,
            "`inherit = \"all\"` with `ignore_default_excludes = true` and no exclude for keys, secrets and tokens",
        ),
        None if !covers_secrets => ctx.report(
            &c::CODEX_SHELL_ENV_DEFAULT,
            policy,
            "`inherit = \"all\"` and `ignore_default_excludes` not set (recent Codex defaults it to true): no credential filter applies",
        ),
        _ if !excluded(&["PASSWORD"]) || !excluded(&["CREDENTIAL"]) => {
            ctx.report(&c::CODEX_SHELL_ENV_MISSES_CREDENTIALS, policy, "`inherit = \"all\"` with no exclude for `*PASSWORD*` and `*CREDENTIAL*`")
        }
        _ => {}
    }
}

fn mcp_servers(ctx: &mut Ctx<'_>, root: &Node) {
    for (name, server) in root.get("mcp_servers").map(Node::entries).unwrap_or_default() {
        if server.get("enabled").and_then(Node::as_bool) == Some(false) || server.get("enabled_tools").is_some() {
            continue;
        }
        ctx.report(&c::CODEX_MCP_NO_TOOL_ALLOWLIST, server, format!("MCP server `{name}` has no `enabled_tools`: every tool it offers is registered"));
    }
}

/// `/`, `~` and home folders.
pub(super) fn is_broad_path(path: &str) -> bool {
    let trimmed = path.trim();
    let trimmed = if trimmed.len() > 1 { trimmed.trim_end_matches('/') } else { trimmed };
    if matches!(trimmed, "" | "/" | "//" | "~" | "$HOME" | "${HOME}" | "/home" | "/Users" | "/root") {
        return true;
    }
    ["/home/", "/Users/"].iter().any(|prefix| trimmed.strip_prefix(prefix).is_some_and(|user| !user.is_empty() && !user.contains('/')))
}

fn projects(ctx: &mut Ctx<'_>, root: &Node) {
    for (path, project) in root.get("projects").map(Node::entries).unwrap_or_default() {
        if project.get("trust_level").and_then(Node::as_str) == Some("trusted") && is_broad_path(path) {
            ctx.report(&c::CODEX_TRUSTED_BROAD_PROJECT, project, format!("`[projects.\"{path}\"]` is trusted: every repository below it is trusted too"));
        }
    }
}
