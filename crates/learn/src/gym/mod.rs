//! The scenario gym (in progress).
