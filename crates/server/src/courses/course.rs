//! Courses: create (the creator becomes the first instructor), change,
//! publish / archive (pure rules in `invigil_domain::courses`), soft delete
//! and restore, the catalog list, one course with its outline, and the
//! instructors (members whose roles allow `TeachCourses`).

use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::courses::{
    self as rules, CourseLevel, CourseStatus, Pricing, check_price, rating_summary,
};
use invigil_domain::identity::{Action, MemberStatus};
use invigil_store::courses::{self, Course, CourseVisibility};
use invigil_store::{Keyset, Tx, tenancy};

use super::access::{self, Caller};
use super::learn;
use super::validate::Errors;
use super::views::{CourseDetail, CourseView};
use crate::audit::AuditAction;
use crate::authz::parse_grants;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit, double_option};

/// A new course.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseBody {
    pub title: String,
    /// Made from the title when absent.
    pub slug: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    pub category_id: Option<Uuid>,
    /// BEGINNER by default.
    #[schema(value_type = Option<String>)]
    pub level: Option<CourseLevel>,
    /// A language tag (`en`, `pt-BR`); `en` by default.
    pub language: Option<String>,
    /// FREE by default.
    #[schema(value_type = Option<String>)]
    pub pricing: Option<Pricing>,
    /// In minor units (cents); PAID needs a positive price and a currency.
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub max_students: Option<i64>,
    pub requires_final_pass: Option<bool>,
    pub what_you_learn: Option<Vec<String>>,
    pub requirements: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
}

/// A change: the fields present replace the current ones; `null` clears an
/// optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoursePatch {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    #[schema(value_type = Option<String>)]
    pub level: Option<CourseLevel>,
    pub language: Option<String>,
    #[schema(value_type = Option<String>)]
    pub pricing: Option<Pricing>,
    pub price_minor: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub max_students: Option<Option<i64>>,
    pub requires_final_pass: Option<bool>,
    pub what_you_learn: Option<Vec<String>>,
    pub requirements: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    pub category_id: Option<Uuid>,
    /// Course managers: the soft-deleted courses instead.
    #[serde(default)]
    pub deleted: bool,
}

fn to_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

/// Checks the whole course after a create or a change (every problem by field).
fn check(c: &mut Course, lists: Lists<'_>, e: &mut Errors) {
    if let Err(p) = check_price(c.pricing, c.price_minor, c.currency.as_deref()) {
        let field = match p {
            rules::PriceError::BadCurrency | rules::PriceError::NeedsCurrency => "currency",
            _ => "price_minor",
        };
        e.push(field, p.to_string());
    }
    if let Some(m) = c.max_students
        && m < 1
    {
        e.push("max_students", "must be at least 1 (or null: no limit)");
    }
    if let Some(v) = lists.what_you_learn {
        c.what_you_learn = to_json(&e.lines::<300>("what_you_learn", v, 50));
    }
    if let Some(v) = lists.requirements {
        c.requirements = to_json(&e.lines::<300>("requirements", v, 50));
    }
    if let Some(v) = lists.tags {
        c.tags = to_json(&e.lines::<50>("tags", v, 20));
    }
}

struct Lists<'a> {
    what_you_learn: Option<&'a [String]>,
    requirements: Option<&'a [String]>,
    tags: Option<&'a [String]>,
}

fn max_students(e: &mut Errors, v: Option<i64>) -> Option<i32> {
    v.map(|m| {
        i32::try_from(m).unwrap_or_else(|_| {
            e.push("max_students", "must be at most 2147483647");
            1
        })
    })
}

