//! The classification of every `/api/v1` route: who may call it.

use invigil_domain::identity::Action;

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rule {
    /// No authentication (sign-in, tokens by mail).
    Public,
    /// Any signed-in user; nothing of an organization.
    AnyAuthenticated,
    /// The platform super admin only.
    SuperAdminOnly,
    /// Any member of the organization in the path (and the super admin).
    AnyMember,
    /// Any member, but the full view (with `settings`) only where the policy
    /// allows this action; other members get a reduced view without it.
    MemberView(Action),
    /// The policy's answer for this action in the organization of the path.
    Policy(Action),
    /// The policy's answer for this action on a resource named in the path
    /// (a bank, an exam, a session): its department decides, so a random id
    /// may answer 404 instead of 403 to a role the policy denies.
    OnResource(Action),
    /// Invitations: staff roles need `ManageOrg`, candidates only
    /// `ManageEnrollments`; a body that names no roles is checked after
    /// either may invite.
    CandidateOnlyInvite,
    /// Allowed when the policy allows any of these actions (courses: learners,
    /// teachers and course managers read the same routes; the service narrows
    /// what each sees).
    AnyOf(&'static [Action]),
}

const COURSE_READERS: Rule = Rule::AnyOf(&[
    Action::ManageCourses,
    Action::TeachCourses,
    Action::LearnCourses,
]);
const COURSE_EDITORS: Rule = Rule::AnyOf(&[Action::ManageCourses, Action::TeachCourses]);
const MANAGE_COURSES: Rule = Rule::Policy(Action::ManageCourses);
const TEACH_COURSES: Rule = Rule::Policy(Action::TeachCourses);
const LEARN_COURSES: Rule = Rule::Policy(Action::LearnCourses);
const RECRUITING_READERS: Rule = Rule::AnyOf(&[Action::ManageJobs, Action::ViewApplicants]);

/// Every route under `/api/v1`, as (method, path template after `/api/v1`).
pub(super) const RULES: &[(&str, &str, Rule)] = &[
    ("POST", "/auth/login", Rule::Public),
    ("POST", "/auth/refresh", Rule::Public),
    ("POST", "/auth/password-reset", Rule::Public),
    ("POST", "/auth/password-reset/confirm", Rule::Public),
    ("POST", "/auth/verify-email", Rule::Public),
    ("POST", "/auth/revert-email", Rule::Public),
    ("POST", "/auth/accept-invitation", Rule::Public),
    ("POST", "/auth/logout", Rule::AnyAuthenticated),
    ("GET", "/me", Rule::AnyAuthenticated),
    ("GET", "/me/sessions", Rule::AnyAuthenticated),
    ("DELETE", "/me/sessions/{id}", Rule::AnyAuthenticated),
    ("POST", "/me/password", Rule::AnyAuthenticated),
    ("POST", "/me/email", Rule::AnyAuthenticated),
    ("GET", "/me/notifications", Rule::AnyAuthenticated),
    (
        "GET",
        "/me/notifications/unread-count",
        Rule::AnyAuthenticated,
    ),
    (
        "POST",
        "/me/notifications/{id}/read",
        Rule::AnyAuthenticated,
    ),
    ("POST", "/me/notifications/read-all", Rule::AnyAuthenticated),
    (
        "GET",
        "/me/notification-preferences",
        Rule::AnyAuthenticated,
    ),
    (
        "PUT",
        "/me/notification-preferences",
        Rule::AnyAuthenticated,
    ),
    (
        "GET",
        "/orgs/{org}/notification-templates",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "PUT",
        "/orgs/{org}/notification-templates/{key}/{channel}",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "DELETE",
        "/orgs/{org}/notification-templates/{key}/{channel}",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "POST",
        "/orgs/{org}/notification-templates/{key}/{channel}/preview",
        Rule::Policy(Action::ManageOrg),
    ),
    ("POST", "/orgs", Rule::SuperAdminOnly),
    ("GET", "/orgs/{org}", Rule::MemberView(Action::ManageOrg)),
    ("PATCH", "/orgs/{org}", Rule::Policy(Action::ManageOrg)),
    (
        "POST",
        "/orgs/{org}/departments",
        Rule::Policy(Action::ManageOrg),
    ),
    ("GET", "/orgs/{org}/departments", Rule::AnyMember),
    (
        "PATCH",
        "/orgs/{org}/departments/{id}",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "DELETE",
        "/orgs/{org}/departments/{id}",
        Rule::Policy(Action::ManageOrg),
    ),
    ("POST", "/orgs/{org}/invitations", Rule::CandidateOnlyInvite),
    (
        "GET",
        "/orgs/{org}/invitations",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "GET",
        "/orgs/{org}/members",
        Rule::Policy(Action::ReadMembers),
    ),
    (
        "PUT",
        "/orgs/{org}/members/{user_id}/roles",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "PATCH",
        "/orgs/{org}/members/{user_id}",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "DELETE",
        "/orgs/{org}/members/{user_id}",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "POST",
        "/orgs/{org}/candidates/import",
        Rule::Policy(Action::ManageEnrollments),
    ),
    (
        "GET",
        "/orgs/{org}/candidates/{user_id}/profile",
        Rule::Policy(Action::ManageEnrollments),
    ),
    (
        "PATCH",
        "/orgs/{org}/candidates/{user_id}/profile",
        Rule::Policy(Action::ManageEnrollments),
    ),
    (
        "GET",
        "/orgs/{org}/candidates/{user_id}/external-results",
        Rule::Policy(Action::ManageEnrollments),
    ),
    (
        "POST",
        "/orgs/{org}/candidates/{user_id}/external-results",
        Rule::Policy(Action::ManageEnrollments),
    ),
    (
        "PATCH",
        "/orgs/{org}/external-results/{id}",
        Rule::Policy(Action::ManageEnrollments),
    ),
    (
        "DELETE",
        "/orgs/{org}/external-results/{id}",
        Rule::Policy(Action::ManageEnrollments),
    ),
    (
        "POST",
        "/orgs/{org}/external-results/import",
        Rule::Policy(Action::ManageEnrollments),
    ),
    (
        "GET",
        "/orgs/{org}/candidates/{user_id}/record",
        Rule::Policy(Action::ReadReports),
    ),
    (
        "GET",
        "/orgs/{org}/student-records",
        Rule::Policy(Action::ReadReports),
    ),
    (
        "GET",
        "/orgs/{org}/audit-log",
        Rule::Policy(Action::ReadAuditLog),
    ),
    (
        "GET",
        "/orgs/{org}/audit-log/verify",
        Rule::Policy(Action::ReadAuditLog),
    ),
    (
        "GET",
        "/orgs/{org}/audit-log/export",
        Rule::Policy(Action::ReadAuditLog),
    ),
    // Content.
    (
        "POST",
        "/orgs/{org}/question-banks",
        Rule::Policy(Action::AuthorContent),
    ),
    (
        "GET",
        "/orgs/{org}/question-banks",
        Rule::Policy(Action::ReadContent),
    ),
    (
        "GET",
        "/orgs/{org}/question-banks/{bank}",
        Rule::OnResource(Action::ReadContent),
    ),
    (
        "PATCH",
        "/orgs/{org}/question-banks/{bank}",
        Rule::OnResource(Action::AuthorContent),
    ),
    (
        "POST",
        "/orgs/{org}/question-banks/{bank}/submit",
        Rule::OnResource(Action::AuthorContent),
    ),
    (
        "POST",
        "/orgs/{org}/question-banks/{bank}/approve",
        Rule::OnResource(Action::ReviewContent),
    ),
    (
        "POST",
        "/orgs/{org}/question-banks/{bank}/reject",
        Rule::OnResource(Action::ReviewContent),
    ),
    (
        "POST",
        "/orgs/{org}/question-banks/{bank}/revise",
        Rule::OnResource(Action::AuthorContent),
    ),
    (
        "POST",
        "/orgs/{org}/question-banks/{bank}/archive",
        Rule::OnResource(Action::AuthorContent),
    ),
    (
        "POST",
        "/orgs/{org}/question-banks/{bank}/questions",
        Rule::OnResource(Action::AuthorContent),
    ),
    (
        "GET",
        "/orgs/{org}/question-banks/{bank}/questions",
        Rule::OnResource(Action::ReadContent),
    ),
    (
        "GET",
        "/orgs/{org}/question-banks/{bank}/questions/{id}",
        Rule::OnResource(Action::ReadContent),
    ),
    (
        "PATCH",
        "/orgs/{org}/question-banks/{bank}/questions/{id}",
        Rule::OnResource(Action::AuthorContent),
    ),
    (
        "DELETE",
        "/orgs/{org}/question-banks/{bank}/questions/{id}",
        Rule::OnResource(Action::AuthorContent),
    ),
    (
        "GET",
        "/orgs/{org}/question-banks/{bank}/questions/{id}/versions",
        Rule::OnResource(Action::ReadContent),
    ),
    (
        "POST",
        "/orgs/{org}/question-banks/{bank}/import",
        Rule::OnResource(Action::AuthorContent),
    ),
    (
        "GET",
        "/orgs/{org}/question-banks/{bank}/export",
        Rule::OnResource(Action::AuthorContent),
    ),
    // Exams.
    (
        "POST",
        "/orgs/{org}/exam-types",
        Rule::Policy(Action::ManageExams),
    ),
    (
        "GET",
        "/orgs/{org}/exam-types",
        Rule::Policy(Action::ReadExams),
    ),
    (
        "PATCH",
        "/orgs/{org}/exam-types/{id}",
        Rule::Policy(Action::ManageExams),
    ),
    (
        "DELETE",
        "/orgs/{org}/exam-types/{id}",
        Rule::Policy(Action::ManageExams),
    ),
    (
        "POST",
        "/orgs/{org}/exams",
        Rule::Policy(Action::ManageExams),
    ),
    ("GET", "/orgs/{org}/exams", Rule::Policy(Action::ReadExams)),
    (
        "GET",
        "/orgs/{org}/exams/{exam}",
        Rule::OnResource(Action::ReadExams),
    ),
    (
        "PATCH",
        "/orgs/{org}/exams/{exam}",
        Rule::OnResource(Action::ManageExams),
    ),
    (
        "POST",
        "/orgs/{org}/exams/{exam}/schedule",
        Rule::OnResource(Action::ManageExams),
    ),
    (
        "POST",
        "/orgs/{org}/exams/{exam}/open",
        Rule::OnResource(Action::ManageExams),
    ),
    (
        "POST",
        "/orgs/{org}/exams/{exam}/close",
        Rule::OnResource(Action::ManageExams),
    ),
    (
        "POST",
        "/orgs/{org}/exams/{exam}/cancel",
        Rule::OnResource(Action::ManageExams),
    ),
    (
        "POST",
        "/orgs/{org}/exams/{exam}/archive",
        Rule::OnResource(Action::ManageExams),
    ),
    (
        "POST",
        "/orgs/{org}/exams/{exam}/enrollments",
        Rule::OnResource(Action::ManageEnrollments),
    ),
    // The list holds accommodation data (extra time): enrollment roles only.
    (
        "GET",
        "/orgs/{org}/exams/{exam}/enrollments",
        Rule::OnResource(Action::ManageEnrollments),
    ),
    (
        "PUT",
        "/orgs/{org}/exams/{exam}/enrollments/{user_id}",
        Rule::OnResource(Action::ManageExams),
    ),
    ("GET", "/me/exams", Rule::AnyAuthenticated),
    // Delivery and grading. A candidate's own sessions are found by id and
    // owner: anyone signed in gets 404 for a session that is not theirs.
    ("POST", "/exams/{exam}/sessions", Rule::AnyAuthenticated),
    ("GET", "/sessions/{session}", Rule::AnyAuthenticated),
    (
        "PUT",
        "/sessions/{session}/answers/{question_id}",
        Rule::AnyAuthenticated,
    ),
    ("POST", "/sessions/{session}/submit", Rule::AnyAuthenticated),
    ("GET", "/me/results", Rule::AnyAuthenticated),
    (
        "POST",
        "/orgs/{org}/sessions/{session}/actions",
        Rule::OnResource(Action::SessionActions),
    ),
    (
        "GET",
        "/orgs/{org}/exams/{exam}/sessions",
        Rule::OnResource(Action::SessionActions),
    ),
    (
        "GET",
        "/orgs/{org}/exams/{exam}/item-analysis",
        Rule::OnResource(Action::ReadReports),
    ),
    (
        "GET",
        "/orgs/{org}/exams/{exam}/report",
        Rule::OnResource(Action::ReadReports),
    ),
    (
        "GET",
        "/orgs/{org}/grading-queue",
        Rule::Policy(Action::GradeAnswers),
    ),
    (
        "PUT",
        "/orgs/{org}/sessions/{session}/answers/{question_id}/grade",
        Rule::OnResource(Action::GradeAnswers),
    ),
    (
        "POST",
        "/orgs/{org}/exams/{exam}/regrade",
        Rule::OnResource(Action::ManageExams),
    ),
    (
        "POST",
        "/orgs/{org}/exams/{exam}/release-results",
        Rule::OnResource(Action::ManageExams),
    ),
    (
        "GET",
        "/orgs/{org}/exams/{exam}/results",
        Rule::OnResource(Action::ReadReports),
    ),
    (
        "GET",
        "/orgs/{org}/exams/{exam}/results.csv",
        Rule::OnResource(Action::ReadReports),
    ),
    (
        "GET",
        "/orgs/{org}/exams/{exam}/results/{session}",
        Rule::OnResource(Action::ReadReports),
    ),
    // Proctoring: the candidate's (or the paired phone's) own session.
    ("POST", "/sessions/{session}/events", Rule::AnyAuthenticated),
    (
        "POST",
        "/sessions/{session}/heartbeat",
        Rule::AnyAuthenticated,
    ),
    (
        "POST",
        "/sessions/{session}/pairing",
        Rule::AnyAuthenticated,
    ),
    ("POST", "/pairing/claim", Rule::Public),
    (
        "GET",
        "/orgs/{org}/exams/{exam}/live",
        Rule::OnResource(Action::ReviewSessions),
    ),
    // Evidence and review.
    ("POST", "/sessions/{session}/frames", Rule::AnyAuthenticated),
    // Files: course staff (TeachCourses; ORG_ADMIN also has ManageCourses).
    (
        "POST",
        "/orgs/{org}/files",
        Rule::Policy(Action::TeachCourses),
    ),
    (
        "GET",
        "/orgs/{org}/files",
        Rule::Policy(Action::TeachCourses),
    ),
    (
        "GET",
        "/orgs/{org}/files/usage",
        Rule::Policy(Action::TeachCourses),
    ),
    (
        "GET",
        "/orgs/{org}/files/{file}",
        Rule::Policy(Action::TeachCourses),
    ),
    (
        "DELETE",
        "/orgs/{org}/files/{file}",
        Rule::Policy(Action::TeachCourses),
    ),
    (
        "GET",
        "/orgs/{org}/files/{file}/content",
        Rule::Policy(Action::TeachCourses),
    ),
    (
        "GET",
        "/me/sessions/{session}/integrity",
        Rule::AnyAuthenticated,
    ),
    (
        "POST",
        "/me/sessions/{session}/appeal",
        Rule::AnyAuthenticated,
    ),
    (
        "GET",
        "/orgs/{org}/review-queue",
        Rule::Policy(Action::ReviewSessions),
    ),
    (
        "GET",
        "/orgs/{org}/decisions",
        Rule::Policy(Action::ReopenDecisions),
    ),
    (
        "GET",
        "/orgs/{org}/sessions/{session}/timeline",
        Rule::OnResource(Action::ReviewSessions),
    ),
    (
        "GET",
        "/orgs/{org}/sessions/{session}/frames/{frame_id}",
        Rule::OnResource(Action::ReviewSessions),
    ),
    (
        "POST",
        "/orgs/{org}/sessions/{session}/claim",
        Rule::OnResource(Action::ReviewSessions),
    ),
    (
        "POST",
        "/orgs/{org}/sessions/{session}/release",
        Rule::OnResource(Action::ReviewSessions),
    ),
    (
        "POST",
        "/orgs/{org}/sessions/{session}/review",
        Rule::OnResource(Action::ReviewSessions),
    ),
    (
        "POST",
        "/orgs/{org}/sessions/{session}/reopen",
        Rule::OnResource(Action::ReopenDecisions),
    ),
    // Courses (issue 15).
    ("GET", "/orgs/{org}/course-categories", COURSE_READERS),
    ("POST", "/orgs/{org}/course-categories", MANAGE_COURSES),
    (
        "PATCH",
        "/orgs/{org}/course-categories/{id}",
        MANAGE_COURSES,
    ),
    (
        "DELETE",
        "/orgs/{org}/course-categories/{id}",
        MANAGE_COURSES,
    ),
    ("GET", "/orgs/{org}/courses", COURSE_READERS),
    ("POST", "/orgs/{org}/courses", TEACH_COURSES),
    ("GET", "/orgs/{org}/courses/{course}", COURSE_READERS),
    ("PATCH", "/orgs/{org}/courses/{course}", COURSE_EDITORS),
    ("DELETE", "/orgs/{org}/courses/{course}", COURSE_EDITORS),
    (
        "POST",
        "/orgs/{org}/courses/{course}/publish",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/archive",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/restore",
        MANAGE_COURSES,
    ),
    (
        "GET",
        "/orgs/{org}/courses/{course}/instructors",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/instructors",
        MANAGE_COURSES,
    ),
    (
        "DELETE",
        "/orgs/{org}/courses/{course}/instructors/{user_id}",
        MANAGE_COURSES,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/chapters",
        COURSE_EDITORS,
    ),
    (
        "PATCH",
        "/orgs/{org}/courses/{course}/chapters/{chapter}",
        COURSE_EDITORS,
    ),
    (
        "DELETE",
        "/orgs/{org}/courses/{course}/chapters/{chapter}",
        COURSE_EDITORS,
    ),
    (
        "PUT",
        "/orgs/{org}/courses/{course}/chapters/order",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/chapters/{chapter}/lectures",
        COURSE_EDITORS,
    ),
    (
        "PUT",
        "/orgs/{org}/courses/{course}/chapters/{chapter}/lectures/order",
        COURSE_EDITORS,
    ),
    (
        "GET",
        "/orgs/{org}/courses/{course}/lectures/{lecture}",
        COURSE_READERS,
    ),
    (
        "PATCH",
        "/orgs/{org}/courses/{course}/lectures/{lecture}",
        COURSE_EDITORS,
    ),
    (
        "DELETE",
        "/orgs/{org}/courses/{course}/lectures/{lecture}",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/lectures/{lecture}/restore",
        MANAGE_COURSES,
    ),
    ("POST", "/orgs/{org}/courses/{course}/enroll", LEARN_COURSES),
    (
        "POST",
        "/orgs/{org}/courses/{course}/checkout",
        LEARN_COURSES,
    ),
    ("POST", "/orgs/{org}/courses/{course}/drop", LEARN_COURSES),
    (
        "GET",
        "/orgs/{org}/courses/{course}/enrollments",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/enrollments",
        COURSE_EDITORS,
    ),
    (
        "PUT",
        "/orgs/{org}/courses/{course}/lectures/{lecture}/progress",
        LEARN_COURSES,
    ),
    (
        "GET",
        "/orgs/{org}/courses/{course}/lectures/{lecture}/file",
        COURSE_READERS,
    ),
    ("GET", "/me/courses", Rule::AnyAuthenticated),
    (
        "GET",
        "/orgs/{org}/courses/{course}/reviews",
        COURSE_READERS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/reviews",
        LEARN_COURSES,
    ),
    (
        "PATCH",
        "/orgs/{org}/courses/{course}/reviews/{review}",
        LEARN_COURSES,
    ),
    (
        "DELETE",
        "/orgs/{org}/courses/{course}/reviews/{review}",
        LEARN_COURSES,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/reviews/{review}/restore",
        MANAGE_COURSES,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/reviews/{review}/moderation",
        COURSE_EDITORS,
    ),
    (
        "GET",
        "/orgs/{org}/courses/{course}/assessments",
        COURSE_READERS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/assessments",
        COURSE_EDITORS,
    ),
    (
        "DELETE",
        "/orgs/{org}/courses/{course}/assessments/{assessment}",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/assessments/{assessment}/enroll-me",
        LEARN_COURSES,
    ),
    // Live sessions (issue 15 point 7): staff routes need an instructor of
    // the course or a course manager; join / leave / get a participant.
    (
        "GET",
        "/orgs/{org}/courses/{course}/live-sessions",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/courses/{course}/live-sessions",
        COURSE_EDITORS,
    ),
    ("GET", "/orgs/{org}/live-sessions/{id}", COURSE_READERS),
    ("PATCH", "/orgs/{org}/live-sessions/{id}", COURSE_EDITORS),
    (
        "POST",
        "/orgs/{org}/live-sessions/{id}/start",
        COURSE_EDITORS,
    ),
    ("POST", "/orgs/{org}/live-sessions/{id}/end", COURSE_EDITORS),
    (
        "POST",
        "/orgs/{org}/live-sessions/{id}/cancel",
        COURSE_EDITORS,
    ),
    (
        "GET",
        "/orgs/{org}/live-sessions/{id}/participants",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/live-sessions/{id}/participants",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/live-sessions/{id}/participants/enrolled",
        COURSE_EDITORS,
    ),
    (
        "DELETE",
        "/orgs/{org}/live-sessions/{id}/participants/{user_id}",
        COURSE_EDITORS,
    ),
    (
        "POST",
        "/orgs/{org}/live-sessions/{id}/join",
        COURSE_READERS,
    ),
    (
        "POST",
        "/orgs/{org}/live-sessions/{id}/leave",
        COURSE_READERS,
    ),
    ("GET", "/me/live-sessions", Rule::AnyAuthenticated),
    // Payments (issue 15 point 8).
    (
        "GET",
        "/orgs/{org}/payments",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "GET",
        "/orgs/{org}/payments/{id}",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "POST",
        "/orgs/{org}/payments/{id}/refund",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "POST",
        "/orgs/{org}/payments/{id}/mark-paid",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "POST",
        "/orgs/{org}/payments/{id}/mark-failed",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "POST",
        "/orgs/{org}/payments/{id}/cancel",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "GET",
        "/orgs/{org}/payouts",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "POST",
        "/orgs/{org}/payouts",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "GET",
        "/orgs/{org}/payouts/balances",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "POST",
        "/orgs/{org}/payouts/{id}/mark-paid",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "POST",
        "/orgs/{org}/payouts/{id}/mark-failed",
        Rule::Policy(Action::ManagePayments),
    ),
    ("GET", "/orgs/{org}/plans", Rule::AnyMember),
    (
        "POST",
        "/orgs/{org}/plans",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "PATCH",
        "/orgs/{org}/plans/{id}",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "DELETE",
        "/orgs/{org}/plans/{id}",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "GET",
        "/orgs/{org}/subscriptions",
        Rule::Policy(Action::ManagePayments),
    ),
    (
        "POST",
        "/orgs/{org}/subscriptions",
        Rule::Policy(Action::LearnCourses),
    ),
    (
        "POST",
        "/orgs/{org}/subscriptions/{id}/cancel",
        Rule::Policy(Action::ManagePayments),
    ),
    ("GET", "/me/payments", Rule::AnyAuthenticated),
    ("GET", "/me/subscriptions", Rule::AnyAuthenticated),
    (
        "POST",
        "/me/subscriptions/{id}/cancel",
        Rule::AnyAuthenticated,
    ),
    ("POST", "/webhooks/stripe", Rule::Public),
    // People (issue 16): profiles, avatars, company profiles, accounts, API keys.
    ("GET", "/me/profile", Rule::AnyAuthenticated),
    ("PATCH", "/me", Rule::AnyAuthenticated),
    ("PUT", "/me/avatar", Rule::AnyAuthenticated),
    ("DELETE", "/me/avatar", Rule::AnyAuthenticated),
    ("GET", "/users/{id}/avatar", Rule::AnyAuthenticated),
    ("GET", "/me/instructor-profile", Rule::AnyAuthenticated),
    ("PUT", "/me/instructor-profile", Rule::AnyAuthenticated),
    (
        "POST",
        "/orgs/{org}/members/{user_id}/instructor-verification",
        Rule::Policy(Action::ManageOrg),
    ),
    ("GET", "/orgs/{org}/company-profile", Rule::AnyMember),
    (
        "PUT",
        "/orgs/{org}/company-profile",
        Rule::Policy(Action::ManageOrg),
    ),
    ("GET", "/orgs/{org}/company-profile/logo", Rule::AnyMember),
    (
        "PUT",
        "/orgs/{org}/company-profile/logo",
        Rule::Policy(Action::ManageOrg),
    ),
    ("GET", "/users", Rule::SuperAdminOnly),
    ("PATCH", "/users/{id}", Rule::SuperAdminOnly),
    ("POST", "/users/{id}/erasure", Rule::SuperAdminOnly),
    (
        "GET",
        "/orgs/{org}/api-keys",
        Rule::Policy(Action::ManageApiKeys),
    ),
    (
        "POST",
        "/orgs/{org}/api-keys",
        Rule::Policy(Action::ManageApiKeys),
    ),
    (
        "DELETE",
        "/orgs/{org}/api-keys/{id}",
        Rule::Policy(Action::ManageApiKeys),
    ),
    // Hiring (issue 16 item 6): job postings, the public board, applying,
    // applicants (an institution org answers 409 `not_a_company` to the
    // allowed roles).
    ("GET", "/orgs/{org}/job-postings", RECRUITING_READERS),
    (
        "POST",
        "/orgs/{org}/job-postings",
        Rule::Policy(Action::ManageJobs),
    ),
    ("GET", "/orgs/{org}/job-postings/{id}", RECRUITING_READERS),
    (
        "PATCH",
        "/orgs/{org}/job-postings/{id}",
        Rule::Policy(Action::ManageJobs),
    ),
    (
        "POST",
        "/orgs/{org}/job-postings/{id}/close",
        Rule::Policy(Action::ManageJobs),
    ),
    (
        "GET",
        "/orgs/{org}/job-postings/{id}/applicants",
        Rule::Policy(Action::ViewApplicants),
    ),
    (
        "GET",
        "/orgs/{org}/job-postings/{id}/applicants/{application_id}",
        Rule::Policy(Action::ViewApplicants),
    ),
    (
        "PATCH",
        "/orgs/{org}/job-postings/{id}/applicants/{application_id}",
        Rule::Policy(Action::ViewApplicants),
    ),
    ("GET", "/jobs", Rule::Public),
    ("GET", "/jobs/{id}", Rule::Public),
    ("POST", "/jobs/{id}/applications", Rule::AnyAuthenticated),
    ("GET", "/me/applications", Rule::AnyAuthenticated),
    (
        "POST",
        "/me/applications/{id}/withdraw",
        Rule::AnyAuthenticated,
    ),
    // Practice interviews and progress (issue 16, helper "practice").
    ("GET", "/orgs/{org}/practice-scenarios", COURSE_READERS),
    ("POST", "/orgs/{org}/practice-scenarios", COURSE_EDITORS),
    ("GET", "/orgs/{org}/practice-scenarios/{id}", COURSE_READERS),
    ("PUT", "/orgs/{org}/practice-scenarios/{id}", COURSE_EDITORS),
    (
        "DELETE",
        "/orgs/{org}/practice-scenarios/{id}",
        COURSE_EDITORS,
    ),
    ("POST", "/orgs/{org}/practice-sessions", COURSE_READERS),
    ("GET", "/practice-sessions/{id}", Rule::AnyAuthenticated),
    (
        "POST",
        "/practice-sessions/{id}/messages",
        Rule::AnyAuthenticated,
    ),
    (
        "POST",
        "/practice-sessions/{id}/abandon",
        Rule::AnyAuthenticated,
    ),
    ("GET", "/me/practice-sessions", Rule::AnyAuthenticated),
    ("GET", "/me/progress", Rule::AnyAuthenticated),
    // Certificates (issue 16 item 4).
    (
        "GET",
        "/orgs/{org}/exams/{exam}/certificate",
        Rule::Policy(Action::ManageCertificates),
    ),
    (
        "PUT",
        "/orgs/{org}/exams/{exam}/certificate",
        Rule::Policy(Action::ManageCertificates),
    ),
    (
        "GET",
        "/orgs/{org}/certificates",
        Rule::Policy(Action::ManageCertificates),
    ),
    (
        "POST",
        "/orgs/{org}/certificates/{id}/revoke",
        Rule::Policy(Action::ManageCertificates),
    ),
    ("GET", "/me/certificates", Rule::AnyAuthenticated),
    ("GET", "/me/certificates/{id}", Rule::AnyAuthenticated),
    ("PATCH", "/me/certificates/{id}", Rule::AnyAuthenticated),
    ("GET", "/me/certificates/{id}/pdf", Rule::AnyAuthenticated),
    ("GET", "/certificates/{code}", Rule::Public),
    ("GET", "/certificates/{code}/pdf", Rule::Public),
    // Single sign-on and self sign-up (issue 16).
    ("GET", "/orgs/{org}/sso", Rule::Policy(Action::ManageOrg)),
    ("PUT", "/orgs/{org}/sso", Rule::Policy(Action::ManageOrg)),
    ("DELETE", "/orgs/{org}/sso", Rule::Policy(Action::ManageOrg)),
    (
        "GET",
        "/orgs/{org}/sign-up-settings",
        Rule::Policy(Action::ManageOrg),
    ),
    (
        "PUT",
        "/orgs/{org}/sign-up-settings",
        Rule::Policy(Action::ManageOrg),
    ),
    ("POST", "/orgs/{org}/sign-up", Rule::Public),
    ("POST", "/auth/sign-up/verify", Rule::Public),
];
