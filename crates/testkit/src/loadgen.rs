//! Load generation for the autosave benchmark and the kill test.
//!
//! The seeding lives with `invigil load` in the server
//! ([`invigil_server::cli::load`], re-exported here): [`seed_exam`]
//! prepares an exam that many candidates can take at once, written straight
//! through the store. [`http`] is the minimal HTTP/1.1 client the kill test
//! and the autosave benchmark drive a server with.

pub mod http;

pub use invigil_server::cli::load::{
    DURATION_MINUTES, LoadCandidate, LoadExam, OPTIONS, QUESTIONS, seed_exam, seed_exam_with_logins,
};
