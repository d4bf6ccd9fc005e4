//! Review: evidence frames, the review queue, claims, timelines, decisions,
//! appeals and candidate transparency.

pub mod routes;
