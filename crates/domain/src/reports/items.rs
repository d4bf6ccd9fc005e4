//! Item analysis by classical test theory, fed one examinee at a time.
//!
//! Per question: difficulty (p-value: mean points over maximum points),
//! the corrected point-biserial (the Pearson correlation of the item's
//! points with the *rest* of the total, the item removed; for a right/wrong
//! item this is the point-biserial, for partial credit the item-rest
//! correlation), the discrimination index (upper minus lower 27 % group,
//! over maximum points), the omit rate, and per option how many chose it and
//! the mean total of those who did. For the exam: KR-20 when every item was
//! scored right/wrong, else Cronbach's alpha (the same formula with item
//! variances; equal to KR-20 on right/wrong items), and the standard error
//! of measurement `SD * sqrt(1 - reliability)`.
//!
//! Exams that draw questions serve each examinee a subset: an item's
//! statistics use the examinees it was served to (`None` in [`ItemAnalyzer::add`]),
//! and the exam's reliability is given only when every examinee was served
//! every item (it is not defined for varying forms).
//!
//! Memory does not grow with the number of examinees or answers: sums per
//! item and option, and for the 27 % groups the examinees binned by total
//! score with each bin's per-item sums (at most [`BIN_BUDGET`] item-bin
//! cells, about 4 MB). Equal totals always share a bin, so the groups are
//! exact, with ties at a group's boundary shared in proportion (the
//! expected value over every order of the tied examinees, so the result
//! does not depend on the order examinees are added). Only when the
//! totals take more distinct values than the bins hold are neighbouring
//! totals merged, and then the boundary bin is shared the same way.
//! Variances are population variances (`/ n`), as in the KR-20 formula.

use serde::Serialize;

pub use super::total_bins::BIN_BUDGET;
use super::total_bins::TotalBins;

/// What is known of a question before any answer: its maximum points, and
/// for choice questions the number of options and which are keys.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemKey {
    pub max_points: f64,
    /// 0 for questions without options.
    pub options: usize,
    /// Indices of the correct options.
    pub correct: Vec<usize>,
}

/// One examinee's answer to one question.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemResponse {
    /// Points given (omitted: 0).
    pub points: f64,
    /// Not answered at all.
    pub omitted: bool,
    /// Options chosen (choice questions).
    pub chosen: Vec<usize>,
}

/// Why an examinee's answers cannot be added.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error("expected {expected} responses, got {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("points of item {0} are not a finite number")]
    BadPoints(usize),
}

#[derive(Debug, Clone, Default)]
struct ItemSums {
    /// Examinees served this item, and their totals' sum and square sum.
    n: u64,
    t: f64,
    t2: f64,
    x: f64,
    x2: f64,
    xt: f64,
    omitted: u64,
    /// Every observed score was 0 or the maximum.
    right_wrong: bool,
    option_count: Vec<u64>,
    option_total: Vec<f64>,
}

/// The accumulator. `add` each examinee's responses (in the order of the
/// keys), then `finish`.
#[derive(Debug, Clone)]
pub struct ItemAnalyzer {
    keys: Vec<ItemKey>,
    sums: Vec<ItemSums>,
    n: u64,
    t: f64,
    t2: f64,
    /// Examinees by total score, for the 27 % groups.
    bins: TotalBins,
}

/// Statistics of one option of a choice question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionStats {
    pub index: usize,
    pub correct: bool,
    pub count: u64,
    /// Mean total score of the examinees who chose it.
    pub mean_total: Option<f64>,
}

/// Statistics of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStats {
    /// Position in the keys.
    pub index: usize,
    /// Examinees it was served to.
    pub served: u64,
    pub mean_points: Option<f64>,
    /// Difficulty: mean points over maximum points (0 hard .. 1 easy).
    pub p_value: Option<f64>,
    /// Corrected (item-rest) point-biserial; `None` when the item or the
    /// rest does not vary.
    pub point_biserial: Option<f64>,
    /// Upper minus lower 27 % group, over maximum points (-1 .. 1).
    pub discrimination: Option<f64>,
    pub omit_rate: Option<f64>,
    pub options: Vec<OptionStats>,
}

/// The reliability coefficient and which formula gave it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reliability {
    /// `KR20` (every item right/wrong) or `ALPHA` (Cronbach's alpha).
    pub method: &'static str,
    pub value: f64,
}

