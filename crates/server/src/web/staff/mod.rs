//! The staff consoles: pages under `/orgs/{org}/...` for the people who run
//! exams (coordinators, proctors, reviewers, authors, QA, graders, org
//! admins). They are server-rendered like the candidate pages and use htmx
//! for the parts that change in place (a row, a panel, a live list).
//!
//! # The model every staff page follows
//!
//! - [`Staff`] is the guard: a signed-in browser (else the sign-in page,
//!   which comes back here) and the organization of the path resolved by
//!   the very [`OrgCtx`] of the API. A stranger to the organization gets the
//!   404 page, an inactive member the 403 page.
//! - Handlers are thin and call the **same services** as the API handlers,
//!   after the same policy check (`staff.ctx.authorize(Action::X)`), so a
//!   page can do exactly what the API lets the same person do, with the same
//!   audit entries. Data the pages need and the API lacked gets an API route
//!   too.
//! - Writes are POST forms ([`super::form::WebForm`]) whose `csrf` field (or
//!   the `X-CSRF-Token` header htmx sends on every request, see base.html)
//!   is checked with [`Staff::csrf_refusal`]. A plain form answers `303 See
//!   Other`; an htmx request ([`is_htmx`]) gets the fragment to swap.
//! - Errors: a page gets the error page; an htmx request that fails gets a
//!   4xx whose body app.js shows in the page's alert region (`#staff-alert`).
//! - Tables carry `data-sortable` (app.js sorts the rows shown, by the
//!   header's button, and sets `aria-sort`) and are paginated by cursor with
//!   [`Pager`] (`templates/staff/pager.html`).
//! - Actions that cannot be undone carry `data-confirm="..."` on the form
//!   (app.js asks first, with htmx or without).

pub mod admin;
pub mod banks;
pub mod certificates;
pub mod courses;
pub mod enrollments;
pub mod exam_form;
pub mod exams;
pub mod files;
pub mod grading;
pub mod hiring;
pub mod home;
pub mod live;
pub mod live_classes;
pub mod payments;
pub mod practice;
pub mod questions;
pub mod records;
pub mod reports;
pub mod results;
pub mod review;
pub mod upload;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use std::collections::HashMap;

use invigil_domain::identity::{Action, OrgKind, Visibility};

use super::errors::{csrf_refused, error_page};
use super::session::{SignedIn, Visitor};
use super::{Layout, UserBadge};
use crate::authz::OrgCtx;
use crate::state::AppState;

/// The staff pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(home::choose_org))
        .route("/orgs/{org}", get(home::dashboard))
        .route("/orgs/{org}/exams/{exam}/report", get(reports::report_page))
        .route(
            "/orgs/{org}/exams/{exam}/report.json",
            get(reports::report_json),
        )
        .route(
            "/orgs/{org}/exams/{exam}/item-analysis.csv",
            get(reports::item_analysis_csv),
        )
        .merge(exams::router())
        .merge(grading::router())
        .merge(results::router())
        .merge(admin::router())
        .merge(live::router())
        .merge(live_classes::router())
        .merge(certificates::router())
        .merge(review::router())
        .merge(records::router())
        .merge(payments::router())
        .merge(files::router())
        .merge(banks_router())
        .merge(courses::router())
        .merge(hiring::router())
        .merge(practice::router())
}

