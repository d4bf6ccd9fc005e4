//! Delivery persistence: exam sessions, served questions, answers (with the
//! revision-guarded upsert the group-commit writer uses), proctor actions.
//! Grades and the grading queue are in [`crate::grading`].
//! Only PostgreSQL has row locks; on SQLite the single writer connection
//! serializes writers, so the lock helpers are no-ops there.

pub mod analysis;
pub mod entities;

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, Order,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use invigil_domain::delivery::session::DeliveryStatus;
use invigil_domain::review::IntegrityStatus;

use entities::{admin_action, served};
pub(crate) use entities::{answer, session};

use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, KeysetPage};

pub use admin_action::Model as AdminAction;
pub use answer::Model as Answer;
pub use served::Model as Served;
pub use session::Model as Session;

fn is_pg<C: ConnectionTrait>(conn: &C) -> bool {
    conn.get_database_backend() == DbBackend::Postgres
}

pub async fn insert_session<C: ConnectionTrait>(conn: &C, s: Session) -> StoreResult<Session> {
    session::ActiveModel::from(s)
        .insert(conn)
        .await
        .map_err(|e| {
            if crate::error::is_unique_violation(&e) {
                StoreError::Conflict("a session for this attempt exists".into())
            } else {
                e.into()
            }
        })
}

pub async fn insert_served<C: ConnectionTrait>(conn: &C, rows: Vec<Served>) -> StoreResult<()> {
    for chunk in rows.chunks(300) {
        let models: Vec<served::ActiveModel> = chunk
            .iter()
            .cloned()
            .map(served::ActiveModel::from)
            .collect();
        served::Entity::insert_many(models)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

pub async fn session<C: ConnectionTrait>(conn: &C, id: Uuid) -> StoreResult<Option<Session>> {
    Ok(session::Entity::find_by_id(id).one(conn).await?)
}

pub async fn session_in_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Session>> {
    Ok(session::Entity::find_by_id(id)
        .filter(session::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// The session row, locked until the transaction ends (PostgreSQL).
pub async fn session_for_update<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> StoreResult<Option<Session>> {
    let mut q = session::Entity::find_by_id(id);
    if is_pg(conn) {
        q = q.lock_exclusive();
    }
    Ok(q.one(conn).await?)
}

/// Sessions by id, in id order (no lock).
pub async fn sessions_by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> StoreResult<Vec<Session>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sessions_in_id_order(ids).all(conn).await?)
}

/// Sessions by id (in id order) locked for update (PostgreSQL), as
/// [`session_for_update`] for several: the risk engine judges a writer
/// batch's sessions in one transaction. Locking in id order keeps two such
/// transactions from deadlocking.
pub async fn sessions_for_update<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> StoreResult<Vec<Session>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = sessions_in_id_order(ids);
    if is_pg(conn) {
        q = q.lock_exclusive();
    }
    Ok(q.all(conn).await?)
}

fn sessions_in_id_order(ids: &[Uuid]) -> sea_orm::Select<session::Entity> {
    session::Entity::find()
        .filter(session::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(session::Column::Id)
}

/// Sessions by id with a shared lock (PostgreSQL), so a concurrent submit
/// waits for a batch of saves to commit and then grades what they saved.
pub async fn sessions_for_save<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<Uuid>,
) -> StoreResult<Vec<Session>> {
    let mut q = session::Entity::find().filter(session::Column::Id.is_in(ids));
    if is_pg(conn) {
        q = q.lock_shared();
    }
    Ok(q.all(conn).await?)
}

/// The running (IN_PROGRESS or PAUSED) session of an enrollment.
pub async fn open_session_of<C: ConnectionTrait>(
    conn: &C,
    enrollment_id: Uuid,
) -> StoreResult<Option<Session>> {
    Ok(session::Entity::find()
        .filter(session::Column::EnrollmentId.eq(enrollment_id))
        .filter(session::Column::Status.is_in([DeliveryStatus::InProgress, DeliveryStatus::Paused]))
        .order_by_desc(session::Column::AttemptNo)
        .one(conn)
        .await?)
}

pub async fn sessions_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> StoreResult<Vec<Session>> {
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .order_by_asc(session::Column::CreatedAt)
        .all(conn)
        .await?)
}

pub async fn sessions_of_exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
) -> StoreResult<Vec<Session>> {
    Ok(session::Entity::find()
        .filter(session::Column::OrgId.eq(org_id))
        .filter(session::Column::ExamId.eq(exam_id))
        .order_by_asc(session::Column::Id)
        .all(conn)
        .await?)
}

