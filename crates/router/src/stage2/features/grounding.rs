//! Grounding: what the call's arguments point at (recipients, hosts, accounts, amounts, paths),
//! and whether the user's request, the session's trusted context, or only untrusted tool output
//! named it. An injection shows itself here: the address the agent writes to came from a fetched
//! page, not from the user.
//!
//! Also the call's shape: whether it is a sink (send, pay, delete, publish, execute, push,
//! transfer) and whether the request asked for one; whether an amount or a scope is out of
//! proportion to what the request names; whether a secret leaves.
//!
//! Everything is total and bounded: any text gives an answer, and only the first
//! [`MAX_TEXT`] characters of each text are read.

use super::amounts::{call_amounts, proportion};
use super::intent::{self, Danger};
use super::shape::{echo, request_words, requested, scope, sinks, sql};
use aethelgard_protocol::RiskTag;
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// The most characters of one text (an argument, the request, the joined untrusted text) read.
pub const MAX_TEXT: usize = 32 * 1024;

/// What an entity in the arguments is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// An email address in a recipient field (`to`, `cc`, `recipients`, ...).
    Recipient,
    /// An email address anywhere else (a body, a command).
    Email,
    /// A URL's host, a bare domain or an IP address.
    Host,
    /// A bank account, IBAN or wallet address.
    Account,
    /// A file path.
    Path,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Recipient, Kind::Email, Kind::Host, Kind::Account, Kind::Path];

    pub fn id(self) -> &'static str {
        match self {
            Kind::Recipient => "recipient",
            Kind::Email => "email",
            Kind::Host => "host",
            Kind::Account => "account",
            Kind::Path => "path",
        }
    }
}

/// Where an entity was named; the first that applies, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Request,
    Context,
    /// The address itself is only in tool output, but the person it belongs to is named in the
    /// request or context (replying to the sender of an email the user mentions).
    Person,
    /// Only in tool output, fetched pages, emails read: what an injection looks like.
    UntrustedOnly,
    /// Named nowhere the router can see.
    Nowhere,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Request, Status::Context, Status::Person, Status::UntrustedOnly, Status::Nowhere];

    pub fn id(self) -> &'static str {
        match self {
            Status::Request => "in_request",
            Status::Context => "in_context",
            Status::Person => "person_named",
            Status::UntrustedOnly => "untrusted_only",
            Status::Nowhere => "nowhere",
        }
    }

    pub fn phrase(self) -> &'static str {
        match self {
            Status::Request => "appears in the request",
            Status::Context => "appears in the trusted context",
            Status::Person => "belongs to someone the request names (the address is from tool output)",
            Status::UntrustedOnly => "appears only in tool output",
            Status::Nowhere => "appears nowhere in the request or context",
        }
    }
}

/// An action with effects outside the agent's sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sink {
    Send,
    Pay,
    Delete,
    Publish,
    Execute,
    Push,
    Transfer,
}

impl Sink {
    pub const ALL: [Sink; 7] = [Sink::Send, Sink::Pay, Sink::Delete, Sink::Publish, Sink::Execute, Sink::Push, Sink::Transfer];

    pub fn id(self) -> &'static str {
        match self {
            Sink::Send => "send",
            Sink::Pay => "pay",
            Sink::Delete => "delete",
            Sink::Publish => "publish",
            Sink::Execute => "execute",
            Sink::Push => "push",
            Sink::Transfer => "transfer",
        }
    }

    /// Word prefixes that name this action, in a description, a command or a request.
    pub(super) fn stems(self) -> &'static [&'static str] {
        match self {
            Sink::Send => &["send", "email", "mail", "repl", "forward", "messag", "notif", "dm", "text", "invit", "cc", "ping", "chat", "sms", "tell", "contact", "respond"],
            Sink::Pay => &["pay", "settl", "wire", "purchas", "buy", "refund", "reimburs", "charg", "invoic", "tip", "donat", "checkout", "order", "billing", "remit"],
            Sink::Delete => &["delet", "remov", "nuke", "cancel", "drop", "purg", "wipe", "eras", "destroy", "truncat", "shred", "prun", "clean", "clear", "uninstall", "rm", "rmdir", "unlink", "trash", "revok", "terminat", "reset"],
            Sink::Publish => &["publish", "post", "tweet", "releas", "announc", "upload", "share", "comment", "gist", "pastebin", "paste"],
            Sink::Execute => &["execut", "run", "exec", "shell", "command", "script", "eval", "spawn", "launch", "invok"],
            Sink::Push => &["push", "deploy", "merg", "commit", "ship", "rollout", "apply"],
            Sink::Transfer => &["transfer", "upload", "sync", "export", "copy", "scp", "rsync", "exfil", "backup", "mirror", "migrat"],
        }
    }
}

