//! Content: question banks with a two-person review workflow, questions with
//! immutable versions, import and export (GIFT, Aiken, CSV).

pub mod banks;
pub mod questions;
pub mod routes;
pub mod service;
pub mod transfer;
pub mod views;
