//! Exporters: a manifest written into each runtime's own configuration. Being written this session.
