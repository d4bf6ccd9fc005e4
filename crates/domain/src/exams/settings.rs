//! Exam settings validation: raw input in, a validated [`ExamSettings`] or
//! field-level errors out (`validation_failed`, 422).
//!
//! Numeric input fields are `i64` on purpose, so that an out-of-range value
//! such as `-5` becomes a field error with a clear message instead of a JSON
//! deserialization failure.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Sensitivity, Window};

/// Allowed exam duration in minutes.
pub const DURATION_MINUTES: std::ops::RangeInclusive<i64> = 1..=1440;
/// Allowed passing score (percent).
pub const PASSING_SCORE_PERCENT: std::ops::RangeInclusive<i64> = 0..=100;
/// Allowed maximum number of attempts.
pub const MAX_ATTEMPTS: std::ops::RangeInclusive<i64> = 1..=100;
/// Allowed question count of one draw rule.
pub const DRAW_COUNT: std::ops::RangeInclusive<i64> = 1..=1000;
/// At most this many draw rules per exam.
pub const MAX_DRAW_RULES: usize = 100;
/// At most this many characters in a difficulty or tag of a draw rule.
pub const MAX_LABEL_CHARS: usize = 100;

/// One field-level validation error, as carried by `validation_failed`
/// (`errors: [{"field": ..., "message": ...}]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The JSON field, with a path for nested items (`draw[1].count`).
    pub field: String,
    /// A human-readable message.
    pub message: String,
}

impl FieldError {
    /// A field error.
    #[must_use]
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// One draw rule as received: take `count` questions from `bank_id`,
/// optionally only of `difficulty` and carrying all of `tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRuleInput {
    pub bank_id: Uuid,
    pub count: i64,
    #[serde(default)]
    pub difficulty: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// A validated draw rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRule {
    pub bank_id: Uuid,
    /// At least 1.
    pub count: u32,
    /// Trimmed, non-empty; compared exactly with a question's difficulty.
    pub difficulty: Option<String>,
    /// Trimmed, non-empty, without duplicates; a question must carry all of
    /// them. Empty means "no tag filter".
    pub tags: Vec<String>,
}

/// Where an exam's questions come from: exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", tag = "kind")]
pub enum QuestionSource {
    /// Every question of one bank, in bank order.
    Bank { question_bank_id: Uuid },
    /// Questions drawn per rule (see [`crate::delivery::draw`]).
    Draw { rules: Vec<DrawRule> },
}

/// Exam settings as received (`POST /orgs/{org}/exams` and edits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamSettingsInput {
    pub duration_minutes: i64,
    /// Percent.
    pub passing_score: i64,
    pub max_attempts: i64,
    #[serde(default)]
    pub scheduled_start_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub scheduled_end_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub question_bank_id: Option<Uuid>,
    #[serde(default)]
    pub draw: Option<Vec<DrawRuleInput>>,
    #[serde(default)]
    pub randomize_questions: bool,
    #[serde(default)]
    pub randomize_options: bool,
    #[serde(default)]
    pub enable_proctoring: bool,
    #[serde(default)]
    pub proctoring_sensitivity: Sensitivity,
}

/// Validated exam settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamSettings {
    /// 1..=1440.
    pub duration_minutes: u32,
    /// Percent, 0..=100.
    pub passing_score: u8,
    /// 1..=100.
    pub max_attempts: u32,
    /// The exam's window; `start < end` when both are set.
    pub window: Window,
    pub source: QuestionSource,
    pub randomize_questions: bool,
    pub randomize_options: bool,
    pub enable_proctoring: bool,
    pub proctoring_sensitivity: Sensitivity,
}

/// Checks `value` against `range`; on failure records an error for `field`.
pub(crate) fn check_range(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: i64,
    range: &std::ops::RangeInclusive<i64>,
) -> Option<u32> {
    if range.contains(&value) {
        u32::try_from(value).ok()
    } else {
        errors.push(FieldError::new(
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        ));
        None
    }
}

/// Records an error when both bounds are set and `start >= end`.
pub(crate) fn check_window(
    errors: &mut Vec<FieldError>,
    end_field: &str,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) {
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        errors.push(FieldError::new(end_field, "must be after the start"));
    }
}