/// Yes-or-no facts about the call, beside its entities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flag {
    /// The call is a sink and the request names that kind of action.
    SinkRequested,
    /// The call is a sink and the request names no action of its kind.
    SinkUnrequested,
    /// A recipient not named itself, but its domain is.
    RecipientDomainGrounded,
    /// A recipient not named itself, but its first name is.
    RecipientNameGrounded,
    AmountMatchesRequest,
    AmountAboveRequest,
    /// Ten times or more what the request names.
    AmountFarAboveRequest,
    /// The call moves an amount and the request names none.
    AmountUnrequested,
    /// The call's amount appears in tool output and not in the request.
    AmountUntrustedOnly,
    /// Recursive, wildcard, all, force: the call reaches wide.
    ScopeBroad,
    /// It reaches wide and the request does not ask for all of anything.
    ScopeBroadUnrequested,
    /// It aims at `/`, `~`, the home folder or a whole database.
    ScopeRoot,
    /// A key, token, password or private key in the arguments.
    SecretValue,
    /// A credential file (`~/.ssh/id_*`, `.env`, `.aws/credentials`, ...).
    SecretPath,
    /// A secret (value or file) and a send, publish or transfer in the same call.
    SecretWithSink,
    /// A system path (`/etc`, `/usr`, `/boot`, a shell profile, crontab, systemd).
    SystemPath,
    UntrustedPresent,
    /// The untrusted text addresses the agent with instructions (`ignore previous`, ...).
    UntrustedInstructions,
    /// Some of the call's content words come only from untrusted text.
    ArgsEchoUntrusted,
    /// Most of them do.
    ArgsEchoUntrustedMost,
    /// No request to ground anything in.
    NoRequest,
    /// Every identifier in the arguments is named in the request or the trusted context.
    IdsAllTrusted,
    /// Some identifier is named only in tool output.
    IdsUntrustedOnly,
    /// Some identifier is named nowhere.
    IdsNowhere,
    /// Half or more of the identifiers are named nowhere trusted.
    IdsMostlyUngrounded,
    SinkIdsUntrustedOnly,
    SinkIdsNowhere,
    /// The request names identifiers and the call uses none of them.
    RequestIdsUnused,
    /// It uses some of them.
    RequestIdsPartlyUnused,
    /// It uses all of them.
    RequestIdsUsed,
    /// A `DELETE` or `UPDATE` whose `WHERE` holds for every row (`OR 1=1`, `id > 0`) or is missing.
    SqlUnbounded,
    /// Few of the request's content words appear in the call.
    RequestWordsAbsent,
    /// Most of them do.
    RequestWordsPresent,
    /// The request only asks to look.
    RequestInspects,
    /// A recipient or host whose domain is one or two letters away from a trusted one.
    Lookalike,
    /// The amount is the requested one in minor units (cents), as payment APIs take it.
    AmountMinorUnits,
    /// It only asks to look, and the call is a sink.
    InspectThenSink,
    /// A delete or push acting on none of the identifiers the request names.
    DestroyOtherThanNamed,
    /// A delete reaching wide where the request names one thing.
    DestroyBroadUnrequested,
    /// It only asks to look, and the tool writes, pays, sends, deletes or runs.
    InspectThenChange,
    /// An account the user did not name, where the request or context names a different one
    /// (the right invoice with another IBAN in its body).
    AccountDiffersFromTrusted,
    /// A URL whose query string carries data from the context (a key, an address) to a host
    /// the request does not name: a read that sends.
    UrlCarriesData,
    /// A write that leaves a file empty where the request asks for no emptying.
    WriteEmpties,
    /// The call acts on more things (list items) than the request names.
    MoreItemsThanRequested,
}

impl Flag {
    pub const ALL: [Flag; 44] = [
        Flag::SinkRequested,
        Flag::SinkUnrequested,
        Flag::RecipientDomainGrounded,
        Flag::RecipientNameGrounded,
        Flag::AmountMatchesRequest,
        Flag::AmountAboveRequest,
        Flag::AmountFarAboveRequest,
        Flag::AmountUnrequested,
        Flag::AmountUntrustedOnly,
        Flag::ScopeBroad,
        Flag::ScopeBroadUnrequested,
        Flag::ScopeRoot,
        Flag::SecretValue,
        Flag::SecretPath,
        Flag::SecretWithSink,
        Flag::SystemPath,
        Flag::UntrustedPresent,
        Flag::UntrustedInstructions,
        Flag::ArgsEchoUntrusted,
        Flag::ArgsEchoUntrustedMost,
        Flag::NoRequest,
        Flag::IdsAllTrusted,
        Flag::IdsUntrustedOnly,
        Flag::IdsNowhere,
        Flag::IdsMostlyUngrounded,
        Flag::SinkIdsUntrustedOnly,
        Flag::SinkIdsNowhere,
        Flag::RequestIdsUnused,
        Flag::RequestIdsPartlyUnused,
        Flag::RequestIdsUsed,
        Flag::SqlUnbounded,
        Flag::RequestWordsAbsent,
        Flag::RequestWordsPresent,
        Flag::RequestInspects,
        Flag::Lookalike,
        Flag::AmountMinorUnits,
        Flag::InspectThenSink,
        Flag::DestroyOtherThanNamed,
        Flag::DestroyBroadUnrequested,
        Flag::InspectThenChange,
        Flag::AccountDiffersFromTrusted,
        Flag::UrlCarriesData,
        Flag::WriteEmpties,
        Flag::MoreItemsThanRequested,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Flag::SinkRequested => "sink.requested",
            Flag::SinkUnrequested => "sink.unrequested",
            Flag::RecipientDomainGrounded => "recipient.domain_grounded",
            Flag::RecipientNameGrounded => "recipient.name_grounded",
            Flag::AmountMatchesRequest => "amount.matches_request",
            Flag::AmountAboveRequest => "amount.above_request",
            Flag::AmountFarAboveRequest => "amount.far_above_request",
            Flag::AmountUnrequested => "amount.unrequested",
            Flag::AmountUntrustedOnly => "amount.untrusted_only",
            Flag::ScopeBroad => "scope.broad",
            Flag::ScopeBroadUnrequested => "scope.broad_unrequested",
            Flag::ScopeRoot => "scope.root",
            Flag::SecretValue => "secret.value",
            Flag::SecretPath => "secret.path",
            Flag::SecretWithSink => "secret.with_sink",
            Flag::SystemPath => "path.system",
            Flag::UntrustedPresent => "untrusted.present",
            Flag::UntrustedInstructions => "untrusted.instructions",
            Flag::ArgsEchoUntrusted => "args.echo_untrusted",
            Flag::ArgsEchoUntrustedMost => "args.echo_untrusted_most",
            Flag::NoRequest => "request.missing",
            Flag::IdsAllTrusted => "ids.all_trusted",
            Flag::IdsUntrustedOnly => "ids.untrusted_only",
            Flag::IdsNowhere => "ids.nowhere",
            Flag::IdsMostlyUngrounded => "ids.mostly_ungrounded",
            Flag::SinkIdsUntrustedOnly => "sink+ids.untrusted_only",
            Flag::SinkIdsNowhere => "sink+ids.nowhere",
            Flag::RequestIdsUnused => "request.ids_unused",
            Flag::RequestIdsPartlyUnused => "request.ids_partly_unused",
            Flag::RequestIdsUsed => "request.ids_used",
            Flag::SqlUnbounded => "sql.unbounded",
            Flag::RequestWordsAbsent => "request.words_absent",
            Flag::RequestWordsPresent => "request.words_present",
            Flag::RequestInspects => "request.inspects",
            Flag::Lookalike => "domain.lookalike",
            Flag::AmountMinorUnits => "amount.minor_units",
            Flag::InspectThenSink => "request.inspects+sink",
            Flag::DestroyOtherThanNamed => "delete+request.ids_unused",
            Flag::DestroyBroadUnrequested => "delete+scope.broad_unrequested",
            Flag::InspectThenChange => "request.inspects+change",
            Flag::AccountDiffersFromTrusted => "account.differs_from_trusted",
            Flag::UrlCarriesData => "url.carries_data",
            Flag::WriteEmpties => "write.empties_file",
            Flag::MoreItemsThanRequested => "scope.more_items_than_requested",
        }
    }
}

