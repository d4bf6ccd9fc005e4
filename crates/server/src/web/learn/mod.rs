//! The learner's pages (issue 15): the course catalog of every organization
//! one belongs to with "My courses" (`/courses`), a course
//! (`/orgs/{org}/learn/{course}`: outline, enroll or buy, reviews, the
//! chapters' assessments) and a lecture (`.../lectures/{lecture}`: the
//! video with its position saved and resumed, the PDF, the text).
//!
//! They follow the staff pages' model: [`Learner`] resolves the organization
//! with the API's [`crate::authz::OrgCtx`] and the courses' [`Caller`], and
//! every handler calls the same course services as `/api/v1` (same checks,
//! same audit entries). Forms are POST + CSRF + 303; a review that does not
//! validate comes back with the messages next to its fields. The video's
//! `src` is [`lecture::file`] (the cookie's twin of
//! `GET /api/v1/orgs/{org}/courses/{course}/lectures/{lecture}/file`), and
//! `learn.js` saves the position through `/web-api/v1` every 10 seconds,
//! on pause and at the end.

mod catalog;
mod course;
mod lecture;

use std::collections::HashMap;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

use invigil_domain::courses::{CourseLevel, LectureKind, Pricing};

use super::Layout;
use super::errors::error_page;
use super::staff::Staff;
use crate::courses::access::{Caller, READERS};
use crate::http::error::ApiError;
use crate::state::AppState;

/// The learner pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/courses", get(catalog::page))
        .route("/orgs/{org}/learn/{course}", get(course::page))
        .route("/orgs/{org}/learn/{course}/enroll", post(course::enroll))
        .route("/orgs/{org}/learn/{course}/buy", post(course::buy))
        .route(
            "/orgs/{org}/learn/{course}/review",
            post(course::save_review),
        )
        .route(
            "/orgs/{org}/learn/{course}/review/delete",
            post(course::delete_review),
        )
        .route(
            "/orgs/{org}/learn/{course}/assessments/{assessment}/start",
            post(course::start_assessment),
        )
        .route(
            "/orgs/{org}/learn/{course}/lectures/{lecture}",
            get(lecture::page),
        )
        .route(
            "/orgs/{org}/learn/{course}/lectures/{lecture}/complete",
            post(lecture::complete),
        )
        .route(
            "/orgs/{org}/learn/{course}/lectures/{lecture}/file",
            get(lecture::file),
        )
}

/// The guard of the course and lecture pages: a signed-in member of the
/// organization of the path whose roles read courses (else the sign-in,
/// 404 or 403 page), with the ids of the path.
pub struct Learner {
    pub staff: Staff,
    pub caller: Caller,
    params: HashMap<String, String>,
}

impl FromRequestParts<AppState> for Learner {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let staff = Staff::from_request_parts(parts, state).await?;
        let caller = Caller::of(&staff.ctx, READERS).map_err(|e| error_page(&e))?;
        let params =
            axum::extract::Path::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|_| error_page(&ApiError::NotFound))?
                .0;
        Ok(Learner {
            staff,
            caller,
            params,
        })
    }
}

impl Learner {
    /// The id named `name` in the path; the 404 page when it is no id.
    pub fn id(&self, name: &str) -> Result<Uuid, Box<Response>> {
        self.params
            .get(name)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Box::new(error_page(&ApiError::NotFound)))
    }

    /// A candidate page's layout (the account navigation, no console).
    pub fn layout(&self, title: &str) -> Layout {
        Layout::for_visitor(title, &self.staff.visitor, &self.staff.csrf)
    }

    /// `/orgs/{org}/learn/{course}{rest}`.
    pub fn href(&self, course: Uuid, rest: &str) -> String {
        course_href(self.staff.slug(), course, rest)
    }
}

/// `/orgs/{org}/learn/{course}{rest}`.
pub fn course_href(org: &str, course: Uuid, rest: &str) -> String {
    format!("/orgs/{org}/learn/{course}{rest}")
}

/// "Beginner", "Intermediate", ...
pub fn level_label(level: CourseLevel) -> &'static str {
    match level {
        CourseLevel::Beginner => "Beginner",
        CourseLevel::Intermediate => "Intermediate",
        CourseLevel::Advanced => "Advanced",
        CourseLevel::Expert => "Expert",
    }
}

/// "Video", "PDF", "Reading".
pub fn kind_label(kind: LectureKind) -> &'static str {
    match kind {
        LectureKind::Video => "Video",
        LectureKind::Pdf => "PDF",
        LectureKind::Text => "Reading",
    }
}

pub use invigil_domain::payments::money::format_money as money;

/// What a course costs, as shown: "Free", `49.00 EUR`, "Subscription".
pub fn price_label(pricing: Pricing, minor: i64, currency: Option<&str>) -> String {
    match pricing {
        Pricing::Free => "Free".into(),
        Pricing::Paid => money(minor, currency.unwrap_or("")),
        Pricing::Subscription => "With a subscription".into(),
    }
}

/// `0:07`, `12:30`, `1:02:03`.
pub fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A lecture's length as the outline shows it: "12 s", "2 min", "1 h 5 min".
pub fn duration_label(seconds: i32) -> String {
    match seconds {
        s if s <= 0 => String::new(),
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", (s + 30) / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// A language tag in words for the common ones (`en` -> English), else the tag.
pub fn language_label(tag: &str) -> String {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or(tag)
        .to_ascii_lowercase();
    let name = match primary.as_str() {
        "en" => "English",
        "de" => "German",
        "fr" => "French",
        "es" => "Spanish",
        "pt" => "Portuguese",
        "it" => "Italian",
        "nl" => "Dutch",
        "pl" => "Polish",
        _ => return tag.to_owned(),
    };
    if primary.len() == tag.len() {
        name.to_owned()
    } else {
        format!("{name} ({tag})")
    }
}

/// A rating average as shown: one decimal.
pub fn rating_label(average: f64) -> String {
    format!("{average:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_well() {
        assert_eq!(money(4900, "EUR"), "49.00 EUR");
        assert_eq!(money(5, "USD"), "0.05 USD");
        assert_eq!(price_label(Pricing::Free, 0, None), "Free");
        assert_eq!(price_label(Pricing::Paid, 1999, Some("EUR")), "19.99 EUR");
        assert_eq!(clock(7), "0:07");
        assert_eq!(clock(750), "12:30");
        assert_eq!(clock(3723), "1:02:03");
        assert_eq!(duration_label(0), "");
        assert_eq!(duration_label(12), "12 s");
        assert_eq!(duration_label(120), "2 min");
        assert_eq!(duration_label(3900), "1 h 5 min");
        assert_eq!(rating_label(4.25), "4.2");
        assert_eq!(language_label("en"), "English");
        assert_eq!(language_label("pt-BR"), "Portuguese (pt-BR)");
        assert_eq!(language_label("sw"), "sw");
        assert_eq!(level_label(CourseLevel::Beginner), "Beginner");
        assert_eq!(kind_label(LectureKind::Text), "Reading");
    }
}
