//! content rules (filled in by its issue).