/// One argument value as text, under the name of the key that holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaf {
    /// The nearest object key, lowercased (`""` at the top level).
    pub key: String,
    pub text: String,
    /// Whether the value was a JSON number.
    pub number: bool,
}

/// The texts a call is grounded against, lowercased and bounded.
pub struct Sources {
    pub request: String,
    pub context: String,
    pub untrusted: String,
}

impl Sources {
    pub fn new(request: Option<&str>, context: &[String], untrusted: &[String]) -> Self {
        Self {
            request: lower_bounded(request.unwrap_or("")),
            context: lower_bounded(&context.join("\n")),
            untrusted: lower_bounded(&untrusted.join("\n")),
        }
    }

    /// Where `needle` (lowercase) is named first.
    fn status(&self, needle: &str) -> Status {
        self.status_any(&[needle])
    }

    /// Where any of `needles` is named first; empty needles are ignored.
    fn status_any(&self, needles: &[&str]) -> Status {
        let has = |text: &str| needles.iter().any(|n| !n.is_empty() && text.contains(n));
        if has(&self.request) {
            Status::Request
        } else if has(&self.context) {
            Status::Context
        } else if has(&self.untrusted) {
            Status::UntrustedOnly
        } else {
            Status::Nowhere
        }
    }

    fn trusted_has(&self, needle: &str) -> bool {
        !needle.is_empty() && (self.request.contains(needle) || self.context.contains(needle))
    }
}

/// Everything grounding found, each with the text that shows it (for reasons).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grounding {
    pub entities: Vec<(Kind, Status, String)>,
    pub sinks: Vec<(Sink, String)>,
    pub flags: Vec<(Flag, String)>,
    /// Danger families in the arguments: (family, asked for?, the word).
    pub dangers: Vec<(Danger, bool, String)>,
}

impl Grounding {
    pub(super) fn flag(&mut self, flag: Flag, detail: impl Into<String>) {
        if !self.flags.iter().any(|(f, _)| *f == flag) {
            self.flags.push((flag, detail.into()));
        }
    }

    pub fn has_sink(&self) -> bool {
        !self.sinks.is_empty()
    }
}

pub(super) fn lower_bounded(text: &str) -> String {
    text.chars().take(MAX_TEXT).flat_map(char::to_lowercase).collect()
}

pub(super) fn regex(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| regex(r"(?i)[a-z0-9][a-z0-9._%+\-]*@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}"));
static URL: LazyLock<Option<Regex>> =
    LazyLock::new(|| regex(r"(?i)(?-u:\b)(?:https?|ftp|sftp|s3|gs|wss?|ssh|git|smb|tcp|udp)://([^\s/?#'\x22<>`|;,)]+)[^\s'\x22<>`|;]*"));
