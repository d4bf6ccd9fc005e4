//! `/admin/users` (the platform's super admin, `Action::ManageAccounts`):
//! search accounts (the service of `GET /api/v1/users`), change one's
//! status with a reason (`PATCH /api/v1/users/{id}`) and erase a person
//! (`POST /api/v1/users/{id}/erasure`) after typing their email address;
//! the erasure's summary is the answer page. Anyone else gets the 403 page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use invigil_domain::identity::AccountStatus;
use invigil_store::identity::users;

use super::errors::{csrf_refused, error_page, sentence};
use super::form::WebForm;
use super::session::{SignedIn, see_other};
use super::staff::Pager;
use super::{Layout, when};
use crate::http::error::{ApiError, FieldError};
use crate::people::accounts::{self, AccountAdmin, StatusBody, UserQuery, UserView};
use crate::people::erasure::{self, ErasureBody, ErasureSummary};
use crate::state::AppState;

fn status_words(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => "Active",
        AccountStatus::Suspended => "Suspended",
        AccountStatus::Deactivated => "Deactivated",
        AccountStatus::PendingVerification => "Pending verification",
    }
}

#[derive(Debug)]
pub struct AccountRow {
    pub href: String,
    pub name: String,
    pub email: String,
    pub status: &'static str,
    pub status_class: String,
    pub super_admin: bool,
    pub last_login: String,
    pub created: String,
}

