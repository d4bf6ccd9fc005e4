//! What the courses API answers.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::render_markdown_safe;
use invigil_domain::courses::{
    CourseEnrollmentStatus, CourseLevel, CourseStatus, EnrollmentSource, LectureKind, Pricing,
    TestType, effective_status,
};
use invigil_store::courses::{
    Category, Chapter, Course, CourseAssessment, CourseEnrollment, Lecture, Review,
};

fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<Category> for CategoryView {
    fn from(c: Category) -> Self {
        CategoryView {
            id: c.id,
            parent_id: c.parent_id,
            name: c.name,
            slug: c.slug,
            description: c.description,
            updated_at: c.updated_at,
        }
    }
}

/// A course as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseView {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    /// Markdown as written.
    pub description: String,
    /// The description rendered to sanitized HTML.
    pub description_html: String,
    pub category_id: Option<Uuid>,
    #[schema(value_type = String)]
    pub level: CourseLevel,
    pub language: String,
    #[schema(value_type = String)]
    pub pricing: Pricing,
    /// In minor units of `currency` (cents).
    pub price_minor: i64,
    pub currency: Option<String>,
    #[schema(value_type = String)]
    pub status: CourseStatus,
    pub max_students: Option<i32>,
    pub requires_final_pass: bool,
    pub what_you_learn: Vec<String>,
    pub requirements: Vec<String>,
    pub tags: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set on a soft-deleted course (course managers only see those).
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<&Course> for CourseView {
    fn from(c: &Course) -> Self {
        CourseView {
            id: c.id,
            slug: c.slug.clone(),
            title: c.title.clone(),
            description_html: render_markdown_safe(&c.description),
            description: c.description.clone(),
            category_id: c.category_id,
            level: c.level,
            language: c.language.clone(),
            pricing: c.pricing,
            price_minor: c.price_minor,
            currency: c.currency.clone(),
            status: c.status,
            max_students: c.max_students,
            requires_final_pass: c.requires_final_pass,
            what_you_learn: list(&c.what_you_learn),
            requirements: list(&c.requirements),
            tags: list(&c.tags),
            published_at: c.published_at,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
        }
    }
}

/// A course with its instructors, rating, outline and, for a learner, their
/// enrollment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseDetail {
    pub course: CourseView,
    pub instructors: Vec<Uuid>,
    /// Average of visible reviews (two decimals), `null` without any.
    pub rating_average: Option<f64>,
    pub rating_count: u64,
    pub chapters: Vec<ChapterOutline>,
    /// The caller's enrollment, if any.
    pub enrollment: Option<CourseEnrollmentView>,
    /// Whether the caller is a course manager or one of its instructors.
    pub is_staff: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChapterOutline {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub sort_order: i32,
    pub lectures: Vec<LectureOutline>,
    pub assessments: Vec<AssessmentView>,
}

impl ChapterOutline {
    pub fn of(c: &Chapter) -> Self {
        ChapterOutline {
            id: c.id,
            title: c.title.clone(),
            description: c.description.clone(),
            sort_order: c.sort_order,
            lectures: Vec::new(),
            assessments: Vec::new(),
        }
    }
}

