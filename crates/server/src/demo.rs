//! Demo data for `invigil demo`: one organization with departments and the
//! eleven demo users of seed 000 (seven with one role, four with several).
//! Passwords are random on every run and printed at start; running again
//! resets them. Later modules add banks, exams and sessions here, and the
//! demo course ([`course`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use invigil_domain::identity::{OrgKind, Role};
use invigil_store::identity::{AccountStatus, users};
use invigil_store::tenancy::{self, ProfileInput};

#[path = "demo_course.rs"]
pub mod course;
#[path = "demo_hiring.rs"]
pub mod hiring;

use crate::identity::crypto::random_password;
use crate::state::AppState;

pub const DEMO_ORG: &str = "demo-university";

#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub password: String,
    pub roles: String,
}

struct Spec {
    local: &'static str,
    name: &'static str,
    super_admin: bool,
    /// (role, in the Medicine department?)
    grants: &'static [(Role, bool)],
}

const SPECS: &[Spec] = &[
    Spec {
        local: "superadmin",
        name: "Sam Super",
        super_admin: true,
        grants: &[],
    },
    Spec {
        local: "admin",
        name: "Ada Admin",
        super_admin: false,
        grants: &[(Role::OrgAdmin, false)],
    },
    Spec {
        local: "author",
        name: "Abe Author",
        super_admin: false,
        grants: &[(Role::ExamAuthor, false)],
    },
    Spec {
        local: "coordinator",
        name: "Cora Coordinator",
        super_admin: false,
        // An exam office's coordinator also enrolls the candidates.
        grants: &[
            (Role::ExamCoordinator, false),
            (Role::EnrollmentManager, false),
        ],
    },
    Spec {
        local: "enrollment",
        name: "Eli Enrollment",
        super_admin: false,
        grants: &[(Role::EnrollmentManager, false)],
    },
    Spec {
        local: "proctor",
        name: "Pia Proctor",
        super_admin: false,
        grants: &[(Role::ProctorReviewer, false)],
    },
    Spec {
        local: "candidate",
        name: "Cam Candidate",
        super_admin: false,
        grants: &[(Role::Candidate, false)],
    },
    Spec {
        local: "qa",
        name: "Quinn QA",
        super_admin: false,
        grants: &[(Role::QualityAssurance, false), (Role::ReportViewer, false)],
    },
    Spec {
        local: "author.qa",
        name: "Avery Author-QA",
        super_admin: false,
        grants: &[(Role::ExamAuthor, false), (Role::QualityAssurance, false)],
    },
    Spec {
        local: "coordinator.proctor",
        name: "Casey Coordinator-Proctor",
        super_admin: false,
        grants: &[
            (Role::ExamCoordinator, false),
            (Role::ProctorReviewer, false),
        ],
    },
    Spec {
        local: "med.author",
        name: "Morgan Medicine",
        super_admin: false,
        grants: &[(Role::ExamAuthor, true), (Role::ExamCoordinator, true)],
    },
];

/// Loads (or refreshes) the demo data and returns the accounts to print.
pub async fn load(state: &AppState) -> anyhow::Result<Vec<DemoAccount>> {
    let now = state.now();
    let tx = state.db.begin().await?;
    let org = match tenancy::org_by_slug(&tx, DEMO_ORG).await? {
        Some(o) => o,
        None => {
            tenancy::create_org(
                &tx,
                DEMO_ORG,
                "Demo University",
                Some("demo.example.org".into()),
                OrgKind::Institution,
                now,
            )
            .await?
        }
    };
    let mut departments = tenancy::list_departments(&tx, org.id).await?;
    for name in ["Medicine", "Computer Science"] {
        if !departments.iter().any(|d| d.name == name) {
            departments.push(tenancy::create_department(&tx, org.id, name, now).await?);
        }
    }
    let medicine = departments
        .iter()
        .find(|d| d.name == "Medicine")
        .map(|d| d.id);
    tx.commit().await?;

    let mut accounts = Vec::new();
    for spec in SPECS {
        let email = format!("{}@demo.example.org", spec.local);
        let password = random_password();
        let hash = state.hasher.hash(&password).await?;
        let tx = state.db.begin().await?;
        let user = ensure_user(&tx, &email, spec.name, &hash, spec.super_admin, now).await?;
        if !spec.grants.is_empty() {
            tenancy::ensure_member(&tx, org.id, user, now).await?;
            let rows: Vec<(Role, Option<Uuid>)> = spec
                .grants
                .iter()
                .map(|(r, in_medicine)| (*r, if *in_medicine { medicine } else { None }))
                .collect();
            tenancy::add_roles(&tx, org.id, user, &rows, now).await?;
        }
        if spec.grants.iter().any(|(r, _)| *r == Role::Candidate) {
            let profile = ProfileInput {
                student_number: Some("S-0001".into()),
                class_year: Some(2027),
                has_accommodations: false,
                extra_time_percent: None,
            };
            tenancy::upsert_profile(&tx, org.id, user, &profile, now).await?;
        }
        tx.commit().await?;
        let mut roles: Vec<String> = spec
            .grants
            .iter()
            .map(|(r, m)| {
                if *m {
                    format!("{} (Medicine)", r.as_str())
                } else {
                    r.as_str().to_owned()
                }
            })
            .collect();
        if spec.super_admin {
            roles.push(Role::SuperAdmin.as_str().into());
        }
        accounts.push(DemoAccount {
            email,
            password,
            roles: roles.join(", "),
        });
    }
    let bank_id = load_content(state, org.id).await?;
    load_exam(state, org.id, bank_id).await?;
    load_finished_exam(state, org.id).await?;
    load_records(state, org.id).await?;
    course::load(state, org.id).await?;
    accounts.extend(hiring::load(state).await?);
    crate::demo_practice::load(state, org.id).await?;
    crate::demo_people::load(state).await?;
    crate::demo_certs::load(state, org.id).await?;
    Ok(accounts)
}

