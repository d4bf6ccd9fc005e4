//! Handlers for learning: enrollments, progress, `GET /me/courses`,
//! reviews and the assessments of a course.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::access::{Caller, EDITORS, READERS};
use super::assessments::{self, AssessmentBody};
use super::learn::{self, CourseInviteBody, CourseInviteResult, ProgressBody, ProgressView};
use super::reviews::{self, ModerationBody, ReviewBody, ReviewPatch, ReviewQuery};
use super::views::{AssessmentView, CourseEnrollmentView, CourseReviewView, MyCourseView};
use crate::authz::OrgCtx;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enroll_self))
        .routes(routes!(checkout))
        .routes(routes!(drop_self))
        .routes(routes!(list_course_enrollments, invite_to_course))
        .routes(routes!(save_progress))
        .routes(routes!(lecture_file))
        .routes(routes!(my_courses))
        .routes(routes!(list_reviews, create_review))
        .routes(routes!(patch_review, delete_review))
        .routes(routes!(restore_review))
        .routes(routes!(moderate_review))
        .routes(routes!(list_assessments, create_assessment))
        .routes(routes!(delete_assessment))
        .routes(routes!(enroll_me))
}

type P2 = ApiPath<(String, Uuid)>;
type P3 = ApiPath<(String, Uuid, Uuid)>;

/// Enroll yourself in a published free course (learners). 402
/// `payment_required` for a paid course, 409 `course_full` / `course_closed`.
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/enroll", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = CourseEnrollmentView), (status = 402), (status = 403),
        (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn enroll_self(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<CourseEnrollmentView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::LearnCourses])?;
    learn::enroll_self(&state, &caller, id).await.map(Json)
}

/// Buy a PAID course (learners): a PENDING payment of its price and the
/// provider's checkout (MANUAL: invoice instructions; STRIPE: a checkout
/// URL). The enrollment comes when the payment completes. 409
/// `already_enrolled`, `course_full` or `course_closed`; 422 for a free course.
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/checkout", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    request_body(content = Option<learn::CheckoutBody>, description = "optional `{provider}`: MANUAL (default) or STRIPE"),
    responses((status = 201, body = crate::payments::service::CheckoutView), (status = 403),
        (status = 404), (status = 409), (status = 422), (status = 502)),
    security(("bearer" = [])))]
pub async fn checkout(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<(StatusCode, Json<crate::payments::service::CheckoutView>), ApiError> {
    let caller = Caller::of(&ctx, &[Action::LearnCourses])?;
    let bytes = crate::http::extract::body_bytes(req, &state).await?;
    let body: learn::CheckoutBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        learn::CheckoutBody::default()
    } else {
        crate::http::extract::parse_json(&bytes)?
    };
    let view = learn::checkout(&state, &caller, id, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Leave a course (progress is kept for a re-enrollment).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/drop", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = CourseEnrollmentView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn drop_self(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<CourseEnrollmentView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::LearnCourses])?;
    learn::drop_self(&state, &caller, id).await.map(Json)
}

/// The course's enrollments (its staff).
#[utoipa::path(get, path = "/orgs/{org}/courses/{course}/enrollments", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<CourseEnrollmentView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_course_enrollments(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<CourseEnrollmentView>>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    learn::list(&state, &caller, id, page.keyset()?)
        .await
        .map(Json)
}

/// Enroll members holding CANDIDATE, by user id or email (its staff; all
/// or nothing: 422 names the ones that are not such members).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/enrollments", tag = "courses",
    request_body = CourseInviteBody, params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = CourseInviteResult), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn invite_to_course(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<CourseInviteResult>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: CourseInviteBody = json_body(req, &state).await?;
    learn::invite(&state, &caller, id, body).await.map(Json)
}

/// Save your progress in a lecture (idempotent; completed never goes back;
/// the position is clamped to the lecture's duration).
#[utoipa::path(put, path = "/orgs/{org}/courses/{course}/lectures/{lecture}/progress", tag = "courses",
    request_body = ProgressBody,
    params(("org" = String, Path), ("course" = Uuid, Path), ("lecture" = Uuid, Path)),
    responses((status = 200, body = ProgressView), (status = 403), (status = 404),
        (status = 409, description = "not_enrolled"), (status = 422)),
    security(("bearer" = [])))]
pub async fn save_progress(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, lecture)): P3,
    req: Request,
) -> Result<Json<ProgressView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::LearnCourses])?;
    let body: ProgressBody = json_body(req, &state).await?;
    learn::save_progress(&state, &caller, id, lecture, body)
        .await
        .map(Json)
}

