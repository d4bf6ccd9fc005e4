//! The review workflow: queue, claims, decisions, timeline, the candidate's
//! integrity view and appeal, QUALITY_ASSURANCE's reopen, and what a
//! confirmed violation does to the result.

mod claims;
mod outcomes;

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};
use invigil_domain::identity::Role;
use invigil_store::proctoring::entities::flag;

use super::*;
use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, approved_bank, enroll, insert_exam, setup_with};
