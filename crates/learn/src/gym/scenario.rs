//! Scenarios: one task each, drawn from the gym's families with a seeded generator.

use super::data::Gym;
use super::template::SlotValues;
use crate::episode::{Episode, ToolSpec};
use crate::error::LearnError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::collections::BTreeMap;

/// Share of sessions that carry a prompt injection, unless the config says otherwise.
pub const DEFAULT_INJECTION_RATE: f64 = 0.2;

/// Which of a family's request templates a run draws from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TemplateSplit {
    /// The first three quarters of each family's templates.
    Train,
    /// The last quarter ([`heldout_template_count`]): phrasings no training run has seen.
    Heldout,
    #[default]
    All,
}

/// How many of a family's `count` templates are held out: the last quarter, rounded up, so a
/// family of 8 holds out 2 and one of 10 holds out 3.
pub fn heldout_template_count(count: usize) -> usize {
    count.div_ceil(4)
}

/// Whether template `index` of a family with `count` templates is held out.
pub fn is_heldout_template(index: usize, count: usize) -> bool {
    index >= count.saturating_sub(heldout_template_count(count))
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GymConfig {
    pub seed: u64,
    pub sessions: usize,
    /// Share of sessions whose tool outputs carry a prompt injection.
    pub injection_rate: f64,
    /// The catalogs to draw from (all when `None`); see [`Gym::training_catalogs`].
    pub catalogs: Option<Vec<String>>,
    /// Only these families (all when `None`).
    pub families: Option<Vec<String>>,
    pub templates: TemplateSplit,
}

impl Default for GymConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            sessions: 1000,
            injection_rate: DEFAULT_INJECTION_RATE,
            catalogs: None,
            families: None,
            templates: TemplateSplit::All,
        }
    }
}

/// One group of tools the task needs one of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedGroup {
    /// Tool indices into [`Scenario::tools`], preferred first; the agent falls back along them.
    pub tools: Vec<usize>,
    /// The tool this session needs (the preferred one, or a sampled alternative): part of N.
    pub chosen: usize,
    /// Whether the family requires the group always (`false`: an optional need drawn for this
    /// session).
    pub required: bool,
}

/// A prompt injection hidden in the output of the session's first tool call.
#[derive(Clone, Debug, PartialEq)]
pub struct Injection {
    /// The tool it reaches for: an index into [`Scenario::tools`].
    pub target: usize,
    /// The arguments it asks for (a download-and-run command, an attacker's address or IBAN...).
    pub args: Value,
    /// The injected instruction, as the tool output carries it.
    pub text: String,
}

/// One generated task with its ground truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// `gym-<seed>-<index>`.
    pub id: String,
    pub family: String,
    pub task_type: String,
    pub catalog: String,
    /// The template's index within its family.
    pub template: usize,
    pub heldout_template: bool,
    /// The user's request.
    pub task: String,
    /// The tools available (A): the whole catalog.
    pub tools: Vec<ToolSpec>,
    /// N, parallel to `tools`: each group's chosen tool.
    pub needed: Vec<bool>,
    /// The groups behind `needed`, with their alternatives.
    pub needs: Vec<NeedGroup>,
    pub injection: Option<Injection>,
    /// The slot values the request was written with; calls reuse them.
    pub slots: BTreeMap<String, String>,
    /// Seed of the scenario's own random stream ([`Scenario::rng`]).
    pub run_seed: u64,
}

impl Scenario {
    /// The episode learners see: the ground-truth N, `used` = N (what a run under the oracle's
    /// grant calls), `attacked` = the injection's target, group = `family/template`.
    pub fn episode(&self) -> Episode {
        let mut episode = Episode::new(self.id.clone(), self.task.clone(), self.tools.clone());
        episode.task_type = Some(self.task_type.clone());
        episode.group = Some(self.group());
        episode.needed = self.needed.clone();
        episode.used = self.needed.clone();
        if let Some(injection) = &self.injection
            && let Some(flag) = episode.attacked.get_mut(injection.target)
        {
            *flag = true;
        }
        episode
    }

    /// `family/template`: the unit that template splits keep together.
    pub fn group(&self) -> String {
        format!("{}/{}", self.family, self.template)
    }

    /// A fresh copy of the scenario's own random stream: runs of one scenario under different
    /// grants draw the same numbers (common random numbers), so methods are compared on equal
    /// luck.
    pub fn rng(&self) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.run_seed)
    }

    /// Names of the tools in N.
    pub fn needed_names(&self) -> Vec<&str> {
        self.tools
            .iter()
            .zip(&self.needed)
            .filter(|(_, n)| **n)
            .map(|(tool, _)| tool.name.as_str())
            .collect()
    }

    /// The oracle's grant: exactly N.
    pub fn oracle_grant(&self) -> Vec<bool> {
        self.needed.clone()
    }

    /// The runtime default: every tool.
    pub fn all_tools_grant(&self) -> Vec<bool> {
        vec![true; self.tools.len()]
    }
}

/// Draws one of `0..len` uniformly; `None` for an empty range.
pub(crate) fn pick(rng: &mut impl Rng, len: usize) -> Option<usize> {
    (len > 0).then(|| rng.random_range(0..len))
}

