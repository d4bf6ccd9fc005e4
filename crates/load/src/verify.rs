//! Reads every acknowledged write back from the database: an answer is lost
//! when its stored revision is below the latest one acknowledged (or it is
//! missing), an event when its `client_event_id` is not stored.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use invigil_store::{Backend, Db};

/// What the server acknowledged to one candidate.
#[derive(Debug, Default, Clone)]
pub struct Acked {
    pub session_id: Option<Uuid>,
    /// Latest acknowledged revision per question.
    pub answers: HashMap<Uuid, i64>,
    /// Client ids of acknowledged events.
    pub events: Vec<String>,
}

/// Counts the acknowledged answers and events not found in the database.
pub async fn verify(db: &Db, acked: &[Acked]) -> anyhow::Result<u64> {
    let mut lost = 0u64;
    for a in acked {
        let Some(session) = a.session_id else {
            continue;
        };
        if !a.answers.is_empty() {
            let stored: HashMap<Uuid, i64> = invigil_store::delivery::answers(db.read(), session)
                .await?
                .into_iter()
                .map(|s| (s.question_id, s.revision))
                .collect();
            for (q, rev) in &a.answers {
                if stored.get(q).is_none_or(|s| s < rev) {
                    tracing::error!(%session, question = %q, acked = rev, stored = ?stored.get(q), "acknowledged answer lost");
                    lost += 1;
                }
            }
        }
        if !a.events.is_empty() {
            let stored: HashSet<String> =
                invigil_store::proctoring::events_of_session(db.read(), session)
                    .await?
                    .into_iter()
                    .filter_map(|e| e.client_event_id)
                    .collect();
            for id in &a.events {
                if !stored.contains(id) {
                    tracing::error!(%session, event = %id, "acknowledged event lost");
                    lost += 1;
                }
            }
        }
    }
    Ok(lost)
}

/// SQLite's `synchronous` setting as this process's connections see it
/// (the server opens the database with the same code); `None` on
/// PostgreSQL. Asked with a PRAGMA, which only SQLite has.
pub async fn sqlite_sync(db: &Db) -> Option<String> {
    if db.backend() != Backend::Sqlite {
        return None;
    }
    let conn = db.read();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA synchronous",
        ))
        .await
        .ok()??;
    let mode: i64 = row.try_get_by_index(0).ok()?;
    Some(
        match mode {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            _ => "?",
        }
        .to_owned(),
    )
}