/// A lecture's file (video or PDF), streamed with HTTP ranges so a video
/// seeks: for an enrolled learner (active, not expired), the course's
/// staff, and every reader for a free-preview lecture of a published
/// course. Anyone else, and a lecture without a file, 404.
#[utoipa::path(get, path = "/orgs/{org}/courses/{course}/lectures/{lecture}/file", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("lecture" = Uuid, Path)),
    responses((status = 200, description = "the whole file"),
        (status = 206, description = "the requested range"),
        (status = 304, description = "If-None-Match matched the ETag"),
        (status = 403), (status = 404),
        (status = 416, description = "range_not_satisfiable; Content-Range: bytes */size")),
    security(("bearer" = [])))]
pub async fn lecture_file(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, lecture)): P3,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    super::media::lecture_file(&state, &caller, id, lecture, &headers).await
}

/// Your courses in every organization with progress and the lecture to
/// open next ("continue where I left off").
#[utoipa::path(get, path = "/me/courses", tag = "courses",
    params(PageQuery), responses((status = 200, body = Page<MyCourseView>)),
    security(("bearer" = [])))]
pub async fn my_courses(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<MyCourseView>>, ApiError> {
    learn::my_courses(&state, &me, page.keyset()?)
        .await
        .map(Json)
}

/// Reviews of a course, newest first (hidden ones for its staff).
#[utoipa::path(get, path = "/orgs/{org}/courses/{course}/reviews", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ReviewQuery),
    responses((status = 200, body = Page<CourseReviewView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_reviews(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> Result<Json<Page<CourseReviewView>>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    reviews::list(&state, &caller, id, q.deleted, page.keyset()?)
        .await
        .map(Json)
}

/// Review a course you are enrolled in (one per learner: 409 again).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/reviews", tag = "courses",
    request_body = ReviewBody, params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 201, body = CourseReviewView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_review(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<(StatusCode, Json<CourseReviewView>), ApiError> {
    let caller = Caller::of(&ctx, &[Action::LearnCourses])?;
    let body: ReviewBody = json_body(req, &state).await?;
    let v = reviews::create(&state, &caller, id, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Edit your review.
#[utoipa::path(patch, path = "/orgs/{org}/courses/{course}/reviews/{review}", tag = "courses",
    request_body = ReviewPatch,
    params(("org" = String, Path), ("course" = Uuid, Path), ("review" = Uuid, Path)),
    responses((status = 200, body = CourseReviewView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_review(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, review)): P3,
    req: Request,
) -> Result<Json<CourseReviewView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::LearnCourses])?;
    let body: ReviewPatch = json_body(req, &state).await?;
    reviews::update(&state, &caller, id, review, body)
        .await
        .map(Json)
}

/// Delete your review (soft; course managers can restore it).
#[utoipa::path(delete, path = "/orgs/{org}/courses/{course}/reviews/{review}", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("review" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_review(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, review)): P3,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, &[Action::LearnCourses])?;
    reviews::delete(&state, &caller, id, review).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restore a deleted review (course managers).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/reviews/{review}/restore", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("review" = Uuid, Path)),
    responses((status = 200, body = CourseReviewView), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn restore_review(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, review)): P3,
) -> Result<Json<CourseReviewView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::ManageCourses])?;
    reviews::restore(&state, &caller, id, review)
        .await
        .map(Json)
}

/// Hide a review with a reason, or show it again (the course's staff).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/reviews/{review}/moderation", tag = "courses",
    request_body = ModerationBody,
    params(("org" = String, Path), ("course" = Uuid, Path), ("review" = Uuid, Path)),
    responses((status = 200, body = CourseReviewView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn moderate_review(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, review)): P3,
    req: Request,
) -> Result<Json<CourseReviewView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: ModerationBody = json_body(req, &state).await?;
    reviews::moderate(&state, &caller, id, review, body)
        .await
        .map(Json)
}

/// The exams inside a course (for a learner: enrolled or not, and their
/// result as soon as graded when the assessment shows results).
#[utoipa::path(get, path = "/orgs/{org}/courses/{course}/assessments", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = Vec<AssessmentView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_assessments(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<Vec<AssessmentView>>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    assessments::list(&state, &caller, id).await.map(Json)
}

/// Put an exam of the organization into a chapter (the course's staff).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/assessments", tag = "courses",
    request_body = AssessmentBody, params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 201, body = AssessmentView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_assessment(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<(StatusCode, Json<AssessmentView>), ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: AssessmentBody = json_body(req, &state).await?;
    let v = assessments::create(&state, &caller, id, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Take an exam out of the course (its sessions stay with the exam).
#[utoipa::path(delete, path = "/orgs/{org}/courses/{course}/assessments/{assessment}", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("assessment" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_assessment(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, a)): P3,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    assessments::delete(&state, &caller, id, a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enroll yourself in the assessment's exam (learners enrolled in the
/// course); then take it from `/me/exams` like any exam.
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/assessments/{assessment}/enroll-me", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("assessment" = Uuid, Path)),
    responses((status = 200, body = AssessmentView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn enroll_me(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, a)): P3,
) -> Result<Json<AssessmentView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::LearnCourses])?;
    assessments::enroll_me(&state, &caller, id, a)
        .await
        .map(Json)
}
