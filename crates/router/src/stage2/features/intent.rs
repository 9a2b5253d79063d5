//! Intent: does the call do what the request asked, on the things it named?
//!
//! Three signals that do not depend on which tool or which words a family of calls uses:
//!
//! - **identifiers**: every specific token in the arguments (a branch, a pod, an event id, a
//!   SKU, a role, a short value such as `main` or `writer`) and where it was named: a call
//!   whose every identifier comes from the request is doing what was asked; one whose
//!   identifiers come from nowhere, or only from tool output, is doing something else;
//! - **the request's own identifiers**: a request that names `fix/timezone-offsets` served by
//!   a call that never mentions it is answering another request;
//! - **danger words, asked for or not**: `--force`, `admin`, `public`, `printenv`,
//!   `authorized_keys`, `transfer.sh`: each group fires as *requested* when the request or the
//!   trusted context says the same thing, and as *unrequested* otherwise.
//!
//! And whether the request only asks to look (a question, "check", "summarise") while the
//! call changes something.

use super::grounding::{MAX_TEXT, Sources, Status};
use std::collections::BTreeSet;

/// A family of dangerous words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Danger {
    Privilege,
    Destroy,
    Secret,
    Persistence,
    Exfiltration,
    Breadth,
    Spending,
}

impl Danger {
    pub const ALL: [Danger; 7] =
        [Danger::Privilege, Danger::Destroy, Danger::Secret, Danger::Persistence, Danger::Exfiltration, Danger::Breadth, Danger::Spending];

    pub fn id(self) -> &'static str {
        match self {
            Danger::Privilege => "privilege",
            Danger::Destroy => "destroy",
            Danger::Secret => "secret",
            Danger::Persistence => "persistence",
            Danger::Exfiltration => "exfiltration",
            Danger::Breadth => "breadth",
            Danger::Spending => "spending",
        }
    }

    /// Words (matched as whole tokens of the lowercased argument text) in this family. A token
    /// may hold `-`, `.`, `/`, `_` and `:`.
    fn words(self) -> &'static [&'static str] {
        match self {
            Danger::Privilege => &[
                "admin", "administrator", "admins", "owner", "owners", "superuser", "sudo", "sudoers", "root", "cluster-admin", "nopasswd",
                "setuid", "777", "roles/owner", "roles/editor", "allusers", "allauthenticatedusers", "enforce_admins", "bypass", "maintain",
                "createrole", "grant", "privileges", "escalate", "impersonate", "iam.serviceaccounts.actas", "chmod", "chown", "+s", "usermod",
                "wheel", "elevated", "role=owner", "role=admin", "role=writer", "role=organizer", "permission=admin", "permission=maintain",
                "privileged=true", "hostnetwork=true", "hostpid=true", "allowprivilegeescalation=true", "runasuser=0", "--privileged",
                "enforce_admins=false", "required_approving_review_count=0", "dismiss_stale_reviews=false", "--cap-add", "sys_admin",
                "docker.sock", "/var/run/docker.sock", "superuser=true", "is_admin=true", "admin=true", "all_privileges", "fullaccess",
                "poweruser",
            ],
            Danger::Destroy => &[
                "--force", "-f", "-rf", "-fr", "force", "rm", "delete", "deleted", "drop", "truncate", "destroy", "purge", "wipe", "prune",
                "--hard", "shred", "rmdir", "mkfs", "dd", "overwrite", "--delete", "state", "erase", "remove", "terminate", "terminate-instances",
                "--prune", "-delete", "del", "unlink",
            ],
            Danger::Secret => &[
                "secret", "secrets", "token", "tokens", "password", "passwords", "passwd", "credential", "credentials", "printenv", "env",
                "id_rsa", "id_ed25519", ".ssh", ".env", "keychain", "cookies", "api_key", "apikey", "private", "print-access-token",
                "get-secret-value", "vault", ".aws", ".kube", "kubeconfig", "shadow", "access_token", "secret_key", "session", ".netrc",
                "find-generic-password", "dump-keychain", "login.keychain", "service_account", "client_secret", "ssh",
            ],
            Danger::Persistence => &[
                "authorized_keys", "crontab", "cron", "systemd", "systemctl", ".bashrc", ".zshrc", ".profile", "hook", "hooks", "post-commit",
                "pre-commit", "webhook", "webhooks", "forwarding", "autoforward", "forward", "filter", "rule", "deploy_key", "deploy-key",
                "keys", "collaborator", "collaborators", "codeowners", "workflow", "workflows", ".github/workflows", "launchagents", "autostart",
                "startup", "enable", "daemon", "service", "timer", "oauth", "delegate", "delegation",
            ],
            Danger::Exfiltration => &[
                "curl", "wget", "post", "upload", "transfer.sh", "pastebin", "paste", "gist", "ngrok", "requestbin", "webhook.site", "mirror",
                "--mirror", "nc", "netcat", "scp", "rsync", "cp", "share", "public", "visibility", "external", "anyone", "anyonewithlink",
                "guest", "invite", "copy", "export", "--data", "--data-binary", "--upload-file", "base64", "program",
                "push", "fork", "private=false", "public=true", "visibility=public", "type=anyone", "role=reader", "anyone_with_link",
                "bcc", "forward_to", "webhook_url", "callback_url",
            ],
            Danger::Breadth => &[
                "all", "everyone", "*", "**", "--all", "-a", "entire", "whole", "recursive", "--recursive", "-r", "-R", "public", "0.0.0.0/0",
                "everything", "any", "%", "cascade", "--all-namespaces", "-a", "wildcard", "org-wide", "domain",
            ],
            Danger::Spending => &[
                "annual", "yearly", "enterprise", "premium", "pro", "upgrade", "tip", "gift", "gift-card", "giftcard", "wire", "quantity",
                "x-large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge", "24xlarge", "metal", "p4d", "p5", "a100", "h100", "gpu",
                "recurring", "subscription", "prepaid", "bonus", "crypto", "bitcoin", "usdt",
            ],
        }
    }
}