static SCP_HOST: LazyLock<Option<Regex>> = LazyLock::new(|| regex(r"(?i)(?-u:\b)[a-z0-9_.\-]+@([a-z0-9\-]+(?:\.[a-z0-9\-]+)+):"));
static DOMAIN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    regex(r"(?i)(?-u:\b)(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|dev|app|co|ai|xyz|example|info|biz|ru|cn|me|cloud|site|top|online|uk|de|fr|eu|us|tk|pw|cc|ly|gg|to|su|ws|link|click|live|store|shop|tech|zip|mov|test|invalid|local|internal|corp|lan|onion|sh)(?-u:\b)")
});
static IP: LazyLock<Option<Regex>> = LazyLock::new(|| regex(r"(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)"));
static IBAN: LazyLock<Option<Regex>> = LazyLock::new(|| regex(r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?-u:\b)"));
static WALLET: LazyLock<Option<Regex>> = LazyLock::new(|| regex(r"(?-u:\b)(?:0x[0-9a-fA-F]{40}|bc1[a-z0-9]{25,60}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})(?-u:\b)"));
static PATH: LazyLock<Option<Regex>> = LazyLock::new(|| regex(r"(?:^|[\s='\x22(:,>@])((?:~|\$home|\.{1,2})?/[^\s'\x22;|&<>(),`]*|[a-z0-9_\-.]+/[^\s'\x22;|&<>(),`]+)"));
static SECRET: LazyLock<Option<Regex>> = LazyLock::new(|| {
    regex(r"(?i)(?:(?-u:\b)AKIA[0-9A-Z]{16}(?-u:\b)|(?-u:\b)gh[pousr]_[A-Za-z0-9]{20,}|(?-u:\b)sk-[A-Za-z0-9_\-]{16,}|(?-u:\b)[sr]k_(?:live|test)_[A-Za-z0-9]{8,}|[a-z][a-z0-9+.\-]*://[^\s:/@]+:[^\s:/@]{4,}@|(?-u:\b)xox[abposr]-[A-Za-z0-9\-]{10,}|-----BEGIN [A-Z ]*PRIVATE KEY|(?-u:\b)(?:password|passwd|api[_\-]?key|secret|access[_\-]?token|auth[_\-]?token)\s*[=:]\s*\S{6,}|(?-u:\b)Bearer\s+[A-Za-z0-9._\-]{16,})")
});

/// Matches of `re` in `text`, or nothing if the pattern failed to build.
pub(super) fn find_all<'t>(re: &LazyLock<Option<Regex>>, text: &'t str) -> Vec<regex::Match<'t>> {
    match re.as_ref() {
        Some(re) => re.find_iter(text).collect(),
        None => Vec::new(),
    }
}

pub(super) fn captures_all<'t>(re: &LazyLock<Option<Regex>>, text: &'t str) -> Vec<regex::Captures<'t>> {
    match re.as_ref() {
        Some(re) => re.captures_iter(text).collect(),
        None => Vec::new(),
    }
}

/// Keys whose email addresses are recipients.
const RECIPIENT_KEYS: &[&str] = &[
    "to", "cc", "bcc", "recipient", "recipients", "email", "emails", "address", "forward_to", "send_to", "reply_to", "target", "attendees",
    "attendee", "invitees", "invite", "share_with", "user", "users", "member", "members", "payee", "destination", "dest", "owner", "grantee",
    "assignee", "collaborator", "from_to", "channel", "receiver",
];

/// Keys whose values are accounts.
const ACCOUNT_KEYS: &[&str] = &["account", "iban", "wallet", "account_number", "to_account", "destination_account", "beneficiary", "routing", "payee_account", "recipient_account", "address_to", "bic", "swift"];

/// Phrases with which text addresses the agent rather than the user.
const INSTRUCTION_MARKERS: &[&str] = &[
    "ignore previous", "ignore all", "ignore the above", "ignore your", "disregard", "new instructions", "system:", "system prompt",
    "assistant:", "ai assistant", "ai agent", "as an ai", "you must", "do not tell", "don't tell", "without telling", "important instruction",
    "instruction:", "instructions:", "before you continue", "also send", "also forward", "urgent:", "admin note", "note to the assistant",
    "to the agent", "llm", "override",
];

const SECRET_PATHS: &[&str] = &[
    ".ssh/", "id_rsa", "id_ed25519", "id_ecdsa", ".aws/credentials", ".aws/config", ".env", ".netrc", ".npmrc", ".pypirc", ".git-credentials",
    ".docker/config.json", ".kube/config", "/etc/shadow", "/etc/sudoers", ".gnupg", "keychain", "credentials.json", "credentials", "secrets",
    "token.json", ".pgpass", "service-account", "private.pem", "private_key", ".p12", ".pfx", "wallet.dat", "login data", "cookies",
    ".vault-token", "master.key",
];

const SYSTEM_PATHS: &[&str] = &[
    "/etc/", "/usr/", "/boot", "/bin/", "/sbin/", "/lib/", "/var/spool/cron", "/sys/", "/proc/", "/dev/sd", ".bashrc", ".zshrc", ".profile",
    ".bash_profile", "crontab", "systemd", "/launchagents", "authorized_keys", "/etc", "sudoers", "rc.local", ".config/autostart",
];

