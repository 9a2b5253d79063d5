//! Layer 3, the Safety Router: every tool call is judged here before it runs.
//!
//! Stage 1 judges a call against the compiled policy in microseconds: the call's facts are
//! extracted once (its tool's catalog entry, the shell commands it would run as the `shell` crate
//! resolves them, the files it reads and writes, the hosts it contacts), then only the rules that
//! can apply are tried (shell rules are indexed by program name, so `git status` never meets the
//! `rm` rules), and the filesystem table is consulted for every path. The strictest decision
//! wins; what the shell analyser could not resolve escalates. Stage 2, a learned classifier behind
//! the [`Classifier`] trait, sees only the calls stage 1 leaves undecided.
//!
//! The router never panics on a call and never lets an internal error through silently: on an
//! error the decision is the policy's fail mode (block, unless the policy says `fail_mode = "open"`).
//!
//! A call to a bridge tool (one whose call runs another tool it names, OpenClaw's `tool_call`)
//! is decided with the calls it would make, so every surface that routes through here gets the
//! same answer ([`bridge`]).
//!
//! What it is not: it does no I/O of its own (the hook, the CLI and the daemon own stdin, files
//! and sockets) and it does not record anything (the audit layer does).

pub mod bridge;
mod compiled;
pub mod corpus;
mod error;
mod examples;
pub mod hook;
mod facts;
mod filesystem;
mod router;
mod stage1;
pub mod stage2;

pub use error::RouterError;
pub use facts::Environment;
pub use router::{fail_decision, Examples, Router};
pub use stage1::Verdict;
pub use stage2::{Classifier, ClassifierError, Stage2Verdict};
pub use stage2::llm::{LlmAnswer, LlmClassifier, LlmConfig};
#[cfg(feature = "embedding")]
pub use stage2::embedding;

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