/// The analysis of an exam.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemAnalysis {
    pub examinees: u64,
    pub items: Vec<ItemStats>,
    pub mean_total: Option<f64>,
    /// Population standard deviation of the totals.
    pub sd_total: Option<f64>,
    pub reliability: Option<Reliability>,
    /// Standard error of measurement, in points.
    pub sem: Option<f64>,
}

/// Share of examinees in each of the upper and lower groups.
pub const GROUP_SHARE: f64 = 0.27;

/// Pearson correlation from population moments; `None` when either side
/// does not vary.
fn correlation(cov: f64, var_a: f64, var_b: f64) -> Option<f64> {
    const EPS: f64 = 1e-12;
    (var_a > EPS && var_b > EPS).then(|| (cov / (var_a * var_b).sqrt()).clamp(-1.0, 1.0))
}

impl ItemAnalyzer {
    pub fn new(keys: Vec<ItemKey>) -> ItemAnalyzer {
        let k_len = keys.len();
        let sums = keys
            .iter()
            .map(|k| ItemSums {
                right_wrong: true,
                option_count: vec![0; k.options],
                option_total: vec![0.0; k.options],
                ..ItemSums::default()
            })
            .collect();
        ItemAnalyzer {
            keys,
            sums,
            n: 0,
            t: 0.0,
            t2: 0.0,
            bins: TotalBins::new(k_len),
        }
    }

    /// Adds one examinee: one entry per key, in the keys' order; `None`
    /// where the item was not served to them.
    pub fn add(&mut self, responses: &[Option<ItemResponse>]) -> Result<(), AnalysisError> {
        if responses.len() != self.keys.len() {
            return Err(AnalysisError::WrongLength {
                expected: self.keys.len(),
                got: responses.len(),
            });
        }
        if let Some(i) = responses
            .iter()
            .position(|r| r.as_ref().is_some_and(|r| !r.points.is_finite()))
        {
            return Err(AnalysisError::BadPoints(i));
        }
        let total: f64 = responses.iter().flatten().map(|r| r.points).sum();
        let (bin_points, bin_served) = self.bins.examinee(total);
        for ((((r, key), s), bx), bn) in responses
            .iter()
            .zip(&self.keys)
            .zip(&mut self.sums)
            .zip(bin_points)
            .zip(bin_served)
        {
            let Some(r) = r else { continue };
            let x = r.points;
            s.n += 1;
            s.t += total;
            s.t2 += total * total;
            s.x += x;
            s.x2 += x * x;
            s.xt += x * total;
            if r.omitted {
                s.omitted += 1;
            }
            if x.abs() > 1e-9 && (x - key.max_points).abs() > 1e-9 {
                s.right_wrong = false;
            }
            for &o in &r.chosen {
                if let (Some(c), Some(t)) = (s.option_count.get_mut(o), s.option_total.get_mut(o)) {
                    *c += 1;
                    *t += total;
                }
            }
            *bx += x;
            *bn += 1;
        }
        self.n += 1;
        self.t += total;
        self.t2 += total * total;
        Ok(())
    }