async fn check_category(tx: &Tx, org_id: Uuid, id: Option<Uuid>) -> Result<(), ApiError> {
    if let Some(id) = id
        && courses::category(tx, org_id, id).await?.is_none()
    {
        return Err(ApiError::field(
            "category_id",
            "no category with this id in the organization",
        ));
    }
    Ok(())
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    body: CourseBody,
) -> Result<CourseView, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    let title = e.line::<200>("title", &body.title);
    let slug = e.slug(body.slug.as_deref(), &title);
    let description = e.markdown("description", body.description.as_deref().unwrap_or(""));
    let language = e.language(body.language.as_deref().unwrap_or("en"));
    let max = max_students(&mut e, body.max_students);
    let id = Uuid::now_v7();
    let mut row = Course {
        id,
        org_id: caller.org_id(),
        category_id: body.category_id,
        title,
        slug,
        description,
        level: body.level.unwrap_or(CourseLevel::Beginner),
        language,
        pricing: body.pricing.unwrap_or(Pricing::Free),
        price_minor: body.price_minor.unwrap_or(0),
        currency: body.currency.clone(),
        status: CourseStatus::Draft,
        max_students: max,
        requires_final_pass: body.requires_final_pass.unwrap_or(false),
        what_you_learn: "[]".into(),
        requirements: "[]".into(),
        tags: "[]".into(),
        published_at: None,
        created_by: caller.user_id(),
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    check(
        &mut row,
        Lists {
            what_you_learn: body.what_you_learn.as_deref(),
            requirements: body.requirements.as_deref(),
            tags: body.tags.as_deref(),
        },
        &mut e,
    );
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    check_category(&tx, caller.org_id(), row.category_id).await?;
    let row = courses::insert_course(&tx, row).await?;
    courses::add_instructor(&tx, caller.org_id(), id, caller.user_id(), now).await?;
    let view = CourseView::from(&row);
    caller
        .auth
        .audit(now)
        .record(&tx, AuditAction::CourseCreated, id, json!(view))
        .await?;
    commit(tx).await?;
    Ok(view)
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    p: CoursePatch,
) -> Result<CourseView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = access::edit(&tx, caller, id, now).await?;
    let before = CourseView::from(&row);
    let mut e = Errors::default();
    if let Some(t) = &p.title {
        row.title = e.line::<200>("title", t);
    }
    if let Some(s) = &p.slug {
        row.slug = e.slug(Some(s), &row.title);
    }
    if let Some(d) = &p.description {
        row.description = e.markdown("description", d);
    }
    if let Some(c) = p.category_id {
        row.category_id = c;
    }
    if let Some(l) = p.level {
        row.level = l;
    }
    if let Some(l) = &p.language {
        row.language = e.language(l);
    }
    if let Some(x) = p.pricing {
        row.pricing = x;
    }
    if let Some(x) = p.price_minor {
        row.price_minor = x;
    }
    if let Some(x) = p.currency {
        row.currency = x;
    }
    if let Some(x) = p.max_students {
        row.max_students = max_students(&mut e, x);
    }
    if let Some(x) = p.requires_final_pass {
        row.requires_final_pass = x;
    }
    check(
        &mut row,
        Lists {
            what_you_learn: p.what_you_learn.as_deref(),
            requirements: p.requirements.as_deref(),
            tags: p.tags.as_deref(),
        },
        &mut e,
    );
    e.done(()).map_err(ApiError::Validation)?;
    check_category(&tx, caller.org_id(), row.category_id).await?;
    row.updated_at = now;
    let row = courses::update_course(&tx, row).await?;
    let after = CourseView::from(&row);
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::CourseUpdated,
            id,
            json!({ "before": before, "after": after }),
        )
        .await?;
    commit(tx).await?;
    Ok(after)
}

/// Publishes (needs a chapter with a lecture) or archives a course.
pub async fn set_status(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    publish: bool,
) -> Result<CourseView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = access::edit(&tx, caller, id, now).await?;
    let next = if publish {
        let has_lecture = !courses::lectures_of(&tx, caller.org_id(), id, false)
            .await?
            .is_empty();
        rules::publish(row.status, has_lecture)
    } else {
        rules::archive(row.status)
    };
    let next = next.map_err(|e| match e {
        rules::LifecycleError::NothingToPublish => ApiError::Unprocessable {
            code: "course_empty",
            detail: e.to_string(),
        },
        rules::LifecycleError::Already(_) => ApiError::conflict(e.to_string()),
    })?;
    let from = row.status;
    row.status = next;
    if publish && row.published_at.is_none() {
        row.published_at = Some(now);
    }
    row.updated_at = now;
    let row = courses::update_course(&tx, row).await?;
    let action = if publish {
        AuditAction::CoursePublished
    } else {
        AuditAction::CourseArchived
    };
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            action,
            id,
            json!({ "from": from, "to": next, "title": row.title }),
        )
        .await?;
    commit(tx).await?;
    Ok(CourseView::from(&row))
}

