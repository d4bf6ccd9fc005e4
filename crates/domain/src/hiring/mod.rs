//! Hiring (seed 002, issue 16 item 6): a COMPANY organization's job
//! postings, the applications people make by taking the posting's Invigil
//! assessment, and what the company may see of its applicants. Pure rules:
//! the posting's status machine, which exam may back a published posting,
//! the application's status as shown, and what a recruiter may set.

use crate::exams::ExamStatus;

crate::stored_enum! {
    /// The experience a posting asks for.
    pub enum ExperienceLevel {
        Entry = "ENTRY",
        Mid = "MID",
        Senior = "SENIOR",
        Lead = "LEAD",
    }
}

crate::stored_enum! {
    /// Where a job posting is: DRAFT (staff only) → OPEN (on the public
    /// board, taking applications) → CLOSED (no new applications).
    pub enum PostingStatus {
        Draft = "DRAFT",
        Open = "OPEN",
        Closed = "CLOSED",
    }
}

crate::stored_enum! {
    /// An application's status. APPLIED until the assessment is submitted
    /// (then it reads ASSESSED), then the recruiter's SHORTLISTED, REJECTED
    /// or HIRED; WITHDRAWN by the applicant (consent withdrawn too).
    pub enum ApplicationStatus {
        Applied = "APPLIED",
        Assessed = "ASSESSED",
        Shortlisted = "SHORTLISTED",
        Rejected = "REJECTED",
        Hired = "HIRED",
        Withdrawn = "WITHDRAWN",
    }
}

/// A posting change refused, with the reason shown to the recruiter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingError {
    #[error("a {0} job posting cannot change its status to {1}")]
    Transition(PostingStatus, PostingStatus),
    #[error("a closed job posting cannot be changed")]
    Closed,
    #[error(
        "the assessment of an open job posting must be an exam that is ACTIVE or SCHEDULED (it is {0})"
    )]
    ExamNotOpen(ExamStatus),
}

/// Whether a posting may move from `from` to `to` (DRAFT → OPEN → CLOSED,
/// DRAFT → CLOSED; staying put is no move).
pub fn may_move(from: PostingStatus, to: PostingStatus) -> Result<(), PostingError> {
    use PostingStatus as S;
    match (from, to) {
        (a, b) if a == b && a != S::Closed => Ok(()),
        (S::Draft, S::Open) | (S::Draft, S::Closed) | (S::Open, S::Closed) => Ok(()),
        (S::Closed, _) => Err(PostingError::Closed),
        (a, b) => Err(PostingError::Transition(a, b)),
    }
}

/// Whether an exam may be the assessment of an OPEN posting: people who
/// apply must be able to take it (open now or scheduled).
pub fn exam_publishable(status: ExamStatus) -> Result<(), PostingError> {
    match status {
        ExamStatus::Active | ExamStatus::Scheduled => Ok(()),
        other => Err(PostingError::ExamNotOpen(other)),
    }
}

/// Whether a posting takes applications.
pub fn takes_applications(status: PostingStatus) -> bool {
    status == PostingStatus::Open
}

/// The status shown: a stored APPLIED reads ASSESSED once the applicant
/// submitted the assessment (`assessed`); the others as stored.
pub fn shown_status(stored: ApplicationStatus, assessed: bool) -> ApplicationStatus {
    if stored == ApplicationStatus::Applied && assessed {
        ApplicationStatus::Assessed
    } else {
        stored
    }
}

/// Whether the company sees the application at all: the applicant
/// consented and did not withdraw.
pub fn visible_to_company(status: ApplicationStatus, consent: bool) -> bool {
    consent && status != ApplicationStatus::Withdrawn
}

/// A recruiter's status change refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("a recruiter sets SHORTLISTED, REJECTED or HIRED (not {0})")]
    NotARecruiterStatus(ApplicationStatus),
    #[error("a withdrawn application cannot change")]
    Withdrawn,
}

