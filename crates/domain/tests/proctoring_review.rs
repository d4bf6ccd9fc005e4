//! Review workflow: integrity state machine, results, admin actions.

use invigil_domain::review::{
    AdminActionType, DecisionType, IntegrityState, IntegrityStatus, ReviewError, result_passed,
    results_withheld, reviewer_may_review, validate_admin_action,
};
use proptest::prelude::*;
use uuid::Uuid;

use IntegrityStatus as S;

fn rev_a() -> Uuid {
    Uuid::from_u128(0xa)
}
fn rev_b() -> Uuid {
    Uuid::from_u128(0xb)
}
fn cand() -> Uuid {
    Uuid::from_u128(0xc)
}

fn flagged() -> IntegrityState {
    IntegrityState::clean().raise()
}

#[expect(
    clippy::unwrap_used,
    reason = "test fixture: a valid step by construction"
)]
fn under_review() -> IntegrityState {
    flagged().claim(rev_a(), cand()).unwrap()
}

#[expect(
    clippy::unwrap_used,
    reason = "test fixture: a valid step by construction"
)]
fn decided(d: DecisionType) -> IntegrityState {
    under_review()
        .decide(rev_a(), d, "seen on camera")
        .unwrap()
        .0
}

#[test]
fn raise() {
    assert_eq!(IntegrityState::clean().status, S::Clean);
    assert_eq!(flagged().status, S::Flagged);
    assert_eq!(flagged().raise(), flagged());
    assert_eq!(under_review().raise(), under_review());
    for d in [DecisionType::Cleared, DecisionType::ViolationConfirmed] {
        // A decision is not undone by new flags.
        assert_eq!(decided(d).raise(), decided(d));
    }
}

#[test]
fn claim() {
    let s = under_review();
    assert_eq!(s.status, S::UnderReview);
    assert_eq!(s.claimed_by, Some(rev_a()));
    // Same reviewer again: unchanged.
    assert_eq!(s.claim(rev_a(), cand()).unwrap(), s);
    // Another reviewer: conflict.
    let err = s.claim(rev_b(), cand()).unwrap_err();
    assert_eq!(
        err,
        ReviewError::ClaimedByOther {
            reviewer_id: rev_a()
        }
    );
    assert_eq!(err.code(), "already_claimed");
    // Nothing to claim.
    let err = IntegrityState::clean().claim(rev_a(), cand()).unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(
        decided(DecisionType::Cleared)
            .claim(rev_a(), cand())
            .is_err()
    );
}

#[test]
fn no_self_review() {
    assert!(!reviewer_may_review(cand(), cand()));
    assert!(reviewer_may_review(rev_a(), cand()));
    let err = flagged().claim(cand(), cand()).unwrap_err();
    assert_eq!(err, ReviewError::SelfReview);
    assert_eq!(err.code(), "forbidden");
}

#[test]
fn release() {
    let s = under_review();
    assert_eq!(s.release(rev_b()).unwrap_err(), ReviewError::NotClaimer);
    let back = s.release(rev_a()).unwrap();
    assert_eq!(back, flagged());
    assert!(back.claim(rev_b(), cand()).is_ok());
    assert_eq!(flagged().release(rev_a()).unwrap_err().code(), "conflict");
}

#[test]
fn decide() {
    let s = under_review();
    let (c, d) = s.decide(rev_a(), DecisionType::Cleared, "  ").unwrap();
    assert_eq!(c.status, S::Cleared);
    assert_eq!(c.claimed_by, None);
    assert_eq!(d.notes, "");
    assert_eq!(d.reviewer_id, rev_a());

    let err = s
        .decide(rev_a(), DecisionType::ViolationConfirmed, " ")
        .unwrap_err();
    assert_eq!(err.code(), "validation_failed");
    let ReviewError::Validation(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].field, "notes");

    let (v, d) = s
        .decide(rev_a(), DecisionType::ViolationConfirmed, " phone visible ")
        .unwrap();
    assert_eq!(v.status, S::ViolationConfirmed);
    assert_eq!(d.notes, "phone visible");

    assert!(
        s.decide(rev_a(), DecisionType::Cleared, &"x".repeat(5001))
            .is_err()
    );
    assert!(
        s.decide(rev_a(), DecisionType::Cleared, &"x".repeat(5000))
            .is_ok()
    );
    assert_eq!(
        s.decide(rev_b(), DecisionType::Cleared, "").unwrap_err(),
        ReviewError::NotClaimer
    );
    assert_eq!(
        flagged()
            .decide(rev_a(), DecisionType::Cleared, "")
            .unwrap_err()
            .code(),
        "conflict"
    );
    assert!(v.decide(rev_a(), DecisionType::Cleared, "again").is_err());
}

#[test]
fn appeal_once() {
    for d in [DecisionType::Cleared, DecisionType::ViolationConfirmed] {
        let s = decided(d);
        assert!(s.appeal("").is_err());
        assert!(s.appeal(&"x".repeat(5001)).is_err());
        let (a, text) = s.appeal(" I was reading my notes aloud ").unwrap();
        assert_eq!(text, "I was reading my notes aloud");
        assert_eq!(a.status, S::Flagged);
        assert!(a.appealed);
        // Reviewed again and decided again: no second appeal.
        let again = a
            .claim(rev_b(), cand())
            .unwrap()
            .decide(rev_b(), d, "still")
            .unwrap()
            .0;
        let err = again.appeal("once more").unwrap_err();
        assert_eq!(err, ReviewError::AppealAlreadyUsed);
        assert_eq!(err.code(), "appeal_already_used");
    }
    for s in [IntegrityState::clean(), flagged(), under_review()] {
        assert_eq!(s.appeal("why").unwrap_err().code(), "conflict");
    }
}

