//! Integration tests of the router: the labelled corpus gate, obfuscation regressions, and the
//! real runtime payloads.
mod suite;