fn clean_label(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<String> {
    let label = raw.trim();
    if label.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
        None
    } else if label.chars().count() > MAX_LABEL_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must be at most {MAX_LABEL_CHARS} characters"),
        ));
        None
    } else {
        Some(label.to_owned())
    }
}

fn validate_rule(
    errors: &mut Vec<FieldError>,
    index: usize,
    input: &DrawRuleInput,
) -> Option<DrawRule> {
    let before = errors.len();
    let count = check_range(
        errors,
        &format!("draw[{index}].count"),
        input.count,
        &DRAW_COUNT,
    );
    let difficulty = input
        .difficulty
        .as_deref()
        .and_then(|d| clean_label(errors, &format!("draw[{index}].difficulty"), d));
    let mut tags: Vec<String> = Vec::new();
    for (t, raw) in input.tags.iter().flatten().enumerate() {
        if let Some(tag) = clean_label(errors, &format!("draw[{index}].tags[{t}]"), raw)
            && !tags.contains(&tag)
        {
            tags.push(tag);
        }
    }
    if errors.len() != before {
        return None;
    }
    Some(DrawRule {
        bank_id: input.bank_id,
        count: count?,
        difficulty,
        tags,
    })
}

fn validate_source(
    errors: &mut Vec<FieldError>,
    input: &ExamSettingsInput,
) -> Option<QuestionSource> {
    match (&input.question_bank_id, &input.draw) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "draw",
                "give either question_bank_id or draw, not both",
            ));
            None
        }
        (None, None) => {
            errors.push(FieldError::new(
                "question_bank_id",
                "give either question_bank_id or draw",
            ));
            None
        }
        (Some(bank), None) => Some(QuestionSource::Bank {
            question_bank_id: *bank,
        }),
        (None, Some(rules)) => {
            if rules.is_empty() {
                errors.push(FieldError::new("draw", "must contain at least one rule"));
                return None;
            }
            if rules.len() > MAX_DRAW_RULES {
                errors.push(FieldError::new(
                    "draw",
                    format!("must contain at most {MAX_DRAW_RULES} rules"),
                ));
                return None;
            }
            let validated: Vec<Option<DrawRule>> = rules
                .iter()
                .enumerate()
                .map(|(i, rule)| validate_rule(errors, i, rule))
                .collect();
            let rules: Option<Vec<DrawRule>> = validated.into_iter().collect();
            rules.map(|rules| QuestionSource::Draw { rules })
        }
    }
}

