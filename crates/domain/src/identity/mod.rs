//! identity rules.
