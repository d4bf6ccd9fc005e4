//! Bodies and answers of the hiring routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::hiring::{ApplicationStatus, ExperienceLevel, PostingStatus};

use crate::tenancy::service::double_option;

/// A new job posting of a COMPANY organization.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostingBody {
    /// 1 to 200 characters.
    pub title: String,
    /// Markdown, 1 to 20,000 characters.
    pub description: String,
    /// At most 30 lines of at most 300 characters.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// At most 30 skills of at most 80 characters.
    #[serde(default)]
    pub required_skills: Vec<String>,
    #[schema(value_type = String, example = "MID")]
    pub experience_level: ExperienceLevel,
    pub location: Option<String>,
    /// Free text ("EUR 50-60k").
    pub salary: Option<String>,
    /// DRAFT (default) or OPEN (published at once).
    #[schema(value_type = Option<String>, example = "DRAFT")]
    pub status: Option<PostingStatus>,
    /// The assessment applicants take: an exam of the organization (ACTIVE
    /// or SCHEDULED for an OPEN posting).
    pub exam_id: Uuid,
}

/// Change a posting (not a CLOSED one); `status: OPEN` publishes a draft.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostingPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub requirements: Option<Vec<String>>,
    pub required_skills: Option<Vec<String>>,
    #[schema(value_type = Option<String>)]
    pub experience_level: Option<ExperienceLevel>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub salary: Option<Option<String>>,
    /// DRAFT or OPEN (close with `POST .../close`).
    #[schema(value_type = Option<String>)]
    pub status: Option<PostingStatus>,
    pub exam_id: Option<Uuid>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PostingQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// Only postings of this status (DRAFT, OPEN, CLOSED).
    #[param(value_type = Option<String>)]
    pub status: Option<PostingStatus>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// Words to find in the title, description, skills or location (any
    /// case; at most 100 characters).
    pub q: Option<String>,
}

/// A job posting: staff of the company see all of it, the public board the
/// published ones (without `applicants`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostingView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub org_slug: String,
    /// The company's name.
    pub company: String,
    pub title: String,
    /// Markdown as written.
    pub description: String,
    pub requirements: Vec<String>,
    pub required_skills: Vec<String>,
    #[schema(value_type = String, example = "MID")]
    pub experience_level: ExperienceLevel,
    pub location: Option<String>,
    pub salary: Option<String>,
    #[schema(value_type = String, example = "OPEN")]
    pub status: PostingStatus,
    pub exam_id: Uuid,
    /// The assessment's title.
    pub exam_title: String,
    /// Staff: applicants who consented and did not withdraw.
    pub applicants: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Apply to a job: consent to the company seeing your result and details.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    /// Must be true.
    pub consent: bool,
    /// At most 2,000 characters.
    pub cover_note: Option<String>,
}

/// One of my job applications.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyApplicationView {
    pub id: Uuid,
    pub posting_id: Uuid,
    pub job_title: String,
    pub company: String,
    pub org_slug: String,
    /// APPLIED, ASSESSED, SHORTLISTED, REJECTED, HIRED, WITHDRAWN.
    #[schema(value_type = String, example = "APPLIED")]
    pub status: ApplicationStatus,
    pub consent: bool,
    pub cover_note: Option<String>,
    pub exam_id: Uuid,
    pub exam_title: String,
    /// Where to take the assessment (while it is to be taken).
    pub exam_link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// The applicant's result in the posting's assessment: their best
/// submitted attempt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicantResult {
    pub session_id: Uuid,
    pub attempt: i32,
    pub final_score: Option<f64>,
    pub max_score: f64,
    pub percent: Option<f64>,
    /// Unknown while answers wait for a grade; false when a violation was
    /// confirmed.
    pub passed: Option<bool>,
    /// Every answer has its points.
    pub graded: bool,
    /// CLEAN, FLAGGED, UNDER_REVIEW, CLEARED, VIOLATION_CONFIRMED.
    pub integrity: String,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// The applicant's profile summary (filled by the profiles module).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ApplicantProfile {
    pub bio: Option<String>,
    pub location: Option<String>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub linkedin: Option<String>,
    pub github: Option<String>,
    pub website: Option<String>,
}

impl ApplicantProfile {
    /// Nothing worth showing.
    pub fn is_empty(&self) -> bool {
        self.bio.is_none()
            && self.location.is_none()
            && self.skills.is_empty()
            && self.languages.is_empty()
            && self.linkedin.is_none()
            && self.github.is_none()
            && self.website.is_none()
    }
}

/// One of the applicant's published, valid certificates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicantCertificate {
    pub id: Uuid,
    pub title: String,
    pub issued_at: DateTime<Utc>,
    /// Where anyone may verify it.
    pub verify_url: Option<String>,
}

/// The recruiter's own view of the candidate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyCandidateView {
    pub viewed_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub is_interested: bool,
}

/// An applicant as the company sees them (only those who applied,
/// consented and did not withdraw).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicantView {
    pub application_id: Uuid,
    pub posting_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    #[schema(value_type = String, example = "ASSESSED")]
    pub status: ApplicationStatus,
    pub cover_note: Option<String>,
    pub applied_at: DateTime<Utc>,
    /// `None` until the assessment is submitted.
    pub result: Option<ApplicantResult>,
    /// `None` when the applicant has no profile (the detail only).
    pub profile: Option<ApplicantProfile>,
    /// Published certificates (the detail only).
    pub certificates: Vec<ApplicantCertificate>,
    /// The caller's notes and interest (the detail only).
    pub my_view: Option<MyCandidateView>,
}

/// A recruiter's decision and notes on an applicant.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantPatch {
    /// SHORTLISTED, REJECTED or HIRED (needs `manage_jobs`).
    #[schema(value_type = Option<String>)]
    pub status: Option<ApplicationStatus>,
    /// Your notes on the candidate (at most 5,000 characters; null clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    pub is_interested: Option<bool>,
}
