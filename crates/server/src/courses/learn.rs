//! Enrollments in a course, progress per lecture and completion, the
//! outline with the learner's marks, and `GET /me/courses` ("continue where
//! I left off").
//!
//! Enrollment sources: FREE (a learner enrolls themselves in a published
//! free course), INVITED (an instructor or course manager enrolls members
//! holding CANDIDATE, by user id or email), PAID ([`enroll_paid`], for the
//! payments module; self-enrolling in a paid course answers 402). A DROPPED
//! or EXPIRED enrollment comes back ACTIVE on re-enrollment, progress kept.
//!
//! Completion: every active lecture completed and, when the course requires
//! it, a passed FINAL_EXAM assessment. It is settled on every progress write,
//! when a final exam's session finishes passed ([`settle_final`], from the
//! delivery's finish), and whenever the course is read by the learner (the
//! outline, the detail: a final passed later, after a grader's marks).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::courses::{
    CourseEnrollmentStatus, EnrollError, EnrollmentSource, Pricing, TestType, clamp_position,
    effective_status, grants_access, is_complete, may_enroll, next_lecture, progress_percent,
};
use invigil_domain::identity::{Email, MemberStatus, Role};
use invigil_domain::notify::{NoticeKind, Priority};
use invigil_store::courses::{self, Course, CourseEnrollment, Lecture, LectureProgress};
use invigil_store::identity::users;
use invigil_store::{Keyset, Tx, tenancy};

use super::access::{self, Caller, Seen};
use super::assessments;
use super::views::{ChapterOutline, CourseEnrollmentView, LectureOutline, MyCourseView};
use crate::audit::{Audit, AuditAction};
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, FieldError};
use crate::http::page::Page;
use crate::notify::{self, Broadcast, Vars};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

fn enroll_error(e: EnrollError) -> ApiError {
    match e {
        EnrollError::PaymentRequired => ApiError::PaymentRequired(e.to_string()),
        EnrollError::Full(_) => ApiError::conflict_code("course_full", e.to_string()),
        EnrollError::NotOpen(_) => ApiError::conflict_code("course_closed", e.to_string()),
    }
}

/// How a learner comes in.
#[derive(Debug, Clone, Copy)]
struct Admission {
    source: EnrollmentSource,
    payment_id: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
}

/// Enrolls `user_id` (or brings a DROPPED / EXPIRED enrollment back);
/// `Ok(None)` when they are enrolled and active already.
async fn admit(
    tx: &Tx,
    audit: &Audit<'_>,
    course: &Course,
    user_id: Uuid,
    how: Admission,
    now: DateTime<Utc>,
) -> Result<Option<CourseEnrollment>, ApiError> {
    let Admission {
        source,
        payment_id,
        expires_at,
    } = how;
    let existing = courses::enrollment_of(tx, course.org_id, course.id, user_id).await?;
    if let Some(en) = &existing
        && grants_access(effective_status(en.status, en.expires_at, now))
    {
        return Ok(None);
    }
    let taken = courses::seats_taken(tx, course.org_id, course.id).await?;
    // An expired enrollment still counts as a seat in `seats_taken`.
    let taken = taken.saturating_sub(u64::from(existing.as_ref().is_some_and(|e| {
        effective_status(e.status, e.expires_at, now) == CourseEnrollmentStatus::Expired
    })));
    let max = course.max_students.and_then(|m| u64::try_from(m).ok());
    may_enroll(course.status, course.pricing, source, taken, max).map_err(enroll_error)?;
    let row = match existing {
        Some(mut en) => {
            en.status = CourseEnrollmentStatus::Active;
            en.source = source;
            en.payment_id = payment_id.or(en.payment_id);
            en.enrolled_at = now;
            en.expires_at = expires_at;
            en.completed_at = None;
            en.updated_at = now;
            courses::update_enrollment(tx, en).await?
        }
        None => {
            courses::insert_enrollment(
                tx,
                CourseEnrollment {
                    id: Uuid::now_v7(),
                    org_id: course.org_id,
                    course_id: course.id,
                    user_id,
                    source,
                    status: CourseEnrollmentStatus::Active,
                    payment_id,
                    enrolled_at: now,
                    expires_at,
                    completed_at: None,
                    progress_percent: 0,
                    last_activity_at: None,
                    last_lecture_id: None,
                    updated_at: now,
                },
            )
            .await?
        }
    };
    audit
        .record(
            tx,
            AuditAction::CourseEnrollmentCreated,
            row.id,
            json!({ "course_id": course.id, "user_id": user_id, "source": source,
                "payment_id": payment_id }),
        )
        .await?;
    Ok(Some(row))
}

