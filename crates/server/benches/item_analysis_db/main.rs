//! Item analysis end to end over 1M answer rows (issue 13, point 10): the
//! server's service function over a real database.
//!
//! `cargo bench -p invigil-server --bench item_analysis_db`
//!
//! For each backend (SQLite in a temporary directory; PostgreSQL when
//! `INVIGIL_BENCH_PG_URL` or `INVIGIL_TEST_PG_URL` names a server where a
//! database may be created; `INVIGIL_BENCH_ONLY=sqlite|postgres` picks one):
//! 1. seeds through the store, in bulk: the load generator's exam
//!    ([`invigil_testkit::loadgen::seed_exam`], 20 questions) plus 30 more
//!    questions (multiple select, five-option single choice, two-blank fill
//!    in), 20,000 candidates, and for each a finished, graded session with
//!    the 50 questions served (options shuffled) and 50 answer rows:
//!    1,000,000 answers, ~3 % omitted, scored from an ability model;
//! 2. times `invigil_server::reports::items::analyse` (what
//!    `GET /orgs/{org}/exams/{exam}/item-analysis` calls: sessions in pages
//!    of 500, two narrow queries per page, the domain's analyzer) several times
//!    and prints each run, the process's resident memory and the figures.
//!
//! Knobs: `INVIGIL_BENCH_SESSIONS` (20000), `INVIGIL_BENCH_RUNS` (3).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{Difficulty, QuestionInput, QuestionType, validate};
use invigil_domain::delivery::session::DeliveryStatus;
use invigil_domain::exams::EnrollmentStatus;
use invigil_domain::grading::Outcome;
use invigil_domain::review::IntegrityStatus;
use invigil_server::clock::SystemClock;
use invigil_server::config::{Config, Secret};
use invigil_server::state::AppState;
use invigil_store::delivery::entities::{OptionOrder, StoredResponse, answer};
use invigil_store::delivery::{self as delivery_store, Answer, Served, Session};
use invigil_store::exams::{self as exam_store, NewEnrollment};
use invigil_store::identity::{AccountStatus, users};
use invigil_testkit::{loadgen, pgadmin};

const QUESTIONS: usize = 50;

/// SplitMix64: the same data set on every run.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let sessions = env_usize("INVIGIL_BENCH_SESSIONS", 20_000);
    let runs = env_usize("INVIGIL_BENCH_RUNS", 3).max(1);
    let only = std::env::var("INVIGIL_BENCH_ONLY").ok();
    let pg_url = std::env::var("INVIGIL_BENCH_PG_URL")
        .or_else(|_| std::env::var("INVIGIL_TEST_PG_URL"))
        .ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!(
        "item analysis end to end: {sessions} sessions x {QUESTIONS} questions = {} answer rows, {} cores",
        sessions * QUESTIONS,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if only.as_deref() != Some("postgres") {
        runtime.block_on(case("sqlite", None, sessions, runs))?;
    }
    if only.as_deref() != Some("sqlite") {
        match pg_url {
            Some(url) => runtime.block_on(case("postgres", Some(url), sessions, runs))?,
            None => println!("postgres: skipped (no INVIGIL_BENCH_PG_URL / INVIGIL_TEST_PG_URL)"),
        }
    }
    Ok(())
}

async fn case(
    backend: &str,
    pg_admin: Option<String>,
    sessions: usize,
    runs: usize,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pg = match pg_admin {
        None => None,
        Some(admin_url) => {
            let name = format!("invigil_bench_{}", Uuid::new_v4().simple());
            let admin = pgadmin::connect(&admin_url).await?;
            pgadmin::create_database(&admin, &name, None).await?;
            admin.close().await?;
            Some((admin_url, name))
        }
    };
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        database_url: pg
            .as_ref()
            .map(|(url, name)| Secret::new(pgadmin::url_with_database(url, name))),
        ..Config::default()
    };
    let outcome = measure(backend, config, sessions, runs).await;
    if let Some((admin_url, name)) = &pg {
        let admin = pgadmin::connect(admin_url).await?;
        pgadmin::drop_database(&admin, name).await?;
        admin.close().await?;
    }
    outcome
}

