//! The proctors' live feed: new flags and session state changes of an exam.
//!
//! In process, a `tokio::sync::broadcast` channel fans every change out to
//! the open feeds. Across replicas (PostgreSQL) each change is also sent with
//! `pg_notify('invigil_live', ...)`; every replica listens on a dedicated
//! connection and re-broadcasts what other replicas published (its own
//! notifications carry its origin id and are skipped). On SQLite there is
//! one process, so the broadcast alone is the fan-out.
//!
//! An open feed re-checks its access every `live_recheck_secs` ([`FeedAccess`]):
//! once the token that opened it is revoked or expired, the account is no
//! longer ACTIVE, or the viewer may no longer review the exam's sessions,
//! the feed sends `event: end` and closes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{Action, Decision, MemberStatus, decide};
use invigil_domain::proctoring::{Cause, FlagSeverity, FlagType};
use invigil_domain::review::IntegrityStatus;
use invigil_store::identity::{AccountStatus, TokenKind, sessions};
use invigil_store::proctoring::LiveBus;
use invigil_store::tenancy;
use invigil_store::{Db, StoreError};

use crate::authz::parse_grants;
use crate::identity::crypto::hash_token;
use crate::state::{AppState, Background};

/// The PostgreSQL channel of the live feed.
pub const CHANNEL: &str = "invigil_live";
/// Changes buffered per subscriber before it lags.
const BUFFER: usize = 1024;
/// A comment line this often keeps proxies from closing an idle feed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A flag as the live feed shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LiveFlag {
    pub id: Uuid,
    pub rule_id: String,
    #[schema(value_type = String)]
    pub flag_type: FlagType,
    #[schema(value_type = String)]
    pub severity: FlagSeverity,
    #[schema(value_type = String)]
    pub cause: Cause,
    pub description: String,
    pub event_ids: Vec<Uuid>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveChange {
    /// A new flag (SSE event `flag`).
    Flag { flag: LiveFlag },
    /// The session's delivery status, integrity status or violation score
    /// changed (SSE event `session`); fields that did not change are absent.
    Session {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<String>)]
        integrity_status: Option<IntegrityStatus>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        violation_score: Option<i32>,
    },
}

/// One change of one session of one exam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LiveEvent {
    pub id: Uuid,
    pub org_id: Uuid,
    pub exam_id: Uuid,
    pub session_id: Uuid,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub change: LiveChange,
}

impl LiveEvent {
    pub fn new(
        org_id: Uuid,
        exam_id: Uuid,
        session_id: Uuid,
        at: DateTime<Utc>,
        change: LiveChange,
    ) -> Self {
        LiveEvent {
            id: Uuid::now_v7(),
            org_id,
            exam_id,
            session_id,
            at,
            change,
        }
    }

    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self.change {
            LiveChange::Flag { .. } => "flag",
            LiveChange::Session { .. } => "session",
        }
    }

    /// The event as an SSE frame (`id`, `event`, one `data` line).
    pub fn to_sse(&self) -> String {
        let data = serde_json::to_string(self).unwrap_or_else(|_| "{}".into());
        format!("id: {}\nevent: {}\ndata: {data}\n\n", self.id, self.name())
    }
}

/// What travels through `pg_notify`.
#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: Uuid,
    event: LiveEvent,
}

struct HubInner {
    tx: broadcast::Sender<Arc<LiveEvent>>,
    origin: Uuid,
    /// The fan-out to other replicas, where the database has one.
    bus: Option<LiveBus>,
}

/// The in-process fan-out of live changes (cheap to clone).
#[derive(Clone)]
pub struct LiveHub {
    inner: Arc<HubInner>,
}

impl LiveHub {
    /// A hub; where the database fans out across replicas also starts the
    /// listener of other replicas' changes (it stops with `background`).
    pub fn new(db: &Db, background: &Background) -> Self {
        let (tx, _) = broadcast::channel(BUFFER);
        let bus = LiveBus::of(db);
        let hub = LiveHub {
            inner: Arc::new(HubInner {
                tx,
                origin: Uuid::new_v4(),
                bus: bus.clone(),
            }),
        };
        if let Some(bus) = bus {
            background.spawn(
                "live-listener",
                listen(hub.clone(), bus, background.token()),
            );
        }
        hub
    }

    /// Every change published from now on (of every exam: filter by
    /// `org_id`/`exam_id`).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.inner.tx.subscribe()
    }

    /// Publishes a change here and, where there is a bus, to the other
    /// replicas.
    pub fn publish(&self, event: LiveEvent) {
        if let Some(bus) = &self.inner.bus {
            let envelope = Envelope {
                origin: self.inner.origin,
                event: event.clone(),
            };
            if let Ok(payload) = serde_json::to_string(&envelope) {
                let bus = bus.clone();
                tokio::spawn(async move {
                    if let Err(e) = bus.notify(CHANNEL, &payload).await {
                        tracing::debug!(error = %e, "live notify failed");
                    }
                });
            }
        }
        // No subscriber is not an error.
        let _ = self.inner.tx.send(Arc::new(event));
    }

    fn deliver_remote(&self, payload: &str) {
        match serde_json::from_str::<Envelope>(payload) {
            Ok(env) if env.origin != self.inner.origin => {
                let _ = self.inner.tx.send(Arc::new(env.event));
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "ignoring a malformed live notification"),
        }
    }
}