/// The learner's page of a course, for links in notices.
async fn course_link(tx: &Tx, course: &Course) -> Result<Option<String>, ApiError> {
    Ok(tenancy::org_by_id(tx, course.org_id)
        .await?
        .map(|o| format!("/orgs/{}/learn/{}", o.slug, course.id)))
}

/// Tells learners just enrolled (`course_enrolled`) or who just completed
/// the course (`course_completed`), in the transaction that did it.
async fn tell_learners(
    tx: &Tx,
    state: &AppState,
    course: &Course,
    template_key: &str,
    learners: &[Uuid],
) -> Result<(), ApiError> {
    if learners.is_empty() {
        return Ok(());
    }
    let kind = if template_key == "course_completed" {
        NoticeKind::Achievement
    } else {
        NoticeKind::CourseUpdate
    };
    notify::send_many(
        tx,
        state,
        Broadcast {
            org_id: Some(course.org_id),
            kind,
            priority: Priority::Medium,
            template_key,
            link: course_link(tx, course).await?,
        },
        learners
            .iter()
            .map(|u| (*u, Vars::new().set("course", &course.title)))
            .collect(),
    )
    .await
}

/// A learner enrolls themselves in a published FREE course (402
/// `payment_required` for a paid one; 409 when full or closed). Enrolling
/// again while active answers the enrollment as it is.
pub async fn enroll_self(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
) -> Result<CourseEnrollmentView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let seen = access::see(&tx, caller, course_id, false, now).await?;
    let audit = caller.auth.audit(now);
    let row = match admit(
        &tx,
        &audit,
        &seen.course,
        caller.user_id(),
        Admission {
            source: EnrollmentSource::Free,
            payment_id: None,
            expires_at: None,
        },
        now,
    )
    .await?
    {
        Some(row) => {
            tell_learners(&tx, state, &seen.course, "course_enrolled", &[row.user_id]).await?;
            row
        }
        None => seen
            .enrollment
            .ok_or_else(|| ApiError::internal("an active enrollment vanished"))?,
    };
    commit(tx).await?;
    Ok(CourseEnrollmentView::of(&row, now))
}

/// What a learner sends to buy a course.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    /// MANUAL (invoice, the default) or STRIPE.
    pub provider: Option<String>,
}