    /// The analysis of everything added.
    pub fn finish(self) -> ItemAnalysis {
        let k = self.keys.len();
        let n = self.n as f64;
        if self.n == 0 {
            return ItemAnalysis {
                examinees: 0,
                items: (0..k).map(empty_item).collect(),
                mean_total: None,
                sd_total: None,
                reliability: None,
                sem: None,
            };
        }
        let mean_t = self.t / n;
        let var_t = (self.t2 / n - mean_t * mean_t).max(0.0);
        // At least one examinee each; none below two examinees.
        let g = if self.n < 2 {
            0
        } else {
            ((n * GROUP_SHARE).round() as u64).max(1)
        };
        let upper = self.bins.group(g, true);
        let lower = self.bins.group(g, false);
        let mut item_vars = 0.0;
        let mut items = Vec::with_capacity(k);
        for (i, (key, s)) in self.keys.iter().zip(&self.sums).enumerate() {
            if s.n == 0 {
                items.push(empty_item(i));
                continue;
            }
            let ni = s.n as f64;
            let mean_x = s.x / ni;
            let var_x = (s.x2 / ni - mean_x * mean_x).max(0.0);
            item_vars += var_x;
            let mean_ti = s.t / ni;
            let var_ti = (s.t2 / ni - mean_ti * mean_ti).max(0.0);
            let cov_xt = s.xt / ni - mean_x * mean_ti;
            let cov_rest = cov_xt - var_x;
            let var_rest = (var_ti - 2.0 * cov_xt + var_x).max(0.0);
            let discrimination = match (
                self.bins.group_mean(&upper, i),
                self.bins.group_mean(&lower, i),
            ) {
                (Some(u), Some(l)) if key.max_points > 0.0 => Some((u - l) / key.max_points),
                _ => None,
            };
            items.push(ItemStats {
                index: i,
                served: s.n,
                mean_points: Some(mean_x),
                p_value: (key.max_points > 0.0).then(|| mean_x / key.max_points),
                point_biserial: correlation(cov_rest, var_x, var_rest),
                discrimination,
                omit_rate: Some(s.omitted as f64 / ni),
                options: (0..key.options)
                    .map(|o| {
                        let count = s.option_count.get(o).copied().unwrap_or(0);
                        OptionStats {
                            index: o,
                            correct: key.correct.contains(&o),
                            count,
                            mean_total: (count > 0).then(|| {
                                s.option_total.get(o).copied().unwrap_or(0.0) / count as f64
                            }),
                        }
                    })
                    .collect(),
            });
        }
        let complete = self.sums.iter().all(|s| s.n == self.n);
        let reliability = (complete && k >= 2 && var_t > 1e-12).then(|| {
            let kf = k as f64;
            Reliability {
                method: if self.sums.iter().all(|s| s.right_wrong) {
                    "KR20"
                } else {
                    "ALPHA"
                },
                value: kf / (kf - 1.0) * (1.0 - item_vars / var_t),
            }
        });
        let sd = var_t.sqrt();
        ItemAnalysis {
            examinees: self.n,
            items,
            mean_total: Some(mean_t),
            sd_total: Some(sd),
            sem: reliability.map(|r| sd * (1.0 - r.value.clamp(0.0, 1.0)).sqrt()),
            reliability,
        }
    }
}

