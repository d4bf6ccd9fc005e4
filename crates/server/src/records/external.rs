//! Results recorded outside Invigil (seed 003): a candidate's USMLE Step 1
//! score, a shelf exam taken elsewhere. Entered one at a time or imported by
//! CSV ([`super::import`]) by ENROLLMENT_MANAGER or ORG_ADMIN, per exam type
//! of the organization, with the score on its own scale (`score` of
//! `max_score`) and/or a pass mark, the date taken and where it came from.
//! Nobody records their own result; every change is audited.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::reports::composite::percent_of;
use invigil_domain::text::Text;
use invigil_store::exams::{self, ExamType};
use invigil_store::records::{self, ExternalInput, ExternalResult};
use invigil_store::tenancy;

use crate::audit::AuditAction;
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit, double_option};

/// The largest score scale accepted (`max_score`).
pub const MAX_SCALE: f64 = 1_000_000.0;

/// An external result as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExternalResultView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub exam_type_id: Uuid,
    pub exam_type_code: String,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    /// `score / max_score × 100`, when there is a score.
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    /// The day it was taken (`YYYY-MM-DD`).
    #[schema(value_type = String, format = Date)]
    pub taken_on: NaiveDate,
    pub source: String,
    pub notes: Option<String>,
    pub recorded_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

impl ExternalResultView {
    pub fn of(r: &ExternalResult, code: &str) -> ExternalResultView {
        ExternalResultView {
            id: r.id,
            user_id: r.user_id,
            exam_type_id: r.exam_type_id,
            exam_type_code: code.to_owned(),
            score: r.score,
            max_score: r.max_score,
            percent: r.score.zip(r.max_score).and_then(|(s, m)| percent_of(s, m)),
            passed: r.passed,
            taken_on: r.taken_on,
            source: r.source.clone(),
            notes: r.notes.clone(),
            recorded_by: r.recorded_by,
            updated_at: r.updated_at,
        }
    }
}

/// A new external result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalBody {
    pub exam_type_id: Uuid,
    /// The score on its own scale; with `max_score`.
    pub score: Option<f64>,
    /// The top of the scale (300 for a three-digit USMLE score).
    pub max_score: Option<f64>,
    /// The pass mark, when the exam reports one (pass/fail exams have no score).
    pub passed: Option<bool>,
    /// `YYYY-MM-DD`, not in the future.
    pub taken_on: String,
    /// Where the result comes from ("NBME transcript"), 1 to 200 characters.
    pub source: String,
    pub notes: Option<String>,
}

/// A change: the fields present replace the current values; `null` clears
/// an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalPatch {
    pub exam_type_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub score: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub max_score: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<bool>)]
    pub passed: Option<Option<bool>>,
    pub taken_on: Option<String>,
    pub source: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// The raw fields of a result, before [`check`].
#[derive(Debug, Clone, PartialEq)]
pub struct Draft<'a> {
    pub exam_type_id: Uuid,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub passed: Option<bool>,
    pub taken_on: &'a str,
    pub source: &'a str,
    pub notes: Option<&'a str>,
}

