//! `invigil load`: the server's side of the load generator (the
//! [`invigil_load`] crate): seeding an exam for many candidates and the raw
//! writes of `--baseline`, through [`ServerHarness`]. Nothing here is on the
//! request path; the integration tests, the kill test and the autosave bench
//! seed through [`seed_exam`] too (via the test kit).
//!
//! [`seed_exam`] prepares an exam that many candidates can take at once,
//! written straight through the store (no password hashing, no HTTP, one
//! transaction), so a load test or benchmark spends its time on what it
//! measures. What is seeded, in a new organization of its own:
//! - a staff user (EXAM_AUTHOR, EXAM_COORDINATOR) who authors the bank and
//!   owns the exam, and a QA user who approved the bank (two people, as the
//!   review rule wants);
//! - an APPROVED bank of [`QUESTIONS`] questions, alternating single_choice
//!   (four options) and short_answer;
//! - an ACTIVE exam over that bank, without a schedule window, lasting
//!   [`DURATION_MINUTES`], in a fixed question and option order;
//! - `candidates` users with the CANDIDATE role and an ACCEPTED enrollment
//!   each, every one signed in (an access token valid for
//!   [`crate::identity::ACCESS_TTL_MINUTES`]).
//!
//! Candidates start their sessions themselves (`POST
//! /api/v1/exams/{exam}/sessions`), so that path is exercised as in real use.

use anyhow::Context;
use uuid::Uuid;

use invigil_domain::content::{BankStatus, Difficulty, QuestionInput, QuestionType, validate};
use invigil_domain::exams::{EnrollmentStatus, ExamStatus, Sensitivity};
use invigil_domain::identity::{OrgKind, Role};
use invigil_load::{BoxFut, Harness, RawOutcome};
use invigil_store::content::{self, NewBank};
use invigil_store::delivery::AnswerSave;
use invigil_store::exams::{self as exam_store, ExamFields, NewEnrollment};
use invigil_store::identity::{AccountStatus, users};
use invigil_store::proctoring::Event;
use invigil_store::{Db, tenancy};

pub use invigil_load::{LoadCandidate, LoadExam};

use crate::batch::BatchError;
use crate::http::auth::ClientInfo;
use crate::identity::crypto::random_password;
use crate::identity::service::open_session;
use crate::proctoring::writer::Work;
use crate::state::AppState;

/// The server's code behind `invigil load`: seeding and the group-commit
/// writers of this process's state (built like a server's, without its
/// jobs).
pub struct ServerHarness {
    pub state: AppState,
}

impl Harness for ServerHarness {
    fn db(&self) -> &Db {
        &self.state.db
    }

    fn prepare(&self, candidates: usize, logins: usize) -> BoxFut<'_, anyhow::Result<LoadExam>> {
        Box::pin(seed_exam_with_logins(&self.state, candidates, logins))
    }

    fn save_raw(&self, save: AnswerSave) -> BoxFut<'_, RawOutcome> {
        Box::pin(async move {
            match self.state.answers.save(save).await {
                Ok(_) => RawOutcome::Stored,
                Err(BatchError::Overloaded) => RawOutcome::Busy,
                Err(e) => RawOutcome::Failed(e.to_string()),
            }
        })
    }

    fn events_raw(&self, events: Vec<Event>) -> BoxFut<'_, RawOutcome> {
        Box::pin(async move {
            match self
                .state
                .proctoring
                .events
                .submit(Work::Events(events))
                .await
            {
                Ok(_) => RawOutcome::Stored,
                Err(BatchError::Overloaded) => RawOutcome::Busy,
                Err(e) => RawOutcome::Failed(e.to_string()),
            }
        })
    }
}

/// Questions in the seeded bank (and served in every session).
pub const QUESTIONS: usize = 20;
/// Options of each single_choice question.
pub const OPTIONS: usize = 4;
/// How long a seeded exam lasts: far longer than any load run.
pub const DURATION_MINUTES: i32 = 600;

/// Seeds an organization with an ACTIVE exam and `candidates` enrolled,
/// signed-in candidates (see the module documentation), in one transaction.
pub async fn seed_exam(state: &AppState, candidates: usize) -> anyhow::Result<LoadExam> {
    seed_exam_with_logins(state, candidates, 0).await
}