impl Danger {
    /// Request word prefixes that ask for this kind of action as a whole: a request to delete
    /// asks for `rm`, one to grant access asks for a role.
    fn asked_by(self) -> &'static [&'static str] {
        match self {
            // Asking for "access" or "a role" does not ask for admin: only naming the level does.
            Danger::Privilege => &["admin", "owner", "sudo", "root", "superuser", "privileg", "elevat"],
            Danger::Destroy => &["delet", "remov", "nuke", "clean", "clear", "purg", "wipe", "eras", "destroy", "prune", "drop", "reset", "tidy", "uninstall", "rm"],
            Danger::Secret => &["secret", "token", "passw", "credent", "key", ".env", "env", "vault", "keychain", "cookie"],
            Danger::Persistence => &["hook", "cron", "schedul", "forward", "rule", "automat", "webhook", "service", "startup", "deploy key", "filter", "recurr", "every", "collaborat"],
            Danger::Exfiltration => &["share", "upload", "export", "publish", "public", "push", "mirror", "copy", "post", "gist", "send", "invite", "fork", "sync", "backup"],
            Danger::Breadth => &["all", "every", "entire", "whole", "recursiv", "each", "bulk", "everyone", "public", "anyone"],
            Danger::Spending => &["buy", "purchas", "upgrad", "order", "plan", "tip", "subscri", "annual", "gift"],
        }
    }
}

/// What intent analysis found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Intent {
    /// Identifier tokens of the arguments and where each was named.
    pub identifiers: Vec<(Status, String)>,
    /// The request's identifiers, and whether the call mentions any.
    pub request_identifiers: usize,
    pub request_identifiers_used: usize,
    pub first_missing: Option<String>,
    /// Danger families in the call: (family, requested?, the word).
    pub dangers: Vec<(Danger, bool, String)>,
    /// The request only asks to look.
    pub inspection: Option<String>,
}

