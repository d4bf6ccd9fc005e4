//! Hiring (issue 16 item 6): job postings of a COMPANY organization, the
//! public board, applying by taking the posting's assessment, and the
//! hiring visibility matrix (a company sees only people who applied,
//! consented and did not withdraw) — through the real router on both
//! backends.

mod pages;

use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};
use invigil_domain::identity::{MemberStatus, OrgKind, Role};
use invigil_store::tenancy::{self, Organization};

use crate::both;
use crate::common::{TestApp, TestUser};
use crate::delivery::{ExamOpts, approved_bank, insert_exam};

const BASE: &str = "/api/v1/orgs/acme-hiring";
const JOB_TITLE: &str = "Rust engineer";

struct Hiring {
    company: Organization,
    recruiter: TestUser,
    viewer: TestUser,
    member_candidate: TestUser,
    applicant: TestUser,
    applicant2: TestUser,
    outsider: TestUser,
    other_recruiter: TestUser,
    exam: Uuid,
    draft_exam: Uuid,
    other_exam: Uuid,
}

async fn company_org(app: &TestApp, slug: &str, name: &str) -> Organization {
    tenancy::create_org(
        app.db().write(),
        slug,
        name,
        None,
        OrgKind::Company,
        app.state.now(),
    )
    .await
    .unwrap()
}

async fn exam_in(app: &TestApp, org: &Organization, by: Uuid, status: &'static str) -> Uuid {
    let input: QuestionInput = serde_json::from_value(json!({"type": "single_choice",
        "text": "2+2?", "options": ["3", "4", "5"], "correct_answer": {"option": 1},
        "points": 2}))
    .unwrap();
    let bank = approved_bank(app, org, by, &[validate(input).unwrap()]).await;
    insert_exam(
        app,
        org,
        bank,
        by,
        &ExamOpts {
            status,
            ..ExamOpts::default()
        },
    )
    .await
}

async fn hiring(app: &TestApp) -> Hiring {
    let company = company_org(app, "acme-hiring", "Acme Hiring").await;
    let other = company_org(app, "globex", "Globex").await;
    let recruiter = app
        .member(&company, "recruiter@acme.test", &[Role::ExamCoordinator])
        .await;
    let viewer = app
        .member(&company, "viewer@acme.test", &[Role::ReportViewer])
        .await;
    let member_candidate = app
        .member(&company, "member@acme.test", &[Role::Candidate])
        .await;
    let other_recruiter = app
        .member(&other, "recruiter@globex.test", &[Role::OrgAdmin])
        .await;
    let exam = exam_in(app, &company, recruiter.id, "ACTIVE").await;
    let draft_exam = exam_in(app, &company, recruiter.id, "DRAFT").await;
    let other_exam = exam_in(app, &other, other_recruiter.id, "ACTIVE").await;
    Hiring {
        company,
        recruiter,
        viewer,
        member_candidate,
        applicant: app.user("ann@people.test").await,
        applicant2: app.user("bob@people.test").await,
        outsider: app.user("out@people.test").await,
        other_recruiter,
        exam,
        draft_exam,
        other_exam,
    }
}

fn posting_body(exam: Uuid, status: &str) -> Value {
    json!({"title": "Rust engineer", "description": "Build **Invigil**.",
        "requirements": ["3 years of Rust", "SQL"], "required_skills": ["rust", "axum"],
        "experience_level": "MID", "location": "Remote", "salary": "EUR 60-70k",
        "status": status, "exam_id": exam})
}

fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

async fn open_posting(app: &TestApp, h: &Hiring) -> Uuid {
    let r = app
        .post_json(
            &format!("{BASE}/job-postings"),
            &h.recruiter.token,
            &posting_body(h.exam, "OPEN"),
        )
        .await;
    r.assert(201);
    id_of(&r.json())
}

async fn apply(app: &TestApp, who: &TestUser, posting: Uuid) -> Value {
    let r = app
        .post_json(
            &format!("/api/v1/jobs/{posting}/applications"),
            &who.token,
            &json!({"consent": true, "cover_note": "Hello"}),
        )
        .await;
    r.assert(201);
    r.json()
}

async fn enrollments_of(app: &TestApp, org: &Organization, exam: Uuid, user: Uuid) -> usize {
    invigil_store::exams::list_enrollments(app.db().read(), org.id, exam, None, None, 500)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.user_id == user)
        .count()
}

