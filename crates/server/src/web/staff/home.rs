//! `/staff` (which organization's console) and `/orgs/{org}` (the console's
//! overview: what this person can do here).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use invigil_domain::identity::{MemberStatus, Role};
use invigil_store::tenancy;

use super::{Section, Staff};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::error_page;
use crate::web::session::{SignedIn, see_other};

/// The organizations where `user` is an ACTIVE member with a staff role
/// (any role but CANDIDATE), as (slug, name).
pub async fn staff_orgs(
    state: &AppState,
    user_id: uuid::Uuid,
) -> Result<Vec<(String, String)>, ApiError> {
    let db = state.db.read();
    let mut out = Vec::new();
    for (member, org) in tenancy::memberships_of(db, user_id).await? {
        if member.status != MemberStatus::Active {
            continue;
        }
        let roles = tenancy::roles_of(db, org.id, user_id).await?;
        if roles.iter().any(|(r, _)| *r != Role::Candidate) {
            out.push((org.slug, org.name));
        }
    }
    Ok(out)
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/choose.html")]
pub struct ChoosePage {
    pub layout: Layout,
    pub orgs: Vec<(String, String)>,
}

/// `GET /staff`: straight to the console of the one organization, else a
/// choice; a person without a staff role goes to their exams.
pub async fn choose_org(State(state): State<AppState>, signed: SignedIn) -> Response {
    let orgs = match staff_orgs(&state, signed.user.id()).await {
        Ok(o) => o,
        Err(e) => return error_page(&e),
    };
    match orgs.as_slice() {
        [] => see_other("/me/exams"),
        [(slug, _)] => see_other(&format!("/orgs/{slug}")),
        _ => {
            let (csrf, _) = signed.visitor.csrf_for_page();
            ChoosePage {
                layout: Layout::for_visitor("Choose an organization", &signed.visitor, &csrf),
                orgs,
            }
            .into_response()
        }
    }
}

/// One thing this person can do in the console.
#[derive(Debug)]
pub struct Card {
    pub href: String,
    pub title: &'static str,
    pub text: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/dashboard.html")]
pub struct DashboardPage {
    pub layout: Layout,
    pub org_name: String,
    pub cards: Vec<Card>,
}

/// `GET /orgs/{org}`: the console's overview.
pub async fn dashboard(staff: Staff) -> Response {
    use invigil_domain::identity::Action as A;
    let all: [(&[A], &str, &'static str, &'static str); 6] = [
        (
            &[A::SessionActions, A::ReadExams, A::ManageExams],
            "/exams",
            "Exams and live proctoring",
            "Create and schedule exams, enroll candidates, watch running sessions live, see results.",
        ),
        (
            &[A::ReviewSessions, A::ReopenDecisions],
            "/review",
            "Review flagged sessions",
            "Claim a session from the queue, look at its timeline and frames, decide, answer appeals.",
        ),
        (
            &[A::GradeAnswers],
            "/grading",
            "Grade answers",
            "Essays and other answers that need a person, with the rubric and the answer side by side.",
        ),
        (
            &[A::AuthorContent, A::ReadContent],
            "/banks",
            "Question banks",
            "Write and import questions, keep versions, submit banks for review.",
        ),
        (
            &[A::ReviewContent],
            "/banks?status=IN_REVIEW",
            "Quality assurance",
            "Approve or reject banks submitted for review, comparing versions side by side.",
        ),
        (
            &[A::ManageOrg, A::ReadMembers, A::ReadAuditLog],
            "/admin",
            "Administration",
            "Members and roles, departments, invitations, proctoring rules and the audit log.",
        ),
    ];
    let cards = all
        .iter()
        .filter(|(actions, ..)| actions.iter().any(|a| staff.may(*a)))
        .map(|(_, path, title, text)| Card {
            href: staff.href(path),
            title,
            text,
        })
        .collect();
    DashboardPage {
        layout: staff.layout("Overview", Section::Home),
        org_name: staff.ctx.org.name.clone(),
        cards,
    }
    .into_response()
}
