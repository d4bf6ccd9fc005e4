//! Identity: sign-in, lockout and rate limits, refresh rotation, sessions,
//! password reset, email change, invitations and `/me`.

mod account;
mod login;
mod refresh;

use chrono::Duration;
use serde_json::{Value, json};

use invigil_domain::identity::Role;
use invigil_store::identity::{AccountStatus, users};

use crate::both;
use crate::common::{PASSWORD, TestApp};

const NEW_PASSWORD: &str = "another-long-passphrase-42";

fn refresh_body(token: &str) -> Value {
    json!({ "refresh_token": token })
}