async fn postings_validate_publish_close(app: TestApp) {
    let h = hiring(&app).await;
    let url = format!("{BASE}/job-postings");
    // Bad input: 422, nothing written.
    for (field, change) in [
        ("title", json!({"title": " "})),
        ("description", json!({"description": ""})),
        (
            "requirements",
            json!({"requirements": ["ok", "bad\u{0007}"]}),
        ),
        ("exam_id", json!({"exam_id": h.other_exam})),
        ("exam_id", json!({"exam_id": Uuid::now_v7()})),
        ("status", json!({"status": "CLOSED"})),
    ] {
        let mut body = posting_body(h.exam, "DRAFT");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let p = app
            .post_json(&url, &h.recruiter.token, &body)
            .await
            .assert_problem(422, "validation_failed");
        assert!(p.to_string().contains(field), "{field}: {p}");
    }
    let mut unknown = posting_body(h.exam, "DRAFT");
    unknown["applicants"] = json!(5);
    app.post_json(&url, &h.recruiter.token, &unknown)
        .await
        .assert(422);
    let mut level = posting_body(h.exam, "DRAFT");
    level["experience_level"] = json!("GURU");
    app.post_json(&url, &h.recruiter.token, &level)
        .await
        .assert(422);
    // Publishing needs an ACTIVE or SCHEDULED exam.
    app.post_json(
        &url,
        &h.recruiter.token,
        &posting_body(h.draft_exam, "OPEN"),
    )
    .await
    .assert_problem(409, "exam_not_open");
    let r = app
        .post_json(
            &url,
            &h.recruiter.token,
            &posting_body(h.draft_exam, "DRAFT"),
        )
        .await;
    r.assert(201);
    let draft = r.json();
    assert_eq!(draft["status"], "DRAFT");
    assert_eq!(draft["applicants"], 0);
    assert_eq!(draft["company"], "Acme Hiring");
    assert_eq!(draft["requirements"], json!(["3 years of Rust", "SQL"]));
    let draft_id = id_of(&draft);
    let one = format!("{url}/{draft_id}");
    app.patch_json(&one, &h.recruiter.token, &json!({"status": "OPEN"}))
        .await
        .assert_problem(409, "exam_not_open");
    // Not on the board while a draft.
    app.get(&format!("/api/v1/jobs/{draft_id}"))
        .send()
        .await
        .assert(404);
    let r = app
        .patch_json(
            &one,
            &h.recruiter.token,
            &json!({"status": "OPEN", "exam_id": h.exam, "title": "Senior Rust engineer",
                "salary": null, "experience_level": "SENIOR"}),
        )
        .await;
    r.assert(200);
    let open = r.json();
    assert_eq!(open["status"], "OPEN");
    assert_eq!(open["salary"], Value::Null);
    assert!(open["published_at"].is_string());
    // The public board: no sign-in, OPEN postings of companies, search.
    let board = app.get("/api/v1/jobs").send().await;
    board.assert(200);
    assert_eq!(items(&board.json()).len(), 1);
    assert!(board.json()["items"][0]["applicants"].is_null());
    for (q, n) in [
        ("SENIOR rust", 1),
        ("axum", 1),
        ("remote", 1),
        ("cobol", 0),
        ("%", 0),
    ] {
        let r = app
            .get(&format!(
                "/api/v1/jobs?q={}",
                q.replace(' ', "+").replace('%', "%25")
            ))
            .send()
            .await;
        r.assert(200);
        assert_eq!(items(&r.json()).len(), n, "q={q}");
    }
    app.get("/api/v1/jobs?limit=0").send().await.assert(422);
    app.get("/api/v1/jobs?cursor=nope").send().await.assert(400);
    let pub_one = app.get(&format!("/api/v1/jobs/{draft_id}")).send().await;
    pub_one.assert(200);
    assert_eq!(pub_one.json()["org_slug"], "acme-hiring");
    // Who may manage: a report viewer reads, cannot write; a candidate
    // member and another company's admin cannot.
    app.get_as(&url, &h.viewer.token).await.assert(200);
    app.post_json(&url, &h.viewer.token, &posting_body(h.exam, "DRAFT"))
        .await
        .assert_problem(403, "forbidden");
    app.get_as(&url, &h.member_candidate.token)
        .await
        .assert_problem(403, "forbidden");
    app.get_as(&one, &h.other_recruiter.token).await.assert(404);
    app.get_as(
        &format!("/api/v1/orgs/globex/job-postings/{draft_id}"),
        &h.other_recruiter.token,
    )
    .await
    .assert(404);
    // Close: no more changes, gone from the board, still readable.
    let r = app
        .post_as(&format!("{one}/close"), &h.recruiter.token)
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "CLOSED");
    app.post_as(&format!("{one}/close"), &h.recruiter.token)
        .await
        .assert_problem(409, "posting_closed");
    app.patch_json(&one, &h.recruiter.token, &json!({"title": "x"}))
        .await
        .assert_problem(409, "posting_closed");
    assert_eq!(items(&app.get("/api/v1/jobs").send().await.json()).len(), 0);
    app.get(&format!("/api/v1/jobs/{draft_id}"))
        .send()
        .await
        .assert(200);
    let actions = app.audit_actions(&h.company).await;
    for a in [
        "job_posting.created",
        "job_posting.updated",
        "job_posting.closed",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

async fn an_institution_has_no_job_postings(app: TestApp) {
    let inst = app.org("school").await;
    let admin = app
        .member(&inst, "admin@school.test", &[Role::OrgAdmin])
        .await;
    let exam = exam_in(&app, &inst, admin.id, "ACTIVE").await;
    let url = "/api/v1/orgs/school/job-postings";
    app.post_json(url, &admin.token, &posting_body(exam, "OPEN"))
        .await
        .assert_problem(409, "not_a_company");
    app.get_as(url, &admin.token)
        .await
        .assert_problem(409, "not_a_company");
    let cand = app.member(&inst, "c@school.test", &[Role::Candidate]).await;
    app.get_as(url, &cand.token)
        .await
        .assert_problem(403, "forbidden");
}

async fn applying_enrolls_once_and_refuses_bad_requests(app: TestApp) {
    let h = hiring(&app).await;
    let posting = open_posting(&app, &h).await;
    let url = format!("/api/v1/jobs/{posting}/applications");
    // Consent is required; anonymous is 401; unknown posting 404.
    for body in [
        json!({"consent": false}),
        json!({}),
        json!({"consent": "yes"}),
        json!({"consent": true, "cover_note": "x".repeat(2001)}),
        json!({"consent": true, "status": "HIRED"}),
    ] {
        app.post_json(&url, &h.applicant.token, &body)
            .await
            .assert(422);
    }
    app.post(&url)
        .json(&json!({"consent": true}))
        .send()
        .await
        .assert(401);
    app.post_json(
        &format!("/api/v1/jobs/{}/applications", Uuid::now_v7()),
        &h.applicant.token,
        &json!({"consent": true}),
    )
    .await
    .assert(404);
    assert!(
        tenancy::member(app.db().read(), h.company.id, h.applicant.id)
            .await
            .unwrap()
            .is_none(),
        "a refused application changes nothing"
    );
    // Applying: a CANDIDATE member, enrolled once, notified with the link.
    let mine = apply(&app, &h.applicant, posting).await;
    assert_eq!(mine["status"], "APPLIED");
    assert_eq!(mine["company"], "Acme Hiring");
    assert_eq!(mine["exam_link"], format!("/me/exams/{}/check", h.exam));
    let m = tenancy::member(app.db().read(), h.company.id, h.applicant.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status, MemberStatus::Active);
    let roles = tenancy::roles_of(app.db().read(), h.company.id, h.applicant.id)
        .await
        .unwrap();
    assert_eq!(roles, vec![(Role::Candidate, None)]);
    assert_eq!(
        enrollments_of(&app, &h.company, h.exam, h.applicant.id).await,
        1
    );
    let my_exams = app.get_json("/api/v1/me/exams", &h.applicant.token).await;
    assert!(
        my_exams.to_string().contains(&h.exam.to_string()),
        "{my_exams}"
    );
    let notes = app
        .get_json("/api/v1/me/notifications", &h.applicant.token)
        .await;
    assert!(
        notes
            .to_string()
            .contains(&format!("/me/exams/{}/check", h.exam)),
        "{notes}"
    );
    assert_eq!(notes["items"][0]["title"], format!("Applied: {JOB_TITLE}"));
    // Twice: 409, still one enrollment.
    app.post_json(&url, &h.applicant.token, &json!({"consent": true}))
        .await
        .assert_problem(409, "already_applied");
    assert_eq!(
        enrollments_of(&app, &h.company, h.exam, h.applicant.id).await,
        1
    );
    // Someone enrolled already (a candidate member) is not enrolled again.
    crate::delivery::enroll(&app, &h.company, h.exam, h.member_candidate.id, None).await;
    apply(&app, &h.member_candidate, posting).await;
    assert_eq!(
        enrollments_of(&app, &h.company, h.exam, h.member_candidate.id).await,
        1
    );
    // The company's staff cannot apply to its own jobs.
    app.post_json(&url, &h.viewer.token, &json!({"consent": true}))
        .await
        .assert_problem(409, "company_staff");
    // My applications.
    let list = app
        .get_json("/api/v1/me/applications", &h.applicant.token)
        .await;
    assert_eq!(items(&list).len(), 1);
    assert_eq!(list["items"][0]["job_title"], "Rust engineer");
    assert_eq!(
        items(
            &app.get_json("/api/v1/me/applications", &h.outsider.token)
                .await
        )
        .len(),
        0
    );
    // Closed: no new applications.
    app.post_as(
        &format!("{BASE}/job-postings/{posting}/close"),
        &h.recruiter.token,
    )
    .await
    .assert(200);
    app.post_json(&url, &h.applicant2.token, &json!({"consent": true}))
        .await
        .assert_problem(409, "posting_closed");
    assert!(
        tenancy::member(app.db().read(), h.company.id, h.applicant2.id)
            .await
            .unwrap()
            .is_none()
    );
    let actions = app.audit_actions(&h.company).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "job_application.created")
            .count(),
        2
    );
}

