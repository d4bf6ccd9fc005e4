//! Practice interviews (issue 16 item 5, seed 002 CHAT_SCENARIO content,
//! ChatSession, ChatMessage, Evaluation) and a learner's progress (item 7,
//! UserProgress).
//!
//! Authors (`TeachCourses`, `ManageCourses`) keep an organization's
//! scenarios: questions with a rubric each. A learner (`LearnCourses`)
//! starts a session of a published scenario, answers question after
//! question; each answer is scored by the [`evaluator`] (the rubric here,
//! or an OpenAI-compatible API when configured) and the session ends
//! COMPLETED with an overall evaluation. Transcripts are deleted after
//! `practice_retention_days` by the `practice-purge` job; scores stay.
//! Progress (streaks, points, level, badges) is computed from exams,
//! practice sessions and lectures (`invigil_domain::progress`).

pub mod evaluator;
pub mod progress;
pub mod routes;
pub mod service;
pub mod views;
