//! Certificates (issue 16 item 4). An exam opts in with its certificate
//! setting; when its results are released (and after any later regrade,
//! manual grade or review decision) every candidate whose best released
//! attempt passes without a confirmed violation holds exactly one
//! certificate, issued in the same transaction ([`service::sync_exam`]).
//! A later decision that confirms a violation, or a regrade that fails the
//! result, revokes it automatically with the reason.
//!
//! Holders list their certificates, publish them (consent to show their
//! name on the public verification page) and download the PDF; anyone may
//! verify a code (`/certificates/{code}`), seeing the holder's details only
//! when published; staff with `ManageCertificates` list and revoke.
//! The rules without I/O are `invigil_domain::certificates`; the tables are
//! `invigil_store::certificates` (m0019).

pub mod pdf;
pub mod routes;
pub mod service;
pub mod views;
