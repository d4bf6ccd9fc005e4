//! proctoring rules (filled in by its issue).
