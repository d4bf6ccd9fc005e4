//! Courses (seed 004, issue 15): the learning side of an organization.
//! Categories ([`catalog`]), courses with their instructors and lifecycle
//! ([`course`]), chapters and lectures ([`content`]), enrollments, progress
//! and "continue where I left off" ([`learn`]), reviews ([`reviews`]) and
//! the Invigil exams a chapter holds ([`assessments`]). The module owns the
//! `course_*` and `lecture_progress` tables.
//!
//! Who may do what: `ManageCourses` (ORG_ADMIN) everything; `TeachCourses`
//! (EXAM_AUTHOR, EXAM_COORDINATOR, ORG_ADMIN) creates courses and edits the
//! ones they instruct (being an instructor is checked here, per course);
//! `LearnCourses` (CANDIDATE) browses the published catalog, enrolls, learns
//! and reviews. A course another role cannot see answers 404.

pub mod access;
pub mod assessments;
pub mod catalog;
pub mod content;
pub mod course;
pub mod learn;
pub mod media;
pub mod reviews;
pub mod routes;
pub mod routes_learn;
pub mod validate;
pub mod views;
