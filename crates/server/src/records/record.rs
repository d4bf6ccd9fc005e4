//! A candidate's record across the organization's exam types (seed 003):
//! for each type, their graded sessions in exams of that type and the
//! results recorded outside Invigil, the type's score, and the weighted
//! composite ([`invigil_domain::reports::composite`]). One candidate
//! (`GET /orgs/{org}/candidates/{user}/record`) or a page of the cohort
//! (`GET /orgs/{org}/student-records`), both with `?weights=CODE:W,...` to
//! override the types' default weights for that report.
//!
//! Who: REPORT_VIEWER, EXAM_COORDINATOR, QUALITY_ASSURANCE, ORG_ADMIN with
//! an organization-wide grant (`Action::ReadReports`): a record spans the
//! exams of every department. A session whose violation was confirmed is
//! shown (its score is kept for the record) but does not count.
//! A page of records costs a fixed number of queries whatever its size.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::reports::composite::{self, TypeScore, parse_weights};
use invigil_domain::review::{IntegrityStatus, result_passed};
use invigil_store::Keyset;
use invigil_store::exams::{self, ExamType};
use invigil_store::identity::users;
use invigil_store::records;
use invigil_store::tenancy;

use super::external::ExternalResultView;
use crate::authz::Authorized;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::state::AppState;

/// `?weights=STEP1:2,SHELF:1`: weights for this report instead of the
/// exam types' default weights (types not named keep theirs).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WeightsQuery {
    pub weights: Option<String>,
}

/// The same with the page parameters, for the cohort list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CohortQuery {
    pub weights: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordCandidate {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub student_number: Option<String>,
    pub class_year: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordExamType {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub default_weight: f64,
}

/// One graded session in an exam of the type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InternalResult {
    pub session_id: Uuid,
    pub exam_id: Uuid,
    pub exam_title: String,
    pub attempt: i32,
    pub final_score: Option<f64>,
    pub max_score: f64,
    pub percent: Option<f64>,
    /// `false` when a violation was confirmed, whatever the score.
    pub passed: Option<bool>,
    /// CLEAN, FLAGGED, UNDER_REVIEW, CLEARED, VIOLATION_CONFIRMED.
    #[schema(value_type = String)]
    pub integrity: IntegrityStatus,
    pub finished_at: Option<DateTime<Utc>>,
    /// Whether it counts towards the type's score (not when a violation was
    /// confirmed).
    pub counts: bool,
}

/// The candidate's results in one exam type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TypeRecord {
    pub exam_type: RecordExamType,
    /// The weight used in this report (the default or the override).
    pub weight: f64,
    /// The type's score: the mean over its exams of each exam's best
    /// percent, external results counting as one more exam.
    pub percent: Option<f64>,
    pub internal: Vec<InternalResult>,
    pub external: Vec<ExternalResultView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompositeView {
    /// The weighted mean of the type scores present.
    pub percent: Option<f64>,
    pub weight_used: f64,
    pub weight_total: f64,
    /// Whether every type with a positive weight has a score.
    pub complete: bool,
    /// The codes of the types with a positive weight and no score.
    pub missing: Vec<String>,
}

/// A candidate's record across the organization's exam types.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentRecord {
    pub candidate: RecordCandidate,
    pub types: Vec<TypeRecord>,
    pub composite: CompositeView,
}

/// The weight of every exam type for this report: its default, or the
/// override; an override naming a code the organization does not have is a
/// 422 on `weights`.
pub fn weights_for(
    types: &[ExamType],
    weights: Option<&str>,
) -> Result<HashMap<Uuid, f64>, ApiError> {
    let over: BTreeMap<String, f64> = match weights {
        None => BTreeMap::new(),
        Some(text) => parse_weights(text).map_err(|m| ApiError::field("weights", m))?,
    };
    if let Some(unknown) = over.keys().find(|c| !types.iter().any(|t| &&t.code == c)) {
        return Err(ApiError::field(
            "weights",
            format!("the organization has no exam type {unknown:?}"),
        ));
    }
    Ok(types
        .iter()
        .map(|t| (t.id, over.get(&t.code).copied().unwrap_or(t.default_weight)))
        .collect())
}

