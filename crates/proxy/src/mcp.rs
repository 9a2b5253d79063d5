//! The MCP proxy: the [`Gate`] that decides, the [`Handler`] that applies its decisions to
//! JSON-RPC messages, and the stdio transport.

mod handler;
pub mod http;
pub mod stdio;

pub use handler::{Action, Handler};

use aethelgard_protocol::Decision;
use serde_json::Value;

/// What decides for the proxy: the governor's manifest and the router's verdict (and the audit
/// store, which should record each decision before it is returned).
pub trait Gate {
    /// The tools granted among `available`, or `None` when every tool is kept (no task given).
    fn granted(&mut self, available: &[String]) -> Option<Vec<String>>;

    /// Decides one `tools/call`; `granted` is [`Gate::granted`] of the tools known so far.
    fn route(&mut self, tool: &str, arguments: Value, granted: Option<Vec<String>>) -> Decision;
}
