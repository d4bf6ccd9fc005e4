//! The autosave hot path's cache (issue 14): what a save needs before it is
//! queued — who the token belongs to, that they may still take the exam, the
//! session's state and the shapes of the questions it was served — held in
//! process for a short time, so a save costs no database read before the
//! group-commit writer.
//!
//! Why it stays correct:
//! - **Served questions** never change after a session started: cached as
//!   long as the entry lives.
//! - **The session's state** is only used to refuse early. A cached state
//!   that allows a save is harmless: the writer re-checks the state and the
//!   deadline in its own transaction, under the session row's lock, so a
//!   save never lands in a closed or expired session. A cached state that
//!   would refuse is re-read from the database before refusing, so an
//!   extension or a resume is never missed (never a stale deadline).
//! - **The principal and the candidate's standing** (token, account,
//!   membership, CANDIDATE grant) live at most [`Config::hot_cache_ttl_ms`]
//!   (10 s by default) and never past the token's expiry. On this process
//!   every change that can take them away — sign-out, token and session
//!   revocation, password and email changes, role and member status changes,
//!   removal — empties the cache at once ([`HotCache::forget_all`]); another
//!   replica sees it within the TTL.
//!
//! Memory is bounded: at most [`HotCache::capacity`] entries per map; a full
//! map first drops expired entries, then everything.
//!
//! [`Config::hot_cache_ttl_ms`]: crate::config::Config::hot_cache_ttl_ms

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use invigil_store::delivery::{self, Session};
use invigil_store::identity::sessions::{self, Authenticated};
use invigil_store::identity::{AccountStatus, TokenKind};

use crate::http::auth::{BrowserSession, ClientInfo, CurrentUser, authenticate, bearer};
use crate::http::error::ApiError;
use crate::identity::crypto::hash_token;
use crate::state::AppState;

/// The shape of a served question: what validating a response needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedShape {
    pub question_type: invigil_domain::content::QuestionType,
    pub option_count: usize,
    pub blank_count: usize,
}

/// A session as its candidate's saves see it.
#[derive(Debug, Clone)]
pub struct SessionEntry {
    /// The session row when it was read (state used only to refuse early).
    pub session: Session,
    /// The served questions by id.
    pub served: Arc<HashMap<Uuid, ServedShape>>,
}

struct Timed<T> {
    /// When it was put, by the application's clock (the clock that judges
    /// deadlines and grace, so "at most the TTL old" holds on that clock).
    at: DateTime<Utc>,
    /// Never used after this (the token's expiry), whatever the TTL.
    until: Option<DateTime<Utc>>,
    value: T,
}

/// Whether an entry put `at` is younger than `ttl` at `now` (a clock that
/// went back makes it stale too).
fn fresh(at: DateTime<Utc>, ttl: Duration, now: DateTime<Utc>) -> bool {
    now >= at && chrono::TimeDelta::from_std(ttl).is_ok_and(|ttl| now - at < ttl)
}

/// A bounded, short-lived map.
struct TimedMap<K, T> {
    map: Mutex<HashMap<K, Timed<T>>>,
}

