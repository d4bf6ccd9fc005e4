//! Exams: exam types, exams and their lifecycle, enrollments with
//! per-candidate overrides, and the candidate's own list of exams.

pub mod edit;
pub mod enroll;
pub mod enrollments;
pub mod lifecycle;
pub mod me;
pub mod routes;
pub mod service;
pub mod views;

use chrono::{DateTime, Utc};

use invigil_domain::exams::{EnrollmentOverrides, ExamSettings, QuestionSource, Window};
use invigil_store::exams::{Enrollment, Exam};

use crate::http::error::ApiError;

/// The validated settings of a stored exam.
pub fn settings_of(e: &Exam) -> Result<ExamSettings, ApiError> {
    let source = match (e.question_bank_id, e.draw_rules()?) {
        (Some(bank), _) => QuestionSource::Bank {
            question_bank_id: bank,
        },
        (None, Some(rules)) => QuestionSource::Draw { rules },
        (None, None) => return Err(ApiError::internal("exam without question source")),
    };
    Ok(ExamSettings {
        duration_minutes: u32::try_from(e.duration_minutes).unwrap_or(1),
        passing_score: u8::try_from(e.passing_score).unwrap_or(100),
        max_attempts: u32::try_from(e.max_attempts).unwrap_or(1),
        window: Window::new(e.scheduled_start_at, e.scheduled_end_at),
        source,
        randomize_questions: e.randomize_questions,
        randomize_options: e.randomize_options,
        enable_proctoring: e.enable_proctoring,
        proctoring_sensitivity: e.proctoring_sensitivity,
    })
}

/// The per-candidate overrides of a stored enrollment.
pub fn overrides_of(en: &Enrollment) -> EnrollmentOverrides {
    let u = |v: Option<i32>| v.and_then(|x| u32::try_from(x).ok());
    EnrollmentOverrides {
        window: Window::new(en.override_window_start, en.override_window_end),
        duration_minutes: u(en.override_duration_minutes),
        max_attempts: u(en.override_max_attempts),
        extra_time_percent: u(en.override_extra_time_percent),
    }
}

/// Whether results of `e` are visible to candidates.
pub fn results_released(e: &Exam) -> Option<DateTime<Utc>> {
    e.results_released_at
}