fn empty_item(index: usize) -> ItemStats {
    ItemStats {
        index,
        served: 0,
        mean_points: None,
        p_value: None,
        point_biserial: None,
        discrimination: None,
        omit_rate: None,
        options: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(options: usize, correct: &[usize]) -> ItemKey {
        ItemKey {
            max_points: 1.0,
            options,
            correct: correct.to_vec(),
        }
    }

    fn rw(points: f64, chosen: Option<usize>) -> Option<ItemResponse> {
        Some(ItemResponse {
            points,
            omitted: chosen.is_none() && points == 0.0,
            chosen: chosen.into_iter().collect(),
        })
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.unwrap_or(f64::NAN);
        assert!((a - b).abs() < 1e-6, "{a} != {b}");
    }

    /// Five examinees, three right/wrong items, computed by hand:
    ///
    /// | examinee | i1 | i2 | i3 | total |
    /// | E1       | 1  | 1  | 1  | 3     |
    /// | E2       | 1  | 1  | 0  | 2     |
    /// | E3       | 1  | 0  | 0  | 1     |
    /// | E4       | 0  | 1  | 0  | 1     |
    /// | E5       | 0  | 0  | 0  | 0     |
    ///
    /// p = .6, .6, .2; totals mean 1.4, population variance 1.04;
    /// Σpq = .24 + .24 + .16 = .64; KR-20 = 3/2 (1 - .64/1.04) = .576923.
    /// Item 1 against the rest (2, 1, 0, 1, 0): cov .12, var .24 and .56,
    /// r = .12 / sqrt(.1344) = .327327. Groups of round(.27 * 5) = 1:
    /// upper E1, lower E5: every item discriminates 1.
    fn hand_set() -> ItemAnalysis {
        let mut a = ItemAnalyzer::new(vec![key(3, &[0]), key(0, &[]), key(0, &[])]);
        let rows = [
            [rw(1.0, Some(0)), rw(1.0, None), rw(1.0, None)],
            [rw(1.0, Some(0)), rw(1.0, None), rw(0.0, None)],
            [rw(1.0, Some(0)), rw(0.0, None), rw(0.0, None)],
            [rw(0.0, Some(1)), rw(1.0, None), rw(0.0, None)],
            [rw(0.0, Some(2)), rw(0.0, None), rw(0.0, None)],
        ];
        for r in &rows {
            a.add(r).unwrap();
        }
        a.finish()
    }

    #[test]
    fn classical_statistics_by_hand() {
        let r = hand_set();
        assert_eq!(r.examinees, 5);
        close(r.items[0].p_value, 0.6);
        close(r.items[1].p_value, 0.6);
        close(r.items[2].p_value, 0.2);
        close(r.mean_total, 1.4);
        close(r.sd_total, 1.04f64.sqrt());
        let rel = r.reliability.unwrap();
        assert_eq!(rel.method, "KR20");
        close(Some(rel.value), 0.576923077);
        close(r.sem, 1.04f64.sqrt() * (1.0 - 0.576923077f64).sqrt());
        close(r.items[0].point_biserial, 0.327327);
        for item in &r.items {
            close(item.discrimination, 1.0);
        }
    }

    #[test]
    fn options_and_omits_by_hand() {
        let r = hand_set();
        let opts = &r.items[0].options;
        assert_eq!(opts.len(), 3);
        assert_eq!((opts[0].count, opts[0].correct), (3, true));
        close(opts[0].mean_total, 2.0); // totals 3, 2, 1
        assert_eq!((opts[1].count, opts[1].correct), (1, false));
        close(opts[1].mean_total, 1.0);
        close(opts[2].mean_total, 0.0);
        // Items 2 and 3 carry no choices: a 0 without a choice is an omit.
        close(r.items[1].omit_rate, 2.0 / 5.0);
        close(r.items[2].omit_rate, 4.0 / 5.0);
        close(r.items[0].omit_rate, 0.0);
    }

    #[test]
    fn partial_credit_uses_alpha() {
        // Two items of 2 points, three examinees: (2,1) (1,1) (0,0).
        // Item vars: (2,1,0) -> 2/3; (1,1,0) -> 2/9. Totals (3,2,0): var 14/9.
        // alpha = 2 (1 - (8/9) / (14/9)) = 2 (6/14) = 6/7.
        let key2 = ItemKey {
            max_points: 2.0,
            options: 0,
            correct: Vec::new(),
        };
        let mut a = ItemAnalyzer::new(vec![key2.clone(), key2]);
        for (x, y) in [(2.0, 1.0), (1.0, 1.0), (0.0, 0.0)] {
            a.add(&[rw(x, Some(0)), rw(y, Some(0))]).unwrap();
        }
        let r = a.finish();
        let rel = r.reliability.unwrap();
        assert_eq!(rel.method, "ALPHA");
        close(Some(rel.value), 6.0 / 7.0);
        close(r.items[0].p_value, 0.5);
    }

    #[test]
    fn degenerate_inputs_give_none_not_nan() {
        let mut a = ItemAnalyzer::new(vec![key(0, &[]), key(0, &[])]);
        assert!(matches!(
            a.add(&[rw(1.0, None)]),
            Err(AnalysisError::WrongLength {
                expected: 2,
                got: 1
            })
        ));
        assert!(matches!(
            a.add(&[rw(f64::NAN, None), rw(1.0, None)]),
            Err(AnalysisError::BadPoints(0))
        ));
        // Everybody equal: no variance, no correlation, no reliability.
        for _ in 0..3 {
            a.add(&[rw(1.0, None), rw(1.0, None)]).unwrap();
        }
        let r = a.finish();
        assert_eq!(r.items[0].point_biserial, None);
        assert_eq!(r.reliability, None);
        assert_eq!(r.sem, None);
        close(r.items[0].discrimination, 0.0);
        let empty = ItemAnalyzer::new(vec![key(2, &[0])]).finish();
        assert_eq!(empty.examinees, 0);
        assert_eq!(empty.items[0].p_value, None);
        // A single examinee has no groups.
        let mut one = ItemAnalyzer::new(vec![key(0, &[])]);
        one.add(&[rw(1.0, None)]).unwrap();
        assert_eq!(one.finish().items[0].discrimination, None);
    }

    #[test]
    fn items_not_served_count_only_where_served() {
        // Item 2 served to the first two examinees only.
        let mut a = ItemAnalyzer::new(vec![key(0, &[]), key(0, &[])]);
        a.add(&[rw(1.0, None), rw(1.0, None)]).unwrap();
        a.add(&[rw(1.0, None), rw(0.0, Some(0))]).unwrap();
        a.add(&[rw(0.0, Some(0)), None]).unwrap();
        a.add(&[rw(0.0, Some(0)), None]).unwrap();
        let r = a.finish();
        close(r.items[0].p_value, 0.5);
        close(r.items[1].p_value, 0.5);
        close(r.items[1].omit_rate, 0.0);
        // Groups of one: upper (total 2) and lower (the two 0s share it,
        // neither served item 2): no lower mean, no index.
        close(r.items[0].discrimination, 1.0);
        assert_eq!(r.items[1].discrimination, None);
        // Forms differ: no reliability.
        assert_eq!(r.reliability, None);
    }

    #[test]
    fn ties_at_a_group_boundary_are_shared_whatever_the_order() {
        // Totals 1 (A: item 1 right), 1 (B: item 2 right), 0, 0. Groups of
        // round(.27 * 4) = 1: the upper group is half A and half B, so each
        // item's upper mean is .5 and its index (.5 - 0) / 1 = .5; the
        // order examinees come in changes nothing.
        let rows = [
            [rw(1.0, None), rw(0.0, Some(0))],
            [rw(0.0, Some(0)), rw(1.0, None)],
            [rw(0.0, Some(0)), rw(0.0, Some(0))],
            [rw(0.0, Some(0)), rw(0.0, Some(0))],
        ];
        let run = |order: [usize; 4]| {
            let mut a = ItemAnalyzer::new(vec![key(0, &[]), key(0, &[])]);
            for i in order {
                a.add(&rows[i]).unwrap();
            }
            a.finish()
        };
        let forward = run([0, 1, 2, 3]);
        close(forward.items[0].discrimination, 0.5);
        close(forward.items[1].discrimination, 0.5);
        assert_eq!(forward, run([3, 2, 1, 0]));
        assert_eq!(forward, run([1, 3, 0, 2]));
    }

    /// The groups by brute force: sort everybody by total.
    fn exact_discrimination(rows: &[Vec<f64>], item: usize, max: f64) -> f64 {
        let mut order: Vec<&Vec<f64>> = rows.iter().collect();
        order.sort_by(|a, b| b.iter().sum::<f64>().total_cmp(&a.iter().sum::<f64>()));
        let g = ((rows.len() as f64 * GROUP_SHARE).round() as usize).max(1);
        let mean = |rs: &[&Vec<f64>]| rs.iter().map(|r| r[item]).sum::<f64>() / rs.len() as f64;
        (mean(&order[..g]) - mean(&order[rows.len() - g..])) / max
    }

    #[test]
    fn many_distinct_totals_stay_near_the_exact_groups() {
        // 64 items of 100 points scored to a thousandth, 20,000
        // examinees: more distinct totals than the 4,096 bins, so
        // neighbouring totals merge; only the boundary bins are shared, and
        // the index stays within a hair of the exact one.
        let keys = vec![
            ItemKey {
                max_points: 100.0,
                options: 0,
                correct: Vec::new(),
            };
            64
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut unit = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let rows: Vec<Vec<f64>> = (0..20_000)
            .map(|_| {
                let ability = unit();
                (0..64)
                    .map(|_| ((0.6 * ability + 0.4 * unit()) * 100_000.0).round() / 1000.0)
                    .collect()
            })
            .collect();
        let mut a = ItemAnalyzer::new(keys);
        for r in &rows {
            let resp: Vec<_> = r.iter().map(|&x| rw(x, Some(0))).collect();
            a.add(&resp).unwrap();
        }
        assert!(a.bins.len() <= BIN_BUDGET / 64, "{} bins", a.bins.len());
        assert!(a.bins.len() > 100, "{} bins", a.bins.len());
        let r = a.finish();
        for i in 0..4 {
            let exact = exact_discrimination(&rows, i, 100.0);
            let got = r.items[i].discrimination.unwrap();
            assert!((got - exact).abs() < 1e-3, "item {i}: {got} vs {exact}");
        }
    }

    #[test]
    fn an_option_index_out_of_range_is_ignored() {
        let mut a = ItemAnalyzer::new(vec![key(2, &[0])]);
        a.add(&[rw(0.0, Some(7))]).unwrap();
        let r = a.finish();
        assert_eq!(r.items[0].options.iter().map(|o| o.count).sum::<u64>(), 0);
    }
}
