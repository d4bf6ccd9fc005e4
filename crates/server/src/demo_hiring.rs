//! The demo company of `invigil demo` (issue 16 item 6): "Acme Hiring"
//! (`acme-hiring`, a COMPANY organization) with a recruiter, an ACTIVE
//! three-question assessment (auto-graded, not proctored, 15 minutes) and an
//! OPEN job posting that asks for it. Any signed-in demo user (the demo
//! candidate, say) can browse `/jobs`, apply and take it; the recruiter
//! sees them under Hiring. Made once; the recruiter's password is reset on
//! every run like the other demo accounts.

use uuid::Uuid;

use invigil_domain::content::{BankStatus, parse_gift};
use invigil_domain::exams::{ExamStatus, Sensitivity};
use invigil_domain::hiring::{ExperienceLevel, PostingStatus};
use invigil_domain::identity::{OrgKind, Role};
use invigil_store::content::{self, NewBank};
use invigil_store::exams::{self, ExamFields};
use invigil_store::hiring::{self as store, Posting};
use invigil_store::tenancy;
use invigil_store::{DeptScope, Tx};

use super::{DemoAccount, ensure_user};
use crate::identity::crypto::random_password;
use crate::state::AppState;

pub const HIRING_ORG: &str = "acme-hiring";
pub const RECRUITER: &str = "recruiter@acme-hiring.example.org";
pub const HIRING_EXAM: &str = "Acme backend assessment";
pub const HIRING_JOB: &str = "Backend engineer (Rust)";

const QUESTIONS: &str = "\
::Ownership:: In Rust, what happens to a String when it is moved into a function? {=The function owns it and frees it when done ~It is copied ~It is leaked}

::SQL join:: An INNER JOIN returns only the rows that match in both tables. {T}

::HTTP status:: Which HTTP status code means Not Found? {#404:0}
";

/// The company, its recruiter, the assessment and the open posting;
/// returns the recruiter's account to print.
pub async fn load(state: &AppState) -> anyhow::Result<Vec<DemoAccount>> {
    let now = state.now();
    let password = random_password();
    let hash = state.hasher.hash(&password).await?;
    let tx = state.db.begin().await?;
    let org = match tenancy::org_by_slug(&tx, HIRING_ORG).await? {
        Some(o) => o,
        None => {
            tenancy::create_org(
                &tx,
                HIRING_ORG,
                "Acme Hiring",
                Some("acme-hiring.example.org".into()),
                OrgKind::Company,
                now,
            )
            .await?
        }
    };
    let recruiter = ensure_user(&tx, RECRUITER, "Rita Recruiter", &hash, false, now).await?;
    tenancy::ensure_member(&tx, org.id, recruiter, now).await?;
    tenancy::add_roles(
        &tx,
        org.id,
        recruiter,
        &[(Role::ExamCoordinator, None)],
        now,
    )
    .await?;
    let existing = exams::list_exams(&tx, org.id, &DeptScope::All, None, None, 500).await?;
    if !existing.iter().any(|e| e.title == HIRING_EXAM) {
        let exam = assessment(&tx, org.id, recruiter, now).await?;
        store::insert_posting(
            &tx,
            Posting {
                id: Uuid::now_v7(),
                org_id: org.id,
                title: HIRING_JOB.into(),
                description: "Join the team that builds our **exam platform**: \
                    services in Rust, PostgreSQL, and pages people enjoy using.\n\n\
                    You apply by taking a short assessment (three questions, 15 minutes)."
                    .into(),
                requirements: serde_json::to_string(&[
                    "2+ years of backend development",
                    "Comfortable with SQL",
                ])?,
                required_skills: serde_json::to_string(&["rust", "postgresql", "http"])?,
                experience_level: ExperienceLevel::Mid,
                location: Some("Remote (EU)".into()),
                salary: Some("EUR 55,000-70,000".into()),
                status: PostingStatus::Open,
                exam_id: exam,
                search_text: store::search_text(
                    HIRING_JOB,
                    "exam platform rust postgresql",
                    &["rust".into(), "postgresql".into(), "http".into()],
                    Some("Remote (EU)"),
                ),
                created_by: recruiter,
                created_at: now,
                updated_at: now,
                published_at: Some(now),
                closed_at: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(vec![DemoAccount {
        email: RECRUITER.into(),
        password,
        roles: format!(
            "{} (Acme Hiring, a company)",
            Role::ExamCoordinator.as_str()
        ),
    }])
}

/// The approved bank and the ACTIVE exam on it, open for 30 days.
async fn assessment(
    tx: &Tx,
    org_id: Uuid,
    recruiter: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Uuid> {
    let parsed = parse_gift(QUESTIONS);
    if !parsed.errors.is_empty() {
        anyhow::bail!("demo hiring questions do not parse: {:?}", parsed.errors);
    }
    let metas: Vec<_> = parsed
        .items
        .iter()
        .map(|i| crate::content::service::meta_of(&i.question))
        .collect();
    let bank = content::create_bank(
        tx,
        org_id,
        NewBank {
            title: "Backend basics".into(),
            description: Some("The hiring assessment's questions.".into()),
            tags: vec!["hiring".into()],
            department_id: None,
            author_id: recruiter,
        },
        BankStatus::Draft,
        now,
    )
    .await?;
    content::insert_questions(tx, org_id, bank.id, &metas, recruiter, now).await?;
    for (from, to) in [
        (BankStatus::Draft, BankStatus::InReview),
        (BankStatus::InReview, BankStatus::Approved),
    ] {
        let by = (to == BankStatus::Approved).then_some(recruiter);
        content::transition_bank(tx, org_id, bank.id, from, to, by, None, now).await?;
    }
    let exam = exams::create_exam(
        tx,
        org_id,
        ExamFields {
            department_id: None,
            title: HIRING_EXAM.into(),
            description: Some("Three questions on backend basics.".into()),
            question_bank_id: Some(bank.id),
            draw_rules: None,
            duration_minutes: 15,
            passing_score: 60,
            max_attempts: 1,
            scheduled_start_at: Some(now - chrono::Duration::hours(1)),
            scheduled_end_at: Some(now + chrono::Duration::days(30)),
            randomize_questions: false,
            randomize_options: false,
            enable_proctoring: false,
            proctoring_sensitivity: Sensitivity::Low,
            exam_type_id: None,
        },
        ExamStatus::Active,
        recruiter,
        now,
    )
    .await?;
    Ok(exam.id)
}