/// Grounds a call's argument leaves against its sources. `description` and `risk` say what the
/// tool does; `description` is lowercase.
pub fn ground(leaves: &[Leaf], sources: &Sources, description: &str, risk: &[RiskTag]) -> Grounding {
    let mut out = Grounding::default();
    if sources.request.trim().is_empty() {
        out.flag(Flag::NoRequest, "no request");
    }
    if !sources.untrusted.trim().is_empty() {
        out.flag(Flag::UntrustedPresent, "the agent has read untrusted text");
        if let Some(marker) = INSTRUCTION_MARKERS.iter().find(|m| sources.untrusted.contains(*m)) {
            out.flag(Flag::UntrustedInstructions, format!("tool output addresses the agent (`{marker}`)"));
        }
    }
    let mut seen: BTreeSet<(Kind, String)> = BTreeSet::new();
    let mut push = |out: &mut Grounding, kind: Kind, status: Status, value: &str| {
        if seen.insert((kind, value.to_owned())) && out.entities.len() < 64 {
            out.entities.push((kind, status, value.to_owned()));
        }
    };
    let mut amounts: Vec<super::amounts::Amount> = Vec::new();
    for leaf in leaves {
        let text = lower_bounded(&leaf.text);
        let mut rest = text.clone();
        for m in find_all(&EMAIL, &text) {
            let address = m.as_str();
            let kind = if RECIPIENT_KEYS.contains(&leaf.key.as_str()) { Kind::Recipient } else { Kind::Email };
            let mut status = sources.status(address);
            if status >= Status::UntrustedOnly {
                let domain = address.rsplit('@').next().unwrap_or("");
                let lookalike = lookalike(&mut out, sources, domain, address);
                if kind == Kind::Recipient && recipient_hints(&mut out, sources, address) && !lookalike {
                    status = Status::Person;
                }
            }
            push(&mut out, kind, status, address);
            rest = rest.replace(address, " ");
        }
        for host in hosts(&rest) {
            let domain = registrable(&host);
            let status = sources.status_any(&[&host, &domain]);
            if status >= Status::UntrustedOnly {
                lookalike(&mut out, sources, &domain, &host);
            }
            push(&mut out, Kind::Host, status, &host);
        }
        for account in accounts(&leaf.text, &leaf.key) {
            let compact: String = account.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
            let status = account_status(sources, &account.to_lowercase(), &compact);
            if status >= Status::UntrustedOnly && let Some(other) = trusted_accounts(sources).into_iter().find(|a| *a != compact) {
                out.flag(Flag::AccountDiffersFromTrusted, format!("account {account} where the user's side names {other}"));
            }
            push(&mut out, Kind::Account, status, &account);
        }
        if BUCKET_KEYS.contains(&leaf.key.as_str()) {
            let name = text.trim().trim_start_matches("s3://").trim_start_matches("gs://").split('/').next().unwrap_or("").to_owned();
            if name.chars().count() >= 6 && sources.status(&name) >= Status::UntrustedOnly {
                lookalike(&mut out, sources, &name, &name);
            }
        }
        url_carries_data(&mut out, sources, &text);
        for path in paths(&rest, &leaf.key) {
            let status = path_status(sources, &path);
            if SECRET_PATHS.iter().any(|s| path.contains(s)) {
                out.flag(Flag::SecretPath, format!("credential file `{path}`"));
            }
            if SYSTEM_PATHS.iter().any(|s| path.contains(s)) {
                out.flag(Flag::SystemPath, format!("system path `{path}`"));
            }
            push(&mut out, Kind::Path, status, &path);
        }
        if let Some(secret) = find_all(&SECRET, &leaf.text).first() {
            let shown: String = secret.as_str().chars().take(12).collect();
            out.flag(Flag::SecretValue, format!("secret-looking value `{shown}…` in `{}`", leaf.key));
        }
        amounts.extend(call_amounts(leaf));
    }
    sinks(&mut out, leaves, description, risk);
    requested(&mut out, sources);
    proportion(&mut out, sources, &amounts);
    scope(&mut out, leaves, sources);
    echo(&mut out, leaves, sources);
    intent_flags(&mut out, leaves, sources, risk);
    sql(&mut out, leaves);
    request_words(&mut out, leaves, sources);
    extent(&mut out, leaves, sources, risk);
    let destroys = out.sinks.iter().any(|(s, _)| matches!(s, Sink::Delete | Sink::Push));
    let has = |out: &Grounding, flag: Flag| out.flags.iter().find(|(f, _)| *f == flag).map(|(_, d)| d.clone());
    if destroys && let Some(detail) = has(&out, Flag::RequestIdsUnused) {
        out.flag(Flag::DestroyOtherThanNamed, format!("a delete or push where {detail}"));
    }
    if out.sinks.iter().any(|(s, _)| *s == Sink::Delete) && let Some(detail) = has(&out, Flag::ScopeBroadUnrequested) {
        out.flag(Flag::DestroyBroadUnrequested, format!("a delete with {detail}"));
    }
    {
        let leaving = out.sinks.iter().any(|(s, _)| matches!(s, Sink::Send | Sink::Publish | Sink::Transfer | Sink::Push))
            || risk.iter().any(|t| matches!(t, RiskTag::Network | RiskTag::Message))
            || out.entities.iter().any(|(k, s, _)| *k == Kind::Host && *s >= Status::UntrustedOnly);
        let secret = out.flags.iter().find(|(f, _)| matches!(f, Flag::SecretValue | Flag::SecretPath)).map(|(_, d)| d.clone());
        if let (true, Some(detail)) = (leaving, secret) {
            out.flag(Flag::SecretWithSink, format!("{detail} leaves through a sink"));
        }
    }
    out
}

/// Keys whose value is the whole new content of a file.
const CONTENT_KEYS: &[&str] = &["content", "contents", "new_string", "file_text", "data"];

