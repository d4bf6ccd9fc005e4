//! Delivery persistence: exam sessions, served questions, answers (with the
//! group-commit batch writer's upsert), proctor actions.

pub mod entities;
