//! Student records (seed 003) as pages: `/orgs/{org}/records` (the cohort
//! with each exam type's score and the weighted composite, the weights
//! overridable by a form; `records.json` for the browser), a candidate's
//! record `/orgs/{org}/candidates/{user}/record` (sessions and results
//! recorded outside Invigil per exam type, the composite in words, the
//! form that records a result and the buttons that delete one) and the
//! CSV import `/orgs/{org}/records/import`. The handlers call the services
//! of `crate::records` after the API's checks: reading records is
//! `ReadReports` (organization-wide), recording results `ManageEnrollments`;
//! someone with only the second sees the candidates without any score.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::review::IntegrityStatus;
use invigil_store::exams::{self as exam_store, ExamType};

use super::upload::UploadForm;
use super::{Pager, Section, Staff};
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError, LineError};
use crate::http::page::PageQuery;
use crate::records::external::{self, ExternalBody, ExternalResultView};
use crate::records::import;
use crate::records::record::{self, RecordCandidate, StudentRecord};
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::{FormErrors, error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;

/// Candidates per page of the cohort table.
const PAGE_SIZE: u64 = 50;

/// The pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/records", get(cohort_page))
        .route("/orgs/{org}/records.json", get(cohort_json))
        .route(
            "/orgs/{org}/records/import",
            get(import_form)
                .post(import_upload)
                .layer(DefaultBodyLimit::max(crate::http::IMPORT_BODY_LIMIT)),
        )
        .route("/orgs/{org}/candidates/{user}/record", get(record_page))
        .route(
            "/orgs/{org}/candidates/{user}/external-results",
            post(add_external),
        )
        .route(
            "/orgs/{org}/candidates/{user}/external-results/{id}/delete",
            post(delete_external),
        )
}

// ---- shared words

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into())
}

fn sort_pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.4}")).unwrap_or_else(|| "-1".into())
}

