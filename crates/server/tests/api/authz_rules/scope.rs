//! Points 4 and 5: exams use only banks their author may read; organization
//! settings and enrollment lists only for the roles that need them.

use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_server::content::service::meta_of;
use invigil_store::content::{self, NewBank};
use invigil_store::tenancy::Organization;

use super::ACME;
use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, enroll, setup_with};

/// An APPROVED bank of two questions in `department` (`None`: org-wide).
async fn bank_in(
    app: &TestApp,
    org: &Organization,
    department: Option<Uuid>,
    author: Uuid,
) -> Uuid {
    let now = app.state.now();
    let bank = content::create_bank(
        app.db().write(),
        org.id,
        NewBank {
            title: "Secret bank".into(),
            description: None,
            tags: Vec::new(),
            department_id: department,
            author_id: author,
        },
        invigil_domain::content::BankStatus::Draft,
        now,
    )
    .await
    .unwrap();
    let metas: Vec<_> = (0..2)
        .map(|i| {
            let input = serde_json::from_value(json!({
                "type": "single_choice", "text": format!("Q{i}?"), "options": ["a", "b"],
                "correct_answer": { "option": 0 }, "points": 1, "difficulty": "MEDIUM",
            }))
            .unwrap();
            meta_of(&invigil_domain::content::validate(input).unwrap())
        })
        .collect();
    content::insert_questions(app.db().write(), org.id, bank.id, &metas, author, now)
        .await
        .unwrap();
    for (from, to) in [
        (
            invigil_domain::content::BankStatus::Draft,
            invigil_domain::content::BankStatus::InReview,
        ),
        (
            invigil_domain::content::BankStatus::InReview,
            invigil_domain::content::BankStatus::Approved,
        ),
    ] {
        content::transition_bank(app.db().write(), org.id, bank.id, from, to, None, None, now)
            .await
            .unwrap();
    }
    bank.id
}

fn exam_body(bank: Uuid, department: Uuid) -> Value {
    json!({
        "title": "Physics final",
        "question_bank_id": bank,
        "department_id": department,
        "duration_minutes": 60,
        "passing_score": 50,
        "max_attempts": 1,
        "randomize_questions": false,
        "randomize_options": false,
        "enable_proctoring": false,
        "proctoring_sensitivity": "LOW",
    })
}

