//! A candidate's record across exam types (seed 003) and its weighted
//! composite.
//!
//! Each exam type of an organization carries a `default_weight`. A
//! candidate's score in a type is the mean, over the exams of that type they
//! have a counted result in, of each exam's best percent; results recorded
//! outside Invigil (a USMLE Step 1 score, say) count together as one more
//! "exam" of their type, by their best percent. The composite is the
//! weighted mean of the type scores that exist:
//!
//! `composite = Σ wₜ·sₜ / Σ wₜ` over the types with a score and `wₜ > 0`.
//!
//! Types without a score are named as missing (the composite is then
//! `complete: false`), so a reader sees a composite built on part of the
//! record for what it is. A report may override the weights
//! ([`parse_weights`]).

use std::collections::BTreeMap;

use serde::Serialize;

/// The largest weight a type may carry (weights are relative).
pub const MAX_WEIGHT: f64 = 1000.0;

/// One exam type in a composite: its weight and the candidate's score in
/// it, if any (a percent, 0 to 100).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TypeScore {
    pub weight: f64,
    pub percent: Option<f64>,
}

/// A weighted composite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Composite {
    /// The weighted mean percent; `None` when no type with a positive
    /// weight has a score.
    pub percent: Option<f64>,
    /// The weight of the types that have a score.
    pub weight_used: f64,
    /// The weight of every type (with a positive weight).
    pub weight_total: f64,
    /// Whether every type with a positive weight has a score.
    pub complete: bool,
}

/// The weighted mean of the scores present. Weights that are not positive
/// and finite leave their type out entirely.
pub fn composite(types: &[TypeScore]) -> Composite {
    let mut weight_used = 0.0;
    let mut weight_total = 0.0;
    let mut sum = 0.0;
    let mut complete = true;
    for t in types {
        if !(t.weight.is_finite() && t.weight > 0.0) {
            continue;
        }
        weight_total += t.weight;
        match t.percent.filter(|p| p.is_finite()) {
            Some(p) => {
                weight_used += t.weight;
                sum += t.weight * p;
            }
            None => complete = false,
        }
    }
    Composite {
        percent: (weight_used > 0.0).then(|| sum / weight_used),
        weight_used,
        weight_total,
        complete,
    }
}

/// The score of a type: the mean of its exams' best percents (`bests`,
/// one per exam, external results counting as one); `None` without any.
pub fn type_score(bests: &[f64]) -> Option<f64> {
    let v: Vec<f64> = bests.iter().copied().filter(|p| p.is_finite()).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// A score as a percent of its scale: `score / max × 100`, `None` when the
/// scale is not positive.
pub fn percent_of(score: f64, max: f64) -> Option<f64> {
    (max.is_finite() && max > 0.0 && score.is_finite()).then(|| score / max * 100.0)
}

/// Reads a weights override, `CODE:WEIGHT` pairs separated by commas
/// (`STEP1:2,SHELF:1`). Codes are compared as written (exam type codes are
/// case-sensitive); each may appear once; a weight is a number from 0 to
/// [`MAX_WEIGHT`]. Returns the weights by code, or the first problem.
pub fn parse_weights(text: &str) -> Result<BTreeMap<String, f64>, String> {
    let mut out = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((code, weight)) = part.rsplit_once(':') else {
            return Err(format!(
                "{part:?} is not CODE:WEIGHT (for example STEP1:0.5)"
            ));
        };
        let code = code.trim();
        if code.is_empty() || code.chars().any(char::is_control) {
            return Err(format!("{part:?} names no exam type code"));
        }
        let weight: f64 = weight
            .trim()
            .parse()
            .map_err(|_| format!("the weight of {code} is not a number"))?;
        if !(weight.is_finite() && (0.0..=MAX_WEIGHT).contains(&weight)) {
            return Err(format!(
                "the weight of {code} must be from 0 to {MAX_WEIGHT}"
            ));
        }
        if out.insert(code.to_owned(), weight).is_some() {
            return Err(format!("{code} is given twice"));
        }
    }
    if out.is_empty() {
        return Err("no weights given".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(weight: f64, percent: Option<f64>) -> TypeScore {
        TypeScore { weight, percent }
    }

    #[test]
    fn weighted_mean_of_the_scores_present() {
        // 2×80 + 1×50 = 210 over 3 → 70.
        let c = composite(&[ts(2.0, Some(80.0)), ts(1.0, Some(50.0))]);
        assert_eq!(c.percent, Some(70.0));
        assert!(c.complete);
        assert_eq!((c.weight_used, c.weight_total), (3.0, 3.0));
    }

    #[test]
    fn a_missing_type_is_left_out_and_marks_it_incomplete() {
        let c = composite(&[ts(0.5, Some(90.0)), ts(0.25, None), ts(0.25, Some(60.0))]);
        // (0.5×90 + 0.25×60) / 0.75 = 60 / 0.75 = 80.
        assert!((c.percent.unwrap_or(0.0) - 80.0).abs() < 1e-9);
        assert!(!c.complete);
        assert_eq!((c.weight_used, c.weight_total), (0.75, 1.0));
    }

    #[test]
    fn zero_weights_do_not_count_and_nothing_gives_none() {
        let c = composite(&[ts(0.0, Some(100.0)), ts(1.0, None)]);
        assert_eq!(c.percent, None);
        assert_eq!(c.weight_total, 1.0);
        let c = composite(&[]);
        assert_eq!(c.percent, None);
        assert!(c.complete);
        let c = composite(&[ts(f64::NAN, Some(10.0)), ts(-1.0, Some(10.0))]);
        assert_eq!(c.percent, None);
    }

    #[test]
    fn type_score_is_the_mean_of_exam_bests() {
        assert_eq!(type_score(&[70.0, 90.0, 80.0]), Some(80.0));
        assert_eq!(type_score(&[]), None);
        assert_eq!(type_score(&[f64::NAN]), None);
    }

    #[test]
    fn percent_of_a_scale() {
        assert_eq!(percent_of(240.0, 300.0), Some(80.0));
        assert_eq!(percent_of(1.0, 0.0), None);
        assert_eq!(percent_of(f64::INFINITY, 10.0), None);
    }

    #[test]
    fn weights_parse_and_refuse_clearly() {
        let w = parse_weights("STEP1:2, SHELF:0.5").unwrap_or_default();
        assert_eq!(w.get("STEP1"), Some(&2.0));
        assert_eq!(w.get("SHELF"), Some(&0.5));
        assert!(parse_weights("STEP1").unwrap_err().contains("CODE:WEIGHT"));
        assert!(
            parse_weights("STEP1:x")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(parse_weights("STEP1:-1").unwrap_err().contains("from 0"));
        assert!(parse_weights("STEP1:inf").unwrap_err().contains("from 0"));
        assert!(parse_weights("A:1,A:2").unwrap_err().contains("twice"));
        assert!(parse_weights(":1").unwrap_err().contains("no exam type"));
        assert!(parse_weights(" , ").unwrap_err().contains("no weights"));
        // A code may itself hold a colon: the weight is after the last one.
        assert_eq!(
            parse_weights("NBME:CBSE:1")
                .unwrap_or_default()
                .get("NBME:CBSE"),
            Some(&1.0)
        );
    }
}
