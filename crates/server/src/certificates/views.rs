//! Request and response bodies of the certificate routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::certificates::status_at;
use invigil_store::certificates::{Certificate, CertificateSetting};

/// An exam's certificate setting (`PUT` body and answer).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateSettingBody {
    /// Issue certificates to candidates who pass.
    pub enabled: bool,
    /// 1..=200 characters; the exam's title when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// 1..=36500; absent: never expires.
    #[serde(default)]
    pub valid_for_days: Option<i64>,
    /// Print the score on the certificate and its published verification.
    #[serde(default)]
    pub show_score: bool,
}

impl From<&CertificateSetting> for CertificateSettingBody {
    fn from(s: &CertificateSetting) -> Self {
        CertificateSettingBody {
            enabled: s.enabled,
            title: s.title.clone(),
            valid_for_days: s.valid_for_days.map(i64::from),
            show_score: s.show_score,
        }
    }
}

/// One score line of a certificate (per section or tag, when known).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SkillScore {
    pub name: String,
    pub score: f64,
    pub max_score: f64,
}

/// A certificate as its holder and the organization's staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub organization: String,
    pub exam_id: Uuid,
    pub user_id: Uuid,
    pub code: String,
    pub title: String,
    pub holder_name: String,
    pub score: f64,
    pub max_score: f64,
    pub percent: f64,
    pub skills: Vec<SkillScore>,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    /// VALID, EXPIRED or REVOKED (expiry computed now).
    pub status: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    /// The holder agreed to show their name on the public verification.
    pub published: bool,
    pub verification_url: String,
}

impl CertificateView {
    pub fn of(c: Certificate, organization: String, base: &str, now: DateTime<Utc>) -> Self {
        let skills = serde_json::from_str(&c.skills).unwrap_or_default();
        CertificateView {
            status: status_at(c.revoked_at, c.valid_until, now).to_string(),
            verification_url: verification_url(base, &c.code),
            id: c.id,
            org_id: c.org_id,
            organization,
            exam_id: c.exam_id,
            user_id: c.user_id,
            code: c.code,
            title: c.title,
            holder_name: c.holder_name,
            score: c.score,
            max_score: c.max_score,
            percent: c.percent,
            skills,
            issued_at: c.issued_at,
            valid_until: c.valid_until,
            revoked_at: c.revoked_at,
            revoke_reason: c.revoke_reason,
            published: c.published,
        }
    }
}

/// The public address of a certificate's verification page.
pub fn verification_url(base: &str, code: &str) -> String {
    format!("{base}/certificates/{code}")
}

/// What anyone verifying a code sees: always the code and its status; the
/// rest only when the holder published it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicCertificateView {
    pub code: String,
    /// VALID, EXPIRED or REVOKED.
    pub status: String,
    pub published: bool,
    pub holder_name: Option<String>,
    pub title: Option<String>,
    pub organization: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Only when published and the exam prints scores.
    pub percent: Option<f64>,
    /// The PDF, only when published and not revoked.
    pub pdf_url: Option<String>,
}

/// `PATCH /me/certificates/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    pub published: bool,
}

/// `POST /orgs/{org}/certificates/{id}/revoke`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// 1..=500 printable characters.
    pub reason: String,
}

/// Filters and page of the staff list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CertificateQuery {
    pub exam_id: Option<Uuid>,
    /// VALID, EXPIRED or REVOKED.
    pub status: Option<String>,
    /// Items per page, 1..=500 (default 50).
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