async fn the_hiring_visibility_matrix(app: TestApp) {
    let h = hiring(&app).await;
    let posting = open_posting(&app, &h).await;
    let ann = apply(&app, &h.applicant, posting).await;
    let bob = apply(&app, &h.applicant2, posting).await;
    // Another company's posting and applicant.
    let r = app
        .post_json(
            "/api/v1/orgs/globex/job-postings",
            &h.other_recruiter.token,
            &posting_body(h.other_exam, "OPEN"),
        )
        .await;
    r.assert(201);
    let other_posting = id_of(&r.json());
    let out = apply(&app, &h.outsider, other_posting).await;
    let base = format!("{BASE}/job-postings/{posting}/applicants");
    // Bob withdraws: the company loses him.
    let w = app
        .post_as(
            &format!(
                "/api/v1/me/applications/{}/withdraw",
                bob["id"].as_str().unwrap()
            ),
            &h.applicant2.token,
        )
        .await;
    w.assert(200);
    assert_eq!(w.json()["status"], "WITHDRAWN");
    assert_eq!(w.json()["consent"], false);
    app.post_as(
        &format!(
            "/api/v1/me/applications/{}/withdraw",
            bob["id"].as_str().unwrap()
        ),
        &h.applicant2.token,
    )
    .await
    .assert(409);
    // Someone else's application: 404.
    app.post_as(
        &format!(
            "/api/v1/me/applications/{}/withdraw",
            ann["id"].as_str().unwrap()
        ),
        &h.applicant2.token,
    )
    .await
    .assert(404);
    // The list: only Ann (not Bob who withdrew, not the outsider who
    // applied elsewhere, not the member candidate who never applied).
    let list = app.get_json(&base, &h.recruiter.token).await;
    let emails: Vec<&str> = items(&list)
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["ann@people.test"], "{list}");
    assert_eq!(list["items"][0]["status"], "APPLIED");
    assert!(list["items"][0]["result"].is_null());
    let posting_view = app
        .get_json(
            &format!("{BASE}/job-postings/{posting}"),
            &h.recruiter.token,
        )
        .await;
    assert_eq!(posting_view["applicants"], 1);
    // One by one: only Ann's application answers.
    let ann_id = ann["id"].as_str().unwrap();
    app.get_as(&format!("{base}/{ann_id}"), &h.recruiter.token)
        .await
        .assert(200);
    for other in [
        bob["id"].as_str().unwrap().to_owned(),
        out["id"].as_str().unwrap().to_owned(),
        h.member_candidate.id.to_string(),
        h.applicant.id.to_string(),
        Uuid::now_v7().to_string(),
    ] {
        app.get_as(&format!("{base}/{other}"), &h.recruiter.token)
            .await
            .assert(404);
        app.patch_json(
            &format!("{base}/{other}"),
            &h.recruiter.token,
            &json!({"status": "HIRED"}),
        )
        .await
        .assert(404);
    }
    // Another company cannot reach Ann through its own org or ours.
    app.get_as(
        &format!("/api/v1/orgs/globex/job-postings/{posting}/applicants/{ann_id}"),
        &h.other_recruiter.token,
    )
    .await
    .assert(404);
    app.get_as(&format!("{base}/{ann_id}"), &h.other_recruiter.token)
        .await
        .assert(404);
    app.get_as(
        &format!("/api/v1/orgs/globex/job-postings/{other_posting}/applicants/{ann_id}"),
        &h.other_recruiter.token,
    )
    .await
    .assert(404);
    // Roles: a report viewer reads and notes, cannot decide; a candidate
    // (Ann herself, now a member) is 403.
    let v = app
        .get_json(&format!("{base}/{ann_id}"), &h.viewer.token)
        .await;
    assert_eq!(v["email"], "ann@people.test");
    assert_eq!(v["certificates"], json!([]));
    assert!(v["profile"].is_null());
    app.patch_json(
        &format!("{base}/{ann_id}"),
        &h.viewer.token,
        &json!({"status": "SHORTLISTED"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let noted = app
        .patch_json(
            &format!("{base}/{ann_id}"),
            &h.viewer.token,
            &json!({"notes": "Strong SQL", "is_interested": true}),
        )
        .await;
    noted.assert(200);
    assert_eq!(noted.json()["my_view"]["notes"], "Strong SQL");
    assert_eq!(noted.json()["my_view"]["is_interested"], true);
    assert_eq!(noted.json()["status"], "APPLIED");
    for who in [&h.applicant, &h.member_candidate] {
        app.get_as(&base, &who.token)
            .await
            .assert_problem(403, "forbidden");
        app.get_as(&format!("{base}/{ann_id}"), &who.token)
            .await
            .assert_problem(403, "forbidden");
    }
    // Ann takes the assessment: she reads ASSESSED with her result.
    let s = app.start_session(h.exam, &h.applicant.token).await;
    let sid = s["session_id"].as_str().unwrap().to_owned();
    app.post_as(
        &format!("/api/v1/sessions/{sid}/submit"),
        &h.applicant.token,
    )
    .await
    .assert(200);
    let v = app
        .get_json(&format!("{base}/{ann_id}"), &h.recruiter.token)
        .await;
    assert_eq!(v["status"], "ASSESSED", "{v}");
    assert_eq!(v["result"]["session_id"], sid);
    assert_eq!(v["result"]["max_score"], 2.0);
    assert_eq!(v["result"]["graded"], true);
    assert_eq!(v["result"]["integrity"], "CLEAN");
    assert!(v["my_view"]["viewed_at"].is_string());
    let mine = app
        .get_json("/api/v1/me/applications", &h.applicant.token)
        .await;
    assert_eq!(mine["items"][0]["status"], "ASSESSED");
    // The recruiter decides; only decisions are accepted.
    app.patch_json(
        &format!("{base}/{ann_id}"),
        &h.recruiter.token,
        &json!({"status": "WITHDRAWN"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.patch_json(
        &format!("{base}/{ann_id}"),
        &h.recruiter.token,
        &json!({"notes": "bad\u{0000}"}),
    )
    .await
    .assert(422);
    let d = app
        .patch_json(
            &format!("{base}/{ann_id}"),
            &h.recruiter.token,
            &json!({"status": "SHORTLISTED"}),
        )
        .await;
    d.assert(200);
    assert_eq!(d.json()["status"], "SHORTLISTED");
    // The viewer's notes are theirs; the recruiter's view has none.
    assert!(d.json()["my_view"]["notes"].is_null());
    let actions = app.audit_actions(&h.company).await;
    for a in [
        "candidate.viewed",
        "job_application.status_changed",
        "job_application.withdrawn",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
    // Ann withdraws after the shortlist: gone for the company, notes too.
    app.post_as(
        &format!("/api/v1/me/applications/{ann_id}/withdraw"),
        &h.applicant.token,
    )
    .await
    .assert(200);
    app.get_as(&format!("{base}/{ann_id}"), &h.viewer.token)
        .await
        .assert(404);
    assert_eq!(
        items(&app.get_json(&base, &h.recruiter.token).await).len(),
        0
    );
    assert!(
        invigil_store::hiring::view_of(app.db().read(), h.company.id, h.applicant.id, h.viewer.id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn erasure_forgets_applications_and_views(app: TestApp) {
    let h = hiring(&app).await;
    let posting = open_posting(&app, &h).await;
    let ann = apply(&app, &h.applicant, posting).await;
    let ann_id = ann["id"].as_str().unwrap();
    app.get_as(
        &format!("{BASE}/job-postings/{posting}/applicants/{ann_id}"),
        &h.recruiter.token,
    )
    .await
    .assert(200);
    invigil_store::hiring::erase_person(app.db().write(), h.applicant.id)
        .await
        .unwrap();
    assert_eq!(
        items(
            &app.get_json("/api/v1/me/applications", &h.applicant.token)
                .await
        )
        .len(),
        0
    );
    assert!(
        invigil_store::hiring::view_of(
            app.db().read(),
            h.company.id,
            h.applicant.id,
            h.recruiter.id
        )
        .await
        .unwrap()
        .is_none()
    );
    let p = app
        .get_json(
            &format!("{BASE}/job-postings/{posting}"),
            &h.recruiter.token,
        )
        .await;
    assert_eq!(p["applicants"], 0);
}

/// A certificate of `who` stored as the certificates module issues it.
async fn certificate_of(
    app: &TestApp,
    h: &Hiring,
    exam: Uuid,
    who: &TestUser,
    title: &str,
    published: bool,
    revoked: bool,
) -> Uuid {
    let now = app.state.now();
    let id = Uuid::now_v7();
    invigil_store::certificates::insert(
        app.db().write(),
        invigil_store::certificates::Certificate {
            id,
            org_id: h.company.id,
            exam_id: exam,
            user_id: who.id,
            session_id: Uuid::now_v7(),
            code: format!("CODE-{}", &id.simple().to_string()[20..]),
            title: title.into(),
            holder_name: "Ann".into(),
            score: 2.0,
            max_score: 2.0,
            percent: 100.0,
            skills: "[]".into(),
            issued_at: now,
            valid_until: None,
            revoked_at: revoked.then_some(now),
            revoked_by: None,
            revoke_reason: None,
            published,
            updated_at: now,
        },
    )
    .await
    .unwrap();
    id
}

async fn the_company_sees_the_applicants_profile_and_published_certificates(app: TestApp) {
    let h = hiring(&app).await;
    let posting = open_posting(&app, &h).await;
    let ann = apply(&app, &h.applicant, posting).await;
    let url = format!(
        "{BASE}/job-postings/{posting}/applicants/{}",
        ann["id"].as_str().unwrap()
    );
    app.patch_json(
        "/api/v1/me",
        &h.applicant.token,
        &json!({"bio": "Backend developer", "phone": "+44 20 7946 0000",
            "skills": ["Rust", "SQL"], "languages": ["en"], "location": "Leeds",
            "links": {"github": "https://github.com/ann"},
            "preferences": {"theme": "dark"}}),
    )
    .await
    .assert(200);
    let third = exam_in(&app, &h.company, h.recruiter.id, "ACTIVE").await;
    let shown = certificate_of(&app, &h, h.exam, &h.applicant, "Rust basics", true, false).await;
    certificate_of(
        &app,
        &h,
        h.draft_exam,
        &h.applicant,
        "Private",
        false,
        false,
    )
    .await;
    certificate_of(&app, &h, third, &h.applicant, "Revoked", true, true).await;
    certificate_of(&app, &h, h.exam, &h.applicant2, "Bob's", true, false).await;
    let v = app.get_json(&url, &h.recruiter.token).await;
    let p = &v["profile"];
    assert_eq!(p["bio"], "Backend developer", "{v}");
    assert_eq!(p["skills"], json!(["Rust", "SQL"]));
    assert_eq!(p["location"], "Leeds");
    assert_eq!(p["github"], "https://github.com/ann");
    // Never the phone number or the preferences.
    let text = v.to_string();
    assert!(!text.contains("7946") && !text.contains("dark"), "{text}");
    let certs = v["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 1, "{v}");
    assert_eq!(certs[0]["id"], shown.to_string());
    assert_eq!(certs[0]["title"], "Rust basics");
    assert!(
        certs[0]["verify_url"]
            .as_str()
            .unwrap()
            .contains("/certificates/CODE-")
    );
}

both!(
    postings_validate_publish_close,
    an_institution_has_no_job_postings,
    applying_enrolls_once_and_refuses_bad_requests,
    the_hiring_visibility_matrix,
    erasure_forgets_applications_and_views,
    the_company_sees_the_applicants_profile_and_published_certificates,
);
