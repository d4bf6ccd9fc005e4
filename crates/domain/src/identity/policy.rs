//! The permission policy (API.md "Who may do what"): one function, deny by default.
//!
//! - A user holds [`Grant`]s in an organization: a role, optionally limited to a department.
//! - The platform `SUPER_ADMIN` (the `is_super_admin` flag, never a grant) acts as an org-wide
//!   `ORG_ADMIN` in every organization and alone creates organizations; nothing more
//!   (separation of duties: it does not author, approve, grade or review).
//! - A `SUPER_ADMIN` *grant* inside an organization confers nothing: platform rights come only
//!   from the flag, so a stray row can never escalate.
//! - Department-scoped actions (those on banks and exams and what hangs off them: questions,
//!   enrollments, sessions, answers, decisions, reports) take the department of the resource:
//!   an org-wide grant acts on every resource; a grant for department `d` only on resources of
//!   `d`; a resource without a department needs an org-wide grant.
//! - Org-level actions (organization settings and people, the member list, the audit log) are
//!   not department-scoped (see [`Action::is_department_scoped`]): only org-wide grants count
//!   for them, whatever department is passed. A department-limited `ORG_ADMIN` therefore runs
//!   nothing org-level, but still enrolls candidates into its department's exams and reads its
//!   department's exams and reports.
//! - A user with several grants gets the union of what each allows.
//! - Nobody acts as staff on an exam session of their own ([`may_act_on_session`]), whatever
//!   their grants.
//! - Taking an exam needs an ACTIVE membership and a CANDIDATE grant covering the exam's
//!   department ([`may_take_exam`]), at every step of delivery, not only at enrollment.

use uuid::Uuid;

use super::role::Role;

/// A role held in one organization, org-wide (`department_id: None`) or for one department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    pub role: Role,
    pub department_id: Option<Uuid>,
}

impl Grant {
    /// A grant for the whole organization.
    pub fn org_wide(role: Role) -> Grant {
        Grant {
            role,
            department_id: None,
        }
    }

    /// A grant limited to one department.
    pub fn in_department(role: Role, department_id: Uuid) -> Grant {
        Grant {
            role,
            department_id: Some(department_id),
        }
    }
}

/// What a user wants to do. Each variant lists the routes it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `POST /orgs`.
    CreateOrg,
    /// Org settings, departments, staff invitations, roles, member status and removal.
    ManageOrg,
    /// `GET /orgs/{org}/members`.
    ReadMembers,
    /// Candidate import, enrollments and their list.
    ManageEnrollments,
    /// Create and edit banks and questions, import, export, submit, revise, archive.
    AuthorContent,
    /// Read banks, questions and question versions.
    ReadContent,
    /// Approve or reject banks (the two-person rule is checked by the content rules).
    ReviewContent,
    /// Exams, exam types, lifecycle, enrollment overrides, regrade, release results.
    ManageExams,
    /// Read exam definitions and lists, and exam types.
    ReadExams,
    /// Grading queue, grade answers.
    GradeAnswers,
    /// Review queue, timeline, frames, claim, decide, live feed.
    ReviewSessions,
    /// Warn, pause, resume, extend, terminate a live session.
    SessionActions,
    /// Reopen a review decision, read all decisions.
    ReopenDecisions,
    /// Reports, item analysis, results CSV.
    ReadReports,
    /// Read and verify the audit log.
    ReadAuditLog,
    /// Take exams, own sessions, results, integrity, appeals (ownership is the caller's check).
    TakeExams,
    /// Teach courses (seed 004's teacher): create courses and edit the ones they instruct
    /// (chapters, lectures, files, live sessions, course assessments, learners' progress).
    /// Being one of a course's instructors is the caller's check.
    TeachCourses,
    /// Run the organization's learning catalog: categories, every course and its
    /// instructors, review moderation, restoring soft-deleted courses, lectures and reviews.
    ManageCourses,
    /// Browse published courses, enroll, learn, review (ownership is the caller's check).
    LearnCourses,
    /// The payments ledger: payments, refunds, payouts, subscriptions, providers.
    ManagePayments,
    /// Platform accounts (seed 002): an account's global status (ACTIVE, SUSPENDED,
    /// DEACTIVATED, PENDING_VERIFICATION) and the erasure of a person's personal data. Like
    /// [`Action::CreateOrg`], only the platform super admin.
    ManageAccounts,
    /// The organization's API keys for integrations: create, list, revoke.
    ManageApiKeys,
    /// Certificates of the organization's exams: list, revoke, reissue.
    ManageCertificates,
    /// Hiring (seed 002, a COMPANY organization): job postings and their assessments.
    ManageJobs,
    /// Hiring: read the applicants of job postings (candidate views: results, certificate,
    /// profile) of people who applied and consented, and keep notes on them.
    ViewApplicants,
}

