//! `aethelgard learn --sessions FILE --out policy.toml`: layer 2, the tool-exposure policy learned
//! from logged sessions, with a training curve beside the output.

use aethelgard_governor::learned::LearnedPolicy;
use aethelgard_learn::baselines::Frequency;
use aethelgard_learn::curve::{self, Series};
use aethelgard_learn::episode::{Episode, ToolBook, ToolSpec, episodes_from_sessions};
use aethelgard_learn::gym::Gym;
use aethelgard_learn::ppo::{PpoConfig, train_ppo};
use aethelgard_learn::supervised::{SupervisedConfig, train_supervised};
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Which learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Algo {
    /// Proximal policy optimisation over a factorised Bernoulli grant (the paper's method).
    Ppo,
    /// The same model trained by binary cross-entropy on the tools each session needed.
    Supervised,
    /// Per task type, the union of the tools successful sessions of that type used.
    Frequency,
}

impl Algo {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ppo => "ppo",
            Self::Supervised => "supervised",
            Self::Frequency => "frequency",
        }
    }
}

/// The flags of `aethelgard learn` without a subcommand.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// Session JSONL to learn from (`aethelgard import --out`, `audit export`, `aethelgard gym`).
    #[arg(long, value_name = "FILE")]
    pub sessions: Option<PathBuf>,
    /// A tool catalog (JSONL: name, description, risk) describing tools the built-in catalogs do
    /// not; repeatable. The built-in Codex, Claude Code, OpenClaw and gym catalogs are always
    /// read.
    #[arg(long, value_name = "FILE")]
    pub catalog: Vec<PathBuf>,
    /// The learner.
    #[arg(long, value_enum, default_value_t = Algo::Ppo)]
    pub algo: Algo,
    /// Seeds the weights, the visiting order and the sampled grants.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Training settings as TOML (`PpoConfig` or `SupervisedConfig` fields; docs/learning.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where to write the learned policy (TOML); the training curve goes beside it
    /// (`NAME.curve.svg`), and for ppo and supervised the model (`NAME.model.safetensors` with
    /// `NAME.model.json`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The policy whose classifier labels sessions that carry no task type.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: &PolicyArgs) -> anyhow::Result<ExitCode> {
    let (Some(sessions), Some(out)) = (&args.sessions, &args.out) else {
        anyhow::bail!(
            "`aethelgard learn` needs --sessions FILE and --out policy.toml (or a subcommand: `aethelgard learn classifier`); see `aethelgard learn --help`"
        );
    };
    let records = crate::audit::sessions_in_file(sessions)?;
    let book = tool_book(&args.catalog)?;
    let (mut episodes, report) = episodes_from_sessions(&records, &book);
    eprintln!(
        "{} sessions: {} episodes ({} needs from their own successful run, {} from a successful run of the same task); skipped {} with no successful run of their task, {} with no tools",
        report.sessions, report.episodes, report.from_own_run, report.from_same_task, report.skipped_no_success, report.skipped_no_tools
    );
    if !report.undescribed_tools.is_empty() {
        let names: Vec<&str> = report.undescribed_tools.iter().map(String::as_str).take(10).collect();
        eprintln!(
            "warning: {} tool(s) have no description in any catalog ({}{}); the learner sees only their absence. Pass --catalog FILE",
            report.undescribed_tools.len(),
            names.join(", "),
            if report.undescribed_tools.len() > 10 { ", ..." } else { "" }
        );
    }
    if episodes.is_empty() {
        anyhow::bail!("nothing to learn from in {}: no session succeeded (needs are inferred from successful runs)", sessions.display());
    }
    label_task_types(&mut episodes, args.policy.as_deref())?;

    let started = Instant::now();
    let (policy, curve_svg, model) = match args.algo {
        Algo::Frequency => (frequency_policy(&episodes), None, None),
        Algo::Ppo => {
            let mut config: PpoConfig = read_config(args.config.as_deref(), "PPO")?;
            config.seed = args.seed;
            let bar = bar(args.quiet, config.updates as u64, "PPO updates");
            let (model, curve) = train_ppo(&episodes, &config, &mut |stats| {
                bar.set_message(format!("reward {:.3}, economy {:.3}, accuracy {:.3}", stats.mean_reward, stats.greedy_economy, stats.greedy_accuracy));
                bar.inc(1);
            })?;
            bar.finish_and_clear();
            let svg = curve::svg("PPO training curve (deterministic grant)", "update", &[
                Series { name: "mean reward / 2", values: curve.iter().map(|s| s.mean_reward / 2.0).collect() },
                Series { name: "accuracy", values: curve.iter().map(|s| s.greedy_accuracy).collect() },
                Series { name: "economy", values: curve.iter().map(|s| s.greedy_economy).collect() },
                Series { name: "safety", values: curve.iter().map(|s| s.greedy_safety).collect() },
                Series { name: "share granted", values: curve.iter().map(|s| s.greedy_granted).collect() },
            ]);
            (model.to_learned_policy(&episodes, "ppo")?, Some(svg), Some(model))
        }
        Algo::Supervised => {
            let mut config: SupervisedConfig = read_config(args.config.as_deref(), "supervised")?;
            config.seed = args.seed;
            let bar = bar(args.quiet, config.epochs as u64, "epochs");
            let (model, curve) = train_supervised(&episodes, &config, &mut |_| bar.inc(1))?;
            bar.finish_and_clear();
            let points: Vec<serde_json::Value> = curve.iter().filter_map(|s| serde_json::to_value(s).ok()).collect();
            let series: Vec<Series<'_>> = ["loss", "accuracy", "economy"]
                .into_iter()
                .filter(|key| points.first().is_some_and(|p| p.get(*key).is_some()))
                .map(|key| Series { name: key, values: points.iter().map(|p| p.get(key).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN)).collect() })
                .collect();
            let svg = curve::svg("supervised training curve", "epoch", &series);
            (model.to_learned_policy(&episodes, "supervised")?, Some(svg), Some(model))
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let mut policy = policy;
    policy.created_at = Some(aethelgard_audit::time::rfc3339(aethelgard_audit::time::now_ms()));
    policy.training.insert("sessions".to_owned(), toml::Value::String(sessions.display().to_string()));
    policy.training.insert("seed".to_owned(), toml::Value::Integer(i64::try_from(args.seed).unwrap_or(i64::MAX)));
    policy.training.insert("seconds".to_owned(), toml::Value::Float((seconds * 1000.0).round() / 1000.0));
    std::fs::write(out, policy.to_toml()).with_context(|| format!("cannot write {}", out.display()))?;
    // The file must load as the governor reads it.
    LearnedPolicy::load(out).with_context(|| format!("the written policy {} does not load", out.display()))?;
    eprintln!("wrote {} ({}, {} task types, {seconds:.2} s)", out.display(), args.algo.as_str(), policy.task_types.len());
    if let Some(svg) = curve_svg {
        let path = out.with_extension("curve.svg");
        std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("training curve: {}", path.display());
    }
    if let Some(model) = model {
        let path = out.with_extension("model.safetensors");
        model.save(&path)?;
        eprintln!("model: {}", path.display());
    }
    eprintln!("use it: aethelgard scope --learned {} --task \"...\"  (or `[governor] learned` in the policy)", out.display());
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on stderr counting `unit`s, hidden when `quiet`.
pub fn bar(quiet: bool, len: u64, unit: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let template = format!("{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Training settings from a TOML file (every field optional), or the defaults without one.
pub fn read_config<T: serde::de::DeserializeOwned + Default>(path: Option<&Path>, what: &str) -> anyhow::Result<T> {
    let Some(path) = path else { return Ok(T::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is not a valid {what} config", path.display()))
}

/// Descriptions of every tool the built-in catalogs, the gym and `--catalog` files know.
pub fn tool_book(extra: &[PathBuf]) -> anyhow::Result<ToolBook> {
    let mut book = ToolBook::builtin()?;
    book.extend(Gym::builtin()?.tool_book().specs().cloned());
    for path in extra {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let entries = aethelgard_policy::Catalog::parse_jsonl(&text, &path.display().to_string())?;
        book.extend(entries.iter().map(ToolSpec::from));
    }
    Ok(book)
}

/// Episodes without a task type get the governor's classification of their request.
fn label_task_types(episodes: &mut [Episode], policy: Option<&Path>) -> anyhow::Result<()> {
    if episodes.iter().all(|episode| episode.task_type.is_some()) {
        return Ok(());
    }
    let governor = crate::load::governor(policy, None)?;
    let mut labelled = 0;
    for episode in episodes.iter_mut().filter(|episode| episode.task_type.is_none()) {
        if let Ok(classification) = governor.classify(Some(&episode.task), None) {
            episode.task_type = Some(classification.task_type);
            labelled += 1;
        }
    }
    eprintln!("{labelled} sessions without a task type were labelled by the task classifier");
    Ok(())
}

/// The frequency baseline as a learned policy file: each type's tools granted outright.
fn frequency_policy(episodes: &[Episode]) -> LearnedPolicy {
    let frequency = Frequency::train(episodes);
    let mut policy = LearnedPolicy::new("frequency");
    for (task_type, tools) in frequency.task_types() {
        policy.task_types.insert(
            task_type.to_owned(),
            aethelgard_governor::learned::LearnedGrants { grant: tools.iter().cloned().collect(), scores: Default::default() },
        );
    }
    policy
}
