//! Question banks in the console (Section::Banks): the list (with the
//! create form and a status filter; QA's `?status=IN_REVIEW`), a bank's
//! page (questions, the review workflow's buttons by status and role,
//! export, what changed since the last review), and the import of GIFT,
//! Aiken or CSV text with the line errors shown at their lines. The
//! question editor and the version diff are in [`super::questions`].
//!
//! Every handler calls the API's handler or service for the same action
//! (`content::routes`, `content::banks`, `content::transfer`), after the
//! same checks, so the pages can do exactly what the API lets the person do.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::content::BankStatus;
use invigil_domain::identity::{Action, Visibility};
use invigil_store::content as store;
use invigil_store::tenancy;

use super::upload::UploadForm;
use super::{Pager, Section, Staff, is_htmx};
use crate::content::banks::{self as bank_service, BankStep, CreateBankBody};
use crate::content::routes::{self as api, BankListQuery, QuestionListQuery};
use crate::content::transfer;
use crate::content::views::{BankView, QuestionView};
use crate::http::error::{ApiError, LineError};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::web::errors::{FormErrors, error_page, form_error};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

/// A path id (`None`: answer the 404 page, [`not_found`]).
pub(super) fn path_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}

/// The 404 page.
pub(super) fn not_found() -> Response {
    error_page(&ApiError::NotFound)
}

/// How a status reads, and its badge.
pub(super) fn status_label(s: BankStatus) -> (&'static str, &'static str) {
    match s {
        BankStatus::Draft => ("Draft", "badge muted"),
        BankStatus::InReview => ("In review", "badge warn"),
        BankStatus::Approved => ("Approved", "badge ok"),
        BankStatus::Rejected => ("Rejected", "badge bad"),
        BankStatus::Archived => ("Archived", "badge muted"),
    }
}

/// How a question type reads.
pub(super) fn type_label(name: &str) -> &'static str {
    match name {
        "single_choice" => "Single choice",
        "multiple_select" => "Multiple select",
        "true_false" => "True or false",
        "short_answer" => "Short answer",
        "numeric" => "Numeric",
        "fill_blank" => "Fill in the blanks",
        "essay" => "Essay",
        _ => "Unknown",
    }
}

/// The first `max` characters of `text` on one line.
pub(super) fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut s: String = flat.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// The bank of the path as the API reads it (ReadContent on its department).
pub(super) async fn read_bank(
    state: &AppState,
    staff: &Staff,
    bank: Uuid,
) -> Result<BankView, ApiError> {
    let Json(b) = api::get_bank(
        State(state.clone()),
        staff.ctx.clone(),
        ApiPath((staff.slug().to_owned(), bank)),
    )
    .await?;
    Ok(b)
}

// ---- the list

