//! A progress bar for long command-line operations (audit verification and
//! export over a large log): drawn on standard error, only when it is a
//! terminal (a pipe or a log file gets nothing), at most every 100 ms.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// One operation's progress towards `total` units.
#[derive(Debug)]
pub struct Progress {
    label: &'static str,
    total: u64,
    drawn_at: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// A bar labelled `label` (e.g. "verifying") out of `total`.
    pub fn new(label: &'static str, total: u64) -> Progress {
        Progress {
            label,
            total,
            drawn_at: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// `done` units are done; redraws when 100 ms passed since the last
    /// drawing.
    pub fn set(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .drawn_at
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
        {
            return;
        }
        self.drawn_at = Some(now);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}", bar(self.label, done, self.total, 30));
        let _ = err.flush();
    }

    /// Draws the final state and ends the line.
    pub fn finish(mut self, done: u64) {
        if self.enabled {
            self.drawn_at = None;
            self.set(done);
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// The bar's text: `label [######------------------------]  20% 200/1000`.
/// `done` beyond `total` counts as complete; an empty total is complete.
pub fn bar(label: &str, done: u64, total: u64, width: usize) -> String {
    let done = done.min(total);
    let ratio = if total == 0 {
        1.0
    } else {
        done as f64 / total as f64
    };
    let filled = ((ratio * width as f64).floor() as usize).min(width);
    format!(
        "{label} [{}{}] {:>3}% {done}/{total}",
        "#".repeat(filled),
        "-".repeat(width - filled),
        (ratio * 100.0).floor() as u64
    )
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn the_bar_fills_in_proportion() {
        assert_eq!(bar("x", 0, 10, 10), "x [----------]   0% 0/10");
        assert_eq!(bar("x", 3, 10, 10), "x [###-------]  30% 3/10");
        assert_eq!(bar("x", 10, 10, 10), "x [##########] 100% 10/10");
        assert_eq!(bar("x", 12, 10, 4), "x [####] 100% 10/10");
        assert_eq!(bar("x", 0, 0, 4), "x [####] 100% 0/0");
        assert_eq!(bar("x", 1, 3, 3), "x [#--]  33% 1/3");
    }
}