use Role::{
    Candidate, EnrollmentManager, ExamAuthor, ExamCoordinator, OrgAdmin, ProctorReviewer,
    QualityAssurance, ReportViewer, SuperAdmin,
};

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 25] = [
        Action::CreateOrg,
        Action::ManageOrg,
        Action::ReadMembers,
        Action::ManageEnrollments,
        Action::AuthorContent,
        Action::ReadContent,
        Action::ReviewContent,
        Action::ManageExams,
        Action::ReadExams,
        Action::GradeAnswers,
        Action::ReviewSessions,
        Action::SessionActions,
        Action::ReopenDecisions,
        Action::ReadReports,
        Action::ReadAuditLog,
        Action::TakeExams,
        Action::TeachCourses,
        Action::ManageCourses,
        Action::LearnCourses,
        Action::ManagePayments,
        Action::ManageAccounts,
        Action::ManageApiKeys,
        Action::ManageCertificates,
        Action::ManageJobs,
        Action::ViewApplicants,
    ];

    /// A stable snake_case name, for logs, audit entries and error details.
    pub fn name(self) -> &'static str {
        match self {
            Action::CreateOrg => "create_org",
            Action::ManageOrg => "manage_org",
            Action::ReadMembers => "read_members",
            Action::ManageEnrollments => "manage_enrollments",
            Action::AuthorContent => "author_content",
            Action::ReadContent => "read_content",
            Action::ReviewContent => "review_content",
            Action::ManageExams => "manage_exams",
            Action::ReadExams => "read_exams",
            Action::GradeAnswers => "grade_answers",
            Action::ReviewSessions => "review_sessions",
            Action::SessionActions => "session_actions",
            Action::ReopenDecisions => "reopen_decisions",
            Action::ReadReports => "read_reports",
            Action::ReadAuditLog => "read_audit_log",
            Action::TakeExams => "take_exams",
            Action::TeachCourses => "teach_courses",
            Action::ManageCourses => "manage_courses",
            Action::LearnCourses => "learn_courses",
            Action::ManagePayments => "manage_payments",
            Action::ManageAccounts => "manage_accounts",
            Action::ManageApiKeys => "manage_api_keys",
            Action::ManageCertificates => "manage_certificates",
            Action::ManageJobs => "manage_jobs",
            Action::ViewApplicants => "view_applicants",
        }
    }

    /// The roles that may perform the action (API.md "Who may do what"). `SUPER_ADMIN` appears
    /// only for [`Action::CreateOrg`]; its acting as `ORG_ADMIN` elsewhere is [`decide`]'s job.
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            Action::CreateOrg => &[SuperAdmin],
            Action::ManageOrg => &[OrgAdmin],
            Action::ReadMembers => &[OrgAdmin, EnrollmentManager],
            Action::ManageEnrollments => &[EnrollmentManager, OrgAdmin],
            Action::AuthorContent => &[ExamAuthor],
            Action::ReadContent => &[ExamAuthor, QualityAssurance, ExamCoordinator],
            Action::ReviewContent => &[QualityAssurance],
            Action::ManageExams => &[ExamCoordinator],
            // Everyone who works on exams needs to find them: enrollment managers to enroll,
            // proctors for the live feed, report viewers and QA for reports, the org admin to
            // run the organization. Authors work on banks; graders see exams in their queue.
            Action::ReadExams => &[
                ExamCoordinator,
                EnrollmentManager,
                ProctorReviewer,
                ReportViewer,
                QualityAssurance,
                OrgAdmin,
            ],
            Action::GradeAnswers => &[ExamCoordinator, ExamAuthor],
            Action::ReviewSessions => &[ProctorReviewer],
            Action::SessionActions => &[ProctorReviewer, ExamCoordinator],
            Action::ReopenDecisions => &[QualityAssurance],
            Action::ReadReports => &[ReportViewer, ExamCoordinator, QualityAssurance, OrgAdmin],
            Action::ReadAuditLog => &[OrgAdmin, QualityAssurance],
            Action::TakeExams => &[Candidate],
            // Seed 004's teacher maps onto the exam author and coordinator (Role::from_legacy).
            Action::TeachCourses => &[ExamAuthor, ExamCoordinator, OrgAdmin],
            Action::ManageCourses => &[OrgAdmin],
            Action::LearnCourses => &[Candidate],
            Action::ManagePayments => &[OrgAdmin],
            Action::ManageAccounts => &[SuperAdmin],
            Action::ManageApiKeys => &[OrgAdmin],
            Action::ManageCertificates => &[ExamCoordinator, OrgAdmin],
            // Seed 002's company user (a recruiter) maps onto the coordinator, who runs the
            // posting's assessment, and the report viewer, who reads applicants' results.
            Action::ManageJobs => &[ExamCoordinator, OrgAdmin],
            Action::ViewApplicants => &[ExamCoordinator, ReportViewer, OrgAdmin],
        }
    }

    /// Platform actions (creating organizations, managing accounts): the super admin flag
    /// alone decides, never a grant.
    pub fn is_platform(self) -> bool {
        matches!(self, Action::CreateOrg | Action::ManageAccounts)
    }

    /// Whether the action works on a resource that may belong to a department: a bank, an
    /// exam, or something of theirs (questions, enrollments, sessions, answers, decisions,
    /// reports). These honour department-limited grants. `TakeExams` is scoped too: a
    /// candidate granted for one department takes only that department's exams (enrollment is
    /// checked as well, by the caller). Org-level actions (`CreateOrg`, `ManageOrg`,
    /// `ReadMembers`, `ReadAuditLog`) are not: they need an org-wide grant.
    pub fn is_department_scoped(self) -> bool {
        match self {
            // Courses belong to the organization, not to a department.
            Action::CreateOrg
            | Action::ManageOrg
            | Action::ReadMembers
            | Action::ReadAuditLog
            | Action::TeachCourses
            | Action::ManageCourses
            | Action::LearnCourses
            | Action::ManagePayments
            | Action::ManageAccounts
            | Action::ManageApiKeys
            | Action::ManageCertificates
            | Action::ManageJobs
            | Action::ViewApplicants => false,
            Action::ManageEnrollments
            | Action::AuthorContent
            | Action::ReadContent
            | Action::ReviewContent
            | Action::ManageExams
            | Action::ReadExams
            | Action::GradeAnswers
            | Action::ReviewSessions
            | Action::SessionActions
            | Action::ReopenDecisions
            | Action::ReadReports
            | Action::TakeExams => true,
        }
    }
}