impl<K: std::hash::Hash + Eq, T: Clone> TimedMap<K, T> {
    fn new() -> Self {
        TimedMap {
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Timed<T>>> {
        // A panic while holding the lock cannot leave the map half-written
        // (every operation is one call on it): keep using it.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &K, ttl: Duration, now: DateTime<Utc>) -> Option<T> {
        let map = self.lock();
        let e = map.get(key)?;
        (fresh(e.at, ttl, now) && e.until.is_none_or(|u| now < u)).then(|| e.value.clone())
    }

    fn put(
        &self,
        key: K,
        value: T,
        until: Option<DateTime<Utc>>,
        ttl: Duration,
        cap: usize,
        now: DateTime<Utc>,
    ) {
        let mut map = self.lock();
        if map.len() >= cap && !map.contains_key(&key) {
            map.retain(|_, e| fresh(e.at, ttl, now));
            if map.len() >= cap {
                map.clear();
            }
        }
        map.insert(
            key,
            Timed {
                at: now,
                until,
                value,
            },
        );
    }

    fn clear(&self) {
        self.lock().clear();
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The cache; see the module documentation.
pub struct HotCache {
    ttl: Duration,
    capacity: usize,
    /// Token hash -> who it authenticates.
    principals: TimedMap<String, Authenticated>,
    /// Session id -> the session and its served questions, for its
    /// candidate (checked as a CANDIDATE member when it was put).
    sessions: TimedMap<Uuid, SessionEntry>,
}

impl HotCache {
    /// A cache whose entries live `ttl` (zero turns it off), at most
    /// `capacity` per map.
    pub fn new(ttl: Duration, capacity: usize) -> HotCache {
        HotCache {
            ttl,
            capacity: capacity.max(1),
            principals: TimedMap::new(),
            sessions: TimedMap::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether a cached session may decide that proctoring events are still
    /// taken: only when an entry lives no longer than the grace after a
    /// session ends (events are taken for `grace` after it; the event writer
    /// does not check again), so a stale "running" can never let one in
    /// past that.
    pub fn serves_events(&self, grace: chrono::TimeDelta) -> bool {
        self.enabled() && chrono::TimeDelta::from_std(self.ttl).is_ok_and(|ttl| ttl <= grace)
    }

    /// The principal of a token hash, if cached, alive and not expired.
    pub fn principal(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Authenticated> {
        if !self.enabled() {
            return None;
        }
        self.principals.get(&token_hash.to_owned(), self.ttl, now)
    }

    pub fn put_principal(&self, token_hash: String, found: Authenticated, now: DateTime<Utc>) {
        if self.enabled() {
            let until = Some(found.expires_at);
            self.principals
                .put(token_hash, found, until, self.ttl, self.capacity, now);
        }
    }

    /// A session of `user_id`, if cached and alive.
    pub fn session(&self, id: Uuid, user_id: Uuid, now: DateTime<Utc>) -> Option<SessionEntry> {
        if !self.enabled() {
            return None;
        }
        self.sessions
            .get(&id, self.ttl, now)
            .filter(|e| e.session.user_id == user_id)
    }

    pub fn put_session(&self, entry: SessionEntry, now: DateTime<Utc>) {
        if self.enabled() {
            self.sessions
                .put(entry.session.id, entry, None, self.ttl, self.capacity, now);
        }
    }

    /// Empties the cache: called after anything that may take away a
    /// principal or a candidate's standing.
    pub fn forget_all(&self) {
        self.principals.clear();
        self.sessions.clear();
    }

    /// Entries held (principals, sessions).
    pub fn len(&self) -> (usize, usize) {
        (self.principals.len(), self.sessions.len())
    }
}

/// The signed-in user of a hot-path request ([`CurrentUser`] through the
/// cache). A browser request (cookie session, `/web-api`) is already
/// authenticated by its guard and goes through unchanged.
pub struct HotUser(pub CurrentUser);

impl FromRequestParts<AppState> for HotUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let found = access_principal(parts, state)
            .await?
            .ok_or(ApiError::InvalidToken)?;
        if found.user.status != AccountStatus::Active {
            return Err(ApiError::InvalidToken);
        }
        let client = ClientInfo::from_request_parts(parts, state).await?;
        Ok(HotUser(CurrentUser {
            user: found.user,
            session_id: found.session_id,
            client,
        }))
    }
}

/// Who a request's ACCESS token belongs to, through the cache (a browser
/// request's own session, already looked up by its guard, as is): `None`
/// when the bearer is not a live ACCESS token, 401 without a credential.
pub async fn access_principal(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<Authenticated>, ApiError> {
    if parts.extensions.get::<BrowserSession>().is_some() || !state.hot.enabled() {
        return authenticate(parts, state, TokenKind::Access).await;
    }
    let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
    let hash = hash_token(token);
    let now = state.now();
    if let Some(found) = state.hot.principal(&hash, now) {
        return Ok(Some(found));
    }
    let found = sessions::authenticate(state.db.read(), &hash, TokenKind::Access, now).await?;
    if let Some(f) = &found
        && f.user.status == AccountStatus::Active
    {
        state.hot.put_principal(hash, f.clone(), now);
    }
    Ok(found)
}

/// The shapes of a session's served questions.
async fn served_shapes(
    state: &AppState,
    session_id: Uuid,
) -> Result<HashMap<Uuid, ServedShape>, ApiError> {
    let rows = delivery::served(state.db.read(), session_id).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        out.insert(
            r.question_id,
            ServedShape {
                question_type: crate::grading::served_type(&r)?,
                option_count: usize::try_from(r.option_count).unwrap_or(0),
                blank_count: usize::try_from(r.blank_count).unwrap_or(0),
            },
        );
    }
    Ok(out)
}

/// The candidate's own session with its served questions: from the cache,
/// else read (the session, the candidate's standing, what was served) and
/// kept. 404 for another person's session, 403 when no longer an ACTIVE
/// CANDIDATE member (as [`super::service::own_session`]).
pub async fn own_session(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
) -> Result<SessionEntry, ApiError> {
    if let Some(e) = state.hot.session(id, user_id, state.now()) {
        return Ok(e);
    }
    let session = super::service::session_of_candidate(state, user_id, id).await?;
    let entry = SessionEntry {
        served: Arc::new(served_shapes(state, id).await?),
        session,
    };
    state.hot.put_session(entry.clone(), state.now());
    Ok(entry)
}

/// The same, read again from the database (the cached state would refuse:
/// make sure it is not stale) and kept.
pub async fn fresh_session(
    state: &AppState,
    user_id: Uuid,
    cached: SessionEntry,
) -> Result<SessionEntry, ApiError> {
    let session = super::service::session_of_candidate(state, user_id, cached.session.id).await?;
    let entry = SessionEntry {
        session,
        served: cached.served,
    };
    state.hot.put_session(entry.clone(), state.now());
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> TimedMap<u32, u32> {
        TimedMap::new()
    }

    #[test]
    fn entries_live_for_the_ttl_and_until_their_expiry() {
        let m = map();
        let now = Utc::now();
        let ttl = Duration::from_secs(60);
        m.put(1, 10, None, ttl, 10, now);
        m.put(
            2,
            20,
            Some(now - chrono::TimeDelta::seconds(1)),
            ttl,
            10,
            now,
        );
        assert_eq!(m.get(&1, ttl, now), Some(10));
        // Older than the TTL on the application's clock, or put in its
        // future (the clock went back): gone.
        assert_eq!(m.get(&1, ttl, now + chrono::TimeDelta::seconds(61)), None);
        assert_eq!(m.get(&1, ttl, now - chrono::TimeDelta::seconds(1)), None);
        // Past the token's expiry: gone, whatever the TTL.
        assert_eq!(m.get(&2, ttl, now), None);
        // A zero TTL keeps nothing.
        assert_eq!(m.get(&1, Duration::ZERO, now), None);
    }

    #[test]
    fn a_full_map_drops_the_expired_then_everything() {
        let m = map();
        let now = Utc::now();
        let ttl = Duration::from_secs(60);
        for k in 0..3 {
            m.put(k, k, None, ttl, 3, now);
        }
        assert_eq!(m.len(), 3);
        // Full of live entries: cleared to make room.
        m.put(9, 9, None, ttl, 3, now);
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&9, ttl, now), Some(9));
        // Full with an expired entry: only that one goes.
        let later = now + chrono::TimeDelta::seconds(120);
        m.put(8, 8, None, ttl, 2, later);
        m.put(7, 7, None, ttl, 2, later);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&8, ttl, later), Some(8));
        // Replacing a key never evicts.
        m.put(10, 10, None, ttl, 2, now);
        m.put(10, 11, None, ttl, 2, now);
        assert_eq!(m.get(&10, ttl, now), Some(11));
    }

    #[test]
    fn sessions_are_only_for_their_candidate_and_forget_all_empties() {
        let c = HotCache::new(Duration::from_secs(60), 100);
        let now = Utc::now();
        assert!(c.enabled());
        let off = HotCache::new(Duration::ZERO, 100);
        assert!(!off.enabled());
        assert_eq!(off.principal("x", now).map(|a| a.session_id), None);
        c.forget_all();
        assert_eq!(c.len(), (0, 0));
    }
}
