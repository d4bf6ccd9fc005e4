//! GIFT import of 10,000 questions (issue 14, point 4).
//!
//! `cargo bench -p invigil-domain --bench gift_import`
//!
//! A generated, deterministic GIFT file of 10,000 questions as Moodle
//! exports them and authors write them: `$CATEGORY:` lines every 50
//! questions, titles, `[markdown]` prefixes, comments, Invigil metadata
//! comments, escapes, feedback, and every mapped type (single choice,
//! multiple select with weights, true/false, short answer, numeric with
//! tolerance and ranges, missing word, fill-in-the-blank, essay).
//! `import_10k` times what the import route does with the text
//! (`content::import`: the control-character check, parsing, validating
//! each question); `export_10k` writes the result back as GIFT.

mod common;

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use invigil_domain::content::{ImportFormat, Question, export_gift, import};

use common::Rng;

const QUESTIONS: usize = 10_000;

fn gift_file() -> String {
    let mut rng = Rng::new(0x61F7);
    let mut s = String::with_capacity(QUESTIONS * 200);
    s.push_str("// Generated question bank for the GIFT import bench.\n\n");
    for i in 0..QUESTIONS {
        if i % 50 == 0 {
            let _ = write!(
                s,
                "$CATEGORY: $course$/top/Medicine/Block {}/Topic {}\n\n",
                i / 1000,
                i / 50
            );
        }
        if rng.chance(0.2) {
            s.push_str("// invigil: points=2.5 difficulty=HARD\n");
        }
        let title = format!("::Q{i} title::");
        let _ = match rng.below(10) {
            0..=3 => writeln!(
                s,
                "{title}[markdown]A patient of **{}** years presents with \\{{fever\\}}: which is the most likely cause? {{\n  =Option one, the right one #Yes.\n  ~Option two #No.\n  ~Option three\n  ~Option four\n  ####Explanation: see chapter {}.\n}}",
                20 + rng.below(60),
                i % 40
            ),
            4 => writeln!(
                s,
                "{title}Select all the right answers for case {i}. {{\n  ~%50%First right\n  ~%50%Second right\n  ~%-100%Wrong one\n  ~%-100%Another wrong one\n}}"
            ),
            5 => writeln!(
                s,
                "{title}The heart has four chambers (case {i}).{{TRUE#Right.}}"
            ),
            6 => writeln!(
                s,
                "{title}Name the vitamin deficient in scurvy (case {i}).{{=Vitamin C =ascorbic acid =%50%C}}"
            ),
            7 => {
                if rng.chance(0.5) {
                    writeln!(
                        s,
                        "{title}Normal body temperature in °C (case {i})? {{#37:0.5}}"
                    )
                } else {
                    writeln!(
                        s,
                        "{title}Pick a number of ribs pairs (case {i}). {{#11..13}}"
                    )
                }
            }
            8 => {
                if rng.chance(0.5) {
                    writeln!(
                        s,
                        "{title}The femur is the {{=longest ~shortest ~widest}} bone of the body (case {i})."
                    )
                } else {
                    writeln!(
                        s,
                        "// invigil: type=fill_blank\n{title}Insulin is made in the {{=pancreas =Pancreas}} (case {i})."
                    )
                }
            }
            _ => writeln!(
                s,
                "{title}[markdown]Discuss the management of case {i} in *one page*.{{}}"
            ),
        };
        s.push('\n');
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = gift_file();
    let out = import(ImportFormat::Gift, &text);
    let questions: Vec<Question> = out.items.iter().map(|i| i.question.clone()).collect();
    let mut types = std::collections::BTreeMap::new();
    for q in &questions {
        *types.entry(q.question_type().name()).or_insert(0) += 1;
    }
    println!(
        "gift_import: {} bytes, {} questions {types:?}, {} errors{}",
        text.len(),
        out.items.len(),
        out.errors.len(),
        out.errors
            .first()
            .map(|e| format!(" (first: line {}: {})", e.line, e.message))
            .unwrap_or_default()
    );
    let mut g = c.benchmark_group("gift");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(QUESTIONS as u64));
    g.bench_function("import_10k", |b| {
        b.iter(|| black_box(import(ImportFormat::Gift, black_box(&text))))
    });
    g.bench_function("export_10k", |b| {
        b.iter(|| black_box(export_gift(black_box(&questions))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
