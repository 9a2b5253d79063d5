//! The LLM API proxy (stub; being written).