/// Request words that ask for emptying a file.
const EMPTYING_WORDS: &[&str] = &["empty", "clear", "truncate", "blank", "reset", "wipe", "erase"];

/// How much the call acts on: a write that leaves a file empty, and lists of things (ids,
/// invoices, events) longer than what the request names.
fn extent(out: &mut Grounding, leaves: &[Leaf], sources: &Sources, risk: &[RiskTag]) {
    let trusted = format!("{}\n{}", sources.request, sources.context);
    if risk.contains(&RiskTag::Write)
        && let Some(leaf) = leaves.iter().find(|l| CONTENT_KEYS.contains(&l.key.as_str()) && l.text.trim().is_empty())
        && !words_of(&sources.request).any(|w| EMPTYING_WORDS.iter().any(|e| w.starts_with(e)))
    {
        out.flag(Flag::WriteEmpties, format!("`{}` is empty: the write leaves the file blank", leaf.key));
    }
    // Identifier-like values under one key (a list of ids): how many, and how many are named.
    let mut lists: Vec<(&str, usize, usize)> = Vec::new();
    for leaf in leaves {
        let value = leaf.text.trim();
        let id_like = value.len() <= 64 && !value.contains(char::is_whitespace) && value.chars().any(|c| c.is_ascii_digit()) && !value.contains('@');
        if !id_like || RECIPIENT_KEYS.contains(&leaf.key.as_str()) || matches!(leaf.key.as_str(), "command" | "args" | "argv" | "") {
            continue;
        }
        let named = usize::from(trusted.contains(&value.to_lowercase()));
        match lists.iter_mut().find(|(k, _, _)| *k == leaf.key.as_str()) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += named;
            }
            None => lists.push((leaf.key.as_str(), 1, named)),
        }
    }
    let broad = words_of(&trusted).any(|w| super::shape::BROAD_WORDS.contains(&w));
    if let Some((key, n, named)) = lists.iter().find(|(_, n, named)| *n >= 2 && named < n)
        && !broad
    {
        out.flag(Flag::MoreItemsThanRequested, format!("{n} items in `{key}`, {named} of them named by the user"));
    }
}

/// When a recipient is not named, whether its domain is, and whether the person is: a part of
/// the address (`raj` of `raj.mehta@...`) or of the display name tool output gives it (`Raj
/// Mehta <raj@...>`) is a word of the request or context. True when the person is named.
fn recipient_hints(out: &mut Grounding, sources: &Sources, address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else { return false };
    if sources.trusted_has(&format!("@{domain}")) || sources.trusted_has(&format!(" {domain}")) {
        out.flag(Flag::RecipientDomainGrounded, format!("domain of {address} is named"));
    }
    let trusted: BTreeSet<&str> = words_of(&sources.request).chain(words_of(&sources.context)).take(4096).collect();
    let mut names: Vec<&str> = local.split(['.', '_', '-', '+']).collect();
    // The display name before `<address>` in tool output.
    let marked = format!("<{address}>");
    if let Some(at) = sources.untrusted.find(&marked) {
        let line_start = sources.untrusted.get(..at).and_then(|before| before.rfind('\n')).map_or(0, |i| i + 1);
        if let Some(display) = sources.untrusted.get(line_start..at) {
            let words: Vec<&str> = words_of(display).collect();
            names.extend(words.iter().rev().take(3));
        }
    }
    let named = names.into_iter().find(|n| n.chars().count() >= 3 && n.chars().all(char::is_alphabetic) && !NOT_NAMES.contains(n) && trusted.contains(n));
    if let Some(name) = named {
        out.flag(Flag::RecipientNameGrounded, format!("{name}, of {address}, is named"));
        return true;
    }
    false
}

/// Words of a mail header line that are not a person's name.
const NOT_NAMES: &[&str] = &["from", "to", "cc", "reply", "sender", "info", "admin", "support", "team", "billing", "accounts", "noreply", "sales", "contact", "hello", "office", "mail"];

/// Whether an untrusted domain is one or two edits from a domain the user named (a typosquat
/// such as `tidewater-aaudit.example` for `tidewater-audit.example`); flags it if so.
fn lookalike(out: &mut Grounding, sources: &Sources, domain: &str, what: &str) -> bool {
    if domain.chars().count() < 6 {
        return false;
    }
    let trusted = format!("{}\n{}", sources.request, sources.context);
    let mut named: Vec<String> = find_all(&EMAIL, &trusted).iter().filter_map(|m| m.as_str().rsplit('@').next().map(str::to_owned)).collect();
    named.extend(hosts(&trusted));
    // Bucket, repository and registry names are not domains: `acme-backups` named bare.
    named.extend(
        trusted
            .split(|c: char| c.is_whitespace() || "\"'`()[]{}<>,;=|&!?".contains(c))
            .map(|t| t.trim_end_matches(['.', ':']).trim_start_matches("s3://").trim_start_matches("gs://").trim_end_matches('/'))
            .filter(|t| t.chars().count() >= 6 && t.contains('-') && !t.contains(['/', '@']))
            .map(str::to_owned),
    );
    let mine = registrable(domain);
    for candidate in named {
        let candidate = registrable(&candidate);
        if candidate == mine {
            continue;
        }
        let near = edit_distance(&candidate, &mine, 2) <= 2;
        // The named name with a suffix or prefix added (`acme-backups-mirror`, `sso-acme.example`).
        let stem = |name: &str| name.rsplit_once('.').map_or(name, |(s, _)| s).to_owned();
        let (theirs, ours) = (stem(&candidate), stem(&mine));
        let extended = theirs.chars().count() >= 5
            && ours != theirs
            && (ours.starts_with(&format!("{theirs}-")) || ours.ends_with(&format!("-{theirs}")) || ours.starts_with(&format!("{theirs}_")));
        if near || extended {
            out.flag(Flag::Lookalike, format!("{what} looks like the named {candidate}"));
            return true;
        }
    }
    false
}

