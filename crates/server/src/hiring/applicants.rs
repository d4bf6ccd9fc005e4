//! What a company sees of its applicants (seed 002 CandidateView): only
//! people who applied to one of its postings, consented and did not
//! withdraw. Anyone else — another user, an applicant of another company,
//! a withdrawn applicant, a candidate of the company who never applied — is
//! 404. Reading one applicant records the reader's candidate view
//! (`candidate.viewed`); recruiters (`manage_jobs`) set the status, every
//! applicant viewer keeps their own notes and interest.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use invigil_domain::certificates::{CertificateStatus, status_at};
use invigil_domain::hiring::{self as rules, DecisionError};
use invigil_domain::identity::Action;
use invigil_domain::review::result_passed;
use invigil_store::Keyset;
use invigil_store::courses::Conn;
use invigil_store::delivery::{self, Session};
use invigil_store::hiring::{self as store, Application, CandidateView, Posting};
use invigil_store::identity::users::{self, User};
use invigil_store::{certificates, people};

use super::service::{MAX_NOTE, company};
use super::views::{
    ApplicantCertificate, ApplicantPatch, ApplicantProfile, ApplicantResult, ApplicantView,
    MyCandidateView,
};
use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::certificates::views::verification_url;
use crate::courses::validate::Errors;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// The applicant's profile summary for the company: what they wrote about
/// themselves (never their phone number or preferences). `None` when they
/// have no profile or left it empty.
pub async fn applicant_profile<C: Conn>(
    conn: &C,
    user_id: Uuid,
) -> Result<Option<ApplicantProfile>, ApiError> {
    let Some(p) = people::profile(conn, user_id).await? else {
        return Ok(None);
    };
    let list = |json: &str| serde_json::from_str::<Vec<String>>(json).unwrap_or_default();
    let summary = ApplicantProfile {
        bio: p.bio,
        location: p.location,
        skills: list(&p.skills),
        languages: list(&p.languages),
        linkedin: p.linkedin,
        github: p.github,
        website: p.website,
    };
    Ok((!summary.is_empty()).then_some(summary))
}

/// How many of an applicant's certificates the company sees at most.
const MAX_CERTIFICATES: u64 = 50;

/// The certificates the applicant chose to publish and that are still
/// valid (neither revoked nor expired), newest first, with the public
/// address where anyone may verify them.
pub async fn applicant_certificates<C: Conn>(
    conn: &C,
    user_id: Uuid,
    base: &str,
    now: DateTime<Utc>,
) -> Result<Vec<ApplicantCertificate>, ApiError> {
    let page =
        certificates::list_of_holder(conn, user_id, Keyset::new(None, MAX_CERTIFICATES)).await?;
    Ok(page
        .items
        .into_iter()
        .filter(|c| {
            c.published && status_at(c.revoked_at, c.valid_until, now) == CertificateStatus::Valid
        })
        .map(|c| ApplicantCertificate {
            id: c.id,
            title: c.title,
            issued_at: c.issued_at,
            verify_url: Some(verification_url(base, &c.code)),
        })
        .collect())
}

/// The best submitted attempt of the exam among `sessions`: the highest
/// final score, else the latest submitted.
fn best_result(sessions: &[&Session]) -> Option<ApplicantResult> {
    let best = sessions
        .iter()
        .filter(|s| s.finished_at.is_some())
        .max_by(|a, b| {
            let key = |s: &Session| (s.final_score.unwrap_or(-1.0), s.finished_at);
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1))
        })?;
    Some(ApplicantResult {
        session_id: best.id,
        attempt: best.attempt_no,
        final_score: best.final_score,
        max_score: best.max_score,
        percent: best.percent,
        passed: best.passed.map(|p| result_passed(p, best.integrity_status)),
        graded: best.pending_manual == 0 && best.final_score.is_some(),
        integrity: best.integrity_status.to_string(),
        submitted_at: best.finished_at,
    })
}

fn applicant(a: &Application, user: Option<&User>, sessions: &[&Session]) -> ApplicantView {
    let result = best_result(sessions);
    ApplicantView {
        application_id: a.id,
        posting_id: a.posting_id,
        user_id: a.user_id,
        name: user.map(|u| u.name.clone()).unwrap_or_default(),
        email: user.map(|u| u.email.clone()).unwrap_or_default(),
        status: rules::shown_status(a.status, result.is_some()),
        cover_note: a.cover_note.clone(),
        applied_at: a.created_at,
        result,
        profile: None,
        certificates: Vec::new(),
        my_view: None,
    }
}

fn my_view(v: CandidateView) -> MyCandidateView {
    MyCandidateView {
        viewed_at: v.viewed_at,
        notes: v.notes,
        is_interested: v.is_interested,
    }
}