/// Creates an ACTIVE exam and enrolls the demo candidate in it.
async fn open_exam_for(
    tx: &invigil_store::Tx,
    org_id: Uuid,
    fields: invigil_store::exams::ExamFields,
    coordinator_id: Uuid,
    candidate_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<invigil_store::exams::Exam> {
    use invigil_domain::exams::{EnrollmentStatus, ExamStatus};
    use invigil_store::exams::{self, NewEnrollment};

    let exam =
        exams::create_exam(tx, org_id, fields, ExamStatus::Active, coordinator_id, now).await?;
    exams::create_enrollments(
        tx,
        org_id,
        exam.id,
        &[NewEnrollment {
            user_id: candidate_id,
            status: EnrollmentStatus::Accepted,
            extra_time_percent: None,
        }],
        now,
    )
    .await?;
    Ok(exam)
}

pub const DEMO_EXAM: &str = "Demo exam: general knowledge";

/// An ACTIVE exam on the demo bank, open for a week, that the demo
/// candidate is enrolled in (30 minutes, three attempts, proctored).
async fn load_exam(state: &AppState, org_id: Uuid, bank_id: Uuid) -> anyhow::Result<()> {
    use invigil_domain::exams::Sensitivity;
    use invigil_store::DeptScope;
    use invigil_store::exams::{self, ExamFields, NewExamType};

    let now = state.now();
    let existing =
        exams::list_exams(state.db.read(), org_id, &DeptScope::All, None, None, 500).await?;
    if existing.iter().any(|e| e.title == DEMO_EXAM) {
        return Ok(());
    }
    let coordinator = users::by_email(state.db.read(), "coordinator@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo coordinator missing"))?;
    let candidate = users::by_email(state.db.read(), "candidate@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo candidate missing"))?;
    let tx = state.db.begin().await?;
    let quiz = exams::create_exam_type(
        &tx,
        org_id,
        NewExamType {
            code: "QUIZ".into(),
            name: "Practice quiz".into(),
            default_weight: 0.1,
        },
        now,
    )
    .await?;
    open_exam_for(
        &tx,
        org_id,
        ExamFields {
            department_id: None,
            title: DEMO_EXAM.into(),
            description: Some(
                "Twenty-two questions of every type. Try it as candidate@demo.example.org.".into(),
            ),
            question_bank_id: Some(bank_id),
            draw_rules: None,
            duration_minutes: 30,
            passing_score: 60,
            max_attempts: 3,
            scheduled_start_at: Some(now - chrono::Duration::hours(1)),
            scheduled_end_at: Some(now + chrono::Duration::days(7)),
            randomize_questions: true,
            randomize_options: true,
            enable_proctoring: true,
            proctoring_sensitivity: Sensitivity::Medium,
            exam_type_id: Some(quiz.id),
        },
        coordinator.id,
        candidate.id,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub const DEMO_FINISHED_EXAM: &str = "Demo quiz: finished practice round";

const FINISHED_QUIZ: &str = "\
::Capital of Italy:: What is the capital of Italy? {=Rome ~Milan ~Naples ~Turin}

::Water boils:: Pure water boils at 100 °C at sea level. {T}

::Half of ten:: What is half of ten? {#5:0}

::Why revise:: In two or three sentences, explain why spaced revision helps you remember. {}
";

/// A COMPLETED, proctored quiz the demo candidate has taken: answered,
/// submitted and graded (the essay by the coordinator, with a comment), one
/// TAB_SWITCH flag that the demo proctor reviewed and CLEARED, results
/// released, so "My results" has something to show and to appeal. Made once,
/// through the delivery services and the store's review and grading writers.
async fn load_finished_exam(state: &AppState, org_id: Uuid) -> anyhow::Result<()> {
    use invigil_domain::exams::{ExamStatus, Sensitivity};
    use invigil_domain::grading::Outcome;
    use invigil_domain::proctoring::{Cause, EventSource, EventType, FlagSeverity, FlagType};
    use invigil_domain::review::{DecisionType, IntegrityStatus};
    use invigil_store::DeptScope;
    use invigil_store::delivery::{self, AnswerSave};
    use invigil_store::exams::{self, ExamFields};
    use invigil_store::grading::{AnswerGrade, set_grade};
    use invigil_store::proctoring::{self as proctoring_store, Event, Flag, entities::EventIds};
    use invigil_store::review as review_store;

    let now = state.now();
    let db = state.db.read();
    let existing = exams::list_exams(db, org_id, &DeptScope::All, None, None, 500).await?;
    if existing.iter().any(|e| e.title == DEMO_FINISHED_EXAM) {
        return Ok(());
    }
    let by_email = |email: &'static str| async move {
        users::by_email(state.db.read(), email)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo account {email} missing"))
    };
    let coordinator = by_email("coordinator@demo.example.org").await?;
    let proctor = by_email("proctor@demo.example.org").await?;
    let candidate = by_email("candidate@demo.example.org").await?;
    let bank_id = load_bank(
        state,
        org_id,
        "Demo: finished quiz",
        "Four short questions of the finished demo quiz.",
        FINISHED_QUIZ,
    )
    .await?;
    let quiz_type = exams::list_exam_types(db, org_id, None, 100)
        .await?
        .into_iter()
        .find(|t| t.code == "QUIZ")
        .map(|t| t.id);

    let tx = state.db.begin().await?;
    let exam = open_exam_for(
        &tx,
        org_id,
        ExamFields {
            department_id: None,
            title: DEMO_FINISHED_EXAM.into(),
            description: Some("A short quiz the demo candidate has already taken.".into()),
            question_bank_id: Some(bank_id),
            draw_rules: None,
            duration_minutes: 20,
            passing_score: 50,
            max_attempts: 1,
            scheduled_start_at: Some(now - chrono::Duration::days(2)),
            scheduled_end_at: Some(now + chrono::Duration::hours(1)),
            randomize_questions: false,
            randomize_options: false,
            enable_proctoring: true,
            proctoring_sensitivity: Sensitivity::Medium,
            exam_type_id: quiz_type,
        },
        coordinator.id,
        candidate.id,
        now,
    )
    .await?;
    tx.commit().await?;

    // The candidate takes it: start, answer (one wrong), submit.
    let me = crate::http::auth::CurrentUser {
        user: candidate,
        session_id: Uuid::nil(),
        client: crate::http::auth::ClientInfo::default(),
    };
    let (view, _) = crate::delivery::start::start_or_resume(
        state,
        &me,
        exam.id,
        crate::delivery::start::StartBody::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo quiz start: {e}"))?;
    let sid = view.session_id;
    let mut essay = None;
    let tx = state.db.begin().await?;
    for q in &view.questions {
        let response = match q.question_type.as_str() {
            "single_choice" => serde_json::json!({ "option": 0 }),
            "true_false" => serde_json::json!({ "value": false }),
            "numeric" => serde_json::json!({ "value": 5 }),
            _ => {
                essay = Some(q.id);
                serde_json::json!({ "text": "Spacing revision out forces me to recall \
                    what I learned, and each recall makes the memory stronger." })
            }
        };
        delivery::upsert_answer(
            &tx,
            &AnswerSave {
                session_id: sid,
                question_id: q.id,
                org_id,
                response,
                revision: 1,
                latency_ms: Some(20_000),
                saved_at: now,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    crate::delivery::service::submit(state, &me, sid)
        .await
        .map_err(|e| anyhow::anyhow!("demo quiz submit: {e}"))?;

    // The coordinator grades the essay; the proctor reviews the flag.
    let tx = state.db.begin().await?;
    let mut row = delivery::session_for_update(&tx, sid)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo quiz session missing"))?;
    if let Some(qid) = essay {
        let served = delivery::served_one(&tx, sid, qid)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo essay not served"))?;
        set_grade(
            &tx,
            &AnswerGrade {
                session_id: sid,
                question_id: qid,
                org_id,
                points: Some(served.points / 2.0),
                outcome: Outcome::NeedsManual,
                graded_version: served.version,
                graded_by: Some(coordinator.id),
                comment: Some(
                    "Good point about recall. Add an example of how you would space your \
                     revision to get full marks."
                        .into(),
                ),
                graded_at: Some(now),
            },
            now,
        )
        .await?;
        crate::grading::rescore(&tx, &mut row, exam.passing_score, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo quiz rescore: {e}"))?;
        delivery::update_session_if(&tx, &row, row.status).await?;
    }
    let started = row.started_at;
    let events: Vec<Event> = (0..2)
        .map(|i| Event {
            id: Uuid::now_v7(),
            org_id,
            session_id: sid,
            client_event_id: Some(format!("demo-{sid}-{i}")),
            source: EventSource::Laptop,
            event_type: EventType::TabSwitch,
            severity: 5,
            occurred_at: started + chrono::Duration::milliseconds(i * 400),
            received_at: started + chrono::Duration::milliseconds(i * 400),
            meta: None,
            frame_id: None,
        })
        .collect();
    proctoring_store::insert_events(&tx, &events).await?;
    proctoring_store::insert_flag(
        &tx,
        &Flag {
            id: Uuid::now_v7(),
            org_id,
            session_id: sid,
            rule_id: "tab_switch_burst".into(),
            dedupe_key: format!("tab_switch_burst:{}", events[0].id),
            flag_type: FlagType::TabSwitch,
            severity: FlagSeverity::Medium,
            cause: Cause::Behavioural,
            weight: 10,
            event_ids: EventIds(events.iter().map(|e| e.id).collect()),
            first_at: events[0].occurred_at,
            last_at: events[1].occurred_at,
            description: "Left the exam tab 2 times within a few seconds".into(),
            created_at: now,
            resolved_by: None,
            resolved_at: None,
            resolution: None,
        },
    )
    .await?;
    review_store::set_score(
        &tx,
        sid,
        10,
        IntegrityStatus::Clean,
        IntegrityStatus::Flagged,
        now,
    )
    .await?;
    review_store::claim(&tx, sid, proctor.id, now).await?;
    review_store::decide(
        &tx,
        &review_store::Decision {
            session_id: sid,
            reviewer: proctor.id,
            decision: DecisionType::Cleared,
            notes: "The tab switches were short and the webcam shows the candidate alone.".into(),
            at: now,
        },
    )
    .await?;
    review_store::resolve_flags(&tx, sid, proctor.id, DecisionType::Cleared, now).await?;
    exams::transition_exam(
        &tx,
        org_id,
        exam.id,
        ExamStatus::Active,
        ExamStatus::Completed,
        now,
    )
    .await?;
    exams::release_results(&tx, org_id, exam.id, now).await?;
    tx.commit().await?;
    Ok(())
}

pub const DEMO_BANK: &str = "Demo: general knowledge";

/// An APPROVED bank with questions of every type, written by the demo author
/// and approved by the demo QA reviewer (two different people).
/// Exam types of a medical school beside the quiz (USMLE Step 1, shelf
/// exams) and the demo candidate's Step 1 score recorded outside Invigil,
/// so the student record shows a weighted composite. Safe to run again.
async fn load_records(state: &AppState, org_id: Uuid) -> anyhow::Result<()> {
    use invigil_store::exams::{self, NewExamType};
    use invigil_store::records::{self, ExternalInput};
    let now = state.now();
    let registrar = users::by_email(state.db.read(), "enrollment@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo enrollment manager missing"))?;
    let candidate = users::by_email(state.db.read(), "candidate@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo candidate missing"))?;
    let tx = state.db.begin().await?;
    let mut types = exams::exam_types_of_org(&tx, org_id).await?;
    for (code, name, weight) in [
        ("STEP1", "USMLE Step 1", 0.5),
        ("SHELF", "NBME clinical science (shelf) exam", 0.4),
    ] {
        if !types.iter().any(|t| t.code == code) {
            let t = exams::create_exam_type(
                &tx,
                org_id,
                NewExamType {
                    code: code.into(),
                    name: name.into(),
                    default_weight: weight,
                },
                now,
            )
            .await?;
            types.push(t);
        }
    }
    let step1 = types
        .iter()
        .find(|t| t.code == "STEP1")
        .map(|t| t.id)
        .ok_or_else(|| anyhow::anyhow!("demo exam type STEP1 missing"))?;
    let taken_on = (now - chrono::Duration::days(120)).date_naive();
    records::upsert_external(
        &tx,
        org_id,
        candidate.id,
        &ExternalInput {
            exam_type_id: step1,
            score: Some(238.0),
            max_score: Some(300.0),
            passed: Some(true),
            taken_on,
            source: "NBME score report".into(),
            notes: None,
        },
        registrar.id,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn load_content(state: &AppState, org_id: Uuid) -> anyhow::Result<Uuid> {
    load_bank(
        state,
        org_id,
        DEMO_BANK,
        "Questions of every type, approved and ready for exams.",
        include_str!("demo_content.gift"),
    )
    .await
}

/// An APPROVED bank `title` with the questions of `gift` (once).
async fn load_bank(
    state: &AppState,
    org_id: Uuid,
    title: &str,
    description: &str,
    gift: &str,
) -> anyhow::Result<Uuid> {
    use invigil_domain::content::{BankStatus, parse_gift};
    use invigil_store::DeptScope;
    use invigil_store::content::{self, NewBank};

    let existing =
        content::list_banks(state.db.read(), org_id, &DeptScope::All, None, None, 500).await?;
    if let Some(b) = existing.iter().find(|b| b.title == title) {
        return Ok(b.id);
    }
    let author = users::by_email(state.db.read(), "author@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo author missing"))?;
    let qa = users::by_email(state.db.read(), "qa@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo QA missing"))?;
    let parsed = parse_gift(gift);
    if !parsed.errors.is_empty() {
        anyhow::bail!("demo questions do not parse: {:?}", parsed.errors);
    }
    let metas: Vec<_> = parsed
        .items
        .iter()
        .map(|i| crate::content::service::meta_of(&i.question))
        .collect();
    let now = state.now();
    let tx = state.db.begin().await?;
    let bank = content::create_bank(
        &tx,
        org_id,
        NewBank {
            title: title.into(),
            description: Some(description.into()),
            tags: vec!["demo".into()],
            department_id: None,
            author_id: author.id,
        },
        BankStatus::Draft,
        now,
    )
    .await?;
    content::insert_questions(&tx, org_id, bank.id, &metas, author.id, now).await?;
    content::transition_bank(
        &tx,
        org_id,
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
        org_id,
        bank.id,
        BankStatus::InReview,
        BankStatus::Approved,
        Some(qa.id),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(bank.id)
}

async fn ensure_user(
    tx: &invigil_store::Tx,
    email: &str,
    name: &str,
    hash: &str,
    super_admin: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    match users::by_email(tx, email).await? {
        Some(u) => {
            users::set_password_hash(tx, u.id, hash, now).await?;
            users::set_status(tx, u.id, AccountStatus::Active, now).await?;
            Ok(u.id)
        }
        None => Ok(users::create(
            tx,
            users::NewUser {
                email: email.to_owned(),
                name: name.to_owned(),
                status: AccountStatus::Active,
                password_hash: Some(hash.to_owned()),
                is_super_admin: super_admin,
                email_verified: true,
            },
            now,
        )
        .await?
        .id),
    }
}

/// The accounts as a table for the terminal.
pub fn render(accounts: &[DemoAccount], base: &str) -> String {
    let mut out = format!(
        "\nDemo data loaded: organization `{DEMO_ORG}` at {base}/api/v1/orgs/{DEMO_ORG}\n\n"
    );
    let w = accounts.iter().map(|a| a.email.len()).max().unwrap_or(10);
    out.push_str(&format!("  {:w$}  {:16}  roles\n", "email", "password"));
    for a in accounts {
        out.push_str(&format!(
            "  {:w$}  {:16}  {}\n",
            a.email, a.password, a.roles
        ));
    }
    out.push_str("\nPasswords are new on every start. Mails (invitations, resets) wait in the outbox: `invigil admin outbox`.\n");
    out
}

#[cfg(test)]
mod tests {
    use invigil_domain::content::{QuestionType, parse_gift};

    #[test]
    fn demo_bank_covers_every_type_with_twenty_questions() {
        let parsed = parse_gift(include_str!("demo_content.gift"));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert!(parsed.items.len() >= 20);
        for t in QuestionType::ALL {
            assert!(
                parsed
                    .items
                    .iter()
                    .any(|i| i.question.question_type() == *t),
                "{t:?} missing"
            );
        }
    }
}
