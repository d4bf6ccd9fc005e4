//! The organization's certificates for staff with `ManageCertificates`:
//! `/orgs/{org}/certificates` (filters by exam and status, the list, revoke
//! with a reason and a confirmation). The same services as
//! `/api/v1/orgs/{org}/certificates*`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use super::{Section, Staff};
use crate::certificates::service;
use crate::certificates::views::{
    CertificateQuery, CertificateSettingBody, CertificateView, RevokeBody,
};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::web::errors::{FormErrors, error_page, form_error};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/certificates", get(page))
        .route("/orgs/{org}/certificates/{id}/revoke", post(revoke))
        .route("/orgs/{org}/exams/{exam}/certificate", post(save_setting))
}

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    pub exam_id: Option<String>,
    pub status: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug)]
pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub holder: String,
    pub code: String,
    pub status: String,
    pub badge: &'static str,
    pub issued: String,
    pub valid_until: String,
    pub percent: String,
    pub published: bool,
    pub revoke_reason: String,
}

fn row(v: CertificateView) -> Row {
    Row {
        badge: match v.status.as_str() {
            "VALID" => "badge ok",
            "EXPIRED" => "badge warn",
            _ => "badge bad",
        },
        id: v.id,
        title: v.title,
        holder: v.holder_name,
        code: v.code,
        status: v.status,
        issued: when(v.issued_at),
        valid_until: v.valid_until.map(when).unwrap_or_default(),
        percent: format!("{:.0}%", v.percent),
        published: v.published,
        revoke_reason: v.revoke_reason.unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/certificates.html")]
pub struct CertificatesPage {
    pub layout: Layout,
    pub action: String,
    pub rows: Vec<Row>,
    pub exam_id: String,
    pub status: String,
    pub statuses: &'static [&'static str],
    pub more: Option<String>,
}

/// `GET /orgs/{org}/certificates`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<Filters>, QueryRejection>,
) -> Response {
    let f = query.map(|Query(q)| q).unwrap_or_default();
    let exam_id = match f
        .exam_id
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(e) => match e.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => return error_page(&ApiError::field("exam_id", "not an exam id")),
        },
    };
    let status = f.status.clone().filter(|s| !s.is_empty());
    let q = CertificateQuery {
        exam_id,
        status: status.clone(),
        limit: Some(50),
        cursor: f.cursor.clone().filter(|c| !c.is_empty()),
    };
    let list = match service::list_org(&state, &staff.ctx, &q).await {
        Ok(l) => l,
        Err(e) => return error_page(&e),
    };
    let action = staff.href("/certificates");
    let exam_param = exam_id.map(|e| e.to_string()).unwrap_or_default();
    let status_param = status.clone().unwrap_or_default();
    CertificatesPage {
        layout: staff.layout("Certificates", Section::Certificates),
        more: list
            .next_cursor
            .map(|c| format!("{action}?exam_id={exam_param}&status={status_param}&cursor={c}")),
        action,
        rows: list.items.into_iter().map(row).collect(),
        exam_id: exam_param,
        status: status_param,
        statuses: &["VALID", "EXPIRED", "REVOKED"],
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub confirm: Option<String>,
}

/// `POST /orgs/{org}/certificates/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<RevokeForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    if form.value.confirm.as_deref() != Some("yes") {
        return error_page(&ApiError::field(
            "confirm",
            "tick the box to confirm the revocation",
        ));
    }
    let body = RevokeBody {
        reason: form.value.reason,
    };
    match service::revoke(&state, &staff.ctx, id, body).await {
        Ok(_) => see_other(&format!("{}#cert-{id}", staff.href("/certificates"))),
        Err(e) => error_page(&e),
    }
}

/// The "Certificate" card of the staff exam page: the exam's certificate
/// setting as a form (`POST /orgs/{org}/exams/{exam}/certificate`).
#[derive(Debug, Clone)]
pub struct SettingCard {
    pub action: String,
    pub enabled: bool,
    pub title: String,
    pub valid_for_days: String,
    pub show_score: bool,
    pub errors: FormErrors,
}

impl SettingCard {
    pub fn of(action: String, s: &CertificateSettingBody) -> SettingCard {
        SettingCard {
            action,
            enabled: s.enabled,
            title: s.title.clone().unwrap_or_default(),
            valid_for_days: s.valid_for_days.map(|d| d.to_string()).unwrap_or_default(),
            show_score: s.show_score,
            errors: FormErrors::default(),
        }
    }
}

/// The certificate setting form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct SettingForm {
    #[serde(default)]
    pub enabled: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub valid_for_days: String,
    #[serde(default)]
    pub show_score: Option<String>,
}

/// `POST /orgs/{org}/exams/{exam}/certificate`: the service of `PUT
/// /api/v1/orgs/{org}/exams/{exam}/certificate`; refused fields come back
/// on the exam page, next to the card's fields.
pub async fn save_setting(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    form: WebForm<SettingForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Ok(exam_id) = exam.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let f = form.value;
    let days = f.valid_for_days.trim();
    let valid_for_days = if days.is_empty() {
        Ok(None)
    } else {
        days.parse::<i64>().map(Some).map_err(|_| {
            ApiError::Validation(vec![FieldError::new(
                "valid_for_days",
                "must be a whole number of days",
            )])
        })
    };
    let title = Some(f.title.trim().to_owned()).filter(|t| !t.is_empty());
    let body = |valid_for_days| CertificateSettingBody {
        enabled: f.enabled.as_deref() == Some("true"),
        title: title.clone(),
        valid_for_days,
        show_score: f.show_score.as_deref() == Some("true"),
    };
    let result = match valid_for_days {
        Ok(d) => service::put_setting(&state, &staff.ctx, exam_id, body(d)).await,
        Err(e) => {
            // Still 404/403 for an exam the caller may not set.
            match service::setting(&state, &staff.ctx, exam_id).await {
                Ok(_) => Err(e),
                Err(other) => Err(other),
            }
        }
    };
    match result {
        Ok(_) => see_other(&staff.href(&format!("/exams/{exam_id}?done=certificate#certificate"))),
        Err(e @ ApiError::Validation(_)) => {
            match super::exams::exam_page(&state, &staff, exam_id, None).await {
                Ok(page) => form_error(e, &["title", "valid_for_days"], |errors| {
                    let mut page = page;
                    let mut card = SettingCard::of(page_action(&staff, exam_id), &body(None));
                    card.valid_for_days = f.valid_for_days.clone();
                    card.errors = errors;
                    page.certificate = Some(card);
                    page
                }),
                Err(other) => error_page(&other),
            }
        }
        Err(e) => error_page(&e),
    }
}

fn page_action(staff: &Staff, exam_id: Uuid) -> String {
    staff.href(&format!("/exams/{exam_id}/certificate"))
}
