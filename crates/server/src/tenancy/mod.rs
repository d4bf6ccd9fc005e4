//! Tenancy: organizations, departments, members and their roles,
//! invitations and candidate profiles.

pub mod candidates;
pub mod invitations;
pub mod profiles;
pub mod routes;
pub mod service;