/// Checks a result (pure): a score comes with its scale (`max_score` above
/// 0 and at most [`MAX_SCALE`], `0 <= score <= max_score`), a result has a
/// score or a pass mark, `taken_on` is a date `YYYY-MM-DD` from 1900 up to
/// `today`, the source is 1 to 200 printable characters, notes at most 2000.
/// Every problem is reported, by field.
pub fn check(d: &Draft<'_>, today: NaiveDate) -> Result<ExternalInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    match (d.score, d.max_score) {
        (Some(s), Some(m)) => {
            if !(m.is_finite() && m > 0.0 && m <= MAX_SCALE) {
                errors.push(FieldError::new(
                    "max_score",
                    format!("must be above 0 and at most {MAX_SCALE}"),
                ));
            } else if !(s.is_finite() && (0.0..=m).contains(&s)) {
                errors.push(FieldError::new("score", "must be from 0 to max_score"));
            }
        }
        (Some(_), None) => errors.push(FieldError::new(
            "max_score",
            "is required with a score: the top of its scale",
        )),
        (None, Some(_)) => errors.push(FieldError::new("score", "is required with max_score")),
        (None, None) => {
            if d.passed.is_none() {
                errors.push(FieldError::new(
                    "score",
                    "give a score (with max_score), a pass mark (passed), or both",
                ));
            }
        }
    }
    let taken_on = match NaiveDate::parse_from_str(d.taken_on.trim(), "%Y-%m-%d") {
        Ok(day) if day > today => {
            errors.push(FieldError::new("taken_on", "must not be in the future"));
            None
        }
        Ok(day) if day.year() < 1900 => {
            errors.push(FieldError::new("taken_on", "must be from 1900 on"));
            None
        }
        Ok(day) => Some(day),
        Err(_) => {
            errors.push(FieldError::new(
                "taken_on",
                "must be a date written YYYY-MM-DD",
            ));
            None
        }
    };
    let source = match Text::<200>::parse("source", d.source) {
        Ok(s) if !s.as_str().trim().is_empty() => Some(s.as_str().trim().to_owned()),
        Ok(_) => {
            errors.push(FieldError::new(
                "source",
                "say where the result comes from (e.g. NBME transcript)",
            ));
            None
        }
        Err(e) => {
            errors.push(FieldError::new("source", e.to_string()));
            None
        }
    };
    let notes = match d.notes.map(|n| Text::<2000>::parse("notes", n)) {
        None => None,
        Some(Ok(n)) => Some(n.as_str().trim().to_owned()).filter(|n| !n.is_empty()),
        Some(Err(e)) => {
            errors.push(FieldError::new("notes", e.to_string()));
            None
        }
    };
    match (taken_on, source) {
        (Some(taken_on), Some(source)) if errors.is_empty() => Ok(ExternalInput {
            exam_type_id: d.exam_type_id,
            score: d.score,
            max_score: d.max_score,
            passed: d.passed,
            taken_on,
            source,
            notes,
        }),
        _ => Err(errors),
    }
}

/// 404 unless `user_id` is a member of the organization.
async fn ensure_member(state: &AppState, org_id: Uuid, user_id: Uuid) -> Result<(), ApiError> {
    tenancy::member(state.db.read(), org_id, user_id)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound)
}

/// The exam type named in a body: 422 on `exam_type_id` when the
/// organization has no such type.
async fn type_of_body(
    conn: &invigil_store::Tx,
    org_id: Uuid,
    id: Uuid,
) -> Result<ExamType, ApiError> {
    exams::exam_type(conn, org_id, id).await?.ok_or_else(|| {
        ApiError::field(
            "exam_type_id",
            "no exam type with this id in the organization",
        )
    })
}

/// Records a result for a candidate (201); one of the same type on the same
/// day is a 409.
pub async fn create(
    state: &AppState,
    auth: &Authorized,
    user_id: Uuid,
    body: ExternalBody,
) -> Result<ExternalResultView, ApiError> {
    auth.on_session_of(user_id)?;
    ensure_member(state, auth.org_id, user_id).await?;
    let now = state.now();
    let input = check(
        &Draft {
            exam_type_id: body.exam_type_id,
            score: body.score,
            max_score: body.max_score,
            passed: body.passed,
            taken_on: &body.taken_on,
            source: &body.source,
            notes: body.notes.as_deref(),
        },
        now.date_naive(),
    )
    .map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    let ty = type_of_body(&tx, auth.org_id, input.exam_type_id).await?;
    let row = records::insert_external(&tx, auth.org_id, user_id, &input, auth.actor.user_id, now)
        .await?;
    let view = ExternalResultView::of(&row, &ty.code);
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ExternalResultRecorded,
            row.id,
            json!(view),
        )
        .await?;
    commit(tx).await?;
    Ok(view)
}

/// Changes a result: the fields given replace the current ones.
pub async fn update(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    patch: ExternalPatch,
) -> Result<ExternalResultView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let current = records::external(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    auth.on_session_of(current.user_id)?;
    let before_type = type_of_body(&tx, auth.org_id, current.exam_type_id).await?;
    let before = ExternalResultView::of(&current, &before_type.code);
    let taken_on = patch
        .taken_on
        .unwrap_or_else(|| current.taken_on.format("%Y-%m-%d").to_string());
    let source = patch.source.unwrap_or_else(|| current.source.clone());
    let notes = patch.notes.unwrap_or_else(|| current.notes.clone());
    let input = check(
        &Draft {
            exam_type_id: patch.exam_type_id.unwrap_or(current.exam_type_id),
            score: patch.score.unwrap_or(current.score),
            max_score: patch.max_score.unwrap_or(current.max_score),
            passed: patch.passed.unwrap_or(current.passed),
            taken_on: &taken_on,
            source: &source,
            notes: notes.as_deref(),
        },
        now.date_naive(),
    )
    .map_err(ApiError::Validation)?;
    let ty = type_of_body(&tx, auth.org_id, input.exam_type_id).await?;
    let row = records::update_external(&tx, current, &input, auth.actor.user_id, now).await?;
    let after = ExternalResultView::of(&row, &ty.code);
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ExternalResultUpdated,
            row.id,
            json!({ "before": before, "after": after }),
        )
        .await?;
    commit(tx).await?;
    Ok(after)
}