/// A learner buys a PAID course: a PENDING payment of the course's price
/// (the payee is its first instructor) and the provider's checkout. The
/// enrollment comes with the completed payment ([`enroll_paid`], from the
/// payments module's completion hook). 409 `already_enrolled` while enrolled;
/// a FREE course is enrolled into directly (422); a closed or full course is
/// 409 as for enrolling.
pub async fn checkout(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    body: CheckoutBody,
) -> Result<crate::payments::service::CheckoutView, ApiError> {
    use crate::payments::service::{Purpose, open_checkout, start_checkout};
    use invigil_domain::payments::{ProviderKind, PurposeKind};
    let provider = match body.provider.as_deref() {
        None => ProviderKind::Manual,
        Some(p) => ProviderKind::parse(p)
            .ok_or_else(|| ApiError::field("provider", "must be MANUAL or STRIPE"))?,
    };
    let now = state.now();
    let tx = begin(state).await?;
    let seen = access::see(&tx, caller, course_id, false, now).await?;
    let course = &seen.course;
    if seen.enrolled {
        return Err(ApiError::conflict_code(
            "already_enrolled",
            "you are enrolled in this course already",
        ));
    }
    if course.pricing != Pricing::Paid {
        return Err(ApiError::field(
            "course",
            "only a PAID course is bought; enroll in a free one directly",
        ));
    }
    let taken = courses::seats_taken(&tx, course.org_id, course.id).await?;
    let max = course.max_students.and_then(|m| u64::try_from(m).ok());
    may_enroll(
        course.status,
        course.pricing,
        EnrollmentSource::Paid,
        taken,
        max,
    )
    .map_err(enroll_error)?;
    let currency = course
        .currency
        .clone()
        .ok_or_else(|| ApiError::internal("a paid course without a currency"))?;
    let payee = courses::instructors_of(&tx, course.org_id, course.id)
        .await?
        .first()
        .map(|i| i.user_id);
    let pending = start_checkout(
        &tx,
        course.org_id,
        caller.user_id(),
        Purpose {
            kind: PurposeKind::Course,
            id: course.id,
        },
        course.price_minor,
        &currency,
        payee,
        provider,
        &course.title,
        now,
    )
    .await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::PaymentCreated,
            pending.payment.id,
            json!({ "course_id": course.id, "amount": course.price_minor,
                "currency": currency, "provider": provider }),
        )
        .await?;
    commit(tx).await?;
    open_checkout(state, pending).await
}

/// The payments module's way in: enrolls `user_id` in `course_id` of
/// `org_id` as PAID with the payment that paid for it, in the payment's
/// transaction, at the audit's time. `Ok(None)` when they were enrolled and active already.
/// The caller has checked the payment; the course must be published and
/// not full.
pub async fn enroll_paid(
    tx: &Tx,
    state: &AppState,
    audit: &Audit<'_>,
    org_id: Uuid,
    course_id: Uuid,
    user_id: Uuid,
    payment_id: Uuid,
) -> Result<Option<CourseEnrollment>, ApiError> {
    let now = audit.now;
    let course = courses::course(tx, org_id, course_id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let row = admit(
        tx,
        audit,
        &course,
        user_id,
        Admission {
            source: EnrollmentSource::Paid,
            payment_id: Some(payment_id),
            expires_at: None,
        },
        now,
    )
    .await?;
    if row.is_some() {
        tell_learners(tx, state, &course, "course_enrolled", &[user_id]).await?;
    }
    Ok(row)
}

/// A learner leaves a course (progress kept for a re-enrollment).
pub async fn drop_self(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
) -> Result<CourseEnrollmentView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let seen = access::see(&tx, caller, course_id, false, now).await?;
    let en = seen
        .enrollment
        .filter(|e| e.status != CourseEnrollmentStatus::Dropped)
        .ok_or_else(|| ApiError::conflict("you are not enrolled in this course"))?;
    let en = mark_dropped(&tx, caller, en, false, now).await?;
    commit(tx).await?;
    Ok(CourseEnrollmentView::of(&en, now))
}

/// Staff take a learner out of a course they may edit (progress kept for a
/// re-enrollment); 409 when the learner has left already.
pub async fn drop_learner(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    user_id: Uuid,
) -> Result<CourseEnrollmentView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let en = courses::enrollment_of(&tx, caller.org_id(), course_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if en.status == CourseEnrollmentStatus::Dropped {
        return Err(ApiError::conflict(
            "the learner has left the course already",
        ));
    }
    let en = mark_dropped(&tx, caller, en, true, now).await?;
    commit(tx).await?;
    Ok(CourseEnrollmentView::of(&en, now))
}

