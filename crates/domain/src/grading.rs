//! Automatic grading, one pure function per type.
//!
//! Policies (README material):
//! - **single_choice / true_false**: all or nothing.
//! - **multiple_select**: partial credit
//!   `max * max(0, right_selected - wrong_selected) / correct_count`, so a wrong pick cancels a
//!   right one and selecting everything earns nothing unless everything is correct. Exactly the
//!   correct set is `Correct`; some credit is `Partial`; none is `Incorrect`.
//! - **short_answer**: both sides are normalised with [`normalize_text`]: surrounding whitespace
//!   trimmed, internal runs of whitespace collapsed to one space, and (unless the key is
//!   `case_sensitive`) Unicode lowercased. The response is correct when it equals any accepted
//!   answer after normalisation.
//! - **numeric**: correct when `|x - value| <= tolerance + 1e-9 * max(1, |value|)`; the tiny
//!   relative epsilon absorbs binary floating-point noise (`0.1 + 0.2` vs `0.3`).
//! - **fill_blank**: each blank is worth `max / blank_count`, compared like a case-insensitive
//!   short answer against that blank's accepted answers.
//! - **essay**: `NeedsManual` with 0 points until a human grades it.
//! - An empty response (nothing selected, blank text, every blank empty) or a missing one
//!   ([`grade_missing`]) is `Incorrect` with 0 points, for essays too. A response of another
//!   type than the question is `Incorrect` with 0 points.
//!
//! `points_awarded` is always within `[0, max_points]`.

use serde::{Deserialize, Serialize};

use crate::content::{CorrectAnswer, Question, Response};

crate::stored_enum! {
    /// How a response fared (stored with each graded answer).
    pub enum Outcome {
        Correct = "CORRECT",
        Partial = "PARTIAL",
        Incorrect = "INCORRECT",
        /// Waits for a human grade (essays).
        NeedsManual = "NEEDS_MANUAL",
    }
}

/// Points for one answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub points_awarded: f64,
    pub max_points: f64,
    pub outcome: Outcome,
}

impl Grade {
    fn of(max: f64, fraction: f64) -> Grade {
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let outcome = if fraction >= 1.0 {
            Outcome::Correct
        } else if fraction > 0.0 {
            Outcome::Partial
        } else {
            Outcome::Incorrect
        };
        let points = if fraction >= 1.0 {
            max
        } else {
            (max * fraction).clamp(0.0, max)
        };
        Grade {
            points_awarded: points,
            max_points: max,
            outcome,
        }
    }

    fn zero(max: f64) -> Grade {
        Grade::of(max, 0.0)
    }
}

/// Normalises a text answer: trim, collapse internal whitespace runs to one space, and
/// lowercase (Unicode-aware) unless `case_sensitive`.
pub fn normalize_text(s: &str, case_sensitive: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, word) in s.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    if case_sensitive {
        out
    } else {
        out.to_lowercase()
    }
}

fn text_matches(answer: &str, accepted: &[String], case_sensitive: bool) -> bool {
    let a = normalize_text(answer, case_sensitive);
    !a.is_empty()
        && accepted
            .iter()
            .any(|acc| normalize_text(acc, case_sensitive) == a)
}

/// The numeric comparison: `|x - value| <= tolerance + 1e-9 * max(1, |value|)`.
pub fn numeric_matches(x: f64, value: f64, tolerance: f64) -> bool {
    if !x.is_finite() {
        return false;
    }
    let eps = 1e-9 * value.abs().max(1.0);
    (x - value).abs() <= tolerance + eps
}

/// A missing response: `Incorrect`, 0 points (whatever the type).
pub fn grade_missing(question: &Question) -> Grade {
    Grade::zero(question.points())
}

fn all_or_nothing(right: bool) -> f64 {
    if right { 1.0 } else { 0.0 }
}

