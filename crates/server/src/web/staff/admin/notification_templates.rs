//! Notification templates (ORG_ADMIN, `ManageOrg`),
//! `/orgs/{org}/admin/notifications`: every key with its channels and
//! whether the organization has its own text; the editor of one key and
//! channel with the variables it may use, errors next to the field (the
//! problem with its line and column), a live preview (htmx posts the form
//! to `.../preview` as one types; the service of `POST /api/v1/orgs/{org}/
//! notification-templates/{key}/{channel}/preview`) and reset to the default.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use invigil_domain::identity::Action;
use invigil_domain::notify::Channel;

use super::{AdminLink, links, refusal};
use crate::http::error::ApiError;
use crate::notify::templates::{self, PreviewBody, PreviewView, TemplateBody, TemplateView};
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::{FormErrors, error_page};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::staff::{Section, Staff};

const HERE: &str = "/admin/notifications";

#[derive(Debug)]
pub struct Row {
    pub key: String,
    pub description: String,
    pub channels: Vec<(String, &'static str, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/notification_templates.html")]
pub struct ListPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub rows: Vec<Row>,
}

fn channel_words(c: Channel) -> &'static str {
    match c {
        Channel::Mail => "Mail",
        Channel::InApp => "In the app",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    pub saved: Option<String>,
    pub reset: Option<String>,
}

/// `GET /orgs/{org}/admin/notifications`.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<Notice>, QueryRejection>,
) -> Response {
    let auth = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let views = match templates::list(&state, &auth).await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let q = query.map(|Query(q)| q).unwrap_or_default();
    ListPage {
        layout: staff.layout("Notification templates", Section::Admin),
        links: links(&staff, HERE),
        notice: if q.reset.is_some() {
            Some("The template is back to the default text.")
        } else {
            None
        },
        rows: views
            .into_iter()
            .map(|v| Row {
                channels: v
                    .channels
                    .iter()
                    .map(|c| {
                        (
                            staff.href(&format!("{HERE}/{}/{}", v.key, c.channel)),
                            channel_words(c.channel),
                            c.custom.is_some(),
                        )
                    })
                    .collect(),
                key: v.key,
                description: v.description,
            })
            .collect(),
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/notification_template.html")]
pub struct EditPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub view: TemplateView,
    pub channel: &'static str,
    pub subject: String,
    pub body: String,
    pub custom: bool,
    pub errors: FormErrors,
    pub preview: Option<PreviewView>,
    /// The preview's problems (none on the edit page: the field errors say them).
    pub problems: Vec<String>,
    pub action: String,
    pub preview_action: String,
    pub reset_action: String,
    pub back: String,
}

fn one_view(views: Vec<TemplateView>, key: &str) -> Result<TemplateView, ApiError> {
    views
        .into_iter()
        .find(|v| v.key == key)
        .ok_or(ApiError::NotFound)
}

#[expect(
    clippy::too_many_arguments,
    reason = "the page's state after a GET or a refused save"
)]
async fn render(
    state: &AppState,
    staff: &Staff,
    key: &str,
    channel: &str,
    text: Option<(String, String)>,
    errors: FormErrors,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let auth = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let (spec, ch) = match templates::resolve(key, channel) {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let view = match templates::list(state, &auth)
        .await
        .and_then(|v| one_view(v, key))
    {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let Some(current) = view.channels.iter().find(|c| c.channel == ch) else {
        return error_page(&ApiError::NotFound);
    };
    let custom = current.custom.is_some();
    let (subject, body) = text.unwrap_or_else(|| match &current.custom {
        Some(o) => (o.subject.clone(), o.body.clone()),
        None => (
            current.default_subject.clone(),
            current.default_body.clone(),
        ),
    });
    let preview = templates::preview(
        state,
        &auth,
        key,
        channel,
        PreviewBody {
            subject: Some(subject.clone()),
            body: Some(body.clone()),
            vars: Default::default(),
        },
    )
    .await
    .ok();
    let path = staff.href(&format!("{HERE}/{}/{}", spec.key, ch));
    (
        status,
        EditPage {
            layout: staff.layout(&format!("Template {}", spec.key), Section::Admin),
            links: links(staff, HERE),
            notice,
            channel: channel_words(ch),
            subject,
            body,
            custom,
            errors,
            preview,
            problems: Vec::new(),
            preview_action: format!("{path}/preview"),
            reset_action: format!("{path}/reset"),
            action: path,
            back: staff.href(HERE),
            view,
        },
    )
        .into_response()
}

/// `GET /orgs/{org}/admin/notifications/{key}/{channel}`.
pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, key, channel)): Path<(String, String, String)>,
    query: Result<Query<Notice>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let notice = q.saved.is_some().then_some("The template is saved.");
    render(
        &state,
        &staff,
        &key,
        &channel,
        None,
        FormErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct TextForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
}

/// `POST /orgs/{org}/admin/notifications/{key}/{channel}`: save; a refused
/// text comes back with the errors next to its fields.
pub async fn save(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, key, channel)): Path<(String, String, String)>,
    form: WebForm<TextForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let text = form.value;
    let body = TemplateBody {
        subject: text.subject.clone(),
        body: text.body.clone(),
    };
    match templates::save(&state, &auth, &key, &channel, body).await {
        Ok(_) => see_other(&staff.href(&format!("{HERE}/{key}/{channel}?saved=1"))),
        Err(ApiError::Validation(fields)) => {
            render(
                &state,
                &staff,
                &key,
                &channel,
                Some((text.subject, text.body)),
                FormErrors {
                    fields,
                    ..FormErrors::default()
                },
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => refusal(&staff, e, &staff.href(HERE)),
    }
}

/// `POST .../reset`: back to the default text.
pub async fn reset(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, key, channel)): Path<(String, String, String)>,
    form: WebForm<TextForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    match templates::reset(&state, &auth, &key, &channel).await {
        Ok(()) => see_other(&staff.href(&format!("{HERE}?reset=1"))),
        Err(e) => error_page(&e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/notification_preview.html")]
pub struct PreviewFragment {
    pub preview: Option<PreviewView>,
    pub problems: Vec<String>,
}

/// `POST .../preview` (htmx, as one types): the rendered sample, or the
/// problems of the text; nothing is saved.
pub async fn preview(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, key, channel)): Path<(String, String, String)>,
    form: WebForm<TextForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let body = PreviewBody {
        subject: Some(form.value.subject),
        body: Some(form.value.body),
        vars: Default::default(),
    };
    match templates::preview(&state, &auth, &key, &channel, body).await {
        Ok(p) => PreviewFragment {
            preview: Some(p),
            problems: Vec::new(),
        }
        .into_response(),
        Err(ApiError::Validation(list)) => PreviewFragment {
            preview: None,
            problems: list
                .into_iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect(),
        }
        .into_response(),
        Err(e) => error_page(&e),
    }
}
