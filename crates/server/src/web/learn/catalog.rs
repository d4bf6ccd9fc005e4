//! `/courses`: "My courses" (the service of `GET /me/courses`: progress and
//! a Continue link to the lecture to open next) and the catalog of the
//! published courses of every organization the person belongs to, filtered
//! by category and a search in titles and descriptions.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::courses::CourseEnrollmentStatus;
use invigil_domain::identity::MemberStatus;
use invigil_store::{Keyset, courses as store, tenancy};

use super::super::Layout;
use super::super::errors::error_page;
use super::super::session::SignedIn;
use super::{course_href, level_label, price_label, rating_label};
use crate::authz::OrgCtx;
use crate::courses::access::{Caller, READERS};
use crate::courses::course::CourseQuery;
use crate::courses::{catalog, course, learn};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Courses and categories read per organization (the catalog's page size).
const PER_ORG: u64 = 100;

#[derive(Debug)]
pub struct MyRow {
    pub title: String,
    pub org_name: String,
    pub href: String,
    /// The lecture to open next, with its title.
    pub next: Option<(String, String)>,
    pub percent: i32,
    pub done: u64,
    pub total: u64,
    pub status: &'static str,
}

#[derive(Debug)]
pub struct Card {
    pub id: Uuid,
    pub href: String,
    pub title: String,
    pub org_name: String,
    pub summary: String,
    pub level: &'static str,
    pub language: String,
    pub price: String,
    pub free: bool,
    pub rating: Option<String>,
    pub rating_count: usize,
    pub category: Option<String>,
    pub enrolled: bool,
}

#[derive(Debug)]
pub struct CategoryOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "learn/catalog.html")]
pub struct CatalogPage {
    pub layout: Layout,
    pub my: Vec<MyRow>,
    pub cards: Vec<Card>,
    pub categories: Vec<CategoryOption>,
    pub q: String,
    pub filtered: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct CatalogQuery {
    pub q: Option<String>,
    pub category: Option<String>,
}

/// Plain text of a Markdown description, cut to about `max` characters.
fn summary(markdown: &str, max: usize) -> String {
    let plain: String = markdown
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '#' | '`' | '>' | '[' | ']'))
        .collect();
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.chars().count() <= max {
        return plain;
    }
    let cut: String = plain.chars().take(max).collect();
    match cut.rsplit_once(' ') {
        Some((head, _)) => format!("{head}…"),
        None => format!("{cut}…"),
    }
}

fn status_label(s: CourseEnrollmentStatus) -> &'static str {
    match s {
        CourseEnrollmentStatus::Active => "In progress",
        CourseEnrollmentStatus::Completed => "Completed",
        CourseEnrollmentStatus::Dropped => "Left",
        CourseEnrollmentStatus::Expired => "Expired",
    }
}

/// `GET /courses`.
pub async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<CatalogQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    match build(&state, &signed_in, q).await {
        Ok(page) => page.into_response(),
        Err(e) => error_page(&e),
    }
}

async fn build(
    state: &AppState,
    signed_in: &SignedIn,
    q: CatalogQuery,
) -> Result<CatalogPage, ApiError> {
    let user = &signed_in.user;
    let mine = learn::my_courses(state, user, Keyset::new(None, PER_ORG)).await?;
    let enrolled: HashMap<Uuid, bool> = mine
        .items
        .iter()
        .map(|m| {
            let active = matches!(
                m.enrollment.status,
                CourseEnrollmentStatus::Active | CourseEnrollmentStatus::Completed
            );
            (m.course_id, active)
        })
        .collect();
    let my = mine
        .items
        .iter()
        .filter(|m| m.enrollment.status != CourseEnrollmentStatus::Dropped)
        .map(|m| MyRow {
            title: m.title.clone(),
            org_name: m.org_name.clone(),
            href: course_href(&m.org, m.course_id, ""),
            next: m.next_lecture_id.map(|l| {
                (
                    course_href(&m.org, m.course_id, &format!("/lectures/{l}")),
                    m.next_lecture_title.clone().unwrap_or_default(),
                )
            }),
            percent: m.enrollment.progress_percent.clamp(0, 100),
            done: m.lectures_completed,
            total: m.lectures_total,
            status: status_label(m.enrollment.status),
        })
        .collect();

    let needle =
        q.q.as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_lowercase();
    let wanted: Option<Uuid> = q
        .category
        .as_deref()
        .filter(|c| !c.is_empty())
        .and_then(|c| c.parse().ok());
    let mut cards = Vec::new();
    let mut categories = Vec::new();
    let db = state.db.read();
    for (member, org) in tenancy::memberships_of(db, user.id()).await? {
        if member.status != MemberStatus::Active {
            continue;
        }
        let Ok(ctx) = OrgCtx::resolve(state, user.clone(), &org.slug).await else {
            continue;
        };
        let Ok(caller) = Caller::of(&ctx, READERS) else {
            continue;
        };
        let cats = catalog::list(state, &caller, Keyset::new(None, PER_ORG)).await?;
        let names: HashMap<Uuid, String> =
            cats.items.iter().map(|c| (c.id, c.name.clone())).collect();
        for c in &cats.items {
            categories.push(CategoryOption {
                value: c.id.to_string(),
                label: format!("{} — {}", c.name, org.name),
                selected: wanted == Some(c.id),
            });
        }
        let query = CourseQuery {
            limit: None,
            cursor: None,
            category_id: wanted,
            deleted: false,
        };
        // Learners see the published catalog; staff reading here see the
        // published courses too (their drafts are in the editor).
        let list = course::list(state, &caller, &query, Keyset::new(None, PER_ORG)).await?;
        for c in list
            .items
            .into_iter()
            .filter(|c| c.status == invigil_domain::courses::CourseStatus::Published)
        {
            if !needle.is_empty()
                && !c.title.to_lowercase().contains(&needle)
                && !c.description.to_lowercase().contains(&needle)
            {
                continue;
            }
            let ratings = store::visible_ratings(db, org.id, c.id).await?;
            let rating = (!ratings.is_empty()).then(|| {
                let sum: i64 = ratings.iter().map(|r| i64::from(*r)).sum();
                rating_label(sum as f64 / ratings.len() as f64)
            });
            cards.push(Card {
                id: c.id,
                href: course_href(&org.slug, c.id, ""),
                title: c.title.clone(),
                org_name: org.name.clone(),
                summary: summary(&c.description, 180),
                level: level_label(c.level),
                language: super::language_label(&c.language),
                price: price_label(c.pricing, c.price_minor, c.currency.as_deref()),
                free: c.pricing == invigil_domain::courses::Pricing::Free,
                rating,
                rating_count: ratings.len(),
                category: c.category_id.and_then(|id| names.get(&id).cloned()),
                enrolled: enrolled.get(&c.id).copied().unwrap_or(false),
            });
        }
    }
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    Ok(CatalogPage {
        layout: Layout::for_visitor("Courses", &signed_in.visitor, &csrf),
        my,
        cards,
        categories,
        filtered: !needle.is_empty() || wanted.is_some(),
        q: q.q.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn summaries_are_plain_and_short() {
        assert_eq!(super::summary("A **bold** _idea_", 50), "A bold idea");
        assert_eq!(super::summary("one two three four", 9), "one two…");
    }
}