async fn posting_of<C: Conn>(conn: &C, ctx: &OrgCtx, id: Uuid) -> Result<Posting, ApiError> {
    store::posting(conn, ctx.org.id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The applicants of a posting the company may see, in the order they
/// applied, with their assessment result.
pub async fn list(
    state: &AppState,
    ctx: &OrgCtx,
    posting_id: Uuid,
    page: Keyset<Uuid>,
) -> Result<Page<ApplicantView>, ApiError> {
    let _viewer = company(ctx, Action::ViewApplicants)?;
    let db = state.db.read();
    let posting = posting_of(db, ctx, posting_id).await?;
    let rows = store::visible_applications(db, ctx.org.id, posting.id, page).await?;
    let ids: Vec<Uuid> = rows.items.iter().map(|a| a.user_id).collect();
    let people: HashMap<Uuid, User> = users::by_ids(db, ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let sessions = delivery::sessions_of_exam(db, ctx.org.id, posting.exam_id).await?;
    let items = rows
        .items
        .iter()
        .map(|a| {
            let mine: Vec<&Session> = sessions.iter().filter(|s| s.user_id == a.user_id).collect();
            applicant(a, people.get(&a.user_id), &mine)
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: rows.next.map(|k| k.to_string()),
    })
}

/// The detail of one applicant (profile summary and certificates too).
async fn detail<C: Conn>(
    conn: &C,
    ctx: &OrgCtx,
    posting: &Posting,
    a: &Application,
    base: &str,
    now: DateTime<Utc>,
) -> Result<ApplicantView, ApiError> {
    let user = users::by_id(conn, a.user_id).await?;
    let sessions: Vec<Session> = delivery::sessions_of_user(conn, a.user_id)
        .await?
        .into_iter()
        .filter(|s| s.org_id == ctx.org.id && s.exam_id == posting.exam_id)
        .collect();
    let refs: Vec<&Session> = sessions.iter().collect();
    let mut v = applicant(a, user.as_ref(), &refs);
    v.profile = applicant_profile(conn, a.user_id).await?;
    v.certificates = applicant_certificates(conn, a.user_id, base, now).await?;
    v.my_view = store::view_of(conn, ctx.org.id, a.user_id, ctx.user.id())
        .await?
        .map(my_view);
    Ok(v)
}

/// One applicant: records the caller's candidate view (audited).
#[tracing::instrument(skip_all, err, fields(application_id = %id))]
pub async fn get(
    state: &AppState,
    ctx: &OrgCtx,
    posting_id: Uuid,
    id: Uuid,
) -> Result<ApplicantView, ApiError> {
    let auth = company(ctx, Action::ViewApplicants)?;
    let now = state.now();
    let tx = begin(state).await?;
    let posting = posting_of(&tx, ctx, posting_id).await?;
    let a = store::visible_application(&tx, ctx.org.id, posting.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    store::record_view(&tx, ctx.org.id, a.user_id, ctx.user.id(), now).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::CandidateViewed,
            a.user_id,
            json!({ "application_id": a.id, "posting_id": posting.id }),
        )
        .await?;
    let v = detail(&tx, ctx, &posting, &a, &state.config.public_base(), now).await?;
    commit(tx).await?;
    Ok(v)
}

/// A recruiter's decision (`status`, needs `manage_jobs`) and the caller's
/// own notes and interest on an applicant.
#[tracing::instrument(skip_all, err, fields(application_id = %id))]
pub async fn update(
    state: &AppState,
    ctx: &OrgCtx,
    posting_id: Uuid,
    id: Uuid,
    p: ApplicantPatch,
) -> Result<ApplicantView, ApiError> {
    let auth = company(ctx, Action::ViewApplicants)?;
    if p.status.is_some() {
        let _recruiter = ctx.authorize(Action::ManageJobs).map_err(|_| {
            ApiError::Denied("only recruiters (manage_jobs) change an application's status".into())
        })?;
    }
    let mut e = Errors::default();
    let notes = p.notes.map(|n| {
        let n = n.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        if n.chars().count() > MAX_NOTE {
            e.push("notes", format!("must be at most {MAX_NOTE} characters"));
        } else if let Err(m) = invigil_domain::text::check_text(n) {
            e.push("notes", m);
        }
        Some(n.to_owned())
    });
    e.done(()).map_err(ApiError::Validation)?;
    let now = state.now();
    let tx = begin(state).await?;
    let posting = posting_of(&tx, ctx, posting_id).await?;
    let mut a = store::visible_application(&tx, ctx.org.id, posting.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(to) = p.status {
        rules::recruiter_may_set(a.status, to).map_err(|err| match err {
            DecisionError::NotARecruiterStatus(_) => ApiError::field("status", err.to_string()),
            DecisionError::Withdrawn => ApiError::conflict(err.to_string()),
        })?;
        if to != a.status {
            let from = a.status;
            a.status = to;
            a.updated_at = now;
            a = store::update_application(&tx, a).await?;
            auth.audit(now)
                .record(
                    &tx,
                    AuditAction::JobApplicationStatusChanged,
                    a.id,
                    json!({ "from": from, "to": to, "posting_id": posting.id }),
                )
                .await?;
        }
    }
    if notes.is_some() || p.is_interested.is_some() {
        store::record_view(&tx, ctx.org.id, a.user_id, ctx.user.id(), now).await?;
        store::set_view_notes(
            &tx,
            ctx.org.id,
            a.user_id,
            ctx.user.id(),
            notes,
            p.is_interested,
        )
        .await?;
    }
    let v = detail(&tx, ctx, &posting, &a, &state.config.public_base(), now).await?;
    commit(tx).await?;
    Ok(v)
}