#[derive(Debug)]
pub struct BankRow {
    pub href: String,
    pub title: String,
    pub description: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub status_key: &'static str,
    pub updated: String,
    pub updated_sort: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/banks.html")]
pub struct BanksPage {
    pub layout: Layout,
    pub action: String,
    pub banks: Vec<BankRow>,
    pub pager: Pager,
    /// The status filter (`""` for all).
    pub status: String,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub may_create: bool,
    pub in_review_view: bool,
    pub title: String,
    pub description: String,
    /// Where a new bank may go: (id, name) of departments; `org_wide` when
    /// it may also belong to the whole organization (no department).
    pub departments: Vec<(String, String)>,
    pub org_wide: bool,
    pub department: String,
    pub errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    pub cursor: Option<String>,
}

const STATUSES: [(&str, &str); 5] = [
    ("DRAFT", "Draft"),
    ("IN_REVIEW", "In review"),
    ("APPROVED", "Approved"),
    ("REJECTED", "Rejected"),
    ("ARCHIVED", "Archived"),
];

async fn banks_page(
    state: &AppState,
    staff: &Staff,
    q: ListQuery,
    form: &NewBankForm,
    errors: FormErrors,
) -> Result<BanksPage, ApiError> {
    let (org_wide, allowed) = match staff.ctx.visibility(Action::AuthorContent) {
        Visibility::All => (true, None),
        Visibility::Departments(ids) => (false, Some(ids)),
        Visibility::Nothing => (false, Some(Vec::new())),
    };
    let departments = if allowed.as_ref().is_some_and(Vec::is_empty) {
        Vec::new()
    } else {
        tenancy::list_departments(state.db.read(), staff.ctx.org_id())
            .await?
            .into_iter()
            .filter(|d| allowed.as_ref().is_none_or(|ids| ids.contains(&d.id)))
            .map(|d| (d.id.to_string(), d.name))
            .collect()
    };
    let status = q.status.trim().to_owned();
    let Json(page) = api::list_banks(
        State(state.clone()),
        staff.ctx.clone(),
        ApiQuery(BankListQuery {
            status: (!status.is_empty()).then(|| status.clone()),
            limit: Some(50),
            cursor: q.cursor.clone(),
        }),
    )
    .await?;
    let banks = page
        .items
        .iter()
        .map(|b| {
            let (label, badge) = status_label(b.status);
            BankRow {
                href: staff.href(&format!("/banks/{}", b.id)),
                title: b.title.clone(),
                description: excerpt(b.description.as_deref().unwrap_or(""), 120),
                status: label,
                badge,
                status_key: b.status.name(),
                updated: when(b.updated_at),
                updated_sort: b.updated_at.to_rfc3339(),
            }
        })
        .collect();
    let base = if status.is_empty() {
        staff.href("/banks")
    } else {
        format!(
            "{}?{}",
            staff.href("/banks"),
            serde_urlencoded::to_string([("status", &status)]).unwrap_or_default()
        )
    };
    let in_review_view = status == "IN_REVIEW";
    let title = if in_review_view {
        "Banks in review"
    } else {
        "Question banks"
    };
    Ok(BanksPage {
        layout: staff.layout(title, Section::Banks),
        action: staff.href("/banks"),
        banks,
        pager: Pager::new(&base, q.cursor.as_deref(), page.next_cursor.as_deref()),
        status,
        statuses: STATUSES.to_vec(),
        may_create: staff.may(Action::AuthorContent),
        in_review_view,
        title: form.title.clone(),
        description: form.description.clone(),
        departments,
        org_wide,
        department: form.department.clone(),
        errors,
    })
}

/// `GET /orgs/{org}/banks`.
pub async fn list(State(state): State<AppState>, staff: Staff, q: Query<ListQuery>) -> Response {
    match banks_page(
        &state,
        &staff,
        q.0,
        &NewBankForm::default(),
        FormErrors::default(),
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewBankForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A department id, empty for the whole organization.
    #[serde(default)]
    pub department: String,
}

/// `POST /orgs/{org}/banks`: the API's create, then the new bank's page.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<NewBankForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let f = form.value;
    let department_id = match f.department.trim() {
        "" => Ok(None),
        id => Uuid::parse_str(id)
            .map(Some)
            .map_err(|_| ApiError::field("department", "choose a department from the list")),
    };
    let created = match department_id {
        Ok(department_id) => {
            let body = CreateBankBody {
                title: f.title.clone(),
                description: Some(f.description.clone()).filter(|d| !d.trim().is_empty()),
                tags: None,
                department_id,
            };
            bank_service::create_bank(&state, &staff.ctx, body).await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(b) => see_other(&staff.href(&format!("/banks/{}?done=created", b.id))),
        Err(e) => {
            let redo = banks_page(
                &state,
                &staff,
                ListQuery::default(),
                &f,
                FormErrors::default(),
            )
            .await;
            match redo {
                Ok(mut page) => form_error(
                    e,
                    &["title", "description", "department_id", "department"],
                    |errors| {
                        page.errors = errors;
                        page
                    },
                ),
                Err(e) => error_page(&e),
            }
        }
    }
}

// ---- one bank

#[derive(Debug)]
pub struct QuestionRow {
    pub number: usize,
    pub href: String,
    pub kind: &'static str,
    pub excerpt: String,
    pub difficulty: &'static str,
    pub points: String,
    pub version: i32,
}

/// A question changed since the last review, and where to compare.
#[derive(Debug)]
pub struct ChangedRow {
    pub label: String,
    pub href: String,
    pub what: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/bank.html")]
pub struct BankPage {
    pub layout: Layout,
    pub banks_href: String,
    pub base: String,
    pub title: String,
    pub description: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub reject_reason: Option<String>,
    pub reviewed: Option<String>,
    pub questions: Vec<QuestionRow>,
    pub pager: Pager,
    pub notice: Option<String>,
    pub may_edit: bool,
    pub may_submit: bool,
    pub may_revise: bool,
    pub may_archive: bool,
    pub may_review: bool,
    pub may_export: bool,
    pub changed: Vec<ChangedRow>,
    pub reason: String,
    pub errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct BankQuery {
    pub cursor: Option<String>,
    pub done: Option<String>,
    pub n: Option<usize>,
}

fn notice(done: Option<&str>, n: Option<usize>) -> Option<String> {
    Some(match done? {
        "created" => "The bank is created. Add questions with the editor or import a file.".into(),
        "imported" => format!(
            "Imported {} question(s). The bank stays a draft until you submit it for review.",
            n.unwrap_or(0)
        ),
        "submit" => {
            "Submitted for review. A quality reviewer (not you) approves or rejects it.".into()
        }
        "approve" => "Approved: exams can now draw questions from this bank.".into(),
        "reject" => "Rejected with your reason; the author sees it on this page.".into(),
        "revise" => "Back to draft: edit it, then submit it for review again.".into(),
        "archive" => "Archived.".into(),
        "retired" => {
            "The question is retired: exams no longer draw it; its versions are kept.".into()
        }
        _ => return None,
    })
}

/// Questions changed since the bank's last review (approve or reject), among
/// `qs`, each with a link to the versions to compare.
async fn changed_since_review(
    state: &AppState,
    staff: &Staff,
    base: &str,
    bank: &BankView,
    qs: &[QuestionView],
) -> Result<Vec<ChangedRow>, ApiError> {
    let Some(reviewed) = bank.reviewed_at else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, q) in qs.iter().enumerate() {
        if q.updated_at <= reviewed {
            continue;
        }
        let label = format!("{}. {}", i + 1, excerpt(&q.text, 60));
        if q.created_at > reviewed {
            out.push(ChangedRow {
                label,
                href: format!("{base}/questions/{}", q.id),
                what: "New question".into(),
            });
            continue;
        }
        let versions = store::versions(state.db.read(), staff.ctx.org_id(), q.id).await?;
        let before = versions
            .iter()
            .filter(|v| v.created_at <= reviewed)
            .map(|v| v.version)
            .max()
            .unwrap_or(1);
        out.push(ChangedRow {
            label,
            href: format!("{base}/questions/{}/diff?a={before}&b={}", q.id, q.version),
            what: format!("Changed: version {before} → {}", q.version),
        });
    }
    Ok(out)
}

async fn bank_page(
    state: &AppState,
    staff: &Staff,
    bank_id: Uuid,
    q: BankQuery,
    reason: String,
    errors: FormErrors,
) -> Result<BankPage, ApiError> {
    let bank = read_bank(state, staff, bank_id).await?;
    let Json(page) = api::list_questions(
        State(state.clone()),
        staff.ctx.clone(),
        ApiPath((staff.slug().to_owned(), bank_id)),
        ApiQuery(QuestionListQuery {
            question_type: None,
            difficulty: None,
            tag: None,
            status: None,
            q: None,
            limit: Some(100),
            cursor: q.cursor.clone(),
        }),
    )
    .await?;
    let base = staff.href(&format!("/banks/{bank_id}"));
    let author = staff.may(Action::AuthorContent);
    let reviewer = staff.may(Action::ReviewContent);
    let (status, badge) = status_label(bank.status);
    let questions = page
        .items
        .iter()
        .enumerate()
        .map(|(i, qv)| QuestionRow {
            number: i + 1,
            href: format!("{base}/questions/{}", qv.id),
            kind: type_label(qv.question_type.name()),
            excerpt: excerpt(&qv.text, 110),
            difficulty: match qv.difficulty.name() {
                "EASY" => "Easy",
                "HARD" => "Hard",
                _ => "Medium",
            },
            points: format!("{}", qv.points),
            version: qv.version,
        })
        .collect();
    let changed = if matches!(bank.status, BankStatus::InReview | BankStatus::Draft) {
        changed_since_review(state, staff, &base, &bank, &page.items).await?
    } else {
        Vec::new()
    };
    Ok(BankPage {
        layout: staff.layout(&bank.title, Section::Banks),
        banks_href: staff.href("/banks"),
        pager: Pager::new(&base, q.cursor.as_deref(), page.next_cursor.as_deref()),
        title: bank.title.clone(),
        description: bank.description.clone().unwrap_or_default(),
        status,
        badge,
        reject_reason: bank
            .reject_reason
            .clone()
            .filter(|_| bank.status == BankStatus::Rejected),
        reviewed: bank.reviewed_at.map(when),
        questions,
        notice: notice(q.done.as_deref(), q.n),
        may_edit: author && bank.status.is_editable(),
        may_submit: author && bank.status == BankStatus::Draft,
        may_revise: author && bank.status == BankStatus::Approved,
        may_archive: author && bank.status != BankStatus::Archived,
        may_review: reviewer && bank.status == BankStatus::InReview,
        may_export: author,
        changed,
        base,
        reason,
        errors,
    })
}

/// `GET /orgs/{org}/banks/{bank}`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank)): Path<(String, String)>,
    q: Query<BankQuery>,
) -> Response {
    let Some(bank) = path_id(&bank) else {
        return not_found();
    };
    match bank_page(
        &state,
        &staff,
        bank,
        q.0,
        String::new(),
        FormErrors::default(),
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /orgs/{org}/banks/{bank}/status`: submit, approve, reject (with
/// the reason), revise or archive, through the API's workflow service.
pub async fn step(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank)): Path<(String, String)>,
    form: WebForm<StepForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Some(bank) = path_id(&bank) else {
        return not_found();
    };
    let f = form.value;
    let step = match f.action.as_str() {
        "submit" => BankStep::Submit,
        "approve" => BankStep::Approve,
        "reject" => BankStep::Reject(f.reason.clone()),
        "revise" => BankStep::Revise,
        "archive" => BankStep::Archive,
        _ => return error_page(&ApiError::field("action", "unknown action")),
    };
    match bank_service::act_on_bank(&state, &staff.ctx, bank, step).await {
        Ok(_) => see_other(&staff.href(&format!("/banks/{bank}?done={}", f.action))),
        Err(e @ (ApiError::Validation(_) | ApiError::Denied(_) | ApiError::Conflict { .. })) => {
            // A conflict (an empty bank, a changed status) reads as a message on the page.
            let conflict = matches!(e, ApiError::Conflict { .. });
            let e = match e {
                ApiError::Conflict { detail, .. } => ApiError::Denied(detail),
                other => other,
            };
            match bank_page(
                &state,
                &staff,
                bank,
                BankQuery::default(),
                f.reason.clone(),
                FormErrors::default(),
            )
            .await
            {
                Ok(mut page) => {
                    let mut resp = form_error(e, &["reason"], |errors| {
                        page.errors = errors;
                        page
                    });
                    if conflict {
                        *resp.status_mut() = StatusCode::CONFLICT;
                    }
                    resp
                }
                Err(e) => error_page(&e),
            }
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    pub format: Option<String>,
}

/// `GET /orgs/{org}/banks/{bank}/export?format=gift|csv`: the API's export,
/// as a download.
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank)): Path<(String, String)>,
    q: Query<ExportQuery>,
) -> Response {
    let Some(bank) = path_id(&bank) else {
        return not_found();
    };
    let format = q.0.format.unwrap_or_else(|| "gift".into());
    match transfer::export_questions(&state, &staff.ctx, bank, &format).await {
        Ok((f, text)) => {
            let ext = if format == "csv" { "csv" } else { "gift.txt" };
            let disposition = format!("attachment; filename=\"bank-{bank}.{ext}\"");
            let mut resp = ([(header::CONTENT_TYPE, f.content_type())], text).into_response();
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(e) => error_page(&e),
    }
}

// ---- import

/// One line of the submitted text, with its errors.
#[derive(Debug)]
pub struct ImportLine {
    pub number: usize,
    pub text: String,
    pub errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub banks_href: String,
    pub bank_href: String,
    pub bank_title: String,
    pub action: String,
    pub format: String,
    pub text: String,
    pub editable: bool,
    /// The submitted text with line numbers, when it had line errors.
    pub lines: Vec<ImportLine>,
    /// Lines left out of `lines` (long files show the errors' surroundings).
    pub skipped: bool,
    pub error_count: usize,
    pub errors: FormErrors,
}

/// The lines of `text` to show with `errors`: all of them for a short
/// text, else the errors with three lines around each.
fn import_lines(text: &str, errors: &[LineError]) -> (Vec<ImportLine>, bool) {
    const ALL_UP_TO: usize = 400;
    const AROUND: usize = 3;
    let all: Vec<&str> = text.lines().collect();
    let wanted = |n: usize| {
        all.len() <= ALL_UP_TO
            || errors
                .iter()
                .any(|e| n + AROUND >= e.line && n <= e.line + AROUND)
    };
    let mut out = Vec::new();
    let mut skipped = false;
    for (i, line) in all.iter().enumerate() {
        let n = i + 1;
        if !wanted(n) {
            skipped = true;
            continue;
        }
        out.push(ImportLine {
            number: n,
            text: (*line).to_owned(),
            errors: errors
                .iter()
                .filter(|e| e.line == n)
                .map(|e| crate::web::errors::sentence(&e.message))
                .collect(),
        });
    }
    // Errors past the end of the text (e.g. "no questions found" on line 1 of an empty text).
    let last = all.len();
    for e in errors.iter().filter(|e| e.line > last || last == 0) {
        out.push(ImportLine {
            number: e.line,
            text: String::new(),
            errors: vec![crate::web::errors::sentence(&e.message)],
        });
    }
    (out, skipped)
}

async fn import_page(
    state: &AppState,
    staff: &Staff,
    bank_id: Uuid,
) -> Result<ImportPage, ApiError> {
    let bank = read_bank(state, staff, bank_id).await?;
    let bank_href = staff.href(&format!("/banks/{bank_id}"));
    Ok(ImportPage {
        layout: staff.layout(&format!("Import into {}", bank.title), Section::Banks),
        banks_href: staff.href("/banks"),
        action: format!("{bank_href}/import"),
        bank_href,
        bank_title: bank.title,
        format: "gift".into(),
        text: String::new(),
        editable: staff.may(Action::AuthorContent) && bank.status.is_editable(),
        lines: Vec::new(),
        skipped: false,
        error_count: 0,
        errors: FormErrors::default(),
    })
}

/// `GET /orgs/{org}/banks/{bank}/import`.
pub async fn import_form(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank)): Path<(String, String)>,
) -> Response {
    let Some(bank) = path_id(&bank) else {
        return not_found();
    };
    match import_page(&state, &staff, bank).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/banks/{bank}/import`: a file (`file`) or pasted text
/// (`text`) in `format`, through the API's import service (all or
/// nothing). Line errors come back as the page with the text, numbered,
/// and each error at its line; htmx gets that page with 200 (it swaps
/// only successful answers) and a redirect to the bank on success.
pub async fn import(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path((_, bank)): Path<(String, String)>,
    form: UploadForm,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Some(bank) = path_id(&bank) else {
        return not_found();
    };
    let htmx = is_htmx(&headers);
    let format = form.text("format");
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
    let outcome = if unreadable {
        Err(ApiError::field("file", "must be a UTF-8 text file"))
    } else if text.trim().is_empty() {
        Err(ApiError::field(
            "text",
            "choose a file or paste the questions",
        ))
    } else {
        transfer::import_questions(&state, &staff.ctx, bank, &format, &text, false).await
    };
    match outcome {
        Ok(done) => {
            let to = staff.href(&format!("/banks/{bank}?done=imported&n={}", done.imported));
            if htmx {
                let mut resp = StatusCode::OK.into_response();
                if let Ok(v) = HeaderValue::from_str(&to) {
                    resp.headers_mut().insert("hx-redirect", v);
                }
                resp
            } else {
                see_other(&to)
            }
        }
        Err(e) => {
            let mut page = match import_page(&state, &staff, bank).await {
                Ok(p) => p,
                Err(e) => return error_page(&e),
            };
            page.format = format;
            page.text = text;
            let status_for = |s: StatusCode| if htmx { StatusCode::OK } else { s };
            match e {
                ApiError::LineValidation(list) => {
                    let (lines, skipped) = import_lines(&page.text, &list);
                    page.error_count = list.len();
                    page.lines = lines;
                    page.skipped = skipped;
                    (status_for(StatusCode::UNPROCESSABLE_ENTITY), page).into_response()
                }
                e @ (ApiError::Validation(_) | ApiError::Denied(_)) => {
                    let resp = form_error(e, &["format", "text", "file"], |errors| {
                        page.errors = errors;
                        page
                    });
                    if htmx {
                        let (mut parts, body) = resp.into_parts();
                        parts.status = StatusCode::OK;
                        Response::from_parts(parts, body)
                    } else {
                        resp
                    }
                }
                other => error_page(&other),
            }
        }
    }
}
