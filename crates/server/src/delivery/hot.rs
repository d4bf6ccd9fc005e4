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
//!   (5 min by default) and never past the token's expiry. Every change
//!   that can take them away — sign-out, token and session revocation,
//!   password and email changes, role and member status changes, removal —
//!   calls [`standing_changed`] once committed: it empties this process's
//!   cache at once and moves the standing epoch on in the database; every
//!   replica polls that epoch ([`watch_epoch`], every
//!   `cache_epoch_poll_ms`, 1 s by default) and empties its own cache when
//!   it moved. A value read from the database before an emptying is never
//!   put after it ([`Mark`]). The TTL is the backstop should a poll fail.
//! - **Proctoring events** from the laptop use a cached session at most
//!   the grace old ([`own_session_for_events`]): the event writer does not
//!   check the session's state again.
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

use crate::http::auth::{
    BrowserSession, ClientInfo, CurrentUser, authenticate, bearer, refuse_api_key,
};
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

/// A bounded, short-lived map. Its generation moves on at every clear, so
/// a value read from the database before a clear is not put after it
/// ([`TimedMap::put`] takes the generation seen before the read).
struct TimedMap<K, T> {
    map: Mutex<Inner<K, T>>,
}

struct Inner<K, T> {
    generation: u64,
    entries: HashMap<K, Timed<T>>,
}

