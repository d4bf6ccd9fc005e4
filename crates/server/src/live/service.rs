//! The live session services: scheduling and changing a course's live
//! classes, their status, participants, joining and leaving, and a
//! learner's list. Staff are the course's instructors (`TeachCourses` and
//! an instructor of it) and course managers (`ManageCourses`); the other
//! side is a participant of the session. Anyone else gets 404.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use invigil_domain::courses::{effective_status, grants_access};
use invigil_domain::notify::live::{
    self as rules, JOIN_EARLY_MINUTES, LiveAction, LiveStatus, MAX_DURATION_MINUTES,
    ParticipantRole,
};
use invigil_domain::notify::{NoticeKind, Priority};
use invigil_store::identity::users;
use invigil_store::live::{self as store, LiveSession, Participant};
use invigil_store::{Keyset, Tx, courses, tenancy};

use super::views::{
    JoinView, LiveSessionBody, LiveSessionPatch, LiveSessionView, ParticipantView,
    ParticipantsAdded, ParticipantsBody,
};
use crate::audit::AuditAction;
use crate::courses::access::{self, Caller};
use crate::courses::validate::Errors;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::notify::{Notice, Vars};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// Most user ids in one "add participants" call.
pub const MAX_ADD: usize = 500;
/// How far ahead a live class may be scheduled.
const MAX_AHEAD_DAYS: i64 = 366;
/// How long after its start a live class stays in a learner's list.
pub const RECENT_DAYS: i64 = 30;

/// The link of the learner's page of live classes (notifications).
pub const LEARNER_PAGE: &str = "/me/live";

/// How a time is written in notices.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn meeting_url(e: &mut Errors, field: &str, raw: &str) -> String {
    let url = raw.trim();
    if !rules::is_meeting_url(url) {
        e.push(
            field,
            "must be an https:// link of the meeting (at most 500 characters, no spaces)",
        );
    }
    url.to_owned()
}

fn description(e: &mut Errors, raw: Option<&str>) -> Option<String> {
    let raw = raw?;
    if raw.chars().count() > 5000 {
        e.push("description", "must be at most 5000 characters");
        return None;
    }
    e.markdown_opt("description", Some(raw))
}

fn duration(e: &mut Errors, raw: i64) -> i32 {
    match i32::try_from(raw) {
        Ok(m) if (1..=MAX_DURATION_MINUTES).contains(&m) => m,
        _ => {
            e.push(
                "duration_minutes",
                format!("must be a whole number of minutes from 1 to {MAX_DURATION_MINUTES}"),
            );
            1
        }
    }
}

fn start(e: &mut Errors, at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    if at <= now {
        e.push("scheduled_at", "must be in the future");
    } else if at > now + Duration::days(MAX_AHEAD_DAYS) {
        e.push("scheduled_at", "must be within a year from now");
    }
    crate::clock::truncate(at)
}

/// Whether the caller is staff of the session: a course manager, or an
/// instructor of its course.
async fn is_staff<C: courses::Conn>(
    conn: &C,
    caller: &Caller,
    s: &LiveSession,
) -> Result<bool, ApiError> {
    if caller.manage {
        return Ok(true);
    }
    Ok(match s.course_id {
        Some(course) if caller.teach => {
            courses::is_instructor(conn, caller.org_id(), course, caller.user_id()).await?
        }
        _ => false,
    })
}