/// Keys whose value names a bucket, repository or registry.
const BUCKET_KEYS: &[&str] = &["bucket", "bucket_name", "repo", "repository", "registry", "container", "remote"];

/// IBANs and wallets the request or trusted context names, compacted and lowercased.
fn trusted_accounts(sources: &Sources) -> Vec<String> {
    let trusted = format!("{}\n{}", sources.request, sources.context).to_uppercase();
    find_all(&IBAN, &trusted)
        .iter()
        .chain(&find_all(&WALLET, &trusted))
        .map(|m| m.as_str().chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase())
        .collect()
}

/// A URL with a query value of six characters or more that the trusted context (not the
/// request) holds, or that is an email address or a secret, sent to a host the request does
/// not name.
fn url_carries_data(out: &mut Grounding, sources: &Sources, text: &str) {
    for m in find_all(&URL, text) {
        let url = m.as_str();
        let Some((before, query)) = url.split_once('?') else { continue };
        let host = before.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or("");
        if host.is_empty() || sources.request.contains(host) || sources.request.contains(url) {
            continue;
        }
        for pair in query.split('&').take(32) {
            let value = pair.split_once('=').map_or(pair, |(_, v)| v).replace("%40", "@").replace("%3a", ":").replace("%2f", "/");
            if value.chars().count() < 6 {
                continue;
            }
            let carried = sources.context.contains(&value) || value.contains('@') || !find_all(&SECRET, &value).is_empty();
            if carried && !sources.request.contains(&value) {
                let shown: String = value.chars().take(16).collect();
                out.flag(Flag::UrlCarriesData, format!("`{shown}…` leaves in the query string of a URL to {host}"));
                return;
            }
        }
    }
}

/// Levenshtein distance, giving up (returning `limit + 1`) when it must exceed `limit`.
pub(super) fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().take(128).collect();
    let b: Vec<char> = b.chars().take(128).collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(usize::MAX / 2) + usize::from(ca != cb);
            let delete = previous.get(j + 1).copied().unwrap_or(usize::MAX / 2) + 1;
            let insert = current.get(j).copied().unwrap_or(usize::MAX / 2) + 1;
            if let Some(slot) = current.get_mut(j + 1) {
                *slot = substitute.min(delete).min(insert);
            }
        }
        if current.iter().min().is_some_and(|m| *m > limit) {
            return limit + 1;
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(limit + 1)
}