fn num(x: f64) -> String {
    let s = format!("{x}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

fn passed_words(p: Option<bool>) -> (&'static str, &'static str) {
    match p {
        Some(true) => ("Passed", "badge ok"),
        Some(false) => ("Not passed", "badge bad"),
        None => ("—", "badge muted"),
    }
}

fn integrity_words(s: IntegrityStatus) -> (&'static str, &'static str) {
    match s {
        IntegrityStatus::Clean => ("Clean", "badge ok"),
        IntegrityStatus::Flagged => ("Flagged", "badge warn"),
        IntegrityStatus::UnderReview => ("Under review", "badge warn"),
        IntegrityStatus::Cleared => ("Cleared", "badge ok"),
        IntegrityStatus::ViolationConfirmed => ("Violation confirmed", "badge bad"),
    }
}

/// "A", "A and B", "A, B and C".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The composite in words: "85.0 % from QUIZ and STEP1; SHELF has no
/// result yet".
pub fn composite_words(r: &StudentRecord) -> String {
    let from: Vec<String> = r
        .types
        .iter()
        .filter(|t| t.weight > 0.0 && t.percent.is_some())
        .map(|t| t.exam_type.code.clone())
        .collect();
    let missing = &r.composite.missing;
    let head = match r.composite.percent {
        Some(p) => format!("{p:.1} % from {}", and_list(&from)),
        None => "No composite yet: no exam type with a weight has a result".to_owned(),
    };
    match missing.len() {
        0 if r.composite.percent.is_some() => {
            format!("{head}; every exam type with a weight has a result.")
        }
        0 => format!("{head}."),
        1 => format!("{head}; {} has no result yet.", missing[0]),
        _ => format!("{head}; {} have no result yet.", and_list(missing)),
    }
}

/// The caller's standing for these pages: `(reads records, records results)`.
fn standing(staff: &Staff) -> (Option<Authorized>, Option<Authorized>) {
    (
        staff.ctx.authorize(Action::ReadReports).ok(),
        staff.ctx.authorize(Action::ManageEnrollments).ok(),
    )
}

/// 403 unless the caller reads records or records results.
fn either(
    reads: &Option<Authorized>,
    manages: &Option<Authorized>,
) -> Result<Authorized, ApiError> {
    reads
        .clone()
        .or_else(|| manages.clone())
        .ok_or(ApiError::Forbidden)
}

// ---- the cohort

/// One weight input of the form.
#[derive(Debug)]
pub struct WeightInput {
    pub code: String,
    pub name: String,
    pub input: String,
    pub value: String,
    pub default: String,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct Cell {
    pub text: String,
    pub sort: String,
}

#[derive(Debug)]
pub struct CohortRow {
    pub href: String,
    pub name: String,
    pub email: String,
    pub student_number: String,
    pub class_year: String,
    pub cells: Vec<Cell>,
    pub composite: String,
    pub composite_sort: String,
    pub incomplete: bool,
    pub missing: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/records.html")]
pub struct CohortPage {
    pub layout: Layout,
    pub scores: bool,
    pub manage: bool,
    pub action: String,
    pub import_href: String,
    pub json_href: String,
    pub weights: Vec<WeightInput>,
    pub weights_error: Option<String>,
    pub overridden: bool,
    pub rows: Vec<CohortRow>,
    pub pager: Pager,
}

/// The weights override of a query: `weights=CODE:W,...` as the API takes
/// it, or one field per type (`w_STEP1=0.5`) from the form; a field that is
/// not a number is an error on that field. `None` when nothing overrides.
fn weights_of_query(
    types: &[ExamType],
    q: &HashMap<String, String>,
) -> (Option<String>, Vec<FieldError>) {
    if let Some(w) = q.get("weights").filter(|w| !w.trim().is_empty()) {
        return (Some(w.clone()), Vec::new());
    }
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    for t in types {
        let input = format!("w_{}", t.code);
        let Some(v) = q.get(&input).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        match v.parse::<f64>() {
            Ok(w)
                if w.is_finite()
                    && (0.0..=invigil_domain::reports::composite::MAX_WEIGHT).contains(&w) =>
            {
                parts.push(format!("{}:{}", t.code, num(w)));
            }
            _ => errors.push(FieldError::new(
                input,
                format!(
                    "Enter a weight from 0 to {}.",
                    num(invigil_domain::reports::composite::MAX_WEIGHT)
                ),
            )),
        }
    }
    // Only an override when some weight differs from its default.
    let differs = types.iter().any(|t| {
        q.get(&format!("w_{}", t.code))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .is_some_and(|w| w != t.default_weight)
    });
    if parts.is_empty() || !differs {
        (None, errors)
    } else {
        (Some(parts.join(",")), errors)
    }
}

/// `GET /orgs/{org}/records[?weights=..|w_CODE=..][&cursor=..]`.
pub async fn cohort_page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match cohort(&state, &staff, &q).await {
        Ok((page, status)) => (status, page).into_response(),
        Err(e) => error_page(&e),
    }
}

async fn cohort(
    state: &AppState,
    staff: &Staff,
    q: &HashMap<String, String>,
) -> Result<(CohortPage, StatusCode), ApiError> {
    let (reads, manages) = standing(staff);
    let auth = either(&reads, &manages)?;
    let types = exam_store::exam_types_of_org(state.db.read(), auth.org_id).await?;
    let cursor = q.get("cursor").filter(|c| !c.is_empty()).cloned();
    let keyset = PageQuery {
        limit: Some(PAGE_SIZE),
        cursor: cursor.clone(),
    }
    .keyset()?;
    let base = staff.href("/records");
    let mut status = StatusCode::OK;
    let (mut weights, mut field_errors) = weights_of_query(&types, q);
    let mut weights_error = None;
    if reads.is_some()
        && let Some(w) = &weights
        && let Err(e) = record::weights_for(&types, Some(w))
    {
        weights_error = Some(match e {
            ApiError::Validation(list) => list
                .into_iter()
                .map(|f| sentence(&f.message))
                .collect::<Vec<_>>()
                .join(" "),
            other => return Err(other),
        });
        weights = None;
    }
    if !field_errors.is_empty() || weights_error.is_some() {
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    let used: HashMap<String, f64> = weights
        .as_deref()
        .and_then(|w| invigil_domain::reports::composite::parse_weights(w).ok())
        .unwrap_or_default()
        .into_iter()
        .collect();
    let weight_inputs = types
        .iter()
        .map(|t| {
            let input = format!("w_{}", t.code);
            let error = field_errors
                .iter()
                .position(|f| f.field == input)
                .map(|i| field_errors.remove(i).message);
            let value = match (&error, q.get(&input)) {
                (Some(_), Some(typed)) => typed.clone(),
                _ => num(used.get(&t.code).copied().unwrap_or(t.default_weight)),
            };
            WeightInput {
                code: t.code.clone(),
                name: t.name.clone(),
                input,
                value,
                default: num(t.default_weight),
                error,
            }
        })
        .collect();
    let with_weights = match &weights {
        Some(w) => format!(
            "{base}?{}",
            serde_urlencoded::to_string([("weights", w)]).unwrap_or_default()
        ),
        None => base.clone(),
    };
    let record_href = |id: Uuid| match &weights {
        Some(w) => format!(
            "{}?{}",
            staff.href(&format!("/candidates/{id}/record")),
            serde_urlencoded::to_string([("weights", w)]).unwrap_or_default()
        ),
        None => staff.href(&format!("/candidates/{id}/record")),
    };
    let (rows, next) = if let Some(auth) = &reads {
        let page = record::cohort(state, auth, keyset, weights.as_deref()).await?;
        let rows = page
            .items
            .iter()
            .map(|r| {
                let mut row = person_row(&r.candidate, record_href(r.candidate.id));
                row.cells = r
                    .types
                    .iter()
                    .map(|t| Cell {
                        text: pct(t.percent),
                        sort: sort_pct(t.percent),
                    })
                    .collect();
                row.composite = pct(r.composite.percent);
                row.composite_sort = sort_pct(r.composite.percent);
                row.incomplete = !r.composite.complete;
                row.missing = r.composite.missing.join(", ");
                row
            })
            .collect();
        (rows, page.next_cursor)
    } else {
        let page = record::roster(state, &auth, keyset).await?;
        let rows = page
            .items
            .iter()
            .map(|c| person_row(c, record_href(c.id)))
            .collect();
        (rows, page.next_cursor)
    };
    let json_href = match &weights {
        Some(w) => format!(
            "{}?{}",
            staff.href("/records.json"),
            serde_urlencoded::to_string([("weights", w)]).unwrap_or_default()
        ),
        None => staff.href("/records.json"),
    };
    Ok((
        CohortPage {
            layout: staff.layout("Student records", Section::Records),
            scores: reads.is_some(),
            manage: manages.is_some(),
            action: base,
            import_href: staff.href("/records/import"),
            json_href,
            weights: weight_inputs,
            weights_error,
            overridden: weights.is_some(),
            rows,
            pager: Pager::new(&with_weights, cursor.as_deref(), next.as_deref()),
        },
        status,
    ))
}

fn person_row(c: &RecordCandidate, href: String) -> CohortRow {
    CohortRow {
        href,
        name: c.name.clone(),
        email: c.email.clone(),
        student_number: c.student_number.clone().unwrap_or_default(),
        class_year: c.class_year.map(|y| y.to_string()).unwrap_or_default(),
        cells: Vec::new(),
        composite: String::new(),
        composite_sort: String::new(),
        incomplete: false,
        missing: String::new(),
    }
}

/// `GET /orgs/{org}/records.json`: the page of records the API's
/// `GET /orgs/{org}/student-records` answers, for the signed-in browser.
pub async fn cohort_json(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let data = async {
        let auth = staff.ctx.authorize(Action::ReadReports)?;
        let keyset = PageQuery {
            limit: Some(PAGE_SIZE),
            cursor: q.get("cursor").cloned(),
        }
        .keyset()?;
        record::cohort(&state, &auth, keyset, q.get("weights").map(String::as_str)).await
    };
    match data.await {
        Ok(d) => (
            [(
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"student-records.json\"",
            )],
            Json(d),
        )
            .into_response(),
        Err(e) => error_page(&e),
    }
}

// ---- one candidate's record

#[derive(Debug)]
pub struct InternalRow {
    pub title: String,
    pub attempt: i32,
    pub score: String,
    pub percent: String,
    pub passed: &'static str,
    pub passed_badge: &'static str,
    pub integrity: &'static str,
    pub integrity_badge: &'static str,
    pub counts: bool,
}

#[derive(Debug)]
pub struct ExternalRow {
    pub taken_on: String,
    pub score: String,
    pub percent: String,
    pub passed: &'static str,
    pub passed_badge: &'static str,
    pub source: String,
    pub notes: String,
    pub delete: String,
}

#[derive(Debug)]
pub struct TypeCard {
    pub code: String,
    pub name: String,
    pub weight: String,
    pub percent: String,
    pub internal: Vec<InternalRow>,
    pub external: Vec<ExternalRow>,
}

/// The add-a-result form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ExternalForm {
    #[serde(default)]
    pub exam_type_id: String,
    #[serde(default)]
    pub score: String,
    #[serde(default)]
    pub max_score: String,
    #[serde(default)]
    pub passed: String,
    #[serde(default)]
    pub taken_on: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug)]
pub struct TypeOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/records_candidate.html")]
pub struct RecordPage {
    pub layout: Layout,
    pub records_href: String,
    pub candidate: RecordCandidate,
    pub scores: bool,
    pub manage: bool,
    pub types: Vec<TypeCard>,
    pub composite: String,
    pub composite_words: String,
    pub action: String,
    pub form: ExternalForm,
    pub errors: FormErrors,
    pub type_options: Vec<TypeOption>,
    pub today: String,
    pub added: bool,
    /// The report's weights when they override the defaults, and the link
    /// to the record with the defaults.
    pub weights: Option<String>,
    pub defaults_href: String,
}

#[derive(Debug, Deserialize)]
pub struct RecordQuery {
    pub weights: Option<String>,
    pub done: Option<String>,
}

fn external_row(staff: &Staff, user: Uuid, r: &ExternalResultView, manage: bool) -> ExternalRow {
    let (passed, passed_badge) = passed_words(r.passed);
    ExternalRow {
        taken_on: r.taken_on.format("%-d %b %Y").to_string(),
        score: match (r.score, r.max_score) {
            (Some(s), Some(m)) => format!("{} / {}", num(s), num(m)),
            _ => "—".into(),
        },
        percent: pct(r.percent),
        passed,
        passed_badge,
        source: r.source.clone(),
        notes: r.notes.clone().unwrap_or_default(),
        delete: if manage {
            staff.href(&format!(
                "/candidates/{user}/external-results/{}/delete",
                r.id
            ))
        } else {
            String::new()
        },
    }
}

async fn record_view(
    state: &AppState,
    staff: &Staff,
    user: Uuid,
    weights: Option<&str>,
    form: Option<ExternalForm>,
    errors: FormErrors,
) -> Result<RecordPage, ApiError> {
    let (reads, manages) = standing(staff);
    let auth = either(&reads, &manages)?;
    let types = exam_store::exam_types_of_org(state.db.read(), auth.org_id).await?;
    let manage = manages.is_some();
    let (candidate, cards, composite, words) = if let Some(reads) = &reads {
        let r = record::record(state, reads, user, weights).await?;
        let cards = r
            .types
            .iter()
            .map(|t| TypeCard {
                code: t.exam_type.code.clone(),
                name: t.exam_type.name.clone(),
                weight: num(t.weight),
                percent: pct(t.percent),
                internal: t
                    .internal
                    .iter()
                    .map(|s| {
                        let (passed, passed_badge) = passed_words(s.passed);
                        let (integrity, integrity_badge) = integrity_words(s.integrity);
                        InternalRow {
                            title: s.exam_title.clone(),
                            attempt: s.attempt,
                            score: s
                                .final_score
                                .map(|f| format!("{} / {}", num(f), num(s.max_score)))
                                .unwrap_or_else(|| "—".into()),
                            percent: pct(s.percent),
                            passed,
                            passed_badge,
                            integrity,
                            integrity_badge,
                            counts: s.counts,
                        }
                    })
                    .collect(),
                external: t
                    .external
                    .iter()
                    .map(|x| external_row(staff, user, x, manage))
                    .collect(),
            })
            .collect();
        let words = composite_words(&r);
        (r.candidate.clone(), cards, pct(r.composite.percent), words)
    } else {
        // Recording results without reading reports: the candidate and the
        // results recorded outside Invigil only (the external list's rule).
        let manages = manages.as_ref().ok_or(ApiError::NotFound)?;
        let list = external::list(
            state,
            manages,
            user,
            PageQuery {
                limit: Some(100),
                cursor: None,
            }
            .keyset()?,
        )
        .await?;
        let candidate = record::candidates_of(state, manages, &[user])
            .await?
            .pop()
            .ok_or(ApiError::NotFound)?;
        let cards = types
            .iter()
            .map(|t| TypeCard {
                code: t.code.clone(),
                name: t.name.clone(),
                weight: num(t.default_weight),
                percent: String::new(),
                internal: Vec::new(),
                external: list
                    .items
                    .iter()
                    .filter(|x| x.exam_type_id == t.id)
                    .map(|x| external_row(staff, user, x, manage))
                    .collect(),
            })
            .collect();
        (candidate, cards, String::new(), String::new())
    };
    let form = form.unwrap_or_default();
    let type_options = types
        .iter()
        .map(|t| TypeOption {
            id: t.id.to_string(),
            label: format!("{} — {}", t.code, t.name),
            selected: form.exam_type_id == t.id.to_string(),
        })
        .collect();
    Ok(RecordPage {
        layout: staff.layout(&format!("Record · {}", candidate.name), Section::Records),
        records_href: staff.href("/records"),
        action: staff.href(&format!("/candidates/{user}/external-results")),
        candidate,
        scores: reads.is_some(),
        manage,
        types: cards,
        composite,
        composite_words: words,
        form,
        errors,
        type_options,
        today: state.now().date_naive().format("%Y-%m-%d").to_string(),
        added: false,
        weights: weights.filter(|_| reads.is_some()).map(str::to_owned),
        defaults_href: staff.href(&format!("/candidates/{user}/record")),
    })
}

/// `GET /orgs/{org}/candidates/{user}/record[?weights=..]`.
pub async fn record_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, user)): Path<(String, String)>,
    Query(q): Query<RecordQuery>,
) -> Response {
    let Ok(user) = user.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let weights = q.weights.as_deref().filter(|w| !w.trim().is_empty());
    match record_view(&state, &staff, user, weights, None, FormErrors::default()).await {
        Ok(mut p) => {
            p.added = q.done.as_deref() == Some("added");
            p.into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// The form's values as the service's body; a number or choice that cannot
/// be read is an error on its field.
fn body_of(f: &ExternalForm) -> Result<ExternalBody, Vec<FieldError>> {
    let mut errors = Vec::new();
    let exam_type_id = match f.exam_type_id.trim().parse::<Uuid>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push(FieldError::new("exam_type_id", "Choose an exam type."));
            None
        }
    };
    let mut number = |field: &str, v: &str| -> Option<f64> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                errors.push(FieldError::new(field, "Enter a number, or leave it empty."));
                None
            }
        }
    };
    let score = number("score", &f.score);
    let max_score = number("max_score", &f.max_score);
    let passed = match f.passed.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        "" => None,
        _ => {
            errors.push(FieldError::new(
                "passed",
                "Choose passed, not passed or not reported.",
            ));
            None
        }
    };
    match exam_type_id {
        Some(exam_type_id) if errors.is_empty() => Ok(ExternalBody {
            exam_type_id,
            score,
            max_score,
            passed,
            taken_on: f.taken_on.clone(),
            source: f.source.clone(),
            notes: Some(f.notes.clone()).filter(|n| !n.trim().is_empty()),
        }),
        _ => Err(errors),
    }
}

