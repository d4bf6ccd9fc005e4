//! The nine roles of seed 000, and the mapping of the other seeds' role names onto them
//! (DESIGN.md "Unified data model").

use std::fmt;
use std::str::FromStr;

/// A role a user holds. `SuperAdmin` is platform-wide; the other eight are granted per
/// organization (optionally limited to a department), and a user may hold several.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
// Hand-written rather than `stored_enum!`: `ALL` is a fixed-size array
// (`Role::ALL.map(..)`, `for role in Role::ALL` by value) and roles order.
// The column mapping is the macro's, with the same names as `as_str`.
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "Text"))]
pub enum Role {
    #[cfg_attr(feature = "db", sea_orm(string_value = "SUPER_ADMIN"))]
    SuperAdmin,
    #[cfg_attr(feature = "db", sea_orm(string_value = "ORG_ADMIN"))]
    OrgAdmin,
    #[cfg_attr(feature = "db", sea_orm(string_value = "EXAM_AUTHOR"))]
    ExamAuthor,
    #[cfg_attr(feature = "db", sea_orm(string_value = "EXAM_COORDINATOR"))]
    ExamCoordinator,
    #[cfg_attr(feature = "db", sea_orm(string_value = "ENROLLMENT_MANAGER"))]
    EnrollmentManager,
    #[cfg_attr(feature = "db", sea_orm(string_value = "PROCTOR_REVIEWER"))]
    ProctorReviewer,
    #[cfg_attr(feature = "db", sea_orm(string_value = "QUALITY_ASSURANCE"))]
    QualityAssurance,
    #[cfg_attr(feature = "db", sea_orm(string_value = "REPORT_VIEWER"))]
    ReportViewer,
    #[cfg_attr(feature = "db", sea_orm(string_value = "CANDIDATE"))]
    Candidate,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 9] = [
        Role::SuperAdmin,
        Role::OrgAdmin,
        Role::ExamAuthor,
        Role::ExamCoordinator,
        Role::EnrollmentManager,
        Role::ProctorReviewer,
        Role::QualityAssurance,
        Role::ReportViewer,
        Role::Candidate,
    ];

    /// The wire and database spelling, e.g. `"SUPER_ADMIN"` (the same as serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "SUPER_ADMIN",
            Role::OrgAdmin => "ORG_ADMIN",
            Role::ExamAuthor => "EXAM_AUTHOR",
            Role::ExamCoordinator => "EXAM_COORDINATOR",
            Role::EnrollmentManager => "ENROLLMENT_MANAGER",
            Role::ProctorReviewer => "PROCTOR_REVIEWER",
            Role::QualityAssurance => "QUALITY_ASSURANCE",
            Role::ReportViewer => "REPORT_VIEWER",
            Role::Candidate => "CANDIDATE",
        }
    }

    /// Parses the canonical spelling only (exactly what [`Role::as_str`] gives and serde
    /// accepts). Use [`Role::from_legacy`] for lenient input such as CSV imports.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Maps a role name from any of the seed products onto Invigil roles, ignoring case and
    /// surrounding whitespace: the nine roles themselves, `ADMIN` -> `ORG_ADMIN`, `PROCTOR` ->
    /// `PROCTOR_REVIEWER`, `INSTRUCTOR`/`teacher` -> `EXAM_AUTHOR` + `EXAM_COORDINATOR`,
    /// `TRAINEE`/`student` -> `CANDIDATE`. An unknown name maps to no role (empty).
    pub fn from_legacy(s: &str) -> Vec<Role> {
        let upper = s.trim().to_ascii_uppercase();
        if let Some(role) = Role::parse(&upper) {
            return vec![role];
        }
        match upper.as_str() {
            "ADMIN" => vec![Role::OrgAdmin],
            "PROCTOR" => vec![Role::ProctorReviewer],
            "INSTRUCTOR" | "TEACHER" => vec![Role::ExamAuthor, Role::ExamCoordinator],
            "TRAINEE" | "STUDENT" => vec![Role::Candidate],
            _ => Vec::new(),
        }
    }

    /// Whether the role is platform-wide (`SUPER_ADMIN`) rather than granted within an
    /// organization. Platform roles must never be assigned through an organization's members.
    pub fn is_platform(self) -> bool {
        self == Role::SuperAdmin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`Role::from_str`]: the name is not one of the nine canonical role names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}; expected one of SUPER_ADMIN, ORG_ADMIN, EXAM_AUTHOR, EXAM_COORDINATOR, ENROLLMENT_MANAGER, PROCTOR_REVIEWER, QUALITY_ASSURANCE, REPORT_VIEWER, CANDIDATE"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    /// The same as [`Role::parse`] (canonical spelling only).
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::parse(s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}
