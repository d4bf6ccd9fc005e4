//! `/orgs/{org}/learn/{course}`: a course for a learner (the service of
//! `GET /api/v1/orgs/{org}/courses/{course}`): description, instructors,
//! chapters with their lectures and assessments, Enroll (free) or Buy
//! (paid: the checkout service; the MANUAL provider's invoice is then
//! pending), the reviews with their average and the learner's own review.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::courses::{CourseEnrollmentStatus, Pricing, TestType};
use invigil_domain::payments::{PaymentStatus, PurposeKind};
use invigil_store::identity::users;
use invigil_store::{Keyset, courses as store, payments as pay_store};

use super::super::errors::{FormErrors, error_page, form_error};
use super::super::form::WebForm;
use super::super::session::see_other;
use super::super::{Layout, when};
use super::{Learner, duration_label, kind_label, level_label, money, price_label, rating_label};
use crate::courses::reviews::{ReviewBody, ReviewPatch};
use crate::courses::views::{AssessmentView, CourseDetail};
use crate::courses::{assessments, course, learn, reviews};
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug)]
pub struct LectureRow {
    pub href: String,
    pub title: String,
    pub kind: &'static str,
    pub duration: String,
    pub preview: bool,
    pub completed: bool,
    /// The learner may open it (enrolled, staff, or a preview).
    pub open: bool,
}

#[derive(Debug)]
pub struct AssessmentRow {
    pub start_href: String,
    pub title: String,
    pub kind: &'static str,
    pub proctored: bool,
    pub show_result: bool,
    /// "Your best result: 100 % (3 of 3 points), passed".
    pub result: Option<String>,
    pub passed: Option<bool>,
}

#[derive(Debug)]
pub struct ChapterRow {
    pub title: String,
    pub description: Option<String>,
    pub lectures: Vec<LectureRow>,
    pub assessments: Vec<AssessmentRow>,
}

#[derive(Debug)]
pub struct ReviewRow {
    pub author: String,
    pub stars: i32,
    pub comment: Option<String>,
    pub when: String,
    pub mine: bool,
    pub hidden: bool,
}

/// A pending payment for the course (a MANUAL invoice waiting).
#[derive(Debug)]
pub struct Pending {
    pub reference: String,
    pub amount: String,
    pub provider: String,
    pub since: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "learn/course.html")]
pub struct CoursePage {
    pub layout: Layout,
    pub href: String,
    pub title: String,
    pub org_name: String,
    pub description_html: String,
    pub level: &'static str,
    pub language: String,
    pub price: String,
    pub paid: bool,
    pub what_you_learn: Vec<String>,
    pub instructors: Vec<String>,
    pub rating: Option<String>,
    pub rating_count: u64,
    pub chapters: Vec<ChapterRow>,
    pub lectures_total: usize,
    /// The learner's enrollment gives access now.
    pub enrolled: bool,
    pub completed: bool,
    pub percent: i32,
    pub staff: bool,
    pub learner: bool,
    pub continue_href: Option<String>,
    pub pending: Option<Pending>,
    pub notice: Option<&'static str>,
    pub reviews: Vec<ReviewRow>,
    pub my_review: bool,
    pub form_rating: i64,
    pub form_comment: String,
    pub errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct CourseQuery {
    pub done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "enrolled" => "You are enrolled. Start with the first lecture.",
        "checkout" => "Your order is placed: the invoice below is waiting for payment.",
        "review" => "Your review is saved.",
        "review-deleted" => "Your review is deleted.",
        _ => return None,
    })
}

fn test_type_label(t: TestType) -> &'static str {
    match t {
        TestType::Quiz => "Quiz",
        TestType::Assignment => "Assignment",
        TestType::Practice => "Practice",
        TestType::FinalExam => "Final exam",
    }
}

fn result_label(a: &AssessmentView) -> Option<String> {
    let r = a.my_result.as_ref()?;
    let score = r.score?;
    let pct = r.percent.unwrap_or(0.0);
    let verdict = match r.passed {
        Some(true) => ", passed",
        Some(false) => ", not passed",
        None => "",
    };
    Some(format!(
        "Your best result: {pct:.0} % ({score} of {} points){verdict}",
        r.max_score
    ))
}

/// What the form had, to show again with its errors.
pub struct Typed {
    pub rating: i64,
    pub comment: String,
}

