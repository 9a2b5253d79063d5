//! The scenario gym: a seedable generator of agent sessions with ground truth, and a model of
//! how an agent behaves under a grant.
//!
//! What it is for: learners and baselines need many sessions whose needs (N) are known exactly,
//! in the same format real logs have, and an environment in which a grant can be *tried*: does
//! the task still succeed, does an injected instruction reach a dangerous tool? The gym gives
//! both, deterministically from a seed and fast (thousands of sessions a second).
//!
//! - [`data`]: the catalogs, task families, slot values and call arguments under `data/gym/`,
//!   embedded and checked at load ([`Gym::builtin`]). [`HELDOUT_CATALOG`] is kept out of training.
//! - [`scenario`]: [`GymConfig`] → [`Scenario`]s (a request from a template, the tools available,
//!   N with its alternatives, an optional injection). Templates split into train and held-out by a
//!   fixed rule ([`is_heldout_template`]).
//! - [`agent`]: [`Gym::run`] plays a scenario under a grant and a [`CallGuard`]; its constants
//!   (exploration, overload, refusals) are documented there and in `data/gym/README.md`.
//! - [`guard`]: [`AllowAll`] and [`RouterGuard`] (the real router, layer 3).
//!
//! What it is not: a simulation of a language model's reasoning. The agent is a handful of
//! documented probabilities; results on the gym say how methods compare under those
//! assumptions, not how a given model behaves.
//!
//! ```
//! use aethelgard_learn::gym::{AllowAll, Gym, GymConfig};
//! let gym = Gym::builtin()?;
//! let scenarios = gym.scenarios(&GymConfig { seed: 7, sessions: 20, ..GymConfig::default() })?;
//! for scenario in &scenarios {
//!     // The oracle grant (exactly N) always succeeds: no overload, no denials.
//!     let outcome = gym.run(scenario, &scenario.oracle_grant(), &mut AllowAll, &mut scenario.rng());
//!     assert!(outcome.success);
//! }
//! # Ok::<(), aethelgard_learn::LearnError>(())
//! ```

pub mod agent;
pub mod data;
pub mod guard;
pub mod scenario;
pub mod template;

pub use agent::{AttackOutcome, Outcome};
pub use data::{
    Family, FamilyRun, GroupSpec, Gym, GymCatalog, GymSources, HELDOUT_CATALOG, MIN_TEMPLATES,
};
pub use guard::{AllowAll, CallGuard, RouterGuard};
pub use scenario::{
    GymConfig, Injection, NeedGroup, Scenario, TemplateSplit, heldout_template_count,
    is_heldout_template,
};