async fn found<C: courses::Conn>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> Result<LiveSession, ApiError> {
    store::session(conn, caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The session for a staff change: 404 unless the caller may see it, 403
/// for a participant who is not staff.
async fn staff_session<C: courses::Conn>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> Result<LiveSession, ApiError> {
    let s = found(conn, caller, id).await?;
    if is_staff(conn, caller, &s).await? {
        return Ok(s);
    }
    if store::participant_of(conn, s.id, caller.user_id())
        .await?
        .is_some()
    {
        return Err(ApiError::Denied(
            "only the course's instructors and course managers change a live class".into(),
        ));
    }
    Err(ApiError::NotFound)
}

/// The caller's participation in session `id`: 404 when there is none
/// (staff who are not participants get 403).
async fn my_participation(
    tx: &Tx,
    caller: &Caller,
    id: Uuid,
) -> Result<(LiveSession, Participant), ApiError> {
    let s = found(tx, caller, id).await?;
    match store::participant_of(tx, s.id, caller.user_id()).await? {
        Some(p) => Ok((s, p)),
        None if is_staff(tx, caller, &s).await? => Err(ApiError::Denied(
            "only participants join a live class: add yourself first".into(),
        )),
        None => Err(ApiError::NotFound),
    }
}

async fn staff_view<C: courses::Conn>(
    conn: &C,
    s: &LiveSession,
) -> Result<LiveSessionView, ApiError> {
    let counts = store::attendance_counts(conn, s.id).await?;
    Ok(LiveSessionView::for_staff(s, counts))
}

/// Schedules a live class of course `course_id`; the caller hosts it and
/// is its first participant.
#[tracing::instrument(skip_all, err, fields(course_id = %course_id))]
pub async fn create(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    body: LiveSessionBody,
) -> Result<LiveSessionView, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    let title = e.line::<200>("title", &body.title);
    let description = description(&mut e, body.description.as_deref());
    let scheduled_at = start(&mut e, body.scheduled_at, now);
    let duration_minutes = duration(&mut e, body.duration_minutes);
    let join_url = meeting_url(&mut e, "join_url", &body.join_url);
    let recording_url = body
        .recording_url
        .as_deref()
        .map(|u| meeting_url(&mut e, "recording_url", u));
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let row = store::insert_session(
        &tx,
        LiveSession {
            id: Uuid::now_v7(),
            org_id: caller.org_id(),
            course_id: Some(course_id),
            host_id: caller.user_id(),
            title,
            description,
            scheduled_at,
            duration_minutes,
            status: LiveStatus::Scheduled,
            join_url,
            recording_url,
            created_by: caller.user_id(),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    store::insert_participant(&tx, new_participant(row.id, caller.user_id(), true, now)).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::LiveSessionScheduled,
            row.id,
            json!({ "course_id": course_id, "title": row.title,
                "scheduled_at": row.scheduled_at, "duration_minutes": row.duration_minutes }),
        )
        .await?;
    let view = staff_view(&tx, &row).await?;
    commit(tx).await?;
    Ok(view)
}

fn new_participant(session: Uuid, user: Uuid, host: bool, now: DateTime<Utc>) -> Participant {
    Participant {
        id: Uuid::now_v7(),
        live_session_id: session,
        user_id: user,
        role: if host {
            ParticipantRole::Host
        } else {
            ParticipantRole::Attendee
        },
        joined_at: None,
        left_at: None,
        attended: false,
        reminded_at: None,
        created_at: now,
    }
}

/// A course's live classes (its staff), oldest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    page: Keyset<Uuid>,
) -> Result<Page<LiveSessionView>, ApiError> {
    let db = state.db.read();
    access::edit(db, caller, course_id, state.now()).await?;
    let rows = store::sessions_of_course(db, caller.org_id(), course_id, page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for s in &rows.items {
        items.push(staff_view(db, s).await?);
    }
    Ok(Page {
        next_cursor: rows.next.map(|k| k.to_string()),
        items,
    })
}

/// One live class: staff see the link and the counts, a participant their
/// own attendance.
pub async fn get(state: &AppState, caller: &Caller, id: Uuid) -> Result<LiveSessionView, ApiError> {
    let db = state.db.read();
    let s = found(db, caller, id).await?;
    if is_staff(db, caller, &s).await? {
        return staff_view(db, &s).await;
    }
    match store::participant_of(db, s.id, caller.user_id()).await? {
        Some(p) => Ok(LiveSessionView::for_participant(&s, Some(&p))),
        None => Err(ApiError::NotFound),
    }
}

/// Changes a live class (see [`LiveSessionPatch`]); a new start time
/// sends the reminders again.
#[tracing::instrument(skip_all, err, fields(live_session_id = %id))]
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    p: LiveSessionPatch,
) -> Result<LiveSessionView, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    let title = p.title.as_deref().map(|t| e.line::<200>("title", t));
    let desc = p.description.map(|d| description(&mut e, d.as_deref()));
    let scheduled_at = p.scheduled_at.map(|t| start(&mut e, t, now));
    let duration_minutes = p.duration_minutes.map(|d| duration(&mut e, d));
    let join_url = p
        .join_url
        .as_deref()
        .map(|u| meeting_url(&mut e, "join_url", u));
    let recording = p.recording_url.map(|r| {
        r.as_deref()
            .map(|u| meeting_url(&mut e, "recording_url", u))
    });
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    let mut s = staff_session(&tx, caller, id).await?;
    if !rules::may_edit(s.status) {
        return Err(ApiError::conflict(
            "a cancelled live class cannot be changed",
        ));
    }
    let reschedule = scheduled_at.is_some() || duration_minutes.is_some() || join_url.is_some();
    if reschedule && !rules::may_reschedule(s.status) {
        return Err(ApiError::conflict(format!(
            "the time, duration and link of a {} live class cannot change",
            s.status
        )));
    }
    let moved = scheduled_at.is_some_and(|t| t != s.scheduled_at);
    if let Some(t) = title {
        s.title = t;
    }
    if let Some(d) = desc {
        s.description = d;
    }
    if let Some(t) = scheduled_at {
        s.scheduled_at = t;
    }
    if let Some(d) = duration_minutes {
        s.duration_minutes = d;
    }
    if let Some(u) = join_url {
        s.join_url = u;
    }
    if let Some(r) = recording {
        s.recording_url = r;
    }
    s.updated_at = now;
    let s = store::update_session(&tx, s).await?;
    if moved {
        store::clear_reminders(&tx, s.id).await?;
    }
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::LiveSessionUpdated,
            s.id,
            json!({ "course_id": s.course_id, "title": s.title,
                "scheduled_at": s.scheduled_at, "duration_minutes": s.duration_minutes,
                "rescheduled": moved }),
        )
        .await?;
    let view = staff_view(&tx, &s).await?;
    commit(tx).await?;
    Ok(view)
}