const FIELDS: [&str; 7] = [
    "exam_type_id",
    "score",
    "max_score",
    "passed",
    "taken_on",
    "source",
    "notes",
];

/// `POST /orgs/{org}/candidates/{user}/external-results`: record a result.
pub async fn add_external(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, user)): Path<(String, String)>,
    form: WebForm<ExternalForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Ok(user) = user.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let auth = match staff.ctx.authorize(Action::ManageEnrollments) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let result = match body_of(&form.value) {
        Err(fields) => Err(ApiError::Validation(fields)),
        Ok(body) => external::create(&state, &auth, user, body).await,
    };
    let errors = match result {
        Ok(_) => {
            return see_other(&staff.href(&format!("/candidates/{user}/record?done=added")));
        }
        Err(ApiError::Validation(list)) => {
            let mut errors = FormErrors::default();
            for f in list {
                if FIELDS.contains(&f.field.as_str()) {
                    errors
                        .fields
                        .push(FieldError::new(f.field, sentence(&f.message)));
                } else {
                    errors
                        .general
                        .push(sentence(&format!("{}: {}", f.field, f.message)));
                }
            }
            errors
        }
        Err(ApiError::Conflict { detail, .. }) => FormErrors::general(sentence(&detail)),
        Err(e) => return error_page(&e),
    };
    match record_view(&state, &staff, user, None, Some(form.value), errors).await {
        Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// `POST /orgs/{org}/candidates/{user}/external-results/{id}/delete`.
pub async fn delete_external(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, user, id)): Path<(String, String, String)>,
    form: WebForm<Nothing>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (Ok(user), Ok(id)) = (user.parse::<Uuid>(), id.parse::<Uuid>()) else {
        return error_page(&ApiError::NotFound);
    };
    let done = async {
        let auth = staff.ctx.authorize(Action::ManageEnrollments)?;
        external::delete(&state, &auth, id).await
    };
    match done.await {
        Ok(()) => see_other(&staff.href(&format!("/candidates/{user}/record"))),
        Err(e) => error_page(&e),
    }
}

