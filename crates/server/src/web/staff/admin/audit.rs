//! `/orgs/{org}/admin/audit`: the audit log with filters (action, actor's
//! email, date range), the verify button and the "Download JSON lines" link
//! (`.../admin/audit/export`, the current filters kept): the services of
//! `GET /api/v1/orgs/{org}/audit-log`, `.../audit-log/verify` and
//! `.../audit-log/export`. Verify answers an htmx request with the result
//! fragment, a plain request with the page.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeDelta};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::audit::AuditAction;
use invigil_domain::identity::Action;
use invigil_store::audit::Filter;
use invigil_store::identity::users;

use super::{AdminLink, links};
use crate::audit::export::{export_log, jsonl_response};
use crate::audit::routes::{AuditQuery, VerifyView, audit_page, verify_chain};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::web::errors::error_page;
use crate::web::staff::{Pager, Section, Staff, is_htmx};
use crate::web::{Layout, when};

const PATH: &str = "/admin/audit";

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub cursor: Option<String>,
}

impl Filters {
    /// The filters as a query string (for the pager), without the cursor.
    fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("action", self.action.as_str()),
            ("actor", self.actor.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[derive(Debug)]
pub struct EntryRow {
    pub seq: i64,
    pub when: String,
    pub when_sort: String,
    pub actor: String,
    pub action: String,
    pub resource: String,
    /// The details' first words, and all of them when longer.
    pub details: String,
    pub details_more: Option<String>,
    pub ip: String,
}

/// The verify button's result, in words.
#[derive(Debug)]
pub struct VerifyResult {
    pub ok: bool,
    pub headline: String,
    pub detail: String,
}

impl VerifyResult {
    fn of(v: &VerifyView) -> VerifyResult {
        match &v.first_broken {
            None => VerifyResult {
                ok: true,
                headline: "The audit chain is intact.".to_owned(),
                detail: format!(
                    "All {} entries match their hashes and link to the entry before them.",
                    v.entries
                ),
            },
            Some(b) => VerifyResult {
                ok: false,
                headline: format!("The audit chain is broken at entry {}.", b.seq),
                detail: format!(
                    "{} entries before it are intact. Entry {}: {}.{}",
                    v.entries,
                    b.seq,
                    b.reason,
                    b.id.map(|id| format!(" (entry id {id})"))
                        .unwrap_or_default()
                ),
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub filters: Filters,
    pub actions: Vec<&'static str>,
    pub filter_errors: Vec<String>,
    pub rows: Vec<EntryRow>,
    pub pager: Pager,
    pub verify_action: String,
    /// The JSON lines download of the filtered log.
    pub export_href: String,
    pub verify: Option<VerifyResult>,
    pub filtered: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/verify.html")]
pub struct VerifyFragment {
    pub verify: Option<VerifyResult>,
}

/// A `YYYY-MM-DD` date as the start of that day (UTC); `end` gives the
/// start of the next day (the range includes the whole `to` day).
fn day(
    value: &str,
    field: &str,
    end: bool,
    errors: &mut Vec<String>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => {
            let start = d.and_hms_opt(0, 0, 0)?.and_utc();
            Some(if end {
                start + TimeDelta::days(1)
            } else {
                start
            })
        }
        Err(_) => {
            errors.push(format!("The {field} date is not a date (YYYY-MM-DD)."));
            None
        }
    }
}

/// The details as compact JSON: the first 80 characters, and the whole
/// text (at most 2000 characters) when it is longer.
fn details_text(v: &serde_json::Value) -> (String, Option<String>) {
    let text = match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        other => other.to_string(),
    };
    if text.chars().count() <= 80 {
        return (text, None);
    }
    let short: String = text.chars().take(80).collect();
    let full: String = text.chars().take(2000).collect();
    (format!("{short}…"), Some(full))
}

/// The page's filters as the log's: an action not in the list or a date
/// that is not one gives a message (and no filter); an email nobody has
/// matches no entry (the nil id is nobody's).
async fn parse_filters(
    state: &AppState,
    filters: &Filters,
) -> Result<(Filter, Vec<String>), ApiError> {
    let mut filter_errors = Vec::new();
    let action = filters.action.trim();
    let action = if action.is_empty() {
        None
    } else if AuditAction::parse(action).is_some() {
        Some(action.to_owned())
    } else {
        filter_errors.push("Choose an action from the list.".to_owned());
        None
    };
    let from = day(&filters.from, "from", false, &mut filter_errors);
    let to = day(&filters.to, "to", true, &mut filter_errors);
    let actor_email = filters.actor.trim().to_ascii_lowercase();
    let actor = if actor_email.is_empty() {
        None
    } else {
        Some(
            users::by_email(state.db.read(), &actor_email)
                .await?
                .map_or(Uuid::nil(), |u| u.id),
        )
    };
    let filter = Filter {
        actor_id: actor,
        action,
        from,
        to,
        ..Filter::default()
    };
    Ok((filter, filter_errors))
}

async fn render(
    state: &AppState,
    staff: &Staff,
    filters: Filters,
    verify: Option<VerifyResult>,
) -> Result<AuditPage, ApiError> {
    let (filter, filter_errors) = parse_filters(state, &filters).await?;
    let cursor = filters.cursor.clone().filter(|c| !c.is_empty());
    let page = audit_page(
        state,
        &staff.ctx,
        AuditQuery {
            actor: filter.actor_id,
            action: filter.action,
            from: filter.from,
            to: filter.to,
            limit: Some(50),
            cursor: cursor.clone(),
            ..AuditQuery::default()
        },
    )
    .await?;
    let actor_ids: Vec<Uuid> = page.items.iter().filter_map(|e| e.actor_id).collect();
    let people: HashMap<Uuid, String> = users::by_ids(state.db.read(), actor_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let rows = page
        .items
        .iter()
        .map(|e| {
            let (details, details_more) = details_text(&e.details);
            EntryRow {
                seq: e.seq,
                when: when(e.created_at),
                when_sort: e.created_at.to_rfc3339(),
                actor: match e.actor_id {
                    None => "nobody signed in".to_owned(),
                    Some(id) => people.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                },
                action: e.action.clone(),
                resource: match &e.resource_id {
                    Some(id) => format!("{} {id}", e.resource_type),
                    None => e.resource_type.clone(),
                },
                details,
                details_more,
                ip: e.ip.clone().unwrap_or_default(),
            }
        })
        .collect();
    let query = filters.query();
    let base = if query.is_empty() {
        staff.href(PATH)
    } else {
        format!("{}?{query}", staff.href(PATH))
    };
    Ok(AuditPage {
        layout: staff.layout("Audit log", Section::Admin),
        links: links(staff, PATH),
        notice: None,
        actions: AuditAction::ALL.iter().map(|a| a.name()).collect(),
        filter_errors,
        rows,
        pager: Pager::new(&base, cursor.as_deref(), page.next_cursor.as_deref()),
        verify_action: staff.href(&format!("{PATH}/verify")),
        export_href: if query.is_empty() {
            staff.href(&format!("{PATH}/export"))
        } else {
            format!("{}?{query}", staff.href(&format!("{PATH}/export")))
        },
        verify,
        filtered: !query.is_empty(),
        filters,
    })
}

/// `GET /orgs/{org}/admin/audit`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(filters): Query<Filters>,
) -> Response {
    match render(&state, &staff, filters, None).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `GET /orgs/{org}/admin/audit/verify`: recomputes the chain; htmx gets
/// the result fragment, a plain request the page with the result.
pub async fn verify(State(state): State<AppState>, staff: Staff, headers: HeaderMap) -> Response {
    if !staff.may(Action::ReadAuditLog) {
        return error_page(&ApiError::Forbidden);
    }
    let result = match verify_chain(&state, &staff.ctx).await {
        Ok(v) => VerifyResult::of(&v),
        Err(e) => return error_page(&e),
    };
    if is_htmx(&headers) {
        return VerifyFragment {
            verify: Some(result),
        }
        .into_response();
    }
    match render(&state, &staff, Filters::default(), Some(result)).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `GET /orgs/{org}/admin/audit/export`: the log with the page's filters
/// as JSON lines (the API's export, audited the same way).
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(filters): Query<Filters>,
) -> Response {
    let filter = match parse_filters(&state, &filters).await {
        Ok((_, errors)) if !errors.is_empty() => {
            return error_page(&ApiError::BadRequest(errors.join(" ")));
        }
        Ok((filter, _)) => filter,
        Err(e) => return error_page(&e),
    };
    match export_log(&state, &staff.ctx, filter).await {
        Ok(body) => jsonl_response(&staff.ctx.org.slug, body),
        Err(e) => error_page(&e),
    }
}
