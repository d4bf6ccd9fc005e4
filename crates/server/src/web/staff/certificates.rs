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
use crate::certificates::views::{CertificateQuery, CertificateView, RevokeBody};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/certificates", get(page))
        .route("/orgs/{org}/certificates/{id}/revoke", post(revoke))
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
