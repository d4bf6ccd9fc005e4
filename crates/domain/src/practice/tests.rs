use super::*;

fn point(text: &str, keywords: &[&str], weight: f64) -> ExpectedPoint {
    ExpectedPoint {
        text: text.into(),
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        weight,
    }
}

fn question() -> Question {
    Question {
        prompt: "What does an index do?".into(),
        expected_points: vec![
            point("Speeds up lookups", &["fast*|quick*|speed*"], 2.0),
            point("Uses a B-tree", &["b tree|btree"], 1.0),
            point("Costs on writes", &["write*|insert*", "slow*|cost*"], 1.0),
        ],
        max_score: 10.0,
        model_answer: None,
    }
}

#[test]
fn words_fold_case_and_diacritics() {
    assert_eq!(
        words("Café, CRÈME brûlée — Straße!"),
        ["cafe", "creme", "brulee", "strasse"]
    );
    assert_eq!(words("B-Tree's"), ["b", "tree", "s"]);
    assert!(words("  ...  ").is_empty());
}

#[test]
fn keywords_match_whole_words_only() {
    let w = words("The cardinality matters");
    assert!(!keyword_matches(&w, "card"), "no match inside a word");
    assert!(keyword_matches(&w, "cardinality"));
    assert!(keyword_matches(&w, "CARDINALITÉ|cardinality"));
    assert!(keyword_matches(&w, "card*"), "a star makes a prefix");
    assert!(!keyword_matches(&w, "*"), "a lone star has no word");
}

#[test]
fn phrases_need_their_words_in_a_row() {
    let w = words("a primary key, then the foreign key");
    assert!(keyword_matches(&w, "primary key"));
    assert!(keyword_matches(&w, "foreign key"));
    assert!(!keyword_matches(&w, "primary foreign"));
    assert!(!keyword_matches(&w, "key primary"));
}

#[test]
fn synonyms_any_one_suffices() {
    let w = words("it uses a btree");
    assert!(keyword_matches(&w, "b tree|btree"));
    assert!(keyword_matches(&w, "hash|btree"));
    assert!(!keyword_matches(&w, "hash|heap"));
}

#[test]
fn usable_keywords_have_a_word_in_every_alternative() {
    assert!(keyword_is_usable("b-tree|btree"));
    assert!(!keyword_is_usable("btree|--"));
    assert!(!keyword_is_usable("   "));
}

#[test]
fn a_point_needs_every_keyword() {
    let p = point("Costs on writes", &["write*|insert*", "slow*|cost*"], 1.0);
    assert!(point_covered(&words("inserts become slower"), &p));
    assert!(!point_covered(&words("inserts happen"), &p));
    assert!(!point_covered(&words("x"), &point("empty", &[], 1.0)));
}

#[test]
fn scores_are_weighted() {
    let q = question();
    let all = evaluate(&q, "Faster reads with a B-tree, but writes get slower.");
    assert_eq!(all.score, 10.0);
    assert!(all.missing_points.is_empty());
    let some = evaluate(&q, "It makes lookups quicker.");
    assert_eq!(some.score, 5.0, "weight 2 of 4");
    assert_eq!(some.matched_points, ["Speeds up lookups"]);
    assert_eq!(some.missing_points, ["Uses a B-tree", "Costs on writes"]);
    let third = evaluate(&q, "btree");
    assert_eq!(third.score, 2.5);
    let none = evaluate(&q, "No idea.");
    assert_eq!(none.score, 0.0);
    assert_eq!(none.max, 10.0);
}

#[test]
fn odd_weights_round_to_two_decimals() {
    let q = Question {
        prompt: "p".into(),
        expected_points: vec![point("a", &["a"], 1.0), point("b", &["b"], 2.0)],
        max_score: 10.0,
        model_answer: None,
    };
    assert_eq!(evaluate(&q, "a").score, 3.33);
    assert_eq!(evaluate(&q, "b").score, 6.67);
}

#[test]
fn feedback_is_deterministic_and_lists_points_in_order() {
    let q = question();
    let e = evaluate(&q, "quick, and writes cost");
    assert_eq!(
        e.feedback,
        "Score 7.5 of 10. Covered: Speeds up lookups; Costs on writes. Missing: Uses a B-tree."
    );
    assert_eq!(e, evaluate(&q, "quick, and writes cost"));
    assert_eq!(
        evaluate(&q, "nothing").feedback,
        "Score 0 of 10. None of the expected points were covered. Missing: Speeds up lookups; \
         Uses a B-tree; Costs on writes."
    );
    assert!(
        evaluate(&q, "fast btree writes slow")
            .feedback
            .ends_with("Every expected point was covered.")
    );
}

#[test]
fn clamping_a_remote_score() {
    assert_eq!(clamp_score(12.0, 10.0), 10.0);
    assert_eq!(clamp_score(-1.0, 10.0), 0.0);
    assert_eq!(clamp_score(f64::NAN, 10.0), 0.0);
    assert_eq!(clamp_score(6.666, 10.0), 6.67);
}

#[test]
fn overall_is_the_percentage_with_strengths_and_improvements() {
    let q = question();
    let a = evaluate(&q, "fast btree writes slow");
    let b = evaluate(&q, "no");
    let o = overall(&[(0, a), (1, b)]);
    assert_eq!(o.overall_score, 50);
    assert_eq!(o.scores.len(), 2);
    assert_eq!(o.scores[1].question_index, 1);
    assert_eq!(
        o.strengths,
        ["Speeds up lookups", "Uses a B-tree", "Costs on writes"]
    );
    assert_eq!(o.improvements, o.strengths, "no repeats");
    assert_eq!(overall(&[]).overall_score, 0);
}

#[test]
fn overall_lists_at_most_five() {
    let q = Question {
        prompt: "p".into(),
        expected_points: (0..8)
            .map(|i| point(&format!("p{i}"), &["zz"], 1.0))
            .collect(),
        max_score: 8.0,
        model_answer: None,
    };
    let o = overall(&[(0, evaluate(&q, "x"))]);
    assert_eq!(o.improvements.len(), MAX_LISTED);
    assert_eq!(o.improvements[0], "p0");
}

#[test]
fn score_texts() {
    assert_eq!(score_text(10.0), "10");
    assert_eq!(score_text(7.5), "7.5");
    assert_eq!(score_text(3.333), "3.33");
}
