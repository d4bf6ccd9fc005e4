//! The hiring services: a company's job postings (ManageJobs), the public
//! board, applying by taking the posting's assessment, and the applicant's
//! own applications. The company's view of its applicants is
//! [`super::applicants`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use invigil_domain::exams::EnrollmentStatus;
use invigil_domain::hiring::{
    self as rules, ApplicationStatus, ExperienceLevel, PostingError, PostingStatus,
};
use invigil_domain::identity::{Action, MemberStatus, OrgKind, Role};
use invigil_domain::notify::{NoticeKind, Priority};
use invigil_domain::text::check_text;
use invigil_store::courses::Conn;
use invigil_store::delivery::{self, Session};
use invigil_store::exams::{self, Exam, NewEnrollment};
use invigil_store::hiring::{self as store, Application, Posting};
use invigil_store::tenancy::{self, Organization};
use invigil_store::{Keyset, Tx};

use super::views::{ApplyBody, MyApplicationView, PostingBody, PostingPatch, PostingView};
use crate::audit::{Audit, AuditAction};
use crate::authz::{Actor, Authorized, OrgCtx};
use crate::courses::validate::Errors;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::notify::{self, Notice, Vars};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// Longest posting description (Markdown).
pub const MAX_DESCRIPTION: usize = 20_000;
/// Most requirements and skills of a posting.
pub const MAX_ITEMS: usize = 30;
/// Longest cover note and recruiter note.
pub const MAX_NOTE: usize = 5_000;
/// Longest cover note.
pub const MAX_COVER_NOTE: usize = 2_000;
/// Longest board search.
pub const MAX_QUERY: usize = 100;

/// Allows `action` in a COMPANY organization: 403 without the right, 409
/// `not_a_company` in an institution.
pub fn company(ctx: &OrgCtx, action: Action) -> Result<Authorized, ApiError> {
    let auth = ctx.authorize(action)?;
    if ctx.org.kind != OrgKind::Company {
        return Err(ApiError::conflict_code(
            "not_a_company",
            "only a COMPANY organization has job postings",
        ));
    }
    Ok(auth)
}

/// The candidate's page of an exam: where the assessment is taken.
pub fn exam_link(exam_id: Uuid) -> String {
    format!("/me/exams/{exam_id}/check")
}

fn optional_line<const MAX: usize>(
    e: &mut Errors,
    field: &str,
    raw: Option<&str>,
) -> Option<String> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| e.line::<MAX>(field, s))
}

fn note(e: &mut Errors, field: &str, raw: Option<&str>, max: usize) -> Option<String> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    if raw.chars().count() > max {
        e.push(field, format!("must be at most {max} characters"));
    } else if let Err(m) = check_text(raw) {
        e.push(field, m);
    }
    Some(raw.to_owned())
}

fn description(e: &mut Errors, raw: &str) -> String {
    if raw.trim().is_empty() {
        e.push("description", "must not be empty");
    } else if raw.chars().count() > MAX_DESCRIPTION {
        e.push(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        );
        return String::new();
    }
    e.markdown("description", raw)
}

fn encode(list: &[String]) -> Result<String, ApiError> {
    serde_json::to_string(list).map_err(ApiError::caused_by)
}

/// The organization's exam `id`: 422 on `exam_id` when there is none.
async fn exam_of<C: Conn>(conn: &C, org_id: Uuid, id: Uuid) -> Result<Exam, ApiError> {
    exams::exam(conn, org_id, id)
        .await?
        .ok_or_else(|| ApiError::field("exam_id", "no exam with this id in the organization"))
}

fn refused(e: PostingError) -> ApiError {
    match e {
        PostingError::ExamNotOpen(_) => ApiError::conflict_code("exam_not_open", e.to_string()),
        PostingError::Closed => ApiError::conflict_code("posting_closed", e.to_string()),
        PostingError::Transition(..) => ApiError::conflict(e.to_string()),
    }
}

/// The view of a posting; `applicants` for staff.
pub async fn view<C: Conn>(
    conn: &C,
    org: &Organization,
    p: Posting,
    staff: bool,
) -> Result<PostingView, ApiError> {
    let exam_title = exams::exam(conn, p.org_id, p.exam_id)
        .await?
        .map(|e| e.title)
        .unwrap_or_default();
    let applicants = if staff {
        Some(store::applicants_count(conn, p.id).await?)
    } else {
        None
    };
    Ok(PostingView {
        id: p.id,
        org_id: p.org_id,
        org_slug: org.slug.clone(),
        company: org.name.clone(),
        requirements: p.requirements_list()?,
        required_skills: p.skills_list()?,
        title: p.title,
        description: p.description,
        experience_level: p.experience_level,
        location: p.location,
        salary: p.salary,
        status: p.status,
        exam_id: p.exam_id,
        exam_title,
        applicants,
        created_at: p.created_at,
        updated_at: p.updated_at,
        published_at: p.published_at,
        closed_at: p.closed_at,
    })
}

