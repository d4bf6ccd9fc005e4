//! Keyset pagination, the one way list queries page. A request is a
//! [`Keyset`] (at most `limit` rows after the cursor `after`); the store
//! applies it to a query ordered by one unique column with
//! [`Keyset::fetch`], which adds the cursor condition (`col > after`
//! ascending, `col < after` descending), the order and `limit + 1`, and
//! returns a [`KeysetPage`]: the rows and the cursor of the next page (the
//! key of the last row, only when the extra row said there is more).
//!
//! ```ignore
//! // store
//! pub async fn list_members<C: ConnectionTrait>(conn: &C, org_id: Uuid, page: Keyset<Uuid>)
//!     -> StoreResult<KeysetPage<Member, Uuid>> {
//!     let q = member::Entity::find().filter(member::Column::OrgId.eq(org_id));
//!     page.fetch(conn, q, member::Column::UserId, Order::Asc, |m| m.user_id).await
//! }
//! // handler (server `http::page`): `?limit=&cursor=` in, `{items, next_cursor}` out
//! let rows = tenancy::list_members(db, org_id, q.keyset()?).await?;
//! Ok(Json(Page::from_keyset(rows, MemberView::from)))
//! ```
//!
//! The column must be unique and follow the wanted order (UUIDv7 ids and
//! per-chain sequence numbers do); a list ordered by something else first
//! (a name, a time) pages by that column only when it is unique too.

use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
    Value,
};

use crate::error::StoreResult;

/// A page request: at most `limit` rows after the cursor `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset<K> {
    pub after: Option<K>,
    pub limit: u64,
}

/// A page of rows and the cursor of the next page (`None`: the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysetPage<T, K> {
    pub items: Vec<T>,
    pub next: Option<K>,
}

impl<K> Keyset<K> {
    pub fn new(after: Option<K>, limit: u64) -> Self {
        Keyset { after, limit }
    }

    /// Runs `select` as this page, ordered by `col` in `order` (see the
    /// module docs); `key` reads a row's `col` value back as the cursor.
    pub async fn fetch<E, C>(
        self,
        conn: &C,
        select: Select<E>,
        col: E::Column,
        order: Order,
        key: impl Fn(&E::Model) -> K,
    ) -> StoreResult<KeysetPage<E::Model, K>>
    where
        E: EntityTrait,
        C: ConnectionTrait,
        K: Into<Value>,
    {
        let limit = self.limit;
        let rows = self.select(select, col, order).all(conn).await?;
        Ok(KeysetPage::from_rows(rows, limit, key))
    }

    /// The query of this page without running it: past the cursor, ordered
    /// by `col`, `limit + 1` rows (the extra one only says there is more;
    /// split the rows with [`KeysetPage::from_rows`]).
    pub fn select<E>(self, select: Select<E>, col: E::Column, order: Order) -> Select<E>
    where
        E: EntityTrait,
        K: Into<Value>,
    {
        let mut q = select;
        if let Some(after) = self.after {
            let past = match order {
                Order::Desc => col.into_expr().lt(after.into()),
                _ => col.into_expr().gt(after.into()),
            };
            q = q.filter(past);
        }
        q.order_by(col, order).limit(self.limit.saturating_add(1))
    }
}

impl<T, K> KeysetPage<T, K> {
    /// Splits `limit + 1` fetched rows into a page: the extra row only says
    /// there is more, and the next cursor is the key of the last row kept.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, key: impl Fn(&T) -> K) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { rows.last().map(key) } else { None };
        KeysetPage { items: rows, next }
    }

    /// The same page with its rows mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> KeysetPage<U, K> {
        KeysetPage {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeysetPage;

    #[test]
    fn the_extra_row_only_says_there_is_more() {
        let p = KeysetPage::from_rows(vec![1, 2, 3], 2, |r| *r);
        assert_eq!((p.items, p.next), (vec![1, 2], Some(2)));
        let p = KeysetPage::from_rows(vec![1, 2], 2, |r| *r);
        assert_eq!((p.items, p.next), (vec![1, 2], None));
        let p = KeysetPage::from_rows(Vec::<i32>::new(), 2, |r| *r);
        assert_eq!((p.items, p.next), (vec![], None));
    }
}
