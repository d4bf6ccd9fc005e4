//! `/orgs/{org}/admin/rules`: the proctoring rules editor. The risk engine
//! runs the organization's rule set (setting `proctoring_rules`; the
//! defaults otherwise) over each session's events at its exam's
//! sensitivity. Each rule is shown with what it detects and what it does in
//! plain words, and its parameters per sensitivity and weight can be
//! changed; so can the score thresholds. Saving goes through the service of
//! `PATCH /api/v1/orgs/{org}` (settings), which validates the rule set (422
//! naming the field) and audits the change (`org.proctoring_rules_changed`,
//! with the rules changed).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use invigil_domain::identity::Action;
use invigil_domain::proctoring::rules::{
    AnyParams, Condition, CountParams, DurationParams, EpisodeEnd, PerSensitivity, QuietParams,
};
use invigil_domain::proctoring::{Cause, Rule, RuleSet};

use super::{AdminLink, DoneQuery, done, links, notice, refusal};
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::proctoring::risk::{RULES_SETTING, rules_of_org};
use crate::state::AppState;
use crate::tenancy::service::{PatchOrgBody, update_org};
use crate::web::Layout;
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::staff::{Section, Staff};

const PATH: &str = "/admin/rules";

/// `TAB_SWITCH` as "tab switch".
fn words(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', " ")
}

fn source_words(source: Option<invigil_domain::proctoring::EventSource>) -> String {
    match source.map(|s| s.name()) {
        Some("LAPTOP") => " reported by the exam browser (laptop)".to_owned(),
        Some("MOBILE") => " reported by the paired phone".to_owned(),
        _ => String::new(),
    }
}

/// What a rule watches, in plain words.
pub fn detects(rule: &Rule) -> String {
    match &rule.condition {
        Condition::CountInWindow {
            event_type, source, ..
        } => format!(
            "Counts {} events{}. It fires when more of them than the limit happen within the time window.",
            words(event_type.name()),
            source_words(*source)
        ),
        Condition::Duration {
            event_type,
            source,
            end,
            ..
        } => {
            let how = match end {
                EpisodeEnd::Gap { gap_secs } => {
                    format!("events less than {gap_secs} s apart count as one continuous episode")
                }
                EpisodeEnd::Event { event_type: end } => {
                    format!("an episode lasts until a {} event", words(end.name()))
                }
            };
            format!(
                "Measures how long {}{} lasts ({how}). It fires when an episode lasts longer than the limit.",
                words(event_type.name()),
                source_words(*source)
            )
        }
        Condition::Any {
            event_types,
            source,
            ..
        } => format!(
            "Watches for any {} event{} at or above a minimum severity (1 to 10). Events close together count as one.",
            event_types
                .iter()
                .map(|t| words(t.name()))
                .collect::<Vec<_>>()
                .join(" or "),
            source_words(*source)
        ),
        Condition::SourceQuiet { source, .. } => format!(
            "Watches the {} go quiet: it fires when at least the given number of heartbeats are missed within the time window.",
            if source.name() == "MOBILE" {
                "paired phone"
            } else {
                "exam browser"
            }
        ),
    }
}

/// What a rule does when it fires, in plain words.
pub fn does(rule: &Rule) -> String {
    let factor = match rule.severity.name() {
        "HIGH" => 3,
        "MEDIUM" => 2,
        _ => 1,
    };
    let (cause, percent) = if rule.cause == Cause::Technical {
        ("a technical cause: network or device, counts half", 50)
    } else {
        ("the candidate's behaviour", 100)
    };
    format!(
        "Raises a “{}” flag of {} severity ({cause}): {} points toward the session's violation score.",
        words(rule.flag_type.name()),
        words(rule.severity.name()),
        rule.weight * factor * percent / 100
    )
}

