//! The rule-based classifier: weighted keywords and phrases per task type; needs no training.
//!
//! A request is split into words and lightly stemmed ([`super::text`]); each rule is a phrase
//! of one or more words that must appear as whole, consecutive words (a word written `summar*`
//! matches any word starting with `summar`, `*error` any word ending with `error`). A task type's
//! score is the sum of the weights of its phrases that occur, each counted once; a negative
//! weight is evidence against the type.
//!
//! The highest score wins when it reaches [`MIN_EVIDENCE`] and beats `unknown`'s own phrases
//! (greetings, chit-chat). The confidence is the winner's margin over the runner-up (or over
//! nothing, when no other type scored), squashed into 0..1 as `margin / (margin + MARGIN_SCALE)`:
//! a tie is confidence 0, which the governor turns into `unknown`.
//!
//! The phrases were written from the task types' descriptions (`data/tasks/types.toml`) and the
//! training prompts (`data/tasks/prompts/train.jsonl`) only, never from the held-out prompts.

use super::text::stem;
use super::{Classification, Classifier, Method};
use crate::tasks::UNKNOWN;

/// A type needs at least this score to win: one strong word, or two weaker ones.
pub const MIN_EVIDENCE: f64 = 2.0;

/// The margin at which confidence is one half.
pub const MARGIN_SCALE: f64 = 2.0;