fn field_messages(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn exams_use_only_banks_their_author_may_read(app: TestApp) {
    let org = app.org("acme").await;
    let physics = app.department(&org, "Physics").await;
    let chemistry = app.department(&org, "Chemistry").await;
    let author = app
        .member(&org, "author@acme.org", &[Role::ExamAuthor])
        .await;
    let coord = app
        .member_in(
            &org,
            "phys@acme.org",
            &[(Role::ExamCoordinator, Some(physics))],
        )
        .await;
    let chem_bank = bank_in(&app, &org, Some(chemistry), author.id).await;
    let org_bank = bank_in(&app, &org, None, author.id).await;
    let phys_bank = bank_in(&app, &org, Some(physics), author.id).await;
    let exams = format!("{ACME}/exams");

    // Another department's bank reads exactly like a bank that does not
    // exist (422 on the field, nothing about it), fixed or drawn.
    let missing = app
        .post_json(&exams, &coord.token, &exam_body(Uuid::now_v7(), physics))
        .await
        .assert_problem(422, "validation_failed");
    for bank in [chem_bank, org_bank] {
        let r = app
            .post_json(&exams, &coord.token, &exam_body(bank, physics))
            .await;
        let v = r.assert_problem(422, "validation_failed");
        assert_eq!(field_messages(&v), field_messages(&missing));
        assert!(!r.text().contains("Secret bank"));
        let mut drawn = exam_body(bank, physics);
        drawn["question_bank_id"] = Value::Null;
        drawn["draw"] = json!([{ "bank_id": bank, "count": 1 }]);
        let v = app
            .post_json(&exams, &coord.token, &drawn)
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(field_messages(&v)[0].0, "draw[0].bank_id");
    }
    let listed = invigil_store::exams::list_exams(
        app.db().read(),
        org.id,
        &invigil_store::DeptScope::All,
        None,
        None,
        100,
    )
    .await
    .unwrap();
    assert!(listed.is_empty(), "no exam was created");

    // Their own department's bank is fine; switching it (fixed or drawn) to
    // another department's is refused at update, and changes nothing.
    let r = app
        .post_json(&exams, &coord.token, &exam_body(phys_bank, physics))
        .await;
    r.assert(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    for patch in [
        json!({ "question_bank_id": chem_bank }),
        json!({ "draw": [{ "bank_id": phys_bank, "count": 1 }, { "bank_id": chem_bank, "count": 1 }] }),
    ] {
        app.patch_json(&format!("{exams}/{id}"), &coord.token, &patch)
            .await
            .assert_problem(422, "validation_failed");
    }
    let r = app.get_as(&format!("{exams}/{id}"), &coord.token).await;
    r.assert(200);
    assert_eq!(r.json()["question_bank_id"], phys_bank.to_string());
    assert_eq!(r.json()["draw"], Value::Null);
    app.patch_json(
        &format!("{exams}/{id}"),
        &coord.token,
        &json!({ "draw": [{ "bank_id": phys_bank, "count": 2 }] }),
    )
    .await
    .assert(200);

    // An org-wide coordinator reads every bank, so may use them all.
    let boss = app
        .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
        .await;
    app.post_json(&exams, &boss.token, &exam_body(chem_bank, chemistry))
        .await
        .assert(201);
}

async fn org_settings_and_enrollments_are_for_their_roles(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let admin = app
        .member(&s.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    let root = app.super_admin("root@platform.example").await;
    let physics = app.department(&s.org, "Physics").await;
    let dept_admin = app
        .member_in(
            &s.org,
            "padmin@acme.org",
            &[(Role::OrgAdmin, Some(physics))],
        )
        .await;
    let manager = app
        .member(&s.org, "manager@acme.org", &[Role::EnrollmentManager])
        .await;
    let dept_manager = app
        .member_in(
            &s.org,
            "pmanager@acme.org",
            &[(Role::EnrollmentManager, Some(physics))],
        )
        .await;
    let secret_rules = json!({ "proctoring": { "tab_switch": { "limit": 7 } } });
    app.patch_json(ACME, &admin.token, &json!({ "settings": secret_rules }))
        .await
        .assert(200);

    for who in [&admin, &root] {
        let r = app.get_as(ACME, &who.token).await;
        r.assert(200);
        assert_eq!(r.json()["settings"], secret_rules);
    }
    for who in [
        &s.candidate,
        &s.coordinator,
        &s.proctor,
        &dept_admin,
        &manager,
    ] {
        let r = app.get_as(ACME, &who.token).await;
        r.assert(200);
        let v = r.json();
        let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["id", "kind", "name", "slug"], "{}: {v}", who.email);
        assert_eq!(v["slug"], "acme");
        assert!(!r.text().contains("tab_switch"));
    }

    // The enrollment list (extra time, accommodations) only for enrollment roles.
    enroll(&app, &s.org, s.exam_id, admin.id, Some(50)).await;
    let url = format!("{ACME}/exams/{}/enrollments", s.exam_id);
    for who in [&manager, &admin, &root] {
        let r = app.get_as(&url, &who.token).await;
        r.assert(200);
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 2);
    }
    for who in [&s.coordinator, &s.proctor, &s.candidate, &dept_manager] {
        app.get_as(&url, &who.token)
            .await
            .assert_problem(403, "forbidden");
    }
}

both!(
    exams_use_only_banks_their_author_may_read,
    org_settings_and_enrollments_are_for_their_roles,
);