impl<K: std::hash::Hash + Eq, T: Clone> TimedMap<K, T> {
    fn new() -> Self {
        TimedMap {
            map: Mutex::new(Inner {
                generation: 0,
                entries: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, T>> {
        // A panic while holding the lock cannot leave the map half-written
        // (every operation is one call on it): keep using it.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn get(&self, key: &K, ttl: Duration, now: DateTime<Utc>) -> Option<T> {
        let map = self.lock();
        let e = map.entries.get(key)?;
        (fresh(e.at, ttl, now) && e.until.is_none_or(|u| now < u)).then(|| e.value.clone())
    }

    /// Puts `value` unless the map was cleared since `generation` was read.
    #[allow(clippy::too_many_arguments)]
    fn put(
        &self,
        generation: u64,
        key: K,
        value: T,
        until: Option<DateTime<Utc>>,
        ttl: Duration,
        cap: usize,
        now: DateTime<Utc>,
    ) {
        let mut map = self.lock();
        if map.generation != generation {
            return;
        }
        if map.entries.len() >= cap && !map.entries.contains_key(&key) {
            map.entries.retain(|_, e| fresh(e.at, ttl, now));
            if map.entries.len() >= cap {
                map.entries.clear();
            }
        }
        map.entries.insert(
            key,
            Timed {
                at: now,
                until,
                value,
            },
        );
    }

    fn clear(&self) {
        let mut map = self.lock();
        map.generation += 1;
        map.entries.clear();
    }

    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

/// The cache's generations before a database read: what was read is put
/// only if nothing emptied the cache meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    principals: u64,
    sessions: u64,
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

    /// Where the cache is before a database read (see [`Mark`]).
    pub fn mark(&self) -> Mark {
        Mark {
            principals: self.principals.generation(),
            sessions: self.sessions.generation(),
        }
    }

    /// The principal of a token hash, if cached, alive and not expired.
    pub fn principal(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Authenticated> {
        if !self.enabled() {
            return None;
        }
        self.principals.get(&token_hash.to_owned(), self.ttl, now)
    }

    /// Keeps a principal read after `mark`.
    pub fn put_principal(
        &self,
        mark: Mark,
        token_hash: String,
        found: Authenticated,
        now: DateTime<Utc>,
    ) {
        if self.enabled() {
            let until = Some(found.expires_at);
            self.principals.put(
                mark.principals,
                token_hash,
                found,
                until,
                self.ttl,
                self.capacity,
                now,
            );
        }
    }

    /// A session of `user_id`, if cached, alive and at most `max_age` old
    /// (the TTL bounds it too).
    pub fn session(
        &self,
        id: Uuid,
        user_id: Uuid,
        max_age: Duration,
        now: DateTime<Utc>,
    ) -> Option<SessionEntry> {
        if !self.enabled() {
            return None;
        }
        self.sessions
            .get(&id, self.ttl.min(max_age), now)
            .filter(|e| e.session.user_id == user_id)
    }

    /// Keeps a session read after `mark`.
    pub fn put_session(&self, mark: Mark, entry: SessionEntry, now: DateTime<Utc>) {
        if self.enabled() {
            self.sessions.put(
                mark.sessions,
                entry.session.id,
                entry,
                None,
                self.ttl,
                self.capacity,
                now,
            );
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
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<Authenticated>, ApiError> {
    refuse_api_key(parts, state).await?;
    if parts.extensions.get::<BrowserSession>().is_some() || !state.hot.enabled() {
        return authenticate(parts, state, TokenKind::Access).await;
    }
    let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
    let hash = hash_token(token);
    let now = state.now();
    if let Some(found) = state.hot.principal(&hash, now) {
        return Ok(Some(found));
    }
    let mark = state.hot.mark();
    let found = sessions::authenticate(state.db.read(), &hash, TokenKind::Access, now).await?;
    if let Some(f) = &found
        && f.user.status == AccountStatus::Active
    {
        state.hot.put_principal(mark, hash, f.clone(), now);
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
    own_session_within(state, user_id, id, Duration::MAX).await
}

/// [`own_session`] for proctoring events from the laptop: a cached entry
/// at most the grace old. The event writer does not check the session's
/// state again, so a stale "running" must never let an event in later than
/// the grace after the session ended.
pub async fn own_session_for_events(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
) -> Result<SessionEntry, ApiError> {
    let grace = state.config.grace().to_std().unwrap_or(Duration::ZERO);
    own_session_within(state, user_id, id, grace).await
}

async fn own_session_within(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
    max_age: Duration,
) -> Result<SessionEntry, ApiError> {
    if let Some(e) = state.hot.session(id, user_id, max_age, state.now()) {
        return Ok(e);
    }
    let mark = state.hot.mark();
    let session = super::service::session_of_candidate(state, user_id, id).await?;
    let entry = SessionEntry {
        served: Arc::new(served_shapes(state, id).await?),
        session,
    };
    state.hot.put_session(mark, entry.clone(), state.now());
    Ok(entry)
}

/// The same, read again from the database (the cached state would refuse:
/// make sure it is not stale) and kept.
pub async fn fresh_session(
    state: &AppState,
    user_id: Uuid,
    cached: SessionEntry,
) -> Result<SessionEntry, ApiError> {
    let mark = state.hot.mark();
    let session = super::service::session_of_candidate(state, user_id, cached.session.id).await?;
    let entry = SessionEntry {
        session,
        served: cached.served,
    };
    state.hot.put_session(mark, entry.clone(), state.now());
    Ok(entry)
}

/// The cache epoch of the candidates' standing (`invigil_store::cache_epochs`).
const STANDING_EPOCH: &str = "standing";

/// After a change that may take away a principal or a candidate's standing
/// (sign-out, revocations, password and email changes, role and member
/// status changes, removals), once committed: empties this process's cache
/// and moves the epoch on, so every other replica empties its own at its
/// next poll ([`watch_epoch`]). Failing to move it only leaves the others
/// to their TTL: logged, not an error of the request.
pub async fn standing_changed(state: &AppState) {
    state.hot.forget_all();
    if let Err(e) = invigil_store::cache_epochs::bump(state.db.write(), STANDING_EPOCH).await {
        tracing::warn!(error = %e, "cannot move the cache epoch on: other replicas wait out their TTL");
    }
}

/// One poll of the standing epoch: empties the cache when it moved since
/// `seen` (the first poll only records it).
pub async fn poll_epoch(state: &AppState, seen: &mut Option<i64>) -> Result<(), ApiError> {
    let now = invigil_store::cache_epochs::current(state.db.read(), STANDING_EPOCH).await?;
    if seen.is_some_and(|s| s != now) {
        state.hot.forget_all();
    }
    *seen = Some(now);
    Ok(())
}

/// Polls the standing epoch every `cache_epoch_poll_ms` on this replica
/// (every replica runs it: it is not a leased job).
pub fn watch_epoch(state: &AppState) {
    let every = state.config.cache_epoch_poll_ms;
    if every == 0 || !state.hot.enabled() {
        return;
    }
    let st = state.clone();
    let token = state.background.token();
    state.background.spawn("cache-epoch", async move {
        let mut tick = tokio::time::interval(Duration::from_millis(every));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen = None;
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tick.tick() => {}
            }
            if let Err(e) = poll_epoch(&st, &mut seen).await {
                tracing::warn!(error = %e, "cannot read the cache epoch");
            }
        }
    });
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
        m.put(0, 1, 10, None, ttl, 10, now);
        m.put(
            0,
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
            m.put(0, k, k, None, ttl, 3, now);
        }
        assert_eq!(m.len(), 3);
        // Full of live entries: cleared to make room.
        m.put(0, 9, 9, None, ttl, 3, now);
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&9, ttl, now), Some(9));
        // Full with an expired entry: only that one goes.
        let later = now + chrono::TimeDelta::seconds(120);
        m.put(0, 8, 8, None, ttl, 2, later);
        m.put(0, 7, 7, None, ttl, 2, later);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&8, ttl, later), Some(8));
        // Replacing a key never evicts.
        m.put(0, 10, 10, None, ttl, 2, now);
        m.put(0, 10, 11, None, ttl, 2, now);
        assert_eq!(m.get(&10, ttl, now), Some(11));
    }

    #[test]
    fn a_value_read_before_a_clear_is_not_put_after_it() {
        let m = map();
        let now = Utc::now();
        let ttl = Duration::from_secs(60);
        let before = m.generation();
        m.clear();
        m.put(before, 1, 10, None, ttl, 10, now);
        assert_eq!(m.get(&1, ttl, now), None);
        m.put(m.generation(), 1, 11, None, ttl, 10, now);
        assert_eq!(m.get(&1, ttl, now), Some(11));
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