/// Question banks, the question editor and QA (banks.rs, questions.rs).
fn banks_router() -> Router<AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::post;
    Router::new()
        .route("/orgs/{org}/banks", get(banks::list).post(banks::create))
        .route("/orgs/{org}/banks/{bank}", get(banks::show))
        .route("/orgs/{org}/banks/{bank}/status", post(banks::step))
        .route("/orgs/{org}/banks/{bank}/export", get(banks::export))
        .route(
            "/orgs/{org}/banks/{bank}/import",
            get(banks::import_form)
                .post(banks::import)
                .layer(DefaultBodyLimit::max(crate::http::IMPORT_BODY_LIMIT)),
        )
        .route("/orgs/{org}/banks/{bank}/preview", post(questions::preview))
        .route(
            "/orgs/{org}/banks/{bank}/questions",
            post(questions::create),
        )
        .route(
            "/orgs/{org}/banks/{bank}/questions/new",
            get(questions::new_page),
        )
        .route(
            "/orgs/{org}/banks/{bank}/questions/{id}",
            get(questions::edit_page).post(questions::update),
        )
        .route(
            "/orgs/{org}/banks/{bank}/questions/{id}/retire",
            post(questions::retire),
        )
        .route(
            "/orgs/{org}/banks/{bank}/questions/{id}/diff",
            get(questions::diff),
        )
}

/// The parts of the console, one per entry of its navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Exams,
    Review,
    Grading,
    Banks,
    Records,
    Courses,
    Payments,
    Files,
    Certificates,
    Hiring,
    Practice,
    Admin,
}

impl Section {
    /// Every section in navigation order, with its path under the
    /// organization, its label and the actions any one of which opens it.
    const ALL: [(Section, &'static str, &'static str, &'static [Action]); 13] = [
        (Section::Home, "", "Overview", &[]),
        (
            Section::Exams,
            "/exams",
            "Exams",
            &[
                Action::ReadExams,
                Action::ManageExams,
                Action::SessionActions,
                Action::ManageEnrollments,
            ],
        ),
        (
            Section::Review,
            "/review",
            "Review",
            &[Action::ReviewSessions, Action::ReopenDecisions],
        ),
        (
            Section::Grading,
            "/grading",
            "Grading",
            &[Action::GradeAnswers],
        ),
        (
            Section::Banks,
            "/banks",
            "Question banks",
            &[
                Action::ReadContent,
                Action::AuthorContent,
                Action::ReviewContent,
            ],
        ),
        (
            Section::Records,
            "/records",
            "Student records",
            &[Action::ReadReports, Action::ManageEnrollments],
        ),
        (
            Section::Courses,
            "/courses",
            "Courses",
            &[Action::TeachCourses, Action::ManageCourses],
        ),
        (
            Section::Payments,
            "/payments",
            "Payments",
            &[Action::ManagePayments],
        ),
        (
            Section::Files,
            "/files",
            "Files",
            &[Action::TeachCourses, Action::ManageCourses],
        ),
        (
            Section::Certificates,
            "/certificates",
            "Certificates",
            &[Action::ManageCertificates],
        ),
        (
            Section::Hiring,
            "/hiring",
            "Hiring",
            &[Action::ManageJobs, Action::ViewApplicants],
        ),
        (
            Section::Practice,
            "/practice",
            "Practice",
            &[Action::TeachCourses, Action::ManageCourses],
        ),
        (
            Section::Admin,
            "/admin",
            "Administration",
            &[Action::ManageOrg, Action::ReadMembers, Action::ReadAuditLog],
        ),
    ];
}

/// One link of the console's navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    /// This page's section (`aria-current="page"`).
    pub current: bool,
}

/// The console's navigation, shown under the header of every staff page.
#[derive(Debug, Clone)]
pub struct StaffNav {
    pub org_name: String,
    pub items: Vec<NavItem>,
}

/// The guard of every staff page; see the module documentation.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The organization and the caller's standing in it: authorize with it.
    pub ctx: OrgCtx,
    pub visitor: Visitor,
    /// The CSRF token of this browser, for the page's forms.
    pub csrf: String,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn { visitor, user } = SignedIn::from_request_parts(parts, state).await?;
        let params =
            axum::extract::Path::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|_| error_page(&crate::http::error::ApiError::NotFound))?;
        let slug = params
            .get("org")
            .ok_or_else(|| error_page(&crate::http::error::ApiError::NotFound))?;
        let ctx = OrgCtx::resolve(state, user, slug)
            .await
            .map_err(|e| error_page(&e))?;
        let (csrf, _) = visitor.csrf_for_page();
        Ok(Staff { ctx, visitor, csrf })
    }
}