/// Words that open a request that only asks to look.
/// Words that open a question: the request asks to know, whatever verbs follow (`did the rent
/// transfer go out?`).
const QUESTION_OPENERS: &[&str] = &[
    "is", "are", "was", "were", "does", "do", "did", "has", "have", "had", "what", "what's", "whats", "why", "how", "which", "who", "when",
    "where", "whether", "any",
];

/// Verbs that open a request to look; it only asks to look when it names no change, or when the
/// verb is followed by what to report (`show me what terraform would change`).
const INSPECT_OPENERS: &[&str] = &[
    "check", "look", "show", "list", "summarise", "summarize", "summary", "catch", "review", "find", "tell", "explain", "figure",
    "investigate", "see", "read", "describe", "audit", "inspect", "compare", "analyze", "analyse", "search", "grep", "get", "debug", "diagnose",
    "verify", "preview", "count", "view", "browse", "scan",
];

/// Words that make a request ask for a change after all.
const ACTION_WORDS: &[&str] = &[
    "send", "email", "mail", "reply", "forward", "post", "pay", "transfer", "delete", "remove", "drop", "push", "merge", "deploy",
    "create", "add", "write", "update", "change", "set", "install", "fix", "move", "rename", "share", "invite", "schedule", "book",
    "buy", "purchase", "order", "refund", "charge", "grant", "revoke", "kill", "restart", "clean", "publish", "upload", "commit",
    "edit", "apply", "run", "make", "open", "rotate", "sync", "export", "answer", "respond", "dm", "message", "notify", "tell", "rsvp",
    "accept", "decline", "cancel", "approve", "register", "enable", "disable", "configure", "replace", "migrate", "upgrade", "tidy",
];

/// Tokens too common to be evidence of anything.
const COMMON: &[&str] = &[
    "true", "false", "null", "none", "http", "https", "application/json", "content-type", "utf-8", "json", "text/plain", "get", "put",
    "the", "and", "for", "with", "you", "your", "this", "that", "from", "v1", "v2", "api", "www", "com", "example", "-n", "-c", "--",
    "home/dev", "/home/dev", "origin", "primary", "usd", "eur", "gbp", "bash", "sh", "zsh", "python", "python3", "node",
];

pub fn analyse(leaves: &[super::grounding::Leaf], sources: &Sources) -> Intent {
    let mut intent = Intent::default();
    let trusted = format!("{}\n{}", sources.request, sources.context);
    let mut call_text = String::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for leaf in leaves {
        let text: String = leaf.text.chars().take(MAX_TEXT).flat_map(char::to_lowercase).collect();
        call_text.push_str(&text);
        call_text.push('\n');
        let short = !leaf.number && text.len() <= 48 && !text.trim().contains(char::is_whitespace) && text.trim().chars().count() >= 3;
        // A short value also counts as `key=value` (`private=false`, `role=owner`).
        if leaf.text.chars().count() <= 48 && !leaf.key.is_empty() {
            check_danger(&mut intent, &trusted, &format!("{}={}", leaf.key, text.trim()));
        }
        for token in tokens(&text) {
            let specific = token.chars().any(|c| c.is_ascii_digit() || "-_./@:#".contains(c)) && token.chars().filter(|c| c.is_alphanumeric()).count() >= 3;
            let whole_value = short && token == text.trim();
            if (specific || whole_value) && !COMMON.contains(&token) && !token.starts_with('-') && !not_identifier(token) && seen.insert(token.to_owned()) && intent.identifiers.len() < 48 {
                intent.identifiers.push((identifier_status(sources, token), token.to_owned()));
            }
            check_danger(&mut intent, &trusted, token);
            if token.contains('/') {
                for part in token.split('/').filter(|p| !p.is_empty()) {
                    check_danger(&mut intent, &trusted, part);
                }
            }
        }
    }
    let request_ids: Vec<&str> = tokens(&sources.request)
        .filter(|t| t.chars().any(|c| c.is_ascii_digit() || "-_./@#".contains(c)) && t.chars().filter(|c| c.is_alphanumeric()).count() >= 3)
        .filter(|t| !not_identifier(t))
        .filter(|t| !COMMON.contains(t))
        .take(32)
        .collect();
    intent.request_identifiers = request_ids.len();
    for id in &request_ids {
        let bare = id.trim_start_matches('#');
        if call_text.contains(bare) {
            intent.request_identifiers_used += 1;
        } else if intent.first_missing.is_none() {
            intent.first_missing = Some((*id).to_owned());
        }
    }
    intent.inspection = inspection(&sources.request);
    intent
}

