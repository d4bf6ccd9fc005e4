//! A latency histogram with log-linear buckets (the HDR idea, small): every
//! power of two of microseconds is split into [`SUB`] equal buckets, so a
//! recorded value is known to within 1/[`SUB`] (about 3 %) at any scale,
//! from 1 µs to hours, in a fixed few kilobytes. Percentiles answer the
//! upper edge of the bucket holding the rank (never below the true value),
//! the maximum is exact.

use std::time::Duration;

/// Buckets per power of two.
const SUB: u64 = 32;
/// Powers of two covered: 2^40 µs is about 12 days.
const OCTAVES: usize = 40;

#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; OCTAVES * SUB as usize],
            total: 0,
            max_us: 0,
        }
    }
}

/// The bucket of `us`: values below `SUB` have a bucket each; above, the
/// octave (highest bit) and the next log2(SUB) bits choose it.
fn bucket(us: u64) -> usize {
    if us < SUB {
        return us as usize;
    }
    let octave = u64::from(63 - us.leading_zeros()); // >= log2(SUB)
    let shift = octave - SUB.trailing_zeros() as u64;
    let sub = (us >> shift) - SUB; // 0..SUB
    let index = (octave - SUB.trailing_zeros() as u64 + 1) * SUB + sub;
    (index as usize).min(OCTAVES * SUB as usize - 1)
}

/// The largest value that falls in bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let shift = i / SUB - 1;
    let sub = i % SUB;
    ((SUB + sub + 1) << shift) - 1
}

impl Histogram {
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        if let Some(c) = self.counts.get_mut(bucket(us)) {
            *c += 1;
        }
        self.total += 1;
        self.max_us = self.max_us.max(us);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max_us = self.max_us.max(other.max_us);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> Duration {
        Duration::from_micros(self.max_us)
    }

    /// The value at or below which `q` (0..=1) of the recordings fall (0
    /// when empty).
    pub fn quantile(&self, q: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((self.total as f64 * q.clamp(0.0, 1.0)).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Duration::from_micros(upper(i).min(self.max_us));
            }
        }
        self.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_tight() {
        let mut last = 0;
        for us in [0u64, 1, 31, 32, 33, 63, 64, 100, 1_000, 123_456, 9_999_999] {
            let b = bucket(us);
            assert!(b >= last, "bucket of {us} went down");
            last = b;
            assert!(upper(b) >= us, "upper edge below {us}");
            // Within 1/32 (plus one for the small exact range).
            assert!(
                upper(b) - us <= us / 32 + 1,
                "bucket of {us} too wide: {}",
                upper(b)
            );
            if b > 0 {
                assert!(upper(b - 1) < us, "{us} belongs to an earlier bucket");
            }
        }
    }

    #[test]
    fn percentiles_of_a_known_spread() {
        let mut h = Histogram::default();
        for ms in 1..=100u64 {
            h.record(Duration::from_millis(ms));
        }
        assert_eq!(h.count(), 100);
        let close = |d: Duration, ms: u64| {
            let got = d.as_micros() as f64 / 1000.0;
            assert!(
                got >= ms as f64 && got <= ms as f64 * 1.04,
                "{got} ms is not ~{ms} ms"
            );
        };
        close(h.quantile(0.50), 50);
        close(h.quantile(0.95), 95);
        close(h.quantile(0.99), 99);
        assert_eq!(h.quantile(1.0), Duration::from_millis(100));
        assert_eq!(h.max(), Duration::from_millis(100));
    }

    #[test]
    fn empty_and_merged() {
        let mut a = Histogram::default();
        assert_eq!(a.quantile(0.99), Duration::ZERO);
        let mut b = Histogram::default();
        b.record(Duration::from_micros(7));
        b.record(Duration::from_secs(3));
        a.record(Duration::from_micros(5));
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.quantile(0.0), Duration::from_micros(5));
        assert_eq!(a.max(), Duration::from_secs(3));
    }
}
