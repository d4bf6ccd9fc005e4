//! Courses persistence (seed 004): categories, courses and their
//! instructors, chapters, lectures, enrollments with progress per lecture,
//! reviews and course assessments. Every read takes the organization; the
//! server builds whole rows and the store writes them (a unique key that
//! exists is a [`StoreError::Conflict`]).

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use invigil_domain::courses::{CourseEnrollmentStatus, CourseStatus};
use invigil_domain::delivery::session::DeliveryStatus;

use crate::delivery::Session;
use crate::delivery::entities::session;
use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::page::{Keyset, KeysetPage};

use entities::{
    assessment, category, chapter, course, enrollment, instructor, lecture, progress, review,
};

pub use assessment::Model as CourseAssessment;
pub use category::Model as Category;
pub use chapter::Model as Chapter;
pub use course::Model as Course;
pub use enrollment::Model as CourseEnrollment;
pub use instructor::Model as Instructor;
pub use lecture::Model as Lecture;
pub use progress::Model as LectureProgress;
pub use review::Model as Review;
/// The connection bound of this module's reads, for the server's helpers that run
/// on a pool or a transaction.
pub use sea_orm::ConnectionTrait as Conn;

fn conflict(what: &'static str) -> impl Fn(sea_orm::DbErr) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(what.to_owned())
        } else {
            e.into()
        }
    }
}

