//! The caller's standing towards courses and one course.

use uuid::Uuid;

use invigil_domain::courses::{effective_status, grants_access};
use invigil_domain::identity::Action;
use invigil_store::courses::{self, Course, CourseEnrollment};

use crate::authz::{Authorized, OrgCtx};
use crate::http::error::ApiError;

/// What the caller may do with courses in the organization of the path.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The first of the route's actions the policy allowed (for audit).
    pub auth: Authorized,
    pub manage: bool,
    pub teach: bool,
    pub learn: bool,
}

impl Caller {
    /// 403 unless the policy allows one of `any_of`.
    pub fn of(ctx: &OrgCtx, any_of: &[Action]) -> Result<Caller, ApiError> {
        let auth = any_of
            .iter()
            .find_map(|a| ctx.authorize(*a).ok())
            .ok_or(ApiError::Forbidden)?;
        let may = |a| ctx.authorize(a).is_ok();
        Ok(Caller {
            auth,
            manage: may(Action::ManageCourses),
            teach: may(Action::TeachCourses),
            learn: may(Action::LearnCourses),
        })
    }

    pub fn org_id(&self) -> Uuid {
        self.auth.org_id
    }

    pub fn user_id(&self) -> Uuid {
        self.auth.actor.user_id
    }
}

/// Every role that reads courses.
pub const READERS: &[Action] = &[
    Action::ManageCourses,
    Action::TeachCourses,
    Action::LearnCourses,
];
/// Roles that edit a course (an instructor of it, or a course manager).
pub const EDITORS: &[Action] = &[Action::ManageCourses, Action::TeachCourses];

/// A course as the caller sees it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub course: Course,
    /// A course manager or one of its instructors.
    pub staff: bool,
    /// The caller's enrollment, if any.
    pub enrollment: Option<CourseEnrollment>,
    /// The enrollment gives access to the content now.
    pub enrolled: bool,
}

/// The course `id` if the caller may see it: staff always (deleted courses
/// only for course managers and only with `deleted_ok`), everyone else a
/// PUBLISHED course, or one they are enrolled in. Otherwise 404.
pub async fn see<C: invigil_store::courses::Conn>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
    deleted_ok: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Seen, ApiError> {
    let course = courses::course(conn, caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if course.deleted_at.is_some() && !(deleted_ok && caller.manage) {
        return Err(ApiError::NotFound);
    }
    let instructor =
        caller.teach && courses::is_instructor(conn, caller.org_id(), id, caller.user_id()).await?;
    let staff = caller.manage || instructor;
    let enrollment = courses::enrollment_of(conn, caller.org_id(), id, caller.user_id()).await?;
    let enrolled = enrollment
        .as_ref()
        .is_some_and(|e| grants_access(effective_status(e.status, e.expires_at, now)));
    let visible = staff
        || course.status == invigil_domain::courses::CourseStatus::Published
        || enrollment.is_some();
    if !visible {
        return Err(ApiError::NotFound);
    }
    Ok(Seen {
        course,
        staff,
        enrollment,
        enrolled,
    })
}

/// The course `id` for a change: [`see`], then 403 unless the caller is
/// staff of it.
pub async fn edit<C: invigil_store::courses::Conn>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Course, ApiError> {
    let seen = see(conn, caller, id, false, now).await?;
    if !seen.staff {
        return Err(ApiError::Denied(
            "only the course's instructors and course managers change it".into(),
        ));
    }
    Ok(seen.course)
}
