//! Exams persistence: exam types, exams, enrollments. Every function takes the organization.

pub mod entities;
