//! Descriptive statistics of a score list: count, mean, median, standard
//! deviation, min, max, and a histogram with a chosen number of bins.

use serde::Serialize;

/// The summary of a list of numbers. The standard deviation is the sample
/// one (`n - 1` in the denominator), what a report reader expects of "the
/// spread of this cohort's scores"; `None` below two values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub std_dev: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Summary {
    /// Summarizes `values` (NaN and infinite values are ignored).
    pub fn of(values: &[f64]) -> Summary {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            return Summary {
                count: 0,
                mean: None,
                median: None,
                std_dev: None,
                min: None,
                max: None,
            };
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        let std_dev = (n >= 2).then(|| {
            let ss: f64 = v.iter().map(|x| (x - mean).powi(2)).sum();
            (ss / (n - 1) as f64).sqrt()
        });
        Summary {
            count: n,
            mean: Some(mean),
            median: Some(median),
            std_dev,
            min: v.first().copied(),
            max: v.last().copied(),
        }
    }
}

/// One bar of a histogram: values `from <= x < to` (the last bar includes
/// `to`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

/// Most bins a histogram may have.
pub const MAX_BINS: usize = 100;

/// A histogram of `values` over `[low, high]` in `bins` equal bars (1 to
/// [`MAX_BINS`]; clamped). Values outside the range go to the first or last
/// bar; NaN is ignored. A zero-width range gives one bar holding everything.
pub fn histogram(values: &[f64], low: f64, high: f64, bins: usize) -> Vec<Bin> {
    let bins = bins.clamp(1, MAX_BINS);
    if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater)
        || !low.is_finite()
        || !high.is_finite()
    {
        let count = values.iter().filter(|x| !x.is_nan()).count() as u64;
        return vec![Bin {
            from: low,
            to: high,
            count,
        }];
    }
    let width = (high - low) / bins as f64;
    let mut out: Vec<Bin> = (0..bins)
        .map(|i| Bin {
            from: low + width * i as f64,
            to: if i + 1 == bins {
                high
            } else {
                low + width * (i + 1) as f64
            },
            count: 0,
        })
        .collect();
    for x in values.iter().copied().filter(|x| !x.is_nan()) {
        let i = ((x - low) / width).floor();
        let i = if i < 0.0 {
            0
        } else {
            (i as usize).min(bins - 1)
        };
        if let Some(bin) = out.get_mut(i) {
            bin.count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn summary_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7.
        let s = Summary::of(&[9.0, 2.0, 4.0, 4.0, 5.0, 4.0, 5.0, 7.0]);
        assert_eq!(s.count, 8);
        assert!(close(s.mean, 5.0));
        assert!(close(s.median, 4.5));
        assert!(close(s.std_dev, (32.0f64 / 7.0).sqrt()));
        assert_eq!((s.min, s.max), (Some(2.0), Some(9.0)));
        let odd = Summary::of(&[3.0, 1.0, 2.0]);
        assert!(close(odd.median, 2.0));
        let one = Summary::of(&[7.0]);
        assert_eq!(one.std_dev, None);
        assert!(close(one.median, 7.0));
        let none = Summary::of(&[f64::NAN]);
        assert_eq!(none.count, 0);
        assert_eq!(none.mean, None);
    }

    #[test]
    fn histogram_edges() {
        let h = histogram(
            &[0.0, 9.99, 10.0, 50.0, 100.0, 120.0, -3.0, f64::NAN],
            0.0,
            100.0,
            10,
        );
        assert_eq!(h.len(), 10);
        assert_eq!(h[0].count, 3, "0, 9.99 and -3 (clamped)");
        assert_eq!(h[1].count, 1, "10 opens the second bar");
        assert_eq!(h[5].count, 1);
        assert_eq!(h[9].count, 2, "100 closes the last bar; 120 clamped");
        assert_eq!((h[9].from, h[9].to), (90.0, 100.0));
        assert_eq!(histogram(&[1.0, 2.0], 5.0, 5.0, 4).len(), 1);
        assert_eq!(histogram(&[], 0.0, 1.0, 0).len(), 1);
        assert_eq!(histogram(&[], 0.0, 1.0, 10_000).len(), MAX_BINS);
    }
}