/// [`seed_exam`], where the first `logins` candidates also get one random
/// password (hashed once) to sign in with, for measuring `login`.
pub async fn seed_exam_with_logins(
    state: &AppState,
    candidates: usize,
    logins: usize,
) -> anyhow::Result<LoadExam> {
    let now = state.now();
    let password = (logins > 0).then(random_password);
    let password_hash = match &password {
        Some(p) => Some(
            state
                .hasher
                .hash(p)
                .await
                .map_err(|e| anyhow::anyhow!("hash the load password: {e}"))?,
        ),
        None => None,
    };
    // The random tail of a v7 id keeps slugs and emails unique per run.
    let tag: String = Uuid::now_v7()
        .simple()
        .to_string()
        .chars()
        .rev()
        .take(12)
        .collect();
    let slug = format!("load-{tag}");
    let domain = format!("{slug}.load.invigil.test");
    let metas = question_metas()?;

    let tx = state.db.begin().await?;
    let org = tenancy::create_org(
        &tx,
        &slug,
        &format!("Load test {tag}"),
        None,
        OrgKind::Institution,
        now,
    )
    .await
    .context("create the organization")?;
    let author = member(
        &tx,
        org.id,
        &format!("author@{domain}"),
        "Load Author",
        &[Role::ExamAuthor, Role::ExamCoordinator],
        None,
        now,
    )
    .await?
    .id;
    let reviewer = member(
        &tx,
        org.id,
        &format!("qa@{domain}"),
        "Load Reviewer",
        &[Role::QualityAssurance],
        None,
        now,
    )
    .await?
    .id;

    let bank = content::create_bank(
        &tx,
        org.id,
        NewBank {
            title: "Load: autosave".into(),
            description: Some("Seeded by the load generator.".into()),
            tags: vec!["load".into()],
            department_id: None,
            author_id: author,
        },
        BankStatus::Draft,
        now,
    )
    .await
    .context("create the bank")?;
    content::insert_questions(&tx, org.id, bank.id, &metas, author, now)
        .await
        .context("insert the questions")?;
    content::transition_bank(
        &tx,
        org.id,
        bank.id,
        BankStatus::Draft,
        BankStatus::InReview,
        None,
        None,
        now,
    )
    .await?;
    content::transition_bank(
        &tx,
        org.id,
        bank.id,
        BankStatus::InReview,
        BankStatus::Approved,
        Some(reviewer),
        None,
        now,
    )
    .await
    .context("approve the bank")?;

    let exam = exam_store::create_exam(
        &tx,
        org.id,
        ExamFields {
            department_id: None,
            title: "Load: autosave".into(),
            description: Some("Seeded by the load generator.".into()),
            question_bank_id: Some(bank.id),
            draw_rules: None,
            duration_minutes: DURATION_MINUTES,
            passing_score: 50,
            max_attempts: 1,
            scheduled_start_at: None,
            scheduled_end_at: None,
            randomize_questions: false,
            randomize_options: false,
            enable_proctoring: false,
            proctoring_sensitivity: Sensitivity::Medium,
            exam_type_id: None,
        },
        ExamStatus::Active,
        author,
        now,
    )
    .await
    .context("create the exam")?;

    let mut seeded = Vec::with_capacity(candidates);
    for i in 0..candidates {
        let email = format!("candidate-{i:05}@{domain}");
        let signs_in = i < logins;
        let user = member(
            &tx,
            org.id,
            &email,
            &format!("Load Candidate {i}"),
            &[Role::Candidate],
            password_hash.clone().filter(|_| signs_in),
            now,
        )
        .await?;
        let (_, tokens) = open_session(&tx, &user, &ClientInfo::default(), None, now)
            .await
            .map_err(|e| anyhow::anyhow!("sign in {email}: {e}"))?;
        seeded.push(LoadCandidate {
            user_id: user.id,
            email,
            access_token: tokens.access_token,
            password: password.clone().filter(|_| signs_in),
        });
    }
    let enrollments: Vec<NewEnrollment> = seeded
        .iter()
        .map(|c| NewEnrollment {
            user_id: c.user_id,
            status: EnrollmentStatus::Accepted,
            extra_time_percent: None,
        })
        .collect();
    exam_store::create_enrollments(&tx, org.id, exam.id, &enrollments, now)
        .await
        .context("enroll the candidates")?;
    tx.commit().await?;

    Ok(LoadExam {
        org_id: org.id,
        org_slug: slug,
        bank_id: bank.id,
        exam_id: exam.id,
        candidates: seeded,
    })
}

/// A member of `org` with `roles`, with a password only when given (staff
/// never sign in; candidates get a session from [`open_session`]).
async fn member(
    tx: &invigil_store::Tx,
    org_id: Uuid,
    email: &str,
    name: &str,
    roles: &[Role],
    password_hash: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<users::User> {
    let user = users::create(
        tx,
        users::NewUser {
            email: email.to_owned(),
            name: name.to_owned(),
            status: AccountStatus::Active,
            password_hash,
            is_super_admin: false,
            email_verified: true,
        },
        now,
    )
    .await
    .with_context(|| format!("create {email}"))?;
    tenancy::ensure_member(tx, org_id, user.id, now).await?;
    let grants: Vec<(Role, Option<Uuid>)> = roles.iter().map(|r| (*r, None)).collect();
    tenancy::add_roles(tx, org_id, user.id, &grants, now).await?;
    Ok(user)
}

/// The bank's questions, validated like any authored question.
fn question_metas() -> anyhow::Result<Vec<content::QuestionMeta>> {
    (0..QUESTIONS)
        .map(|i| {
            let input = if i % 2 == 0 {
                QuestionInput {
                    question_type: QuestionType::SingleChoice,
                    text: format!("Load question {}: which option is right?", i + 1),
                    options: Some((1..=OPTIONS).map(|o| format!("Option {o}")).collect()),
                    correct_answer: Some(serde_json::json!({ "option": i % OPTIONS })),
                    points: 1.0,
                    difficulty: Difficulty::default(),
                    tags: Some(vec!["load".into()]),
                    explanation: None,
                }
            } else {
                QuestionInput {
                    question_type: QuestionType::ShortAnswer,
                    text: format!("Load question {}: type the word `answer`.", i + 1),
                    options: None,
                    correct_answer: Some(serde_json::json!({ "accepted": ["answer"] })),
                    points: 1.0,
                    difficulty: Difficulty::default(),
                    tags: Some(vec!["load".into()]),
                    explanation: None,
                }
            };
            let question = validate(input)
                .map_err(|errs| anyhow::anyhow!("load question {} is invalid: {errs:?}", i + 1))?;
            Ok(crate::content::service::meta_of(&question))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_questions_are_valid_and_alternate_types() {
        let metas = question_metas().unwrap();
        assert_eq!(metas.len(), QUESTIONS);
        assert_eq!(metas[0].question_type, QuestionType::SingleChoice);
        assert_eq!(metas[1].question_type, QuestionType::ShortAnswer);
    }
}
