//! Authorization rules of issue 9 (points 2 to 5), on both backends:
//! delivery needs an ACTIVE CANDIDATE membership at every step
//! ([`membership`]); nobody acts as staff on their own session
//! ([`own_session`]); exams use only banks their author may read, and
//! organization settings and enrollment lists are only for their roles
//! ([`scope`]).

mod membership;
mod own_session;
mod scope;

use serde_json::Value;
use uuid::Uuid;

use crate::common::{TestApp, TestUser};

const ACME: &str = "/api/v1/orgs/acme";

async fn start(app: &TestApp, exam: Uuid, who: &TestUser) -> Value {
    app.start_session(exam, &who.token).await
}

pub use crate::delivery::qid as question_of;
