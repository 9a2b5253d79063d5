//! (stub; a helper is writing this file)