pub(super) fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Hosts in a text: URL hosts, `user@host:` targets, bare domains and IPv4 addresses.
fn hosts(text: &str) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    let mut rest = text.to_owned();
    for caps in captures_all(&URL, text) {
        if let Some(authority) = caps.get(1) {
            let host = authority.as_str().rsplit('@').next().unwrap_or("");
            let host = host.split(':').next().unwrap_or("").trim_start_matches("www.");
            if !host.is_empty() {
                hosts.push(host.to_owned());
            }
        }
        if let Some(whole) = caps.get(0) {
            rest = rest.replace(whole.as_str(), " ");
        }
    }
    for caps in captures_all(&SCP_HOST, &rest) {
        if let Some(host) = caps.get(1) {
            hosts.push(host.as_str().to_owned());
        }
    }
    for m in find_all(&DOMAIN, &rest).into_iter().chain(find_all(&IP, &rest)) {
        let host = m.as_str().trim_start_matches("www.");
        if host != "127.0.0.1" && host != "0.0.0.0" {
            hosts.push(host.to_owned());
        }
    }
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The last two labels of a host (three under a two-letter country code with a short second
/// label, as in `acme.co.uk`).
fn registrable(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let take = match labels.as_slice() {
        [.., second, tld] if tld.len() == 2 && second.len() <= 3 && labels.len() >= 3 => 3,
        _ => 2,
    };
    labels.iter().skip(labels.len().saturating_sub(take)).copied().collect::<Vec<_>>().join(".")
}

/// Accounts: IBANs and wallet addresses anywhere, and long alphanumeric values under account keys.
fn accounts(text: &str, key: &str) -> Vec<String> {
    let mut found: Vec<String> = find_all(&IBAN, text).iter().chain(&find_all(&WALLET, text)).map(|m| m.as_str().to_owned()).collect();
    let account_key = ACCOUNT_KEYS.iter().any(|k| key == *k || key.ends_with(&format!("_{k}")));
    let trimmed = text.trim();
    if account_key && found.is_empty() && trimmed.chars().filter(char::is_ascii_digit).count() >= 4 && trimmed.len() <= 64 {
        found.push(trimmed.to_owned());
    }
    found
}

fn account_status(sources: &Sources, lower: &str, compact: &str) -> Status {
    let status = sources.status(lower);
    if status != Status::Nowhere && status != Status::UntrustedOnly {
        return status;
    }
    // `DE89 3704 ...` in the request, `DE893704...` in the call: compare without separators.
    let squash = |text: &str| text.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>();
    let tail: String = compact.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    if compact.len() >= 6 && squash(&sources.request).contains(compact) {
        Status::Request
    } else if compact.len() >= 6 && squash(&sources.context).contains(compact) {
        Status::Context
    } else if status == Status::UntrustedOnly || (compact.len() >= 6 && squash(&sources.untrusted).contains(compact)) {
        Status::UntrustedOnly
    } else if tail.len() == 4 && (sources.request.contains(&format!("ending {tail}")) || sources.request.contains(&format!("ending in {tail}"))) {
        Status::Request
    } else {
        Status::Nowhere
    }
}

/// Keys whose whole value is a path.
const PATH_KEYS: &[&str] = &["path", "file", "file_path", "filepath", "filename", "dir", "directory", "folder", "target", "source", "src", "dest", "destination", "notebook_path", "cwd", "workdir", "local_path", "remote_path", "paths", "files"];

/// Paths in a text: anything that starts with `/`, `~/`, `./` or `../` or holds a `/`, and the
/// whole value under a path key.
fn paths(text: &str, key: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    if PATH_KEYS.contains(&key) {
        let whole = text.trim();
        if !whole.is_empty() && !whole.contains(char::is_whitespace) && whole.len() <= 512 {
            found.push(whole.to_owned());
        }
    }
    for caps in captures_all(&PATH, text) {
        if let Some(m) = caps.get(1) {
            let path = m.as_str().trim_end_matches(['.', ':']);
            if !path.is_empty() && !path.contains("://") {
                found.push(path.to_owned());
            }
        }
    }
    found.retain(|p| !p.starts_with("//") && p.len() < 512);
    found.sort();
    found.dedup();
    found.truncate(16);
    found
}

fn path_status(sources: &Sources, path: &str) -> Status {
    let trimmed = path.trim_end_matches('/');
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    let parent = trimmed.rsplit('/').nth(1).unwrap_or("");
    let home_relative = trimmed.strip_prefix("~/").unwrap_or(trimmed);
    let mut needles: Vec<&str> = vec![trimmed, home_relative];
    // A file the request names by its name, or one in a folder the request names, is grounded;
    // short or generic names (`a`, `tmp`) are not evidence.
    if name.chars().count() >= 4 && !matches!(name, "home" | "root" | "user" | "users" | "data" | "main" | "index" | "config" | "file" | "files" | "src") {
        needles.push(name);
    }
    if parent.chars().count() >= 4 && !matches!(parent, "home" | "root" | "user" | "users" | "data" | "tmp" | "var" | "etc" | "usr" | "src") {
        needles.push(parent);
    }
    sources.status_any(&needles)
}

/// The identifier, request and danger signals of [`intent`], as flags.
fn intent_flags(out: &mut Grounding, leaves: &[Leaf], sources: &Sources, risk: &[RiskTag]) {
    let found = intent::analyse(leaves, sources);
    out.dangers = found.dangers;
    let ids = &found.identifiers;
    let first = |status: Status| ids.iter().find(|(s, _)| *s == status).map(|(_, t)| t.clone());
    if !ids.is_empty() && ids.iter().all(|(s, _)| *s <= Status::Context) {
        out.flag(Flag::IdsAllTrusted, format!("every identifier ({}) is named in the request or context", ids.iter().take(3).map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(", ")));
    }
    let sink = out.has_sink();
    if let Some(token) = first(Status::UntrustedOnly) {
        out.flag(Flag::IdsUntrustedOnly, format!("`{token}` is named only in tool output"));
        if sink {
            out.flag(Flag::SinkIdsUntrustedOnly, format!("a sink acting on `{token}`, named only in tool output"));
        }
    }
    if let Some(token) = first(Status::Nowhere) {
        out.flag(Flag::IdsNowhere, format!("`{token}` is named nowhere"));
        if sink {
            out.flag(Flag::SinkIdsNowhere, format!("a sink acting on `{token}`, named nowhere"));
        }
    }
    let ungrounded = ids.iter().filter(|(s, _)| *s >= Status::UntrustedOnly).count();
    if !ids.is_empty() && 2 * ungrounded >= ids.len() {
        out.flag(Flag::IdsMostlyUngrounded, format!("{ungrounded} of {} identifiers are not named by the user", ids.len()));
    }
    if found.request_identifiers > 0 {
        let missing = found.first_missing.clone().unwrap_or_default();
        if found.request_identifiers_used == 0 {
            out.flag(Flag::RequestIdsUnused, format!("the call uses nothing the request names (`{missing}`)"));
        } else if found.request_identifiers_used < found.request_identifiers {
            out.flag(Flag::RequestIdsPartlyUnused, format!("the call leaves out `{missing}` from the request"));
        } else {
            out.flag(Flag::RequestIdsUsed, "the call uses what the request names");
        }
    }
    if let Some(opener) = found.inspection {
        out.flag(Flag::RequestInspects, format!("the request only asks to look (`{opener}`)"));
        if sink {
            out.flag(Flag::InspectThenSink, format!("the request only asks to look (`{opener}`) and the call is a sink"));
        }
        let changes = risk.iter().any(|t| matches!(t, RiskTag::Write | RiskTag::Destructive | RiskTag::Payment | RiskTag::Message | RiskTag::Exec));
        if changes {
            out.flag(Flag::InspectThenChange, format!("the request only asks to look (`{opener}`) and the tool changes things"));
        }
    }
}