impl Staff {
    /// Whether the caller may do `action` anywhere in the organization (in
    /// at least one department): what the navigation and buttons show. The
    /// handler still authorizes the resource itself.
    pub fn may(&self, action: Action) -> bool {
        !matches!(self.ctx.visibility(action), Visibility::Nothing)
    }

    /// The organization's slug, as in the paths.
    pub fn slug(&self) -> &str {
        &self.ctx.org.slug
    }

    /// A path under this organization's console: `href("/exams")` is
    /// `/orgs/{slug}/exams`.
    pub fn href(&self, rest: &str) -> String {
        format!("/orgs/{}{rest}", self.ctx.org.slug)
    }

    /// The layout of a staff page in `section`: header, the console's
    /// navigation (the sections this person may open) and htmx.
    pub fn layout(&self, title: &str, section: Section) -> Layout {
        let items = Section::ALL
            .iter()
            .filter(|(_, _, _, actions)| actions.is_empty() || actions.iter().any(|a| self.may(*a)))
            // Only a company hires.
            .filter(|(s, _, _, _)| *s != Section::Hiring || self.ctx.org.kind == OrgKind::Company)
            .map(|(s, path, label, _)| NavItem {
                href: self.href(path),
                label,
                current: *s == section,
            })
            .collect();
        Layout {
            title: title.to_owned(),
            user: Some(UserBadge {
                name: self.ctx.user.user.name.clone(),
                email: self.ctx.user.user.email.clone(),
                unread: self.visitor.unread,
                avatar: self.visitor.avatar.clone(),
                super_admin: self.ctx.user.user.is_super_admin,
            }),
            csrf: self.csrf.clone(),
            htmx: true,
            staff: Some(StaffNav {
                org_name: self.ctx.org.name.clone(),
                items,
            }),
        }
    }

    /// `None` when `presented` (a form's `csrf` field or htmx's header) is
    /// this session's CSRF token, else the 403 "form has expired" page to
    /// answer: `if let Some(no) = staff.csrf_refusal(&form.csrf) { return no; }`.
    pub fn csrf_refusal(&self, presented: &str) -> Option<Response> {
        (!self.visitor.session_csrf_ok(presented)).then(csrf_refused)
    }
}

/// Whether the request was made by htmx (it then wants a fragment).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").map(HeaderValue::as_bytes) == Some(b"true")
}

/// The links under a paginated table: the next page (when there is one)
/// and back to the first (when this is not it).
#[derive(Debug, Clone, Default)]
pub struct Pager {
    pub next: Option<String>,
    pub first: Option<String>,
}

impl Pager {
    /// The pager of a page of `base` (a path, maybe with a query of
    /// filters) given this page's cursor and the next page's.
    pub fn new(base: &str, cursor: Option<&str>, next_cursor: Option<&str>) -> Pager {
        let join = if base.contains('?') { '&' } else { '?' };
        let with = |c: &str| {
            let q = serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default();
            format!("{base}{join}{q}")
        };
        Pager {
            next: next_cursor.map(with),
            first: cursor.map(|_| base.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pager;

    #[test]
    fn the_pager_links_the_next_page_and_back_to_the_first() {
        let p = Pager::new("/orgs/x/exams?status=ACTIVE", Some("c1"), Some("a b"));
        assert_eq!(
            p.next.as_deref(),
            Some("/orgs/x/exams?status=ACTIVE&cursor=a+b")
        );
        assert_eq!(p.first.as_deref(), Some("/orgs/x/exams?status=ACTIVE"));
        let first = Pager::new("/orgs/x/exams", None, None);
        assert!(first.next.is_none() && first.first.is_none());
    }
}