/// Deletes a result; audited with what it said.
pub async fn delete(state: &AppState, auth: &Authorized, id: Uuid) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let current = records::external(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    auth.on_session_of(current.user_id)?;
    let ty = type_of_body(&tx, auth.org_id, current.exam_type_id).await?;
    let view = ExternalResultView::of(&current, &ty.code);
    records::delete_external(&tx, auth.org_id, id).await?;
    auth.audit(now)
        .record(&tx, AuditAction::ExternalResultDeleted, id, json!(view))
        .await?;
    commit(tx).await?;
    Ok(())
}

/// A page of a candidate's external results, newest first.
pub async fn list(
    state: &AppState,
    auth: &Authorized,
    user_id: Uuid,
    page: invigil_store::Keyset<Uuid>,
) -> Result<crate::http::page::Page<ExternalResultView>, ApiError> {
    ensure_member(state, auth.org_id, user_id).await?;
    let db = state.db.read();
    let types = exams::exam_types_of_org(db, auth.org_id).await?;
    let rows = records::externals_page(db, auth.org_id, user_id, page).await?;
    Ok(crate::http::page::Page::from_keyset(rows, |r| {
        let code = types
            .iter()
            .find(|t| t.id == r.exam_type_id)
            .map(|t| t.code.as_str())
            .unwrap_or("");
        ExternalResultView::of(&r, code)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn draft<'a>() -> Draft<'a> {
        Draft {
            exam_type_id: Uuid::nil(),
            score: Some(245.0),
            max_score: Some(300.0),
            passed: Some(true),
            taken_on: "2026-06-01",
            source: " NBME transcript ",
            notes: None,
        }
    }

    fn fields(e: Vec<FieldError>) -> Vec<String> {
        e.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_good_result_is_trimmed_and_kept() {
        let r = check(&draft(), day("2026-12-03")).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.source, "NBME transcript");
        assert_eq!(r.taken_on, day("2026-06-01"));
        assert_eq!(r.score, Some(245.0));
    }

    #[test]
    fn pass_fail_only_is_fine_but_nothing_at_all_is_not() {
        let d = Draft {
            score: None,
            max_score: None,
            ..draft()
        };
        assert!(check(&d, day("2026-12-03")).is_ok());
        let d = Draft { passed: None, ..d };
        assert_eq!(fields(check(&d, day("2026-12-03")).unwrap_err()), ["score"]);
    }

    #[test]
    fn scores_need_their_scale_and_stay_inside_it() {
        let today = day("2026-12-03");
        let e = |score, max_score| {
            fields(
                check(
                    &Draft {
                        score,
                        max_score,
                        ..draft()
                    },
                    today,
                )
                .unwrap_err(),
            )
        };
        assert_eq!(e(Some(10.0), None), ["max_score"]);
        assert_eq!(e(None, Some(10.0)), ["score"]);
        assert_eq!(e(Some(301.0), Some(300.0)), ["score"]);
        assert_eq!(e(Some(-1.0), Some(300.0)), ["score"]);
        assert_eq!(e(Some(f64::NAN), Some(300.0)), ["score"]);
        assert_eq!(e(Some(1.0), Some(0.0)), ["max_score"]);
        assert_eq!(e(Some(1.0), Some(2e6)), ["max_score"]);
    }

    #[test]
    fn dates_sources_and_notes_are_checked_together() {
        let d = Draft {
            taken_on: "2027-01-01",
            source: "  ",
            notes: Some("bell\u{7}"),
            ..draft()
        };
        assert_eq!(
            fields(check(&d, day("2026-12-03")).unwrap_err()),
            ["taken_on", "source", "notes"]
        );
        for bad in ["01/06/2026", "2026-13-01", "", "1899-12-31"] {
            let d = Draft {
                taken_on: bad,
                ..draft()
            };
            assert_eq!(
                fields(check(&d, day("2026-12-03")).unwrap_err()),
                ["taken_on"],
                "{bad}"
            );
        }
        let long = "x".repeat(201);
        let d = Draft {
            source: &long,
            ..draft()
        };
        assert_eq!(
            fields(check(&d, day("2026-12-03")).unwrap_err()),
            ["source"]
        );
    }
}
