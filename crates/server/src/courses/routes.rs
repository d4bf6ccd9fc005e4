//! `/orgs/{org}/course-categories*` and `/orgs/{org}/courses*` handlers for
//! the catalog, courses, instructors, chapters and lectures. Learning,
//! reviews and assessments are in [`super::routes_learn`].

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::access::{Caller, EDITORS, READERS};
use super::catalog::{self, CategoryBody, CategoryPatch};
use super::content::{self, ChapterBody, ChapterPatch, LectureBody, LecturePatch, OrderBody};
use super::course::{self, CourseBody, CoursePatch, CourseQuery, InstructorBody};
use super::views::{CategoryView, ChapterView, CourseDetail, CourseView, LectureView};
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(patch_category, delete_category))
        .routes(routes!(list_courses, create_course))
        .routes(routes!(get_course, patch_course, delete_course))
        .routes(routes!(publish_course))
        .routes(routes!(archive_course))
        .routes(routes!(restore_course))
        .routes(routes!(list_instructors, add_instructor))
        .routes(routes!(remove_instructor))
        .routes(routes!(create_chapter))
        .routes(routes!(patch_chapter, delete_chapter))
        .routes(routes!(order_chapters))
        .routes(routes!(create_lecture))
        .routes(routes!(order_lectures))
        .routes(routes!(get_lecture, patch_lecture, delete_lecture))
        .routes(routes!(restore_lecture))
}

type P2 = ApiPath<(String, Uuid)>;
type P3 = ApiPath<(String, Uuid, Uuid)>;

/// The organization's course categories (every course role).
#[utoipa::path(get, path = "/orgs/{org}/course-categories", tag = "courses",
    params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<CategoryView>), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_categories(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<CategoryView>>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    catalog::list(&state, &caller, page.keyset()?)
        .await
        .map(Json)
}

/// Create a category (course managers).
#[utoipa::path(post, path = "/orgs/{org}/course-categories", tag = "courses",
    request_body = CategoryBody, params(("org" = String, Path)),
    responses((status = 201, body = CategoryView), (status = 403),
        (status = 409, description = "slug taken"), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_category(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<CategoryView>), ApiError> {
    let caller = Caller::of(&ctx, &[Action::ManageCourses])?;
    let body: CategoryBody = json_body(req, &state).await?;
    let v = catalog::create(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Change or move a category (422 on a move under its own descendant).
#[utoipa::path(patch, path = "/orgs/{org}/course-categories/{id}", tag = "courses",
    request_body = CategoryPatch, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = CategoryView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_category(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<CategoryView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::ManageCourses])?;
    let body: CategoryPatch = json_body(req, &state).await?;
    catalog::update(&state, &caller, id, body).await.map(Json)
}

/// Delete an empty category (409 with subcategories or courses).
#[utoipa::path(delete, path = "/orgs/{org}/course-categories/{id}", tag = "courses",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn delete_category(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, &[Action::ManageCourses])?;
    catalog::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Courses: learners see the published catalog, teachers also the courses
/// they instruct, course managers all (`deleted=true`: the deleted ones).
#[utoipa::path(get, path = "/orgs/{org}/courses", tag = "courses",
    params(("org" = String, Path), CourseQuery),
    responses((status = 200, body = Page<CourseView>), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_courses(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<CourseQuery>,
) -> Result<Json<Page<CourseView>>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    course::list(&state, &caller, &q, page.keyset()?)
        .await
        .map(Json)
}

/// Create a DRAFT course (teachers); the creator is its first instructor.
#[utoipa::path(post, path = "/orgs/{org}/courses", tag = "courses",
    request_body = CourseBody, params(("org" = String, Path)),
    responses((status = 201, body = CourseView), (status = 403),
        (status = 409, description = "slug taken"), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_course(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<CourseView>), ApiError> {
    let caller = Caller::of(&ctx, &[Action::TeachCourses])?;
    let body: CourseBody = json_body(req, &state).await?;
    let v = course::create(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One course with its outline, rating, instructors and your enrollment.
#[utoipa::path(get, path = "/orgs/{org}/courses/{course}", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = CourseDetail), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_course(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<CourseDetail>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    course::detail(&state, &caller, id).await.map(Json)
}

/// Change a course (its instructors, course managers).
#[utoipa::path(patch, path = "/orgs/{org}/courses/{course}", tag = "courses",
    request_body = CoursePatch, params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = CourseView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_course(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<CourseView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: CoursePatch = json_body(req, &state).await?;
    course::update(&state, &caller, id, body).await.map(Json)
}

/// Soft-delete a course (its instructors, course managers); restorable.
#[utoipa::path(delete, path = "/orgs/{org}/courses/{course}", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_course(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    course::set_deleted(&state, &caller, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publish (needs a chapter with a lecture: 422 `course_empty`).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/publish", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = CourseView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn publish_course(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<CourseView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    course::set_status(&state, &caller, id, true)
        .await
        .map(Json)
}

/// Archive: out of the catalog, no new enrollments; enrolled learners keep it.
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/archive", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = CourseView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn archive_course(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<CourseView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    course::set_status(&state, &caller, id, false)
        .await
        .map(Json)
}

/// Restore a soft-deleted course (course managers).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/restore", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = CourseView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn restore_course(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<CourseView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::ManageCourses])?;
    course::set_deleted(&state, &caller, id, false)
        .await
        .map(Json)
}

