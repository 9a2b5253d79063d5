//! `aethelgard eval`: every exposure method through the same gym evaluation, over seeds, on
//! held-out templates and a held-out catalog; one table with confidence intervals.

use aethelgard_learn::eval::{self, EvalConfig, Method, Progress};
use aethelgard_learn::gym::Gym;
use aethelgard_learn::ppo::PpoConfig;
use aethelgard_learn::supervised::SupervisedConfig;
use super::learn_policy::read_config;
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  aethelgard eval
      5 seeds, 3,000 training sessions and 1,000 test sessions per split each (a few minutes)
  aethelgard eval --seeds 10 --json > eval.json
      more seeds; every per-seed result and the summary rows as JSON
  aethelgard eval --methods static,ppo --no-router
      two methods, without the router judging calls (governance by exposure alone)

What it does, per seed: generates training logs in the gym (training catalogs, training
templates, every tool visible, the router judging calls); infers each session's needs from the
logs alone; trains frequency, supervised and PPO on them; plays every method's grant on two
held-out sets: the training catalogs' held-out templates, and the held-out catalog (tools never
seen in training). Columns: SER with task success and the required-tool denial rate beside it;
overprovision; attack surface reduction; dangerous tools granted that the task did not need;
injections whose call ran; calls the router blocked per session; injections the model refused
(kept apart from governance); training time; the degeneracy gate. Docs: docs/learning.md.";

/// Compare every exposure method on the gym, with confidence intervals over seeds.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Number of seeds (1, 2, ... N); at least 2 for an interval, 5 or more to report.
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// Training sessions generated per seed.
    #[arg(long, default_value_t = EvalConfig::default().train_sessions)]
    pub train_sessions: usize,
    /// Test sessions per held-out split per seed.
    #[arg(long, default_value_t = EvalConfig::default().test_sessions)]
    pub test_sessions: usize,
    /// Share of sessions carrying a prompt injection.
    #[arg(long, default_value_t = EvalConfig::default().injection_rate)]
    pub injection_rate: f64,
    /// Methods to compare (comma-separated): all-tools, static, frequency, supervised, ppo,
    /// oracle.
    #[arg(long, value_delimiter = ',', value_parser = parse_method)]
    pub methods: Vec<Method>,
    /// Let every call run (no router): measures exposure alone.
    #[arg(long)]
    pub no_router: bool,
    /// Test on new sessions of the training templates instead of the held-out splits: for
    /// choosing settings without looking at held-out data.
    #[arg(long)]
    pub validation: bool,
    /// PPO settings as TOML (fields of `PpoConfig`; docs/learning.md).
    #[arg(long, value_name = "FILE")]
    pub ppo_config: Option<PathBuf>,
    /// Supervised settings as TOML (fields of `SupervisedConfig`; docs/learning.md).
    #[arg(long, value_name = "FILE")]
    pub supervised_config: Option<PathBuf>,
    /// Print every result as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write the table as Markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_method(text: &str) -> Result<Method, String> {
    Ok(match text {
        "all-tools" | "all" => Method::AllTools,
        "static" => Method::Static,
        "frequency" => Method::Frequency,
        "supervised" => Method::Supervised,
        "ppo" => Method::Ppo,
        "oracle" => Method::Oracle,
        other => return Err(format!("unknown method `{other}`; known: all-tools, static, frequency, supervised, ppo, oracle")),
    })
}

pub fn config_of(args: &Args) -> anyhow::Result<EvalConfig> {
    if args.seeds == 0 {
        anyhow::bail!("--seeds must be at least 1");
    }
    if !(0.0..=1.0).contains(&args.injection_rate) {
        anyhow::bail!("--injection-rate must lie between 0 and 1");
    }
    let ppo: PpoConfig = read_config(args.ppo_config.as_deref(), "PPO")?;
    let supervised: SupervisedConfig = read_config(args.supervised_config.as_deref(), "supervised")?;
    Ok(EvalConfig {
        seeds: (1..=args.seeds).collect(),
        train_sessions: args.train_sessions,
        test_sessions: args.test_sessions,
        injection_rate: args.injection_rate,
        methods: if args.methods.is_empty() { Method::ALL.to_vec() } else { args.methods.clone() },
        router: !args.no_router,
        validation: args.validation,
        ppo,
        supervised,
    })
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let config = config_of(args)?;
    let gym = Gym::builtin()?;
    let report = run_with_bar(&gym, &config, args.quiet)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", eval::render(&report));
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, eval::render_markdown(&report)).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the evaluation with a progress bar on stderr (hidden with `quiet`).
pub fn run_with_bar(gym: &Gym, config: &EvalConfig, quiet: bool) -> anyhow::Result<eval::Report> {
    let bar = super::learn_policy::bar(quiet, 0, "steps");
    let report = eval::evaluate(gym, config, &mut |progress| match progress {
        Progress::Step { seed, what } => bar.set_message(format!("seed {seed}: {what}")),
        Progress::Done { done, total } => {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    })?;
    bar.finish_and_clear();
    Ok(report)
}
