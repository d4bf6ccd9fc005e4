//! Query pieces every module's listings share: the department scope of a
//! caller and keyset pagination by id.

use invigil_domain::identity::Visibility;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Which departments' rows a listing may include.
#[derive(Debug, Clone)]
pub enum DeptScope {
    All,
    Only(Vec<Uuid>),
}

impl DeptScope {
    /// The scope of a policy visibility; `None` when nothing is visible.
    pub fn of(visibility: Visibility) -> Option<DeptScope> {
        match visibility {
            Visibility::All => Some(DeptScope::All),
            Visibility::Departments(ds) => Some(DeptScope::Only(ds)),
            Visibility::Nothing => None,
        }
    }

    /// Restricts `q` to the scope's departments, read from `department`.
    pub fn filter<Q: QueryFilter>(&self, q: Q, department: impl ColumnTrait) -> Q {
        match self {
            DeptScope::All => q,
            DeptScope::Only(ds) => q.filter(department.is_in(ds.clone())),
        }
    }
}

/// The row `id` of an entity keyed by one id, only when it belongs to the
/// organization `org_id` (read from `org`).
pub async fn by_id_in_org<E, C>(
    conn: &C,
    org: E::Column,
    org_id: Uuid,
    id: Uuid,
) -> Result<Option<E::Model>, sea_orm::DbErr>
where
    E: EntityTrait,
    C: sea_orm::ConnectionTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id).filter(org.eq(org_id)).one(conn).await
}
