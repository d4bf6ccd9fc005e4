//! Payments and subscriptions (seed 004, issue 15 point 8): a
//! provider-agnostic ledger ([`service`]: payments and refunds; [`payouts`]
//! to instructors; [`subscriptions`] and plans), providers behind one trait
//! ([`provider`]: MANUAL invoice/bank transfer, STRIPE through [`stripe`]),
//! and signed, idempotent provider webhooks ([`webhook`]). The module owns
//! the tables of migration `m0011_payments`. No card data is ever stored.
//!
//! The courses module takes a paid enrollment through
//! [`service::start_checkout`] (in its transaction) and
//! [`service::open_checkout`] (after its commit); a completed COURSE
//! payment reaches [`service::on_completed`], the seam where enrollment is
//! wired in.

pub mod payouts;
pub mod provider;
pub mod routes;
pub mod service;
pub mod stripe;
pub mod subscriptions;
pub mod webhook;
