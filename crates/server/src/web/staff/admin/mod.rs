//! Organization administration (Section::Admin), `/orgs/{org}/admin/...`:
//! members and their roles ([`members`]), departments ([`departments`]),
//! staff invitations ([`invitations`]), the proctoring rules editor
//! ([`rules`]) and the audit log with its verify button ([`audit`]). Each
//! page calls the service of the matching API route after the same policy
//! check, so it can do what the API lets the same person do, with the same
//! audit entries.
//!
//! Writes are plain POST forms (CSRF checked on every one) answered with
//! `303 See Other` back to the page with a short notice; a refusal (409 a
//! department that is not empty, 422 a bad rule) shows the reason in the
//! console with the service's status.

pub mod api_keys;
pub mod audit;
pub mod company;
pub mod departments;
pub mod invitations;
pub mod members;
pub mod notification_templates;
pub mod rules;
pub mod sso;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use invigil_domain::identity::Action;

use super::{Section, Staff};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::{error_page, sentence};
use crate::web::session::see_other;

/// The administration pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/admin", get(index))
        .route("/orgs/{org}/admin/members", get(members::list))
        .route("/orgs/{org}/admin/members/{user}", get(members::edit))
        .route(
            "/orgs/{org}/admin/members/{user}/roles",
            post(members::save_roles),
        )
        .route(
            "/orgs/{org}/admin/members/{user}/status",
            post(members::set_status),
        )
        .route(
            "/orgs/{org}/admin/members/{user}/remove",
            post(members::remove),
        )
        .route(
            "/orgs/{org}/admin/members/{user}/instructor",
            post(members::verify_instructor),
        )
        .route(
            "/orgs/{org}/admin/departments",
            get(departments::list).post(departments::create),
        )
        .route(
            "/orgs/{org}/admin/departments/{id}/rename",
            post(departments::rename),
        )
        .route(
            "/orgs/{org}/admin/departments/{id}/delete",
            post(departments::delete),
        )
        .route(
            "/orgs/{org}/admin/invitations",
            get(invitations::list).post(invitations::send),
        )
        .route("/orgs/{org}/admin/rules", get(rules::page))
        .route(
            "/orgs/{org}/admin/rules/thresholds",
            post(rules::save_thresholds),
        )
        .route("/orgs/{org}/admin/rules/reset", post(rules::reset))
        .route("/orgs/{org}/admin/rules/{rule}", post(rules::save_rule))
        .route("/orgs/{org}/admin/audit", get(audit::page))
        .route(
            "/orgs/{org}/admin/notifications",
            get(notification_templates::list),
        )
        .route(
            "/orgs/{org}/admin/notifications/{key}/{channel}",
            get(notification_templates::edit).post(notification_templates::save),
        )
        .route(
            "/orgs/{org}/admin/notifications/{key}/{channel}/preview",
            post(notification_templates::preview),
        )
        .route(
            "/orgs/{org}/admin/notifications/{key}/{channel}/reset",
            post(notification_templates::reset),
        )
        .route("/orgs/{org}/admin/audit/verify", get(audit::verify))
        .route(
            "/orgs/{org}/admin/api-keys",
            get(api_keys::list).post(api_keys::create),
        )
        .route(
            "/orgs/{org}/admin/api-keys/{id}/revoke",
            get(api_keys::confirm).post(api_keys::revoke),
        )
        .route(
            "/orgs/{org}/admin/company",
            get(company::page).post(company::save),
        )
        .route(
            "/orgs/{org}/admin/company/logo",
            get(company::logo).post(company::upload_logo),
        )
        .route("/orgs/{org}/admin/audit/export", get(audit::export))
        .route("/orgs/{org}/admin/sso", get(sso::page).post(sso::save))
        .route("/orgs/{org}/admin/sso/sign-up", post(sso::save_sign_up))
        .route(
            "/orgs/{org}/admin/sso/delete",
            get(sso::confirm_delete).post(sso::delete),
        )
}

/// One administration page, for the index and the sub-navigation.
#[derive(Debug)]
pub struct AdminLink {
    pub href: String,
    pub title: &'static str,
    pub text: &'static str,
    pub current: bool,
}