impl ExamSettingsInput {
    /// Validates every field and reports all problems at once.
    ///
    /// Rules: `duration_minutes` 1..=1440, `passing_score` 0..=100,
    /// `max_attempts` 1..=100, `scheduled_start_at < scheduled_end_at` when
    /// both are set (error on `scheduled_end_at`), exactly one of
    /// `question_bank_id` and `draw`; `draw` has 1..=100 rules, each with
    /// `count` 1..=1000 and non-empty `difficulty`/`tags` when given (tags are
    /// trimmed and de-duplicated).
    pub fn validate(&self) -> Result<ExamSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let duration = check_range(
            &mut errors,
            "duration_minutes",
            self.duration_minutes,
            &DURATION_MINUTES,
        );
        let passing = check_range(
            &mut errors,
            "passing_score",
            self.passing_score,
            &PASSING_SCORE_PERCENT,
        );
        let attempts = check_range(
            &mut errors,
            "max_attempts",
            self.max_attempts,
            &MAX_ATTEMPTS,
        );
        check_window(
            &mut errors,
            "scheduled_end_at",
            self.scheduled_start_at,
            self.scheduled_end_at,
        );
        let source = validate_source(&mut errors, self);
        match (
            duration,
            passing.and_then(|p| u8::try_from(p).ok()),
            attempts,
            source,
        ) {
            (Some(duration_minutes), Some(passing_score), Some(max_attempts), Some(source))
                if errors.is_empty() =>
            {
                Ok(ExamSettings {
                    duration_minutes,
                    passing_score,
                    max_attempts,
                    window: Window::new(self.scheduled_start_at, self.scheduled_end_at),
                    source,
                    randomize_questions: self.randomize_questions,
                    randomize_options: self.randomize_options,
                    enable_proctoring: self.enable_proctoring,
                    proctoring_sensitivity: self.proctoring_sensitivity,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Allowed validity of an exam's certificates, in days.
pub const CERTIFICATE_VALID_DAYS: std::ops::RangeInclusive<i64> = 1..=36_500;
/// At most this many characters in a certificate title.
pub const CERTIFICATE_TITLE_CHARS: usize = 200;

/// An exam's certificate setting as received (issue 16): `enabled` opts the
/// exam in; `title` defaults to the exam's title; no `valid_for_days` means
/// the certificate never expires; `show_score` prints the score on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSettingInput {
    pub enabled: bool,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub valid_for_days: Option<i64>,
    #[serde(default)]
    pub show_score: bool,
}

/// A validated certificate setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSetting {
    pub enabled: bool,
    /// Trimmed, 1..=200 characters, no control characters.
    pub title: Option<String>,
    /// 1..=36500.
    pub valid_for_days: Option<u32>,
    pub show_score: bool,
}

impl CertificateSettingInput {
    /// Validates every field and reports all problems at once.
    pub fn validate(&self) -> Result<CertificateSetting, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = match self.title.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) if t.chars().any(char::is_control) => {
                errors.push(FieldError::new(
                    "title",
                    "must not contain control characters",
                ));
                None
            }
            Some(t) if t.chars().count() > CERTIFICATE_TITLE_CHARS => {
                errors.push(FieldError::new(
                    "title",
                    format!("must be at most {CERTIFICATE_TITLE_CHARS} characters"),
                ));
                None
            }
            Some(t) => Some(t.to_owned()),
        };
        let valid_for_days = self
            .valid_for_days
            .and_then(|d| check_range(&mut errors, "valid_for_days", d, &CERTIFICATE_VALID_DAYS));
        if errors.is_empty() {
            Ok(CertificateSetting {
                enabled: self.enabled,
                title,
                valid_for_days,
                show_score: self.show_score,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn valid() -> ExamSettingsInput {
        ExamSettingsInput {
            duration_minutes: 60,
            passing_score: 50,
            max_attempts: 1,
            scheduled_start_at: Some(Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap()),
            scheduled_end_at: Some(Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()),
            question_bank_id: Some(Uuid::from_u128(1)),
            draw: None,
            randomize_questions: true,
            randomize_options: false,
            enable_proctoring: true,
            proctoring_sensitivity: Sensitivity::High,
        }
    }

    fn fields(result: Result<ExamSettings, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn valid_settings_pass() {
        let settings = valid().validate().unwrap();
        assert_eq!(settings.duration_minutes, 60);
        assert_eq!(settings.passing_score, 50);
        assert_eq!(
            settings.source,
            QuestionSource::Bank {
                question_bank_id: Uuid::from_u128(1)
            }
        );
        assert!(settings.randomize_questions);
        assert_eq!(settings.proctoring_sensitivity, Sensitivity::High);
    }

    #[test]
    fn range_bounds() {
        for (d, ok) in [
            (0, false),
            (1, true),
            (1440, true),
            (1441, false),
            (-5, false),
        ] {
            let input = ExamSettingsInput {
                duration_minutes: d,
                ..valid()
            };
            assert_eq!(input.validate().is_ok(), ok, "duration {d}");
        }
        for (p, ok) in [(-1, false), (0, true), (100, true), (101, false)] {
            let input = ExamSettingsInput {
                passing_score: p,
                ..valid()
            };
            assert_eq!(input.validate().is_ok(), ok, "passing {p}");
        }
        for (a, ok) in [(0, false), (1, true), (100, true), (101, false)] {
            let input = ExamSettingsInput {
                max_attempts: a,
                ..valid()
            };
            assert_eq!(input.validate().is_ok(), ok, "attempts {a}");
        }
    }

    #[test]
    fn all_errors_reported_at_once() {
        let input = ExamSettingsInput {
            duration_minutes: 0,
            passing_score: 200,
            max_attempts: 0,
            ..valid()
        };
        assert_eq!(
            fields(input.validate()),
            ["duration_minutes", "passing_score", "max_attempts"]
        );
    }

    #[test]
    fn window_must_be_ordered() {
        let mut input = valid();
        input.scheduled_end_at = input.scheduled_start_at;
        assert_eq!(fields(input.validate()), ["scheduled_end_at"]);
        let open_end = ExamSettingsInput {
            scheduled_end_at: None,
            ..valid()
        };
        assert!(open_end.validate().is_ok());
    }

    #[test]
    fn exactly_one_question_source() {
        let none = ExamSettingsInput {
            question_bank_id: None,
            ..valid()
        };
        assert_eq!(fields(none.validate()), ["question_bank_id"]);
        let rule = DrawRuleInput {
            bank_id: Uuid::from_u128(2),
            count: 3,
            difficulty: None,
            tags: None,
        };
        let both = ExamSettingsInput {
            draw: Some(vec![rule]),
            ..valid()
        };
        assert_eq!(fields(both.validate()), ["draw"]);
        let empty = ExamSettingsInput {
            question_bank_id: None,
            draw: Some(vec![]),
            ..valid()
        };
        assert_eq!(fields(empty.validate()), ["draw"]);
    }

    #[test]
    fn draw_rules_validated_and_cleaned() {
        let rules = vec![
            DrawRuleInput {
                bank_id: Uuid::from_u128(2),
                count: 3,
                difficulty: Some(" EASY ".into()),
                tags: Some(vec!["algebra".into(), " algebra".into(), "geo".into()]),
            },
            DrawRuleInput {
                bank_id: Uuid::from_u128(3),
                count: 1,
                difficulty: None,
                tags: None,
            },
        ];
        let input = ExamSettingsInput {
            question_bank_id: None,
            draw: Some(rules),
            ..valid()
        };
        let QuestionSource::Draw { rules } = input.validate().unwrap().source else {
            panic!("expected draw rules");
        };
        assert_eq!(rules[0].difficulty.as_deref(), Some("EASY"));
        assert_eq!(rules[0].tags, ["algebra", "geo"]);
        assert!(rules[1].tags.is_empty());
    }

    #[test]
    fn bad_draw_rules_name_their_path() {
        let rules = vec![
            DrawRuleInput {
                bank_id: Uuid::from_u128(2),
                count: 1,
                difficulty: None,
                tags: None,
            },
            DrawRuleInput {
                bank_id: Uuid::from_u128(2),
                count: 0,
                difficulty: Some("  ".into()),
                tags: Some(vec!["ok".into(), String::new()]),
            },
        ];
        let input = ExamSettingsInput {
            question_bank_id: None,
            draw: Some(rules),
            ..valid()
        };
        assert_eq!(
            fields(input.validate()),
            ["draw[1].count", "draw[1].difficulty", "draw[1].tags[1]"]
        );
        let too_many = vec![
            DrawRuleInput {
                bank_id: Uuid::from_u128(2),
                count: 1,
                difficulty: None,
                tags: None
            };
            MAX_DRAW_RULES + 1
        ];
        let input = ExamSettingsInput {
            question_bank_id: None,
            draw: Some(too_many),
            ..valid()
        };
        assert_eq!(fields(input.validate()), ["draw"]);
    }

    #[test]
    fn input_deserializes_with_defaults() {
        let input: ExamSettingsInput = serde_json::from_str(
            r#"{"duration_minutes": 30, "passing_score": 60, "max_attempts": 2,
                "draw": [{"bank_id": "00000000-0000-0000-0000-000000000002", "count": 5}]}"#,
        )
        .unwrap();
        assert_eq!(input.proctoring_sensitivity, Sensitivity::Medium);
        assert!(!input.randomize_options);
        assert!(input.validate().is_ok());
    }

    #[test]
    fn certificate_setting_rules() {
        let ok = CertificateSettingInput {
            enabled: true,
            title: Some("  Certified Welder  ".into()),
            valid_for_days: Some(365),
            show_score: true,
        }
        .validate()
        .unwrap();
        assert_eq!(ok.title.as_deref(), Some("Certified Welder"));
        assert_eq!(ok.valid_for_days, Some(365));
        let blank = CertificateSettingInput {
            enabled: false,
            title: Some("   ".into()),
            valid_for_days: None,
            show_score: false,
        }
        .validate()
        .unwrap();
        assert_eq!(blank.title, None);
        let bad = CertificateSettingInput {
            enabled: true,
            title: Some("a\u{7}b".into()),
            valid_for_days: Some(0),
            show_score: false,
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = bad.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "valid_for_days"]);
        let long = CertificateSettingInput {
            enabled: true,
            title: Some("x".repeat(201)),
            valid_for_days: Some(36_501),
            show_score: false,
        }
        .validate()
        .unwrap_err();
        assert_eq!(long.len(), 2);
    }
}