async fn build(
    state: &AppState,
    l: &Learner,
    course_id: Uuid,
    notice_key: Option<&str>,
    typed: Option<Typed>,
    errors: FormErrors,
) -> Result<CoursePage, ApiError> {
    let CourseDetail {
        course: c,
        instructors,
        rating_average,
        rating_count,
        chapters,
        enrollment,
        is_staff,
    } = course::detail(state, &l.caller, course_id).await?;
    let db = state.db.read();
    let me = l.caller.user_id();
    let enrolled = enrollment.as_ref().is_some_and(|e| {
        matches!(
            e.status,
            CourseEnrollmentStatus::Active | CourseEnrollmentStatus::Completed
        )
    });
    let open_all = enrolled || is_staff;
    let mut lectures_total = 0;
    let rows: Vec<ChapterRow> = chapters
        .iter()
        .map(|ch| ChapterRow {
            title: ch.title.clone(),
            description: ch.description.clone(),
            lectures: ch
                .lectures
                .iter()
                .filter(|x| x.deleted_at.is_none())
                .map(|x| {
                    lectures_total += 1;
                    LectureRow {
                        href: l.href(course_id, &format!("/lectures/{}", x.id)),
                        title: x.title.clone(),
                        kind: kind_label(x.kind),
                        duration: duration_label(x.duration_seconds),
                        preview: x.is_preview,
                        completed: x.completed == Some(true),
                        open: open_all || x.is_preview,
                    }
                })
                .collect(),
            assessments: ch
                .assessments
                .iter()
                .map(|a| AssessmentRow {
                    start_href: l.href(course_id, &format!("/assessments/{}/start", a.id)),
                    title: a.exam_title.clone(),
                    kind: test_type_label(a.test_type),
                    proctored: a.proctored,
                    show_result: a.show_result,
                    result: result_label(a),
                    passed: a.my_result.as_ref().and_then(|r| r.passed),
                })
                .collect(),
        })
        .collect();
    let continue_href = match &enrollment {
        Some(e) if enrolled => {
            let first_open = chapters
                .iter()
                .flat_map(|c| c.lectures.iter())
                .find(|x| x.deleted_at.is_none() && x.completed != Some(true))
                .map(|x| x.id);
            e.last_lecture_id
                .or(first_open)
                .map(|id| l.href(course_id, &format!("/lectures/{id}")))
        }
        _ => None,
    };
    let review_page =
        reviews::list(state, &l.caller, course_id, false, Keyset::new(None, 50)).await?;
    let mut ids: Vec<Uuid> = review_page.items.iter().map(|r| r.user_id).collect();
    ids.extend(instructors.iter().copied());
    let names: HashMap<Uuid, String> = users::by_ids(db, ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mine = store::review_of(db, l.caller.org_id(), course_id, me).await?;
    let review_rows = review_page
        .items
        .iter()
        .map(|r| ReviewRow {
            author: if r.user_id == me {
                "You".into()
            } else {
                names
                    .get(&r.user_id)
                    .cloned()
                    .unwrap_or_else(|| "A learner".into())
            },
            stars: r.rating,
            comment: r.comment.clone(),
            when: when(r.updated_at),
            mine: r.user_id == me,
            hidden: r.hidden,
        })
        .collect();
    let pending = if c.pricing == Pricing::Paid && !enrolled {
        pay_store::payer_page(db, me, Keyset::new(None, 50))
            .await?
            .items
            .into_iter()
            .find(|p| {
                p.purpose_kind == PurposeKind::Course
                    && p.purpose_id == course_id
                    && p.status == PaymentStatus::Pending
            })
            .map(|p| Pending {
                reference: p.reference,
                amount: money(p.amount, &p.currency),
                provider: p.provider.to_string(),
                since: when(p.created_at),
            })
    } else {
        None
    };
    let (form_rating, form_comment) = match (typed, &mine) {
        (Some(t), _) => (t.rating, t.comment),
        (None, Some(r)) if r.deleted_at.is_none() => {
            (i64::from(r.rating), r.comment.clone().unwrap_or_default())
        }
        _ => (5, String::new()),
    };
    let org_name = l.staff.ctx.org.name.clone();
    Ok(CoursePage {
        layout: l.layout(&c.title),
        href: l.href(course_id, ""),
        title: c.title.clone(),
        org_name,
        description_html: c.description_html.clone(),
        level: level_label(c.level),
        language: super::language_label(&c.language),
        price: price_label(c.pricing, c.price_minor, c.currency.as_deref()),
        paid: c.pricing != Pricing::Free,
        what_you_learn: c.what_you_learn.clone(),
        instructors: instructors
            .iter()
            .map(|id| {
                names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "An instructor".into())
            })
            .collect(),
        rating: rating_average.map(rating_label),
        rating_count,
        chapters: rows,
        lectures_total,
        enrolled,
        completed: enrollment
            .as_ref()
            .is_some_and(|e| e.status == CourseEnrollmentStatus::Completed),
        percent: enrollment
            .as_ref()
            .map_or(0, |e| e.progress_percent.clamp(0, 100)),
        staff: is_staff,
        learner: l.caller.learn,
        continue_href,
        pending,
        notice: notice(notice_key),
        reviews: review_rows,
        my_review: mine.is_some_and(|r| r.deleted_at.is_none()),
        form_rating,
        form_comment,
        errors,
    })
}