async fn mark_dropped(
    tx: &Tx,
    caller: &Caller,
    mut en: CourseEnrollment,
    by_staff: bool,
    now: DateTime<Utc>,
) -> Result<CourseEnrollment, ApiError> {
    en.status = CourseEnrollmentStatus::Dropped;
    en.updated_at = now;
    let en = courses::update_enrollment(tx, en).await?;
    caller
        .auth
        .audit(now)
        .record(
            tx,
            AuditAction::CourseEnrollmentDropped,
            en.id,
            json!({ "course_id": en.course_id, "user_id": en.user_id, "by_staff": by_staff }),
        )
        .await?;
    Ok(en)
}

/// Whom staff enroll: members holding CANDIDATE, by id or email.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseInviteBody {
    #[serde(default)]
    pub user_ids: Vec<Uuid>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// When the enrollments end (optional).
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CourseInviteResult {
    pub enrolled: Vec<CourseEnrollmentView>,
    /// Learners who were enrolled and active already.
    pub already_enrolled: Vec<Uuid>,
}

/// Staff enroll members holding CANDIDATE (INVITED). Every id and email is
/// checked first: one that is not such a member is a 422 naming it, and
/// nothing is enrolled; 409 when the course lacks the seats.
pub async fn invite(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    body: CourseInviteBody,
) -> Result<CourseInviteResult, ApiError> {
    let now = state.now();
    if body.user_ids.is_empty() && body.emails.is_empty() {
        return Err(ApiError::field("user_ids", "name at least one learner"));
    }
    if body.user_ids.len() + body.emails.len() > 500 {
        return Err(ApiError::field(
            "user_ids",
            "at most 500 learners at a time",
        ));
    }
    if body.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::field("expires_at", "must be in the future"));
    }
    let tx = begin(state).await?;
    let course = access::edit(&tx, caller, course_id, now).await?;
    let mut errors = Vec::new();
    let mut ids: Vec<(String, Uuid)> = body
        .user_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (format!("user_ids[{i}]"), *id))
        .collect();
    for (i, raw) in body.emails.iter().enumerate() {
        let field = format!("emails[{i}]");
        let found = match Email::parse(raw) {
            Ok(email) => users::by_email(&tx, email.as_str()).await?,
            Err(e) => {
                errors.push(FieldError::new(&field, e.to_string()));
                continue;
            }
        };
        match found {
            Some(u) => ids.push((field, u.id)),
            None => errors.push(FieldError::new(&field, "no member with this email")),
        }
    }
    let mut seen = HashSet::new();
    let mut learners = Vec::new();
    for (field, id) in ids {
        if !is_learner(&tx, caller.org_id(), id).await? {
            errors.push(FieldError::new(
                &field,
                "must be an active member of the organization holding CANDIDATE",
            ));
        } else if caller.auth.on_session_of(id).is_err() {
            errors.push(FieldError::new(&field, "you cannot enroll yourself"));
        } else if seen.insert(id) {
            learners.push(id);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let audit = caller.auth.audit(now);
    let mut out = CourseInviteResult {
        enrolled: Vec::new(),
        already_enrolled: Vec::new(),
    };
    for id in learners {
        match admit(
            &tx,
            &audit,
            &course,
            id,
            Admission {
                source: EnrollmentSource::Invited,
                payment_id: None,
                expires_at: body.expires_at,
            },
            now,
        )
        .await?
        {
            Some(row) => out.enrolled.push(CourseEnrollmentView::of(&row, now)),
            None => out.already_enrolled.push(id),
        }
    }
    let enrolled: Vec<Uuid> = out.enrolled.iter().map(|e| e.user_id).collect();
    tell_learners(&tx, state, &course, "course_enrolled", &enrolled).await?;
    commit(tx).await?;
    Ok(out)
}

async fn is_learner(tx: &Tx, org_id: Uuid, user_id: Uuid) -> Result<bool, ApiError> {
    match tenancy::member(tx, org_id, user_id).await? {
        Some(m) if m.status == MemberStatus::Active => Ok(tenancy::roles_of(tx, org_id, user_id)
            .await?
            .iter()
            .any(|(r, _)| *r == Role::Candidate)),
        _ => Ok(false),
    }
}

/// A course's enrollments (its staff).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    page: Keyset<Uuid>,
) -> Result<Page<CourseEnrollmentView>, ApiError> {
    let now = state.now();
    let db = state.db.read();
    access::edit(db, caller, course_id, now).await?;
    let rows = courses::enrollments_page(db, caller.org_id(), course_id, page).await?;
    Ok(Page::from_keyset(rows, |e| {
        CourseEnrollmentView::of(&e, now)
    }))
}

