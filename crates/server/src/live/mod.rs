//! Live sessions (seed 004, issue 15 point 7): scheduled live classes of a
//! course on an external meeting service (a `join_url`), their
//! participants with attendance, and reminders through notifications.
//!
//! Staff (a course's instructors with `TeachCourses`, course managers with
//! `ManageCourses`) schedule, change, start, end and cancel a course's live
//! classes and add its enrolled learners as participants. A participant
//! joins (attendance is recorded, the link answered) while the class is
//! LIVE or from `JOIN_EARLY_MINUTES` before its start, and sees their live
//! classes in `/me/live-sessions`. The status rules are pure
//! (`invigil_domain::notify::live`); the tables belong to notifications
//! (m0010) and their queries are `invigil_store::live`.

pub mod reminders;
pub mod routes;
pub mod service;
pub mod views;