/// The editable parameters of a condition kind: the labels of its one or
/// two numbers per sensitivity.
fn param_labels(c: &Condition) -> (&'static str, Option<&'static str>) {
    match c {
        Condition::CountInWindow { .. } => ("More than (events)", Some("Within (seconds)")),
        Condition::Duration { .. } => ("Longer than (seconds)", None),
        Condition::Any { .. } => ("Minimum severity (1–10)", Some("Merge within (seconds)")),
        Condition::SourceQuiet { .. } => ("At least (missed heartbeats)", Some("Within (seconds)")),
    }
}

/// A condition's numbers at one sensitivity (`None`: the rule does not run).
fn params_at(c: &Condition, level: usize) -> Option<(u32, Option<u32>)> {
    fn pick<T: Copy>(p: &PerSensitivity<T>, level: usize) -> Option<T> {
        match level {
            0 => p.low,
            1 => p.medium,
            _ => p.high,
        }
    }
    match c {
        Condition::CountInWindow { params, .. } => {
            pick(params, level).map(|p| (p.more_than, Some(p.within_secs)))
        }
        Condition::Duration { params, .. } => {
            pick(params, level).map(|p| (p.longer_than_secs, None))
        }
        Condition::Any { params, .. } => {
            pick(params, level).map(|p| (u32::from(p.min_severity), Some(p.merge_within_secs)))
        }
        Condition::SourceQuiet { params, .. } => {
            pick(params, level).map(|p| (p.at_least, Some(p.within_secs)))
        }
    }
}

/// One sensitivity's inputs of a rule.
#[derive(Debug)]
pub struct LevelInputs {
    pub key: &'static str,
    pub label: &'static str,
    pub a: String,
    pub b: String,
}

#[derive(Debug)]
pub struct RuleCard {
    pub id: String,
    pub detects: String,
    pub does: String,
    pub label_a: &'static str,
    pub label_b: Option<&'static str>,
    pub levels: Vec<LevelInputs>,
    pub weight: u32,
    pub action: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/rules.html")]
pub struct RulesPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub custom: bool,
    pub thresholds: (u32, u32, u32),
    pub thresholds_action: String,
    pub reset_action: String,
    pub rules: Vec<RuleCard>,
}

const LEVELS: [(&str, &str); 3] = [("low", "Low"), ("medium", "Medium"), ("high", "High")];

/// Whether the organization stores its own rule set.
fn has_custom(staff: &Staff) -> bool {
    crate::proctoring::org_setting(staff.ctx.org_id(), &staff.ctx.org.settings, RULES_SETTING)
        .is_some()
}

/// `GET /orgs/{org}/admin/rules`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Err(e) = staff.ctx.authorize(Action::ManageOrg) {
        return error_page(&e);
    }
    let set = match rules_of_org(&state.db, staff.ctx.org_id()).await {
        Ok(s) => s,
        Err(e) => return error_page(&e.into()),
    };
    let rules = set
        .rules
        .iter()
        .map(|r| {
            let (label_a, label_b) = param_labels(&r.condition);
            RuleCard {
                id: r.id.clone(),
                detects: detects(r),
                does: does(r),
                label_a,
                label_b,
                levels: LEVELS
                    .iter()
                    .enumerate()
                    .map(|(i, (key, label))| {
                        let p = params_at(&r.condition, i);
                        LevelInputs {
                            key,
                            label,
                            a: p.map(|(a, _)| a.to_string()).unwrap_or_default(),
                            b: p.and_then(|(_, b)| b)
                                .map(|b| b.to_string())
                                .unwrap_or_default(),
                        }
                    })
                    .collect(),
                weight: r.weight,
                action: staff.href(&format!("{PATH}/{}", r.id)),
            }
        })
        .collect();
    RulesPage {
        layout: staff.layout("Proctoring rules", Section::Admin),
        links: links(&staff, PATH),
        notice: notice(q.done.as_deref()),
        custom: has_custom(&staff),
        thresholds: (
            set.thresholds.low,
            set.thresholds.medium,
            set.thresholds.high,
        ),
        thresholds_action: staff.href(&format!("{PATH}/thresholds")),
        reset_action: staff.href(&format!("{PATH}/reset")),
        rules,
    }
    .into_response()
}