/// A lecture in the outline: no content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LectureOutline {
    pub id: Uuid,
    pub title: String,
    #[schema(value_type = String)]
    pub kind: LectureKind,
    pub duration_seconds: i32,
    pub is_preview: bool,
    pub sort_order: i32,
    /// For the enrolled learner: completed, and the video position.
    pub completed: Option<bool>,
    pub position_seconds: Option<i32>,
    /// Staff only: a soft-deleted lecture (restore it).
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A lecture; `body`, `body_html` and `file_id` only for enrolled learners,
/// staff, or a preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LectureView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub chapter_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    #[schema(value_type = String)]
    pub kind: LectureKind,
    pub duration_seconds: i32,
    pub is_preview: bool,
    pub is_downloadable: bool,
    pub sort_order: i32,
    /// Whether the content below is shown to the caller.
    pub content_visible: bool,
    pub body: Option<String>,
    pub body_html: Option<String>,
    /// The file of a VIDEO or PDF lecture (files module).
    pub file_id: Option<Uuid>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl LectureView {
    pub fn of(l: &Lecture, content_visible: bool) -> Self {
        LectureView {
            id: l.id,
            course_id: l.course_id,
            chapter_id: l.chapter_id,
            title: l.title.clone(),
            description: l.description.clone(),
            kind: l.kind,
            duration_seconds: l.duration_seconds,
            is_preview: l.is_preview,
            is_downloadable: l.is_downloadable,
            sort_order: l.sort_order,
            content_visible,
            body: l.body.clone().filter(|_| content_visible),
            body_html: l
                .body
                .as_deref()
                .filter(|_| content_visible)
                .map(render_markdown_safe),
            file_id: l.file_id.filter(|_| content_visible),
            deleted_at: l.deleted_at,
            updated_at: l.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChapterView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub sort_order: i32,
}

impl From<Chapter> for ChapterView {
    fn from(c: Chapter) -> Self {
        ChapterView {
            id: c.id,
            course_id: c.course_id,
            title: c.title,
            description: c.description,
            sort_order: c.sort_order,
        }
    }
}

/// A learner's enrollment in a course.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseEnrollmentView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub user_id: Uuid,
    #[schema(value_type = String)]
    pub source: EnrollmentSource,
    /// As of now (an ACTIVE enrollment past `expires_at` is EXPIRED).
    #[schema(value_type = String)]
    pub status: CourseEnrollmentStatus,
    pub payment_id: Option<Uuid>,
    pub enrolled_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub progress_percent: i32,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub last_lecture_id: Option<Uuid>,
}

impl CourseEnrollmentView {
    pub fn of(e: &CourseEnrollment, now: DateTime<Utc>) -> Self {
        CourseEnrollmentView {
            id: e.id,
            course_id: e.course_id,
            user_id: e.user_id,
            source: e.source,
            status: effective_status(e.status, e.expires_at, now),
            payment_id: e.payment_id,
            enrolled_at: e.enrolled_at,
            expires_at: e.expires_at,
            completed_at: e.completed_at,
            progress_percent: e.progress_percent,
            last_activity_at: e.last_activity_at,
            last_lecture_id: e.last_lecture_id,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseReviewView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub user_id: Uuid,
    pub rating: i32,
    pub comment: Option<String>,
    pub hidden: bool,
    /// Moderators and the author see why it is hidden.
    pub hidden_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl CourseReviewView {
    pub fn of(r: &Review) -> Self {
        CourseReviewView {
            id: r.id,
            course_id: r.course_id,
            user_id: r.user_id,
            rating: r.rating,
            comment: r.comment.clone(),
            hidden: r.hidden_at.is_some(),
            hidden_reason: r.hidden_reason.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        }
    }
}

/// The caller's own result in a course assessment, shown as soon as it is
/// graded when the assessment shows results (PRACTICE always does).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyAssessmentResult {
    pub session_id: Uuid,
    pub score: Option<f64>,
    pub max_score: f64,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    pub graded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub chapter_id: Uuid,
    pub exam_id: Uuid,
    pub exam_title: String,
    #[schema(value_type = String)]
    pub test_type: TestType,
    pub show_result: bool,
    /// Whether the exam is proctored (its own setting).
    pub proctored: bool,
    /// For a learner: enrolled in the exam already.
    pub enrolled_in_exam: Option<bool>,
    /// For a learner: their best graded attempt, when results are shown.
    pub my_result: Option<MyAssessmentResult>,
}

impl AssessmentView {
    pub fn of(a: &CourseAssessment, exam_title: &str, proctored: bool) -> Self {
        AssessmentView {
            id: a.id,
            course_id: a.course_id,
            chapter_id: a.chapter_id,
            exam_id: a.exam_id,
            exam_title: exam_title.to_owned(),
            test_type: a.test_type,
            show_result: a.show_result,
            proctored,
            enrolled_in_exam: None,
            my_result: None,
        }
    }
}

/// One of the caller's courses on `GET /me/courses`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyCourseView {
    pub org: String,
    pub org_name: String,
    pub course_id: Uuid,
    pub course_slug: String,
    pub title: String,
    pub enrollment: CourseEnrollmentView,
    pub lectures_total: u64,
    pub lectures_completed: u64,
    /// Continue where you left off: the lecture to open next (`null` when
    /// every lecture is done).
    pub next_lecture_id: Option<Uuid>,
    pub next_lecture_title: Option<String>,
}
