//! `/orgs/{org}/admin/members`: members with their roles per department,
//! the roles editor, suspend / reactivate and remove (the services of
//! `GET /members`, `PUT /members/{u}/roles`, `PATCH` and `DELETE
//! /members/{u}`).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::identity::{Action, MemberStatus, Role};
use invigil_store::identity::users;
use invigil_store::people::{self, InstructorProfile};
use invigil_store::tenancy;

use super::{AdminLink, DoneQuery, done, links, notice, refusal};
use crate::authz::parse_grants;
use crate::http::error::ApiError;
use crate::http::page::PageQuery;
use crate::people::profile::{self, VerificationBody, teaches};
use crate::state::AppState;
use crate::tenancy::routes::members_page;
use crate::tenancy::service::{self, GrantBody};
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::staff::{Pager, Section, Staff};
use crate::web::{Layout, when};

const PATH: &str = "/admin/members";

/// A role in words.
pub fn role_words(r: Role) -> &'static str {
    match r {
        Role::SuperAdmin => "Platform administrator",
        Role::OrgAdmin => "Organization administrator",
        Role::ExamAuthor => "Exam author",
        Role::ExamCoordinator => "Exam coordinator",
        Role::EnrollmentManager => "Enrollment manager",
        Role::ProctorReviewer => "Proctor and reviewer",
        Role::QualityAssurance => "Quality assurance",
        Role::ReportViewer => "Report viewer",
        Role::Candidate => "Candidate",
    }
}

/// The roles an administrator grants (never SUPER_ADMIN).
pub fn grantable() -> impl Iterator<Item = Role> {
    Role::ALL.into_iter().filter(|r| *r != Role::SuperAdmin)
}

