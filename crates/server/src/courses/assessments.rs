//! Invigil exams inside a course. A chapter holds an exam of the same
//! organization as a QUIZ, ASSIGNMENT, PRACTICE or FINAL_EXAM. A learner
//! enrolled in the course enrolls in the exam with `enroll-me`: an exam
//! enrollment ACCEPTED at once, written by the exams module's own store
//! function and audited as `enrollment.created` like staff enrollments, so
//! `/me/exams`, sessions, proctoring (the exam's own settings) and grading
//! work unchanged.
//!
//! Results: when the assessment shows results (PRACTICE always does, the
//! others when `show_result`), the course outline and this list give the
//! learner their best graded attempt as soon as it is graded, read from the
//! session itself; the exam's results release (and `/me/results`) is left
//! as it is. A passed FINAL_EXAM counts for the course's completion
//! ([`super::learn`]).

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::courses::TestType;
use invigil_domain::exams::{EnrollmentStatus, ExamStatus};
use invigil_store::courses::{self, CourseAssessment};
use invigil_store::exams::{self, NewEnrollment};

use super::access::{self, Caller, Seen};
use super::views::{AssessmentView, MyAssessmentResult};
use crate::audit::AuditAction;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    pub chapter_id: Uuid,
    pub exam_id: Uuid,
    #[schema(value_type = String)]
    pub test_type: TestType,
    /// Show learners their score as soon as graded (always for PRACTICE).
    pub show_result: Option<bool>,
}

/// The assessments of a course as the caller sees them (for a learner:
/// whether they are enrolled in each exam, and their result when shown).
pub async fn views_for(
    state: &AppState,
    caller: &Caller,
    seen: &Seen,
) -> Result<Vec<AssessmentView>, ApiError> {
    let db = state.db.read();
    let org_id = caller.org_id();
    let rows = courses::assessments_of(db, org_id, seen.course.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in &rows {
        let Some(exam) = exams::exam(db, org_id, a.exam_id).await? else {
            continue;
        };
        let mut v = AssessmentView::of(a, &exam.title, exam.enable_proctoring);
        if seen.enrollment.is_some() {
            let me = caller.user_id();
            v.enrolled_in_exam = Some(
                exams::enrollment_in(db, org_id, a.exam_id, me)
                    .await?
                    .is_some(),
            );
            if a.show_result {
                let sessions = courses::graded_sessions_of(db, org_id, &[a.exam_id], me).await?;
                v.my_result = sessions
                    .iter()
                    .max_by(|x, y| {
                        x.final_score
                            .unwrap_or(0.0)
                            .total_cmp(&y.final_score.unwrap_or(0.0))
                    })
                    .map(|s| MyAssessmentResult {
                        session_id: s.id,
                        score: s.final_score,
                        max_score: s.max_score,
                        percent: s.percent,
                        passed: s.passed,
                        graded_at: s.graded_at,
                    });
            }
        }
        out.push(v);
    }
    Ok(out)
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
) -> Result<Vec<AssessmentView>, ApiError> {
    let seen = access::see(state.db.read(), caller, course_id, false, state.now()).await?;
    views_for(state, caller, &seen).await
}

/// Puts an exam of the organization into a chapter (the course's staff).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    body: AssessmentBody,
) -> Result<AssessmentView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    if courses::chapter(&tx, caller.org_id(), course_id, body.chapter_id)
        .await?
        .is_none()
    {
        return Err(ApiError::field(
            "chapter_id",
            "no chapter with this id in the course",
        ));
    }
    let exam = exams::exam(&tx, caller.org_id(), body.exam_id)
        .await?
        .ok_or_else(|| ApiError::field("exam_id", "no exam with this id in the organization"))?;
    let show_result = body.test_type == TestType::Practice || body.show_result.unwrap_or(false);
    let row = courses::insert_assessment(
        &tx,
        CourseAssessment {
            id: Uuid::now_v7(),
            org_id: caller.org_id(),
            course_id,
            chapter_id: body.chapter_id,
            exam_id: exam.id,
            test_type: body.test_type,
            show_result,
            created_at: now,
        },
    )
    .await?;
    let view = AssessmentView::of(&row, &exam.title, exam.enable_proctoring);
    caller
        .auth
        .audit(now)
        .record(&tx, AuditAction::CourseAssessmentAdded, row.id, json!(view))
        .await?;
    commit(tx).await?;
    Ok(view)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let row = courses::assessment(&tx, caller.org_id(), course_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    courses::delete_assessment(&tx, caller.org_id(), id).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::CourseAssessmentRemoved,
            id,
            json!({ "course_id": course_id, "exam_id": row.exam_id, "test_type": row.test_type }),
        )
        .await?;
    commit(tx).await?;
    Ok(())
}