/// Whether a recruiter may set `to` on an application now `from`: only
/// their decisions (SHORTLISTED, REJECTED, HIRED), and never on a
/// withdrawn one. A decision may be revised (SHORTLISTED then HIRED).
pub fn recruiter_may_set(
    from: ApplicationStatus,
    to: ApplicationStatus,
) -> Result<(), DecisionError> {
    use ApplicationStatus as S;
    if from == S::Withdrawn {
        return Err(DecisionError::Withdrawn);
    }
    match to {
        S::Shortlisted | S::Rejected | S::Hired => Ok(()),
        other => Err(DecisionError::NotARecruiterStatus(other)),
    }
}

/// Whether the applicant may still withdraw (not after being hired, and
/// only once).
pub fn may_withdraw(status: ApplicationStatus) -> bool {
    !matches!(
        status,
        ApplicationStatus::Withdrawn | ApplicationStatus::Hired
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus as A;
    use PostingStatus as P;

    #[test]
    fn posting_moves() {
        assert!(may_move(P::Draft, P::Open).is_ok());
        assert!(may_move(P::Open, P::Closed).is_ok());
        assert!(may_move(P::Draft, P::Closed).is_ok());
        assert!(may_move(P::Open, P::Open).is_ok());
        assert_eq!(
            may_move(P::Open, P::Draft),
            Err(PostingError::Transition(P::Open, P::Draft))
        );
        assert_eq!(may_move(P::Closed, P::Open), Err(PostingError::Closed));
        assert_eq!(may_move(P::Closed, P::Closed), Err(PostingError::Closed));
    }

    #[test]
    fn only_open_or_scheduled_exams_back_a_published_posting() {
        assert!(exam_publishable(ExamStatus::Active).is_ok());
        assert!(exam_publishable(ExamStatus::Scheduled).is_ok());
        for s in [
            ExamStatus::Draft,
            ExamStatus::Completed,
            ExamStatus::Cancelled,
            ExamStatus::Archived,
        ] {
            assert_eq!(exam_publishable(s), Err(PostingError::ExamNotOpen(s)));
        }
        assert!(takes_applications(P::Open));
        assert!(!takes_applications(P::Draft) && !takes_applications(P::Closed));
    }

    #[test]
    fn applied_reads_assessed_after_the_submit() {
        assert_eq!(shown_status(A::Applied, false), A::Applied);
        assert_eq!(shown_status(A::Applied, true), A::Assessed);
        assert_eq!(shown_status(A::Shortlisted, true), A::Shortlisted);
        assert_eq!(shown_status(A::Withdrawn, true), A::Withdrawn);
    }

    #[test]
    fn the_company_sees_consenting_applicants_only() {
        assert!(visible_to_company(A::Applied, true));
        assert!(visible_to_company(A::Hired, true));
        assert!(!visible_to_company(A::Applied, false));
        assert!(!visible_to_company(A::Withdrawn, true));
    }

    #[test]
    fn recruiter_decisions() {
        assert!(recruiter_may_set(A::Applied, A::Shortlisted).is_ok());
        assert!(recruiter_may_set(A::Shortlisted, A::Hired).is_ok());
        assert!(recruiter_may_set(A::Rejected, A::Shortlisted).is_ok());
        assert_eq!(
            recruiter_may_set(A::Applied, A::Assessed),
            Err(DecisionError::NotARecruiterStatus(A::Assessed))
        );
        assert_eq!(
            recruiter_may_set(A::Applied, A::Withdrawn),
            Err(DecisionError::NotARecruiterStatus(A::Withdrawn))
        );
        assert_eq!(
            recruiter_may_set(A::Withdrawn, A::Hired),
            Err(DecisionError::Withdrawn)
        );
        assert!(may_withdraw(A::Applied) && may_withdraw(A::Shortlisted));
        assert!(!may_withdraw(A::Withdrawn) && !may_withdraw(A::Hired));
    }
}
