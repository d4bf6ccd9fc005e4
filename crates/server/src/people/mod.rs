//! People (issue 16 items 1 and 8, seed 002): a person's profile, avatar
//! and instructor profile, an organization's company profile, the
//! platform's account administration (status, erasure) and organization
//! API keys. Rules are `invigil_domain::people`'s, tables
//! `invigil_store::people`'s.

pub mod accounts;
pub mod api_keys;
pub mod erasure;
pub mod profile;
pub mod routes;
