//! Unit tests of [`super::validate`], one per rule.

use serde_json::{Value, json};

use super::*;

fn input(qt: QuestionType, text: &str, options: Option<&[&str]>, key: Value) -> QuestionInput {
    QuestionInput {
        question_type: qt,
        text: text.into(),
        options: options.map(|o| o.iter().map(|s| s.to_string()).collect()),
        correct_answer: (!key.is_null()).then_some(key),
        points: 1.0,
        difficulty: Difficulty::Medium,
        tags: None,
        explanation: None,
    }
}

fn fields(i: QuestionInput) -> Vec<String> {
    validate(i)
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

fn sc(options: &[&str], key: Value) -> QuestionInput {
    input(QuestionType::SingleChoice, "Pick one", Some(options), key)
}

#[test]
fn accepts_one_of_each_type() {
    let ok = [
        sc(&["a", "b"], json!({"option": 1})),
        input(
            QuestionType::MultipleSelect,
            "t",
            Some(&["a", "b", "c"]),
            json!({"options": [2, 0]}),
        ),
        input(QuestionType::TrueFalse, "t", None, json!({"value": true})),
        input(
            QuestionType::ShortAnswer,
            "t",
            None,
            json!({"accepted": ["x"]}),
        ),
        input(
            QuestionType::Numeric,
            "t",
            None,
            json!({"value": -2, "tolerance": 0.5}),
        ),
        input(
            QuestionType::FillBlank,
            "a ___ b _____ c",
            None,
            json!({"blanks": [["x"], ["y", "z"]]}),
        ),
        input(QuestionType::Essay, "t", None, Value::Null),
    ];
    for i in ok {
        let q = validate(i.clone()).unwrap_or_else(|e| panic!("{i:?}: {e:?}"));
        // Serialize -> deserialize gives the same question.
        let back: Question = serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
        assert_eq!(back, q);
        assert_eq!(validate(q.to_input()).unwrap(), q);
    }
}

#[test]
fn serializes_api_shape() {
    let q = validate(input(
        QuestionType::MultipleSelect,
        " t ",
        Some(&[" a", "b ", "c"]),
        json!({"options": [2, 0]}),
    ))
    .unwrap();
    assert_eq!(
        serde_json::to_value(&q).unwrap(),
        json!({"type": "multiple_select", "text": "t", "options": ["a", "b", "c"],
               "correct_answer": {"options": [0, 2]}, "points": 1.0, "difficulty": "MEDIUM",
               "tags": [], "explanation": null})
    );
    let e = validate(input(QuestionType::Essay, "t", None, Value::Null)).unwrap();
    let v = serde_json::to_value(&e).unwrap();
    assert!(v.get("options").is_none());
    assert_eq!(v["correct_answer"], Value::Null);
}

#[test]
fn deserializing_validates() {
    let bad = json!({"type": "single_choice", "text": "t", "options": ["a"], "correct_answer": {"option": 0}, "points": 1});
    assert!(serde_json::from_value::<Question>(bad).is_err());
    let ok: QuestionInput = serde_json::from_value(
        json!({"type": "true_false", "text": "t", "correct_answer": {"value": false}}),
    )
    .unwrap();
    assert_eq!(ok.points, 1.0);
    assert_eq!(ok.difficulty, Difficulty::Medium);
}

#[test]
fn common_rules() {
    assert_eq!(
        fields(input(QuestionType::Essay, "  ", None, Value::Null)),
        ["text"]
    );
    let long = "x".repeat(MAX_TEXT_CHARS + 1);
    assert_eq!(
        fields(input(QuestionType::Essay, &long, None, Value::Null)),
        ["text"]
    );
    let exactly = "é".repeat(MAX_TEXT_CHARS);
    assert!(validate(input(QuestionType::Essay, &exactly, None, Value::Null)).is_ok());
    for p in [0.0, -1.0, 1000.5, f64::NAN, f64::INFINITY] {
        let mut i = input(QuestionType::Essay, "t", None, Value::Null);
        i.points = p;
        assert_eq!(fields(i), ["points"], "{p}");
    }
    let mut i = input(QuestionType::Essay, "t", None, Value::Null);
    i.points = 1000.0;
    assert!(validate(i).is_ok());
}

#[test]
fn option_rules() {
    assert_eq!(fields(sc(&["a"], json!({"option": 0}))), ["options"]);
    assert_eq!(fields(sc(&["a", " "], json!({"option": 0}))), ["options.1"]);
    let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(fields(sc(&refs, json!({"option": 0}))), ["options"]);
    assert!(
        validate(sc(&refs[..20], json!({"option": 19}))).is_ok(),
        "20 is fine"
    );
    assert_eq!(
        fields(input(
            QuestionType::TrueFalse,
            "t",
            Some(&["a", "b"]),
            json!({"value": true})
        )),
        ["options"]
    );
    // An empty options array counts as none.
    assert!(
        validate(input(
            QuestionType::TrueFalse,
            "t",
            Some(&[]),
            json!({"value": true})
        ))
        .is_ok()
    );
}

#[test]
fn single_choice_key() {
    assert_eq!(
        fields(sc(&["a", "b"], json!({"option": 2}))),
        ["correct_answer.option"]
    );
    assert_eq!(
        fields(sc(&["a", "b"], json!({"option": -1}))),
        ["correct_answer.option"]
    );
    assert_eq!(
        fields(sc(&["a", "b"], json!({"option": "0"}))),
        ["correct_answer.option"]
    );
    assert_eq!(
        fields(sc(&["a", "b"], json!({}))),
        ["correct_answer.option"]
    );
    assert_eq!(fields(sc(&["a", "b"], Value::Null)), ["correct_answer"]);
    assert_eq!(fields(sc(&["a", "b"], json!([0]))), ["correct_answer"]);
    assert_eq!(
        fields(sc(&["a", "b"], json!({"option": 0, "extra": 1}))),
        ["correct_answer.extra"]
    );
}

#[test]
fn multiple_select_key() {
    let ms = |k: Value| input(QuestionType::MultipleSelect, "t", Some(&["a", "b", "c"]), k);
    assert_eq!(
        fields(ms(json!({"options": []}))),
        ["correct_answer.options"]
    );
    assert_eq!(
        fields(ms(json!({"options": [0, 0]}))),
        ["correct_answer.options.1"]
    );
    assert_eq!(
        fields(ms(json!({"options": [3]}))),
        ["correct_answer.options.0"]
    );
    assert_eq!(
        fields(ms(json!({"options": 1}))),
        ["correct_answer.options"]
    );
}

#[test]
fn true_false_key() {
    let tf = |k: Value| input(QuestionType::TrueFalse, "t", None, k);
    assert_eq!(
        fields(tf(json!({"value": "true"}))),
        ["correct_answer.value"]
    );
    assert_eq!(fields(tf(json!({"option": 0}))).len(), 2);
}

#[test]
fn short_answer_key() {
    let sa = |k: Value| input(QuestionType::ShortAnswer, "t", None, k);
    assert_eq!(
        fields(sa(json!({"accepted": []}))),
        ["correct_answer.accepted"]
    );
    assert_eq!(
        fields(sa(json!({"accepted": ["  "]}))),
        ["correct_answer.accepted.0"]
    );
    assert_eq!(
        fields(sa(json!({"accepted": [1]}))),
        ["correct_answer.accepted.0"]
    );
    assert_eq!(
        fields(sa(json!({"accepted": ["a"], "case_sensitive": "yes"}))),
        ["correct_answer.case_sensitive"]
    );
    let q = validate(sa(json!({"accepted": [" Paris "]}))).unwrap();
    assert_eq!(
        q.correct_answer(),
        Some(&CorrectAnswer::ShortAnswer {
            accepted: vec!["Paris".into()],
            case_sensitive: false
        })
    );
}

#[test]
fn numeric_key() {
    let n = |k: Value| input(QuestionType::Numeric, "t", None, k);
    assert_eq!(fields(n(json!({"value": "1"}))), ["correct_answer.value"]);
    assert_eq!(
        fields(n(json!({"value": 1, "tolerance": -0.1}))),
        ["correct_answer.tolerance"]
    );
    let q = validate(n(json!({"value": 1}))).unwrap();
    assert_eq!(
        q.correct_answer(),
        Some(&CorrectAnswer::Numeric {
            value: 1.0,
            tolerance: 0.0
        })
    );
}

#[test]
fn fill_blank_key() {
    let fb = |t: &str, k: Value| input(QuestionType::FillBlank, t, None, k);
    assert_eq!(
        fields(fb("a ___ b", json!({"blanks": [["x"], ["y"]]}))),
        ["correct_answer.blanks"]
    );
    assert_eq!(fields(fb("a __ b", json!({"blanks": []}))), ["text"]);
    assert_eq!(
        fields(fb("a ___ b", json!({"blanks": [[]]}))),
        ["correct_answer.blanks.0"]
    );
    assert_eq!(
        fields(fb("a ___ b", json!({"blanks": [[""]]}))),
        ["correct_answer.blanks.0.0"]
    );
    assert_eq!(count_blanks("___ __ ____x___"), 3);
}

#[test]
fn essay_key() {
    assert_eq!(
        fields(input(
            QuestionType::Essay,
            "t",
            None,
            json!({"accepted": ["x"]})
        )),
        ["correct_answer"]
    );
}

#[test]
fn tags_and_explanation() {
    let mut i = input(QuestionType::Essay, "t", None, Value::Null);
    i.tags = Some(vec![" a ".into(), "b".into(), "a".into()]);
    i.explanation = Some("  ".into());
    let q = validate(i.clone()).unwrap();
    assert_eq!(q.tags(), ["a", "b"]);
    assert_eq!(q.explanation(), None);
    i.tags = Some(vec!["".into()]);
    assert_eq!(fields(i.clone()), ["tags.0"]);
    i.tags = Some((0..33).map(|n| n.to_string()).collect());
    assert_eq!(fields(i.clone()), ["tags"]);
    i.tags = Some((0..33).map(|n| (n % 32).to_string()).collect());
    assert!(validate(i).is_ok(), "32 distinct tags after de-duplication");
}

#[test]
fn reports_every_problem() {
    let mut i = sc(&["a"], json!({"option": 5}));
    i.text = String::new();
    i.points = 0.0;
    let f = fields(i);
    assert!(f.contains(&"text".to_owned()));
    assert!(f.contains(&"points".to_owned()));
    assert!(f.contains(&"options".to_owned()));
    assert!(f.contains(&"correct_answer.option".to_owned()));
}