/// Receives other replicas' changes until shutdown, reconnecting on errors.
async fn listen(hub: LiveHub, bus: LiveBus, token: CancellationToken) {
    loop {
        match bus.listen(CHANNEL).await {
            Ok(mut listener) => loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    n = listener.recv() => match n {
                        Ok(payload) => hub.deliver_remote(&payload),
                        Err(e) => {
                            tracing::warn!(error = %e, "live listener lost its connection");
                            break;
                        }
                    },
                }
            },
            Err(e) => tracing::warn!(error = %e, "cannot listen for live changes"),
        }
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// A session's delivery status changed (started, paused, resumed, submitted,
/// auto-submitted, terminated): tells the exam's live feeds.
pub fn publish_session_change(
    state: &AppState,
    org_id: Uuid,
    exam_id: Uuid,
    session_id: Uuid,
    status: &str,
) {
    state.proctoring.live.publish(LiveEvent::new(
        org_id,
        exam_id,
        session_id,
        state.now(),
        LiveChange::Session {
            status: Some(status.to_owned()),
            integrity_status: None,
            violation_score: None,
        },
    ));
}

/// The bearer token of a request's headers.
pub fn bearer_of(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Who opened a feed, re-checked while it is open: the token still
/// authenticates an ACTIVE account (not revoked, not expired) that may still
/// review the sessions of the exam's department.
pub struct FeedAccess {
    state: AppState,
    token_hash: String,
    /// ACCESS for the API's bearer feed, WEB for the console's cookie feed.
    kind: TokenKind,
    /// What the viewer must still be allowed on the exam's department.
    action: Action,
    org_id: Uuid,
    department_id: Option<Uuid>,
}

impl FeedAccess {
    pub fn new(state: &AppState, token: &str, org_id: Uuid, department_id: Option<Uuid>) -> Self {
        FeedAccess {
            state: state.clone(),
            token_hash: hash_token(token),
            kind: TokenKind::Access,
            action: Action::ReviewSessions,
            org_id,
            department_id,
        }
    }

    /// The access of a feed opened by a signed-in browser (the staff live
    /// console): its session cookie's `secret` (a WEB token) must stay live
    /// and the viewer must stay allowed `action`.
    pub fn for_browser(
        state: &AppState,
        secret: &str,
        action: Action,
        org_id: Uuid,
        department_id: Option<Uuid>,
    ) -> Self {
        FeedAccess {
            kind: TokenKind::Web,
            action,
            ..FeedAccess::new(state, secret, org_id, department_id)
        }
    }

    /// Whether the feed may go on.
    pub async fn still_allowed(&self) -> Result<bool, StoreError> {
        let db = self.state.db.read();
        let Some(found) =
            sessions::authenticate(db, &self.token_hash, self.kind, self.state.now()).await?
        else {
            return Ok(false);
        };
        if found.user.status != AccountStatus::Active {
            return Ok(false);
        }
        let is_super_admin = found.user.is_super_admin;
        let grants = match tenancy::member(db, self.org_id, found.user.id).await? {
            Some(m) if m.status == MemberStatus::Active => {
                parse_grants(tenancy::roles_of(db, self.org_id, found.user.id).await?)
            }
            _ if is_super_admin => Vec::new(),
            _ => return Ok(false),
        };
        Ok(matches!(
            decide(is_super_admin, &grants, self.action, self.department_id),
            Decision::Allow
        ))
    }
}

/// The last frame of a feed whose access ended.
const END_FRAME: &[u8] = b"event: end\ndata: {\"reason\":\"access_ended\"}\n\n";

/// The `text/event-stream` response of one exam's feed. It ends when the
/// client goes away, the server shuts down (`token`), or `access` fails its
/// re-check (every `recheck`).
pub fn sse_response(
    mut rx: broadcast::Receiver<Arc<LiveEvent>>,
    org_id: Uuid,
    exam_id: Uuid,
    token: CancellationToken,
    access: FeedAccess,
    recheck: Duration,
) -> Response {
    let (mut w, r) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        if w.write_all(b": connected\n\n").await.is_err() {
            return;
        }
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.tick().await;
        let mut recheck = tokio::time::interval(recheck);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        recheck.tick().await;
        loop {
            let chunk = tokio::select! {
                _ = token.cancelled() => break,
                _ = recheck.tick() => match access.still_allowed().await {
                    Ok(true) => continue,
                    Ok(false) => {
                        let _ = w.write_all(END_FRAME).await;
                        break;
                    }
                    Err(e) => {
                        // Unsure is no: the client reconnects and is
                        // authenticated again.
                        tracing::warn!(error = %e, "live feed access re-check failed; ending the feed");
                        let _ = w.write_all(END_FRAME).await;
                        break;
                    }
                },
                _ = keep_alive.tick() => ": keep-alive\n\n".to_owned(),
                msg = rx.recv() => match msg {
                    Ok(ev) if ev.org_id == org_id && ev.exam_id == exam_id => ev.to_sse(),
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        format!("event: lagged\ndata: {{\"missed\":{n}}}\n\n")
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            if w.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = w.shutdown().await;
    });
    let mut resp = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(r)));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}
