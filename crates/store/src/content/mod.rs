//! Content persistence: question banks, questions with immutable versions,
//! bank editors. Every function takes the organization and filters by it.

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QueryTrait, Set,
};
use uuid::Uuid;

use entities::{bank, editor, question, version};
use invigil_domain::content::{BankStatus, Difficulty, Question, QuestionStatus, QuestionType};

use crate::error::{StoreError, StoreResult};
use crate::scope::{DeptScope, by_id_in_org};

pub use bank::Model as Bank;
pub use question::Model as QuestionRow;
pub use version::Model as Version;

/// Decodes JSON kept in a TEXT column. A row that does not decode is a read
/// error naming the table and row, never a silent default.
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    table: &str,
    id: Uuid,
    text: &str,
) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Db(sea_orm::DbErr::Json(format!(
            "{table} row {id} holds JSON that does not decode: {e}"
        )))
    })
}

impl Bank {
    /// The bank's tags.
    pub fn tags(&self) -> StoreResult<Vec<String>> {
        decode_json("question_banks", self.id, &self.tags)
    }
}

impl Version {
    /// The validated question of this version.
    pub fn question(&self) -> StoreResult<Question> {
        decode_json("question_versions", self.id, &self.body)
    }

    /// The stored body as JSON, as it was written.
    pub fn body_json(&self) -> StoreResult<serde_json::Value> {
        decode_json("question_versions", self.id, &self.body)
    }
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as escape.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ---- banks

#[derive(Debug, Clone)]
pub struct NewBank {
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub department_id: Option<Uuid>,
    pub author_id: Uuid,
}

pub async fn create_bank<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    new: NewBank,
    status: BankStatus,
    now: DateTime<Utc>,
) -> StoreResult<Bank> {
    let b = bank::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        department_id: Set(new.department_id),
        title: Set(new.title),
        description: Set(new.description),
        tags: Set(tags_json(&new.tags)),
        status: Set(status),
        author_id: Set(new.author_id),
        reject_reason: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        revision: Set(0),
    }
    .insert(conn)
    .await?;
    add_editor(conn, org_id, b.id, new.author_id, now).await?;
    Ok(b)
}

pub async fn bank<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Bank>> {
    Ok(by_id_in_org::<bank::Entity, _>(conn, bank::Column::OrgId, org_id, id).await?)
}

pub async fn list_banks<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    scope: &DeptScope,
    status: Option<BankStatus>,
    after: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<Bank>> {
    let q = bank::Entity::find()
        .filter(bank::Column::OrgId.eq(org_id))
        .apply_if(status, |q, s| q.filter(bank::Column::Status.eq(s)));
    let q = scope.filter(q, bank::Column::DepartmentId);
    Ok(crate::page::Keyset::new(after, limit)
        .select(q, bank::Column::Id, sea_orm::Order::Asc)
        .all(conn)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct BankPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub department_id: Option<Option<Uuid>>,
}

pub async fn update_bank<C: ConnectionTrait>(
    conn: &C,
    b: Bank,
    patch: BankPatch,
    status: BankStatus,
    now: DateTime<Utc>,
) -> StoreResult<Bank> {
    let b_revision = b.revision;
    let mut a: bank::ActiveModel = b.into();
    if let Some(t) = patch.title {
        a.title = Set(t);
    }
    if let Some(d) = patch.description {
        a.description = Set(d);
    }
    if let Some(t) = patch.tags {
        a.tags = Set(tags_json(&t));
    }
    if let Some(d) = patch.department_id {
        a.department_id = Set(d);
    }
    a.status = Set(status);
    a.updated_at = Set(now);
    a.revision = Set(b_revision + 1);
    Ok(a.update(conn).await?)
}

/// Moves a bank from `from` to `to` if it is still in `from` (so two
/// concurrent transitions cannot both win). Returns the updated bank.
#[expect(
    clippy::too_many_arguments,
    reason = "one conditional UPDATE; many callers pass these positionally"
)]
pub async fn transition_bank<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
    from: BankStatus,
    to: BankStatus,
    reviewer: Option<Uuid>,
    reject_reason: Option<String>,
    now: DateTime<Utc>,
) -> StoreResult<Bank> {
    let mut upd = bank::Entity::update_many()
        .col_expr(bank::Column::Status, Expr::value(to))
        .col_expr(bank::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            bank::Column::Revision,
            Expr::col(bank::Column::Revision).add(1),
        )
        .col_expr(bank::Column::RejectReason, Expr::value(reject_reason))
        .filter(bank::Column::Id.eq(id))
        .filter(bank::Column::OrgId.eq(org_id))
        .filter(bank::Column::Status.eq(from));
    if let Some(r) = reviewer {
        upd = upd
            .col_expr(bank::Column::ReviewedBy, Expr::value(r))
            .col_expr(bank::Column::ReviewedAt, Expr::value(now));
    }
    if upd.exec(conn).await?.rows_affected != 1 {
        return Err(StoreError::Conflict(
            "the bank changed meanwhile; reload it".into(),
        ));
    }
    bank(conn, org_id, id).await?.ok_or(StoreError::NotFound)
}

