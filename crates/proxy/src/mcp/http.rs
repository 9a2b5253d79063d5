//! Streamable HTTP for the MCP proxy (stub; being written).