async fn measure(
    backend: &str,
    config: Config,
    sessions: usize,
    runs: usize,
) -> anyhow::Result<()> {
    let db = invigil_server::app::open_db(&config).await?;
    let state = AppState::new(db, config, Arc::new(SystemClock));
    let seeding = Instant::now();
    let (org_id, exam_id) = seed(&state, sessions).await?;
    println!(
        "{backend}: seeded in {:.1} s, rss {} MiB",
        seeding.elapsed().as_secs_f64(),
        rss_mib()
    );
    let mut times = Vec::with_capacity(runs);
    for run in 1..=runs {
        let t = Instant::now();
        let a = invigil_server::reports::items::analyse(&state, org_id, exam_id)
            .await
            .map_err(|e| anyhow::anyhow!("analyse: {e:?}"))?;
        let secs = t.elapsed().as_secs_f64();
        times.push(secs);
        println!(
            "{backend}: run {run}: {secs:.3} s, {} examinees, {} items, mean {:.2}, reliability {:?}, rss {} MiB",
            a.examinees,
            a.items.len(),
            a.mean_total.unwrap_or(f64::NAN),
            a.reliability.map(|r| (r.method, r.value)),
            rss_mib()
        );
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{backend}: item analysis over {} answer rows: best {:.3} s, median {:.3} s",
        sessions * QUESTIONS,
        times[0],
        times[times.len() / 2]
    );
    state.background.shutdown().await;
    state.db.clone().close().await?;
    Ok(())
}

/// Resident memory of this process (Linux), in MiB; 0 elsewhere.
fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// An item as seeded: its id, type, options, blanks and key.
struct Item {
    id: Uuid,
    qt: QuestionType,
    options: usize,
    blanks: usize,
    correct: Vec<usize>,
    difficulty: f64,
}

/// The 30 questions added to the load generator's 20.
fn extra_questions() -> anyhow::Result<Vec<invigil_store::content::QuestionMeta>> {
    (0..30)
        .map(|i| {
            let (qt, options, key, text) = match i % 3 {
                0 => (
                    QuestionType::MultipleSelect,
                    Some((1..=5).map(|o| format!("Choice {o}")).collect()),
                    json!({"options": [0, 2, 3]}),
                    format!("Bench question {i}: select every right choice."),
                ),
                1 => (
                    QuestionType::SingleChoice,
                    Some((1..=5).map(|o| format!("Choice {o}")).collect()),
                    json!({"option": i % 5}),
                    format!("Bench question {i}: which choice is right?"),
                ),
                _ => (
                    QuestionType::FillBlank,
                    None,
                    json!({"blanks": [["alpha"], ["beta"]]}),
                    format!("Bench question {i}: the first letters are ___ and ___."),
                ),
            };
            let q = validate(QuestionInput {
                question_type: qt,
                text,
                options,
                correct_answer: Some(key),
                points: if qt == QuestionType::SingleChoice {
                    1.0
                } else {
                    2.0
                },
                difficulty: Difficulty::default(),
                tags: None,
                explanation: None,
            })
            .map_err(|e| anyhow::anyhow!("bench question {i}: {e:?}"))?;
            Ok(invigil_server::content::service::meta_of(&q))
        })
        .collect()
}

