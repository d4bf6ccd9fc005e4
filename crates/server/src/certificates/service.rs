//! Certificate services: the exam's setting, issuance and automatic
//! revocation in the caller's transaction, the holder's list, publication
//! and PDF, the public verification and the staff's list and revoke.

use std::collections::{BTreeMap, HashMap};

use chrono::Duration;
use rand::RngCore;
use uuid::Uuid;

use invigil_domain::certificates::{
    CODE_CHARS, CertificateStatus, Entitlement, code_from, entitlement, normalize_code, status_at,
};
use invigil_domain::exams::settings::CertificateSettingInput;
use invigil_domain::identity::Action;
use invigil_domain::notify::{NoticeKind, Priority};
use invigil_domain::review::results_withheld;
use invigil_domain::text::Text;
use invigil_store::Tx;
use invigil_store::certificates::{self as store, Certificate, CertificateSetting, ListFilter};
use invigil_store::delivery::{self, Session};
use invigil_store::exams as exam_store;
use invigil_store::identity::users;
use invigil_store::tenancy;

use super::views::{
    CertificateQuery, CertificateSettingBody, CertificateView, PublicCertificateView, PublishBody,
    RevokeBody,
};
use crate::audit::{Audit, AuditAction};
use crate::authz::OrgCtx;
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// Verifications per minute and address (public, unauthenticated).
const VERIFY_PER_MINUTE: u32 = 60;