fn grade_multiple(correct: &[usize], chosen: &[usize]) -> f64 {
    if correct.is_empty() {
        return 0.0;
    }
    let right = chosen.iter().filter(|c| correct.contains(c)).count();
    let wrong = chosen.len() - right;
    let net = right.saturating_sub(wrong);
    net as f64 / correct.len() as f64
}

fn grade_fill(blanks: &[Vec<String>], given: &[String]) -> f64 {
    if blanks.is_empty() {
        return 0.0;
    }
    let right = blanks
        .iter()
        .zip(given)
        .filter(|(acc, g)| text_matches(g, acc, false))
        .count();
    right as f64 / blanks.len() as f64
}

/// Grades `response` against `question`'s key (see the module docs for the policies). Option
/// indexes must already be in original order ([`super::unpermute_response`]).
pub fn grade(question: &Question, response: &Response) -> Grade {
    let max = question.points();
    if response.is_empty() || response.question_type() != question.question_type() {
        return Grade::zero(max);
    }
    let fraction = match (question.correct_answer(), response) {
        (_, Response::Essay { .. }) => {
            return Grade {
                points_awarded: 0.0,
                max_points: max,
                outcome: Outcome::NeedsManual,
            };
        }
        (Some(CorrectAnswer::SingleChoice { option }), Response::SingleChoice { option: c }) => {
            all_or_nothing(option == c)
        }
        (
            Some(CorrectAnswer::MultipleSelect { options }),
            Response::MultipleSelect { options: c },
        ) => grade_multiple(options, c),
        (Some(CorrectAnswer::TrueFalse { value }), Response::TrueFalse { value: c }) => {
            all_or_nothing(value == c)
        }
        (
            Some(CorrectAnswer::ShortAnswer {
                accepted,
                case_sensitive,
            }),
            Response::ShortAnswer { text },
        ) => all_or_nothing(text_matches(text, accepted, *case_sensitive)),
        (Some(CorrectAnswer::Numeric { value, tolerance }), Response::Numeric { value: x }) => {
            all_or_nothing(numeric_matches(*x, *value, *tolerance))
        }
        (Some(CorrectAnswer::FillBlank { blanks }), Response::FillBlank { blanks: given }) => {
            grade_fill(blanks, given)
        }
        _ => 0.0,
    };
    Grade::of(max, fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{QuestionInput, QuestionType, validate};
    use proptest::prelude::*;
    use serde_json::json;

    fn q(
        qt: QuestionType,
        text: &str,
        options: &[&str],
        key: serde_json::Value,
        points: f64,
    ) -> Question {
        validate(QuestionInput {
            question_type: qt,
            text: text.into(),
            options: (!options.is_empty()).then(|| options.iter().map(|s| s.to_string()).collect()),
            correct_answer: (!key.is_null()).then_some(key),
            points,
            difficulty: Default::default(),
            tags: None,
            explanation: None,
        })
        .unwrap()
    }

    fn ms() -> Question {
        q(
            QuestionType::MultipleSelect,
            "pick",
            &["a", "b", "c", "d"],
            json!({"options": [0, 1, 2]}),
            3.0,
        )
    }

    fn sel(o: &[usize]) -> Response {
        Response::MultipleSelect {
            options: o.to_vec(),
        }
    }

    #[test]
    fn single_choice_all_or_nothing() {
        let qn = q(
            QuestionType::SingleChoice,
            "q",
            &["a", "b"],
            json!({"option": 1}),
            2.0,
        );
        let g = grade(&qn, &Response::SingleChoice { option: 1 });
        assert_eq!((g.points_awarded, g.outcome), (2.0, Outcome::Correct));
        let g = grade(&qn, &Response::SingleChoice { option: 0 });
        assert_eq!((g.points_awarded, g.outcome), (0.0, Outcome::Incorrect));
    }

    #[test]
    fn multiple_select_partial_credit() {
        let qn = ms();
        assert_eq!(grade(&qn, &sel(&[0, 1, 2])).outcome, Outcome::Correct);
        let g = grade(&qn, &sel(&[0, 1]));
        assert_eq!((g.points_awarded, g.outcome), (2.0, Outcome::Partial));
        let g = grade(&qn, &sel(&[0, 1, 3]));
        assert_eq!((g.points_awarded, g.outcome), (1.0, Outcome::Partial));
        let g = grade(&qn, &sel(&[0, 3]));
        assert_eq!((g.points_awarded, g.outcome), (0.0, Outcome::Incorrect));
        let g = grade(&qn, &sel(&[3]));
        assert_eq!(g.points_awarded, 0.0);
        let g = grade(&qn, &sel(&[0, 1, 2, 3]));
        assert_eq!((g.points_awarded, g.outcome), (2.0, Outcome::Partial));
        assert_eq!(grade(&qn, &sel(&[])).outcome, Outcome::Incorrect);
    }

    #[test]
    fn true_false() {
        let qn = q(
            QuestionType::TrueFalse,
            "q",
            &[],
            json!({"value": false}),
            1.0,
        );
        assert_eq!(
            grade(&qn, &Response::TrueFalse { value: false }).outcome,
            Outcome::Correct
        );
        assert_eq!(
            grade(&qn, &Response::TrueFalse { value: true }).outcome,
            Outcome::Incorrect
        );
    }

    #[test]
    fn short_answer_normalisation() {
        let qn = q(
            QuestionType::ShortAnswer,
            "q",
            &[],
            json!({"accepted": ["New  York", "NYC"]}),
            1.0,
        );
        let t = |s: &str| grade(&qn, &Response::ShortAnswer { text: s.into() }).outcome;
        assert_eq!(t("  new york "), Outcome::Correct);
        assert_eq!(t("NEW\tYORK"), Outcome::Correct);
        assert_eq!(t("nyc"), Outcome::Correct);
        assert_eq!(t("newyork"), Outcome::Incorrect);
        assert_eq!(t("   "), Outcome::Incorrect);
        let de = q(
            QuestionType::ShortAnswer,
            "q",
            &[],
            json!({"accepted": ["STRASSE", "Ärger"]}),
            1.0,
        );
        let t = |s: &str| grade(&de, &Response::ShortAnswer { text: s.into() }).outcome;
        assert_eq!(t("ärger"), Outcome::Correct);
        assert_eq!(t("strasse"), Outcome::Correct);
        let cs = q(
            QuestionType::ShortAnswer,
            "q",
            &[],
            json!({"accepted": ["NaCl"], "case_sensitive": true}),
            1.0,
        );
        let t = |s: &str| grade(&cs, &Response::ShortAnswer { text: s.into() }).outcome;
        assert_eq!(t(" NaCl "), Outcome::Correct);
        assert_eq!(t("nacl"), Outcome::Incorrect);
    }

    #[test]
    fn numeric_tolerance_and_epsilon() {
        let qn = q(
            QuestionType::Numeric,
            "q",
            &[],
            json!({"value": 0.3, "tolerance": 0}),
            1.0,
        );
        assert_eq!(
            grade(&qn, &Response::Numeric { value: 0.1 + 0.2 }).outcome,
            Outcome::Correct
        );
        assert_eq!(
            grade(&qn, &Response::Numeric { value: 0.31 }).outcome,
            Outcome::Incorrect
        );
        let qn = q(
            QuestionType::Numeric,
            "q",
            &[],
            json!({"value": 5.5, "tolerance": 0.01}),
            1.0,
        );
        assert_eq!(
            grade(&qn, &Response::Numeric { value: 5.51 }).outcome,
            Outcome::Correct
        );
        assert_eq!(
            grade(&qn, &Response::Numeric { value: 5.49 }).outcome,
            Outcome::Correct
        );
        assert_eq!(
            grade(&qn, &Response::Numeric { value: 5.52 }).outcome,
            Outcome::Incorrect
        );
        assert!(!numeric_matches(f64::NAN, 1.0, 1.0));
        assert!(numeric_matches(1e12 + 1e-4, 1e12, 0.0));
    }

    #[test]
    fn fill_blank_per_blank_share() {
        let qn = q(
            QuestionType::FillBlank,
            "___ is the capital of ___.",
            &[],
            json!({"blanks": [["Paris"], ["France", "la France"]]}),
            4.0,
        );
        let f = |a: &str, b: &str| {
            grade(
                &qn,
                &Response::FillBlank {
                    blanks: vec![a.into(), b.into()],
                },
            )
        };
        let g = f(" paris", "LA  france");
        assert_eq!((g.points_awarded, g.outcome), (4.0, Outcome::Correct));
        let g = f("paris", "spain");
        assert_eq!((g.points_awarded, g.outcome), (2.0, Outcome::Partial));
        assert_eq!(f("", "").outcome, Outcome::Incorrect);
    }

    #[test]
    fn essay_needs_manual_unless_empty() {
        let qn = q(QuestionType::Essay, "q", &[], serde_json::Value::Null, 10.0);
        let g = grade(
            &qn,
            &Response::Essay {
                text: "answer".into(),
            },
        );
        assert_eq!((g.points_awarded, g.outcome), (0.0, Outcome::NeedsManual));
        assert_eq!(
            grade(&qn, &Response::Essay { text: " ".into() }).outcome,
            Outcome::Incorrect
        );
        assert_eq!(grade_missing(&qn).outcome, Outcome::Incorrect);
    }

    #[test]
    fn wrong_type_is_incorrect() {
        let qn = q(
            QuestionType::TrueFalse,
            "q",
            &[],
            json!({"value": true}),
            1.0,
        );
        assert_eq!(
            grade(&qn, &Response::SingleChoice { option: 0 }).outcome,
            Outcome::Incorrect
        );
    }

    proptest! {
        #[test]
        fn multiple_select_score_within_bounds(
            n in 2usize..=20,
            correct in proptest::collection::btree_set(0usize..20, 1..20),
            chosen in proptest::collection::btree_set(0usize..20, 0..20),
            points in 0.01f64..1000.0,
        ) {
            let correct: Vec<usize> = correct.into_iter().filter(|&c| c < n).collect();
            prop_assume!(!correct.is_empty());
            let chosen: Vec<usize> = chosen.into_iter().filter(|&c| c < n).collect();
            let opts: Vec<String> = (0..n).map(|i| format!("o{i}")).collect();
            let qn = validate(QuestionInput {
                question_type: QuestionType::MultipleSelect,
                text: "t".into(),
                options: Some(opts),
                correct_answer: Some(json!({"options": correct})),
                points,
                difficulty: Default::default(),
                tags: None,
                explanation: None,
            }).unwrap();
            let g = grade(&qn, &Response::MultipleSelect { options: chosen.clone() });
            prop_assert!(g.points_awarded >= 0.0 && g.points_awarded <= g.max_points);
            prop_assert_eq!(g.outcome == Outcome::Correct, chosen == correct);
        }

        #[test]
        fn fill_blank_score_within_bounds(
            answers in proptest::collection::vec("[a-c ]{0,3}", 3),
            points in 0.01f64..1000.0,
        ) {
            let qn = q(
                QuestionType::FillBlank,
                "___ ___ ___",
                &[],
                json!({"blanks": [["a"], ["b"], ["c "]]}),
                points,
            );
            let g = grade(&qn, &Response::FillBlank { blanks: answers });
            prop_assert!(g.points_awarded >= 0.0 && g.points_awarded <= g.max_points);
        }

        #[test]
        fn numeric_score_within_bounds(x in proptest::num::f64::ANY, v in -1e9f64..1e9, t in 0f64..10.0) {
            let qn = q(QuestionType::Numeric, "q", &[], json!({"value": v, "tolerance": t}), 2.0);
            let g = grade(&qn, &Response::Numeric { value: x });
            prop_assert!(g.points_awarded == 0.0 || g.points_awarded == 2.0);
        }
    }
}
