//! The gym's data: tool catalogs, task families, shared slot values and call arguments, parsed
//! and checked when the gym loads.
//!
//! Everything under `data/gym/` is embedded in the binary ([`GymSources::builtin`]); tests and
//! experiments can load their own texts through [`Gym::from_sources`]. Loading fails, naming the
//! file and the entry, when a family names a tool its catalog lacks, uses a task type the
//! governor does not know, has fewer than [`MIN_TEMPLATES`] templates, uses a slot no list
//! defines, or aims an injection at a tool with no attack arguments.

use super::template::{ArgsTemplate, SlotLists, SlotValues, Template};
use crate::episode::{ToolBook, ToolSpec};
use crate::error::LearnError;
use aethelgard_policy::ToolEntry;
use aethelgard_protocol::RiskTag;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The catalog no training run sees: learned policies are evaluated on it to test transfer to
/// tools they have never seen (its descriptions are worded independently of the others').
pub const HELDOUT_CATALOG: &str = "support";

/// The fewest request templates a family may have.
pub const MIN_TEMPLATES: usize = 8;

/// How often a session needs an alternative of a group instead of its preferred tool, unless
/// the group says otherwise (`alternative_rate`).
pub const DEFAULT_ALTERNATIVE_RATE: f64 = 0.2;

/// The raw texts the gym is built from: `(name, text)` pairs.
#[derive(Clone, Debug, Default)]
pub struct GymSources {
    /// Catalog JSONL texts by catalog name (`data/gym/catalogs/<name>.jsonl`).
    pub catalogs: Vec<(String, String)>,
    /// Family TOML texts by file name (`data/gym/families/<name>.toml`).
    pub families: Vec<(String, String)>,
    /// Shared slot values (`data/gym/slots.toml`).
    pub slots: String,
    /// Benign and attack arguments per tool (`data/gym/args.toml`).
    pub args: String,
}

macro_rules! gym_file {
    ($path:literal) => {
        include_str!(concat!("../../../../data/gym/", $path))
    };
}

impl GymSources {
    /// The data shipped under `data/gym/`.
    pub fn builtin() -> Self {
        let catalogs = [
            (
                "openclaw-coding",
                gym_file!("catalogs/openclaw-coding.jsonl"),
            ),
            ("codex", gym_file!("catalogs/codex.jsonl")),
            ("claude", gym_file!("catalogs/claude.jsonl")),
            ("office", gym_file!("catalogs/office.jsonl")),
            ("payments", gym_file!("catalogs/payments.jsonl")),
            ("devops", gym_file!("catalogs/devops.jsonl")),
            ("support", gym_file!("catalogs/support.jsonl")),
        ];
        let families = [
            ("coding", gym_file!("families/coding.toml")),
            ("office", gym_file!("families/office.toml")),
            ("payments", gym_file!("families/payments.toml")),
            ("devops", gym_file!("families/devops.toml")),
            ("support", gym_file!("families/support.toml")),
        ];
        Self {
            catalogs: catalogs
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
            families: families
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
            slots: gym_file!("slots.toml").to_owned(),
            args: gym_file!("args.toml").to_owned(),
        }
    }
}

/// One catalog: the tools available (A) in every session that runs on it.
#[derive(Clone, Debug)]
pub struct GymCatalog {
    pub name: String,
    /// Whether this is the [`HELDOUT_CATALOG`].
    pub heldout: bool,
    pub tools: Vec<ToolSpec>,
    /// The full catalog lines (with argument pointers), for a router that judges the gym's calls.
    pub entries: Vec<ToolEntry>,
}

impl GymCatalog {
    /// Index of the tool called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.tools.iter().position(|tool| tool.name == name)
    }
}

/// A group of tools of which a task needs one: the first is preferred, the others are
/// alternatives that do the same job.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupSpec {
    /// Tool indices into the catalog, preferred first.
    pub tools: Vec<usize>,
    /// Probability that a session needs this group at all: 1 for required groups, less for
    /// optional ones.
    pub probability: f64,
    /// Probability that a session needing the group needs an alternative, not the preferred tool.
    pub alternative_rate: f64,
}