/// Reads a whole number field: empty is `None`, anything else must parse.
fn number(form: &HashMap<String, String>, name: &str, errors: &mut Vec<FieldError>) -> Option<u32> {
    let v = form.get(name).map(|v| v.trim()).unwrap_or("");
    if v.is_empty() {
        return None;
    }
    match v.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(name, "must be a whole number of 0 or more"));
            None
        }
    }
}

/// A level's parameters from the form: both numbers, or neither (the rule
/// does not run at that level).
fn level<T>(
    form: &HashMap<String, String>,
    key: &str,
    two: bool,
    errors: &mut Vec<FieldError>,
    make: impl Fn(u32, u32) -> T,
) -> Option<T> {
    let a = number(form, &format!("{key}_a"), errors);
    let b = if two {
        number(form, &format!("{key}_b"), errors)
    } else {
        Some(0)
    };
    match (a, b) {
        (Some(a), Some(b)) => Some(make(a, b)),
        (None, None) => None,
        (None, Some(_)) if !two => None,
        _ => {
            errors.push(FieldError::new(
                key.to_owned(),
                "fill in both numbers, or neither to switch the rule off at this sensitivity",
            ));
            None
        }
    }
}

fn per<T>(
    form: &HashMap<String, String>,
    two: bool,
    errors: &mut Vec<FieldError>,
    make: impl Fn(u32, u32) -> T + Copy,
) -> PerSensitivity<T> {
    PerSensitivity {
        low: level(form, "low", two, errors, make),
        medium: level(form, "medium", two, errors, make),
        high: level(form, "high", two, errors, make),
    }
}