/// The administration pages this person may open (`current`: this one).
pub fn links(staff: &Staff, current: &str) -> Vec<AdminLink> {
    let all: [(&str, Action, &'static str, &'static str); 9] = [
        (
            "/admin/members",
            Action::ReadMembers,
            "Members and roles",
            "Who belongs to the organization, their roles per department; suspend, reactivate or remove.",
        ),
        (
            "/admin/departments",
            Action::ManageOrg,
            "Departments",
            "Create, rename and delete departments; roles, banks and exams can be limited to one.",
        ),
        (
            "/admin/invitations",
            Action::ManageOrg,
            "Invitations",
            "Invite staff by email with their roles, and see the invitations not yet accepted.",
        ),
        (
            "/admin/rules",
            Action::ManageOrg,
            "Proctoring rules",
            "What the risk engine flags during proctored exams, at each sensitivity, and how much it weighs.",
        ),
        (
            "/admin/notifications",
            Action::ManageOrg,
            "Notification templates",
            "The mails and in-app notices Invigil sends: your own texts with variables, previewed before saving.",
        ),
        (
            "/admin/audit",
            Action::ReadAuditLog,
            "Audit log",
            "Who did what and when, with filters; verify that the hash chain is intact.",
        ),
        (
            "/admin/api-keys",
            Action::ManageApiKeys,
            "API keys",
            "Keys for programs that call the API in this organization, each with its own roles; revoke them.",
        ),
        (
            "/admin/company",
            Action::ManageOrg,
            "Company profile",
            "The company's name, size, description and logo, shown on its job postings.",
        ),
        (
            "/admin/sso",
            Action::ManageOrg,
            "Single sign-on and sign-up",
            "Sign-in through your own OpenID Connect provider, and whether people may create their own candidate account.",
        ),
    ];
    all.into_iter()
        .filter(|(_, action, ..)| staff.may(*action))
        // Only a company has a company profile.
        .filter(|(path, ..)| {
            *path != "/admin/company"
                || staff.ctx.org.kind == invigil_domain::identity::OrgKind::Company
        })
        .map(|(path, _, title, text)| AdminLink {
            href: staff.href(path),
            title,
            text,
            current: path == current,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
}

/// `GET /orgs/{org}/admin`: the administration pages this person may open.
pub async fn index(staff: Staff) -> Response {
    let links = links(&staff, "");
    if links.is_empty() {
        return error_page(&ApiError::Forbidden);
    }
    IndexPage {
        layout: staff.layout("Administration", Section::Admin),
        links,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/problem.html")]
pub struct ProblemPage {
    pub layout: Layout,
    pub heading: String,
    pub messages: Vec<String>,
    pub back: String,
}

/// The answer to a refused administration form: the reason in the console
/// (with the service's status) for a refusal a person can act on, the error
/// page for anything else.
pub fn refusal(staff: &Staff, e: ApiError, back: &str) -> Response {
    let (status, _) = e.parts();
    let (heading, messages) = match e {
        ApiError::Conflict { detail, .. } => ("This cannot be done now", vec![sentence(&detail)]),
        ApiError::Validation(list) => (
            "Please correct the form",
            list.iter()
                .map(|f| sentence(&format!("{}: {}", field_words(&f.field), f.message)))
                .collect(),
        ),
        ApiError::Denied(detail) => ("Not allowed", vec![sentence(&detail)]),
        ApiError::BadRequest(detail) => {
            ("This request cannot be completed", vec![sentence(&detail)])
        }
        other => return error_page(&other),
    };
    (
        status,
        ProblemPage {
            layout: staff.layout(heading, Section::Admin),
            heading: heading.to_owned(),
            messages,
            back: back.to_owned(),
        },
    )
        .into_response()
}

/// A service's field path in words (`settings.proctoring_rules.rules[2].weight`
/// names rule 3's weight).
fn field_words(field: &str) -> String {
    field
        .strip_prefix("settings.proctoring_rules.")
        .unwrap_or(field)
        .replace('_', " ")
}

/// Back to `path` with a notice code (`?done=renamed`) the page turns into
/// words.
pub fn done(staff: &Staff, path: &str, code: &str) -> Response {
    let join = if path.contains('?') { '&' } else { '?' };
    see_other(&format!("{}{path}{join}done={code}", staff.href("")))
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
    pub cursor: Option<String>,
}

/// The words of a notice code; unknown codes say nothing.
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "roles" => "The roles were saved. The member's next request uses them.",
        "suspended" => "The member is suspended: they can no longer act in this organization.",
        "reactivated" => "The member is active again.",
        "deactivated" => "The member is deactivated.",
        "removed" => "The member was removed from the organization.",
        "instructor_verified" => "The member is now a verified instructor of this organization.",
        "instructor_unverified" => "The instructor verification was taken back.",
        "created" => "The department was created.",
        "renamed" => "The department was renamed.",
        "deleted" => "The department was deleted.",
        "invited" => "The invitation was sent by mail. It appears below until it is accepted.",
        "rule" => "The rule was saved. It applies to events from now on.",
        "thresholds" => "The thresholds were saved.",
        "reset" => "The default rules apply again.",
        _ => return None,
    })
}