/// Creates a posting (DRAFT, or OPEN when asked and its exam is ACTIVE or
/// SCHEDULED).
#[tracing::instrument(skip_all, err, fields(org_id = %ctx.org.id))]
pub async fn create(
    state: &AppState,
    ctx: &OrgCtx,
    body: PostingBody,
) -> Result<PostingView, ApiError> {
    let auth = company(ctx, Action::ManageJobs)?;
    let now = state.now();
    let mut e = Errors::default();
    let title = e.line::<200>("title", &body.title);
    let desc = description(&mut e, &body.description);
    let requirements = e.lines::<300>("requirements", &body.requirements, MAX_ITEMS);
    let skills = e.lines::<80>("required_skills", &body.required_skills, MAX_ITEMS);
    let location = optional_line::<200>(&mut e, "location", body.location.as_deref());
    let salary = optional_line::<100>(&mut e, "salary", body.salary.as_deref());
    let status = body.status.unwrap_or(PostingStatus::Draft);
    if status == PostingStatus::Closed {
        e.push("status", "must be DRAFT or OPEN");
    }
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    let exam = exam_of(&tx, ctx.org.id, body.exam_id).await?;
    if status == PostingStatus::Open {
        rules::exam_publishable(exam.status).map_err(refused)?;
    }
    let row = store::insert_posting(
        &tx,
        Posting {
            id: Uuid::now_v7(),
            org_id: ctx.org.id,
            search_text: store::search_text(&title, &desc, &skills, location.as_deref()),
            requirements: encode(&requirements)?,
            required_skills: encode(&skills)?,
            title,
            description: desc,
            experience_level: body.experience_level,
            location,
            salary,
            status,
            exam_id: exam.id,
            created_by: auth.actor.user_id,
            created_at: now,
            updated_at: now,
            published_at: (status == PostingStatus::Open).then_some(now),
            closed_at: None,
        },
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::JobPostingCreated,
            row.id,
            json!({ "title": row.title, "status": row.status, "exam_id": row.exam_id }),
        )
        .await?;
    let v = view(&tx, &ctx.org, row, true).await?;
    commit(tx).await?;
    Ok(v)
}

