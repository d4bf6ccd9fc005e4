//! Reproducible question selection and ordering for a session.
//!
//! All randomness comes from a `u64` seed (stored with the session) through
//! [`SplitMix64`], implemented here rather than taken from the `rand` crate so
//! that a seed gives the same session in every version of Invigil, forever.
//! **Changing this generator or the order in which it is consumed changes
//! every replayed draw; don't.**
//!
//! [`draw_questions`] consumes the generator in this order:
//! 1. draw rules only: for each rule in order, a Fisher–Yates shuffle of the
//!    questions it may take (the pool filtered by bank, difficulty and all
//!    tags, sorted by question id), which becomes the rule's order of
//!    preference;
//! 2. if `randomize_questions`: a Fisher–Yates shuffle of the served list;
//! 3. if `randomize_options`: for each served question in served order, a
//!    Fisher–Yates shuffle of its option indexes.
//!
//! The result does not depend on the order of the pool passed in (it is
//! sorted by id first). Draw rules never serve a question twice: questions
//! are assigned to rules by a matching (augmenting paths), so whether the
//! rules can be satisfied does not depend on the seed — when they overlap
//! (say "2 from bank A" and "1 from bank A tagged x"), a question a later
//! rule needs is moved away from an earlier rule that can do without it.
//! Without `randomize_questions`, drawn questions are served rule by rule,
//! each rule's questions by id (UUID v7 ids: creation order); a fixed list is
//! served in the given order.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::exams::DrawRule;

/// The SplitMix64 generator (Steele, Lea, Flood 2014; Vigna's reference
/// constants). Tiny, fast, fully specified, and good enough for shuffling.
/// For seed 1234567 the first outputs are 6457827717110365317,
/// 3203168211198807973, 9817491932198370423.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` without modulo bias (Lemire's
    /// multiply-and-reject method); `0` when `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// An unbiased Fisher–Yates shuffle (from the last element down).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// A question that may be served, as far as the draw needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateQuestion {
    pub id: Uuid,
    pub bank_id: Uuid,
    /// Compared exactly with a rule's difficulty.
    pub difficulty: String,
    pub tags: Vec<String>,
    /// Number of options (0 for types without options).
    pub option_count: usize,
}

/// Where the served questions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection<'a> {
    /// These questions, in this order (duplicates are served once, at their
    /// first position).
    Fixed(&'a [Uuid]),
    /// Questions drawn by these rules.
    Draw(&'a [DrawRule]),
}

/// The exam's randomization switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawOptions {
    pub randomize_questions: bool,
    pub randomize_options: bool,
}

/// One served question with its option permutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedQuestion {
    pub question_id: Uuid,
    /// `option_order[served_index] = original_index`; the identity when
    /// options are not randomized.
    pub option_order: Vec<usize>,
}

impl ServedQuestion {
    /// The original option index of the option served at `served`.
    #[must_use]
    pub fn original_option(&self, served: usize) -> Option<usize> {
        self.option_order.get(served).copied()
    }

    /// The served position of the original option `original`.
    #[must_use]
    pub fn served_option(&self, original: usize) -> Option<usize> {
        self.option_order.iter().position(|&o| o == original)
    }
}

/// Why no question list could be produced.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DrawError {
    /// Rule `rule` (0-based) can get only `available` of the `wanted`
    /// questions once the rules before it are satisfied.
    #[error("draw rule {rule} wants {wanted} questions but only {available} are available")]
    NotEnoughQuestions {
        rule: usize,
        available: usize,
        wanted: u32,
    },
    /// A question of a fixed list is not in the pool.
    #[error("question {id} is not available")]
    UnknownQuestion { id: Uuid },
    /// The selection yields no question at all.
    #[error("the exam has no questions")]
    NoQuestions,
}

impl DrawError {
    /// Stable machine code for the HTTP layer (409: the exam's content does
    /// not allow a session to start).
    #[must_use]
    pub fn code(&self) -> &'static str {
        "conflict"
    }
}

