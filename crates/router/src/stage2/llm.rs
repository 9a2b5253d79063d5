//! Stage 2: being written (issue 6).