/// A course's active lectures in course order (chapters, then lectures).
async fn ordered_lectures<C: invigil_store::courses::Conn>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
) -> Result<Vec<Lecture>, ApiError> {
    let chapters = courses::chapters_of(conn, org_id, course_id).await?;
    let rank: HashMap<Uuid, usize> = chapters
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut lectures = courses::lectures_of(conn, org_id, course_id, false).await?;
    lectures.sort_by_key(|l| {
        (
            rank.get(&l.chapter_id).copied().unwrap_or(usize::MAX),
            l.sort_order,
            l.id,
        )
    });
    Ok(lectures)
}

/// Whether the learner passed a FINAL_EXAM assessment of the course.
async fn final_passed<C: invigil_store::courses::Conn>(
    conn: &C,
    course: &Course,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    let finals: Vec<Uuid> = courses::assessments_of(conn, course.org_id, course.id)
        .await?
        .iter()
        .filter(|a| a.test_type == TestType::FinalExam)
        .map(|a| a.exam_id)
        .collect();
    Ok(
        courses::graded_sessions_of(conn, course.org_id, &finals, user_id)
            .await?
            .iter()
            .any(|s| s.passed == Some(true)),
    )
}

/// Recomputes an enrollment's percent and completion from its progress
/// rows; COMPLETED (with completed_at, audited) when earned.
async fn recompute(
    tx: &Tx,
    state: &AppState,
    audit: &Audit<'_>,
    course: &Course,
    mut en: CourseEnrollment,
    now: DateTime<Utc>,
) -> Result<CourseEnrollment, ApiError> {
    let lectures = ordered_lectures(tx, course.org_id, course.id).await?;
    let active: HashSet<Uuid> = lectures.iter().map(|l| l.id).collect();
    let done = courses::progress_of(tx, en.id)
        .await?
        .iter()
        .filter(|p| p.completed_at.is_some() && active.contains(&p.lecture_id))
        .count();
    en.progress_percent = progress_percent(done, active.len());
    let passed = course.requires_final_pass && final_passed(tx, course, en.user_id).await?;
    let complete = is_complete(done, active.len(), course.requires_final_pass, passed);
    let newly = complete && en.status == CourseEnrollmentStatus::Active;
    if newly {
        en.status = CourseEnrollmentStatus::Completed;
        en.completed_at = Some(now);
    }
    en.updated_at = now;
    let en = courses::update_enrollment(tx, en).await?;
    if newly {
        audit
            .record(
                tx,
                AuditAction::CourseEnrollmentCompleted,
                en.id,
                json!({ "course_id": course.id, "user_id": en.user_id }),
            )
            .await?;
        tell_learners(tx, state, course, "course_completed", &[en.user_id]).await?;
    }
    Ok(en)
}

