//! Organizations and people: creating organizations, invitations, roles,
//! member status and removal, candidate import, and tenant isolation.

mod imports;
mod invitations;
mod members;
mod orgs;
mod profiles;

use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_store::identity::{AccountStatus, users};

use crate::both;
use crate::common::{PASSWORD, TestApp};

const NEW_PASSWORD: &str = "another-long-passphrase-42";

fn members_of(v: &Value) -> Vec<Value> {
    v["items"].as_array().unwrap().clone()
}