/// The exam's certificate setting (disabled when never set).
pub async fn setting(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
) -> Result<CertificateSettingBody, ApiError> {
    let auth = ctx.authorize(Action::ManageCertificates)?;
    exam_store::exam(state.db.read(), auth.org_id, exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(store::setting(state.db.read(), auth.org_id, exam_id)
        .await?
        .map_or(
            CertificateSettingBody {
                enabled: false,
                title: None,
                valid_for_days: None,
                show_score: false,
            },
            |s| CertificateSettingBody::from(&s),
        ))
}

/// Sets the exam's certificate setting. When results are already released,
/// candidates who already earned one get it now.
pub async fn put_setting(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    body: CertificateSettingBody,
) -> Result<CertificateSettingBody, ApiError> {
    let auth = ctx.authorize(Action::ManageCertificates)?;
    exam_store::exam(state.db.read(), auth.org_id, exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let valid = CertificateSettingInput {
        enabled: body.enabled,
        title: body.title,
        valid_for_days: body.valid_for_days,
        show_score: body.show_score,
    }
    .validate()
    .map_err(|errs| {
        let mut out = Vec::new();
        crate::exams::service::domain_errors(&mut out, errs);
        ApiError::Validation(out)
    })?;
    let now = state.now();
    let tx = begin(state).await?;
    let row = store::put_setting(
        &tx,
        CertificateSetting {
            exam_id,
            org_id: auth.org_id,
            enabled: valid.enabled,
            title: valid.title.clone(),
            valid_for_days: valid
                .valid_for_days
                .map(i32::try_from)
                .transpose()
                .map_err(ApiError::caused_by)?,
            show_score: valid.show_score,
            updated_by: auth.actor.user_id,
            updated_at: now,
        },
    )
    .await?;
    let audit = auth.audit(now);
    audit
        .record(
            &tx,
            AuditAction::ExamUpdated,
            exam_id,
            serde_json::json!({ "certificate": valid }),
        )
        .await?;
    sync_exam(&tx, state, &audit, auth.org_id, exam_id, None).await?;
    commit(tx).await?;
    Ok(CertificateSettingBody::from(&row))
}

/// The best released attempt per candidate, as `/me/results` picks it:
/// finished, not withheld by an open review, the highest final score.
fn best_attempts(sessions: Vec<Session>) -> BTreeMap<Uuid, Session> {
    let mut best: BTreeMap<Uuid, Session> = BTreeMap::new();
    for s in sessions {
        if s.finished_at.is_none() || results_withheld(s.integrity_status) {
            continue;
        }
        let better = match best.get(&s.user_id) {
            None => true,
            Some(b) => s.final_score.unwrap_or(-1.0) > b.final_score.unwrap_or(-1.0),
        };
        if better {
            best.insert(s.user_id, s);
        }
    }
    best
}

fn new_code() -> String {
    let mut bytes = [0u8; CODE_CHARS];
    rand::rng().fill_bytes(&mut bytes);
    code_from(bytes)
}

/// Brings the exam's certificates in line with its released results, in
/// the caller's transaction: issues one to every candidate (or only
/// `only_user`) whose best released attempt passes without a confirmed
/// violation, and revokes (automatically, with the reason) the valid
/// certificate of one whose decided result no longer does. Nothing happens
/// before the results are released or when the exam has not opted in.
/// Idempotent: calling it twice changes nothing the second time.
pub async fn sync_exam(
    tx: &Tx,
    state: &AppState,
    audit: &Audit<'_>,
    org_id: Uuid,
    exam_id: Uuid,
    only_user: Option<Uuid>,
) -> Result<(), ApiError> {
    let Some(exam) = exam_store::exam(tx, org_id, exam_id).await? else {
        return Ok(());
    };
    if exam.results_released_at.is_none() {
        return Ok(());
    }
    let Some(setting) = store::setting(tx, org_id, exam_id)
        .await?
        .filter(|s| s.enabled)
    else {
        return Ok(());
    };
    let sessions = delivery::sessions_of_exam(tx, org_id, exam_id)
        .await?
        .into_iter()
        .filter(|s| only_user.is_none_or(|u| u == s.user_id))
        .collect();
    let now = state.now();
    let title = setting.title.clone().unwrap_or_else(|| exam.title.clone());
    for (user_id, s) in best_attempts(sessions) {
        let existing = store::of_exam_user(tx, org_id, exam_id, user_id).await?;
        match (entitlement(s.passed, s.integrity_status), existing) {
            (Entitlement::Earned, None) => {
                let holder = users::by_id(tx, user_id)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_default();
                let row = store::insert(
                    tx,
                    Certificate {
                        id: Uuid::now_v7(),
                        org_id,
                        exam_id,
                        user_id,
                        session_id: s.id,
                        code: new_code(),
                        title: title.clone(),
                        holder_name: holder,
                        score: s.final_score.unwrap_or(0.0),
                        max_score: s.max_score,
                        percent: s.percent.unwrap_or(0.0),
                        skills: "[]".to_owned(),
                        issued_at: now,
                        valid_until: setting
                            .valid_for_days
                            .map(|d| now + Duration::days(i64::from(d))),
                        revoked_at: None,
                        revoked_by: None,
                        revoke_reason: None,
                        published: false,
                        updated_at: now,
                    },
                )
                .await?;
                audit
                    .record(
                        tx,
                        AuditAction::CertificateIssued,
                        row.id,
                        serde_json::json!({ "exam_id": exam_id, "user_id": user_id, "session_id": s.id, "code": row.code, "percent": row.percent }),
                    )
                    .await?;
                notify(tx, state, &row, "certificate_issued", None).await?;
            }
            // Revoked automatically earlier and earned again (a regrade or a
            // reopened review): reinstated with the new result. A revoke by
            // staff stands.
            (Entitlement::Earned, Some(mut c))
                if c.revoked_at.is_some() && c.revoked_by.is_none() =>
            {
                c.revoked_at = None;
                c.revoke_reason = None;
                c.session_id = s.id;
                c.score = s.final_score.unwrap_or(0.0);
                c.max_score = s.max_score;
                c.percent = s.percent.unwrap_or(0.0);
                c.updated_at = now;
                let row = store::update(tx, c).await?;
                audit
                    .record(
                        tx,
                        AuditAction::CertificateIssued,
                        row.id,
                        serde_json::json!({ "exam_id": exam_id, "user_id": user_id, "session_id": s.id, "reinstated": true, "percent": row.percent }),
                    )
                    .await?;
                notify(tx, state, &row, "certificate_issued", None).await?;
            }
            (Entitlement::Lost(reason), Some(mut c)) if c.revoked_at.is_none() => {
                c.revoked_at = Some(now);
                c.revoked_by = None;
                c.revoke_reason = Some(reason.to_owned());
                c.updated_at = now;
                let row = store::update(tx, c).await?;
                audit
                    .record(
                        tx,
                        AuditAction::CertificateRevoked,
                        row.id,
                        serde_json::json!({ "automatic": true, "reason": reason, "session_id": s.id }),
                    )
                    .await?;
                notify(tx, state, &row, "certificate_revoked", Some(reason)).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn notify(
    tx: &Tx,
    state: &AppState,
    c: &Certificate,
    key: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let mut vars = crate::notify::Vars::new()
        .set("certificate", &c.title)
        .set("code", &c.code);
    if let Some(r) = reason {
        vars = vars.set("reason", r);
    }
    crate::notify::send(
        tx,
        state,
        crate::notify::Notice {
            org_id: Some(c.org_id),
            user_id: c.user_id,
            kind: NoticeKind::Achievement,
            priority: Priority::Medium,
            template_key: key,
            vars,
            link: Some("/me/certificates".to_owned()),
        },
    )
    .await
}

/// Organization names by id, read once each.
#[derive(Default)]
struct OrgNames(HashMap<Uuid, String>);

impl OrgNames {
    async fn get(&mut self, state: &AppState, id: Uuid) -> Result<String, ApiError> {
        if let Some(n) = self.0.get(&id) {
            return Ok(n.clone());
        }
        let name = tenancy::org_by_id(state.db.read(), id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        self.0.insert(id, name.clone());
        Ok(name)
    }
}

async fn views(
    state: &AppState,
    page: invigil_store::KeysetPage<Certificate, Uuid>,
) -> Result<Page<CertificateView>, ApiError> {
    let base = state.config.public_base();
    let now = state.now();
    let mut names = OrgNames::default();
    let mut items = Vec::with_capacity(page.items.len());
    for c in page.items {
        let org = names.get(state, c.org_id).await?;
        items.push(CertificateView::of(c, org, &base, now));
    }
    Ok(Page {
        items,
        next_cursor: page.next.map(|k| k.to_string()),
    })
}

async fn view(state: &AppState, c: Certificate) -> Result<CertificateView, ApiError> {
    let org = OrgNames::default().get(state, c.org_id).await?;
    Ok(CertificateView::of(
        c,
        org,
        &state.config.public_base(),
        state.now(),
    ))
}

/// The caller's certificates in every organization, newest first.
pub async fn mine(
    state: &AppState,
    user: &CurrentUser,
    page: &PageQuery,
) -> Result<Page<CertificateView>, ApiError> {
    let rows = store::list_of_holder(state.db.read(), user.id(), page.keyset()?).await?;
    views(state, rows).await
}

/// One of the caller's certificates (404 for anyone else's).
pub async fn my_one(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<CertificateView, ApiError> {
    let c = store::of_holder(state.db.read(), user.id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view(state, c).await
}

/// The holder publishes (or withdraws) their consent to show their name on
/// the public verification.
pub async fn publish(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    body: PublishBody,
) -> Result<CertificateView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let mut c = store::of_holder(&tx, user.id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if c.published == body.published {
        commit(tx).await?;
        return view(state, c).await;
    }
    c.published = body.published;
    c.updated_at = now;
    let c = store::update(&tx, c).await?;
    Audit::user(user.id(), &user.client, Some(c.org_id), now)
        .record(
            &tx,
            AuditAction::CertificatePublicationChanged,
            c.id,
            serde_json::json!({ "published": c.published }),
        )
        .await?;
    commit(tx).await?;
    view(state, c).await
}

/// What a PDF prints: the certificate, its organization and whether the
/// score is shown.
pub struct Printable {
    pub certificate: Certificate,
    pub organization: String,
    pub show_score: bool,
}

async fn printable(state: &AppState, c: Certificate) -> Result<Printable, ApiError> {
    let organization = OrgNames::default().get(state, c.org_id).await?;
    let show_score = store::setting(state.db.read(), c.org_id, c.exam_id)
        .await?
        .is_some_and(|s| s.show_score);
    Ok(Printable {
        certificate: c,
        organization,
        show_score,
    })
}

/// The PDF of one of the caller's certificates.
pub async fn my_pdf(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<Vec<u8>, ApiError> {
    let c = store::of_holder(state.db.read(), user.id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let p = printable(state, c).await?;
    super::pdf::render(&p, &state.config.public_base(), state.now())
}

async fn limit(state: &AppState, client: &ClientInfo) -> Result<(), ApiError> {
    match client.ip {
        Some(ip) => {
            crate::identity::service::rate_limit(
                state,
                &format!("cert-verify:{ip}"),
                VERIFY_PER_MINUTE,
                Duration::minutes(1),
            )
            .await
        }
        None => Ok(()),
    }
}

/// The certificate of a code as typed; 404 for anything that is not one.
async fn by_code(state: &AppState, raw: &str) -> Result<Certificate, ApiError> {
    let code = normalize_code(raw).ok_or(ApiError::NotFound)?;
    store::by_code(state.db.read(), &code)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Public verification: the status always, the holder's details only when
/// they published the certificate.
pub async fn verify(
    state: &AppState,
    client: &ClientInfo,
    raw: &str,
) -> Result<PublicCertificateView, ApiError> {
    limit(state, client).await?;
    let c = by_code(state, raw).await?;
    public_view(state, c).await
}

pub async fn public_view(
    state: &AppState,
    c: Certificate,
) -> Result<PublicCertificateView, ApiError> {
    let status = status_at(c.revoked_at, c.valid_until, state.now()).to_string();
    if !c.published {
        return Ok(PublicCertificateView {
            code: c.code,
            status,
            published: false,
            holder_name: None,
            title: None,
            organization: None,
            issued_at: None,
            valid_until: None,
            percent: None,
            pdf_url: None,
        });
    }
    let revoked = c.revoked_at.is_some();
    let p = printable(state, c).await?;
    let c = p.certificate;
    Ok(PublicCertificateView {
        // A revoked certificate is not offered for download.
        pdf_url: (!revoked).then(|| format!("/api/v1/certificates/{}/pdf", c.code)),
        percent: p.show_score.then_some(c.percent),
        code: c.code,
        status,
        published: true,
        holder_name: Some(c.holder_name),
        title: Some(c.title),
        organization: Some(p.organization),
        issued_at: Some(c.issued_at),
        valid_until: c.valid_until,
    })
}

/// The PDF of a published certificate (404 when not published).
pub async fn public_pdf(
    state: &AppState,
    client: &ClientInfo,
    raw: &str,
) -> Result<Vec<u8>, ApiError> {
    limit(state, client).await?;
    let c = by_code(state, raw).await?;
    // Not published, or revoked: the verification page says so, and no
    // document is handed out that could pass for a valid one.
    if !c.published || c.revoked_at.is_some() {
        return Err(ApiError::NotFound);
    }
    let p = printable(state, c).await?;
    super::pdf::render(&p, &state.config.public_base(), state.now())
}

/// The organization's certificates, newest first (ManageCertificates).
pub async fn list_org(
    state: &AppState,
    ctx: &OrgCtx,
    q: &CertificateQuery,
) -> Result<Page<CertificateView>, ApiError> {
    let auth = ctx.authorize(Action::ManageCertificates)?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            CertificateStatus::parse(s)
                .ok_or_else(|| ApiError::field("status", "must be VALID, EXPIRED or REVOKED"))?,
        ),
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let rows = store::list_of_org(
        state.db.read(),
        auth.org_id,
        ListFilter {
            exam_id: q.exam_id,
            status,
        },
        state.now(),
        page.keyset()?,
    )
    .await?;
    views(state, rows).await
}

/// Revokes a certificate of the organization and tells its holder.
pub async fn revoke(
    state: &AppState,
    ctx: &OrgCtx,
    id: Uuid,
    body: RevokeBody,
) -> Result<CertificateView, ApiError> {
    let auth = ctx.authorize(Action::ManageCertificates)?;
    let reason = Text::<500>::parse("reason", &body.reason)?;
    let now = state.now();
    let tx = begin(state).await?;
    let mut c = store::by_id_in_org(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if c.revoked_at.is_some() {
        return Err(ApiError::conflict("the certificate is already revoked"));
    }
    c.revoked_at = Some(now);
    c.revoked_by = Some(auth.actor.user_id);
    c.revoke_reason = Some(reason.as_str().to_owned());
    c.updated_at = now;
    let c = store::update(&tx, c).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::CertificateRevoked,
            c.id,
            serde_json::json!({ "automatic": false, "reason": reason.as_str(), "user_id": c.user_id }),
        )
        .await?;
    notify(&tx, state, &c, "certificate_revoked", Some(reason.as_str())).await?;
    commit(tx).await?;
    view(state, c).await
}