/// Settles a completion earned since the last write (a final exam passed):
/// only writes when the enrollment becomes COMPLETED.
pub async fn settle_completion(
    state: &AppState,
    caller: &Caller,
    course: &Course,
    en: &CourseEnrollment,
) -> Result<CourseEnrollment, ApiError> {
    if en.status != CourseEnrollmentStatus::Active || !course.requires_final_pass {
        return Ok(en.clone());
    }
    let db = state.db.read();
    let lectures = ordered_lectures(db, course.org_id, course.id).await?;
    let active: HashSet<Uuid> = lectures.iter().map(|l| l.id).collect();
    let done = courses::progress_of(db, en.id)
        .await?
        .iter()
        .filter(|p| p.completed_at.is_some() && active.contains(&p.lecture_id))
        .count();
    if done < active.len() || !final_passed(db, course, en.user_id).await? {
        return Ok(en.clone());
    }
    let now = state.now();
    let tx = begin(state).await?;
    let fresh = courses::enrollment_of(&tx, course.org_id, course.id, en.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let out = recompute(&tx, state, &caller.auth.audit(now), course, fresh, now).await?;
    commit(tx).await?;
    Ok(out)
}

/// A passed final exam (`session`, just finished in `tx`) completes the
/// learner's ACTIVE enrollment in `course_id` when every lecture is done;
/// audited as the learner's.
pub async fn settle_final(
    tx: &Tx,
    state: &AppState,
    course_id: Uuid,
    session: &invigil_store::delivery::Session,
) -> Result<(), ApiError> {
    let Some(course) = courses::course(tx, session.org_id, course_id)
        .await?
        .filter(|c| c.deleted_at.is_none() && c.requires_final_pass)
    else {
        return Ok(());
    };
    let Some(en) = courses::enrollment_of(tx, course.org_id, course.id, session.user_id)
        .await?
        .filter(|e| e.status == CourseEnrollmentStatus::Active)
    else {
        return Ok(());
    };
    let now = state.now();
    let client = crate::http::auth::ClientInfo::default();
    let audit = Audit::user(session.user_id, &client, Some(course.org_id), now);
    recompute(tx, state, &audit, &course, en, now).await?;
    Ok(())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressBody {
    /// Where the video is (clamped to the lecture's duration).
    pub position_seconds: Option<i64>,
    /// `true` marks the lecture done; it never goes back.
    pub completed: Option<bool>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ProgressView {
    pub lecture_id: Uuid,
    pub position_seconds: i32,
    pub completed_at: Option<DateTime<Utc>>,
    pub enrollment: CourseEnrollmentView,
}

/// Saves the learner's progress in a lecture (idempotent).
pub async fn save_progress(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    lecture_id: Uuid,
    body: ProgressBody,
) -> Result<ProgressView, ApiError> {
    if body.position_seconds.is_some_and(|p| p < 0) {
        return Err(ApiError::field("position_seconds", "must be 0 or more"));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let seen = access::see(&tx, caller, course_id, false, now).await?;
    let en = match (&seen.enrollment, seen.enrolled) {
        (Some(en), true) => en.clone(),
        _ => {
            return Err(ApiError::conflict_code(
                "not_enrolled",
                "enroll in the course (or renew an expired enrollment) to save progress",
            ));
        }
    };
    let lecture = courses::lecture(&tx, caller.org_id(), course_id, lecture_id)
        .await?
        .filter(|l| l.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let current = courses::progress_row(&tx, en.id, lecture_id).await?;
    let is_new = current.is_none();
    let mut row = current.unwrap_or(LectureProgress {
        enrollment_id: en.id,
        lecture_id,
        org_id: caller.org_id(),
        course_id,
        user_id: en.user_id,
        position_seconds: 0,
        completed_at: None,
        updated_at: now,
    });
    if let Some(p) = body.position_seconds {
        row.position_seconds = clamp_position(p, lecture.duration_seconds);
    }
    if body.completed == Some(true) && row.completed_at.is_none() {
        row.completed_at = Some(now);
    }
    row.updated_at = now;
    let row = courses::save_progress(&tx, row, is_new).await?;
    let mut en = en;
    en.last_activity_at = Some(now);
    en.last_lecture_id = Some(lecture_id);
    let en = recompute(&tx, state, &caller.auth.audit(now), &seen.course, en, now).await?;
    commit(tx).await?;
    Ok(ProgressView {
        lecture_id,
        position_seconds: row.position_seconds,
        completed_at: row.completed_at,
        enrollment: CourseEnrollmentView::of(&en, now),
    })
}

/// The outline: chapters in order with their lectures (no content) and
/// assessments; the enrolled learner's marks; deleted lectures for staff.
pub async fn outline(
    state: &AppState,
    caller: &Caller,
    seen: &Seen,
) -> Result<Vec<ChapterOutline>, ApiError> {
    let db = state.db.read();
    let org_id = caller.org_id();
    let course_id = seen.course.id;
    let chapters = courses::chapters_of(db, org_id, course_id).await?;
    let lectures = courses::lectures_of(db, org_id, course_id, seen.staff).await?;
    let progress: HashMap<Uuid, LectureProgress> = match &seen.enrollment {
        Some(en) => courses::progress_of(db, en.id)
            .await?
            .into_iter()
            .map(|p| (p.lecture_id, p))
            .collect(),
        None => HashMap::new(),
    };
    let assessments = assessments::views_for(state, caller, seen).await?;
    let mut out = Vec::with_capacity(chapters.len());
    for c in &chapters {
        let mut o = ChapterOutline::of(c);
        for l in lectures.iter().filter(|l| l.chapter_id == c.id) {
            let p = progress.get(&l.id);
            let mine = seen.enrollment.is_some();
            o.lectures.push(LectureOutline {
                id: l.id,
                title: l.title.clone(),
                kind: l.kind,
                duration_seconds: l.duration_seconds,
                is_preview: l.is_preview,
                sort_order: l.sort_order,
                completed: mine.then(|| p.is_some_and(|p| p.completed_at.is_some())),
                position_seconds: mine.then(|| p.map_or(0, |p| p.position_seconds)),
                deleted_at: l.deleted_at,
            });
        }
        o.assessments = assessments
            .iter()
            .filter(|a| a.chapter_id == c.id)
            .cloned()
            .collect();
        out.push(o);
    }
    Ok(out)
}

/// `GET /me/courses`: the caller's enrollments in every organization, newest
/// first, with progress and the lecture to open next.
pub async fn my_courses(
    state: &AppState,
    me: &CurrentUser,
    page: Keyset<Uuid>,
) -> Result<Page<MyCourseView>, ApiError> {
    let now = state.now();
    let db = state.db.read();
    let rows = courses::enrollments_of_user(db, me.id(), page).await?;
    let mut orgs: HashMap<Uuid, (String, String)> = HashMap::new();
    let mut items = Vec::with_capacity(rows.items.len());
    for en in &rows.items {
        let Some(course) = courses::course(db, en.org_id, en.course_id).await? else {
            continue;
        };
        let org = match orgs.get(&en.org_id) {
            Some(o) => o.clone(),
            None => {
                let o = tenancy::org_by_id(db, en.org_id)
                    .await?
                    .ok_or_else(|| ApiError::internal("enrollment without organization"))?;
                let v = (o.slug, o.name);
                orgs.insert(en.org_id, v.clone());
                v
            }
        };
        let lectures = ordered_lectures(db, en.org_id, en.course_id).await?;
        let order: Vec<Uuid> = lectures.iter().map(|l| l.id).collect();
        let done: HashSet<Uuid> = courses::progress_of(db, en.id)
            .await?
            .into_iter()
            .filter(|p| p.completed_at.is_some())
            .map(|p| p.lecture_id)
            .filter(|id| order.contains(id))
            .collect();
        let next = next_lecture(&order, &done, en.last_lecture_id);
        items.push(MyCourseView {
            org: org.0,
            org_name: org.1,
            course_id: course.id,
            course_slug: course.slug.clone(),
            title: course.title.clone(),
            enrollment: CourseEnrollmentView::of(en, now),
            lectures_total: order.len() as u64,
            lectures_completed: done.len() as u64,
            next_lecture_id: next,
            next_lecture_title: next
                .and_then(|n| lectures.iter().find(|l| l.id == n))
                .map(|l| l.title.clone()),
        });
    }
    Ok(Page {
        next_cursor: rows.next.map(|n| n.to_string()),
        items,
    })
}
