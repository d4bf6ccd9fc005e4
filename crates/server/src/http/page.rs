//! List pages: `?limit=` (default 50, max 500) and an opaque `?cursor=`;
//! responses are `{"items": [...], "next_cursor": ...}`.
//!
//! The one way to page a list: the handler turns the query into a store
//! [`Keyset`] with [`PageQuery::keyset`], the store query applies it
//! (`Keyset::fetch`: cursor condition, order, `limit + 1`; see
//! `invigil_store::page`), and [`Page::from_keyset`] maps the rows and
//! renders the next cursor:
//!
//! ```ignore
//! let rows = tenancy::list_members(db, org_id, q.keyset::<Uuid>()?).await?; // KeysetPage
//! Ok(Json(Page::from_keyset(rows, MemberView::from)))
//! ```

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use invigil_store::{Keyset, KeysetPage};

use super::error::ApiError;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1..=500 (default 50).
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<u64, ApiError> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=500).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::field("limit", "must be between 1 and 500")),
        }
    }

    /// The cursor parsed as `T`; a cursor that does not parse is a 400.
    pub fn cursor<T: std::str::FromStr>(&self) -> Result<Option<T>, ApiError> {
        match &self.cursor {
            None => Ok(None),
            Some(c) if c.is_empty() => Ok(None),
            Some(c) => c
                .parse()
                .map(Some)
                .map_err(|_| ApiError::BadRequest("invalid cursor".into())),
        }
    }

    /// The store's page request: [`PageQuery::limit`] and the cursor parsed
    /// as the list's key `K` (422 for a bad limit, 400 for a bad cursor).
    pub fn keyset<K: std::str::FromStr>(&self) -> Result<Keyset<K>, ApiError> {
        Ok(Keyset::new(self.cursor()?, self.limit()?))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The answer for a store page: its rows mapped, its next key as the
    /// opaque cursor.
    pub fn from_keyset<R, K: std::fmt::Display>(
        page: KeysetPage<R, K>,
        map: impl FnMut(R) -> T,
    ) -> Page<T> {
        Page {
            next_cursor: page.next.as_ref().map(K::to_string),
            items: page.items.into_iter().map(map).collect(),
        }
    }

    /// Builds a page from `limit + 1` fetched rows: the extra row only says
    /// there is more. (For lists whose store query does not take a
    /// [`Keyset`] yet; new lists use [`Page::from_keyset`].)
    pub fn from_rows<R>(
        rows: Vec<R>,
        limit: u64,
        cursor_of: impl Fn(&R) -> String,
        map: impl Fn(R) -> T,
    ) -> Page<T> {
        Page::from_keyset(KeysetPage::from_rows(rows, limit, cursor_of), map)
    }
}
