//! Notifications (issue 15): in-app notifications of a user, per-org
//! templates of every mail and notice ([`templates`]), and the user's
//! preferences per kind. Other modules notify through [`send`] (a user, in
//! their transaction: in-app and/or mail as the user prefers) or
//! [`mail_to`] (an account mail to an address, always sent). Both render
//! the organization's template of the key, or the built-in default (the
//! catalog in `invigil_domain::notify::catalog`).
//!
//! The module owns the tables `notifications`, `notification_templates`,
//! `notification_preferences`, `live_sessions` and
//! `live_session_participants` (the live sessions are in `crate::live`).

pub mod preferences;
pub mod routes;
pub mod templates;

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use invigil_domain::notify::catalog::{self, Spec};
use invigil_domain::notify::template::{Escape, Template};
use invigil_domain::notify::{Channel, NoticeKind, Priority, is_local_link, one_line};
use invigil_store::notify::{self as store, NewNotification};
use invigil_store::{Tx, identity::users, outbox};

use crate::http::error::ApiError;
use crate::state::AppState;

/// The values of a template's variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    pub fn new() -> Self {
        Vars::default()
    }

    /// Sets a variable (builder style).
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// Sets a variable unless it is set already.
    fn or_set(&mut self, name: &str, value: impl FnOnce() -> String) {
        if !self.0.contains_key(name) {
            self.0.insert(name.to_owned(), value());
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl From<BTreeMap<String, String>> for Vars {
    fn from(m: BTreeMap<String, String>) -> Self {
        Vars(m)
    }
}

/// A notification to a user, from another module.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// The organization whose templates apply (`None`: the defaults).
    pub org_id: Option<Uuid>,
    pub user_id: Uuid,
    pub kind: NoticeKind,
    pub priority: Priority,
    pub template_key: &'a str,
    pub vars: Vars,
    /// A path of our UI (`/me/results`); anything else is dropped.
    pub link: Option<String>,
}

/// A rendered subject (title) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// A template's subject and body, parsed.
type Compiled = (Template, Template);

/// The organization's override of `spec` on `channel` (when given and still
/// valid) or the default, parsed; `None` when the key is not sent on that
/// channel.
async fn compile(
    tx: &Tx,
    org_id: Option<Uuid>,
    spec: &Spec,
    channel: Channel,
) -> Result<Option<Compiled>, ApiError> {
    let over = match org_id {
        Some(org) => store::override_of(tx, org, spec.key, channel).await?,
        None => None,
    };
    let parsed = over.as_ref().and_then(|o| {
        match (spec.parse(&o.subject), spec.parse(&o.body)) {
            (Ok(s), Ok(b)) => Some((s, b)),
            // Saved overrides were checked; one that no longer parses
            // (a variable retired since) falls back to the default.
            _ => {
                tracing::warn!(key = spec.key, %channel, "stored template no longer parses; using the default");
                None
            }
        }
    });
    if parsed.is_some() {
        return Ok(parsed);
    }
    let Some(text) = spec.default_text(channel) else {
        return Ok(None);
    };
    Ok(Some((
        spec.parse(text.subject).map_err(ApiError::internal)?,
        spec.parse(text.body).map_err(ApiError::internal)?,
    )))
}

/// Fills a compiled template in. Missing variables render empty (they take
/// their sample only in previews).
fn fill((subject, body): &Compiled, vars: &Vars, escape: Escape) -> Rendered {
    let value = |k: &str| vars.get(k);
    Rendered {
        subject: one_line(&subject.render(value, escape)),
        body: body.render(value, escape),
    }
}

/// Renders `spec` on `channel` from the organization's override or the
/// default; `None` when the key is not sent on that channel.
pub async fn render(
    tx: &Tx,
    org_id: Option<Uuid>,
    spec: &Spec,
    channel: Channel,
    vars: &Vars,
    escape: Escape,
) -> Result<Option<Rendered>, ApiError> {
    Ok(compile(tx, org_id, spec, channel)
        .await?
        .map(|t| fill(&t, vars, escape)))
}

fn spec_of(key: &str) -> Result<&'static Spec, ApiError> {
    catalog::spec(key).ok_or_else(|| ApiError::internal(format!("no template key {key}")))
}