/// The course's instructors (its staff).
#[utoipa::path(get, path = "/orgs/{org}/courses/{course}/instructors", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = Vec<Uuid>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_instructors(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<Vec<Uuid>>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    course::instructors(&state, &caller, id).await.map(Json)
}

/// Add an instructor (course managers): a member who may teach courses.
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/instructors", tag = "courses",
    request_body = InstructorBody, params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = Vec<Uuid>), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn add_instructor(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<Vec<Uuid>>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::ManageCourses])?;
    let body: InstructorBody = json_body(req, &state).await?;
    course::add_instructor(&state, &caller, id, body.user_id)
        .await
        .map(Json)
}

/// Remove an instructor (course managers; a course keeps one).
#[utoipa::path(delete, path = "/orgs/{org}/courses/{course}/instructors/{user_id}", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn remove_instructor(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, user_id)): P3,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, &[Action::ManageCourses])?;
    course::remove_instructor(&state, &caller, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a chapter at the end.
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/chapters", tag = "courses",
    request_body = ChapterBody, params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 201, body = ChapterView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_chapter(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<(StatusCode, Json<ChapterView>), ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: ChapterBody = json_body(req, &state).await?;
    let v = content::create_chapter(&state, &caller, id, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Change a chapter.
#[utoipa::path(patch, path = "/orgs/{org}/courses/{course}/chapters/{chapter}", tag = "courses",
    request_body = ChapterPatch,
    params(("org" = String, Path), ("course" = Uuid, Path), ("chapter" = Uuid, Path)),
    responses((status = 200, body = ChapterView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_chapter(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, chapter)): P3,
    req: Request,
) -> Result<Json<ChapterView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: ChapterPatch = json_body(req, &state).await?;
    content::update_chapter(&state, &caller, id, chapter, body)
        .await
        .map(Json)
}

/// Delete an empty chapter (409 while it holds lectures or assessments).
#[utoipa::path(delete, path = "/orgs/{org}/courses/{course}/chapters/{chapter}", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("chapter" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn delete_chapter(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, chapter)): P3,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    content::delete_chapter(&state, &caller, id, chapter).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reorder the chapters: every chapter id once (422 otherwise).
#[utoipa::path(put, path = "/orgs/{org}/courses/{course}/chapters/order", tag = "courses",
    request_body = OrderBody, params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 200, body = Vec<ChapterView>), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn order_chapters(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<Vec<ChapterView>>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: OrderBody = json_body(req, &state).await?;
    content::order_chapters(&state, &caller, id, body)
        .await
        .map(Json)
}

/// Add a lecture at the end of a chapter.
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/chapters/{chapter}/lectures", tag = "courses",
    request_body = LectureBody,
    params(("org" = String, Path), ("course" = Uuid, Path), ("chapter" = Uuid, Path)),
    responses((status = 201, body = LectureView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_lecture(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, chapter)): P3,
    req: Request,
) -> Result<(StatusCode, Json<LectureView>), ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: LectureBody = json_body(req, &state).await?;
    let v = content::create_lecture(&state, &caller, id, chapter, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Reorder a chapter's lectures: every active lecture id once (422 otherwise).
#[utoipa::path(put, path = "/orgs/{org}/courses/{course}/chapters/{chapter}/lectures/order", tag = "courses",
    request_body = OrderBody,
    params(("org" = String, Path), ("course" = Uuid, Path), ("chapter" = Uuid, Path)),
    responses((status = 200, body = Vec<LectureView>), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn order_lectures(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, chapter)): P3,
    req: Request,
) -> Result<Json<Vec<LectureView>>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: OrderBody = json_body(req, &state).await?;
    content::order_lectures(&state, &caller, id, chapter, body)
        .await
        .map(Json)
}

/// One lecture; its content only for enrolled learners, staff, or a preview.
#[utoipa::path(get, path = "/orgs/{org}/courses/{course}/lectures/{lecture}", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("lecture" = Uuid, Path)),
    responses((status = 200, body = LectureView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_lecture(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, lecture)): P3,
) -> Result<Json<LectureView>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    content::read_lecture(&state, &caller, id, lecture)
        .await
        .map(Json)
}

/// Change a lecture.
#[utoipa::path(patch, path = "/orgs/{org}/courses/{course}/lectures/{lecture}", tag = "courses",
    request_body = LecturePatch,
    params(("org" = String, Path), ("course" = Uuid, Path), ("lecture" = Uuid, Path)),
    responses((status = 200, body = LectureView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_lecture(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, lecture)): P3,
    req: Request,
) -> Result<Json<LectureView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: LecturePatch = json_body(req, &state).await?;
    content::update_lecture(&state, &caller, id, lecture, body)
        .await
        .map(Json)
}

/// Soft-delete a lecture (restorable by course managers).
#[utoipa::path(delete, path = "/orgs/{org}/courses/{course}/lectures/{lecture}", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("lecture" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn delete_lecture(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, lecture)): P3,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    content::set_lecture_deleted(&state, &caller, id, lecture, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restore a soft-deleted lecture (course managers).
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/lectures/{lecture}/restore", tag = "courses",
    params(("org" = String, Path), ("course" = Uuid, Path), ("lecture" = Uuid, Path)),
    responses((status = 200, body = LectureView), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn restore_lecture(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, lecture)): P3,
) -> Result<Json<LectureView>, ApiError> {
    let caller = Caller::of(&ctx, &[Action::ManageCourses])?;
    content::set_lecture_deleted(&state, &caller, id, lecture, false)
        .await
        .map(Json)
}
