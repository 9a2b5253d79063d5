//! `aethelgard gym`: generate agent sessions from the scenario gym, as session JSONL, for `learn`,
//! `report` or your own analysis.

use aethelgard_learn::gym::{AllowAll, CallGuard, Gym, GymConfig, RouterGuard, TemplateSplit};
use anyhow::Context as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  aethelgard gym --sessions 10000 --seed 1 --out gym.jsonl
      10,000 sessions from every training catalog and template, all tools visible, the router
      judging calls: training logs for `aethelgard learn`
  aethelgard gym --catalog support --split all --sessions 500 --out support.jsonl
      the held-out catalog
  aethelgard gym --list
      the catalogs and task families

Each line is a session record (docs/formats.md) with the gym's ground truth in `needed`; `learn`
ignores it and infers the needs from the calls, as it must for real logs. Docs: docs/learning.md.";

/// Generate agent sessions from the scenario gym (session JSONL).
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// How many sessions.
    #[arg(long, default_value_t = 1000)]
    pub sessions: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Catalogs to draw from (comma-separated); default: every training catalog (not the
    /// held-out one).
    #[arg(long, value_delimiter = ',')]
    pub catalog: Vec<String>,
    /// Which templates: train, heldout or all.
    #[arg(long, default_value = "train", value_parser = ["train", "heldout", "all"])]
    pub split: String,
    /// Share of sessions carrying a prompt injection.
    #[arg(long, default_value_t = aethelgard_learn::gym::scenario::DEFAULT_INJECTION_RATE)]
    pub injection_rate: f64,
    /// Let every call run instead of routing it.
    #[arg(long)]
    pub no_router: bool,
    /// Where to write; `-` or absent: stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// List the catalogs and families and exit.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let gym = Gym::builtin()?;
    if args.list {
        for catalog in gym.catalogs() {
            println!("catalog {:<16} {:>3} tools{}", catalog.name, catalog.tools.len(), if catalog.heldout { "  (held out)" } else { "" });
        }
        for family in gym.families() {
            println!("family  {:<32} {:<12} {:>2} templates", family.id, family.task_type, family.templates.len());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !(0.0..=1.0).contains(&args.injection_rate) {
        anyhow::bail!("--injection-rate must lie between 0 and 1");
    }
    for name in &args.catalog {
        if gym.catalog(name).is_none() {
            let known: Vec<&str> = gym.catalogs().iter().map(|c| c.name.as_str()).collect();
            anyhow::bail!("unknown gym catalog `{name}`; known: {}", known.join(", "));
        }
    }
    let config = GymConfig {
        seed: args.seed,
        sessions: args.sessions,
        injection_rate: args.injection_rate,
        catalogs: Some(if args.catalog.is_empty() { gym.training_catalogs() } else { args.catalog.clone() }),
        families: None,
        templates: match args.split.as_str() {
            "heldout" => TemplateSplit::Heldout,
            "all" => TemplateSplit::All,
            _ => TemplateSplit::Train,
        },
    };
    let mut guard: Box<dyn CallGuard> = if args.no_router { Box::new(AllowAll) } else { Box::new(RouterGuard::builtin(&gym)?) };
    let records = gym.logs(&config, guard.as_mut())?;
    let mut text = String::new();
    for record in &records {
        text.push_str(&serde_json::to_string(record)?);
        text.push('\n');
    }
    match args.out.as_ref().filter(|path| path.as_os_str() != "-") {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} sessions to {}", records.len(), path.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(error) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
                && error.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(error).context("cannot write the sessions");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
