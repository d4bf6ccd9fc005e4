//! Item analysis over 1M answer rows (issue 13, point 10: <= 2 s on the
//! 2-core machine, memory bounded).
//!
//! `cargo bench -p invigil-domain --bench item_analysis`
//!
//! The data set is generated, deterministic: 20,000 sessions x 50 questions
//! = 1,000,000 answers. 30 single-choice items (4 or 5 options, 1 point),
//! 10 multiple-select items (5 options, 2 keys, 2 points, partial credit in
//! halves) and 10 partial-credit items without options (0..4 points in
//! halves); about 3 % omits. Each examinee has an ability and each item a
//! difficulty, so the statistics look like a real exam's (positive
//! point-biserials, KR-20 well above 0).
//!
//! It is fed the way the server feeds it (crates/server/src/reports/items.rs):
//! sessions in pages of 500, one `Vec<Option<ItemResponse>>` built per
//! session (with its `chosen` vectors), `add`, and `finish` at the end.
//! `analyse` times that whole path; `rows_only` times building the rows
//! without the analyzer, so the analyzer's own share is the difference.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use invigil_domain::reports::items::{ItemAnalyzer, ItemKey, ItemResponse};

use common::Rng;

const SESSIONS: usize = 20_000;
const QUESTIONS: usize = 50;
/// Sessions per page, as the server reads them.
const PAGE: usize = 500;
const OMIT: u8 = u8::MAX;

#[derive(Clone, Copy)]
enum Kind {
    Single,
    Multi,
    Partial,
}

/// The exam's items and every answer in a compact form (what the database
/// rows hold): one chosen-options bit mask (or [`OMIT`]) and the points.
struct DataSet {
    kinds: Vec<Kind>,
    keys: Vec<ItemKey>,
    masks: Vec<u8>,
    points: Vec<f64>,
}

fn data_set() -> DataSet {
    let mut rng = Rng::new(0x1_7E45);
    let mut kinds = Vec::with_capacity(QUESTIONS);
    let mut keys = Vec::with_capacity(QUESTIONS);
    let mut difficulty = Vec::with_capacity(QUESTIONS);
    for q in 0..QUESTIONS {
        let (kind, key) = match q % 5 {
            0..=2 => {
                let options = 4 + rng.below(2);
                (
                    Kind::Single,
                    ItemKey {
                        max_points: 1.0,
                        options,
                        correct: vec![rng.below(options)],
                    },
                )
            }
            3 => {
                let a = rng.below(5);
                let b = (a + 1 + rng.below(4)) % 5;
                (
                    Kind::Multi,
                    ItemKey {
                        max_points: 2.0,
                        options: 5,
                        correct: vec![a.min(b), a.max(b)],
                    },
                )
            }
            _ => (
                Kind::Partial,
                ItemKey {
                    max_points: 4.0,
                    options: 0,
                    correct: Vec::new(),
                },
            ),
        };
        kinds.push(kind);
        keys.push(key);
        difficulty.push(rng.unit() * 3.0 - 1.5);
    }
    let mut masks = Vec::with_capacity(SESSIONS * QUESTIONS);
    let mut points = Vec::with_capacity(SESSIONS * QUESTIONS);
    for _ in 0..SESSIONS {
        let ability = (rng.unit() + rng.unit() + rng.unit()) * 2.0 - 3.0;
        for q in 0..QUESTIONS {
            if rng.chance(0.03) {
                masks.push(OMIT);
                points.push(0.0);
                continue;
            }
            let p = 1.0 / (1.0 + (difficulty[q] - ability).exp());
            let key = &keys[q];
            let (mask, pts) = match kinds[q] {
                Kind::Single => {
                    if rng.chance(p) {
                        (1u8 << key.correct[0], 1.0)
                    } else {
                        let wrong = (key.correct[0] + 1 + rng.below(key.options - 1)) % key.options;
                        (1u8 << wrong, 0.0)
                    }
                }
                Kind::Multi => {
                    // Each option judged right (chosen iff a key) with
                    // probability p; 2 points for five right judgements,
                    // half a point less for each wrong one below that.
                    let mut mask = 0u8;
                    let mut right = 0i32;
                    for o in 0..5 {
                        let is_key = key.correct.contains(&o);
                        let judged_right = rng.chance(p);
                        right += i32::from(judged_right);
                        if is_key == judged_right {
                            mask |= 1 << o;
                        }
                    }
                    (mask, (f64::from(right - 1) * 0.5).max(0.0))
                }
                Kind::Partial => {
                    let halves = (0..8).filter(|_| rng.chance(p)).count();
                    (0, halves as f64 * 0.5)
                }
            };
            masks.push(mask);
            points.push(pts);
        }
    }
    DataSet {
        kinds,
        keys,
        masks,
        points,
    }
}

impl DataSet {
    /// One session's responses, built as the server builds them.
    fn row(&self, session: usize) -> Vec<Option<ItemResponse>> {
        let at = session * QUESTIONS;
        (0..QUESTIONS)
            .map(|q| {
                let mask = self.masks[at + q];
                let omitted = mask == OMIT;
                let chosen = match self.kinds[q] {
                    _ if omitted => Vec::new(),
                    Kind::Single | Kind::Multi => (0..8).filter(|o| mask & (1 << o) != 0).collect(),
                    Kind::Partial => Vec::new(),
                };
                Some(ItemResponse {
                    points: self.points[at + q],
                    omitted,
                    chosen,
                })
            })
            .collect()
    }

    /// The whole server path: pages of rows, `add`, `finish`.
    fn analyse(&self) -> invigil_domain::reports::items::ItemAnalysis {
        let mut analyzer = ItemAnalyzer::new(self.keys.clone());
        for page in (0..SESSIONS).step_by(PAGE) {
            let rows: Vec<_> = (page..(page + PAGE).min(SESSIONS))
                .map(|s| self.row(s))
                .collect();
            for r in &rows {
                if let Err(e) = analyzer.add(r) {
                    unreachable!("generated rows are valid: {e}");
                }
            }
        }
        analyzer.finish()
    }
}

fn bench(c: &mut Criterion) {
    let data = data_set();
    // Print the figures once, so a run shows the data set is realistic.
    let a = data.analyse();
    println!(
        "item_analysis: {} examinees x {} items, mean {:.2} sd {:.2}, {:?}, item 0 p {:.3} r_pb {:.3} D {:.3}",
        a.examinees,
        a.items.len(),
        a.mean_total.unwrap_or(f64::NAN),
        a.sd_total.unwrap_or(f64::NAN),
        a.reliability,
        a.items[0].p_value.unwrap_or(f64::NAN),
        a.items[0].point_biserial.unwrap_or(f64::NAN),
        a.items[0].discrimination.unwrap_or(f64::NAN),
    );
    let mut g = c.benchmark_group("item_analysis");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements((SESSIONS * QUESTIONS) as u64));
    g.bench_function("analyse_1M_answers", |b| {
        b.iter(|| black_box(data.analyse()))
    });
    g.bench_function("rows_only_1M_answers", |b| {
        b.iter(|| {
            for s in 0..SESSIONS {
                black_box(data.row(s));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
