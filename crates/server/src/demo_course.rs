//! The demo course of `invigil demo` (issue 15): "Learning how to learn", a
//! published FREE course taught by the demo author, in two chapters: a
//! 12-second video (VP9 in MP4, 105 KB, made with ffmpeg's test pattern), a
//! text lecture and a PDF, and a PRACTICE quiz (three auto-graded questions,
//! result shown at once, not proctored). The demo candidate is not enrolled:
//! enrolling is the first thing to try. Made once; the files go through the
//! blob store like uploads.

use bytes::Bytes;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use invigil_domain::courses::{CourseLevel, CourseStatus, LectureKind, Pricing, TestType};
use invigil_domain::files::FileKind;
use invigil_store::courses::{self, Category, Chapter, Course, CourseAssessment, Lecture};
use invigil_store::files::{self as files_store, File};
use invigil_store::identity::users;

use crate::files::blob::BlobKey;
use crate::state::AppState;

pub const DEMO_COURSE: &str = "Learning how to learn";
pub const DEMO_COURSE_SLUG: &str = "learning-how-to-learn";
pub const DEMO_PRACTICE: &str = "Practice quiz: learning how to learn";

const PRACTICE_QUIZ: &str = "\
::Spacing:: Which plan helps you remember more a month later? {=Three 20-minute sessions on different days ~One 60-minute session the night before ~Reading the notes twice in a row}

::Testing effect:: Trying to recall an answer before looking it up makes the memory stronger. {T}

