//! One integration-test binary: every test drives the real router against a
//! real database, on SQLite and (with `INVIGIL_TEST_PG_URL`) PostgreSQL.

mod common;
mod foundation;