/// Sends an account mail of `key` to `to` (whatever the preferences say:
/// confirmations, resets, invitations), rendered from the organization's
/// template or the default, in the caller's transaction.
pub async fn mail_to(
    tx: &Tx,
    state: &AppState,
    org_id: Option<Uuid>,
    key: &str,
    to: &str,
    mut vars: Vars,
) -> Result<(), ApiError> {
    let spec = spec_of(key)?;
    vars.or_set("base_url", || state.config.public_base());
    if let Some(m) = render(tx, org_id, spec, Channel::Mail, &vars, Escape::None).await? {
        crate::mail::queue(tx, to, &m.subject, &m.body, state.now()).await?;
    }
    Ok(())
}

/// Notifies a user in the caller's transaction: an in-app notification
/// and/or a mail, as the user's preference for the kind says (both by
/// default) and as the key is sent on each channel. `name` and `base_url`
/// are filled in when not given.
pub async fn send(tx: &Tx, state: &AppState, notice: Notice<'_>) -> Result<(), ApiError> {
    let broadcast = Broadcast {
        org_id: notice.org_id,
        kind: notice.kind,
        priority: notice.priority,
        template_key: notice.template_key,
        link: notice.link,
    };
    send_many(tx, state, broadcast, vec![(notice.user_id, notice.vars)]).await
}

/// One notice to many users ([`send_many`]): everything but the variables.
#[derive(Debug, Clone)]
pub struct Broadcast<'a> {
    pub org_id: Option<Uuid>,
    pub kind: NoticeKind,
    pub priority: Priority,
    pub template_key: &'a str,
    /// A path of our UI; anything else is dropped.
    pub link: Option<String>,
}

/// Users read, preferences read and rows written per round of [`send_many`].
const SEND_CHUNK: usize = 500;

/// [`send`] to many users at once (an exam's candidates, a course's
/// learners), each with their own variables: the templates are read and
/// parsed once, and users, preferences, notifications and mails go by the
/// chunk of [`SEND_CHUNK`] (a few statements each), not one by one.
pub async fn send_many(
    tx: &Tx,
    state: &AppState,
    b: Broadcast<'_>,
    recipients: Vec<(Uuid, Vars)>,
) -> Result<(), ApiError> {
    let spec = spec_of(b.template_key)?;
    if recipients.is_empty() {
        return Ok(());
    }
    let in_app_t = compile(tx, b.org_id, spec, Channel::InApp).await?;
    let mail_t = compile(tx, b.org_id, spec, Channel::Mail).await?;
    let link = b.link.filter(|l| is_local_link(l));
    let base = state.config.public_base();
    let now = state.now();
    for chunk in recipients.chunks(SEND_CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|(u, _)| *u).collect();
        let users: HashMap<Uuid, users::User> = users::by_ids(tx, ids.clone())
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let prefs: HashMap<Uuid, store::Preference> = if b.kind == NoticeKind::Account {
            HashMap::new()
        } else {
            store::preferences_for(tx, ids, b.kind)
                .await?
                .into_iter()
                .map(|p| (p.user_id, p))
                .collect()
        };
        let mut notes = Vec::new();
        let mut mails = Vec::new();
        for (user_id, vars) in chunk {
            // A user erased meanwhile gets nothing.
            let Some(user) = users.get(user_id) else {
                continue;
            };
            let (in_app, mail) = preferences::wanted_of(b.kind, prefs.get(user_id));
            let mut vars = vars.clone();
            vars.or_set("name", || user.name.clone());
            vars.or_set("base_url", || base.clone());
            if in_app && let Some(t) = &in_app_t {
                let r = fill(t, &vars, Escape::None);
                notes.push(NewNotification {
                    user_id: user.id,
                    org_id: b.org_id,
                    kind: b.kind,
                    priority: b.priority,
                    title: r.subject,
                    body: r.body,
                    link: link.clone(),
                });
            }
            if mail && let Some(t) = &mail_t {
                let m = fill(t, &vars, Escape::None);
                mails.push(outbox::NewMail {
                    to: user.email.clone(),
                    subject: m.subject,
                    body: m.body,
                });
            }
        }
        store::insert_many(tx, notes, now).await?;
        outbox::enqueue_many(tx, mails, now).await?;
    }
    Ok(())
}