/// Soft delete (its instructors or a course manager) and restore (course
/// managers). Enrollments, progress and reviews stay.
pub async fn set_deleted(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    deleted: bool,
) -> Result<CourseView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = if deleted {
        access::edit(&tx, caller, id, now).await?
    } else {
        let seen = access::see(&tx, caller, id, true, now).await?;
        if seen.course.deleted_at.is_none() {
            return Err(ApiError::conflict("the course is not deleted"));
        }
        seen.course
    };
    row.deleted_at = deleted.then_some(now);
    row.updated_at = now;
    let row = courses::update_course(&tx, row).await?;
    let action = if deleted {
        AuditAction::CourseDeleted
    } else {
        AuditAction::CourseRestored
    };
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            action,
            id,
            json!({ "title": row.title, "slug": row.slug }),
        )
        .await?;
    commit(tx).await?;
    Ok(CourseView::from(&row))
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    q: &CourseQuery,
    page: Keyset<Uuid>,
) -> Result<Page<CourseView>, ApiError> {
    if q.deleted && !caller.manage {
        return Err(ApiError::Denied(
            "only course managers list deleted courses".into(),
        ));
    }
    let visibility = if caller.manage {
        CourseVisibility::All
    } else if caller.teach {
        CourseVisibility::PublishedOrInstructedBy(caller.user_id())
    } else {
        CourseVisibility::Published
    };
    let rows = courses::courses_page(
        state.db.read(),
        caller.org_id(),
        visibility,
        q.category_id,
        q.deleted,
        page,
    )
    .await?;
    Ok(Page::from_keyset(rows, |c| CourseView::from(&c)))
}

/// One course with its outline (the learner's progress marked), rating and
/// the caller's enrollment. Reading it also settles a completion the
/// learner earned by passing the final exam since.
pub async fn detail(state: &AppState, caller: &Caller, id: Uuid) -> Result<CourseDetail, ApiError> {
    let now = state.now();
    let db = state.db.read();
    let mut seen = access::see(db, caller, id, true, now).await?;
    if let Some(en) = &seen.enrollment
        && seen.enrolled
    {
        seen.enrollment = Some(learn::settle_completion(state, caller, &seen.course, en).await?);
    }
    let instructors = courses::instructors_of(db, caller.org_id(), id)
        .await?
        .into_iter()
        .map(|i| i.user_id)
        .collect();
    let (rating_average, rating_count) =
        rating_summary(&courses::visible_ratings(db, caller.org_id(), id).await?);
    let chapters = learn::outline(state, caller, &seen).await?;
    Ok(CourseDetail {
        course: CourseView::from(&seen.course),
        instructors,
        rating_average,
        rating_count,
        chapters,
        enrollment: seen
            .enrollment
            .as_ref()
            .map(|e| super::views::CourseEnrollmentView::of(e, now)),
        is_staff: seen.staff,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstructorBody {
    pub user_id: Uuid,
}

/// The instructors of a course (its staff).
pub async fn instructors(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<Vec<Uuid>, ApiError> {
    let db = state.db.read();
    access::edit(db, caller, id, state.now()).await?;
    Ok(courses::instructors_of(db, caller.org_id(), id)
        .await?
        .into_iter()
        .map(|i| i.user_id)
        .collect())
}

/// Adds an instructor (course managers): an active member whose roles
/// allow `TeachCourses`.
pub async fn add_instructor(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    user_id: Uuid,
) -> Result<Vec<Uuid>, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::see(&tx, caller, id, false, now).await?;
    let member = tenancy::member(&tx, caller.org_id(), user_id).await?;
    let teaches = match member {
        Some(m) if m.status == MemberStatus::Active => {
            let grants = parse_grants(tenancy::roles_of(&tx, caller.org_id(), user_id).await?);
            invigil_domain::identity::decide(false, &grants, Action::TeachCourses, None)
                .is_allowed()
        }
        _ => false,
    };
    if !teaches {
        return Err(ApiError::field(
            "user_id",
            "must be an active member whose roles allow teaching courses (exam author, exam coordinator or org admin)",
        ));
    }
    courses::add_instructor(&tx, caller.org_id(), id, user_id, now).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::CourseInstructorAdded,
            id,
            json!({ "user_id": user_id }),
        )
        .await?;
    let list = courses::instructors_of(&tx, caller.org_id(), id).await?;
    commit(tx).await?;
    Ok(list.into_iter().map(|i| i.user_id).collect())
}

/// Removes an instructor (course managers); a course keeps at least one.
pub async fn remove_instructor(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::see(&tx, caller, id, false, now).await?;
    let list = courses::instructors_of(&tx, caller.org_id(), id).await?;
    if !list.iter().any(|i| i.user_id == user_id) {
        return Err(ApiError::NotFound);
    }
    if list.len() == 1 {
        return Err(ApiError::conflict(
            "a course keeps at least one instructor: add another first",
        ));
    }
    courses::remove_instructor(&tx, caller.org_id(), id, user_id).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::CourseInstructorRemoved,
            id,
            json!({ "user_id": user_id }),
        )
        .await?;
    commit(tx).await?;
    Ok(())
}
