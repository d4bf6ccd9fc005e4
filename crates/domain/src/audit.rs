//! The actions the audit log records. One enum names every security- or
//! grade-relevant action with its stored name (`exam.created`) and the kind of
//! resource it is about, so a call site says only *what* happened to *which*
//! resource; a new action is one variant here, and readers (filters, reports)
//! can list them.

use serde::{Deserialize, Serialize};

macro_rules! audit_actions {
    ($( $variant:ident => $name:literal on $resource:literal, )*) => {
        /// A recorded action; [`AuditAction::name`] is the stored `action`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditAction {
            $(
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl AuditAction {
            /// Every action, in declaration order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The stored name, `<resource>.<verb>`.
            pub fn name(self) -> &'static str {
                match self { $(AuditAction::$variant => $name,)* }
            }

            /// The kind of resource the entry's `resource_id` names.
            pub fn resource_type(self) -> &'static str {
                match self { $(AuditAction::$variant => $resource,)* }
            }

            /// The action of a stored name.
            pub fn parse(name: &str) -> Option<AuditAction> {
                match name { $($name => Some(AuditAction::$variant),)* _ => None }
            }
        }
    };
}

audit_actions! {
    // Platform administration (CLI).
    AdminUserCreated => "admin.user_created" on "user",
    AdminSuperadminCreated => "admin.superadmin_created" on "user",
    // Sign-in and account security.
    AuthLogin => "auth.login" on "session",
    AuthLoginFailed => "auth.login_failed" on "email",
    AuthLocked => "auth.locked" on "email",
    AuthLogout => "auth.logout" on "session",
    AuthSessionRevoked => "auth.session_revoked" on "session",
    AuthRefreshTokenReused => "auth.refresh_token_reused" on "session",
    AuthPasswordChanged => "auth.password_changed" on "user",
    AuthPasswordCheckFailed => "auth.password_check_failed" on "user",
    AuthPasswordResetRequested => "auth.password_reset_requested" on "user",
    AuthPasswordReset => "auth.password_reset" on "user",
    AuthEmailVerified => "auth.email_verified" on "user",
    AuthEmailChangeRequested => "auth.email_change_requested" on "user",
    AuthEmailReverted => "auth.email_reverted" on "user",
    // Organizations and people.
    OrgCreated => "org.created" on "organization",
    OrgUpdated => "org.updated" on "organization",
    DepartmentCreated => "department.created" on "department",
    DepartmentRenamed => "department.renamed" on "department",
    DepartmentDeleted => "department.deleted" on "department",
    OrgProctoringRulesChanged => "org.proctoring_rules_changed" on "organization",
    MemberAdded => "member.added" on "user",
    MemberInvited => "member.invited" on "invitation",
    MemberInvitationAccepted => "member.invitation_accepted" on "user",
    MemberRolesChanged => "member.roles_changed" on "user",
    MemberStatusChanged => "member.status_changed" on "user",
    MemberRemoved => "member.removed" on "user",
    CandidatesImported => "candidates.imported" on "organization",
    CandidateProfileUpdated => "candidate.profile_updated" on "user",
    ExternalResultRecorded => "external_result.recorded" on "external_result",
    ExternalResultUpdated => "external_result.updated" on "external_result",
    ExternalResultDeleted => "external_result.deleted" on "external_result",
    ExternalResultsImported => "external_results.imported" on "organization",
    // Notifications and live sessions.
    NotificationTemplateSaved => "notification_template.saved" on "notification_template",
    NotificationTemplateReset => "notification_template.reset" on "notification_template",
    LiveSessionScheduled => "live_session.scheduled" on "live_session",
    LiveSessionUpdated => "live_session.updated" on "live_session",
    LiveSessionStatusChanged => "live_session.status_changed" on "live_session",
    LiveSessionParticipantsAdded => "live_session.participants_added" on "live_session",
    LiveSessionParticipantRemoved => "live_session.participant_removed" on "live_session",
    LiveSessionJoined => "live_session.joined" on "live_session",
    LiveSessionLeft => "live_session.left" on "live_session",
    // Content.
    BankCreated => "bank.created" on "question_bank",
    BankUpdated => "bank.updated" on "question_bank",
    BankImported => "bank.imported" on "question_bank",
    BankSubmitted => "bank.submitted" on "question_bank",
    BankApproved => "bank.approved" on "question_bank",
    BankRejected => "bank.rejected" on "question_bank",
    BankRevised => "bank.revised" on "question_bank",
    BankArchived => "bank.archived" on "question_bank",
    QuestionCreated => "question.created" on "question",
    QuestionUpdated => "question.updated" on "question",
    QuestionRetired => "question.retired" on "question",
    // Exams and enrollment.
    ExamTypeCreated => "exam_type.created" on "exam_type",
    ExamTypeUpdated => "exam_type.updated" on "exam_type",
    ExamTypeDeleted => "exam_type.deleted" on "exam_type",
    ExamCreated => "exam.created" on "exam",
    ExamUpdated => "exam.updated" on "exam",
    ExamScheduled => "exam.scheduled" on "exam",
    ExamOpened => "exam.opened" on "exam",
    ExamClosed => "exam.closed" on "exam",
    ExamCancelled => "exam.cancelled" on "exam",
    ExamArchived => "exam.archived" on "exam",
    ExamRegraded => "exam.regraded" on "exam",
    ExamResultsReleased => "exam.results_released" on "exam",
    EnrollmentCreated => "enrollment.created" on "exam",
    EnrollmentOverridesChanged => "enrollment.overrides_changed" on "enrollment",
    // Delivery and proctor actions on a session.
    SessionStarted => "session.started" on "exam_session",
    SessionSubmitted => "session.submitted" on "exam_session",
    SessionAutoSubmitted => "session.auto_submitted" on "exam_session",
    SessionDeviceChanged => "session.device_changed" on "exam_session",
    SessionPhonePaired => "session.phone_paired" on "exam_session",
    SessionWarn => "session.warn" on "exam_session",
    SessionPause => "session.pause" on "exam_session",
    SessionResume => "session.resume" on "exam_session",
    SessionTerminate => "session.terminate" on "exam_session",
    AnswerGraded => "answer.graded" on "exam_session",
    // EXTEND_TIME records `session.` + the lowercased action type.
    SessionExtendTime => "session.extend_time" on "exam_session",
    // Integrity review and evidence.
    ReviewClaimed => "review.claimed" on "exam_session",
    ReviewReleased => "review.released" on "exam_session",
    ReviewDecided => "review.decided" on "exam_session",
    ReviewReopened => "review.reopened" on "exam_session",
    ReviewAppealed => "review.appealed" on "exam_session",
    EvidenceRead => "evidence.read" on "evidence_frame",
    EvidencePurged => "evidence.purged" on "evidence_frame",
    // Files (uploads of course material).
    FileUploaded => "file.uploaded" on "file",
    FileDeleted => "file.deleted" on "file",
    // Courses (seed 004).
    CourseCategoryCreated => "course_category.created" on "course_category",
    CourseCategoryUpdated => "course_category.updated" on "course_category",
    CourseCategoryDeleted => "course_category.deleted" on "course_category",
    CourseCreated => "course.created" on "course",
    CourseUpdated => "course.updated" on "course",
    CoursePublished => "course.published" on "course",
    CourseArchived => "course.archived" on "course",
    CourseDeleted => "course.deleted" on "course",
    CourseRestored => "course.restored" on "course",
    CourseInstructorAdded => "course.instructor_added" on "course",
    CourseInstructorRemoved => "course.instructor_removed" on "course",
    CourseLectureDeleted => "course_lecture.deleted" on "course_lecture",
    CourseLectureRestored => "course_lecture.restored" on "course_lecture",
    CourseEnrollmentCreated => "course_enrollment.created" on "course_enrollment",
    CourseEnrollmentDropped => "course_enrollment.dropped" on "course_enrollment",
    CourseEnrollmentCompleted => "course_enrollment.completed" on "course_enrollment",
    CourseReviewHidden => "course_review.hidden" on "course_review",
    CourseReviewUnhidden => "course_review.unhidden" on "course_review",
    CourseReviewDeleted => "course_review.deleted" on "course_review",
    CourseReviewRestored => "course_review.restored" on "course_review",
    CourseAssessmentAdded => "course_assessment.added" on "course_assessment",
    CourseAssessmentRemoved => "course_assessment.removed" on "course_assessment",
    // Payments (money writes).
    PaymentCreated => "payment.created" on "payment",
    PaymentCompleted => "payment.completed" on "payment",
    PaymentFailed => "payment.failed" on "payment",
    PaymentCancelled => "payment.cancelled" on "payment",
    PaymentRefunded => "payment.refunded" on "payment",
    PayoutCreated => "payout.created" on "payout",
    PayoutPaid => "payout.paid" on "payout",
    PayoutFailed => "payout.failed" on "payout",
    PlanCreated => "plan.created" on "payment_plan",
    PlanUpdated => "plan.updated" on "payment_plan",
    PlanDeleted => "plan.deleted" on "payment_plan",
    SubscriptionCreated => "subscription.created" on "subscription",
    SubscriptionActivated => "subscription.activated" on "subscription",
    SubscriptionUpdated => "subscription.updated" on "subscription",
    SubscriptionCancelled => "subscription.cancelled" on "subscription",
    // People and careers (seed 002): sign-up and single sign-on.
    AuthSignUp => "auth.sign_up" on "user",
    AuthSsoLogin => "auth.sso_login" on "session",
    AuthSsoLoginFailed => "auth.sso_login_failed" on "organization",
    AuthSsoLinked => "auth.sso_linked" on "user",
    OrgSsoConfigured => "org.sso_configured" on "organization",
    OrgSignUpSettingsChanged => "org.sign_up_settings_changed" on "organization",
    // Profiles, account status, erasure, API keys.
    ProfileUpdated => "profile.updated" on "user",
    ProfileAvatarChanged => "profile.avatar_changed" on "user",
    InstructorProfileUpdated => "instructor_profile.updated" on "user",
    CompanyProfileUpdated => "company_profile.updated" on "organization",
    UserStatusChanged => "user.status_changed" on "user",
    UserErased => "user.erased" on "user",
    ApiKeyCreated => "api_key.created" on "api_key",
    ApiKeyRevoked => "api_key.revoked" on "api_key",
    // Certificates.
    CertificateIssued => "certificate.issued" on "certificate",
    CertificateRevoked => "certificate.revoked" on "certificate",
    CertificatePublicationChanged => "certificate.publication_changed" on "certificate",
    // Hiring.
    JobPostingCreated => "job_posting.created" on "job_posting",
    JobPostingUpdated => "job_posting.updated" on "job_posting",
    JobPostingClosed => "job_posting.closed" on "job_posting",
    JobApplicationCreated => "job_application.created" on "job_application",
    JobApplicationWithdrawn => "job_application.withdrawn" on "job_application",
    JobApplicationStatusChanged => "job_application.status_changed" on "job_application",
    CandidateViewed => "candidate.viewed" on "user",
    // Practice interviews (seed 002 chat sessions).
    PracticeScenarioSaved => "practice_scenario.saved" on "practice_scenario",
    PracticeTranscriptsPurged => "practice_session.purged" on "organization",
    // The log itself: a download of its entries (with the filters used).
    AuditExported => "audit.exported" on "organization",
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.name()), "{} twice", a.name());
            assert_eq!(AuditAction::parse(a.name()), Some(*a));
            let (resource, verb) = a.name().split_once('.').expect("resource.verb");
            assert!(!resource.is_empty() && !verb.is_empty());
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::Value::String(a.name().into())
            );
        }
        assert_eq!(AuditAction::parse("exam.nope"), None);
    }
}