/// The organization's departments by id.
pub async fn department_names(
    state: &AppState,
    org_id: Uuid,
) -> Result<Vec<(Uuid, String)>, ApiError> {
    Ok(tenancy::list_departments(state.db.read(), org_id)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

/// A grant in words: "Exam coordinator (Medicine)".
pub fn grant_words(names: &HashMap<Uuid, String>, g: &GrantBody) -> String {
    let role: &str = match Role::parse(&g.role) {
        Some(r) => role_words(r),
        None => &g.role,
    };
    match g.department_id {
        None => format!("{role} (whole organization)"),
        Some(d) => format!(
            "{role} ({})",
            names.get(&d).map_or("unknown department", String::as_str)
        ),
    }
}

fn status_words(s: MemberStatus) -> (&'static str, &'static str) {
    match s {
        MemberStatus::Active => ("Active", "badge ok"),
        MemberStatus::Suspended => ("Suspended", "badge warn"),
        MemberStatus::Deactivated => ("Deactivated", "badge muted"),
    }
}

#[derive(Debug)]
pub struct MemberRow {
    pub name: String,
    pub email: String,
    pub status: &'static str,
    pub status_badge: &'static str,
    pub roles: Vec<String>,
    pub joined: String,
    pub edit_href: String,
    pub status_action: String,
    pub remove_action: String,
    pub active: bool,
    pub is_me: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/members.html")]
pub struct MembersPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub manage: bool,
    pub rows: Vec<MemberRow>,
    pub invite_href: String,
    pub pager: Pager,
}

/// `GET /orgs/{org}/admin/members`.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let auth = match staff.ctx.authorize(Action::ReadMembers) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let cursor = q.cursor.filter(|c| !c.is_empty());
    let page = match members_page(
        &state,
        auth.org_id,
        PageQuery {
            limit: Some(50),
            cursor: cursor.clone(),
        },
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let names: HashMap<Uuid, String> = match department_names(&state, auth.org_id).await {
        Ok(d) => d.into_iter().collect(),
        Err(e) => return error_page(&e),
    };
    let me = staff.ctx.user.id();
    let rows = page
        .items
        .iter()
        .map(|m| {
            let (status, status_badge) = status_words(m.status);
            let base = format!("{PATH}/{}", m.user_id);
            MemberRow {
                name: m.name.clone(),
                email: m.email.clone(),
                status,
                status_badge,
                roles: m.roles.iter().map(|g| grant_words(&names, g)).collect(),
                joined: when(m.joined_at),
                edit_href: staff.href(&base),
                status_action: staff.href(&format!("{base}/status")),
                remove_action: staff.href(&format!("{base}/remove")),
                active: m.status == MemberStatus::Active,
                is_me: m.user_id == me,
            }
        })
        .collect();
    MembersPage {
        layout: staff.layout("Members and roles", Section::Admin),
        links: links(&staff, PATH),
        notice: notice(q.done.as_deref()),
        manage: staff.may(Action::ManageOrg),
        rows,
        invite_href: staff.href("/admin/invitations"),
        pager: Pager::new(
            &staff.href(PATH),
            cursor.as_deref(),
            page.next_cursor.as_deref(),
        ),
    }
    .into_response()
}

/// One grant the member holds, for the editor.
#[derive(Debug)]
pub struct GrantRow {
    pub value: String,
    pub words: String,
    pub index: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/member.html")]
pub struct MemberPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub members_href: String,
    pub name: String,
    pub email: String,
    pub status: &'static str,
    pub grants: Vec<GrantRow>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub departments: Vec<(Uuid, String)>,
    pub action: String,
    /// Only for a member who teaches here (courses or exam authoring).
    pub instructor: Option<InstructorCard>,
}

/// The instructor verification of a member who teaches.
#[derive(Debug)]
pub struct InstructorCard {
    pub verified_here: bool,
    pub state: String,
    pub action: String,
}

impl InstructorCard {
    fn of(profile: Option<&InstructorProfile>, org_id: Uuid, action: String) -> InstructorCard {
        let verified = profile.filter(|p| p.is_verified);
        let verified_here = verified.is_some_and(|p| p.verified_org_id == Some(org_id));
        let on = |p: &InstructorProfile| p.verified_at.map(when).unwrap_or_default();
        let state = match verified {
            Some(p) if verified_here => {
                format!("Verified as an instructor by this organization ({}).", on(p))
            }
            Some(p) => format!(
                "Verified as an instructor by another organization ({}); not by this one.",
                on(p)
            ),
            None => "Teaches here; not verified as an instructor. Verified instructors carry a badge on their profile and course pages.".to_owned(),
        };
        InstructorCard {
            verified_here,
            state,
            action,
        }
    }
}

/// A grant as a form value: `ROLE` or `ROLE:department-id`.
fn grant_value(g: &GrantBody) -> String {
    match g.department_id {
        None => g.role.clone(),
        Some(d) => format!("{}:{d}", g.role),
    }
}

/// `GET /orgs/{org}/admin/members/{user}`: the roles editor, and the
/// instructor verification of a member who teaches.
pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, user_id)): Path<(String, Uuid)>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let auth = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let db = state.db.read();
    let loaded = async {
        let member = tenancy::member(db, auth.org_id, user_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let user = users::by_ids(db, vec![user_id])
            .await?
            .pop()
            .ok_or(ApiError::NotFound)?;
        let grants = parse_grants(tenancy::roles_of(db, auth.org_id, user_id).await?);
        let departments = department_names(&state, auth.org_id).await?;
        let instructor_row = people::instructor_profile(db, user_id).await?;
        Ok::<_, ApiError>((member, user, grants, departments, instructor_row))
    }
    .await;
    let (member, user, grants, departments, instructor_row) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let names: HashMap<Uuid, String> = departments.iter().cloned().collect();
    let instructor = teaches(&grants).then(|| {
        InstructorCard::of(
            instructor_row.as_ref(),
            auth.org_id,
            staff.href(&format!("{PATH}/{user_id}/instructor")),
        )
    });
    let grants = grants
        .iter()
        .enumerate()
        .map(|(index, g)| {
            let body = GrantBody {
                role: g.role.as_str().to_owned(),
                department_id: g.department_id,
            };
            GrantRow {
                value: grant_value(&body),
                words: grant_words(&names, &body),
                index,
            }
        })
        .collect();
    MemberPage {
        layout: staff.layout(&format!("Roles of {}", user.name), Section::Admin),
        links: links(&staff, PATH),
        notice: notice(q.done.as_deref()),
        members_href: staff.href(PATH),
        name: user.name,
        email: user.email,
        status: status_words(member.status).0,
        grants,
        roles: grantable().map(|r| (r.as_str(), role_words(r))).collect(),
        departments,
        action: staff.href(&format!("{PATH}/{user_id}/roles")),
        instructor,
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct VerificationForm {
    #[serde(default)]
    pub is_verified: String,
}

/// `POST /orgs/{org}/admin/members/{user}/instructor`: verifies the
/// member as an instructor, or takes the verification back (the service
/// of `POST /members/{u}/instructor-verification`).
pub async fn verify_instructor(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, user_id)): Path<(String, Uuid)>,
    form: WebForm<VerificationForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let page = format!("{PATH}/{user_id}");
    let result = async {
        let auth = staff.ctx.authorize(Action::ManageOrg)?;
        let is_verified = match form.value.is_verified.trim() {
            "true" => true,
            "false" => false,
            _ => return Err(ApiError::field("is_verified", "must be true or false")),
        };
        profile::verify_instructor(&state, &auth, user_id, VerificationBody { is_verified })
            .await?;
        Ok(is_verified)
    }
    .await;
    match result {
        Ok(true) => done(&staff, &page, "instructor_verified"),
        Ok(false) => done(&staff, &page, "instructor_unverified"),
        Err(e) => refusal(&staff, e, &staff.href(&page)),
    }
}