// ---- the CSV import

/// The header and an example line of the CSV, shown on the page.
pub const CSV_HEADER: &str = "email,exam_type_code,score,max_score,passed,taken_on,source,notes";
pub const CSV_EXAMPLE: &str =
    "candidate@example.org,STEP1,238,300,true,2026-06-01,NBME transcript,first attempt";

#[derive(Debug)]
pub struct ImportOutcome {
    pub created: u64,
    pub updated: u64,
    pub written: bool,
    pub errors: Vec<LineError>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/records_import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub records_href: String,
    pub action: String,
    pub header: &'static str,
    pub example: &'static str,
    pub text: String,
    pub partial: bool,
    pub errors: FormErrors,
    pub outcome: Option<ImportOutcome>,
}

fn import_page(staff: &Staff) -> Result<ImportPage, ApiError> {
    let _ = staff.ctx.authorize(Action::ManageEnrollments)?;
    Ok(ImportPage {
        layout: staff.layout("Import external results", Section::Records),
        records_href: staff.href("/records"),
        action: staff.href("/records/import"),
        header: CSV_HEADER,
        example: CSV_EXAMPLE,
        text: String::new(),
        partial: false,
        errors: FormErrors::default(),
        outcome: None,
    })
}

/// `GET /orgs/{org}/records/import`.
pub async fn import_form(staff: Staff) -> Response {
    match import_page(&staff) {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/records/import`: a CSV file (or pasted text), and
/// `partial` to import the good lines when some are bad.
pub async fn import_upload(
    State(state): State<AppState>,
    staff: Staff,
    form: UploadForm,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let mut page = match import_page(&staff) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let Ok(auth) = staff.ctx.authorize(Action::ManageEnrollments) else {
        return error_page(&ApiError::Forbidden);
    };
    let partial = matches!(form.text("partial").as_str(), "on" | "true" | "1");
    page.partial = partial;
    let (text, unreadable) = match form.file("file") {
        Some(file) => match String::from_utf8(file.data.clone()) {
            Ok(t) => (t, false),
            Err(_) => (String::new(), true),
        },
        None => (form.text("text"), false),
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    if unreadable {
        page.errors.fields.push(FieldError::new(
            "file",
            "The file must be UTF-8 text (a CSV).",
        ));
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    }
    if text.trim().is_empty() {
        page.errors.fields.push(FieldError::new(
            "text",
            "Choose a CSV file or paste its lines.",
        ));
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    }
    let result = import::import(&state, &auth, &text, partial).await;
    if form.file("file").is_none() {
        page.text = text;
    }
    let outcome = match result {
        Ok(r) => ImportOutcome {
            created: r.created,
            updated: r.updated,
            written: true,
            errors: r.errors,
        },
        Err(ApiError::LineValidation(errors)) => ImportOutcome {
            created: 0,
            updated: 0,
            written: false,
            errors,
        },
        Err(ApiError::Validation(list)) => {
            page.errors.general = list.into_iter().map(|f| sentence(&f.message)).collect();
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
        Err(e) => return error_page(&e),
    };
    let status = if outcome.written {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.outcome = Some(outcome);
    (status, page).into_response()
}

#[cfg(test)]
mod tests {
    use super::and_list;

    #[test]
    fn lists_read_as_words() {
        assert_eq!(and_list(&[]), "");
        assert_eq!(and_list(&["A".into()]), "A");
        assert_eq!(
            and_list(&["A".into(), "B".into(), "C".into()]),
            "A, B and C"
        );
    }
}