/// What a family needs on one catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyRun {
    pub catalog: String,
    pub(crate) catalog_index: usize,
    pub groups: Vec<GroupSpec>,
    /// Tool indices an injection in this family may reach for.
    pub injection_targets: Vec<usize>,
}

/// A task family: one kind of request, many phrasings, needs per catalog.
#[derive(Clone, Debug)]
pub struct Family {
    pub id: String,
    /// A governor task type (`data/tasks/types.toml`).
    pub task_type: String,
    /// The request templates; the last quarter are held out ([`super::heldout_template_count`]).
    pub templates: Vec<String>,
    pub runs: Vec<FamilyRun>,
    pub(crate) parsed: Vec<Template>,
    pub(crate) slots: SlotLists,
    /// Arguments for calls this family's tasks make, by tool name; they replace the shared ones.
    pub(crate) args: BTreeMap<String, Vec<ArgsTemplate>>,
}

impl Family {
    /// The family's needs on `catalog`, if it runs there.
    pub fn run_on(&self, catalog: &str) -> Option<&FamilyRun> {
        self.runs.iter().find(|run| run.catalog == catalog)
    }
}

/// An injected instruction and the call it asks for.
#[derive(Clone, Debug)]
pub(crate) struct AttackSpec {
    pub args: ArgsTemplate,
    pub text: Template,
}

/// The loaded, checked gym data. See [`super`] for how scenarios are drawn from it.
#[derive(Clone, Debug)]
pub struct Gym {
    pub(crate) catalogs: Vec<GymCatalog>,
    pub(crate) families: Vec<Family>,
    pub(crate) shared_slots: SlotLists,
    pub(crate) benign: HashMap<String, Vec<ArgsTemplate>>,
    pub(crate) attacks: HashMap<String, Vec<AttackSpec>>,
    /// For each catalog, the indices of the families that run on it.
    pub(crate) families_by_catalog: Vec<Vec<usize>>,
}

