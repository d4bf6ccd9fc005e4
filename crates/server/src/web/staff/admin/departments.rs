//! `/orgs/{org}/admin/departments`: list, create, rename, delete when empty
//! (the services of `POST`, `PATCH` and `DELETE /api/v1/orgs/{org}/departments`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::tenancy;

use super::{AdminLink, DoneQuery, done, links, notice, refusal};
use crate::state::AppState;
use crate::tenancy::service;
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::staff::{Section, Staff};
use crate::web::{Layout, when};

#[derive(Debug)]
pub struct DepartmentRow {
    pub id: Uuid,
    pub name: String,
    pub created: String,
    pub rename_action: String,
    pub delete_action: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/departments.html")]
pub struct DepartmentsPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub create_action: String,
    pub rows: Vec<DepartmentRow>,
}

const PATH: &str = "/admin/departments";

/// `GET /orgs/{org}/admin/departments`.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Err(e) = staff.ctx.authorize(Action::ManageOrg) {
        return error_page(&e);
    }
    let departments = match tenancy::list_departments(state.db.read(), staff.ctx.org_id()).await {
        Ok(d) => d,
        Err(e) => return error_page(&e.into()),
    };
    let rows = departments
        .into_iter()
        .map(|d| DepartmentRow {
            rename_action: staff.href(&format!("{PATH}/{}/rename", d.id)),
            delete_action: staff.href(&format!("{PATH}/{}/delete", d.id)),
            id: d.id,
            name: d.name,
            created: when(d.created_at),
        })
        .collect();
    DepartmentsPage {
        layout: staff.layout("Departments", Section::Admin),
        links: links(&staff, PATH),
        notice: notice(q.done.as_deref()),
        create_action: staff.href(PATH),
        rows,
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    pub name: String,
}

/// `POST /orgs/{org}/admin/departments`: a new department.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<NameForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let result = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(auth) => service::create_department(&state, &auth, &form.value.name).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&staff, PATH, "created"),
        Err(e) => refusal(&staff, e, &back),
    }
}

/// `POST /orgs/{org}/admin/departments/{id}/rename`.
pub async fn rename(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, Uuid)>,
    form: WebForm<NameForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let result = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(auth) => service::rename_department(&state, &auth, id, &form.value.name).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&staff, PATH, "renamed"),
        Err(e) => refusal(&staff, e, &back),
    }
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /orgs/{org}/admin/departments/{id}/delete`: only when empty (409
/// otherwise, saying what is still in it).
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, Uuid)>,
    form: WebForm<EmptyForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let result = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(auth) => service::delete_department(&state, &auth, id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => done(&staff, PATH, "deleted"),
        Err(e) => refusal(&staff, e, &back),
    }
}
