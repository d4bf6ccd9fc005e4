//! Reports on exams for REPORT_VIEWER, EXAM_COORDINATOR, QUALITY_ASSURANCE
//! and ORG_ADMIN (`Action::ReadReports`, within their departments): the
//! exam report ([`exam`]) and the item analysis ([`items`]). The numbers come from the pure functions of
//! `invigil_domain::reports`; this module streams the data into them.

pub mod exam;
pub mod items;
pub mod routes;