/// The learner enrolls in the assessment's exam (idempotent: enrolled
/// already answers as it is). Needs access to the course and an exam that
/// still takes enrollments.
pub async fn enroll_me(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
) -> Result<AssessmentView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let seen = access::see(&tx, caller, course_id, false, now).await?;
    if !seen.enrolled {
        return Err(ApiError::conflict_code(
            "not_enrolled",
            "enroll in the course to take its assessments",
        ));
    }
    let row = courses::assessment(&tx, caller.org_id(), course_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let exam = exams::exam(&tx, caller.org_id(), row.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let me = caller.user_id();
    if exams::enrollment_in(&tx, caller.org_id(), exam.id, me)
        .await?
        .is_none()
    {
        if matches!(
            exam.status,
            ExamStatus::Completed | ExamStatus::Cancelled | ExamStatus::Archived
        ) {
            return Err(ApiError::conflict(format!(
                "cannot enroll in an exam that is {}",
                exam.status
            )));
        }
        exams::create_enrollments(
            &tx,
            caller.org_id(),
            exam.id,
            &[NewEnrollment {
                user_id: me,
                status: EnrollmentStatus::Accepted,
                extra_time_percent: None,
            }],
            now,
        )
        .await?;
        caller
            .auth
            .audit(now)
            .record(
                &tx,
                AuditAction::EnrollmentCreated,
                exam.id,
                json!({ "user_id": me, "via": "course", "course_id": course_id,
                    "course_assessment_id": id }),
            )
            .await?;
    }
    commit(tx).await?;
    let mut v = AssessmentView::of(&row, &exam.title, exam.enable_proctoring);
    v.enrolled_in_exam = Some(true);
    Ok(v)
}

/// What finishing a session means for courses, in the transaction that
/// finished it: the result of a practice told to the learner at once, and a
/// passed FINAL_EXAM completing the courses that required it (so the course
/// is COMPLETED, and the learner told, without waiting for a read).
pub async fn after_finish(
    tx: &invigil_store::Tx,
    state: &AppState,
    exam_title: &str,
    session: &invigil_store::delivery::Session,
) -> Result<(), ApiError> {
    // Essays waiting for a grader: nothing is final yet.
    if session.pending_manual > 0 {
        return Ok(());
    }
    let places = courses::assessments_of_exam(tx, session.org_id, session.exam_id).await?;
    if places.iter().any(|a| a.show_result) {
        tell_result(tx, state, exam_title, session).await?;
    }
    if session.passed != Some(true) {
        return Ok(());
    }
    let mut finals: Vec<Uuid> = places
        .iter()
        .filter(|a| a.test_type == TestType::FinalExam)
        .map(|a| a.course_id)
        .collect();
    finals.sort();
    finals.dedup();
    for course_id in finals {
        super::learn::settle_final(tx, state, course_id, session).await?;
    }
    Ok(())
}

/// Tells a learner the result of a course assessment that shows it at once
/// (`practice_result`), in the transaction that finished the session; only a
/// submitted session (the caller checked it is fully graded and shown).
async fn tell_result(
    tx: &invigil_store::Tx,
    state: &AppState,
    exam_title: &str,
    session: &invigil_store::delivery::Session,
) -> Result<(), ApiError> {
    if session.status != invigil_domain::delivery::DeliveryStatus::Submitted {
        return Ok(());
    }
    let percent = match session.final_score {
        Some(score) if session.max_score > 0.0 => (score / session.max_score * 100.0).round(),
        _ => 0.0,
    };
    let passed = if session.passed == Some(true) {
        "yes"
    } else {
        ""
    };
    crate::notify::send(
        tx,
        state,
        crate::notify::Notice {
            org_id: Some(session.org_id),
            user_id: session.user_id,
            kind: invigil_domain::notify::NoticeKind::TestResult,
            priority: invigil_domain::notify::Priority::Medium,
            template_key: "practice_result",
            vars: crate::notify::Vars::new()
                .set("exam", exam_title)
                .set("score", format!("{percent} %"))
                .set("passed", passed),
            link: Some(format!("/me/results/{}", session.id)),
        },
    )
    .await
}