/// Starts, ends or cancels a live class; a cancel tells every other
/// participant.
#[tracing::instrument(skip_all, err, fields(live_session_id = %id))]
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    action: LiveAction,
) -> Result<LiveSessionView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let mut s = staff_session(&tx, caller, id).await?;
    let from = s.status;
    let to = rules::transition(from, action)
        .map_err(|e| ApiError::conflict_code("invalid_transition", e.to_string()))?;
    s.status = to;
    s.updated_at = now;
    let s = store::update_session(&tx, s).await?;
    if to == LiveStatus::Cancelled {
        for p in store::participants_all(&tx, s.id).await? {
            if p.user_id == caller.user_id() {
                continue;
            }
            crate::notify::send(
                &tx,
                state,
                Notice {
                    org_id: Some(s.org_id),
                    user_id: p.user_id,
                    kind: NoticeKind::LiveSession,
                    priority: Priority::High,
                    template_key: "live_session_cancelled",
                    vars: Vars::new()
                        .set("title", s.title.clone())
                        .set("starts_at", when(s.scheduled_at)),
                    link: Some(LEARNER_PAGE.into()),
                },
            )
            .await?;
        }
    }
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::LiveSessionStatusChanged,
            s.id,
            json!({ "course_id": s.course_id, "from": from, "to": to }),
        )
        .await?;
    let view = staff_view(&tx, &s).await?;
    commit(tx).await?;
    Ok(view)
}

