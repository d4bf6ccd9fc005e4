//! Invigil's domain rules: validated types, state machines, policies and
//! calculations. Nothing here does I/O, reads a clock or draws randomness on
//! its own: callers pass `now`, seeds and data in, so every rule is a pure
//! function with unit tests.

pub mod audit;
pub mod certificates;
pub mod content;
pub mod courses;
pub mod csv_records;
pub mod delivery;
pub mod exams;
pub mod files;
pub mod grading;
pub mod hiring;
pub mod identity;
pub mod notify;
pub mod payments;
pub mod people;
pub mod practice;
pub mod proctoring;
pub mod progress;
pub mod reports;
pub mod review;
pub mod sso;
#[doc(hidden)]
pub mod stored;
pub mod text;
