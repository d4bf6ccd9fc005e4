//! Tenancy: organizations, departments, members and their roles,
//! invitations and candidate profiles.

pub mod candidates;
pub mod invitations;
pub mod routes;
pub mod service;
