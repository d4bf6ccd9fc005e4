//! Property tests: parsers never panic, export -> import round trips, grading bounds.

use invigil_domain::content::{
    Difficulty, Question, QuestionInput, QuestionType, Response, export_csv, export_gift,
    parse_aiken, parse_csv, parse_gift, parse_response, render_markdown_safe, validate,
};
use invigil_domain::grading::grade;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Characters that stress GIFT and CSV: syntax, escapes, quotes, Unicode, line breaks.
/// No `_` (blanks are placed on purpose) and no `>` (an all-`->` short answer reads as matching).
const PIECE: &str = "[a-zA-Z0-9 é日π~=#{}:\\\\%/$\\[\\]*|,\"'\n\r\t.-]{0,12}";

fn piece() -> BoxedStrategy<String> {
    PIECE.boxed()
}

fn nonblank() -> BoxedStrategy<String> {
    (piece(), "[a-zé日]{1,3}", piece())
        .prop_map(|(a, b, c)| format!("{a}{b}{c}"))
        .boxed()
}

fn tag() -> impl Strategy<Value = String> {
    // GIFT categories split on `/` and drop a leading `top`.
    "[a-zA-Z0-9é ]{0,3}[a-zA-Z0-9é]{1,3}".prop_filter("top", |t| t.trim() != "top")
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e6f64..1e6,
        proptest::num::f64::NORMAL,
        Just(0.0),
        Just(-0.0),
        Just(0.1),
    ]
}

fn key_and_options() -> impl Strategy<Value = (QuestionType, Option<Vec<String>>, Value, String)> {
    let options = proptest::collection::vec(nonblank(), 2..6);
    prop_oneof![
        (options.clone(), any::<prop::sample::Index>()).prop_map(|(o, i)| {
            let k = i.index(o.len());
            (
                QuestionType::SingleChoice,
                Some(o),
                json!({ "option": k }),
                String::new(),
            )
        }),
        (options, proptest::collection::vec(any::<bool>(), 6)).prop_map(|(o, pick)| {
            let mut c: Vec<usize> = (0..o.len()).filter(|&i| pick[i]).collect();
            if c.is_empty() {
                c.push(0);
            }
            (
                QuestionType::MultipleSelect,
                Some(o),
                json!({ "options": c }),
                String::new(),
            )
        }),
        any::<bool>().prop_map(|b| (
            QuestionType::TrueFalse,
            None,
            json!({ "value": b }),
            String::new()
        )),
        (proptest::collection::vec(nonblank(), 1..4), any::<bool>()).prop_map(|(a, cs)| {
            (
                QuestionType::ShortAnswer,
                None,
                json!({ "accepted": a, "case_sensitive": cs }),
                String::new(),
            )
        }),
        (number(), number()).prop_map(|(v, t)| {
            (
                QuestionType::Numeric,
                None,
                json!({ "value": v, "tolerance": t.abs() }),
                String::new(),
            )
        }),
        (
            proptest::collection::vec(nonblank(), 1..3),
            piece(),
            piece()
        )
            .prop_map(|(a, pre, post)| {
                (
                    QuestionType::FillBlank,
                    None,
                    json!({ "blanks": [a] }),
                    format!("{pre} ___ {post}"),
                )
            }),
        Just((QuestionType::Essay, None, Value::Null, String::new())),
    ]
}

/// Random valid questions of the types GIFT round-trips (fill_blank with one blank).
fn question() -> impl Strategy<Value = Question> {
    (
        key_and_options(),
        nonblank(),
        prop_oneof![Just(1.0), 0.01f64..=1000.0],
        prop_oneof![
            Just(Difficulty::Easy),
            Just(Difficulty::Medium),
            Just(Difficulty::Hard)
        ],
        proptest::collection::vec(tag(), 0..3),
        proptest::option::of(piece()),
    )
        .prop_filter_map(
            "valid",
            |((qt, options, key, blank_text), text, points, difficulty, tags, explanation)| {
                let text = if qt == QuestionType::FillBlank {
                    blank_text
                } else {
                    text
                };
                validate(QuestionInput {
                    question_type: qt,
                    text,
                    options,
                    correct_answer: (!key.is_null()).then_some(key),
                    points,
                    difficulty,
                    tags: Some(tags),
                    explanation,
                })
                .ok()
            },
        )
}