/// Tokens of a lowercased text: split at white space, quotes, brackets, commas, `=`, `;`, `|`
/// and `&`, with trailing sentence punctuation trimmed.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || "\"'`()[]{}<>,;=|&!?".contains(c))
        .map(|t| t.trim_end_matches(['.', ':']))
        .filter(|t| !t.is_empty())
        .take(4096)
}

/// Families whose words of five letters or more also count inside a compound identifier
/// (`administratoraccess`, `dbpassword`, `forcedelete`); the others hold words too common to.
const COMPOUND_FAMILIES: [Danger; 3] = [Danger::Privilege, Danger::Secret, Danger::Destroy];

/// The family's word that `word` is or, for [`COMPOUND_FAMILIES`], holds inside a longer run of
/// letters.
fn danger_word(danger: Danger, word: &str) -> Option<&'static str> {
    if let Some(exact) = danger.words().iter().find(|w| **w == word) {
        return Some(exact);
    }
    if !COMPOUND_FAMILIES.contains(&danger) {
        return None;
    }
    word.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|part| part.len() >= 7)
        .find_map(|part| danger.words().iter().find(|w| w.len() >= 5 && w.chars().all(|c| c.is_ascii_alphabetic()) && part.len() > w.len() && part.contains(*w)))
        .copied()
}

/// Records the danger families `word` belongs to, and whether the trusted text asks for it.
fn check_danger(intent: &mut Intent, trusted: &str, token: &str) {
    for danger in Danger::ALL {
        if intent.dangers.iter().any(|(d, _, _)| *d == danger) {
            continue;
        }
        if let Some(word) = danger_word(danger, token) {
            let bare = word.rsplit('=').next().unwrap_or(word).trim_start_matches('-');
            let requested = contains_word(trusted, word)
                || contains_word(trusted, bare)
                || stem_in(trusted, bare)
                || trusted.split(|c: char| !c.is_alphanumeric() && c != '.').any(|w| danger.asked_by().iter().any(|a| if a.len() <= 3 { w == *a } else { w.starts_with(a) }));
            let shown = if word == token { word.to_owned() } else { format!("{word}` in `{token}") };
            intent.dangers.push((danger, requested, shown));
        }
    }
}

/// Numbers, amounts, dates and times, and email addresses are not identifiers here: amounts
/// and addresses are grounded on their own terms, and dates are written in too many ways.
fn not_identifier(token: &str) -> bool {
    let digits_only = token.chars().all(|c| c.is_ascii_digit() || ".,:-+tz$€£".contains(c));
    let email = token.find('@').is_some_and(|at| at > 0);
    digits_only || email
}

fn contains_word(text: &str, word: &str) -> bool {
    tokens(text).any(|t| t == word)
}

/// Whether a word of the text shares the token's first five letters (`deleting`, `delete`).
fn stem_in(text: &str, token: &str) -> bool {
    let letters: Vec<char> = token.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() < 4 {
        return false;
    }
    text.split(|c: char| !c.is_alphanumeric()).any(|w| {
        let shared = w.chars().zip(letters.iter()).take_while(|(a, b)| a == *b).count();
        shared >= 4 && shared >= w.chars().count().min(letters.len()).min(5)
    })
}

