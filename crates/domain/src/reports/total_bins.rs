//! Examinees binned by total score, for the upper and lower 27 % groups of
//! the item analysis ([`super::items`]) without keeping one row per
//! examinee or answer.

use std::collections::HashMap;

/// Item-bin cells the 27 % groups may use (items x bins; 16 bytes each).
pub const BIN_BUDGET: usize = 1 << 18;
/// Bins kept whatever the number of items.
const MIN_BINS: usize = 256;
/// The finest grid totals are binned on, in points: totals closer than
/// this are one total (float noise of summed partial credit).
const TOTAL_GRID: f64 = 1e-6;

/// Examinees binned by total score. A bin is a cell of the grid
/// [`TOTAL_GRID`] `* 2^shift` (cell `round(total / TOTAL_GRID) >> shift`,
/// monotone in the total); when more bins are occupied than allowed the
/// grid doubles until at most half are, merging neighbours.
#[derive(Debug, Clone)]
pub(crate) struct TotalBins {
    items: usize,
    max_bins: usize,
    shift: u32,
    slot_of: HashMap<i64, usize>,
    /// Per slot: its cell, examinees.
    cell: Vec<i64>,
    count: Vec<u64>,
    /// Per slot x item (row-major): points summed over those served it,
    /// and how many were.
    points: Vec<f64>,
    served: Vec<u64>,
}

impl TotalBins {
    pub(crate) fn new(items: usize) -> TotalBins {
        TotalBins {
            items,
            max_bins: (BIN_BUDGET / items.max(1)).max(MIN_BINS),
            shift: 0,
            slot_of: HashMap::new(),
            cell: Vec::new(),
            count: Vec::new(),
            points: Vec::new(),
            served: Vec::new(),
        }
    }

    fn finest_cell(total: f64) -> i64 {
        // `as` saturates: totals beyond ±9e12 points share the end cells.
        (total / TOTAL_GRID).round() as i64
    }

    /// Counts one more examinee with this total; returns their bin's
    /// per-item sums of points and of examinees served, to add to.
    pub(crate) fn examinee(&mut self, total: f64) -> (&mut [f64], &mut [u64]) {
        let slot = self.slot(total);
        let at = slot * self.items;
        (
            &mut self.points[at..at + self.items],
            &mut self.served[at..at + self.items],
        )
    }