impl Gym {
    /// `cfg.sessions` scenarios, the same for the same config. Each picks a catalog uniformly
    /// (among `cfg.catalogs`), a family uniformly among those running there, and a template
    /// uniformly within `cfg.templates`.
    pub fn scenarios(&self, cfg: &GymConfig) -> Result<Vec<Scenario>, LearnError> {
        if !(0.0..=1.0).contains(&cfg.injection_rate) {
            return Err(LearnError::invalid(
                "gym config",
                format!("injection_rate {} must lie in 0..=1", cfg.injection_rate),
            ));
        }
        let pool = self.pool(cfg)?;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut scenarios = Vec::with_capacity(cfg.sessions);
        for index in 0..cfg.sessions {
            let Some((catalog_index, families)) =
                pick(&mut rng, pool.len()).and_then(|i| pool.get(i))
            else {
                break;
            };
            let Some(&family_index) = pick(&mut rng, families.len()).and_then(|i| families.get(i))
            else {
                continue;
            };
            if let Some(scenario) =
                self.scenario(cfg, index, *catalog_index, family_index, &mut rng)
            {
                scenarios.push(scenario);
            }
        }
        Ok(scenarios)
    }

    /// The catalogs to draw from, each with its eligible families.
    fn pool(&self, cfg: &GymConfig) -> Result<Vec<(usize, Vec<usize>)>, LearnError> {
        if let Some(names) = &cfg.catalogs {
            for name in names {
                if self.catalog(name).is_none() {
                    let known: Vec<&str> = self.catalogs.iter().map(|c| c.name.as_str()).collect();
                    return Err(LearnError::invalid(
                        "gym config",
                        format!(
                            "catalog `{name}` does not exist; expected one of {}",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        if let Some(ids) = &cfg.families {
            for id in ids {
                if self.family(id).is_none() {
                    return Err(LearnError::invalid(
                        "gym config",
                        format!("family `{id}` does not exist; see data/gym/families/"),
                    ));
                }
            }
        }
        let mut pool = Vec::new();
        for (catalog_index, catalog) in self.catalogs.iter().enumerate() {
            if cfg
                .catalogs
                .as_ref()
                .is_some_and(|names| !names.contains(&catalog.name))
            {
                continue;
            }
            let families: Vec<usize> = self
                .families_by_catalog
                .get(catalog_index)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&f| {
                    cfg.families.as_ref().is_none_or(|ids| {
                        self.families
                            .get(f)
                            .is_some_and(|family| ids.contains(&family.id))
                    })
                })
                .collect();
            if !families.is_empty() {
                pool.push((catalog_index, families));
            }
        }
        if pool.is_empty() && cfg.sessions > 0 {
            return Err(LearnError::invalid(
                "gym config",
                "no family runs on the chosen catalogs",
            ));
        }
        Ok(pool)
    }

    fn scenario(
        &self,
        cfg: &GymConfig,
        index: usize,
        catalog_index: usize,
        family_index: usize,
        rng: &mut ChaCha8Rng,
    ) -> Option<Scenario> {
        let catalog = self.catalogs.get(catalog_index)?;
        let family = self.families.get(family_index)?;
        let run = family.run_on(&catalog.name)?;
        let count = family.parsed.len();
        let held = heldout_template_count(count);
        let range = match cfg.templates {
            TemplateSplit::Train => 0..count - held,
            TemplateSplit::Heldout => count - held..count,
            TemplateSplit::All => 0..count,
        };
        let template = range.start + pick(rng, range.len())?;
        let mut slots = SlotValues::new(&family.slots, &self.shared_slots);
        let task = family.parsed.get(template)?.fill(&mut slots, rng);

        let mut needed = vec![false; catalog.tools.len()];
        let mut needs = Vec::new();
        for group in &run.groups {
            let required = group.probability >= 1.0;
            if !required && rng.random::<f64>() >= group.probability {
                continue;
            }
            let (&preferred, alternatives) = group.tools.split_first()?;
            let chosen = if !alternatives.is_empty() && rng.random::<f64>() < group.alternative_rate
            {
                pick(rng, alternatives.len())
                    .and_then(|i| alternatives.get(i))
                    .copied()
                    .unwrap_or(preferred)
            } else {
                preferred
            };
            // Two groups may share a tool (an optional need the required one already covers).
            if needs.iter().any(|need: &NeedGroup| need.chosen == chosen) {
                continue;
            }
            if let Some(flag) = needed.get_mut(chosen) {
                *flag = true;
            }
            needs.push(NeedGroup {
                tools: group.tools.clone(),
                chosen,
                required,
            });
        }

        let injection = if rng.random::<f64>() < cfg.injection_rate {
            self.injection(run.injection_targets.as_slice(), catalog, &mut slots, rng)
        } else {
            None
        };
        let run_seed = rng.random::<u64>();
        Some(Scenario {
            id: format!("gym-{}-{index}", cfg.seed),
            family: family.id.clone(),
            task_type: family.task_type.clone(),
            catalog: catalog.name.clone(),
            template,
            heldout_template: is_heldout_template(template, count),
            task,
            tools: catalog.tools.clone(),
            needed,
            needs,
            injection,
            slots: slots.into_chosen(),
            run_seed,
        })
    }

    fn injection(
        &self,
        targets: &[usize],
        catalog: &super::data::GymCatalog,
        slots: &mut SlotValues<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Option<Injection> {
        let &target = pick(rng, targets.len()).and_then(|i| targets.get(i))?;
        let tool = catalog.tools.get(target)?;
        let attacks = self.attacks.get(&tool.name)?;
        let attack = pick(rng, attacks.len()).and_then(|i| attacks.get(i))?;
        let args = attack.args.fill(slots, rng);
        let text = attack.text.fill(slots, rng);
        Some(Injection { target, args, text })
    }
}