/// The built-in rules: per task type, phrases and their weights. Task types are in
/// `types.toml`'s order, which also breaks ties.
const RULES: &[(&str, &[(&str, f64)])] = &[
    ("summarise", &[
        ("summar*", 3.0), ("sumar*", 3.0), ("tldr", 3.0), ("tl dr", 3.0), ("too long", 1.5), ("gist", 3.0),
        ("recap", 3.0), ("condense", 3.0), ("synopsis", 3.0), ("overview", 2.0), ("brief", 1.5), ("briefly", 1.5),
        ("takeaway", 3.0), ("highlights*", 2.5), ("short version", 3.0), ("boil", 3.0), ("sum up", 3.0),
        ("digest", 2.0), ("abstract", 2.0), ("outline", 2.0), ("main point", 2.5), ("bullet", 2.0),
        ("shorten", 2.0), ("skim", 2.0), ("high level", 1.5), ("short paragraph", 1.5), ("one paragraph", 1.5),
        ("in a nutshell", 3.0), ("what happened", 1.5), ("decisions", 1.0), ("meeting note", 1.5),
        ("transcript", 1.5), ("thread", 1.0), ("what changed", 1.5), ("short", 1.0), ("few lines", 2.0),
        ("one line each", 2.0), ("cliff notes", 3.0), ("plain words", 2.0), ("give me the text", 2.0),
        ("blurb", 2.0), ("essentials", 2.0), ("themes", 1.5), ("interview notes", 1.0), ("what does it say", 1.5),
        ("say", 0.5), ("in a few", 1.5), ("minutes", 1.0), ("five lines", 2.0), ("points", 1.0),
    ]),
    ("answer", &[
        ("where is", 2.0), ("where are", 2.0), ("where do", 2.0), ("where", 1.0), ("what does", 2.0),
        ("what is", 1.0), ("whats", 1.0), ("what did", 1.5), ("how does", 2.0), ("how is", 1.5), ("how do i", 1.5),
        ("how are", 1.0), ("explain", 2.5), ("which file", 2.0), ("which", 1.0), ("difference between", 2.0),
        ("is there", 1.0), ("do we", 1.5), ("does the", 1.0), ("according to", 2.0), ("in my note", 2.0),
        ("purpose of", 2.0), ("defin*", 1.5), ("who wrote", 2.0), ("what version", 1.5), ("signature", 1.5),
        ("called from", 1.5), ("return", 0.5), ("just explain", 1.0), ("tell me what", 1.5), ("how many", 1.0),
        ("handled", 1.0), ("controls", 1.5), ("read the readme", 1.5), ("blame", 1.5), ("licens*", 1.0),
        ("when is", 1.0), ("when does", 1.5), ("note file", 1.0), ("^what", 1.0), ("^where", 1.0), ("^which", 1.0),
        ("^how", 1.0), ("^does", 1.0), ("^do", 1.0), ("^is", 1.0), ("^why", 0.5), ("^who", 1.0),
        ("look at the code", 2.0), ("in the code", 1.5), ("in the repo", 1.5), ("in this project", 1.5),
        ("config", 1.0), ("listed in", 1.5), ("quick question", 2.0), ("phone number", 1.5), ("address in", 1.5),
        ("how long", 1.0), ("per the", 1.5), ("relate", 1.5), ("related to", 1.5), ("mean", 1.0), ("owns", 1.5),
        ("notes", 1.0), ("check", 0.5),
    ]),
    ("research", &[
        ("search", 1.5), ("the web", 2.0), ("web store", -3.0), ("online", 3.0), ("internet", 3.0),
        ("google", 3.0), ("look up", 2.5), ("research", 3.0), ("compare", 2.0), ("comparisons*", 2.5),
        ("find me", 1.5), ("find out", 2.0), ("latest", 1.5), ("current", 1.0), ("recent", 1.5), ("reviews*", 2.0),
        ("source", 2.0), ("link", 1.5), ("article", 2.5), ("blog post", 1.5),
        ("paper", 1.5), ("academic", 2.0), ("alternatives", 2.5), ("price", 1.0), ("benchmarks of", 2.0),
        ("stackoverflow", 3.0), ("stack overflow", 3.0), ("hacker news", 3.0), ("reddit", 2.0), ("browse", 2.5),
        ("verify", 1.0), ("people saying", 2.0), ("opinions", 2.5), ("recommendations", 1.0), ("cve", 1.5),
        ("official", 1.5), ("documentation for", 1.5), ("gather", 1.5), ("dig up", 2.5), ("look for", 1.5),
        ("flights", 1.5), ("cheapest", 1.0), ("scan", 1.0), ("best practice", 2.0),
        ("investigate which", 2.0), ("competitor", 2.0), ("find the", 1.0), ("find", 0.5), ("tutorials*", 2.0),
        ("podcasts*", 2.0), ("restaurants*", 1.5), ("highly rated", 2.0), ("top rated", 2.0), ("docs page", 1.5),
        ("still maintained", 2.0), ("maintained", 1.0), ("cite", 2.0), ("news", 2.0), ("forecast", 2.0),
        ("opening hours", 2.0), ("population", 2.0), ("consensus", 2.0), ("offerings", 1.5), ("best", 1.0),
        ("what are people", 1.5), ("studies", 2.0), ("requirements for", 1.0), ("in 0", 0.5), ("rfc", 1.0),
        ("forums", 2.0), ("known issues", 1.5), ("supports", 1.0), ("whether", 0.5),
    ]),
    ("review", &[
        ("review", 3.0), ("reviews*", -3.0), ("code review", 2.0), ("audit", 2.5), ("look over", 2.5),
        ("go through", 1.5), ("go over", 1.5), ("read through", 2.0), ("feedback", 3.0), ("critique", 3.0),
        ("sanity check", 3.0), ("anything wrong", 2.5), ("look off", 2.5), ("point out", 2.5), ("flag", 1.5),
        ("vulnerab*", 2.5), ("injection", 1.5), ("security issue", 2.0), ("race condition", 1.5),
        ("bad practice", 3.0), ("report only", 2.0), ("dont edit", 2.0), ("dont fix", 2.5), ("just report", 2.0),
        ("findings*", 2.5), ("concern", 2.0), ("risk", 1.5), ("risky", 2.0), ("safe to run", 2.5),
        ("ready to merge", 3.0), ("pr", 1.0), ("my pr", 1.5), ("pull request", 1.5), ("diff", 1.5),
        ("once over", 2.5), ("pair of eyes", 3.0), ("assess", 2.5), ("evaluat*", 1.5), ("inspect", 2.0),
        ("code quality", 2.5), ("compliance", 2.0), ("too permissive", 2.0), ("list them", 1.0),
        ("style violation", 2.5), ("error handling", 1.5), ("before i approve", 2.0), ("is the", 0.5),
        ("correct", 1.0), ("edge case", 1.0), ("gets wrong", 1.5), ("look at", 0.5), ("check my", 1.5),
        ("check whether", 1.0), ("check the", 0.5), ("security pass", 3.0), ("quick pass", 2.0),
        ("smell", 2.0), ("what do you think", 2.5), ("obvious problem", 2.5), ("any problem", 2.0),
        ("misconfiguration", 2.5), ("what you find", 2.0), ("against our", 1.5), ("guidelines", 1.5),
        ("deviation", 2.0), ("comments only", 2.5), ("before we merge", 2.0), ("suspicious", 2.5),
        ("list anything", 1.5), ("hard coded", 1.5), ("do not modify", 2.5), ("dont change it", 2.0),
        ("analys*", 1.0), ("overly broad", 2.0), ("swallow*", 2.0), ("replay*", 1.5), ("untested", 2.0),
        ("gaps", 1.5), ("weak spot", 2.5), ("what you would change", 2.0), ("what youd change", 2.0),
        ("problems", 1.0), ("issues", 1.0), ("by severity", 1.5), ("missing", 0.5), ("idiomatic", 1.5),
        ("dangerous", 1.5), ("unclear", 1.5), ("match the", 1.0), ("report", 0.5),
    ]),
    ("implement", &[
        ("add", 2.0), ("^add", 0.5), ("implement", 3.0), ("write a function", 2.5), ("create", 1.0),
        ("build", 1.0), ("new feature", 2.0), ("feature", 1.5), ("support", 1.5), ("endpoint", 1.5),
        ("component", 1.5), ("new command", 2.0), ("subcommand", 2.0), ("write a", 1.0), ("write the code", 3.0),
        ("script", 1.0), ("middleware", 2.0), ("webhook", 1.5), ("handler", 1.0), ("bot", 1.5), ("app", 1.0),
        ("extend", 2.0), ("hook up", 2.0), ("dark mode", 2.0), ("option", 1.0), ("resolver", 2.0),
        ("integrat*", 2.0), ("i need a", 1.0), ("users can", 2.0), ("trait", 1.0), ("class", 1.0), ("oauth", 1.5),
        ("scaffold", 2.0), ("toggle", 1.5), ("progress bar", 1.5), ("input validation", 1.5), ("flow", 1.0),
        ("collapsible", 1.5), ("make the", 0.5), ("new field", 2.0), ("expose", 1.0), ("cli tool", 2.0),
        ("small", 0.5), ("translations", 1.0), ("i0n", 1.5), ("drag and drop", 1.5), ("healthcheck", 1.5),
        ("in addition to", 1.5), ("function", 1.0), ("parser", 1.0), ("hook", 1.0), ("flag", 1.0),
        ("button", 1.5), ("autocomplete", 1.5), ("infinite scroll", 1.5), ("shortcut", 1.5), ("remember", 1.0),
        ("extension", 1.5), ("plugin", 1.0), ("slash command", 2.0), ("verification", 1.0), ("client", 0.5),
        ("^write", 0.5), ("^create", 1.0), ("^build", 1.0), ("^make", 0.5), ("switcher", 1.5), ("module", 0.5),
        ("api client", 1.5), ("validates", 1.0), ("page", 0.5), ("system", 0.5), ("queue", 1.0),
    ]),
    ("test", &[
        ("test", 3.0), ("unit test", 2.0), ("integration test", 2.5), ("pytest", 3.0), ("jest", 2.5),
        ("cargo test", 2.0), ("npm test", 2.0), ("coverage", 3.0), ("test suite", 2.0), ("test case", 2.0),
        ("fixture", 2.5), ("mock", 2.5), ("e0e", 2.5), ("end to end", 2.5), ("playwright", 2.0), ("flaky", 2.0),
        ("flakes", 2.0), ("fuzz", 3.0), ("proptest", 3.0), ("property based", 2.0), ("snapshot", 1.5),
        ("regression test", 1.5), ("doctest", 3.0), ("load test", 1.5), ("k0", 1.5), ("benchmark", 2.0),
        ("spec", 1.5), ("still pass", 2.5), ("pass", 1.5), ("green", 1.5), ("linter", 1.0), ("run the", 0.5),
        ("run only", 1.5), ("rerun", 1.5), ("contract test", 1.0), ("test data", 1.0), ("tests for", 1.5),
        ("failing test", 2.0), ("cypress", 2.5), ("smoke test", 2.0), ("performance test", 2.0), ("^run", 1.5),
        ("baseline", 1.5), ("with last week", 1.5), ("golden", 1.5), ("acceptance test", 2.0), ("dry run", 1.0),
        ("mutation", 2.0), ("mutants", 2.0), ("manually", 1.0), ("sample input", 1.5), ("report back", 1.0),
        ("verify the", 1.0), ("race", 0.5), ("execute the", 1.0),
    ]),
    ("debug", &[
        ("debug", 3.0), ("fix", 2.5), ("bug", 2.5), ("crash", 3.0), ("error", 2.0), ("*error", 1.5), ("fail", 2.0),
        ("broken", 1.5), ("broke", 1.5), ("why does", 1.5), ("why is", 1.0), ("why", 1.0), ("hang", 2.0),
        ("segfault", 3.0), ("panic", 2.5), ("*exception", 2.5), ("exception", 2.5), ("stack trace", 3.0),
        ("traceback", 3.0), ("deadlock", 2.5), ("memory usage", 1.5), ("oom", 2.5), ("out of memory", 2.5),
        ("off by one", 2.0), ("wrong", 2.0), ("garbled", 2.0), ("diagnos*", 3.0), ("figure out why", 2.5),
        ("find out why", 2.5), ("track it down", 2.5), ("track down", 2.5), ("find the cause", 3.0),
        ("cause", 1.5), ("reproduce", 1.5), ("doesnt work", 2.5), ("not working", 2.5), ("stop", 2.0),
        ("infinite loop", 2.5), ("whats go on", 2.5), ("issue", 1.0), ("problem", 1.0), ("investigat*", 1.5),
        ("resolve", 1.5), ("sort it out", 2.0), ("bisect", 3.0), ("no matching", 1.5), ("cant resolve", 1.5),
        ("blank", 1.5), ("exit", 1.5), ("red", 1.5), ("take 0 second", 1.5), ("slow", 2.0),
        ("error handling", -2.0), ("drop", 2.0), ("didnt", 1.5), ("dont show up", 2.5), ("intermittently", 2.0),
        ("complain", 2.0), ("warning", 1.5), ("duplicate record", 1.0), ("n 0", 1.0), ("works locally", 2.0),
        ("only", 0.5), ("under load", 1.0), ("fine in", 1.5), ("help", 0.5), ("dies", 2.0), ("corrupt*", 2.0),
        ("doesnt", 1.5), ("isnt", 1.5), ("twice", 1.5), ("nan", 2.0), ("regression from", 1.5),
        ("expired", 1.0), ("leak*", 1.5), ("not found", 2.0), ("permission denied", 2.0), ("white screen", 2.5),
        ("robust", 1.0), ("profile it", 2.0), ("bottleneck", 2.0), ("after the upgrade", 1.0),
        ("works on my", 2.0), ("skips", 1.5), ("command not found", 1.0),
    ]),
    ("refactor", &[
        ("refactor", 3.5), ("rename", 3.0), ("restructur*", 3.0), ("reorganiz*", 3.0), ("reorganis*", 3.0),
        ("split", 2.0), ("extract", 2.0), ("clean up", 1.5), ("duplicat*", 1.5), ("deduplicate", 1.0),
        ("dead code", 2.5), ("simplify", 2.5), ("without changing", 3.0), ("functional change", 3.0),
        ("same behaviour", 3.0), ("same behavior", 3.0), ("behaviour", 1.5), ("behavior", 1.5),
        ("same functionality", 3.0), ("identical", 1.0), ("unchanged", 2.0), ("dry", 2.0), ("move", 1.5),
        ("into a separate", 1.5), ("moderni*", 2.5), ("migrate", 1.0), ("convert", 1.5), ("inline", 2.0),
        ("dependency injection", 2.5), ("magic number", 2.5), ("naming convention", 2.0), ("tidy", 2.0),
        ("consolidate", 2.0), ("break up", 2.0), ("replace", 1.5), ("swap out", 1.5), ("complexity", 2.0),
        ("unreadable", 2.0), ("readable", 1.5), ("into smaller", 2.0), ("everywhere", 1.5), ("caller", 1.5),
        ("import", 1.0), ("interface", 1.0), ("package", 1.0), ("module", 1.0), ("into a", 0.5), ("same", 1.0),
        ("must look the same", 2.0), ("layer", 1.0), ("pure", 1.5), ("mirror", 1.0), ("enum", 1.5),
        ("flatten", 2.0), ("get rid of", 1.5), ("into one", 2.0), ("rewrite", 1.5), ("turn the", 1.0),
        ("struct", 1.0), ("decouple", 3.0), ("pattern", 1.5), ("async await", 2.0), ("nested", 1.5),
        ("clearer", 1.5), ("constants", 1.5), ("global", 2.0), ("singleton", 1.5),
        ("code smell", 1.0), ("what it does", 1.0), ("dont change what", 2.0), ("keep", 0.5),
        ("better names", 2.0), ("messy", 1.5), ("consistent", 1.0), ("reusable", 1.5), ("composition", 2.0),
        ("shared", 1.0), ("generic helper", 1.5), ("helper", 1.0), ("stringly", 1.5), ("clean", 0.5),
    ]),
    ("deploy", &[
        ("deploy", 3.5), ("deployment", 3.0), ("redeploy", 3.5), ("deploy user", -3.0), ("publish", 2.5),
        ("release", 2.0), ("ship", 2.5), ("roll out", 3.0), ("rollout", 3.0), ("roll back", 3.0),
        ("rollback", 3.0), ("roll", 1.5), ("back to", 1.0), ("go live", 3.0), ("production", 2.0), ("prod", 2.5),
        ("staging", 2.0), ("helm", 1.5), ("helm upgrade", 1.5), ("kubectl", 1.5), ("pypi", 2.5),
        ("crates io", 2.5), ("testflight", 3.0), ("web store", 3.0), ("google play", 2.0), ("play store", 2.0),
        ("vercel", 1.5), ("netlify", 2.0), ("heroku", 2.5), ("fly io", 2.0), ("github pages", 2.5),
        ("registry", 1.5), ("canary", 2.5), ("blue green", 3.0), ("promote", 2.5), ("tag it", 1.5),
        ("cut a release", 2.0), ("release candidate", 2.0), ("release pipeline", 1.5), ("upload", 1.0),
        ("push the", 1.0), ("image", 0.5), ("invalidate the cache", 1.0), ("cloudfront", 1.0),
        ("environment", 1.0), ("testnet", 2.0), ("region", 1.0), ("to npm", 2.0), ("chart repo", 1.5),
        ("testing track", 1.5), ("live", 1.0), ("build of", 1.0), ("marketplace", 2.0), ("docker hub", 2.0),
        ("pipeline", 1.0), ("preview environment", 2.0), ("rolling restart", 2.0), ("patch version", 2.0),
        ("hotfix", 2.0), ("get the", 0.5), ("out to", 1.5), ("purge the cdn", 1.5), ("channel", 0.5),
        ("read the docs", 1.5), ("track", 1.0), ("beta build", 2.0), ("artifacts", 1.5),
    ]),
    ("data", &[
        ("csv", 3.0), ("parquet", 3.0), ("xlsx", 3.0), ("excel", 2.5), ("spreadsheet", 2.5), ("sheet", 1.5),
        ("sql", 2.5), ("query", 2.0), ("database", 1.5), ("db", 1.5), ("table", 1.5), ("chart", 2.5),
        ("plot", 2.5), ("histogram", 3.0), ("pandas", 3.0), ("dataframe", 3.0), ("column", 2.0), ("row", 2.0),
        ("bigquery", 3.0), ("analytics", 1.5), ("aggregate", 2.5), ("pivot", 3.0), ("correlat*", 3.0),
        ("regression", 2.0), ("average", 2.0), ("median", 2.0), ("mean", 1.0), ("outlier", 3.0),
        ("data quality", 3.0), ("missing values", 3.0), ("duplicate rows", 2.5), ("json", 1.0), ("cohort", 3.0),
        ("retention", 2.0), ("revenue", 2.0), ("statistics", 2.0), ("stats", 2.0), ("count", 1.5),
        ("how many rows", 2.0), ("resample", 3.0), ("sensor data", 2.0), ("normaliz*", 2.0), ("normalis*", 2.0),
        ("tokeniz*", 1.5), ("materialized view", 3.0), ("sample", 1.5), ("per month", 1.5), ("per week", 1.5),
        ("per", 1.0), ("by month", 1.5), ("join", 1.5), ("merge", 1.0), ("filter", 1.5), ("sort", 1.0),
        ("spending", 1.5), ("timesheet", 2.0), ("data", 1.5), ("dataset", 2.5), ("significance", 3.0),
        ("conversion", 1.0), ("total", 1.0), ("latencies", 1.0), ("distribution", 2.0), ("numeric", 2.0),
        ("export", 0.5), ("anomal*", 2.0), ("percentage", 1.5), ("quartile", 2.0), ("analys*", 1.5),
        ("analyz*", 1.5), ("reshape", 2.5), ("format", 0.5), ("funnel", 2.0), ("churn", 2.0),
        ("rolling average", 2.5), ("groupby", 3.0), ("scatter", 2.0), ("visualis*", 2.0), ("visualiz*", 2.0),
        ("etl", 1.0), ("dbt", 2.5), ("crm", 1.0), ("geocode", 2.0), ("categori*", 1.0), ("time series", 2.0),
        ("users who", 1.5), ("imbalance", 2.0), ("label counts", 1.5), ("extract all", 1.5), ("top 0", 1.5),
    ]),
    ("communicate", &[
        ("email", 2.5), ("send", 1.5), ("message", 2.5), ("slack", 2.0), ("dm", 3.0), ("tweet", 3.0),
        ("post", 2.0), ("reply", 3.0), ("respond", 2.5), ("let the team know", 3.0), ("know", 1.0), ("let", 0.5),
        ("text", 1.5), ("whatsapp", 3.0), ("group text", 2.0), ("announc*", 3.0), ("notify", 2.5),
        ("forward", 2.5), ("follow up", 2.5), ("thank you note", 2.0), ("thank", 1.0), ("write to", 2.0),
        ("write back", 2.5), ("compose", 2.5), ("draft", 1.5), ("linkedin", 2.0), ("discord", 1.0),
        ("channel", 2.0), ("teams", 1.0), ("intercom", 2.0), ("zendesk", 2.0), ("comment on", 2.0),
        ("status update", 2.0), ("newsletter", 1.5), ("reply all", 2.0), ("apologi*", 2.0), ("decline", 1.5),
        ("tell him", 1.5), ("tell her", 1.5), ("tell the customer", 1.5), ("say", 1.5),
        ("subscriber", 1.5), ("stakeholder", 1.5), ("the board", 1.0), ("inform", 2.5), ("ping", 1.0),
        ("mom", 1.0), ("the customer", 1.0), ("customer review", 1.5), ("status page", 2.0),
        ("support team", 1.5), ("ask", 1.5), ("confirm", 1.0), ("nudge", 2.0), ("sms", 2.5),
        ("congratulation*", 2.5), ("welcome email", 1.5), ("answer the email", 2.5), ("share", 1.0),
        ("respond to the", 1.0), ("let my", 1.5), ("let them know", 2.0), ("card message", 1.5), ("note", 0.5),
    ]),
    ("schedule", &[
        ("schedule", 3.0), ("reschedule", 3.0), ("calendar", 3.0), ("remind", 3.0), ("reminder", 3.0),
        ("meeting", 2.0), ("meeting note", -2.5), ("appointment", 3.0), ("book", 2.0), ("cancel", 1.5),
        ("standup", 1.5), ("cron", 2.5), ("cronjob", 2.5), ("monday", 1.5), ("tuesday", 1.5), ("wednesday", 1.5),
        ("thursday", 1.5), ("friday", 1.5), ("saturday", 1.0), ("sunday", 1.5), ("tomorrow", 1.5),
        ("tonight", 1.0), ("next week", 1.5), ("this week", 1.0), ("every", 1.5), ("daily", 1.5),
        ("weekly", 1.5), ("hourly", 2.0), ("yearly", 1.5), ("quarterly", 1.0), ("recurring", 2.0),
        ("find a time", 2.5), ("slot", 2.0), ("free hour", 2.0), ("time zone", 1.5), ("timer", 2.5),
        ("alarm", 3.0), ("block out", 2.0), ("block two hours", 2.0), ("focus time", 2.0), ("deep work", 1.5),
        ("0am", 2.0), ("0pm", 2.0), ("plan", 1.0), ("deadline", 1.5), ("birthday", 1.0), ("day off", 1.5),
        ("offsite", 1.5), ("conference room", 2.0), ("midnight", 1.5), ("every other", 2.0), ("repeat", 2.0),
        ("0 0", 0.5), ("invite", 2.0), ("all hand", 1.0), ("at 0", 1.0), ("in 0 hour", 1.5), ("in 0 minute", 2.0),
        ("lunch with", 1.5), ("on the 0th", 1.0), ("move my", 1.5), ("push my", 1.5), ("back by", 1.0),
        ("for the next", 1.0), ("review meeting", 2.0), ("from today", 1.5), ("week", 0.5), ("call with", 1.5),
        ("all day", 1.5), ("table for", 2.0), ("event", 1.5), ("weekday", 1.5), ("holiday", 1.0),
        ("morning", 0.5), ("afternoon", 1.0), ("wedding on", 1.0), ("in october", 0.5), ("suggest", 0.5),
    ]),
    ("pay", &[
        ("pay", 3.0), ("payment", 3.0), ("paid", 3.0), ("invoice", 2.5), ("transfer", 2.5), ("buy", 3.0),
        ("purchase", 3.0), ("order", 0.5), ("^order", 2.5), ("amazon", 2.0), ("wire", 2.5), ("refund", 3.0),
        ("reimburse", 3.0), ("venmo", 3.0), ("paypal", 3.0), ("cash app", 3.0), ("stripe", 1.0),
        ("subscription", 2.5), ("subscribe", 2.5), ("renew", 1.5), ("card", 2.0), ("bill", 2.5), ("tip", 1.5),
        ("checkout", 2.0), ("cart", 2.5), ("ticket", 1.0), ("top up", 3.0), ("eur", 2.0), ("euros", 2.0),
        ("usd", 2.0), ("gbp", 2.0), ("dollar", 2.0), ("pound", 2.0), ("$", 1.5), ("€", 1.5), ("£", 1.5),
        ("eth", 2.0), ("wallet", 2.0), ("credit note", 3.0), ("dispute", 2.5), ("charge", 2.0), ("cost", 1.0),
        ("share", 0.5), ("seats", 1.5), ("plan", 0.5), ("credits", 1.5), ("domain", 1.0), ("settle", 2.5),
        ("rent", 2.0), ("quickbooks", 2.0), ("tax", 1.5), ("account", 0.5), ("savings", 2.0),
        ("checking", 1.5), ("send my", 1.0), ("back the", 1.0), ("tickets for", 1.5), ("deposit", 2.0),
        ("direct debit", 2.5), ("membership", 1.5), ("gift card", 1.0), ("donate", 3.0), ("license", 1.0),
        ("payroll", 2.5), ("fee", 1.5), ("balance", 1.5), ("loan", 1.5), ("insurance", 1.5), ("amex", 2.5),
        ("visa", 1.0), ("splitwise", 2.5), ("annual plan", 2.0),
    ]),
    ("admin", &[
        ("install", 3.0), ("uninstall", 3.0), ("set up", 1.5), ("configure", 2.0), ("restart", 2.5),
        ("reboot", 3.0), ("upgrade", 1.5), ("kernel", 2.5), ("packages", 1.5), ("firewall", 3.0), ("port", 1.5),
        ("ssh", 2.5), ("sudo", 2.0), ("user account", 2.0), ("user", 1.0), ("account", 1.0), ("access", 2.0),
        ("permission", 2.5), ("chmod", 3.0), ("chown", 3.0), ("iam", 2.5), ("role", 1.5), ("dns", 3.0),
        ("load balancer", 1.5), ("vpn", 3.0), ("swap", 2.0), ("disk", 2.5), ("volume", 1.5), ("mount", 2.5),
        ("fstab", 3.0), ("node pool", 2.5), ("scale", 1.5), ("kubernetes", 1.0), ("cluster", 1.0),
        ("server", 1.5), ("vm", 2.0), ("log rotation", 3.0), ("logrotate", 3.0), ("certificate", 2.0),
        ("lets encrypt", 3.0), ("credentials", 2.5), ("rotat*", 2.5), ("password", 1.5), ("mfa", 2.5),
        ("okta", 2.0), ("github org", 2.0), ("org", 1.0), ("terraform", 2.0), ("vpc", 2.0),
        ("prometheus", 2.0), ("grafana", 2.0), ("monitor", 1.5), ("nginx", 2.0), ("docker", 1.0),
        ("static ip", 3.0), ("router", 1.5), ("nas", 1.5), ("pyenv", 2.0), ("kill", 2.0), ("process", 1.0),
        ("cpu", 1.5), ("security updates", 2.0), ("service", 1.5), ("new hire", 1.5), ("left the company", 2.0),
        ("reset the password", 2.0), ("enable", 1.5), ("disable", 1.5), ("root login", 2.0), ("bucket", 2.0),
        ("free up", 2.0), ("runner", 1.0), ("and a user", 1.5), ("node", 1.0), ("grant", 2.0), ("remove", 1.0),
        ("workspace", 1.0), ("upgrade all", 1.5), ("hostname", 2.5), ("provision", 2.5), ("instance", 1.0),
        ("printer", 2.0), ("backups", 1.5), ("https", 1.0), ("certbot", 3.0), ("namespace", 1.5),
        ("quota", 1.5), ("group", 1.0), ("harden", 3.0), ("api keys", 1.0), ("vault", 1.5), ("drivers", 2.0),
        ("service account", 2.0), ("admin rights", 2.0), ("wi fi", 2.0), ("network", 1.0), ("encryption", 1.5),
        ("mdm", 2.5), ("security group", 2.0), ("mx record", 2.5), ("control plane", 2.0), ("build agents", 1.5),
        ("timezone of", 1.5), ("bastion", 2.0), ("limit", 0.5), ("guest account", 2.0),
        ("shared drive", 1.5), ("read access", 2.0), ("fail0ban", 3.0), ("sshd", 3.0), ("raspberry pi", 1.5),
        ("systemd", 1.5),
    ]),
    ("unknown", &[
        ("hi", 3.0), ("hello", 3.0), ("hey", 2.0), ("thanks", 2.0), ("thank you", 1.0), ("good morning", 3.0),
        ("good night", 3.0), ("bonjour", 3.0), ("joke", 3.0), ("poem", 3.0), ("haiku", 3.0),
        ("meaning of life", 3.0), ("bored", 3.0), ("how are you", 3.0), ("your name", 3.0), ("sentient", 3.0),
        ("lol", 3.0), ("never mind", 3.0), ("nevermind", 3.0), ("whats up", 3.0), ("favourite", 2.5),
        ("favorite", 2.5), ("brainstorm", 2.0), ("motivational", 3.0), ("quote", 1.5), ("dream", 2.5),
        ("sandwich", 3.0), ("translate", 2.5), ("movie", 2.5), ("fight", 2.0), ("ok", 2.0), ("okay", 2.0),
        ("yes", 2.0), ("help me with something", 3.0), ("continue", 2.5), ("not sure", 2.0), ("handle it", 2.5),
        ("the thing", 2.0), ("same as before", 2.5), ("talked about", 2.0), ("that all", 1.5), ("are you", 2.0),
        ("who would win", 3.0), ("what can you do", 3.0), ("just testing", 3.0), ("if you work", 3.0),
        ("love you", 3.0), ("are we there yet", 3.0), ("tell me something", 3.0), ("secret", 2.0),
        ("feeling", 2.5), ("do you", 2.0), ("banana", 2.0), ("what should i do", 2.5), ("whatever you think", 3.0),
        ("did you see", 2.5), ("can we talk", 3.0), ("youre the best", 3.0), ("who made you", 3.0),
        ("knock knock", 3.0), ("play a game", 3.0), ("what would you do", 3.0), ("wrong chat", 3.0),
        ("why is the sky", 3.0), ("um*", 1.5), ("hmm*", 1.5), ("in your world", 2.0), ("interesting", 1.0),
    ]),
];