fn multi_blank() -> impl Strategy<Value = Question> {
    (
        proptest::collection::vec((piece(), proptest::collection::vec(nonblank(), 1..3)), 2..4),
        nonblank(),
    )
        .prop_filter_map("valid", |(parts, tail)| {
            let text: String = parts
                .iter()
                .map(|(p, _)| format!("{p} ___ "))
                .collect::<String>()
                + &tail;
            let blanks: Vec<_> = parts.into_iter().map(|(_, a)| a).collect();
            validate(QuestionInput {
                question_type: QuestionType::FillBlank,
                text,
                options: None,
                correct_answer: Some(json!({ "blanks": blanks })),
                points: 2.0,
                difficulty: Difficulty::Medium,
                tags: None,
                explanation: None,
            })
            .ok()
        })
}

fn questions(o: &invigil_domain::content::ImportOutcome) -> Vec<Question> {
    o.items.iter().map(|i| i.question.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn gift_round_trip(qs in proptest::collection::vec(question(), 1..8)) {
        let text = export_gift(&qs);
        let back = parse_gift(&text);
        prop_assert!(back.errors.is_empty(), "{:?}\n{}", back.errors, text);
        prop_assert_eq!(questions(&back), qs, "{}", text);
    }

    #[test]
    fn csv_round_trip(qs in proptest::collection::vec(prop_oneof![question(), multi_blank()], 0..8)) {
        let text = export_csv(&qs);
        let back = parse_csv(&text);
        prop_assert!(back.errors.is_empty(), "{:?}\n{}", back.errors, text);
        prop_assert_eq!(questions(&back), qs, "{}", text);
    }

    #[test]
    fn parsers_never_panic_on_any_string(s in any::<String>()) {
        let _ = parse_gift(&s);
        let _ = parse_aiken(&s);
        let _ = parse_csv(&s);
        let _ = render_markdown_safe(&s);
    }

    #[test]
    fn gift_never_panics_on_its_own_syntax(s in "[{}~=#:%\\\\/$ \n\r\tT.a1-]{0,80}") {
        let o = parse_gift(&s);
        for item in &o.items {
            prop_assert!(item.line >= 1);
        }
        for e in &o.errors {
            prop_assert!(e.line >= 1);
        }
    }

    #[test]
    fn aiken_and_csv_never_panic_on_their_syntax(s in "[A-D.)|,\"\\\\ \n\r{}:a-z0-9]{0,80}") {
        let _ = parse_aiken(&s);
        let _ = parse_csv(&format!("type,text,options,correct_answer\n{s}"));
    }

    #[test]
    fn grading_stays_within_bounds(q in question(), v in any::<u64>(), texts in proptest::collection::vec(piece(), 0..3)) {
        let options = q.options().len();
        let blanks = q.blank_count();
        let raw = match q.question_type() {
            QuestionType::SingleChoice => json!({"option": v as usize % options.max(1)}),
            QuestionType::MultipleSelect => json!({"options": (0..options).filter(|i| v >> i & 1 == 1).collect::<Vec<_>>()}),
            QuestionType::TrueFalse => json!({"value": v % 2 == 0}),
            QuestionType::ShortAnswer | QuestionType::Essay => json!({"text": texts.first().cloned().unwrap_or_default()}),
            QuestionType::Numeric => json!({"value": (v % 1000) as f64 / 7.0}),
            QuestionType::FillBlank => json!({"blanks": (0..blanks).map(|i| texts.get(i).cloned().unwrap_or_default()).collect::<Vec<_>>()}),
        };
        let r: Response = parse_response(q.question_type(), options, blanks, &raw).unwrap_or(Response::TrueFalse { value: true });
        let g = grade(&q, &r);
        prop_assert!(g.points_awarded >= 0.0 && g.points_awarded <= g.max_points);
        prop_assert_eq!(g.max_points, q.points());
    }
}
