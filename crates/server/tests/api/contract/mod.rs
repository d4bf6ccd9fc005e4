//! The HTTP contract: the OpenAPI document's structure (path parameters,
//! real body schemas, unique schema names), `Idempotency-Key` replay storage
//! (no secrets, cancelled work frees the key, large responses), and who may
//! read `/metrics`.

mod document;
mod filters;
mod idempotency_key;
mod metrics;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use invigil_server::config::Secret;
use invigil_server::http::idempotency::{self, MAX_STORED_RESPONSE, NOT_KEPT_CODE, SECRET_ROUTES};
use invigil_store::idempotency as store;

use crate::both;
use crate::common::{PASSWORD, TestApp};
use crate::delivery::{ExamOpts, setup_with};