fn row(u: UserView) -> AccountRow {
    AccountRow {
        href: format!("/admin/users/{}", u.id),
        name: u.name,
        email: u.email,
        status: status_words(u.status),
        status_class: u.status.name().to_ascii_lowercase().replace('_', "-"),
        super_admin: u.is_super_admin,
        last_login: u.last_login_at.map(when).unwrap_or_else(|| "Never".into()),
        created: when(u.created_at),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub layout: Layout,
    pub q: String,
    pub q_error: Option<String>,
    pub rows: Vec<AccountRow>,
    pub pager: Pager,
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub cursor: Option<String>,
}

fn admin(signed: &SignedIn) -> Result<AccountAdmin, ApiError> {
    AccountAdmin::of(&signed.user)
}

fn layout(signed: &SignedIn, title: &str) -> Layout {
    let (csrf, _) = signed.visitor.csrf_for_page();
    Layout::for_visitor(title, &signed.visitor, &csrf)
}

/// `GET /admin/users?q=`.
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<SearchQuery>,
) -> Response {
    let admin = match admin(&signed) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let term = q.q.clone().unwrap_or_default();
    let query = UserQuery {
        q: q.q.clone(),
        limit: Some(50),
        cursor: q.cursor.clone(),
    };
    let (rows, next, q_error, status) = match accounts::search(&state, &admin, &query).await {
        Ok(page) => (
            page.items.into_iter().map(row).collect(),
            page.next_cursor,
            None,
            StatusCode::OK,
        ),
        Err(ApiError::Validation(list)) => (
            Vec::new(),
            None,
            list.first().map(|f| sentence(&f.message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return error_page(&e),
    };
    let base = if term.trim().is_empty() {
        "/admin/users".to_owned()
    } else {
        format!(
            "/admin/users?{}",
            serde_urlencoded::to_string([("q", term.as_str())]).unwrap_or_default()
        )
    };
    (
        status,
        AccountsPage {
            layout: layout(&signed, "Accounts"),
            q: term,
            q_error,
            rows,
            pager: Pager::new(&base, q.cursor.as_deref(), next.as_deref()),
        },
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub user: AccountRow,
    pub id: Uuid,
    pub is_self: bool,
    pub erased: bool,
    pub statuses: Vec<(&'static str, &'static str, bool)>,
    pub reason: String,
    pub status_errors: Vec<FieldError>,
    pub erase_errors: Vec<FieldError>,
    pub erase_reason: String,
}

impl AccountPage {
    fn status_error(&self, field: &str) -> Option<&str> {
        self.status_errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    fn erase_error(&self, field: &str) -> Option<&str> {
        self.erase_errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "status" => {
            "The status is changed. A status other than Active ended every session of the person."
        }
        _ => return None,
    })
}

#[derive(Default)]
struct Carry {
    status: Option<String>,
    reason: String,
    status_errors: Vec<FieldError>,
    erase_errors: Vec<FieldError>,
    erase_reason: String,
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    id: Uuid,
    notice_code: Option<&str>,
    carry: Carry,
) -> Response {
    let user = match users::by_id(state.db.read(), id).await {
        Ok(Some(u)) => u,
        Ok(None) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&e.into()),
    };
    let erased = user.email == invigil_store::people::erased_email(id);
    let current = carry
        .status
        .clone()
        .unwrap_or_else(|| user.status.name().to_owned());
    let view = UserView::from(user);
    AccountPage {
        layout: layout(signed, &format!("Account of {}", view.name)),
        notice: notice(notice_code),
        is_self: id == signed.user.id(),
        erased,
        statuses: AccountStatus::ALL
            .iter()
            .map(|s| (s.name(), status_words(*s), s.name() == current))
            .collect(),
        reason: carry.reason,
        status_errors: carry.status_errors,
        erase_errors: carry.erase_errors,
        erase_reason: carry.erase_reason,
        id,
        user: row(view),
    }
    .into_response()
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    id.parse::<Uuid>().map_err(|_| ApiError::NotFound)
}

/// `GET /admin/users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Err(e) = admin(&signed) {
        return error_page(&e);
    }
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    render(&state, &signed, id, q.done.as_deref(), Carry::default()).await
}

use crate::web::form::field;

fn with_status(resp: Response, status: StatusCode) -> Response {
    let mut resp = resp;
    if resp.status() == StatusCode::OK {
        *resp.status_mut() = status;
    }
    resp
}

/// `POST /admin/users/{id}/status`: `status`, `reason`.
pub async fn set_status(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if !signed.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let admin = match admin(&signed) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let status_name = field(&form.value, "status");
    let reason = field(&form.value, "reason");
    let result = match AccountStatus::parse(&status_name) {
        Some(status) => {
            accounts::set_status(
                &state,
                &admin,
                id,
                StatusBody {
                    status,
                    reason: reason.clone(),
                },
            )
            .await
        }
        None => Err(ApiError::field("status", "choose a status from the list")),
    };
    match result {
        Ok(_) => see_other(&format!("/admin/users/{id}?done=status")),
        Err(ApiError::Validation(list)) => {
            let carry = Carry {
                status: Some(status_name),
                reason,
                status_errors: list
                    .into_iter()
                    .map(|f| FieldError::new(f.field, sentence(&f.message)))
                    .collect(),
                ..Carry::default()
            };
            with_status(
                render(&state, &signed, id, None, carry).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account_erased.html")]
pub struct ErasedPage {
    pub layout: Layout,
    pub summary: ErasureSummary,
}

/// `POST /admin/users/{id}/erasure`: `confirm` (the person's email address,
/// typed), `reason`.
pub async fn erase(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if !signed.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let admin = match admin(&signed) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let user = match users::by_id(state.db.read(), id).await {
        Ok(Some(u)) => u,
        Ok(None) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&e.into()),
    };
    let typed = field(&form.value, "confirm");
    let reason = field(&form.value, "reason");
    let result = if !typed.eq_ignore_ascii_case(user.email.trim()) {
        Err(ApiError::field(
            "confirm",
            "type the person's email address exactly to confirm",
        ))
    } else {
        erasure::erase(
            &state,
            &admin,
            id,
            ErasureBody {
                reason: reason.clone(),
            },
        )
        .await
    };
    match result {
        Ok(summary) => ErasedPage {
            layout: layout(&signed, "Account erased"),
            summary,
        }
        .into_response(),
        Err(ApiError::Validation(list)) => {
            let carry = Carry {
                erase_reason: reason,
                erase_errors: list
                    .into_iter()
                    .map(|f| FieldError::new(f.field, sentence(&f.message)))
                    .collect(),
                ..Carry::default()
            };
            with_status(
                render(&state, &signed, id, None, carry).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => error_page(&e),
    }
}