async fn seed(state: &AppState, sessions: usize) -> anyhow::Result<(Uuid, Uuid)> {
    let now = state.now();
    let exam = loadgen::seed_exam(state, 0).await?;
    let org_id = exam.org_id;
    let db = state.db.write();
    let author = exam_store::exam(db, org_id, exam.exam_id)
        .await?
        .context("the seeded exam")?
        .created_by;
    invigil_store::content::insert_questions(
        db,
        org_id,
        exam.bank_id,
        &extra_questions()?,
        author,
        now,
    )
    .await?;
    let mut rng = Rng(0x0B31_C0DE);
    let mut items = Vec::with_capacity(QUESTIONS);
    for (row, version) in invigil_store::content::active_questions(db, org_id, exam.bank_id).await?
    {
        let q = version.question()?;
        let correct = match q.correct_answer() {
            Some(invigil_domain::content::CorrectAnswer::SingleChoice { option }) => vec![*option],
            Some(invigil_domain::content::CorrectAnswer::MultipleSelect { options }) => {
                options.clone()
            }
            _ => Vec::new(),
        };
        items.push(Item {
            id: row.id,
            qt: q.question_type(),
            options: q.options().len(),
            blanks: q.blank_count(),
            correct,
            difficulty: rng.unit() * 3.0 - 1.5,
        });
    }
    anyhow::ensure!(items.len() == QUESTIONS, "{} questions seeded", items.len());

    // Candidates and their enrollments.
    let tx = state.db.begin().await?;
    let mut user_ids = Vec::with_capacity(sessions);
    for i in 0..sessions {
        let u = users::create(
            &tx,
            users::NewUser {
                email: format!("bench-{i:06}@{}.bench.invigil.test", exam.org_slug),
                name: format!("Bench Candidate {i}"),
                status: AccountStatus::Active,
                password_hash: None,
                is_super_admin: false,
                email_verified: true,
            },
            now,
        )
        .await?;
        user_ids.push(u.id);
    }
    let enrollments: Vec<NewEnrollment> = user_ids
        .iter()
        .map(|&user_id| NewEnrollment {
            user_id,
            status: EnrollmentStatus::Accepted,
            extra_time_percent: None,
        })
        .collect();
    exam_store::create_enrollments(&tx, org_id, exam.exam_id, &enrollments, now).await?;
    tx.commit().await?;
    let mut enrolled = Vec::with_capacity(sessions);
    let mut after = None;
    loop {
        let page =
            exam_store::list_enrollments(db, org_id, exam.exam_id, None, after, 1000).await?;
        after = page.last().map(|e| e.id);
        let done = page.len() < 1000;
        enrolled.extend(page.into_iter().map(|e| (e.id, e.user_id)));
        if done {
            break;
        }
    }

    // Sessions, served questions and answers, 500 sessions per transaction.
    for chunk in enrolled.chunks(500) {
        let tx = state.db.begin().await?;
        let mut served_rows = Vec::with_capacity(chunk.len() * QUESTIONS);
        let mut answer_rows = Vec::with_capacity(chunk.len() * QUESTIONS);
        for &(enrollment_id, user_id) in chunk {
            let id = Uuid::now_v7();
            let ability = (rng.unit() + rng.unit() + rng.unit()) * 2.0 - 3.0;
            let mut total = 0.0;
            let mut max = 0.0;
            for (position, item) in items.iter().enumerate() {
                let (served, answer) = sit(&mut rng, id, org_id, position, item, ability, now);
                total += answer.points_awarded.unwrap_or(0.0);
                max += served.points;
                served_rows.push(served);
                answer_rows.push(answer);
            }
            let session = session(
                id,
                org_id,
                exam.exam_id,
                enrollment_id,
                user_id,
                total,
                max,
                now,
            );
            delivery_store::insert_session(&tx, session).await?;
        }
        delivery_store::insert_served(&tx, served_rows).await?;
        for rows in answer_rows.chunks(1000) {
            answer::Entity::insert_many(rows.iter().cloned().map(answer::ActiveModel::from))
                .exec_without_returning(&tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok((org_id, exam.exam_id))
}

/// One served question and its graded answer, in served option indexes.
fn sit(
    rng: &mut Rng,
    session_id: Uuid,
    org_id: Uuid,
    position: usize,
    item: &Item,
    ability: f64,
    now: DateTime<Utc>,
) -> (Served, Answer) {
    let p = 1.0 / (1.0 + (item.difficulty - ability).exp());
    let shift = rng.below(item.options);
    // order[served] = original.
    let order: Vec<usize> = (0..item.options)
        .map(|o| (o + shift) % item.options)
        .collect();
    let to_served = |o: usize| order.iter().position(|&x| x == o).unwrap_or(0);
    let max_points =
        if item.qt == QuestionType::SingleChoice || item.qt == QuestionType::ShortAnswer {
            1.0
        } else {
            2.0
        };
    let omitted = rng.chance(0.03);
    let (response, points, outcome) = if omitted {
        (Value::Null, 0.0, Outcome::Incorrect)
    } else {
        match item.qt {
            QuestionType::SingleChoice => {
                let right = rng.chance(p);
                let k = item.correct.first().copied().unwrap_or(0);
                let pick = if right {
                    k
                } else {
                    (k + 1 + rng.below(item.options - 1)) % item.options
                };
                let o = if right {
                    Outcome::Correct
                } else {
                    Outcome::Incorrect
                };
                (
                    json!({"option": to_served(pick)}),
                    if right { 1.0 } else { 0.0 },
                    o,
                )
            }
            QuestionType::MultipleSelect => {
                let mut chosen = Vec::new();
                for o in 0..item.options {
                    let is_key = item.correct.contains(&o);
                    if is_key == rng.chance(p) {
                        chosen.push(o);
                    }
                }
                let right = chosen.iter().filter(|o| item.correct.contains(o)).count();
                let wrong = chosen.len() - right;
                let fraction = right.saturating_sub(wrong) as f64 / item.correct.len() as f64;
                let mut served: Vec<usize> = chosen.iter().map(|&o| to_served(o)).collect();
                served.sort_unstable();
                let o = match fraction {
                    f if f >= 1.0 => Outcome::Correct,
                    f if f > 0.0 => Outcome::Partial,
                    _ => Outcome::Incorrect,
                };
                (json!({"options": served}), max_points * fraction, o)
            }
            QuestionType::FillBlank => {
                let a = rng.chance(p);
                let b = rng.chance(p);
                let right = usize::from(a) + usize::from(b);
                let o = match right {
                    2 => Outcome::Correct,
                    1 => Outcome::Partial,
                    _ => Outcome::Incorrect,
                };
                (
                    json!({"blanks": [if a { "alpha" } else { "gamma" }, if b { "beta" } else { "delta" }]}),
                    max_points * right as f64 / 2.0,
                    o,
                )
            }
            _ => {
                let right = rng.chance(p);
                let o = if right {
                    Outcome::Correct
                } else {
                    Outcome::Incorrect
                };
                (
                    json!({"text": if right { "answer" } else { "something else" }}),
                    if right { 1.0 } else { 0.0 },
                    o,
                )
            }
        }
    };
    let served = Served {
        session_id,
        position: position as i32,
        org_id,
        question_id: item.id,
        version: 1,
        question_type: item.qt.name().to_owned(),
        option_order: OptionOrder(order.clone()),
        option_count: item.options as i32,
        blank_count: item.blanks as i32,
        points: max_points,
    };
    let answer = Answer {
        session_id,
        question_id: item.id,
        org_id,
        response: StoredResponse(response),
        revision: 1,
        latency_ms: None,
        saved_at: now,
        points_awarded: Some(points),
        outcome: Some(outcome),
        graded_version: Some(1),
        graded_by: None,
        grader_comment: None,
        graded_at: Some(now),
    };
    (served, answer)
}

/// A submitted, graded session.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column the seed varies"
)]
fn session(
    id: Uuid,
    org_id: Uuid,
    exam_id: Uuid,
    enrollment_id: Uuid,
    user_id: Uuid,
    total: f64,
    max: f64,
    now: DateTime<Utc>,
) -> Session {
    let percent = if max > 0.0 { 100.0 * total / max } else { 0.0 };
    Session {
        id,
        org_id,
        exam_id,
        enrollment_id,
        user_id,
        attempt_no: 1,
        status: DeliveryStatus::Submitted,
        integrity_status: IntegrityStatus::Clean,
        seed: 0,
        started_at: now,
        base_duration_ms: 3_600_000,
        extra_percent: None,
        window_end: None,
        extensions_ms: 0,
        paused_total_ms: 0,
        paused_since: None,
        deadline_at: None,
        finished_at: Some(now),
        device_fingerprint: None,
        last_device_fingerprint: None,
        ip: None,
        objective_score: Some(total),
        subjective_score: Some(0.0),
        final_score: Some(total),
        max_score: max,
        percent: Some(percent),
        passed: Some(percent >= 50.0),
        pending_manual: 0,
        graded_at: Some(now),
        created_at: now,
        updated_at: now,
        violation_score: 0,
        claimed_by: None,
        claimed_at: None,
        decision: None,
        decision_notes: None,
        decided_by: None,
        decided_at: None,
        appeal_text: None,
        appealed_at: None,
    }
}
