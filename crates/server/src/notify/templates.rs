//! An organization's notification templates (ORG_ADMIN, `ManageOrg`):
//! every key with its variables and defaults, the override per channel,
//! saving one (checked against the key's variables: a problem is a 422
//! naming the field, the problem and its line and column), resetting to
//! the default, and previews (no side effects).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::notify::catalog::{self, CATALOG, Spec};
use invigil_domain::notify::template::{Escape, MAX_SOURCE, Template, html_escape};
use invigil_domain::notify::{Channel, MAX_SUBJECT, one_line};
use invigil_store::notify::{self as store, TemplateOverride};

use crate::audit::AuditAction;
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

#[derive(Debug, Serialize, ToSchema)]
pub struct VariableView {
    pub name: String,
    pub description: String,
    pub sample: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverrideView {
    pub subject: String,
    pub body: String,
    pub updated_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    #[schema(value_type = String, example = "MAIL")]
    pub channel: Channel,
    /// The built-in subject (mail) or title (in-app).
    pub default_subject: String,
    pub default_body: String,
    /// The organization's own text, when it has one.
    #[serde(rename = "override")]
    pub custom: Option<OverrideView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub key: String,
    #[schema(value_type = String, example = "TEST_RESULT")]
    pub kind: invigil_domain::notify::NoticeKind,
    pub description: String,
    pub variables: Vec<VariableView>,
    pub channels: Vec<ChannelView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// Mail subject or in-app title: one line, at most 200 characters.
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// Unsaved text to preview (default: the current template).
    pub subject: Option<String>,
    pub body: Option<String>,
    /// Values of variables (default: each variable's sample).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    pub subject: String,
    /// The body as mailed or stored (values as they are).
    pub body: String,
    /// The body for an HTML page: values escaped, line breaks as `<br>`.
    pub body_html: String,
}

/// The key and channel of a path; unknown ones (or a channel the key is
/// not sent on) are 404.
pub fn resolve(key: &str, channel: &str) -> Result<(&'static Spec, Channel), ApiError> {
    let spec = catalog::spec(key).ok_or(ApiError::NotFound)?;
    let channel = Channel::parse(&channel.to_ascii_uppercase().replace('-', "_"))
        .ok_or(ApiError::NotFound)?;
    spec.default_text(channel).ok_or(ApiError::NotFound)?;
    Ok((spec, channel))
}

fn view(spec: &Spec, overrides: &[TemplateOverride]) -> TemplateView {
    TemplateView {
        key: spec.key.to_owned(),
        kind: spec.kind,
        description: spec.description.to_owned(),
        variables: spec
            .vars
            .iter()
            .map(|v| VariableView {
                name: v.name.to_owned(),
                description: v.description.to_owned(),
                sample: v.sample.to_owned(),
            })
            .collect(),
        channels: Channel::ALL
            .iter()
            .filter_map(|ch| {
                let text = spec.default_text(*ch)?;
                let custom = overrides
                    .iter()
                    .find(|o| o.key == spec.key && o.channel == *ch)
                    .map(|o| OverrideView {
                        subject: o.subject.clone(),
                        body: o.body.clone(),
                        updated_by: o.updated_by,
                        updated_at: o.updated_at,
                    });
                Some(ChannelView {
                    channel: *ch,
                    default_subject: text.subject.to_owned(),
                    default_body: text.body.to_owned(),
                    custom,
                })
            })
            .collect(),
    }
}

/// Every key with its defaults and the organization's overrides.
pub async fn list(state: &AppState, auth: &Authorized) -> Result<Vec<TemplateView>, ApiError> {
    let overrides = store::overrides_of(state.db.read(), auth.org_id).await?;
    Ok(CATALOG.iter().map(|s| view(s, &overrides)).collect())
}

/// Checks a subject and body against the key's variables.
fn check(spec: &Spec, subject: &str, body: &str) -> Result<(Template, Template), ApiError> {
    let mut errors = Vec::new();
    let s = if subject.trim().is_empty() {
        errors.push(FieldError::new("subject", "must not be empty"));
        None
    } else if subject.chars().count() > MAX_SUBJECT {
        errors.push(FieldError::new(
            "subject",
            format!("at most {MAX_SUBJECT} characters"),
        ));
        None
    } else if subject.contains(['\r', '\n']) {
        errors.push(FieldError::new("subject", "must be one line"));
        None
    } else {
        spec.parse(subject)
            .map_err(|e| errors.push(FieldError::new("subject", e.to_string())))
            .ok()
    };
    let b = if body.trim().is_empty() {
        errors.push(FieldError::new("body", "must not be empty"));
        None
    } else if body.len() > MAX_SOURCE {
        errors.push(FieldError::new(
            "body",
            format!("at most {MAX_SOURCE} bytes"),
        ));
        None
    } else {
        spec.parse(body)
            .map_err(|e| errors.push(FieldError::new("body", e.to_string())))
            .ok()
    };
    match (s, b) {
        (Some(s), Some(b)) if errors.is_empty() => Ok((s, b)),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// Saves the organization's text of a key on a channel (audited).
pub async fn save(
    state: &AppState,
    auth: &Authorized,
    key: &str,
    channel: &str,
    body: TemplateBody,
) -> Result<TemplateView, ApiError> {
    let (spec, channel) = resolve(key, channel)?;
    check(spec, &body.subject, &body.body)?;
    let now = state.now();
    let tx = begin(state).await?;
    let before = store::override_of(&tx, auth.org_id, spec.key, channel).await?;
    store::save_override(
        &tx,
        auth.org_id,
        spec.key,
        channel,
        &body.subject,
        &body.body,
        auth.actor.user_id,
        now,
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::NotificationTemplateSaved,
            format!("{}/{channel}", spec.key),
            serde_json::json!({
                "key": spec.key,
                "channel": channel,
                "subject": body.subject,
                "body": body.body,
                "previous": before.map(|b| serde_json::json!({ "subject": b.subject, "body": b.body })),
            }),
        )
        .await?;
    let overrides = store::overrides_of(&tx, auth.org_id).await?;
    commit(tx).await?;
    Ok(view(spec, &overrides))
}

/// Back to the default (audited with the text removed); 404 when there
/// was no override.
pub async fn reset(
    state: &AppState,
    auth: &Authorized,
    key: &str,
    channel: &str,
) -> Result<(), ApiError> {
    let (spec, channel) = resolve(key, channel)?;
    let now = state.now();
    let tx = begin(state).await?;
    let Some(before) = store::override_of(&tx, auth.org_id, spec.key, channel).await? else {
        return Err(ApiError::NotFound);
    };
    store::delete_override(&tx, auth.org_id, spec.key, channel).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::NotificationTemplateReset,
            format!("{}/{channel}", spec.key),
            serde_json::json!({
                "key": spec.key,
                "channel": channel,
                "previous": { "subject": before.subject, "body": before.body },
            }),
        )
        .await?;
    commit(tx).await
}

/// Renders the given (or current) text with the given (or sample) values.
pub async fn preview(
    state: &AppState,
    auth: &Authorized,
    key: &str,
    channel: &str,
    req: PreviewBody,
) -> Result<PreviewView, ApiError> {
    let (spec, channel) = resolve(key, channel)?;
    let unknown: Vec<FieldError> = req
        .vars
        .keys()
        .filter(|k| spec.vars.iter().all(|v| v.name != k.as_str()))
        .map(|k| FieldError::new(format!("vars.{k}"), "unknown variable of this template"))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Validation(unknown));
    }
    let current = store::override_of(state.db.read(), auth.org_id, spec.key, channel).await?;
    let default = spec.default_text(channel).ok_or(ApiError::NotFound)?;
    let subject = req.subject.unwrap_or_else(|| {
        current
            .as_ref()
            .map_or_else(|| default.subject.to_owned(), |c| c.subject.clone())
    });
    let body = req.body.unwrap_or_else(|| {
        current
            .as_ref()
            .map_or_else(|| default.body.to_owned(), |c| c.body.clone())
    });
    let (s, b) = check(spec, &subject, &body)?;
    let value = |k: &str| {
        req.vars
            .get(k)
            .map(String::as_str)
            .or_else(|| spec.sample(k))
    };
    let body = b.render(value, Escape::None);
    Ok(PreviewView {
        subject: one_line(&s.render(value, Escape::None)),
        // The template's own text is escaped too: an admin's `<script>`
        // shows as text.
        body_html: html_escape(&body).replace('\n', "<br>\n"),
        body,
    })
}
