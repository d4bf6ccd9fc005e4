//! Property tests of the reproducible question draw.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeSet;

use invigil_domain::delivery::draw::{
    CandidateQuestion, DrawError, DrawOptions, Selection, ServedQuestion, draw_questions,
};
use invigil_domain::exams::DrawRule;
use proptest::prelude::*;
use uuid::Uuid;

const DIFFICULTIES: [&str; 3] = ["EASY", "MEDIUM", "HARD"];
const TAGS: [&str; 3] = ["a", "b", "c"];

fn tags(mask: u8) -> Vec<String> {
    TAGS.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, t)| (*t).to_owned())
        .collect()
}

fn pool() -> impl Strategy<Value = Vec<CandidateQuestion>> {
    prop::collection::vec((0u128..3, 0usize..3, 0u8..8, 0usize..8), 0..40).prop_map(|qs| {
        qs.into_iter()
            .enumerate()
            .map(|(i, (bank, d, mask, options))| CandidateQuestion {
                // Ids deliberately not in pool order.
                id: Uuid::from_u128(((i as u128 * 7919) % 1000) + 1),
                bank_id: Uuid::from_u128(bank),
                difficulty: DIFFICULTIES[d].to_owned(),
                tags: tags(mask),
                option_count: options,
            })
            .collect()
    })
}

fn rules() -> impl Strategy<Value = Vec<DrawRule>> {
    prop::collection::vec(
        (0u128..3, 1u32..6, prop::option::of(0usize..3), 0u8..4),
        1..4,
    )
    .prop_map(|rs| {
        rs.into_iter()
            .map(|(bank, count, d, mask)| DrawRule {
                bank_id: Uuid::from_u128(bank),
                count,
                difficulty: d.map(|d| DIFFICULTIES[d].to_owned()),
                tags: tags(mask),
            })
            .collect()
    })
}

fn options() -> impl Strategy<Value = DrawOptions> {
    (any::<bool>(), any::<bool>()).prop_map(|(q, o)| DrawOptions {
        randomize_questions: q,
        randomize_options: o,
    })
}

fn matches(rule: &DrawRule, q: &CandidateQuestion) -> bool {
    q.bank_id == rule.bank_id
        && rule.difficulty.as_ref().is_none_or(|d| *d == q.difficulty)
        && rule.tags.iter().all(|t| q.tags.contains(t))
}

fn question(pool: &[CandidateQuestion], id: Uuid) -> &CandidateQuestion {
    pool.iter().find(|q| q.id == id).unwrap()
}

fn check_permutations(pool: &[CandidateQuestion], served: &[ServedQuestion], randomized: bool) {
    for s in served {
        let n = question(pool, s.question_id).option_count;
        let mut sorted = s.option_order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "not a permutation");
        if !randomized {
            assert_eq!(s.option_order, (0..n).collect::<Vec<_>>());
        }
    }
}

proptest! {
    #[test]
    fn draw_respects_rules(pool in pool(), rules in rules(), seed in any::<u64>(), opts in options()) {
        let result = draw_questions(seed, &pool, Selection::Draw(&rules), opts);
        // Same seed, same output.
        prop_assert_eq!(&result, &draw_questions(seed, &pool, Selection::Draw(&rules), opts));
        // Feasibility never depends on the seed.
        let other = draw_questions(seed ^ 0x5555, &pool, Selection::Draw(&rules), opts);
        prop_assert_eq!(result.as_ref().err(), other.as_ref().err());
        let plain = DrawOptions::default();
        match result {
            Ok(served) => {
                let wanted: u32 = rules.iter().map(|r| r.count).sum();
                prop_assert_eq!(served.len(), wanted as usize);
                let distinct: BTreeSet<Uuid> = served.iter().map(|s| s.question_id).collect();
                prop_assert_eq!(distinct.len(), served.len(), "duplicates");
                check_permutations(&pool, &served, opts.randomize_options);
                // Unrandomized, the same seed serves the same set rule by rule:
                // exactly `count` matching questions per rule.
                let ordered = draw_questions(seed, &pool, Selection::Draw(&rules), plain).unwrap();
                let ordered_set: BTreeSet<Uuid> = ordered.iter().map(|s| s.question_id).collect();
                prop_assert_eq!(&ordered_set, &distinct);
                let mut rest = ordered.as_slice();
                for rule in &rules {
                    let (mine, tail) = rest.split_at(rule.count as usize);
                    for s in mine {
                        prop_assert!(matches(rule, question(&pool, s.question_id)));
                    }
                    rest = tail;
                }
            }
            Err(DrawError::NotEnoughQuestions { rule, available, wanted }) => {
                prop_assert!(rule < rules.len());
                prop_assert!(available < wanted as usize);
                prop_assert_eq!(wanted, rules[rule].count);
                let eligible = pool.iter().filter(|q| matches(&rules[rule], q)).count();
                prop_assert!(available <= eligible);
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn fixed_lists_serve_each_question_once(pool in pool(), picks in prop::collection::vec(0usize..40, 1..30), seed in any::<u64>(), opts in options()) {
        prop_assume!(!pool.is_empty());
        let list: Vec<Uuid> = picks.iter().map(|i| pool[i % pool.len()].id).collect();
        let served = draw_questions(seed, &pool, Selection::Fixed(&list), opts).unwrap();
        prop_assert_eq!(&served, &draw_questions(seed, &pool, Selection::Fixed(&list), opts).unwrap());
        let mut unique: Vec<Uuid> = Vec::new();
        for id in &list {
            if !unique.contains(id) {
                unique.push(*id);
            }
        }
        let ids: Vec<Uuid> = served.iter().map(|s| s.question_id).collect();
        if opts.randomize_questions {
            let mut a = ids.clone();
            let mut b = unique.clone();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
        } else {
            prop_assert_eq!(ids, unique);
        }
        check_permutations(&pool, &served, opts.randomize_options);
    }
}

#[test]
fn different_seeds_give_different_orders() {
    let pool: Vec<CandidateQuestion> = (1..=30)
        .map(|n| CandidateQuestion {
            id: Uuid::from_u128(n),
            bank_id: Uuid::from_u128(0),
            difficulty: "EASY".into(),
            tags: vec![],
            option_count: 4,
        })
        .collect();
    let list: Vec<Uuid> = pool.iter().map(|q| q.id).collect();
    let opts = DrawOptions {
        randomize_questions: true,
        randomize_options: true,
    };
    let orders: BTreeSet<Vec<(Uuid, Vec<usize>)>> = (0..50)
        .map(|seed| draw_questions(seed, &pool, Selection::Fixed(&list), opts).unwrap())
        .map(|served| {
            served
                .into_iter()
                .map(|s| (s.question_id, s.option_order))
                .collect()
        })
        .collect();
    assert_eq!(orders.len(), 50, "50 seeds should give 50 different orders");
}