    /// Bins in use.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.cell.len()
    }

    /// The slot of an examinee with this total (one more examinee in it).
    fn slot(&mut self, total: f64) -> usize {
        let cell = Self::finest_cell(total) >> self.shift;
        let slot = match self.slot_of.get(&cell) {
            Some(&slot) => slot,
            None => {
                if self.cell.len() >= self.max_bins {
                    self.coarsen();
                    return self.slot(total);
                }
                self.push_slot(cell)
            }
        };
        if let Some(c) = self.count.get_mut(slot) {
            *c += 1;
        }
        slot
    }

    fn push_slot(&mut self, cell: i64) -> usize {
        let slot = self.cell.len();
        self.slot_of.insert(cell, slot);
        self.cell.push(cell);
        self.count.push(0);
        self.points.resize(self.points.len() + self.items, 0.0);
        self.served.resize(self.served.len() + self.items, 0);
        slot
    }

    /// Doubles the grid until at most half of the allowed bins are used.
    fn coarsen(&mut self) {
        while self.cell.len() > self.max_bins / 2 {
            let old = std::mem::replace(self, TotalBins::new(self.items));
            self.max_bins = old.max_bins;
            self.shift = old.shift + 1;
            for (s, &cell) in old.cell.iter().enumerate() {
                let cell = cell >> 1;
                let slot = match self.slot_of.get(&cell) {
                    Some(&slot) => slot,
                    None => self.push_slot(cell),
                };
                self.count[slot] += old.count[s];
                let (from, to) = (s * self.items, slot * self.items);
                for i in 0..self.items {
                    self.points[to + i] += old.points[from + i];
                    self.served[to + i] += old.served[from + i];
                }
            }
        }
    }

    /// The slots of the `g` examinees with the highest (`upper`) or lowest
    /// totals, each with the share of its examinees in the group.
    pub(crate) fn group(&self, g: u64, upper: bool) -> Vec<(usize, f64)> {
        let mut order: Vec<usize> = (0..self.cell.len()).collect();
        order.sort_by_key(|&s| self.cell[s]);
        if upper {
            order.reverse();
        }
        let mut left = g;
        let mut out = Vec::new();
        for s in order {
            if left == 0 {
                break;
            }
            let c = self.count[s];
            let take = c.min(left);
            left -= take;
            out.push((s, take as f64 / c as f64));
        }
        out
    }

    /// Mean points of item `i` in a group, over those served it.
    pub(crate) fn group_mean(&self, group: &[(usize, f64)], i: usize) -> Option<f64> {
        let (mut x, mut n) = (0.0, 0.0);
        for &(s, share) in group {
            x += share * self.points[s * self.items + i];
            n += share * self.served[s * self.items + i] as f64;
        }
        (n > 0.0).then(|| x / n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(b: &mut TotalBins, total: f64) {
        let (points, served) = b.examinee(total);
        points[0] += total;
        served[0] += 1;
    }

    #[test]
    fn equal_totals_share_a_bin_despite_float_noise() {
        let mut b = TotalBins::new(1);
        add(&mut b, 0.1 + 0.2);
        add(&mut b, 0.3);
        add(&mut b, 1.0 / 3.0 + 1.0 / 3.0 + 1.0 / 3.0);
        add(&mut b, 1.0);
        assert_eq!(b.cell.len(), 2);
        // Groups of one: half of each tied bin.
        assert_eq!(b.group(1, true), vec![(1, 0.5)]);
        assert_eq!(b.group(1, false), vec![(0, 0.5)]);
        assert_eq!(b.group_mean(&b.group(1, true), 0), Some(1.0));
    }

    #[test]
    fn coarsening_keeps_the_bins_bounded_ordered_and_every_examinee() {
        let mut b = TotalBins {
            max_bins: 8,
            ..TotalBins::new(1)
        };
        // 0..100 twice, in an order that is not sorted.
        for i in 0..200u32 {
            add(&mut b, f64::from((i * 37) % 100));
        }
        assert!(b.cell.len() <= 8, "{} bins", b.cell.len());
        assert_eq!(b.count.iter().sum::<u64>(), 200);
        assert_eq!(b.served.iter().sum::<u64>(), 200);
        assert!((b.points.iter().sum::<f64>() - 2.0 * 4950.0).abs() < 1e-9);
        // Groups take whole bins from the ends, the last one in part.
        let upper = b.group(54, true);
        let lower = b.group(54, false);
        let shares =
            |g: &[(usize, f64)]| g.iter().map(|&(s, f)| f * b.count[s] as f64).sum::<f64>();
        assert!((shares(&upper) - 54.0).abs() < 1e-9);
        assert!((shares(&lower) - 54.0).abs() < 1e-9);
        let cells: Vec<i64> = upper.iter().map(|&(s, _)| b.cell[s]).collect();
        assert!(cells.windows(2).all(|w| w[0] > w[1]), "{cells:?}");
        // Exact: means 86.5 and 13. Bins of 2^k units blur the boundary
        // only, by less than one bin's width.
        let (u, l) = (
            b.group_mean(&upper, 0).unwrap_or(f64::NAN),
            b.group_mean(&lower, 0).unwrap_or(f64::NAN),
        );
        assert!((u - 86.5).abs() < 8.0 && (l - 13.0).abs() < 8.0, "{u} {l}");
        // More examinees change nothing of the bound.
        for i in 0..10_000u32 {
            add(&mut b, f64::from(i % 1000) * 0.37);
        }
        assert!(b.cell.len() <= 8);
        assert_eq!(b.count.iter().sum::<u64>(), 10_200);
    }
}