/// The rule with the form's parameters and weight.
fn edited(rule: &Rule, form: &HashMap<String, String>) -> Result<Rule, ApiError> {
    let mut errors = Vec::new();
    let mut rule = rule.clone();
    rule.condition = match rule.condition {
        Condition::CountInWindow {
            event_type, source, ..
        } => Condition::CountInWindow {
            event_type,
            source,
            params: per(form, true, &mut errors, |a, b| CountParams {
                more_than: a,
                within_secs: b,
            }),
        },
        Condition::Duration {
            event_type,
            source,
            end,
            ..
        } => Condition::Duration {
            event_type,
            source,
            end,
            params: per(form, false, &mut errors, |a, _| DurationParams {
                longer_than_secs: a,
            }),
        },
        Condition::Any {
            event_types,
            source,
            ..
        } => Condition::Any {
            event_types,
            source,
            params: per(form, true, &mut errors, |a, b| AnyParams {
                // Out of range on purpose when too big: the rule check names it.
                min_severity: u8::try_from(a).unwrap_or(u8::MAX),
                merge_within_secs: b,
            }),
        },
        Condition::SourceQuiet { source, .. } => Condition::SourceQuiet {
            source,
            params: per(form, true, &mut errors, |a, b| QuietParams {
                at_least: a,
                within_secs: b,
            }),
        },
    };
    match number(form, "weight", &mut errors) {
        Some(w) => rule.weight = w,
        None if errors.is_empty() => errors.push(FieldError::new("weight", "must be set")),
        None => {}
    }
    if errors.is_empty() {
        Ok(rule)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Stores `set` (`None`: back to the defaults) as the organization's rules,
/// through the org settings service (validated and audited there).
async fn store(
    state: &AppState,
    auth: &Authorized,
    staff: &Staff,
    set: Option<&RuleSet>,
) -> Result<(), ApiError> {
    let mut settings = staff.ctx.org.settings_json()?;
    if !settings.is_object() {
        settings = serde_json::json!({});
    }
    if let Some(map) = settings.as_object_mut() {
        match set {
            Some(set) => {
                map.insert(
                    RULES_SETTING.to_owned(),
                    serde_json::to_value(set).map_err(ApiError::caused_by)?,
                );
            }
            None => {
                map.remove(RULES_SETTING);
            }
        }
    }
    update_org(
        state,
        auth,
        PatchOrgBody {
            name: None,
            domain: None,
            settings: Some(settings),
        },
    )
    .await
    .map(|_| ())
}

/// `POST /orgs/{org}/admin/rules/{rule}`: one rule's parameters and weight.
pub async fn save_rule(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, rule_id)): Path<(String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let result = async {
        let auth = staff.ctx.authorize(Action::ManageOrg)?;
        let mut set = rules_of_org(&state.db, auth.org_id).await?;
        let slot = set
            .rules
            .iter_mut()
            .find(|r| r.id == rule_id)
            .ok_or(ApiError::NotFound)?;
        *slot = edited(slot, &form.value)?;
        store(&state, &auth, &staff, Some(&set)).await
    }
    .await;
    match result {
        Ok(()) => done(&staff, PATH, "rule"),
        Err(e) => refusal(&staff, e, &back),
    }
}

/// `POST /orgs/{org}/admin/rules/thresholds`: the score thresholds.
pub async fn save_thresholds(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let result = async {
        let auth = staff.ctx.authorize(Action::ManageOrg)?;
        let mut set = rules_of_org(&state.db, auth.org_id).await?;
        let mut errors = Vec::new();
        let (low, medium, high) = (
            number(&form.value, "low", &mut errors),
            number(&form.value, "medium", &mut errors),
            number(&form.value, "high", &mut errors),
        );
        match (low, medium, high) {
            (Some(l), Some(m), Some(h)) if errors.is_empty() => {
                set.thresholds.low = l;
                set.thresholds.medium = m;
                set.thresholds.high = h;
            }
            _ => {
                if errors.is_empty() {
                    errors.push(FieldError::new("thresholds", "set all three thresholds"));
                }
                return Err(ApiError::Validation(errors));
            }
        }
        store(&state, &auth, &staff, Some(&set)).await
    }
    .await;
    match result {
        Ok(()) => done(&staff, PATH, "thresholds"),
        Err(e) => refusal(&staff, e, &back),
    }
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /orgs/{org}/admin/rules/reset`: back to the default rules.
pub async fn reset(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<EmptyForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let result = async {
        let auth = staff.ctx.authorize(Action::ManageOrg)?;
        store(&state, &auth, &staff, None).await
    }
    .await;
    match result {
        Ok(()) => done(&staff, PATH, "reset"),
        Err(e) => refusal(&staff, e, &back),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use invigil_domain::proctoring::default_rules;

    #[test]
    fn every_default_rule_reads_in_plain_words() {
        for r in default_rules().rules {
            assert!(!detects(&r).contains('_'), "{}", detects(&r));
            assert!(does(&r).contains("points"), "{}", does(&r));
        }
    }

    #[test]
    fn a_rule_edited_from_the_form_keeps_its_kind() {
        let set = default_rules();
        let tab = set
            .rules
            .iter()
            .find(|r| r.id == "tab_switch_burst")
            .cloned()
            .unwrap();
        let form: HashMap<String, String> = [
            ("low_a", "9"),
            ("low_b", "120"),
            ("medium_a", ""),
            ("medium_b", ""),
            ("high_a", "1"),
            ("high_b", "60"),
            ("weight", "12"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let r = edited(&tab, &form).unwrap();
        assert_eq!(r.weight, 12);
        assert_eq!(params_at(&r.condition, 0), Some((9, Some(120))));
        assert_eq!(params_at(&r.condition, 1), None);
        let mut half = form.clone();
        half.insert("low_b".into(), String::new());
        assert!(edited(&tab, &half).is_err());
    }
}
