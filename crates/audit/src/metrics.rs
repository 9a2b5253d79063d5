//! The design's metrics, defined once (filled in by the metrics work).