fn matches(rule: &DrawRule, q: &CandidateQuestion) -> bool {
    q.bank_id == rule.bank_id
        && rule.difficulty.as_ref().is_none_or(|d| *d == q.difficulty)
        && rule.tags.iter().all(|t| q.tags.contains(t))
}

/// Tries to give `rule` one more question along an augmenting path
/// (iterative Kuhn step). `prefs[r]` lists the questions rule `r` may take,
/// in order of preference; `owner[q]` is the rule holding question `q`.
fn augment(
    rule: usize,
    prefs: &[Vec<usize>],
    owner: &mut [Option<usize>],
    visited: &mut [bool],
) -> bool {
    // stack[k] = (rule, next preference to try); path[k] = the question
    // stack[k]'s rule takes, which stack[k + 1]'s rule gives up.
    let mut stack: Vec<(usize, usize)> = vec![(rule, 0)];
    let mut path: Vec<usize> = Vec::new();
    while let Some((r, pos)) = stack.last_mut() {
        let Some(&q) = prefs.get(*r).and_then(|p| p.get(*pos)) else {
            stack.pop();
            path.pop();
            continue;
        };
        *pos += 1;
        if visited.get(q).copied().unwrap_or(true) {
            continue;
        }
        if let Some(v) = visited.get_mut(q) {
            *v = true;
        }
        path.push(q);
        match owner.get(q).copied().flatten() {
            Some(holder) => stack.push((holder, 0)),
            None => {
                for (&(r, _), &q) in stack.iter().zip(&path) {
                    if let Some(o) = owner.get_mut(q) {
                        *o = Some(r);
                    }
                }
                return true;
            }
        }
    }
    false
}

fn draw_by_rules(
    rng: &mut SplitMix64,
    pool: &[&CandidateQuestion],
    rules: &[DrawRule],
) -> Result<Vec<Uuid>, DrawError> {
    let prefs: Vec<Vec<usize>> = rules
        .iter()
        .map(|rule| {
            let mut eligible: Vec<usize> = (0..pool.len())
                .filter(|&i| pool.get(i).is_some_and(|q| matches(rule, q)))
                .collect();
            rng.shuffle(&mut eligible);
            eligible
        })
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; pool.len()];
    for (index, rule) in rules.iter().enumerate() {
        for taken in 0..rule.count {
            let mut visited = vec![false; pool.len()];
            if !augment(index, &prefs, &mut owner, &mut visited) {
                return Err(DrawError::NotEnoughQuestions {
                    rule: index,
                    available: taken as usize,
                    wanted: rule.count,
                });
            }
        }
    }
    // Rule by rule, each rule's questions in id order (the pool is sorted).
    Ok((0..rules.len())
        .flat_map(|r| {
            pool.iter()
                .zip(&owner)
                .filter(move |(_, o)| **o == Some(r))
                .map(|(q, _)| q.id)
        })
        .collect())
}

