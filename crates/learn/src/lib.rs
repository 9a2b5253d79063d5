//! Layer 2 of Aethelgard: learn the minimum viable tool set per task.
//!
//! - [`episode`]: what every learner and baseline consumes: a task, the tools available (with
//!   their descriptions and risk tags), what the task needed, what an injection reached for; and
//!   [`episode::episodes_from_sessions`], which infers the needs from logged sessions.
//! - [`reward`]: the reward PPO maximises (accuracy, economy, safety), weights in the config.
//! - [`gym`]: the scenario gym, a seedable generator of agent sessions with ground truth, and the
//!   agent behaviour model that replays a scenario under a grant.
//! - [`features`], [`model`], [`ppo`], [`supervised`]: the learned exposure policies.
//! - [`baselines`]: all tools, static profiles, per-type frequency and the oracle.
//! - [`eval`]: every method through the same evaluation, over seeds, with confidence intervals.
//! - [`suggest`]: the feedback loop: policy changes proposed from the audit store.

pub mod baselines;
pub mod curve;
pub mod episode;
pub mod error;
pub mod eval;
pub mod features;
pub mod gym;
pub mod model;
pub mod ppo;
pub mod reward;
pub mod suggest;
pub mod supervised;

pub use episode::{Episode, ExposurePolicy, ToolSpec};
pub use error::LearnError;
pub use reward::RewardWeights;