/// Words a request may open with before its verb: `^phrase` matches after any of these.
const OPENERS: &[&str] = &[
    "please", "pls", "plz", "can", "could", "would", "will", "you", "u", "hey", "hi", "hello", "ok", "okay", "so",
    "just", "kindly", "now", "quickly", "i", "need", "want", "to", "a", "quick", "also",
];

/// One phrase: its words (stemmed) and weight.
#[derive(Clone, Debug)]
struct Phrase {
    words: Vec<Word>,
    weight: f64,
    /// Only at the start of the request (after [`OPENERS`]).
    anchored: bool,
}

#[derive(Clone, Debug)]
enum Word {
    Exact(String),
    Prefix(String),
    Suffix(String),
}

impl Word {
    fn parse(text: &str) -> Self {
        if let Some(prefix) = text.strip_suffix('*') {
            Word::Prefix(prefix.to_owned())
        } else if let Some(suffix) = text.strip_prefix('*') {
            Word::Suffix(suffix.to_owned())
        } else {
            Word::Exact(stem(text))
        }
    }

    fn matches(&self, stem: &str, word: &str) -> bool {
        match self {
            Word::Exact(exact) => exact == stem,
            Word::Prefix(prefix) => word.starts_with(prefix.as_str()),
            Word::Suffix(suffix) => word.len() > suffix.len() && word.ends_with(suffix.as_str()),
        }
    }
}