/// A page of the participants with their attendance (staff).
pub async fn participants(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    attended_only: bool,
    page: Keyset<Uuid>,
) -> Result<Page<ParticipantView>, ApiError> {
    let db = state.db.read();
    let s = staff_session(db, caller, id).await?;
    let rows = store::participants_page(db, s.id, attended_only, page).await?;
    let people = users::by_ids(db, rows.items.iter().map(|p| p.user_id).collect()).await?;
    Ok(Page::from_keyset(rows, |p| {
        let u = people.iter().find(|u| u.id == p.user_id);
        ParticipantView::of(&p, u)
    }))
}

fn open_for_participants(s: &LiveSession) -> Result<(), ApiError> {
    match s.status {
        LiveStatus::Scheduled | LiveStatus::Live => Ok(()),
        other => Err(ApiError::conflict(format!(
            "a {other} live class takes no new participants"
        ))),
    }
}

/// Learners (by id) who hold access to the course now.
async fn enrolled_learners(
    tx: &Tx,
    org_id: Uuid,
    course_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, ApiError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page =
            courses::enrollments_page(tx, org_id, course_id, Keyset::new(after, 500)).await?;
        out.extend(
            page.items
                .iter()
                .filter(|e| grants_access(effective_status(e.status, e.expires_at, now)))
                .map(|e| e.user_id),
        );
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

async fn add(
    tx: &Tx,
    caller: &Caller,
    s: &LiveSession,
    users: &[Uuid],
    now: DateTime<Utc>,
    how: &str,
) -> Result<ParticipantsAdded, ApiError> {
    let existing = store::participant_ids(tx, s.id).await?;
    let mut added = Vec::new();
    for u in users {
        if existing.contains(u) || added.contains(u) {
            continue;
        }
        store::insert_participant(tx, new_participant(s.id, *u, false, now)).await?;
        added.push(*u);
    }
    if !added.is_empty() {
        caller
            .auth
            .audit(now)
            .record(
                tx,
                AuditAction::LiveSessionParticipantsAdded,
                s.id,
                json!({ "course_id": s.course_id, "how": how, "user_ids": added }),
            )
            .await?;
    }
    Ok(ParticipantsAdded {
        added: added.len() as u64,
    })
}

/// Adds learners enrolled in the course (422 naming each who is not);
/// those in already are skipped.
#[tracing::instrument(skip_all, err, fields(live_session_id = %id))]
pub async fn add_participants(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    body: ParticipantsBody,
) -> Result<ParticipantsAdded, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    if body.user_ids.is_empty() {
        e.push("user_ids", "name at least one learner");
    } else if body.user_ids.len() > MAX_ADD {
        e.push("user_ids", format!("at most {MAX_ADD} at a time"));
    }
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    let s = staff_session(&tx, caller, id).await?;
    open_for_participants(&s)?;
    let course = s
        .course_id
        .ok_or_else(|| ApiError::conflict("this live class belongs to no course"))?;
    let mut e = Errors::default();
    for (i, u) in body.user_ids.iter().enumerate() {
        let ok = courses::enrollment_of(&tx, caller.org_id(), course, *u)
            .await?
            .is_some_and(|en| grants_access(effective_status(en.status, en.expires_at, now)));
        if !ok {
            e.push(
                &format!("user_ids[{i}]"),
                "is not a learner enrolled in the course",
            );
        }
    }
    e.done(()).map_err(ApiError::Validation)?;
    let out = add(&tx, caller, &s, &body.user_ids, now, "by_id").await?;
    commit(tx).await?;
    Ok(out)
}

/// Adds every learner enrolled in the course now.
#[tracing::instrument(skip_all, err, fields(live_session_id = %id))]
pub async fn add_enrolled(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<ParticipantsAdded, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let s = staff_session(&tx, caller, id).await?;
    open_for_participants(&s)?;
    let course = s
        .course_id
        .ok_or_else(|| ApiError::conflict("this live class belongs to no course"))?;
    let learners = enrolled_learners(&tx, caller.org_id(), course, now).await?;
    let out = add(&tx, caller, &s, &learners, now, "enrolled").await?;
    commit(tx).await?;
    Ok(out)
}

