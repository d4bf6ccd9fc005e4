//! Certificates in the browser: the holder's `/me/certificates` (list,
//! publish toggle, the verification link to copy, the PDF) and the public
//! verification page `/certificates/{code}` (no sign-in; the holder's
//! details only when published). The same services as
//! `/api/v1/me/certificates*` and `/api/v1/certificates/{code}`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::errors::{csrf_refused, error_page};
use super::form::WebForm;
use super::session::{SignedIn, see_other};
use super::{Layout, when};
use crate::certificates::routes::pdf_response;
use crate::certificates::service;
use crate::certificates::views::{CertificateView, PublicCertificateView, PublishBody};
use crate::http::auth::ClientInfo;
use crate::http::error::ApiError;
use crate::http::page::PageQuery;
use crate::state::AppState;

/// The badge class of a status.
fn badge(status: &str) -> &'static str {
    match status {
        "VALID" => "badge ok",
        "EXPIRED" => "badge warn",
        _ => "badge bad",
    }
}

#[derive(Debug)]
pub struct CertCard {
    pub id: Uuid,
    pub title: String,
    pub organization: String,
    pub code: String,
    pub status: String,
    pub badge: &'static str,
    pub issued: String,
    pub valid_until: Option<String>,
    pub percent: String,
    pub published: bool,
    pub url: String,
    pub revoke_reason: Option<String>,
}

fn card(v: CertificateView) -> CertCard {
    CertCard {
        badge: badge(&v.status),
        id: v.id,
        title: v.title,
        organization: v.organization,
        code: v.code,
        status: v.status,
        issued: when(v.issued_at),
        valid_until: v.valid_until.map(when),
        percent: format!("{:.0}%", v.percent),
        published: v.published,
        url: v.verification_url,
        revoke_reason: v.revoke_reason,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "certificates.html")]
pub struct MyCertificatesPage {
    pub layout: Layout,
    pub cards: Vec<CertCard>,
    pub more: Option<String>,
    pub later_page: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub cursor: Option<String>,
}

/// `GET /me/certificates`.
pub async fn list_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let cursor = query
        .ok()
        .and_then(|Query(q)| q.cursor)
        .filter(|c| !c.is_empty());
    let page = PageQuery {
        limit: Some(30),
        cursor: cursor.clone(),
    };
    let list = match service::mine(&state, &signed_in.user, &page).await {
        Ok(l) => l,
        Err(e) => return error_page(&e),
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    MyCertificatesPage {
        layout: Layout::for_visitor("My certificates", &signed_in.visitor, &csrf),
        cards: list.items.into_iter().map(card).collect(),
        more: list
            .next_cursor
            .map(|c| format!("/me/certificates?cursor={c}")),
        later_page: cursor.is_some(),
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    /// "true" or "false".
    pub published: String,
}

/// `POST /me/certificates/{id}/publish`.
pub async fn publish(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: WebForm<PublishForm>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let published = match form.value.published.as_str() {
        "true" => true,
        "false" => false,
        _ => return error_page(&ApiError::field("published", "must be true or false")),
    };
    match service::publish(&state, &signed_in.user, id, PublishBody { published }).await {
        Ok(_) => see_other(&format!("/me/certificates#cert-{id}")),
        Err(e) => error_page(&e),
    }
}

/// `GET /me/certificates/{id}/pdf`: the holder's PDF, with the page's
/// cookie session.
pub async fn pdf(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let view = match service::my_one(&state, &signed_in.user, id).await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    match service::my_pdf(&state, &signed_in.user, id).await {
        Ok(bytes) => pdf_response(bytes, &view.code),
        Err(e) => error_page(&e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "certificate_verify.html")]
pub struct VerifyPage {
    pub layout: Layout,
    pub v: PublicCertificateView,
    pub badge: &'static str,
    pub issued: Option<String>,
    pub valid_until: Option<String>,
    pub percent: Option<String>,
}

/// `GET /certificates/{code}`: anyone, no sign-in.
pub async fn verify_page(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(code): Path<String>,
) -> Response {
    let v = match service::verify(&state, &client, &code).await {
        Ok(v) => v,
        Err(ApiError::NotFound) => {
            return error_page(&ApiError::NotFound);
        }
        Err(e) => return error_page(&e),
    };
    VerifyPage {
        layout: Layout::anonymous("Certificate verification"),
        badge: badge(&v.status),
        issued: v.issued_at.map(when),
        valid_until: v.valid_until.map(when),
        percent: v.percent.map(|p| format!("{p:.0}%")),
        v,
    }
    .into_response()
}