/// The policy's answer. Must be used: an ignored `Deny` is a hole.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// The grants that count: the given ones minus any `SUPER_ADMIN` grant, plus an org-wide
/// `ORG_ADMIN` for the platform super admin.
fn effective(is_super_admin: bool, grants: &[Grant]) -> impl Iterator<Item = Grant> + '_ {
    let platform = is_super_admin.then_some(Grant::org_wide(OrgAdmin));
    grants
        .iter()
        .copied()
        .filter(|g| !g.role.is_platform())
        .chain(platform)
}

/// The effective grants whose role may perform `action` (ignoring departments).
fn matching(
    is_super_admin: bool,
    grants: &[Grant],
    action: Action,
) -> impl Iterator<Item = Grant> + '_ {
    let roles = action.allowed_roles();
    effective(is_super_admin, grants).filter(move |g| roles.contains(&g.role))
}

/// May a user with these grants in this organization perform `action` on a resource of
/// `resource_department` (`None`: an org-wide resource, or an org-level action)?
/// See the module documentation for the rules.
pub fn decide(
    is_super_admin: bool,
    grants: &[Grant],
    action: Action,
    resource_department: Option<Uuid>,
) -> Decision {
    if action.is_platform() {
        return if is_super_admin {
            Decision::Allow
        } else {
            Decision::Deny
        };
    }
    let scoped = action.is_department_scoped();
    let allowed = matching(is_super_admin, grants, action).any(|g| match g.department_id {
        None => true,
        Some(d) => scoped && resource_department == Some(d),
    });
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// Which resources a user may list for an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every resource: all departments' and the org-wide ones.
    All,
    /// Only resources of these departments (sorted, no duplicates, never empty), none of the
    /// org-wide ones.
    Departments(Vec<Uuid>),
    /// None at all.
    Nothing,
}