impl Phrase {
    fn parse(text: &str, weight: f64) -> Self {
        let (anchored, text) = match text.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        // Phrases are written as the user would; they are split as requests are.
        let words = text.split_whitespace().flat_map(|part| {
            if part.contains('*') || matches!(part, "$" | "€" | "£") {
                vec![part.to_owned()]
            } else {
                super::text::words(part)
            }
        });
        Self { words: words.map(|w| Word::parse(&w)).collect(), weight, anchored }
    }

    /// Whether the phrase occurs in a request's words (and their stems); `opening` is where
    /// the request starts once its openers are skipped.
    fn occurs_in(&self, stems: &[String], words: &[String], opening: usize) -> bool {
        let n = self.words.len();
        if n == 0 || n > stems.len() {
            return false;
        }
        let matches_at = |(stem_window, word_window): (&[String], &[String])| {
            self.words.iter().zip(stem_window.iter().zip(word_window)).all(|(p, (s, w))| p.matches(s, w))
        };
        if self.anchored {
            return stems.get(opening..opening + n).zip(words.get(opening..opening + n)).is_some_and(matches_at);
        }
        stems.windows(n).zip(words.windows(n)).any(matches_at)
    }
}

/// Classifies by keyword rules; needs no training.
#[derive(Clone, Debug)]
pub struct RuleClassifier {
    types: Vec<(String, Vec<Phrase>)>,
}