/// Removes a participant (not the host).
#[tracing::instrument(skip_all, err, fields(live_session_id = %id))]
pub async fn remove_participant(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let s = staff_session(&tx, caller, id).await?;
    if user_id == s.host_id {
        return Err(ApiError::conflict("the host stays a participant"));
    }
    if !store::delete_participant(&tx, s.id, user_id).await? {
        return Err(ApiError::NotFound);
    }
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::LiveSessionParticipantRemoved,
            s.id,
            json!({ "course_id": s.course_id, "user_id": user_id }),
        )
        .await?;
    commit(tx).await?;
    Ok(())
}

/// Why a participant cannot join now.
pub fn closed_reason(s: &LiveSession, now: DateTime<Utc>) -> String {
    let opens = s.scheduled_at - Duration::minutes(JOIN_EARLY_MINUTES);
    match s.status {
        LiveStatus::Cancelled => "the live class was cancelled".into(),
        LiveStatus::Ended => "the live class has ended".into(),
        LiveStatus::Scheduled if now < opens => format!(
            "the live class opens for joining at {} ({JOIN_EARLY_MINUTES} minutes before it starts)",
            when(opens)
        ),
        _ => "the live class's planned time is over".into(),
    }
}

/// A participant joins: attendance is recorded and the meeting link
/// returned, only while the session is LIVE or in its join window (409
/// with the reason otherwise).
#[tracing::instrument(skip_all, err, fields(live_session_id = %id))]
pub async fn join(state: &AppState, caller: &Caller, id: Uuid) -> Result<JoinView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let (s, mut p) = my_participation(&tx, caller, id).await?;
    if !rules::may_join(s.status, s.scheduled_at, s.duration_minutes, now) {
        return Err(ApiError::conflict_code(
            "live_not_open",
            closed_reason(&s, now),
        ));
    }
    let first = p.joined_at.is_none();
    p.joined_at = p.joined_at.or(Some(now));
    p.left_at = None;
    p.attended = true;
    let p = store::update_participant(&tx, p).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::LiveSessionJoined,
            s.id,
            json!({ "course_id": s.course_id, "first": first }),
        )
        .await?;
    commit(tx).await?;
    Ok(JoinView {
        join_url: s.join_url,
        joined_at: p.joined_at.unwrap_or(now),
    })
}

/// A participant who joined leaves (the time is kept).
#[tracing::instrument(skip_all, err, fields(live_session_id = %id))]
pub async fn leave(state: &AppState, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let (s, mut p) = my_participation(&tx, caller, id).await?;
    if p.joined_at.is_none() {
        return Err(ApiError::conflict("you have not joined this live class"));
    }
    p.left_at = Some(now);
    store::update_participant(&tx, p).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::LiveSessionLeft,
            s.id,
            json!({ "course_id": s.course_id }),
        )
        .await?;
    commit(tx).await?;
    Ok(())
}

/// The live classes `user_id` takes part in, in every organization, newest
/// first: upcoming and live ones, and the ones of the last
/// [`RECENT_DAYS`] days.
pub async fn mine(
    state: &AppState,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> Result<Page<LiveSessionView>, ApiError> {
    let db = state.db.read();
    let since = state.now() - Duration::days(RECENT_DAYS);
    let rows = store::sessions_of_user(db, user_id, since, page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for s in &rows.items {
        let me = store::participant_of(db, s.id, user_id).await?;
        let mut v = LiveSessionView::for_participant(s, me.as_ref());
        v.org_slug = tenancy::org_by_id(db, s.org_id).await?.map(|o| o.slug);
        if let Some(c) = s.course_id {
            v.course_title = courses::course(db, s.org_id, c).await?.map(|c| c.title);
        }
        items.push(v);
    }
    Ok(Page {
        next_cursor: rows.next.map(|k| k.to_string()),
        items,
    })
}