/// One page of an exam's sessions in start order (by id), only those in
/// `status` and `integrity` when given: the staff's roster of an exam.
pub async fn sessions_page_of_exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    status: Option<DeliveryStatus>,
    integrity: Option<IntegrityStatus>,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Session, Uuid>> {
    let mut q = session::Entity::find()
        .filter(session::Column::OrgId.eq(org_id))
        .filter(session::Column::ExamId.eq(exam_id));
    if let Some(st) = status {
        q = q.filter(session::Column::Status.eq(st));
    }
    if let Some(i) = integrity {
        q = q.filter(session::Column::IntegrityStatus.eq(i));
    }
    page.fetch(conn, q, session::Column::Id, Order::Asc, |s| s.id)
        .await
}

/// Running sessions whose deadline plus grace has passed (`cutoff` is
/// `now - grace`), oldest deadline first.
pub async fn due_sessions<C: ConnectionTrait>(
    conn: &C,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<Session>> {
    Ok(session::Entity::find()
        .filter(session::Column::Status.eq(DeliveryStatus::InProgress))
        .filter(session::Column::DeadlineAt.lte(cutoff))
        .order_by_asc(session::Column::DeadlineAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Writes a session's changed row if its status is still `expected_status`
/// (so two concurrent changes cannot both apply). Returns whether it did.
pub async fn update_session_if<C: ConnectionTrait>(
    conn: &C,
    s: &Session,
    expected_status: DeliveryStatus,
) -> StoreResult<bool> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::Status, Expr::value(s.status))
        .col_expr(session::Column::ExtensionsMs, Expr::value(s.extensions_ms))
        .col_expr(
            session::Column::PausedTotalMs,
            Expr::value(s.paused_total_ms),
        )
        .col_expr(session::Column::PausedSince, Expr::value(s.paused_since))
        .col_expr(session::Column::DeadlineAt, Expr::value(s.deadline_at))
        .col_expr(session::Column::FinishedAt, Expr::value(s.finished_at))
        .col_expr(
            session::Column::LastDeviceFingerprint,
            Expr::value(s.last_device_fingerprint.clone()),
        )
        .col_expr(session::Column::Ip, Expr::value(s.ip.clone()))
        .col_expr(
            session::Column::ObjectiveScore,
            Expr::value(s.objective_score),
        )
        .col_expr(
            session::Column::SubjectiveScore,
            Expr::value(s.subjective_score),
        )
        .col_expr(session::Column::FinalScore, Expr::value(s.final_score))
        .col_expr(session::Column::MaxScore, Expr::value(s.max_score))
        .col_expr(session::Column::Percent, Expr::value(s.percent))
        .col_expr(session::Column::Passed, Expr::value(s.passed))
        .col_expr(
            session::Column::PendingManual,
            Expr::value(s.pending_manual),
        )
        .col_expr(session::Column::GradedAt, Expr::value(s.graded_at))
        .col_expr(session::Column::UpdatedAt, Expr::value(s.updated_at))
        .filter(session::Column::Id.eq(s.id))
        .filter(session::Column::Status.eq(expected_status))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records the device and address a running session was resumed from,
/// touching no other column: a resume reads the session without a lock, and
/// writing the whole row back would undo an extension or a pause committed
/// in between. `false` when the session is no longer running.
pub async fn set_session_device<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    last_device_fingerprint: Option<String>,
    ip: Option<String>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = session::Entity::update_many()
        .col_expr(
            session::Column::LastDeviceFingerprint,
            Expr::value(last_device_fingerprint),
        )
        .col_expr(session::Column::Ip, Expr::value(ip))
        .col_expr(session::Column::UpdatedAt, Expr::value(now))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::Status.is_in([DeliveryStatus::InProgress, DeliveryStatus::Paused]))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn served<C: ConnectionTrait>(conn: &C, session_id: Uuid) -> StoreResult<Vec<Served>> {
    Ok(served::Entity::find()
        .filter(served::Column::SessionId.eq(session_id))
        .order_by_asc(served::Column::Position)
        .all(conn)
        .await?)
}

pub async fn served_one<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    question_id: Uuid,
) -> StoreResult<Option<Served>> {
    Ok(served::Entity::find()
        .filter(served::Column::SessionId.eq(session_id))
        .filter(served::Column::QuestionId.eq(question_id))
        .one(conn)
        .await?)
}

/// Sessions of an exam that were served `question_id`.
pub async fn served_question_in_exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    question_id: Uuid,
) -> StoreResult<Vec<Session>> {
    let rows = served::Entity::find()
        .filter(served::Column::OrgId.eq(org_id))
        .filter(served::Column::QuestionId.eq(question_id))
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = rows.into_iter().map(|r| r.session_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            session::Entity::find()
                .filter(session::Column::Id.is_in(chunk.to_vec()))
                .filter(session::Column::ExamId.eq(exam_id))
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

pub async fn answers<C: ConnectionTrait>(conn: &C, session_id: Uuid) -> StoreResult<Vec<Answer>> {
    Ok(answer::Entity::find()
        .filter(answer::Column::SessionId.eq(session_id))
        .all(conn)
        .await?)
}

pub async fn answer<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    question_id: Uuid,
) -> StoreResult<Option<Answer>> {
    Ok(answer::Entity::find_by_id((session_id, question_id))
        .one(conn)
        .await?)
}

/// One save: applied only when `revision` is higher than the stored one.
#[derive(Debug, Clone)]
pub struct AnswerSave {
    pub session_id: Uuid,
    pub question_id: Uuid,
    pub org_id: Uuid,
    pub response: serde_json::Value,
    pub revision: i64,
    pub latency_ms: Option<i64>,
    pub saved_at: DateTime<Utc>,
}

/// Inserts or updates an answer; a stored revision greater than or equal to
/// the incoming one wins (the update's WHERE keeps it).
/// `saved_at` is the time the writer judged the save at (its arrival, never
/// later than the batch).
pub async fn upsert_answer<C: ConnectionTrait>(
    conn: &C,
    a: &AnswerSave,
    saved_at: DateTime<Utc>,
) -> StoreResult<()> {
    upsert_answers(conn, &[(a, saved_at)]).await.map(drop)
}

/// (session, question, revision, saved_at) of a stored answer.
pub type StoredRevision = (Uuid, Uuid, i64, DateTime<Utc>);

/// Rows per multi-row upsert: 7 parameters each, well inside SQLite's and
/// PostgreSQL's parameter limits.
const UPSERT_CHUNK: usize = 500;

/// [`upsert_answer`] for many answers, in one statement per
/// [`UPSERT_CHUNK`] rows (one round trip to the database instead of one per
/// save). Of several saves of the same answer only the highest revision is
/// sent (the first of equal ones), which is what upserting them one by one
/// would leave stored; PostgreSQL refuses a statement that updates a row twice.
///
/// Answers the (session, question, revision, saved_at) of every row the
/// statements wrote (`RETURNING`, no second read); an answer whose stored
/// revision won is not among them ([`revisions`] reads it).
pub async fn upsert_answers<C: ConnectionTrait>(
    conn: &C,
    saves: &[(&AnswerSave, DateTime<Utc>)],
) -> StoreResult<Vec<StoredRevision>> {
    let mut written = Vec::with_capacity(saves.len());
    for chunk in newest(saves).chunks(UPSERT_CHUNK) {
        let mut stmt = Query::insert();
        stmt.into_table(answer::Entity).columns([
            answer::Column::SessionId,
            answer::Column::QuestionId,
            answer::Column::OrgId,
            answer::Column::Response,
            answer::Column::Revision,
            answer::Column::LatencyMs,
            answer::Column::SavedAt,
        ]);
        for &i in chunk {
            let (a, saved_at) = saves[i];
            stmt.values_panic(answer_values(a, saved_at).map(Expr::value));
        }
        stmt.on_conflict(
            OnConflict::columns([answer::Column::SessionId, answer::Column::QuestionId])
                .update_columns([
                    answer::Column::Response,
                    answer::Column::Revision,
                    answer::Column::LatencyMs,
                    answer::Column::SavedAt,
                ])
                .action_and_where(Expr::col((answer::Entity, answer::Column::Revision)).lt(
                    Expr::col((Alias::new("excluded"), answer::Column::Revision)),
                ))
                .to_owned(),
        );
        stmt.returning(Query::returning().columns([
            answer::Column::SessionId,
            answer::Column::QuestionId,
            answer::Column::Revision,
            answer::Column::SavedAt,
        ]));
        written.extend(written_rows(conn.query_all(&stmt).await?)?);
    }
    Ok(written)
}

/// An answer row's values in the upserts' column order: session, question,
/// org, response, revision, latency, saved_at.
fn answer_values(a: &AnswerSave, saved_at: DateTime<Utc>) -> [sea_orm::Value; 7] {
    [
        a.session_id.into(),
        a.question_id.into(),
        a.org_id.into(),
        // The text `StoredResponse` stores, without copying the value.
        a.response.to_string().into(),
        a.revision.into(),
        a.latency_ms.into(),
        saved_at.into(),
    ]
}

/// Of several saves of the same answer, the index of the highest revision
/// (the first of equal ones), in batch order: what upserting them one by one
/// would leave stored (PostgreSQL refuses a statement that updates a row
/// twice).
pub fn newest(saves: &[(&AnswerSave, DateTime<Utc>)]) -> Vec<usize> {
    let mut best: HashMap<(Uuid, Uuid), usize> = HashMap::with_capacity(saves.len());
    for (i, (a, _)) in saves.iter().enumerate() {
        best.entry((a.session_id, a.question_id))
            .and_modify(|j| {
                if a.revision > saves[*j].0.revision {
                    *j = i;
                }
            })
            .or_insert(i);
    }
    let mut rows: Vec<usize> = best.into_values().collect();
    rows.sort_unstable();
    rows
}

/// The (session, question, revision, saved_at) an upsert's `RETURNING`
/// answered.
fn written_rows(rows: Vec<sea_orm::QueryResult>) -> StoreResult<Vec<StoredRevision>> {
    rows.into_iter()
        .map(|row| {
            Ok((
                row.try_get::<Uuid>("", "session_id")?,
                row.try_get::<Uuid>("", "question_id")?,
                row.try_get::<i64>("", "revision")?,
                row.try_get::<DateTime<Utc>>("", "saved_at")?,
            ))
        })
        .collect()
}

/// Most saves [`upsert_live_answers`] writes in one statement (8 parameters
/// each); the writer sends bigger batches through its transaction instead.
pub const LIVE_CHUNK: usize = 400;

/// How much earlier than `deadline + grace` a save must have arrived for
/// [`upsert_live_answers`] to write it. `deadline_at` is computed from the
/// clock before its parts are stored in whole milliseconds, so it can lie up
/// to a millisecond past the deadline the rule sees; saves of the last few
/// milliseconds are left to the full check, which judges them exactly.
pub const LIVE_MARGIN: chrono::TimeDelta = chrono::TimeDelta::milliseconds(10);

/// The autosave writer's fast path: [`upsert_answers`] in **one statement
/// that checks the sessions itself**, so a batch of up to [`LIVE_CHUNK`]
/// saves is a single round trip (no transaction of its own: one statement is
/// atomic on both backends). A save is written only when its session, read
/// by that statement, is of the save's organization and IN_PROGRESS with a
/// deadline after `saved_at - grace + LIVE_MARGIN`, i.e. only when
/// `DeliveryState::check_save` would surely accept it (`deadline_at` is the
/// clock's deadline while running, kept by every state change). On
/// PostgreSQL the session rows are read `FOR SHARE`, in session id order like
/// the risk engine's `FOR UPDATE` (no lock-order deadlock): a concurrent
/// submit waits for the statement, or the statement waits for the submit and
/// then sees it (the row is checked again) and writes nothing.
///
/// Answers the rows it wrote, like [`upsert_answers`]. A save it did not
/// write - a stale revision, or a session it could not prove live (paused,
/// finished, past the deadline, another organization's, unknown) - is left
/// to the caller's full check.
pub async fn upsert_live_answers<C: ConnectionTrait>(
    conn: &C,
    saves: &[(&AnswerSave, DateTime<Utc>)],
    grace: chrono::TimeDelta,
) -> StoreResult<Vec<StoredRevision>> {
    let backend = conn.get_database_backend();
    let mut written = Vec::with_capacity(saves.len());
    let mut rows_in_lock_order = newest(saves);
    rows_in_lock_order.sort_by_key(|&i| (saves[i].0.session_id, saves[i].0.question_id));
    for chunk in rows_in_lock_order.chunks(LIVE_CHUNK) {
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 8);
        let mut rows = String::with_capacity(chunk.len() * 40);
        for (n, &i) in chunk.iter().enumerate() {
            let (a, saved_at) = saves[i];
            if n > 0 {
                rows.push(',');
            }
            rows.push('(');
            for k in 0..8 {
                if k > 0 {
                    rows.push(',');
                }
                match backend {
                    DbBackend::Postgres => {
                        let _ = write!(rows, "${}", values.len() + k + 1);
                    }
                    _ => rows.push('?'),
                }
            }
            rows.push(')');
            values.extend(answer_values(a, saved_at));
            values.push((saved_at - grace + LIVE_MARGIN).into());
        }
        let lock = if backend == DbBackend::Postgres {
            " FOR SHARE OF s"
        } else {
            ""
        };
        // VALUES columns are column1..column8 on both backends. SQLite needs
        // the WHERE before ON CONFLICT (it would read it as a join's ON).
        let sql = format!(
            "INSERT INTO answers \
             (session_id, question_id, org_id, response, revision, latency_ms, saved_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7 \
             FROM (VALUES {rows}) AS v \
             JOIN exam_sessions s ON s.id = v.column1 AND s.org_id = v.column3 \
             WHERE s.status = '{live}' AND s.deadline_at > v.column8{lock} \
             ON CONFLICT (session_id, question_id) DO UPDATE SET \
             response = excluded.response, revision = excluded.revision, \
             latency_ms = excluded.latency_ms, saved_at = excluded.saved_at \
             WHERE answers.revision < excluded.revision \
             RETURNING session_id, question_id, revision, saved_at",
            live = DeliveryStatus::InProgress.name(),
        );
        let stmt = sea_orm::Statement::from_sql_and_values(backend, sql, values);
        written.extend(written_rows(conn.query_all_raw(stmt).await?)?);
    }
    Ok(written)
}