impl Visibility {
    /// Whether a resource of `department` is visible; agrees with [`decide`].
    pub fn includes(&self, department: Option<Uuid>) -> bool {
        match (self, department) {
            (Visibility::All, _) => true,
            (Visibility::Departments(ds), Some(d)) => ds.contains(&d),
            (Visibility::Departments(_), None) | (Visibility::Nothing, _) => false,
        }
    }
}

/// For listing: the departments whose resources the user may see for `action`, so that a list
/// query can filter instead of calling [`decide`] per row. `visible_departments(..).includes(d)`
/// equals `decide(.., d) == Allow` for every `d`.
pub fn visible_departments(is_super_admin: bool, grants: &[Grant], action: Action) -> Visibility {
    if action.is_platform() {
        return if is_super_admin {
            Visibility::All
        } else {
            Visibility::Nothing
        };
    }
    let mut departments = Vec::new();
    for g in matching(is_super_admin, grants, action) {
        match g.department_id {
            None => return Visibility::All,
            Some(d) => departments.push(d),
        }
    }
    if !action.is_department_scoped() || departments.is_empty() {
        return Visibility::Nothing;
    }
    departments.sort_unstable();
    departments.dedup();
    Visibility::Departments(departments)
}

/// Separation of duties on exam sessions: nobody acts as staff on a session they take (or
/// took) as the candidate. Grading its answers (manual grade, regrade), proctor actions
/// (warn, pause, resume, extend, terminate), review claims and decisions, timeline and
/// evidence reads, and enrollment overrides or enrollment of oneself are all denied, whatever
/// roles the actor holds. Every staff-on-session path asks this one function.
pub fn may_act_on_session(actor_id: Uuid, candidate_id: Uuid) -> Decision {
    if actor_id == candidate_id {
        Decision::Deny
    } else {
        Decision::Allow
    }
}

/// A user's membership in an organization, as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// No membership (never one, or removed).
    None,
    Active,
    Suspended,
    Deactivated,
}

/// Why a user may not take an exam (start, resume, save, send proctoring events, submit).
/// The messages are shown to the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TakeExamDenied {
    #[error("you are not a member of the organization of this exam")]
    NotMember,
    #[error("your membership in the organization of this exam is suspended")]
    Suspended,
    #[error("your membership in the organization of this exam is deactivated")]
    Deactivated,
    #[error("you do not hold the CANDIDATE role for this exam in its organization")]
    NotCandidate,
}

/// May a user with this membership and these grants in the exam's organization take an exam of
/// `exam_department` (its delivery: start, resume, save, proctoring events, submit)? Only an
/// ACTIVE member whose grants allow [`Action::TakeExams`] there (a CANDIDATE grant, org-wide or
/// for that department). The platform super admin flag confers nothing here.
pub fn may_take_exam(
    membership: Membership,
    grants: &[Grant],
    exam_department: Option<Uuid>,
) -> Result<(), TakeExamDenied> {
    match membership {
        Membership::None => Err(TakeExamDenied::NotMember),
        Membership::Suspended => Err(TakeExamDenied::Suspended),
        Membership::Deactivated => Err(TakeExamDenied::Deactivated),
        Membership::Active => {
            if decide(false, grants, Action::TakeExams, exam_department).is_allowed() {
                Ok(())
            } else {
                Err(TakeExamDenied::NotCandidate)
            }
        }
    }
}
