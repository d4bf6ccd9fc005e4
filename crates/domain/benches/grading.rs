//! Grading a 100-question submission (issue 14, point 4).
//!
//! `cargo bench -p invigil-domain --bench grading`
//!
//! One generated, deterministic exam of 100 questions in the proportions of a
//! real one: 40 single-choice (4-5 options), 15 multiple-select, 10
//! true/false, 10 short-answer, 10 numeric, 10 fill-in-the-blank (two
//! blanks), 5 essays; options shuffled per session. The submission has 5 %
//! omitted answers. `submission_100` times what the server does per answer
//! at submit (crates/server/src/grading/mod.rs `grade_one`): parse the
//! stored JSON response against the served question, undo the option
//! permutation, grade (or grade as missing). `grade_only_100` times the
//! grading of already parsed responses.

mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use invigil_domain::content::{
    Question, QuestionInput, QuestionType, Response, parse_response, unpermute_response, validate,
};
use invigil_domain::grading::{grade, grade_missing};
use serde_json::{Value, json};

use common::Rng;

/// A served question: the question, its option order and blank count, and
/// the candidate's stored response (`Value::Null` when omitted).
struct Served {
    question: Question,
    order: Vec<usize>,
    blanks: usize,
    response: Value,
}

fn question(qt: QuestionType, text: &str, options: Option<Vec<String>>, key: Value) -> Question {
    let input = QuestionInput {
        question_type: qt,
        text: text.to_owned(),
        options,
        correct_answer: Some(key).filter(|k| !k.is_null()),
        points: 1.0,
        difficulty: Default::default(),
        tags: None,
        explanation: None,
    };
    match validate(input) {
        Ok(q) => q,
        Err(e) => unreachable!("generated question is valid: {e:?}"),
    }
}

fn submission() -> Vec<Served> {
    let mut rng = Rng::new(0x6EAD_E100);
    let mut out = Vec::with_capacity(100);
    for i in 0..100 {
        let (qt, n_options) = match i {
            0..40 => (QuestionType::SingleChoice, 4 + rng.below(2)),
            40..55 => (QuestionType::MultipleSelect, 5),
            55..65 => (QuestionType::TrueFalse, 0),
            65..75 => (QuestionType::ShortAnswer, 0),
            75..85 => (QuestionType::Numeric, 0),
            85..95 => (QuestionType::FillBlank, 0),
            _ => (QuestionType::Essay, 0),
        };
        let options: Vec<String> = (0..n_options)
            .map(|o| format!("Option {o} of question {i}: a plausible distractor"))
            .collect();
        let right = rng.chance(0.7);
        let (text, key, response) = match qt {
            QuestionType::SingleChoice => {
                let k = rng.below(n_options);
                let pick = if right { k } else { (k + 1) % n_options };
                (
                    format!("Question {i}: which option is right?"),
                    json!({"option": k}),
                    json!({"option": pick}),
                )
            }
            QuestionType::MultipleSelect => (
                format!("Question {i}: select every right option."),
                json!({"options": [0, 2, 3]}),
                if right {
                    json!({"options": [0, 2, 3]})
                } else {
                    json!({"options": [0, 1, 3]})
                },
            ),
            QuestionType::TrueFalse => (
                format!("Question {i}: true or false?"),
                json!({"value": true}),
                json!({"value": right}),
            ),
            QuestionType::ShortAnswer => (
                format!("Question {i}: name the capital of France."),
                json!({"accepted": ["Paris", "paris, france", "City of Paris"], "case_sensitive": false}),
                json!({"text": if right { "  PARIS " } else { "Lyon" }}),
            ),
            QuestionType::Numeric => (
                format!("Question {i}: normal body temperature in degrees Celsius?"),
                json!({"value": 37.0, "tolerance": 0.5}),
                json!({"value": if right { 37.2 } else { 39.0 }}),
            ),
            QuestionType::FillBlank => (
                format!("Question {i}: water boils at ___ degrees Celsius and freezes at ___."),
                json!({"blanks": [["100", "one hundred"], ["0", "zero"]]}),
                json!({"blanks": [if right { "100" } else { "90" }, "zero"]}),
            ),
            QuestionType::Essay => (
                format!("Question {i}: discuss."),
                Value::Null,
                json!({"text": "A long answer. ".repeat(40)}),
            ),
        };
        let q = question(qt, &text, Some(options).filter(|o| !o.is_empty()), key);
        // A rotation as the served order (perm[served] = original).
        let shift = if n_options > 0 {
            rng.below(n_options)
        } else {
            0
        };
        let order: Vec<usize> = (0..n_options).map(|o| (o + shift) % n_options).collect();
        // The stored response is in served indexes: map the original ones.
        let to_served = |o: &Value| {
            let o = o.as_u64().unwrap_or(0) as usize;
            json!(order.iter().position(|&x| x == o).unwrap_or(0))
        };
        let response = match (&response, n_options) {
            (_, 0) => response,
            (Value::Object(m), _) if m.contains_key("option") => {
                json!({"option": to_served(&m["option"])})
            }
            (Value::Object(m), _) => {
                let mut v: Vec<Value> = m["options"]
                    .as_array()
                    .map(|a| a.iter().map(to_served).collect())
                    .unwrap_or_default();
                v.sort_by_key(|x| x.as_u64());
                json!({ "options": v })
            }
            _ => response,
        };
        let response = if rng.chance(0.05) {
            Value::Null
        } else {
            response
        };
        let blanks = q.blank_count();
        out.push(Served {
            question: q,
            order,
            blanks,
            response,
        });
    }
    out
}

/// The server's per-answer path; returns the points (manual: 0).
fn grade_submission(sub: &[Served]) -> f64 {
    sub.iter()
        .map(|s| {
            let q = &s.question;
            let parsed = (!s.response.is_null())
                .then(|| {
                    parse_response(q.question_type(), s.order.len(), s.blanks, &s.response).ok()
                })
                .flatten()
                .map(|r| {
                    if s.order.is_empty() {
                        r
                    } else {
                        unpermute_response(r, &s.order)
                    }
                });
            match parsed {
                Some(r) if !r.is_empty() => grade(q, &r).points_awarded,
                _ => grade_missing(q).points_awarded,
            }
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let sub = submission();
    let parsed: Vec<(&Question, Option<Response>)> = sub
        .iter()
        .map(|s| {
            let r = parse_response(
                s.question.question_type(),
                s.order.len(),
                s.blanks,
                &s.response,
            )
            .ok()
            .map(|r| unpermute_response(r, &s.order));
            (&s.question, r)
        })
        .collect();
    println!(
        "grading: 100 questions, {:.1} points of {:.0}",
        grade_submission(&sub),
        sub.iter().map(|s| s.question.points()).sum::<f64>()
    );
    let mut g = c.benchmark_group("grading");
    g.bench_function("submission_100", |b| {
        b.iter(|| black_box(grade_submission(black_box(&sub))))
    });
    g.bench_function("grade_only_100", |b| {
        b.iter(|| {
            black_box(&parsed)
                .iter()
                .map(|(q, r)| match r {
                    Some(r) if !r.is_empty() => grade(q, r).points_awarded,
                    _ => grade_missing(q).points_awarded,
                })
                .sum::<f64>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
