//! Importers of agent logs into session records (filled in by the importers work).
