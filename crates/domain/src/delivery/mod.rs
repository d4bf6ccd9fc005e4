//! delivery rules (filled in by its issue).
