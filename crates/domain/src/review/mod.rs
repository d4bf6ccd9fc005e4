//! review rules (filled in by its issue).