impl Default for RuleClassifier {
    fn default() -> Self {
        Self::builtin()
    }
}

impl RuleClassifier {
    /// The built-in rules.
    pub fn builtin() -> Self {
        let types = RULES
            .iter()
            .map(|(id, phrases)| ((*id).to_owned(), phrases.iter().map(|(text, weight)| Phrase::parse(text, *weight)).collect()))
            .collect();
        Self { types }
    }

    /// Every task type's score for `request`, in the rules' order (`unknown` last).
    pub fn scores(&self, request: &str) -> Vec<(&str, f64)> {
        let words = super::text::words(request);
        let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
        let opening = words.iter().take_while(|w| OPENERS.contains(&w.as_str())).count();
        self.types
            .iter()
            .map(|(id, phrases)| {
                let score = phrases.iter().filter(|p| p.occurs_in(&stems, &words, opening)).map(|p| p.weight).sum();
                (id.as_str(), score)
            })
            .collect()
    }
}

impl Classifier for RuleClassifier {
    fn classify(&self, request: &str) -> Classification {
        let scores = self.scores(request);
        let unknown_score = scores.iter().find(|(id, _)| *id == UNKNOWN).map_or(0.0, |(_, s)| *s);
        let mut best: Option<(&str, f64)> = None;
        let mut runner_up = 0.0_f64;
        for &(id, score) in scores.iter().filter(|(id, _)| *id != UNKNOWN) {
            match best {
                Some((_, top)) if score <= top => runner_up = runner_up.max(score),
                _ => {
                    if let Some((_, top)) = best {
                        runner_up = runner_up.max(top);
                    }
                    best = Some((id, score));
                }
            }
        }
        let unknown = |confidence: f64| Classification { task_type: UNKNOWN.to_owned(), confidence, method: Method::Rules };
        match best {
            Some((id, top)) if top >= MIN_EVIDENCE && top > unknown_score => {
                let margin = top - runner_up.max(unknown_score).max(0.0);
                Classification { task_type: id.to_owned(), confidence: squash(margin), method: Method::Rules }
            }
            Some((_, top)) if unknown_score >= top.max(MIN_EVIDENCE) => unknown(squash(unknown_score - top.max(0.0))),
            // Nothing (or too little) matched: the less evidence there was for a type, the
            // surer it is that none fits.
            Some((_, top)) => unknown((1.0 - top.max(0.0) / MIN_EVIDENCE).max(0.0)),
            None => unknown(1.0),
        }
    }
}

fn squash(margin: f64) -> f64 {
    if margin.is_finite() && margin > 0.0 { margin / (margin + MARGIN_SCALE) } else { 0.0 }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
