//! Aethelgard's proxies: men in the middle between an agent and its tool servers (the MCP
//! proxy, [`mcp`]) or its model API (the LLM API proxy, [`llm`]), so that layer 1 and layer 3
//! hold at the connection whatever the runtime's hooks show.
//!
//! What the MCP proxy does to the conversation, and nothing more:
//! - the server's answers to `tools/list` lose the tools outside the task's manifest;
//! - every `tools/call` is routed first; a refused call never reaches the server, and the client
//!   gets a tool result with `isError: true` and the reason, which the model can read;
//! - everything else (the handshake, resources, prompts, notifications, requests the server
//!   makes of the client, methods newer than this code) passes through byte for byte.
//!
//! What decides is not here: the [`mcp::Gate`] the caller supplies holds the router, the
//! governor and the audit store. This crate is the protocol handling ([`mcp::Handler`], pure,
//! testable without I/O), the stdio transport ([`mcp::stdio`]) and Streamable HTTP on either side
//! ([`mcp::http`], protocol 2025-11-25 sessions and 2026-07-28 stateless requests alike).
//!
//! Why not rmcp's transports and `ServerHandler`: they parse every message into the SDK's types
//! and answer the handshake themselves, so a message or field the SDK does not know would be
//! dropped or rewritten, and the client would negotiate with the proxy instead of the server.
//! A transparent proxy must forward what it does not understand unchanged, so it frames the
//! newline-delimited JSON-RPC itself and uses rmcp for the protocol's types: the `tools/call`
//! parameters it reads, the tool result and the errors it writes.
//!
//! Not yet: checking 2026-07-28's `Mcp-Param-*` headers against the arguments.

pub mod line;
pub mod llm;
pub mod mcp;