/// The records of these candidates (members of the organization), in the
/// order given, with a fixed number of queries.
pub async fn records_of(
    state: &AppState,
    auth: &Authorized,
    user_ids: &[Uuid],
    weights: Option<&str>,
) -> Result<Vec<StudentRecord>, ApiError> {
    let db = state.db.read();
    let org_id = auth.org_id;
    let types = exams::exam_types_of_org(db, org_id).await?;
    let weight_of = weights_for(&types, weights)?;
    let typed = records::typed_exams(db, org_id).await?;
    let exam_ids: Vec<Uuid> = typed.iter().map(|e| e.id).collect();
    let sessions = records::graded_sessions(db, org_id, &exam_ids, user_ids).await?;
    let externals = records::externals_of_users(db, org_id, user_ids).await?;
    let people: HashMap<Uuid, users::User> = users::by_ids(db, user_ids.to_vec())
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let profiles: HashMap<Uuid, tenancy::CandidateProfile> =
        tenancy::profiles_of_users(db, org_id, user_ids)
            .await?
            .into_iter()
            .map(|p| (p.user_id, p))
            .collect();
    let exam_of: HashMap<Uuid, &invigil_store::exams::Exam> =
        typed.iter().map(|e| (e.id, e)).collect();
    let code_of: HashMap<Uuid, &str> = types.iter().map(|t| (t.id, t.code.as_str())).collect();

    let mut out = Vec::with_capacity(user_ids.len());
    for uid in user_ids {
        let Some(u) = people.get(uid) else { continue };
        let p = profiles.get(uid);
        let mut type_records = Vec::with_capacity(types.len());
        for t in &types {
            let internal: Vec<InternalResult> = sessions
                .iter()
                .filter(|s| s.user_id == *uid)
                .filter_map(|s| {
                    let e = exam_of.get(&s.exam_id)?;
                    (e.exam_type_id == Some(t.id)).then(|| InternalResult {
                        session_id: s.id,
                        exam_id: e.id,
                        exam_title: e.title.clone(),
                        attempt: s.attempt_no,
                        final_score: s.final_score,
                        max_score: s.max_score,
                        percent: s.percent.or_else(|| {
                            s.final_score
                                .and_then(|f| composite::percent_of(f, s.max_score))
                        }),
                        passed: s.passed.map(|ok| result_passed(ok, s.integrity_status)),
                        integrity: s.integrity_status,
                        finished_at: s.finished_at,
                        counts: s.integrity_status != IntegrityStatus::ViolationConfirmed,
                    })
                })
                .collect();
            let external: Vec<ExternalResultView> = externals
                .iter()
                .filter(|r| r.user_id == *uid && r.exam_type_id == t.id)
                .map(|r| ExternalResultView::of(r, code_of.get(&t.id).copied().unwrap_or("")))
                .collect();
            // Each exam's best counted attempt, then the external results'
            // best as one more.
            let mut bests: BTreeMap<Uuid, f64> = BTreeMap::new();
            for r in internal.iter().filter(|r| r.counts) {
                if let Some(pc) = r.percent {
                    let b = bests.entry(r.exam_id).or_insert(pc);
                    *b = b.max(pc);
                }
            }
            let mut list: Vec<f64> = bests.into_values().collect();
            if let Some(best) = external
                .iter()
                .filter_map(|r| r.percent)
                .max_by(f64::total_cmp)
            {
                list.push(best);
            }
            type_records.push(TypeRecord {
                exam_type: RecordExamType {
                    id: t.id,
                    code: t.code.clone(),
                    name: t.name.clone(),
                    default_weight: t.default_weight,
                },
                weight: weight_of.get(&t.id).copied().unwrap_or(t.default_weight),
                percent: composite::type_score(&list),
                internal,
                external,
            });
        }
        let scores: Vec<TypeScore> = type_records
            .iter()
            .map(|t| TypeScore {
                weight: t.weight,
                percent: t.percent,
            })
            .collect();
        let c = composite::composite(&scores);
        let missing = type_records
            .iter()
            .filter(|t| t.weight.is_finite() && t.weight > 0.0 && t.percent.is_none())
            .map(|t| t.exam_type.code.clone())
            .collect();
        out.push(StudentRecord {
            candidate: RecordCandidate {
                id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
                student_number: p.and_then(|p| p.student_number.clone()),
                class_year: p.and_then(|p| p.class_year),
            },
            types: type_records,
            composite: CompositeView {
                percent: c.percent,
                weight_used: c.weight_used,
                weight_total: c.weight_total,
                complete: c.complete,
                missing,
            },
        });
    }
    Ok(out)
}

/// One candidate's record; 404 unless they are a member.
pub async fn record(
    state: &AppState,
    auth: &Authorized,
    user_id: Uuid,
    weights: Option<&str>,
) -> Result<StudentRecord, ApiError> {
    tenancy::member(state.db.read(), auth.org_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    records_of(state, auth, &[user_id], weights)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// A page of the organization's candidates' records, by user id.
pub async fn cohort(
    state: &AppState,
    auth: &Authorized,
    page: Keyset<Uuid>,
    weights: Option<&str>,
) -> Result<Page<StudentRecord>, ApiError> {
    // `records_of` checks the weights (422) even for an empty page.
    let members = tenancy::candidates_page(state.db.read(), auth.org_id, page).await?;
    let ids: Vec<Uuid> = members.items.iter().map(|m| m.user_id).collect();
    let items = records_of(state, auth, &ids, weights).await?;
    Ok(Page {
        items,
        next_cursor: members.next.map(|k| k.to_string()),
    })
}

/// The candidates themselves (name, email, student number, class year), in
/// the order given, without any result: what the people who record results
/// but do not read reports (`ManageEnrollments`) see.
pub async fn candidates_of(
    state: &AppState,
    auth: &Authorized,
    user_ids: &[Uuid],
) -> Result<Vec<RecordCandidate>, ApiError> {
    let db = state.db.read();
    let people: HashMap<Uuid, users::User> = users::by_ids(db, user_ids.to_vec())
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let profiles: HashMap<Uuid, tenancy::CandidateProfile> =
        tenancy::profiles_of_users(db, auth.org_id, user_ids)
            .await?
            .into_iter()
            .map(|p| (p.user_id, p))
            .collect();
    Ok(user_ids
        .iter()
        .filter_map(|id| {
            let u = people.get(id)?;
            let p = profiles.get(id);
            Some(RecordCandidate {
                id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
                student_number: p.and_then(|p| p.student_number.clone()),
                class_year: p.and_then(|p| p.class_year),
            })
        })
        .collect())
}

/// A page of the organization's candidates without results, by user id
/// (the same pages as [`cohort`]).
pub async fn roster(
    state: &AppState,
    auth: &Authorized,
    page: Keyset<Uuid>,
) -> Result<Page<RecordCandidate>, ApiError> {
    let members = tenancy::candidates_page(state.db.read(), auth.org_id, page).await?;
    let ids: Vec<Uuid> = members.items.iter().map(|m| m.user_id).collect();
    Ok(Page {
        items: candidates_of(state, auth, &ids).await?,
        next_cursor: members.next.map(|k| k.to_string()),
    })
}