/// `GET /orgs/{org}/learn/{course}`.
pub async fn page(
    State(state): State<AppState>,
    l: Learner,
    query: Result<Query<CourseQuery>, QueryRejection>,
) -> Response {
    let id = match l.id("course") {
        Ok(id) => id,
        Err(no) => return *no,
    };
    let q = query.map(|Query(q)| q).unwrap_or_default();
    match build(
        &state,
        &l,
        id,
        q.done.as_deref(),
        None,
        FormErrors::default(),
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// Checks the form's CSRF token and reads the course id.
fn course_of(l: &Learner, csrf: &str) -> Result<Uuid, Box<Response>> {
    if let Some(no) = l.staff.csrf_refusal(csrf) {
        return Err(Box::new(no));
    }
    l.id("course")
}

/// `POST .../enroll`: a free course (the service of `POST .../enroll`).
pub async fn enroll(State(state): State<AppState>, l: Learner, form: WebForm<Empty>) -> Response {
    let id = match course_of(&l, &form.csrf) {
        Ok(id) => id,
        Err(no) => return *no,
    };
    match learn::enroll_self(&state, &l.caller, id).await {
        Ok(_) => see_other(&l.href(id, "?done=enrolled")),
        Err(e) => error_page(&e),
    }
}

/// `POST .../buy`: a paid course's checkout with the MANUAL provider (an
/// invoice); the enrollment comes when the payment completes.
pub async fn buy(State(state): State<AppState>, l: Learner, form: WebForm<Empty>) -> Response {
    let id = match course_of(&l, &form.csrf) {
        Ok(id) => id,
        Err(no) => return *no,
    };
    match learn::checkout(&state, &l.caller, id, learn::CheckoutBody::default()).await {
        Ok(view) => match view.url {
            // A hosted payment page (STRIPE) is where the learner pays.
            Some(url) if url.starts_with("https://") => see_other(&url),
            _ => see_other(&l.href(id, "?done=checkout")),
        },
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub comment: String,
}

/// `POST .../review`: writes the learner's review, or changes it.
pub async fn save_review(
    State(state): State<AppState>,
    l: Learner,
    form: WebForm<ReviewForm>,
) -> Response {
    let id = match course_of(&l, &form.csrf) {
        Ok(id) => id,
        Err(no) => return *no,
    };
    let typed_rating = form.value.rating.trim().parse::<i64>().unwrap_or(0);
    let comment = form.value.comment.trim().to_owned();
    let typed = || Typed {
        rating: typed_rating,
        comment: form.value.comment.clone(),
    };
    let mine =
        match store::review_of(state.db.read(), l.caller.org_id(), id, l.caller.user_id()).await {
            Ok(r) => r.filter(|r| r.deleted_at.is_none()),
            Err(e) => return error_page(&e.into()),
        };
    let result = match mine {
        Some(r) => reviews::update(
            &state,
            &l.caller,
            id,
            r.id,
            ReviewPatch {
                rating: Some(typed_rating),
                comment: Some((!comment.is_empty()).then_some(comment)),
            },
        )
        .await
        .map(|_| ()),
        None => reviews::create(
            &state,
            &l.caller,
            id,
            ReviewBody {
                rating: typed_rating,
                comment: (!comment.is_empty()).then_some(comment),
            },
        )
        .await
        .map(|_| ()),
    };
    match result {
        Ok(()) => see_other(&l.href(id, "?done=review#reviews")),
        Err(e) => {
            let page = match build(&state, &l, id, None, Some(typed()), FormErrors::default()).await
            {
                Ok(p) => p,
                Err(e) => return error_page(&e),
            };
            form_error(e, &["rating", "comment"], |errors| CoursePage {
                errors,
                ..page
            })
        }
    }
}

/// `POST .../review/delete`.
pub async fn delete_review(
    State(state): State<AppState>,
    l: Learner,
    form: WebForm<Empty>,
) -> Response {
    let id = match course_of(&l, &form.csrf) {
        Ok(id) => id,
        Err(no) => return *no,
    };
    let mine =
        match store::review_of(state.db.read(), l.caller.org_id(), id, l.caller.user_id()).await {
            Ok(Some(r)) if r.deleted_at.is_none() => r,
            Ok(_) => return error_page(&ApiError::NotFound),
            Err(e) => return error_page(&e.into()),
        };
    match reviews::delete(&state, &l.caller, id, mine.id).await {
        Ok(()) => see_other(&l.href(id, "?done=review-deleted#reviews")),
        Err(e) => error_page(&e),
    }
}

/// `POST .../assessments/{assessment}/start`: enrolls the learner in the
/// assessment's exam (the service of `enroll-me`) and opens the exam's
/// pre-exam check, the existing exam flow.
pub async fn start_assessment(
    State(state): State<AppState>,
    l: Learner,
    form: WebForm<Empty>,
) -> Response {
    let id = match course_of(&l, &form.csrf) {
        Ok(id) => id,
        Err(no) => return *no,
    };
    let assessment = match l.id("assessment") {
        Ok(a) => a,
        Err(no) => return *no,
    };
    match assessments::enroll_me(&state, &l.caller, id, assessment).await {
        Ok(v) => see_other(&format!("/me/exams/{}/check", v.exam_id)),
        Err(e) => error_page(&e),
    }
}