/// Inserts a whole row; a unique key that exists is a conflict saying `what`.
async fn insert<M, A, C>(conn: &C, row: M, what: &'static str) -> StoreResult<M>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
    A::Entity: EntityTrait<Model = M>,
{
    row.into_active_model()
        .insert(conn)
        .await
        .map_err(conflict(what))
}

/// Writes every column of a row back (its key stays).
async fn replace<M, A, C>(conn: &C, row: M, what: &'static str) -> StoreResult<M>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
    A::Entity: EntityTrait<Model = M>,
{
    row.into_active_model()
        .reset_all()
        .update(conn)
        .await
        .map_err(conflict(what))
}

const CATEGORY_SLUG: &str = "a category with this slug exists in the organization";
const COURSE_SLUG: &str = "a course with this slug exists in the organization";

// ---- categories

pub async fn insert_category<C: ConnectionTrait>(conn: &C, row: Category) -> StoreResult<Category> {
    insert(conn, row, CATEGORY_SLUG).await
}

pub async fn update_category<C: ConnectionTrait>(conn: &C, row: Category) -> StoreResult<Category> {
    replace(conn, row, CATEGORY_SLUG).await
}

pub async fn category<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Category>> {
    Ok(category::Entity::find_by_id(id)
        .filter(category::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

pub async fn delete_category<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<()> {
    category::Entity::delete_many()
        .filter(category::Column::OrgId.eq(org_id))
        .filter(category::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Every category of the organization with its parent (for cycle checks).
pub async fn category_parents<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
) -> StoreResult<Vec<(Uuid, Option<Uuid>)>> {
    Ok(category::Entity::find()
        .filter(category::Column::OrgId.eq(org_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.parent_id))
        .collect())
}

pub async fn categories_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Category, Uuid>> {
    let q = category::Entity::find().filter(category::Column::OrgId.eq(org_id));
    page.fetch(conn, q, category::Column::Id, Order::Asc, |c| c.id)
        .await
}

/// How many categories are directly under `id`, and how many courses
/// (deleted ones too: they can be restored) are filed in it.
pub async fn category_usage<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<(u64, u64)> {
    let children = category::Entity::find()
        .filter(category::Column::OrgId.eq(org_id))
        .filter(category::Column::ParentId.eq(id))
        .count(conn)
        .await?;
    let courses = course::Entity::find()
        .filter(course::Column::OrgId.eq(org_id))
        .filter(course::Column::CategoryId.eq(id))
        .count(conn)
        .await?;
    Ok((children, courses))
}

// ---- courses

pub async fn insert_course<C: ConnectionTrait>(conn: &C, row: Course) -> StoreResult<Course> {
    insert(conn, row, COURSE_SLUG).await
}

pub async fn update_course<C: ConnectionTrait>(conn: &C, row: Course) -> StoreResult<Course> {
    replace(conn, row, COURSE_SLUG).await
}

/// A course of the organization, deleted or not.
pub async fn course<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Course>> {
    Ok(course::Entity::find_by_id(id)
        .filter(course::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// Whether a course (other than `except`) already has this slug.
pub async fn course_slug_taken<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    slug: &str,
    except: Option<Uuid>,
) -> StoreResult<bool> {
    let mut q = course::Entity::find()
        .filter(course::Column::OrgId.eq(org_id))
        .filter(course::Column::Slug.eq(slug));
    if let Some(id) = except {
        q = q.filter(course::Column::Id.ne(id));
    }
    Ok(q.count(conn).await? > 0)
}

/// Which courses a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourseVisibility {
    /// Every course (course managers).
    All,
    /// The catalog: published courses.
    Published,
    /// Published courses and the ones this user instructs.
    PublishedOrInstructedBy(Uuid),
}

/// A page of courses, by id: the visible ones, in a category when given,
/// the deleted ones instead when `deleted`.
pub async fn courses_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    visibility: CourseVisibility,
    category_id: Option<Uuid>,
    deleted: bool,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Course, Uuid>> {
    let mut q = course::Entity::find().filter(course::Column::OrgId.eq(org_id));
    q = if deleted {
        q.filter(course::Column::DeletedAt.is_not_null())
    } else {
        q.filter(course::Column::DeletedAt.is_null())
    };
    if let Some(c) = category_id {
        q = q.filter(course::Column::CategoryId.eq(c));
    }
    let published = course::Column::Status.eq(CourseStatus::Published);
    q = match visibility {
        CourseVisibility::All => q,
        CourseVisibility::Published => q.filter(published),
        CourseVisibility::PublishedOrInstructedBy(user) => q.filter(
            Condition::any().add(published).add(
                course::Column::Id.in_subquery(
                    Query::select()
                        .column(instructor::Column::CourseId)
                        .from(instructor::Entity)
                        .and_where(Expr::col(instructor::Column::UserId).eq(user))
                        .to_owned(),
                ),
            ),
        ),
    };
    page.fetch(conn, q, course::Column::Id, Order::Asc, |c| c.id)
        .await
}

// ---- instructors

pub async fn add_instructor<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Instructor> {
    insert(
        conn,
        Instructor {
            course_id,
            user_id,
            org_id,
            added_at: now,
        },
        "this member instructs the course already",
    )
    .await
}

pub async fn remove_instructor<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    user_id: Uuid,
) -> StoreResult<bool> {
    let r = instructor::Entity::delete_many()
        .filter(instructor::Column::OrgId.eq(org_id))
        .filter(instructor::Column::CourseId.eq(course_id))
        .filter(instructor::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(r.rows_affected > 0)
}

pub async fn instructors_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
) -> StoreResult<Vec<Instructor>> {
    Ok(instructor::Entity::find()
        .filter(instructor::Column::OrgId.eq(org_id))
        .filter(instructor::Column::CourseId.eq(course_id))
        .order_by_asc(instructor::Column::AddedAt)
        .order_by_asc(instructor::Column::UserId)
        .all(conn)
        .await?)
}

pub async fn is_instructor<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    user_id: Uuid,
) -> StoreResult<bool> {
    Ok(instructor::Entity::find()
        .filter(instructor::Column::OrgId.eq(org_id))
        .filter(instructor::Column::CourseId.eq(course_id))
        .filter(instructor::Column::UserId.eq(user_id))
        .count(conn)
        .await?
        > 0)
}

// ---- chapters

pub async fn insert_chapter<C: ConnectionTrait>(conn: &C, row: Chapter) -> StoreResult<Chapter> {
    insert(conn, row, "chapter exists").await
}

pub async fn update_chapter<C: ConnectionTrait>(conn: &C, row: Chapter) -> StoreResult<Chapter> {
    replace(conn, row, "chapter exists").await
}

pub async fn chapter<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Chapter>> {
    Ok(chapter::Entity::find_by_id(id)
        .filter(chapter::Column::OrgId.eq(org_id))
        .filter(chapter::Column::CourseId.eq(course_id))
        .one(conn)
        .await?)
}

pub async fn delete_chapter<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<()> {
    chapter::Entity::delete_many()
        .filter(chapter::Column::OrgId.eq(org_id))
        .filter(chapter::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A course's chapters in their order.
pub async fn chapters_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
) -> StoreResult<Vec<Chapter>> {
    Ok(chapter::Entity::find()
        .filter(chapter::Column::OrgId.eq(org_id))
        .filter(chapter::Column::CourseId.eq(course_id))
        .order_by_asc(chapter::Column::SortOrder)
        .order_by_asc(chapter::Column::Id)
        .all(conn)
        .await?)
}

/// Numbers the chapters 0.. in the order of `ids`.
pub async fn set_chapter_order<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    ids: &[Uuid],
) -> StoreResult<()> {
    for (i, id) in ids.iter().enumerate() {
        chapter::Entity::update_many()
            .col_expr(
                chapter::Column::SortOrder,
                Expr::value(i32::try_from(i).unwrap_or(i32::MAX)),
            )
            .filter(chapter::Column::OrgId.eq(org_id))
            .filter(chapter::Column::Id.eq(*id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

// ---- lectures

pub async fn insert_lecture<C: ConnectionTrait>(conn: &C, row: Lecture) -> StoreResult<Lecture> {
    insert(conn, row, "lecture exists").await
}

pub async fn update_lecture<C: ConnectionTrait>(conn: &C, row: Lecture) -> StoreResult<Lecture> {
    replace(conn, row, "lecture exists").await
}

/// A lecture of the course, deleted or not.
pub async fn lecture<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Lecture>> {
    Ok(lecture::Entity::find_by_id(id)
        .filter(lecture::Column::OrgId.eq(org_id))
        .filter(lecture::Column::CourseId.eq(course_id))
        .one(conn)
        .await?)
}

/// A course's lectures (without the deleted ones unless asked), by chapter
/// then order; the caller sorts chapters.
pub async fn lectures_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    with_deleted: bool,
) -> StoreResult<Vec<Lecture>> {
    let mut q = lecture::Entity::find()
        .filter(lecture::Column::OrgId.eq(org_id))
        .filter(lecture::Column::CourseId.eq(course_id));
    if !with_deleted {
        q = q.filter(lecture::Column::DeletedAt.is_null());
    }
    Ok(q.order_by_asc(lecture::Column::SortOrder)
        .order_by_asc(lecture::Column::Id)
        .all(conn)
        .await?)
}

/// How many lectures (deleted ones too) a chapter holds.
pub async fn lectures_in_chapter<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    chapter_id: Uuid,
) -> StoreResult<u64> {
    Ok(lecture::Entity::find()
        .filter(lecture::Column::OrgId.eq(org_id))
        .filter(lecture::Column::ChapterId.eq(chapter_id))
        .count(conn)
        .await?)
}

/// Numbers the lectures 0.. in the order of `ids`.
pub async fn set_lecture_order<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    ids: &[Uuid],
) -> StoreResult<()> {
    for (i, id) in ids.iter().enumerate() {
        lecture::Entity::update_many()
            .col_expr(
                lecture::Column::SortOrder,
                Expr::value(i32::try_from(i).unwrap_or(i32::MAX)),
            )
            .filter(lecture::Column::OrgId.eq(org_id))
            .filter(lecture::Column::Id.eq(*id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

// ---- enrollments and progress

const ENROLLED: &str = "this learner is enrolled in the course already";

pub async fn insert_enrollment<C: ConnectionTrait>(
    conn: &C,
    row: CourseEnrollment,
) -> StoreResult<CourseEnrollment> {
    insert(conn, row, ENROLLED).await
}

pub async fn update_enrollment<C: ConnectionTrait>(
    conn: &C,
    row: CourseEnrollment,
) -> StoreResult<CourseEnrollment> {
    replace(conn, row, ENROLLED).await
}

pub async fn enrollment_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<CourseEnrollment>> {
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::OrgId.eq(org_id))
        .filter(enrollment::Column::CourseId.eq(course_id))
        .filter(enrollment::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// How many learners hold a seat (ACTIVE or COMPLETED, expiry aside).
pub async fn seats_taken<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
) -> StoreResult<u64> {
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::OrgId.eq(org_id))
        .filter(enrollment::Column::CourseId.eq(course_id))
        .filter(enrollment::Column::Status.is_in([
            CourseEnrollmentStatus::Active,
            CourseEnrollmentStatus::Completed,
        ]))
        .count(conn)
        .await?)
}

pub async fn enrollments_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<CourseEnrollment, Uuid>> {
    let q = enrollment::Entity::find()
        .filter(enrollment::Column::OrgId.eq(org_id))
        .filter(enrollment::Column::CourseId.eq(course_id));
    page.fetch(conn, q, enrollment::Column::Id, Order::Asc, |e| e.id)
        .await
}

/// A user's own enrollments in every organization, by id.
pub async fn enrollments_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<CourseEnrollment, Uuid>> {
    let q = enrollment::Entity::find()
        .filter(enrollment::Column::UserId.eq(user_id))
        .filter(
            enrollment::Column::CourseId.in_subquery(
                Query::select()
                    .column(course::Column::Id)
                    .from(course::Entity)
                    .and_where(Expr::col(course::Column::DeletedAt).is_null())
                    .to_owned(),
            ),
        );
    page.fetch(conn, q, enrollment::Column::Id, Order::Desc, |e| e.id)
        .await
}

/// The progress rows of one enrollment.
pub async fn progress_of<C: ConnectionTrait>(
    conn: &C,
    enrollment_id: Uuid,
) -> StoreResult<Vec<LectureProgress>> {
    Ok(progress::Entity::find()
        .filter(progress::Column::EnrollmentId.eq(enrollment_id))
        .all(conn)
        .await?)
}

pub async fn progress_row<C: ConnectionTrait>(
    conn: &C,
    enrollment_id: Uuid,
    lecture_id: Uuid,
) -> StoreResult<Option<LectureProgress>> {
    Ok(progress::Entity::find_by_id((enrollment_id, lecture_id))
        .one(conn)
        .await?)
}

/// Writes a progress row, new or not.
pub async fn save_progress<C: ConnectionTrait>(
    conn: &C,
    row: LectureProgress,
    is_new: bool,
) -> StoreResult<LectureProgress> {
    if is_new {
        insert(conn, row, "progress exists").await
    } else {
        replace(conn, row, "progress exists").await
    }
}

// ---- reviews

const REVIEWED: &str = "you have reviewed this course already: edit your review";

pub async fn insert_review<C: ConnectionTrait>(conn: &C, row: Review) -> StoreResult<Review> {
    insert(conn, row, REVIEWED).await
}

pub async fn update_review<C: ConnectionTrait>(conn: &C, row: Review) -> StoreResult<Review> {
    replace(conn, row, REVIEWED).await
}

pub async fn review<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Review>> {
    Ok(review::Entity::find_by_id(id)
        .filter(review::Column::OrgId.eq(org_id))
        .filter(review::Column::CourseId.eq(course_id))
        .one(conn)
        .await?)
}

pub async fn review_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Review>> {
    Ok(review::Entity::find()
        .filter(review::Column::OrgId.eq(org_id))
        .filter(review::Column::CourseId.eq(course_id))
        .filter(review::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// Which reviews a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewVisibility {
    /// Visible ones, and the viewer's own (hidden or not).
    Public(Uuid),
    /// Every review not deleted, hidden ones too (moderators).
    Moderator,
    /// The deleted ones (course managers, to restore).
    Deleted,
}

pub async fn reviews_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    visibility: ReviewVisibility,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Review, Uuid>> {
    let mut q = review::Entity::find()
        .filter(review::Column::OrgId.eq(org_id))
        .filter(review::Column::CourseId.eq(course_id));
    q = match visibility {
        ReviewVisibility::Deleted => q.filter(review::Column::DeletedAt.is_not_null()),
        ReviewVisibility::Moderator => q.filter(review::Column::DeletedAt.is_null()),
        ReviewVisibility::Public(me) => q.filter(review::Column::DeletedAt.is_null()).filter(
            Condition::any()
                .add(review::Column::HiddenAt.is_null())
                .add(review::Column::UserId.eq(me)),
        ),
    };
    page.fetch(conn, q, review::Column::Id, Order::Desc, |r| r.id)
        .await
}

/// The ratings of a course's visible reviews (not hidden, not deleted).
pub async fn visible_ratings<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
) -> StoreResult<Vec<i32>> {
    Ok(review::Entity::find()
        .select_only()
        .column(review::Column::Rating)
        .filter(review::Column::OrgId.eq(org_id))
        .filter(review::Column::CourseId.eq(course_id))
        .filter(review::Column::DeletedAt.is_null())
        .filter(review::Column::HiddenAt.is_null())
        .into_tuple::<i32>()
        .all(conn)
        .await?)
}

// ---- course assessments

pub async fn insert_assessment<C: ConnectionTrait>(
    conn: &C,
    row: CourseAssessment,
) -> StoreResult<CourseAssessment> {
    insert(conn, row, "this exam is in the course already").await
}

pub async fn assessment<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<CourseAssessment>> {
    Ok(assessment::Entity::find_by_id(id)
        .filter(assessment::Column::OrgId.eq(org_id))
        .filter(assessment::Column::CourseId.eq(course_id))
        .one(conn)
        .await?)
}

pub async fn delete_assessment<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<()> {
    assessment::Entity::delete_many()
        .filter(assessment::Column::OrgId.eq(org_id))
        .filter(assessment::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A course's assessments, by id.
pub async fn assessments_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
) -> StoreResult<Vec<CourseAssessment>> {
    Ok(assessment::Entity::find()
        .filter(assessment::Column::OrgId.eq(org_id))
        .filter(assessment::Column::CourseId.eq(course_id))
        .order_by_asc(assessment::Column::Id)
        .all(conn)
        .await?)
}

/// The exam's places in the org's courses (a session that finishes reads
/// them once: a practice shows its result, a final completes courses).
pub async fn assessments_of_exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
) -> StoreResult<Vec<CourseAssessment>> {
    Ok(assessment::Entity::find()
        .filter(assessment::Column::OrgId.eq(org_id))
        .filter(assessment::Column::ExamId.eq(exam_id))
        .order_by_asc(assessment::Column::Id)
        .all(conn)
        .await?)
}

/// How many assessments sit in a chapter.
pub async fn assessments_in_chapter<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    chapter_id: Uuid,
) -> StoreResult<u64> {
    Ok(assessment::Entity::find()
        .filter(assessment::Column::OrgId.eq(org_id))
        .filter(assessment::Column::ChapterId.eq(chapter_id))
        .count(conn)
        .await?)
}

/// The user's finished, fully graded sessions in these exams, newest last.
pub async fn graded_sessions_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_ids: &[Uuid],
    user_id: Uuid,
) -> StoreResult<Vec<Session>> {
    if exam_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(session::Entity::find()
        .filter(session::Column::OrgId.eq(org_id))
        .filter(session::Column::ExamId.is_in(exam_ids.to_vec()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Status.is_in([
            DeliveryStatus::Submitted,
            DeliveryStatus::AutoSubmitted,
            DeliveryStatus::Terminated,
        ]))
        .filter(session::Column::PendingManual.eq(0))
        .filter(session::Column::FinalScore.is_not_null())
        .order_by_asc(session::Column::Id)
        .all(conn)
        .await?)
}

/// The lectures (not deleted) that show one of these files: what the
/// staff files page lists as "used by".
pub async fn lectures_using_files<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    file_ids: &[Uuid],
) -> StoreResult<Vec<Lecture>> {
    if file_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(lecture::Entity::find()
        .filter(lecture::Column::OrgId.eq(org_id))
        .filter(lecture::Column::FileId.is_in(file_ids.to_vec()))
        .filter(lecture::Column::DeletedAt.is_null())
        .order_by_asc(lecture::Column::Id)
        .all(conn)
        .await?)
}

/// When `user_id` completed lectures, and courses (the learner's progress
/// and streaks read this).
pub async fn completions_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> StoreResult<(Vec<DateTime<Utc>>, Vec<DateTime<Utc>>)> {
    let lectures: Vec<Option<DateTime<Utc>>> = progress::Entity::find()
        .select_only()
        .column(progress::Column::CompletedAt)
        .filter(progress::Column::UserId.eq(user_id))
        .filter(progress::Column::CompletedAt.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let courses: Vec<Option<DateTime<Utc>>> = enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::CompletedAt)
        .filter(enrollment::Column::UserId.eq(user_id))
        .filter(enrollment::Column::CompletedAt.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok((
        lectures.into_iter().flatten().collect(),
        courses.into_iter().flatten().collect(),
    ))
}