/// Stored (revision, saved_at) of many answers.
pub async fn revisions<C: ConnectionTrait>(
    conn: &C,
    keys: &[(Uuid, Uuid)],
) -> StoreResult<Vec<StoredRevision>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(200) {
        let mut cond = Condition::any();
        for (s, q) in chunk {
            cond = cond.add(
                Condition::all()
                    .add(answer::Column::SessionId.eq(*s))
                    .add(answer::Column::QuestionId.eq(*q)),
            );
        }
        out.extend(
            answer::Entity::find()
                .select_only()
                .columns([
                    answer::Column::SessionId,
                    answer::Column::QuestionId,
                    answer::Column::Revision,
                    answer::Column::SavedAt,
                ])
                .filter(cond)
                .into_tuple::<(Uuid, Uuid, i64, DateTime<Utc>)>()
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

pub async fn insert_admin_action<C: ConnectionTrait>(conn: &C, a: AdminAction) -> StoreResult<()> {
    admin_action::ActiveModel::from(a).insert(conn).await?;
    Ok(())
}

pub async fn admin_actions<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<Vec<AdminAction>> {
    Ok(admin_action::Entity::find()
        .filter(admin_action::Column::SessionId.eq(session_id))
        .order_by_asc(admin_action::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// When `user_id` finished each submitted exam attempt, with its percent
/// (the learner's progress and streaks read this).
pub async fn finished_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> StoreResult<Vec<(DateTime<Utc>, Option<f64>)>> {
    let rows: Vec<(Option<DateTime<Utc>>, Option<f64>)> = session::Entity::find()
        .select_only()
        .column(session::Column::FinishedAt)
        .column(session::Column::Percent)
        .filter(session::Column::UserId.eq(user_id))
        .filter(
            session::Column::Status
                .is_in([DeliveryStatus::Submitted, DeliveryStatus::AutoSubmitted]),
        )
        .filter(session::Column::FinishedAt.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(t, p)| t.map(|t| (t, p)))
        .collect())
}
