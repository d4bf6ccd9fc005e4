//! Student records (seed 003): results recorded outside Invigil per
//! candidate and exam type ([`external`], CSV [`import`]), and a
//! candidate's record across exam types with its weighted composite
//! ([`record`]). The module owns the `external_results` table.

pub mod external;
pub mod import;
pub mod record;
pub mod routes;