// --- file schemas -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    #[serde(default)]
    defaults: BTreeMap<String, CatalogDefaults>,
    #[serde(default)]
    family: Vec<FamilyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogDefaults {
    #[serde(default)]
    injection: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyEntry {
    id: String,
    task_type: String,
    templates: Vec<String>,
    #[serde(default)]
    slots: SlotLists,
    #[serde(default)]
    args: BTreeMap<String, Vec<serde_json::Value>>,
    on: BTreeMap<String, NeedsEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NeedsEntry {
    required: Vec<Vec<String>>,
    #[serde(default)]
    optional: Vec<OptionalEntry>,
    #[serde(default)]
    injection: Option<Vec<String>>,
    #[serde(default)]
    alternative_rate: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionalEntry {
    any: Vec<String>,
    p: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArgsFile {
    benign: BTreeMap<String, Vec<serde_json::Value>>,
    attack: BTreeMap<String, Vec<AttackEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttackEntry {
    args: serde_json::Value,
    text: String,
}

// --- loading ------------------------------------------------------------------------------

impl Gym {
    /// The gym built from the data shipped under `data/gym/`.
    pub fn builtin() -> Result<Self, LearnError> {
        Self::from_sources(&GymSources::builtin())
    }

    /// Parses and checks `sources`.
    pub fn from_sources(sources: &GymSources) -> Result<Self, LearnError> {
        let catalogs = load_catalogs(&sources.catalogs)?;
        let shared_slots: SlotLists = toml::from_str(&sources.slots)
            .map_err(|e| LearnError::invalid("data/gym/slots.toml", e.to_string()))?;
        let args: ArgsFile = toml::from_str(&sources.args)
            .map_err(|e| LearnError::invalid("data/gym/args.toml", e.to_string()))?;
        let empty = SlotLists::new();
        let benign = parse_benign(args.benign, &empty, &shared_slots)?;
        let attacks = parse_attacks(args.attack, &shared_slots)?;
        let mut families = Vec::new();
        for (file, text) in &sources.families {
            let origin = format!("data/gym/families/{file}.toml");
            let parsed: FamilyFile =
                toml::from_str(text).map_err(|e| LearnError::invalid(&origin, e.to_string()))?;
            for entry in parsed.family {
                families.push(load_family(
                    entry,
                    &parsed.defaults,
                    &catalogs,
                    &shared_slots,
                    &attacks,
                    &origin,
                )?);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for family in &families {
            if !seen.insert(family.id.as_str()) {
                return Err(LearnError::invalid(
                    "data/gym/families",
                    format!(
                        "family `{}` is defined twice; ids must be unique",
                        family.id
                    ),
                ));
            }
        }
        let mut families_by_catalog = vec![Vec::new(); catalogs.len()];
        for (index, family) in families.iter().enumerate() {
            for run in &family.runs {
                if let Some(list) = families_by_catalog.get_mut(run.catalog_index) {
                    list.push(index);
                }
            }
        }
        for (catalog, list) in catalogs.iter().zip(&families_by_catalog) {
            if list.is_empty() {
                return Err(LearnError::invalid(
                    "data/gym/families",
                    format!(
                        "no family runs on catalog `{}`; add one or drop the catalog",
                        catalog.name
                    ),
                ));
            }
        }
        Ok(Self {
            catalogs,
            families,
            shared_slots,
            benign,
            attacks,
            families_by_catalog,
        })
    }

    pub fn catalogs(&self) -> &[GymCatalog] {
        &self.catalogs
    }

    pub fn catalog(&self, name: &str) -> Option<&GymCatalog> {
        self.catalogs.iter().find(|catalog| catalog.name == name)
    }

    /// Names of every catalog except the [`HELDOUT_CATALOG`]: what training runs on.
    pub fn training_catalogs(&self) -> Vec<String> {
        self.catalogs
            .iter()
            .filter(|catalog| !catalog.heldout)
            .map(|catalog| catalog.name.clone())
            .collect()
    }

    pub fn families(&self) -> &[Family] {
        &self.families
    }

    pub fn family(&self, id: &str) -> Option<&Family> {
        self.families.iter().find(|family| family.id == id)
    }

    /// Every gym tool's description and tags by name, for [`crate::episode::episodes_from_sessions`].
    pub fn tool_book(&self) -> ToolBook {
        let mut book = ToolBook::new();
        for catalog in &self.catalogs {
            book.extend(catalog.tools.iter().cloned());
        }
        book
    }

    /// Every gym catalog line, for extending a router's catalog.
    pub fn tool_entries(&self) -> impl Iterator<Item = &ToolEntry> {
        self.catalogs
            .iter()
            .flat_map(|catalog| catalog.entries.iter())
    }
}

fn load_catalogs(sources: &[(String, String)]) -> Result<Vec<GymCatalog>, LearnError> {
    let mut catalogs: Vec<GymCatalog> = Vec::new();
    let mut by_name: HashMap<String, (String, ToolSpec)> = HashMap::new();
    for (name, text) in sources {
        let origin = format!("data/gym/catalogs/{name}.jsonl");
        let entries = aethelgard_policy::Catalog::parse_jsonl(text, &origin)
            .map_err(|e| LearnError::invalid(&origin, e.to_string()))?;
        if entries.is_empty() {
            return Err(LearnError::invalid(&origin, "the catalog has no tools"));
        }
        let tools: Vec<ToolSpec> = entries.iter().map(ToolSpec::from).collect();
        for (i, tool) in tools.iter().enumerate() {
            if tools
                .iter()
                .take(i)
                .any(|earlier| earlier.name == tool.name)
            {
                return Err(LearnError::invalid(
                    &origin,
                    format!("tool `{}` is listed twice", tool.name),
                ));
            }
            if tool.description.trim().is_empty() {
                return Err(LearnError::invalid(
                    &origin,
                    format!("tool `{}` has no description; learners read it", tool.name),
                ));
            }
            // Sessions name tools only, so one name must mean one tool across catalogs.
            if let Some((other, spec)) = by_name.get(&tool.name)
                && spec != tool
            {
                return Err(LearnError::invalid(
                    &origin,
                    format!(
                        "tool `{}` differs from the tool of that name in catalog `{other}`; rename one or make them identical",
                        tool.name
                    ),
                ));
            }
            by_name.insert(tool.name.clone(), (name.clone(), tool.clone()));
        }
        if catalogs.iter().any(|catalog| catalog.name == *name) {
            return Err(LearnError::invalid(
                &origin,
                format!("catalog `{name}` is listed twice"),
            ));
        }
        catalogs.push(GymCatalog {
            name: name.clone(),
            heldout: name == HELDOUT_CATALOG,
            tools,
            entries,
        });
    }
    if !catalogs.iter().any(|catalog| catalog.heldout) {
        return Err(LearnError::invalid(
            "data/gym/catalogs",
            format!("the held-out catalog `{HELDOUT_CATALOG}` is missing"),
        ));
    }
    Ok(catalogs)
}

fn check_slots<'a>(
    slots: impl IntoIterator<Item = &'a str>,
    family: &SlotLists,
    shared: &SlotLists,
    origin: &str,
    what: &str,
) -> Result<(), LearnError> {
    for slot in slots {
        if !SlotValues::is_defined(family, shared, slot) {
            return Err(LearnError::invalid(
                origin,
                format!(
                    "{what} uses slot `{{{slot}}}`, which no value list defines; add it to data/gym/slots.toml or the family's [family.slots]"
                ),
            ));
        }
    }
    Ok(())
}

fn parse_benign(
    raw: BTreeMap<String, Vec<serde_json::Value>>,
    family: &SlotLists,
    shared: &SlotLists,
) -> Result<HashMap<String, Vec<ArgsTemplate>>, LearnError> {
    let mut out = HashMap::new();
    for (tool, list) in raw {
        let templates: Vec<ArgsTemplate> = list.iter().map(ArgsTemplate::from_json).collect();
        for template in &templates {
            check_slots(
                template.slots(),
                family,
                shared,
                "data/gym/args.toml",
                &format!("[benign] {tool}"),
            )?;
        }
        out.insert(tool, templates);
    }
    Ok(out)
}

fn parse_attacks(
    raw: BTreeMap<String, Vec<AttackEntry>>,
    shared: &SlotLists,
) -> Result<HashMap<String, Vec<AttackSpec>>, LearnError> {
    let empty = SlotLists::new();
    let mut out = HashMap::new();
    for (tool, list) in raw {
        let mut specs = Vec::new();
        for entry in list {
            let spec = AttackSpec {
                args: ArgsTemplate::from_json(&entry.args),
                text: Template::parse(&entry.text),
            };
            let what = format!("[[attack.{tool}]]");
            check_slots(
                spec.args.slots(),
                &empty,
                shared,
                "data/gym/args.toml",
                &what,
            )?;
            check_slots(
                spec.text.slots(),
                &empty,
                shared,
                "data/gym/args.toml",
                &what,
            )?;
            specs.push(spec);
        }
        out.insert(tool, specs);
    }
    Ok(out)
}

fn load_family(
    entry: FamilyEntry,
    defaults: &BTreeMap<String, CatalogDefaults>,
    catalogs: &[GymCatalog],
    shared: &SlotLists,
    attacks: &HashMap<String, Vec<AttackSpec>>,
    origin: &str,
) -> Result<Family, LearnError> {
    let id = entry.id;
    let fail = |message: String| LearnError::invalid(origin, format!("family `{id}`: {message}"));
    if aethelgard_governor::tasks::get(&entry.task_type).is_none() {
        let known: Vec<&str> = aethelgard_governor::tasks::ids().collect();
        return Err(fail(format!(
            "task type `{}` is not a governor task type; expected one of {}",
            entry.task_type,
            known.join(", ")
        )));
    }
    if entry.templates.len() < MIN_TEMPLATES {
        return Err(fail(format!(
            "has {} templates; a family needs at least {MIN_TEMPLATES}",
            entry.templates.len()
        )));
    }
    let parsed: Vec<Template> = entry
        .templates
        .iter()
        .map(|text| Template::parse(text))
        .collect();
    for template in &parsed {
        check_slots(
            template.slots(),
            &entry.slots,
            shared,
            origin,
            &format!("family `{id}`: a template"),
        )?;
    }
    let mut args = BTreeMap::new();
    for (tool, list) in &entry.args {
        let templates: Vec<ArgsTemplate> = list.iter().map(ArgsTemplate::from_json).collect();
        for template in &templates {
            check_slots(
                template.slots(),
                &entry.slots,
                shared,
                origin,
                &format!("family `{id}`: args of `{tool}`"),
            )?;
        }
        args.insert(tool.clone(), templates);
    }
    if entry.on.is_empty() {
        return Err(fail(
            "runs on no catalog; add a [family.on.<catalog>] table".to_owned(),
        ));
    }
    let mut runs = Vec::new();
    for (catalog_name, needs) in entry.on {
        let Some(catalog_index) = catalogs
            .iter()
            .position(|catalog| catalog.name == catalog_name)
        else {
            let known: Vec<&str> = catalogs
                .iter()
                .map(|catalog| catalog.name.as_str())
                .collect();
            return Err(fail(format!(
                "catalog `{catalog_name}` does not exist; expected one of {}",
                known.join(", ")
            )));
        };
        let Some(catalog) = catalogs.get(catalog_index) else {
            continue;
        };
        let tool_index = |name: &str| {
            catalog
                .index_of(name)
                .ok_or_else(|| fail(format!("tool `{name}` is not in catalog `{catalog_name}`")))
        };
        let alternative_rate = needs.alternative_rate.unwrap_or(DEFAULT_ALTERNATIVE_RATE);
        if !(0.0..=1.0).contains(&alternative_rate) {
            return Err(fail(format!(
                "alternative_rate {alternative_rate} on `{catalog_name}` must lie in 0..=1"
            )));
        }
        if needs.required.is_empty() {
            return Err(fail(format!(
                "needs nothing on `{catalog_name}`; list at least one required group"
            )));
        }
        let mut groups = Vec::new();
        let optional = needs.optional.into_iter().map(|entry| (entry.any, entry.p));
        for (names, probability) in needs
            .required
            .into_iter()
            .map(|names| (names, 1.0))
            .chain(optional)
        {
            if names.is_empty() {
                return Err(fail(format!("an empty tool group on `{catalog_name}`")));
            }
            if !(0.0..=1.0).contains(&probability) {
                return Err(fail(format!(
                    "optional probability {probability} on `{catalog_name}` must lie in 0..=1"
                )));
            }
            let tools = names
                .iter()
                .map(|name| tool_index(name))
                .collect::<Result<Vec<_>, _>>()?;
            groups.push(GroupSpec {
                tools,
                probability,
                alternative_rate,
            });
        }
        let target_names = match needs.injection {
            Some(names) => names,
            None => defaults
                .get(&catalog_name)
                .map(|d| d.injection.clone())
                .unwrap_or_default(),
        };
        if target_names.is_empty() {
            return Err(fail(format!(
                "no injection targets on `{catalog_name}`; list `injection` or set [defaults.{catalog_name}]"
            )));
        }
        let mut injection_targets = Vec::new();
        for name in &target_names {
            let index = tool_index(name)?;
            let attackable = catalog.tools.get(index).is_some_and(|tool| {
                tool.risk
                    .iter()
                    .any(|tag| tag.is_dangerous() || matches!(tag, RiskTag::Message))
            });
            if !attackable {
                return Err(fail(format!(
                    "injection target `{name}` carries no dangerous or message tag; an attack through it would be harmless"
                )));
            }
            if attacks.get(name).is_none_or(Vec::is_empty) {
                return Err(fail(format!(
                    "injection target `{name}` has no [[attack.{name}]] entry in data/gym/args.toml"
                )));
            }
            injection_targets.push(index);
        }
        runs.push(FamilyRun {
            catalog: catalog_name,
            catalog_index,
            groups,
            injection_targets,
        });
    }
    Ok(Family {
        id,
        task_type: entry.task_type,
        templates: entry.templates,
        runs,
        parsed,
        slots: entry.slots,
        args,
    })
}