/// Parses a grant form value (`ROLE` or `ROLE:department-id`).
fn parse_grant_value(v: &str) -> Result<GrantBody, ApiError> {
    let (role, dept) = match v.split_once(':') {
        Some((r, d)) => (r, Some(d)),
        None => (v, None),
    };
    let department_id = match dept {
        None => None,
        Some(d) => Some(
            d.parse::<Uuid>()
                .map_err(|_| ApiError::field("roles", "unknown department"))?,
        ),
    };
    Ok(GrantBody {
        role: role.to_owned(),
        department_id,
    })
}

/// The grants a roles form asks for: the kept ones (`keep`) and the one
/// added (`add_role` with `add_department`, empty for the whole
/// organization).
fn grants_of_form(pairs: &[(String, String)]) -> Result<Vec<GrantBody>, ApiError> {
    let mut out = Vec::new();
    for (k, v) in pairs {
        if k == "keep" {
            out.push(parse_grant_value(v)?);
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let role = get("add_role");
    if !role.is_empty() {
        let dept = get("add_department");
        out.push(GrantBody {
            role: role.to_owned(),
            department_id: if dept.is_empty() {
                None
            } else {
                Some(
                    dept.parse::<Uuid>()
                        .map_err(|_| ApiError::field("add_department", "unknown department"))?,
                )
            },
        });
    }
    Ok(out)
}

/// `POST /orgs/{org}/admin/members/{user}/roles`: replaces the member's
/// roles with the kept and added ones.
pub async fn save_roles(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, user_id)): Path<(String, Uuid)>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(&format!("{PATH}/{user_id}"));
    let result = async {
        let auth = staff.ctx.authorize(Action::ManageOrg)?;
        let bodies = grants_of_form(&form.value)?;
        let grants = service::parse_grant_bodies(&state, auth.org_id, "roles", &bodies).await?;
        service::replace_roles(&state, &auth, user_id, &grants).await
    }
    .await;
    match result {
        Ok(()) => done(&staff, PATH, "roles"),
        Err(e) => refusal(&staff, e, &back),
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    pub status: String,
}

/// `POST /orgs/{org}/admin/members/{user}/status`: suspend, reactivate or
/// deactivate.
pub async fn set_status(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, user_id)): Path<(String, Uuid)>,
    form: WebForm<StatusForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let result = async {
        let auth = staff.ctx.authorize(Action::ManageOrg)?;
        let status = MemberStatus::parse(form.value.status.trim())
            .ok_or_else(|| ApiError::field("status", "must be ACTIVE, SUSPENDED or DEACTIVATED"))?;
        service::set_member_status(&state, &auth, user_id, status).await?;
        Ok::<_, ApiError>(status)
    }
    .await;
    match result {
        Ok(MemberStatus::Active) => done(&staff, PATH, "reactivated"),
        Ok(MemberStatus::Suspended) => done(&staff, PATH, "suspended"),
        Ok(MemberStatus::Deactivated) => done(&staff, PATH, "deactivated"),
        Err(e) => refusal(&staff, e, &back),
    }
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /orgs/{org}/admin/members/{user}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, user_id)): Path<(String, Uuid)>,
    form: WebForm<EmptyForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let result = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(auth) => service::remove_member(&state, &auth, user_id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => done(&staff, PATH, "removed"),
        Err(e) => refusal(&staff, e, &back),
    }
}
