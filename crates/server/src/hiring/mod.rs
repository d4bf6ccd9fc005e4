//! Hiring (issue 16 item 6, seed 002 JobPosting and CandidateView): a
//! COMPANY organization's job postings, each backed by one of its exams;
//! the public jobs board; applying by taking that assessment (the applicant
//! becomes a CANDIDATE member of the company and is enrolled in the exam,
//! with their consent); and what recruiters see of applicants — only those
//! who applied, consented and did not withdraw. Pure rules are
//! `invigil_domain::hiring`, the tables `invigil_store::hiring` (m0020).

pub mod applicants;
pub mod routes;
pub mod service;
pub mod views;