/// The organization's postings, newest first (staff).
pub async fn list(
    state: &AppState,
    ctx: &OrgCtx,
    status: Option<PostingStatus>,
    page: Keyset<Uuid>,
) -> Result<Page<PostingView>, ApiError> {
    let _reader = staff_reader(ctx)?;
    let db = state.db.read();
    let rows = store::postings_of_org(db, ctx.org.id, status, page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for p in rows.items {
        items.push(view(db, &ctx.org, p, true).await?);
    }
    Ok(Page {
        items,
        next_cursor: rows.next.map(|k| k.to_string()),
    })
}

/// Who reads the company's postings: recruiters and applicant viewers.
pub fn staff_reader(ctx: &OrgCtx) -> Result<Authorized, ApiError> {
    company(ctx, Action::ManageJobs).or_else(|e| match e {
        ApiError::Forbidden => company(ctx, Action::ViewApplicants),
        other => Err(other),
    })
}

/// One posting of the organization (staff).
pub async fn get(state: &AppState, ctx: &OrgCtx, id: Uuid) -> Result<PostingView, ApiError> {
    let _reader = staff_reader(ctx)?;
    let db = state.db.read();
    let p = store::posting(db, ctx.org.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view(db, &ctx.org, p, true).await
}

/// Changes a posting (see [`PostingPatch`]).
#[tracing::instrument(skip_all, err, fields(posting_id = %id))]
pub async fn update(
    state: &AppState,
    ctx: &OrgCtx,
    id: Uuid,
    p: PostingPatch,
) -> Result<PostingView, ApiError> {
    let auth = company(ctx, Action::ManageJobs)?;
    let now = state.now();
    let mut e = Errors::default();
    let title = p.title.as_deref().map(|t| e.line::<200>("title", t));
    let desc = p.description.as_deref().map(|d| description(&mut e, d));
    let requirements = p
        .requirements
        .as_deref()
        .map(|r| e.lines::<300>("requirements", r, MAX_ITEMS));
    let skills = p
        .required_skills
        .as_deref()
        .map(|r| e.lines::<80>("required_skills", r, MAX_ITEMS));
    let location = p
        .location
        .map(|l| optional_line::<200>(&mut e, "location", l.as_deref()));
    let salary = p
        .salary
        .map(|l| optional_line::<100>(&mut e, "salary", l.as_deref()));
    if p.status == Some(PostingStatus::Closed) {
        e.push(
            "status",
            "must be DRAFT or OPEN (close with POST .../close)",
        );
    }
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    let mut row = store::posting(&tx, ctx.org.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.status == PostingStatus::Closed {
        return Err(refused(PostingError::Closed));
    }
    let status = p.status.unwrap_or(row.status);
    rules::may_move(row.status, status).map_err(refused)?;
    let exam = exam_of(&tx, ctx.org.id, p.exam_id.unwrap_or(row.exam_id)).await?;
    if status == PostingStatus::Open {
        rules::exam_publishable(exam.status).map_err(refused)?;
    }
    let mut changed = Vec::new();
    if let Some(t) = title {
        changed.push("title");
        row.title = t;
    }
    if let Some(d) = desc {
        changed.push("description");
        row.description = d;
    }
    if let Some(r) = requirements {
        changed.push("requirements");
        row.requirements = encode(&r)?;
    }
    let skills = match skills {
        Some(s) => {
            changed.push("required_skills");
            row.required_skills = encode(&s)?;
            s
        }
        None => row.skills_list()?,
    };
    if let Some(l) = p.experience_level {
        changed.push("experience_level");
        row.experience_level = l;
    }
    if let Some(l) = location {
        changed.push("location");
        row.location = l;
    }
    if let Some(s) = salary {
        changed.push("salary");
        row.salary = s;
    }
    if exam.id != row.exam_id {
        changed.push("exam_id");
        row.exam_id = exam.id;
    }
    if status != row.status {
        changed.push("status");
        if status == PostingStatus::Open && row.published_at.is_none() {
            row.published_at = Some(now);
        }
        row.status = status;
    }
    row.search_text = store::search_text(
        &row.title,
        &row.description,
        &skills,
        row.location.as_deref(),
    );
    row.updated_at = now;
    let row = store::update_posting(&tx, row).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::JobPostingUpdated,
            row.id,
            json!({ "changed": changed, "status": row.status }),
        )
        .await?;
    let v = view(&tx, &ctx.org, row, true).await?;
    commit(tx).await?;
    Ok(v)
}

/// Closes a posting: no new applications; the applicants stay visible.
#[tracing::instrument(skip_all, err, fields(posting_id = %id))]
pub async fn close(state: &AppState, ctx: &OrgCtx, id: Uuid) -> Result<PostingView, ApiError> {
    let auth = company(ctx, Action::ManageJobs)?;
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = store::posting(&tx, ctx.org.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    rules::may_move(row.status, PostingStatus::Closed).map_err(refused)?;
    row.status = PostingStatus::Closed;
    row.closed_at = Some(now);
    row.updated_at = now;
    let row = store::update_posting(&tx, row).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::JobPostingClosed,
            row.id,
            json!({ "title": row.title }),
        )
        .await?;
    let v = view(&tx, &ctx.org, row, true).await?;
    commit(tx).await?;
    Ok(v)
}

// ---- the public board

/// The OPEN postings of every company, newest first; `q` searches them.
pub async fn board(
    state: &AppState,
    q: Option<&str>,
    page: Keyset<Uuid>,
) -> Result<Page<PostingView>, ApiError> {
    if let Some(q) = q {
        if q.chars().count() > MAX_QUERY {
            return Err(ApiError::field(
                "q",
                format!("must be at most {MAX_QUERY} characters"),
            ));
        }
        check_text(q).map_err(|m| ApiError::field("q", m))?;
    }
    let db = state.db.read();
    let rows = store::open_postings(db, q, page).await?;
    let mut orgs: HashMap<Uuid, Organization> = HashMap::new();
    let mut items = Vec::with_capacity(rows.items.len());
    for p in rows.items {
        let org = match orgs.get(&p.org_id) {
            Some(o) => o.clone(),
            None => {
                let o = tenancy::org_by_id(db, p.org_id)
                    .await?
                    .ok_or(ApiError::NotFound)?;
                orgs.insert(o.id, o.clone());
                o
            }
        };
        items.push(view(db, &org, p, false).await?);
    }
    Ok(Page {
        items,
        next_cursor: rows.next.map(|k| k.to_string()),
    })
}

/// A published posting (OPEN or CLOSED) of a company; 404 for drafts.
pub async fn job(state: &AppState, id: Uuid) -> Result<PostingView, ApiError> {
    let db = state.db.read();
    let p = store::public_posting(db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let org = tenancy::org_by_id(db, p.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view(db, &org, p, false).await
}

// ---- applying

fn window_text(exam: &Exam) -> String {
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    match (exam.scheduled_start_at, exam.scheduled_end_at) {
        (Some(s), Some(e)) => format!("from {} to {}", fmt(s), fmt(e)),
        (Some(s), None) => format!("from {}", fmt(s)),
        (None, Some(e)) => format!("until {}", fmt(e)),
        (None, None) => "once the exam opens".to_owned(),
    }
}

/// Makes the applicant an ACTIVE member holding CANDIDATE (when not one
/// yet); whether they became a member now. Refuses a suspended member and
/// the company's own staff.
async fn join_as_candidate(
    tx: &Tx,
    org_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let joined = match tenancy::member(tx, org_id, user_id).await? {
        Some(m) if m.status != MemberStatus::Active => {
            return Err(ApiError::conflict_code(
                "membership_inactive",
                "your membership in this company is suspended or deactivated",
            ));
        }
        Some(_) => false,
        None => {
            tenancy::ensure_member(tx, org_id, user_id, now).await?;
            true
        }
    };
    let roles = tenancy::roles_of(tx, org_id, user_id).await?;
    if roles.iter().any(|(r, _)| *r != Role::Candidate) {
        return Err(ApiError::conflict_code(
            "company_staff",
            "the company's own staff cannot apply to its jobs",
        ));
    }
    if roles.is_empty() {
        tenancy::add_roles(tx, org_id, user_id, &[(Role::Candidate, None)], now).await?;
    }
    Ok(joined)
}

/// Applies to an OPEN posting: in one transaction the applicant becomes a
/// CANDIDATE member of the company, is enrolled in the posting's exam (once)
/// and the application is written with their consent; they get a notice
/// with the link to the assessment.
#[tracing::instrument(skip_all, err, fields(posting_id = %id))]
pub async fn apply(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
    body: ApplyBody,
) -> Result<MyApplicationView, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    if !body.consent {
        e.push(
            "consent",
            "must be true: the company sees your assessment result and details",
        );
    }
    let cover_note = note(
        &mut e,
        "cover_note",
        body.cover_note.as_deref(),
        MAX_COVER_NOTE,
    );
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    let posting = store::public_posting(&tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !rules::takes_applications(posting.status) {
        return Err(ApiError::conflict_code(
            "posting_closed",
            "this job posting is closed to new applications",
        ));
    }
    if store::application_by(&tx, posting.id, me.id())
        .await?
        .is_some()
    {
        return Err(ApiError::conflict_code(
            "already_applied",
            "you applied to this job already",
        ));
    }
    let org = tenancy::org_by_id(&tx, posting.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let exam = exams::exam(&tx, org.id, posting.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    rules::exam_publishable(exam.status).map_err(|_| {
        ApiError::conflict_code(
            "exam_not_open",
            "the job's assessment is not open: the company has to open it first",
        )
    })?;
    let joined = join_as_candidate(&tx, org.id, me.id(), now).await?;
    let enrolled = if exams::enrollment_in(&tx, org.id, exam.id, me.id())
        .await?
        .is_none()
    {
        exams::create_enrollments(
            &tx,
            org.id,
            exam.id,
            &[NewEnrollment {
                user_id: me.id(),
                status: EnrollmentStatus::Accepted,
                extra_time_percent: None,
            }],
            now,
        )
        .await?
            == 1
    } else {
        false
    };
    let row = store::insert_application(
        &tx,
        Application {
            id: Uuid::now_v7(),
            org_id: org.id,
            posting_id: posting.id,
            user_id: me.id(),
            status: ApplicationStatus::Applied,
            consent: true,
            consented_at: Some(now),
            cover_note,
            created_at: now,
            updated_at: now,
            withdrawn_at: None,
        },
    )
    .await?;
    let actor = Actor::from(me);
    Audit::by(&actor, Some(org.id), now)
        .record(
            &tx,
            AuditAction::JobApplicationCreated,
            row.id,
            json!({ "posting_id": posting.id, "exam_id": exam.id, "consent": true,
                "joined_org": joined, "enrolled": enrolled }),
        )
        .await?;
    notify::send(
        &tx,
        state,
        Notice {
            org_id: Some(org.id),
            user_id: me.id(),
            kind: NoticeKind::Announcement,
            priority: Priority::Medium,
            template_key: "job_application",
            vars: Vars::new()
                .set("org", &org.name)
                .set("job", &posting.title)
                .set("exam", &exam.title)
                .set("window", window_text(&exam))
                .set("duration_minutes", exam.duration_minutes.to_string()),
            link: Some(exam_link(exam.id)),
        },
    )
    .await?;
    let v = my_view(&row, &posting, &org, &exam.title, false);
    commit(tx).await?;
    Ok(v)
}

/// Whether `sessions` hold a submitted attempt of `exam_id`.
pub fn assessed(sessions: &[Session], exam_id: Uuid) -> bool {
    sessions
        .iter()
        .any(|s| s.exam_id == exam_id && s.finished_at.is_some())
}

fn my_view(
    a: &Application,
    p: &Posting,
    org: &Organization,
    exam_title: &str,
    assessed: bool,
) -> MyApplicationView {
    let status = rules::shown_status(a.status, assessed);
    MyApplicationView {
        id: a.id,
        posting_id: p.id,
        job_title: p.title.clone(),
        company: org.name.clone(),
        org_slug: org.slug.clone(),
        status,
        consent: a.consent,
        cover_note: a.cover_note.clone(),
        exam_id: p.exam_id,
        exam_title: exam_title.to_owned(),
        exam_link: (status == ApplicationStatus::Applied).then(|| exam_link(p.exam_id)),
        created_at: a.created_at,
        withdrawn_at: a.withdrawn_at,
    }
}

async fn my_view_of<C: Conn>(
    conn: &C,
    a: &Application,
    sessions: &[Session],
) -> Result<MyApplicationView, ApiError> {
    let p = store::posting(conn, a.org_id, a.posting_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let org = tenancy::org_by_id(conn, a.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let exam_title = exams::exam(conn, a.org_id, p.exam_id)
        .await?
        .map(|e| e.title)
        .unwrap_or_default();
    Ok(my_view(
        a,
        &p,
        &org,
        &exam_title,
        assessed(sessions, p.exam_id),
    ))
}

/// My applications in every company, newest first.
pub async fn mine(
    state: &AppState,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> Result<Page<MyApplicationView>, ApiError> {
    let db = state.db.read();
    let rows = store::applications_of_user(db, user_id, page).await?;
    let sessions = delivery::sessions_of_user(db, user_id).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for a in &rows.items {
        items.push(my_view_of(db, a, &sessions).await?);
    }
    Ok(Page {
        items,
        next_cursor: rows.next.map(|k| k.to_string()),
    })
}

/// Withdraws my application and my consent: the company no longer sees
/// me for it (and forgets its notes on me when I have no other live
/// application there).
#[tracing::instrument(skip_all, err, fields(application_id = %id))]
pub async fn withdraw(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
) -> Result<MyApplicationView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let mut a = store::my_application(&tx, me.id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !rules::may_withdraw(a.status) {
        return Err(ApiError::conflict(format!(
            "an application that is {} cannot be withdrawn",
            a.status
        )));
    }
    a.status = ApplicationStatus::Withdrawn;
    a.consent = false;
    a.withdrawn_at = Some(now);
    a.updated_at = now;
    let a = store::update_application(&tx, a).await?;
    let still = store::live_applications_in_org(&tx, a.org_id, me.id()).await?;
    let forgotten = if still == 0 {
        store::delete_views_of_candidate(&tx, a.org_id, me.id()).await?
    } else {
        0
    };
    let actor = Actor::from(me);
    Audit::by(&actor, Some(a.org_id), now)
        .record(
            &tx,
            AuditAction::JobApplicationWithdrawn,
            a.id,
            json!({ "posting_id": a.posting_id, "consent": false,
                "candidate_views_removed": forgotten }),
        )
        .await?;
    let sessions = delivery::sessions_of_user(&tx, me.id()).await?;
    let v = my_view_of(&tx, &a, &sessions).await?;
    commit(tx).await?;
    Ok(v)
}

/// The experience levels, as the form offers them.
pub const LEVELS: [ExperienceLevel; 4] = [
    ExperienceLevel::Entry,
    ExperienceLevel::Mid,
    ExperienceLevel::Senior,
    ExperienceLevel::Lead,
];