/// Produces a session's served questions from `seed` (see the module docs
/// for the exact algorithm, which is part of the reproducibility contract).
pub fn draw_questions(
    seed: u64,
    pool: &[CandidateQuestion],
    selection: Selection<'_>,
    options: DrawOptions,
) -> Result<Vec<ServedQuestion>, DrawError> {
    let mut rng = SplitMix64::new(seed);
    let by_id: BTreeMap<Uuid, &CandidateQuestion> = pool.iter().rev().map(|q| (q.id, q)).collect();
    let mut ids: Vec<Uuid> = match selection {
        Selection::Fixed(list) => {
            let mut ids: Vec<Uuid> = Vec::with_capacity(list.len());
            let mut seen: BTreeSet<Uuid> = BTreeSet::new();
            for id in list {
                if !by_id.contains_key(id) {
                    return Err(DrawError::UnknownQuestion { id: *id });
                }
                if seen.insert(*id) {
                    ids.push(*id);
                }
            }
            ids
        }
        Selection::Draw(rules) => {
            let sorted: Vec<&CandidateQuestion> = by_id.values().copied().collect();
            draw_by_rules(&mut rng, &sorted, rules)?
        }
    };
    if ids.is_empty() {
        return Err(DrawError::NoQuestions);
    }
    if options.randomize_questions {
        rng.shuffle(&mut ids);
    }
    Ok(ids
        .into_iter()
        .map(|id| {
            let count = by_id.get(&id).map_or(0, |q| q.option_count);
            let mut option_order: Vec<usize> = (0..count).collect();
            if options.randomize_options {
                rng.shuffle(&mut option_order);
            }
            ServedQuestion {
                question_id: id,
                option_order,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(
        n: u128,
        bank: u128,
        difficulty: &str,
        tags: &[&str],
        options: usize,
    ) -> CandidateQuestion {
        CandidateQuestion {
            id: Uuid::from_u128(n),
            bank_id: Uuid::from_u128(bank),
            difficulty: difficulty.into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            option_count: options,
        }
    }
    fn rule(bank: u128, count: u32, difficulty: Option<&str>, tags: &[&str]) -> DrawRule {
        DrawRule {
            bank_id: Uuid::from_u128(bank),
            count,
            difficulty: difficulty.map(str::to_owned),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }
    fn ids(served: &[ServedQuestion]) -> Vec<u128> {
        served.iter().map(|s| s.question_id.as_u128()).collect()
    }
    const PLAIN: DrawOptions = DrawOptions {
        randomize_questions: false,
        randomize_options: false,
    };
    const ALL: DrawOptions = DrawOptions {
        randomize_questions: true,
        randomize_options: true,
    };

    #[test]
    fn splitmix_reference_vectors() {
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix64::new(7);
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
        for n in [2u64, 3, 10, 1 << 40, u64::MAX] {
            for _ in 0..100 {
                assert!(rng.below(n) < n);
            }
        }
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = SplitMix64::new(42);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn fixed_list_keeps_order_and_drops_duplicates() {
        let pool = [
            q(1, 9, "EASY", &[], 4),
            q(2, 9, "EASY", &[], 0),
            q(3, 9, "EASY", &[], 3),
        ];
        let list = [Uuid::from_u128(3), Uuid::from_u128(1), Uuid::from_u128(3)];
        let served = draw_questions(5, &pool, Selection::Fixed(&list), PLAIN).unwrap();
        assert_eq!(ids(&served), [3, 1]);
        assert_eq!(served[0].option_order, [0, 1, 2]);
        assert_eq!(served[1].option_order, [0, 1, 2, 3]);
        let unknown = [Uuid::from_u128(8)];
        assert_eq!(
            draw_questions(5, &pool, Selection::Fixed(&unknown), PLAIN),
            Err(DrawError::UnknownQuestion {
                id: Uuid::from_u128(8)
            })
        );
        assert_eq!(
            draw_questions(5, &pool, Selection::Fixed(&[]), PLAIN),
            Err(DrawError::NoQuestions)
        );
    }

    #[test]
    fn rules_filter_by_bank_difficulty_and_all_tags() {
        let pool = [
            q(1, 1, "EASY", &["a", "b"], 2),
            q(2, 1, "EASY", &["a"], 2),
            q(3, 1, "HARD", &["a", "b"], 2),
            q(4, 2, "EASY", &["a", "b"], 2),
        ];
        for seed in 0..20 {
            let rules = [rule(1, 1, Some("EASY"), &["a", "b"])];
            let served = draw_questions(seed, &pool, Selection::Draw(&rules), PLAIN).unwrap();
            assert_eq!(ids(&served), [1]);
        }
        let rules = [rule(1, 2, Some("EASY"), &["b"])];
        assert_eq!(
            draw_questions(0, &pool, Selection::Draw(&rules), PLAIN),
            Err(DrawError::NotEnoughQuestions {
                rule: 0,
                available: 1,
                wanted: 2
            })
        );
        assert_eq!(
            DrawError::NotEnoughQuestions {
                rule: 0,
                available: 1,
                wanted: 2
            }
            .code(),
            "conflict"
        );
    }

    #[test]
    fn plain_draw_serves_rule_by_rule_in_id_order() {
        let pool: Vec<_> = (1..=10)
            .map(|n| q(n, if n <= 5 { 1 } else { 2 }, "EASY", &[], 0))
            .collect();
        let rules = [rule(2, 3, None, &[]), rule(1, 2, None, &[])];
        let served = ids(&draw_questions(3, &pool, Selection::Draw(&rules), PLAIN).unwrap());
        assert_eq!(served.len(), 5);
        assert!(served[..3].iter().all(|&n| n > 5) && served[..3].is_sorted());
        assert!(served[3..].iter().all(|&n| n <= 5) && served[3..].is_sorted());
    }

    #[test]
    fn overlapping_rules_are_matched_not_greedy() {
        // Rule 0 takes any 2 of bank 1; rule 1 needs the only tagged ones.
        // A greedy draw would fail for seeds where rule 0 grabs 1 or 2.
        let pool = [
            q(1, 1, "EASY", &["x"], 0),
            q(2, 1, "EASY", &["x"], 0),
            q(3, 1, "EASY", &[], 0),
            q(4, 1, "EASY", &[], 0),
        ];
        let rules = [rule(1, 2, None, &[]), rule(1, 2, None, &["x"])];
        for seed in 0..50 {
            let served = ids(&draw_questions(seed, &pool, Selection::Draw(&rules), PLAIN).unwrap());
            assert_eq!(served, [3, 4, 1, 2], "seed {seed}");
        }
        let too_many = [rule(1, 3, None, &[]), rule(1, 2, None, &["x"])];
        for seed in 0..20 {
            assert_eq!(
                draw_questions(seed, &pool, Selection::Draw(&too_many), PLAIN),
                Err(DrawError::NotEnoughQuestions {
                    rule: 1,
                    available: 1,
                    wanted: 2
                })
            );
        }
    }

    #[test]
    fn result_ignores_pool_order() {
        let pool: Vec<_> = (1..=30).map(|n| q(n, 1, "EASY", &[], 4)).collect();
        let mut reversed = pool.clone();
        reversed.reverse();
        let rules = [rule(1, 10, None, &[])];
        for seed in 0..10 {
            assert_eq!(
                draw_questions(seed, &pool, Selection::Draw(&rules), ALL),
                draw_questions(seed, &reversed, Selection::Draw(&rules), ALL)
            );
        }
    }

    #[test]
    fn options_permuted_only_when_asked() {
        let pool: Vec<_> = (1..=5).map(|n| q(n, 1, "EASY", &[], 6)).collect();
        let list: Vec<Uuid> = pool.iter().map(|q| q.id).collect();
        let only_options = DrawOptions {
            randomize_questions: false,
            randomize_options: true,
        };
        let served = draw_questions(11, &pool, Selection::Fixed(&list), only_options).unwrap();
        assert_eq!(ids(&served), [1, 2, 3, 4, 5]);
        assert!(served.iter().any(|s| s.option_order != [0, 1, 2, 3, 4, 5]));
        let s = &served[0];
        for served_index in 0..6 {
            let original = s.original_option(served_index).unwrap();
            assert_eq!(s.served_option(original), Some(served_index));
        }
        assert_eq!(s.original_option(6), None);
        assert_eq!(s.served_option(6), None);
    }

    #[test]
    fn seeds_reproduce_and_differ() {
        let pool: Vec<_> = (1..=40).map(|n| q(n, 1, "EASY", &[], 5)).collect();
        let rules = [rule(1, 20, None, &[])];
        let a = draw_questions(99, &pool, Selection::Draw(&rules), ALL).unwrap();
        assert_eq!(
            a,
            draw_questions(99, &pool, Selection::Draw(&rules), ALL).unwrap()
        );
        assert_ne!(
            a,
            draw_questions(100, &pool, Selection::Draw(&rules), ALL).unwrap()
        );
    }

    #[test]
    fn served_question_serializes() {
        let s = ServedQuestion {
            question_id: Uuid::from_u128(1),
            option_order: vec![2, 0, 1],
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["option_order"], serde_json::json!([2, 0, 1]));
    }
}