#[test]
fn reopen_by_qa() {
    let s = decided(DecisionType::ViolationConfirmed);
    assert_eq!(s.reopen("").unwrap_err().code(), "validation_failed");
    let (r, reason) = s.reopen("notes do not match the frames").unwrap();
    assert_eq!(r.status, S::Flagged);
    assert_eq!(reason, "notes do not match the frames");
    assert!(!r.appealed, "reopen does not use up the candidate's appeal");
    assert!(r.appeal("x").is_err(), "FLAGGED is not decided");
    for s in [IntegrityState::clean(), flagged(), under_review()] {
        assert!(s.reopen("because").is_err());
    }
}

#[test]
fn results() {
    assert!(result_passed(true, S::Clean));
    assert!(result_passed(true, S::Cleared));
    assert!(!result_passed(true, S::ViolationConfirmed));
    assert!(!result_passed(false, S::Cleared));
    for (s, w) in [
        (S::Clean, false),
        (S::Flagged, true),
        (S::UnderReview, true),
        (S::Cleared, false),
        (S::ViolationConfirmed, false),
    ] {
        assert_eq!(results_withheld(s), w, "{s}");
    }
    assert_eq!(
        serde_json::to_value(S::ViolationConfirmed).unwrap(),
        "VIOLATION_CONFIRMED"
    );
    assert_eq!(
        serde_json::to_value(AdminActionType::ExtendTime).unwrap(),
        "EXTEND_TIME"
    );
}

#[test]
fn admin_actions() {
    use AdminActionType as A;
    for t in [A::Warn, A::Pause, A::Resume, A::Terminate] {
        let v = validate_admin_action(t, " look at the screen ", None).unwrap();
        assert_eq!(v.reason, "look at the screen");
        assert_eq!(v.minutes, None);
        let errs = validate_admin_action(t, "r", Some(5)).unwrap_err();
        assert_eq!(errs[0].field, "minutes");
    }
    let v = validate_admin_action(A::ExtendTime, "power cut", Some(600)).unwrap();
    assert_eq!(v.minutes, Some(600));
    assert!(validate_admin_action(A::ExtendTime, "power cut", Some(1)).is_ok());
    for bad in [None, Some(0), Some(601), Some(-3)] {
        let errs = validate_admin_action(A::ExtendTime, "power cut", bad).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "minutes");
    }
    let errs = validate_admin_action(A::Warn, "  ", None).unwrap_err();
    assert_eq!(errs[0].field, "reason");
    assert!(validate_admin_action(A::Warn, &"é".repeat(2000), None).is_ok());
    assert!(validate_admin_action(A::Warn, &"é".repeat(2001), None).is_err());
    let errs = validate_admin_action(A::ExtendTime, "", None).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["reason", "minutes"]);
}

#[derive(Debug, Clone)]
enum Op {
    Raise,
    Claim(u8),
    Release(u8),
    Decide(u8, bool),
    Appeal,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Raise),
        (0u8..3).prop_map(Op::Claim),
        (0u8..3).prop_map(Op::Release),
        (0u8..3, any::<bool>()).prop_map(|(r, v)| Op::Decide(r, v)),
        Just(Op::Appeal),
        Just(Op::Reopen),
    ]
}

proptest! {
    /// Invariants over any sequence of steps: a claim exists exactly while UNDER_REVIEW; a
    /// refused step changes nothing (the caller keeps the old state); one appeal at most; a
    /// decided session only leaves its decision through appeal or reopen.
    #[test]
    fn state_machine_invariants(ops in proptest::collection::vec(op(), 0..40)) {
        // Reviewer 2 is the candidate.
        let who = |r: u8| Uuid::from_u128(u128::from(r) + 1);
        let candidate = who(2);
        let mut s = IntegrityState::clean();
        let mut appeals = 0;
        for o in ops {
            let before = s;
            let next = match o {
                Op::Raise => Ok(s.raise()),
                Op::Claim(r) => s.claim(who(r), candidate),
                Op::Release(r) => s.release(who(r)),
                Op::Decide(r, v) => {
                    let d = if v { DecisionType::ViolationConfirmed } else { DecisionType::Cleared };
                    s.decide(who(r), d, "notes").map(|(n, _)| n)
                }
                Op::Appeal => s.appeal("please").map(|(n, _)| { appeals += 1; n }),
                Op::Reopen => s.reopen("qa").map(|(n, _)| n),
            };
            if let Ok(n) = next {
                s = n;
            }
            prop_assert_eq!(s.claimed_by.is_some(), s.status == S::UnderReview);
            prop_assert_ne!(s.claimed_by, Some(candidate));
            prop_assert!(appeals <= 1);
            prop_assert_eq!(s.appealed, appeals == 1);
            if before.status.is_decided() && s.status != before.status {
                prop_assert!(matches!(o, Op::Appeal | Op::Reopen));
                prop_assert_eq!(s.status, S::Flagged);
            }
            if before.status != S::Clean {
                prop_assert_ne!(s.status, S::Clean);
            }
        }
    }
}
