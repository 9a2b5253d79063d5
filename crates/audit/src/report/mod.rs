//! Reports for a terminal and as one HTML file (filled in by the report work).