::Sessions:: A learner studies 3 sessions a week for 4 weeks. How many sessions is that? {#12:0}
";

const MEMORY_TEXT: &str = "\
Remembering is not only about reading something often. Three habits make the difference:

**Spacing.** Short sessions spread over days beat one long session: each time you come back, \
you have to work a little to recall, and that effort is what makes the memory last.

**Retrieval.** Close the book and write down what you remember before you check. A practice \
quiz is retrieval with feedback.

**Interleaving.** Mix topics within a session. It feels harder, and it is: you learn to tell \
problems apart, not only to solve the one in front of you.

The practice quiz in chapter 2 checks these three ideas. Its result is shown as soon as you submit.";

/// Stores `bytes` as a file of the organization (once per run of the demo).
async fn store_file(
    state: &AppState,
    org_id: Uuid,
    author: Uuid,
    kind: FileKind,
    name: &str,
    content_type: &str,
    bytes: &'static [u8],
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    let key = BlobKey::parse(&format!("{}/{}", org_id.simple(), id.simple()))?;
    state
        .blobs
        .files
        .put(&key, Bytes::from_static(bytes))
        .await?;
    let now = state.now();
    files_store::insert_file(
        state.db.write(),
        File {
            id,
            org_id,
            uploaded_by: author,
            kind,
            entity_type: Some("course".into()),
            entity_id: None,
            original_name: name.into(),
            content_type: content_type.into(),
            size: i64::try_from(bytes.len())?,
            sha256: hex::encode(Sha256::digest(bytes)),
            storage_key: key.as_str().to_owned(),
            created_at: now,
            deleted_at: None,
        },
    )
    .await?;
    Ok(id)
}

/// Loads the demo course (once).
pub async fn load(state: &AppState, org_id: Uuid) -> anyhow::Result<()> {
    use invigil_domain::exams::{ExamStatus, Sensitivity};
    use invigil_store::exams::{self, ExamFields};

    let db = state.db.read();
    if courses::course_slug_taken(db, org_id, DEMO_COURSE_SLUG, None).await? {
        return Ok(());
    }
    let author = users::by_email(db, "author@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo author missing"))?;
    let coordinator = users::by_email(db, "coordinator@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo coordinator missing"))?;
    let bank_id = super::load_bank(
        state,
        org_id,
        "Demo: learning how to learn",
        "The practice quiz of the demo course.",
        PRACTICE_QUIZ,
    )
    .await?;
    let video = store_file(
        state,
        org_id,
        author.id,
        FileKind::Video,
        "welcome.mp4",
        "video/mp4",
        include_bytes!("demo_files/welcome.mp4"),
    )
    .await?;
    let pdf = store_file(
        state,
        org_id,
        author.id,
        FileKind::Pdf,
        "study-planner.pdf",
        "application/pdf",
        include_bytes!("demo_files/study-planner.pdf"),
    )
    .await?;

    let now = state.now();
    let tx = state.db.begin().await?;
    let practice_type = exams::list_exam_types(&tx, org_id, None, 100)
        .await?
        .into_iter()
        .find(|t| t.code == "QUIZ")
        .map(|t| t.id);
    let exam = exams::create_exam(
        &tx,
        org_id,
        ExamFields {
            department_id: None,
            title: DEMO_PRACTICE.into(),
            description: Some(
                "Three questions on spacing, retrieval and interleaving; the result shows at once."
                    .into(),
            ),
            question_bank_id: Some(bank_id),
            draw_rules: None,
            duration_minutes: 10,
            passing_score: 60,
            max_attempts: 5,
            scheduled_start_at: Some(now - chrono::Duration::hours(1)),
            scheduled_end_at: Some(now + chrono::Duration::days(365)),
            randomize_questions: false,
            randomize_options: false,
            enable_proctoring: false,
            proctoring_sensitivity: Sensitivity::Low,
            exam_type_id: practice_type,
        },
        ExamStatus::Active,
        coordinator.id,
        now,
    )
    .await?;
    let category = courses::insert_category(
        &tx,
        Category {
            id: Uuid::now_v7(),
            org_id,
            parent_id: None,
            name: "Study skills".into(),
            slug: "study-skills".into(),
            description: Some("How to learn, plan and revise.".into()),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    let course = courses::insert_course(
        &tx,
        Course {
            id: Uuid::now_v7(),
            org_id,
            category_id: Some(category.id),
            title: DEMO_COURSE.into(),
            slug: DEMO_COURSE_SLUG.into(),
            description: "A short free course on **how memory works** and how to study with \
                it: spacing, retrieval and interleaving. One video, one reading, a printable \
                planner and a practice quiz."
                .into(),
            level: CourseLevel::Beginner,
            language: "en".into(),
            pricing: Pricing::Free,
            price_minor: 0,
            currency: None,
            status: CourseStatus::Published,
            max_students: None,
            requires_final_pass: false,
            what_you_learn: serde_json::to_string(&[
                "Plan study sessions that stick",
                "Use practice quizzes to remember more",
            ])?,
            requirements: "[]".into(),
            tags: serde_json::to_string(&["demo", "study skills"])?,
            published_at: Some(now),
            created_by: author.id,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        },
    )
    .await?;
    courses::add_instructor(&tx, org_id, course.id, author.id, now).await?;
    let chapter = |title: &str, description: &str, sort_order| Chapter {
        id: Uuid::now_v7(),
        org_id,
        course_id: course.id,
        title: title.into(),
        description: Some(description.into()),
        sort_order,
        created_at: now,
        updated_at: now,
    };
    let one = courses::insert_chapter(
        &tx,
        chapter("Getting started", "What this course is about.", 0),
    )
    .await?;
    let two = courses::insert_chapter(
        &tx,
        chapter("Practice", "Plan your week and check yourself.", 1),
    )
    .await?;
    let lecture = |chapter_id, title: &str, kind, sort_order| Lecture {
        id: Uuid::now_v7(),
        org_id,
        course_id: course.id,
        chapter_id,
        title: title.into(),
        description: None,
        kind,
        body: None,
        file_id: None,
        duration_seconds: 0,
        is_preview: false,
        is_downloadable: false,
        sort_order,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    courses::insert_lecture(
        &tx,
        Lecture {
            file_id: Some(video),
            duration_seconds: 12,
            is_preview: true,
            description: Some("A twelve-second welcome (a test pattern).".into()),
            ..lecture(one.id, "Welcome", LectureKind::Video, 0)
        },
    )
    .await?;
    courses::insert_lecture(
        &tx,
        Lecture {
            body: Some(MEMORY_TEXT.into()),
            duration_seconds: 120,
            ..lecture(one.id, "How memory works", LectureKind::Text, 1)
        },
    )
    .await?;
    courses::insert_lecture(
        &tx,
        Lecture {
            file_id: Some(pdf),
            is_downloadable: true,
            duration_seconds: 60,
            description: Some("Print it and fill in your sessions.".into()),
            ..lecture(two.id, "Study planner (PDF)", LectureKind::Pdf, 0)
        },
    )
    .await?;
    courses::insert_assessment(
        &tx,
        CourseAssessment {
            id: Uuid::now_v7(),
            org_id,
            course_id: course.id,
            chapter_id: two.id,
            exam_id: exam.id,
            test_type: TestType::Practice,
            show_result: true,
            created_at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
