//! The question pools exam starts draw from, parsed once per bank version
//! and kept in process (issue 14): at an exam's opening every candidate
//! starts within a minute, and each start read every active question of
//! the exam's banks (two queries per bank) and parsed each body again.
//!
//! Why it stays correct, on every replica: a start still reads the bank row
//! (one query), and a cached pool is used only when the bank is APPROVED and
//! its `revision` is the one the pool was read under. Questions change only
//! in a DRAFT bank (`content::service::begin_edit` moves the bank, and every
//! edit, import, retirement or undone import goes through it), and every
//! change of the bank row moves its revision on (a counter, not a clock
//! reading), so an edited bank approved again never matches a pool read
//! before the edit. Memory is bounded: at most
//! [`POOL_BANKS`] banks, and a bank larger than [`POOL_MAX_QUESTIONS`] is
//! not kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use invigil_domain::content::Question;
use invigil_domain::delivery::draw::CandidateQuestion;

/// Banks whose pools are kept at once; a full cache starts over.
pub const POOL_BANKS: usize = 256;
/// A bank with more active questions than this is read at every start.
pub const POOL_MAX_QUESTIONS: usize = 5_000;

/// One question a start can draw: what the draw needs, the version it is
/// served at, and the parsed question.
#[derive(Debug, Clone)]
pub struct PoolQuestion {
    pub candidate: CandidateQuestion,
    pub version: i32,
    pub question: Question,
}

/// A bank's active questions, shared by every start that draws from it.
pub type BankPool = Arc<Vec<PoolQuestion>>;

struct Kept {
    org_id: Uuid,
    revision: i64,
    pool: BankPool,
}

/// The pools by bank id.
#[derive(Default)]
pub struct PoolCache {
    banks: Mutex<HashMap<Uuid, Kept>>,
}

impl PoolCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Kept>> {
        // Every operation is one call on the map: a panic elsewhere cannot
        // leave it half-written.
        self.banks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The pool of `bank_id` at the bank's `revision`, if kept.
    pub fn get(&self, org_id: Uuid, bank_id: Uuid, revision: i64) -> Option<BankPool> {
        let banks = self.lock();
        let kept = banks.get(&bank_id)?;
        (kept.org_id == org_id && kept.revision == revision).then(|| kept.pool.clone())
    }

    /// Keeps the pool read at the bank's `revision` (the bank row is read
    /// before its questions, so an edit since has a newer revision).
    pub fn put(&self, org_id: Uuid, bank_id: Uuid, revision: i64, pool: BankPool) {
        if pool.len() > POOL_MAX_QUESTIONS {
            return;
        }
        let mut banks = self.lock();
        if banks.len() >= POOL_BANKS && !banks.contains_key(&bank_id) {
            banks.clear();
        }
        banks.insert(
            bank_id,
            Kept {
                org_id,
                revision,
                pool,
            },
        );
    }

    /// Banks kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> BankPool {
        let q: Question = serde_json::from_value::<invigil_domain::content::QuestionInput>(
            serde_json::json!({"type": "essay", "text": "Explain", "points": 1}),
        )
        .map(|i| invigil_domain::content::validate(i).expect("valid"))
        .expect("input");
        Arc::new(
            (0..n)
                .map(|_| PoolQuestion {
                    candidate: CandidateQuestion {
                        id: Uuid::now_v7(),
                        bank_id: Uuid::nil(),
                        difficulty: "MEDIUM".into(),
                        tags: vec![],
                        option_count: 0,
                    },
                    version: 1,
                    question: q.clone(),
                })
                .collect(),
        )
    }

    #[test]
    fn a_pool_is_used_only_for_its_bank_version_and_org() {
        let cache = PoolCache::default();
        let (org, bank, t) = (Uuid::now_v7(), Uuid::now_v7(), 3);
        assert!(cache.get(org, bank, t).is_none());
        cache.put(org, bank, t, pool(3));
        assert_eq!(cache.get(org, bank, t).map(|p| p.len()), Some(3));
        // Edited and approved again: a newer revision misses.
        assert!(cache.get(org, bank, t + 3).is_none());
        // Another organization's id never reads it.
        assert!(cache.get(Uuid::now_v7(), bank, t).is_none());
        // The newer revision replaces the older.
        let t2 = t + 3;
        cache.put(org, bank, t2, pool(4));
        assert!(cache.get(org, bank, t).is_none());
        assert_eq!(cache.get(org, bank, t2).map(|p| p.len()), Some(4));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let cache = PoolCache::default();
        let (org, t) = (Uuid::now_v7(), 0);
        cache.put(org, Uuid::now_v7(), t, pool(POOL_MAX_QUESTIONS + 1));
        assert!(cache.is_empty(), "a huge bank is not kept");
        for _ in 0..POOL_BANKS {
            cache.put(org, Uuid::now_v7(), t, pool(1));
        }
        assert_eq!(cache.len(), POOL_BANKS);
        cache.put(org, Uuid::now_v7(), t, pool(1));
        assert_eq!(cache.len(), 1, "a full cache starts over");
    }
}
