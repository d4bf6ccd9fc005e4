//! exams rules (filled in by its issue).