pub async fn add_editor<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    bank_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    editor::Entity::insert(editor::ActiveModel {
        bank_id: Set(bank_id),
        user_id: Set(user_id),
        org_id: Set(org_id),
        first_edit_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([editor::Column::BankId, editor::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

pub async fn editors<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    bank_id: Uuid,
) -> StoreResult<Vec<Uuid>> {
    Ok(editor::Entity::find()
        .filter(editor::Column::OrgId.eq(org_id))
        .filter(editor::Column::BankId.eq(bank_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|e| e.user_id)
        .collect())
}

pub async fn count_active<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    bank_id: Uuid,
) -> StoreResult<u64> {
    Ok(question::Entity::find()
        .filter(question::Column::OrgId.eq(org_id))
        .filter(question::Column::BankId.eq(bank_id))
        .filter(question::Column::Status.eq(QuestionStatus::Active))
        .count(conn)
        .await?)
}

// ---- questions

/// The searchable summary of a question body, computed by the caller from
/// the validated question.
#[derive(Debug, Clone)]
pub struct QuestionMeta {
    pub question_type: QuestionType,
    pub difficulty: Difficulty,
    pub tags: Vec<String>,
    pub search_text: String,
    pub points: f64,
    /// The validated question as JSON.
    pub body: String,
}

fn question_model(
    org_id: Uuid,
    bank_id: Uuid,
    id: Uuid,
    meta: &QuestionMeta,
    by: Uuid,
    now: DateTime<Utc>,
) -> question::ActiveModel {
    question::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        bank_id: Set(bank_id),
        current_version: Set(1),
        status: Set(QuestionStatus::Active),
        question_type: Set(meta.question_type),
        difficulty: Set(meta.difficulty),
        tags: Set(tags_json(&meta.tags)),
        search_text: Set(meta.search_text.clone()),
        points: Set(meta.points),
        created_by: Set(by),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn version_model(
    org_id: Uuid,
    question_id: Uuid,
    n: i32,
    body: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> version::ActiveModel {
    version::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        question_id: Set(question_id),
        version: Set(n),
        body: Set(body.to_owned()),
        created_by: Set(by),
        created_at: Set(now),
    }
}

/// Inserts questions with their first versions, in chunks (one statement
/// per chunk, no per-row transaction). Returns the new ids in order.
pub async fn insert_questions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    bank_id: Uuid,
    metas: &[QuestionMeta],
    by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<Uuid> = metas.iter().map(|_| Uuid::now_v7()).collect();
    for (chunk_ids, chunk) in ids.chunks(200).zip(metas.chunks(200)) {
        let qs: Vec<question::ActiveModel> = chunk_ids
            .iter()
            .zip(chunk)
            .map(|(id, m)| question_model(org_id, bank_id, *id, m, by, now))
            .collect();
        question::Entity::insert_many(qs)
            .exec_without_returning(conn)
            .await?;
        let vs: Vec<version::ActiveModel> = chunk_ids
            .iter()
            .zip(chunk)
            .map(|(id, m)| version_model(org_id, *id, 1, &m.body, by, now))
            .collect();
        version::Entity::insert_many(vs)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(ids)
}

/// Deletes questions just inserted (with their versions), to undo an import
/// that failed after some of its chunks were committed.
pub async fn delete_new_questions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    bank_id: Uuid,
    ids: &[Uuid],
) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    version::Entity::delete_many()
        .filter(version::Column::OrgId.eq(org_id))
        .filter(version::Column::QuestionId.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    Ok(question::Entity::delete_many()
        .filter(question::Column::OrgId.eq(org_id))
        .filter(question::Column::BankId.eq(bank_id))
        .filter(question::Column::Id.is_in(ids.iter().copied()))
        .exec(conn)
        .await?
        .rows_affected)
}

pub async fn question<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    bank_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<QuestionRow>> {
    Ok(question::Entity::find_by_id(id)
        .filter(question::Column::OrgId.eq(org_id))
        .filter(question::Column::BankId.eq(bank_id))
        .one(conn)
        .await?)
}

/// A question of the organization in whichever bank it is.
pub async fn question_any_bank<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<QuestionRow>> {
    Ok(by_id_in_org::<question::Entity, _>(conn, question::Column::OrgId, org_id, id).await?)
}

pub async fn version<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    question_id: Uuid,
    n: i32,
) -> StoreResult<Option<Version>> {
    Ok(version::Entity::find()
        .filter(version::Column::OrgId.eq(org_id))
        .filter(version::Column::QuestionId.eq(question_id))
        .filter(version::Column::Version.eq(n))
        .one(conn)
        .await?)
}

pub async fn versions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    question_id: Uuid,
) -> StoreResult<Vec<Version>> {
    Ok(version::Entity::find()
        .filter(version::Column::OrgId.eq(org_id))
        .filter(version::Column::QuestionId.eq(question_id))
        .order_by_asc(version::Column::Version)
        .all(conn)
        .await?)
}

/// Versions by (question, version) pairs, e.g. those served in a session.
pub async fn versions_by_keys<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    keys: &[(Uuid, i32)],
) -> StoreResult<Vec<Version>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(200) {
        let mut cond = Condition::any();
        for (q, v) in chunk {
            cond = cond.add(
                Condition::all()
                    .add(version::Column::QuestionId.eq(*q))
                    .add(version::Column::Version.eq(*v)),
            );
        }
        out.extend(
            version::Entity::find()
                .filter(version::Column::OrgId.eq(org_id))
                .filter(cond)
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

/// Adds version n+1 if the question is still at version n.
pub async fn add_version<C: ConnectionTrait>(
    conn: &C,
    row: &QuestionRow,
    meta: &QuestionMeta,
    by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<i32> {
    let next = row.current_version + 1;
    let res = question::Entity::update_many()
        .col_expr(question::Column::CurrentVersion, Expr::value(next))
        .col_expr(
            question::Column::QuestionType,
            Expr::value(meta.question_type),
        )
        .col_expr(question::Column::Difficulty, Expr::value(meta.difficulty))
        .col_expr(question::Column::Tags, Expr::value(tags_json(&meta.tags)))
        .col_expr(
            question::Column::SearchText,
            Expr::value(meta.search_text.clone()),
        )
        .col_expr(question::Column::Points, Expr::value(meta.points))
        .col_expr(question::Column::UpdatedAt, Expr::value(now))
        .filter(question::Column::Id.eq(row.id))
        .filter(question::Column::OrgId.eq(row.org_id))
        .filter(question::Column::CurrentVersion.eq(row.current_version))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Conflict(
            "the question changed meanwhile; reload it".into(),
        ));
    }
    version_model(row.org_id, row.id, next, &meta.body, by, now)
        .insert(conn)
        .await?;
    Ok(next)
}

pub async fn retire<C: ConnectionTrait>(
    conn: &C,
    row: &QuestionRow,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    question::Entity::update_many()
        .col_expr(
            question::Column::Status,
            Expr::value(QuestionStatus::Retired),
        )
        .col_expr(question::Column::UpdatedAt, Expr::value(now))
        .filter(question::Column::Id.eq(row.id))
        .filter(question::Column::OrgId.eq(row.org_id))
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct QuestionFilter {
    pub question_type: Option<QuestionType>,
    pub difficulty: Option<Difficulty>,
    pub tag: Option<String>,
    pub status: Option<QuestionStatus>,
    /// Case-insensitive substring of text, options or tags.
    pub q: Option<String>,
}

/// A page of a bank's questions with their current versions, by id.
pub async fn list_questions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    bank_id: Uuid,
    f: &QuestionFilter,
    after: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<(QuestionRow, Version)>> {
    let mut q = question::Entity::find()
        .filter(question::Column::OrgId.eq(org_id))
        .filter(question::Column::BankId.eq(bank_id))
        .apply_if(f.question_type, |q, t| {
            q.filter(question::Column::QuestionType.eq(t))
        })
        .apply_if(f.difficulty, |q, d| {
            q.filter(question::Column::Difficulty.eq(d))
        })
        .apply_if(f.status, |q, s| q.filter(question::Column::Status.eq(s)));
    if let Some(tag) = &f.tag {
        let quoted = serde_json::to_string(tag).unwrap_or_default();
        q = q.filter(
            Expr::col(question::Column::Tags)
                .like(LikeExpr::new(format!("%{}%", like_escape(&quoted))).escape('\\')),
        );
    }
    if let Some(text) = &f.q {
        q =
            q.filter(Expr::col(question::Column::SearchText).like(
                LikeExpr::new(format!("%{}%", like_escape(&text.to_lowercase()))).escape('\\'),
            ));
    }
    let rows = crate::page::Keyset::new(after, limit)
        .select(q, question::Column::Id, sea_orm::Order::Asc)
        .all(conn)
        .await?;
    let keys: Vec<(Uuid, i32)> = rows.iter().map(|r| (r.id, r.current_version)).collect();
    let mut versions = versions_by_keys(conn, org_id, &keys).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(pos) = versions
            .iter()
            .position(|v| v.question_id == r.id && v.version == r.current_version)
        {
            out.push((r, versions.swap_remove(pos)));
        }
    }
    Ok(out)
}

/// Every active question of a bank with its current version, by id.
pub async fn active_questions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    bank_id: Uuid,
) -> StoreResult<Vec<(QuestionRow, Version)>> {
    let mut out = Vec::new();
    let mut after = None;
    let filter = QuestionFilter {
        status: Some(QuestionStatus::Active),
        ..Default::default()
    };
    loop {
        let page = list_questions(conn, org_id, bank_id, &filter, after, 1000).await?;
        let done = page.len() < 1000;
        after = page.last().map(|(r, _)| r.id);
        out.extend(page);
        if done {
            break;
        }
    }
    Ok(out)
}

/// How many banks (any status) belong to `department_id`: a department
/// with banks cannot be deleted.
pub async fn banks_in_department<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    department_id: Uuid,
) -> StoreResult<u64> {
    Ok(bank::Entity::find()
        .filter(bank::Column::OrgId.eq(org_id))
        .filter(bank::Column::DepartmentId.eq(department_id))
        .count(conn)
        .await?)
}