fn identifier_status(sources: &Sources, token: &str) -> Status {
    let bare = token.trim_start_matches(['#', '@', '~', '/']).trim_end_matches('/');
    let last = bare.rsplit('/').next().unwrap_or(bare);
    let mut needles = vec![bare];
    // A path or URL whose last part the request names (`docs/report.md` for `report.md`).
    if last.chars().count() >= 5 && last != bare {
        needles.push(last);
    }
    let status = sources_status(sources, &needles);
    if status == Status::UntrustedOnly && described_by_request(sources, bare) {
        return Status::Person;
    }
    if status != Status::Nowhere {
        return status;
    }
    // `datadog-enterprise-annual` against "a Datadog seat": every part must be named.
    let parts: Vec<&str> = bare.split(|c: char| !c.is_alphanumeric()).filter(|p| p.chars().count() >= 3).collect();
    if parts.len() >= 2 {
        let named = |text: &str| parts.iter().all(|p| text.contains(p));
        if named(&sources.request) {
            return Status::Request;
        }
        if named(&sources.context) {
            return Status::Context;
        }
    }
    Status::Nowhere
}

/// Whether a line of tool output that holds `token` also holds two or more of the request's
/// content words: the id of the event, ticket or file the user described (`[evt_3f8e] Q3 roadmap
/// - Friday` for "cancel the Q3 roadmap meeting").
fn described_by_request(sources: &Sources, token: &str) -> bool {
    let asked: BTreeSet<&str> = sources
        .request
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic) && !GENERIC_REQUEST_WORDS.contains(w))
        .take(64)
        .collect();
    if asked.len() < 2 {
        return false;
    }
    sources.untrusted.lines().take(2048).filter(|line| line.contains(token)).any(|line| {
        let words: BTreeSet<&str> = line.split(|c: char| !c.is_alphanumeric()).collect();
        asked.iter().filter(|w| words.contains(*w)).count() >= 2
    })
}

/// Request words too general to say which thing the user means.
const GENERIC_REQUEST_WORDS: &[&str] = &[
    "please", "could", "would", "with", "from", "that", "this", "them", "there", "what", "when", "which", "have", "need", "needs", "want",
    "make", "sure", "just", "also", "thanks", "today", "tomorrow", "send", "email", "delete", "remove", "cancel", "update", "check",
];

fn sources_status(sources: &Sources, needles: &[&str]) -> Status {
    let has = |text: &str| needles.iter().any(|n| !n.is_empty() && text.contains(n));
    if has(&sources.request) {
        Status::Request
    } else if has(&sources.context) {
        Status::Context
    } else if has(&sources.untrusted) {
        Status::UntrustedOnly
    } else {
        Status::Nowhere
    }
}

/// The opener when a request only asks to look: it starts with a question or inspection word
/// and asks for no change anywhere.
fn inspection(request: &str) -> Option<String> {
    let clause = main_clause(request);
    let words: Vec<&str> = clause.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).collect();
    // Politeness before the request proper.
    let skip = ["please", "hey", "hi", "hello", "so", "ok", "okay", "could", "can", "would", "you", "pls", "team", "kindly", "just"];
    let at = words.iter().position(|w| !skip.contains(w))?;
    let opener = *words.get(at)?;
    if QUESTION_OPENERS.contains(&opener) {
        return Some(opener.to_owned());
    }
    if !INSPECT_OPENERS.contains(&opener) {
        return None;
    }
    let reports = words.get(at + 1).is_some_and(|next| matches!(*next, "me" | "what" | "whether" | "if" | "why" | "how" | "which" | "who"));
    let acts = words.iter().skip(at + 1).any(|w| ACTION_WORDS.iter().any(|a| w == a || (a.len() >= 4 && w.starts_with(a))));
    (reports || !acts).then(|| opener.to_owned())
}

/// The request after a short lead-in (`Quick one before standup: ...`, `I'm in meetings all
/// day, so ...`, `When you get a sec: ...`).
fn main_clause(request: &str) -> &str {
    for separator in [": ", ", so ", " so "] {
        if let Some(at) = request.find(separator)
            && at < 60
            && let Some(rest) = request.get(at + separator.len()..)
        {
            return rest;
        }
    }
    request
}
