//! Certificates (issue 16 item 4), on both backends: issuance when results
//! are released (pass: one, fail: none, confirmed violation: none, twice:
//! still one), automatic revoke and reinstatement by later decisions, the
//! public verification (nothing personal unless published), the holder's
//! publish toggle and PDF, the staff's list and revoke, expiry.

mod exam_card;

use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};
use invigil_domain::identity::Role;
use invigil_store::tenancy::Organization;

use crate::both;
use crate::common::{TestApp, TestUser};
use crate::delivery::{ExamOpts, approved_bank, enroll, insert_exam};
use crate::review::{claim, decide, flag_session, start, submit};

const ACME: &str = "/api/v1/orgs/acme";

struct Fx {
    org: Organization,
    coordinator: TestUser,
    proctor: TestUser,
    exam: Uuid,
}

/// An exam of one true/false question (answer `true` passes with 100%,
/// `false` fails with 0%), opted in to certificates.
async fn fixture(app: &TestApp, setting: Value) -> Fx {
    let org = app.org("acme").await;
    let coordinator = app
        .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
        .await;
    let proctor = app
        .member(&org, "proctor@acme.org", &[Role::ProctorReviewer])
        .await;
    let input: QuestionInput = serde_json::from_value(json!({"type": "true_false", "text": "Sky is blue", "correct_answer": {"value": true}, "points": 1})).unwrap();
    let bank = approved_bank(app, &org, coordinator.id, &[validate(input).unwrap()]).await;
    let exam = insert_exam(app, &org, bank, coordinator.id, &ExamOpts::default()).await;
    app.put_json(
        &format!("{ACME}/exams/{exam}/certificate"),
        &coordinator.token,
        &setting,
    )
    .await
    .assert(200);
    Fx {
        org,
        coordinator,
        proctor,
        exam,
    }
}

fn enabled() -> Value {
    json!({"enabled": true, "title": "Certified sky watcher", "show_score": true})
}

/// A candidate who took the exam answering `answer`; returns the session.
async fn sat(app: &TestApp, fx: &Fx, email: &str, answer: bool) -> (TestUser, Uuid) {
    let who = app.member(&fx.org, email, &[Role::Candidate]).await;
    enroll(app, &fx.org, fx.exam, who.id, None).await;
    let sid = take(app, fx, &who, answer).await;
    (who, sid)
}

async fn take(app: &TestApp, fx: &Fx, who: &TestUser, answer: bool) -> Uuid {
    let sid = start(app, fx.exam, who).await;
    let body = app
        .get_json(&format!("/api/v1/sessions/{sid}"), &who.token)
        .await;
    let q = body["questions"][0]["id"].as_str().unwrap().to_owned();
    app.put_json(
        &format!("/api/v1/sessions/{sid}/answers/{q}"),
        &who.token,
        &json!({"response": {"value": answer}, "revision": 1}),
    )
    .await
    .assert(200);
    submit(app, sid, who).await;
    sid
}

async fn release(app: &TestApp, fx: &Fx) {
    app.post_as(
        &format!("{ACME}/exams/{}/release-results", fx.exam),
        &fx.coordinator.token,
    )
    .await
    .assert(200);
}

async fn mine(app: &TestApp, who: &TestUser) -> Vec<Value> {
    app.get_json("/api/v1/me/certificates", &who.token).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn staff_list(app: &TestApp, fx: &Fx, query: &str) -> Vec<Value> {
    app.get_json(
        &format!("{ACME}/certificates{query}"),
        &fx.coordinator.token,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn count(actions: &[String], name: &str) -> usize {
    actions.iter().filter(|a| *a == name).count()
}

async fn issued_on_release_once(app: TestApp) {
    let fx = fixture(&app, enabled()).await;
    let (pass, _) = sat(&app, &fx, "pass@acme.org", true).await;
    let (fail, _) = sat(&app, &fx, "fail@acme.org", false).await;
    // Nothing before the release.
    assert!(mine(&app, &pass).await.is_empty());
    release(&app, &fx).await;
    let certs = mine(&app, &pass).await;
    assert_eq!(certs.len(), 1, "{certs:?}");
    let c = &certs[0];
    assert_eq!(c["title"], "Certified sky watcher");
    assert_eq!(c["status"], "VALID");
    assert_eq!(c["published"], false);
    assert_eq!(c["percent"], 100.0);
    assert_eq!(c["holder_name"], "pass");
    assert_eq!(c["valid_until"], Value::Null);
    let code = c["code"].as_str().unwrap();
    assert_eq!(code.len(), 14, "{code}");
    assert!(
        c["verification_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/certificates/{code}"))
    );
    assert!(mine(&app, &fail).await.is_empty());
    // A second release changes nothing: still one certificate, one entry.
    release(&app, &fx).await;
    assert_eq!(mine(&app, &pass).await.len(), 1);
    assert_eq!(mine(&app, &pass).await[0]["code"], code);
    let actions = app.audit_actions(&fx.org).await;
    assert_eq!(count(&actions, "certificate.issued"), 1, "{actions:?}");
    // The holder was told (the mail outbox).
    assert!(
        app.mails_to("pass@acme.org")
            .await
            .iter()
            .any(|m| m.subject.contains("Certified sky watcher")),
    );
    // A failed attempt then a passing one: the best attempt earns it.
    let later = app
        .member(&fx.org, "second@acme.org", &[Role::Candidate])
        .await;
    enroll(&app, &fx.org, fx.exam, later.id, None).await;
    take(&app, &fx, &later, false).await;
    release(&app, &fx).await;
    assert!(mine(&app, &later).await.is_empty());
    take(&app, &fx, &later, true).await;
    release(&app, &fx).await;
    assert_eq!(mine(&app, &later).await.len(), 1);
}

async fn exams_not_opted_in_issue_nothing(app: TestApp) {
    let fx = fixture(&app, json!({"enabled": false})).await;
    let (pass, _) = sat(&app, &fx, "pass@acme.org", true).await;
    release(&app, &fx).await;
    assert!(mine(&app, &pass).await.is_empty());
    // Opting in after the release issues to those who already earned it.
    app.put_json(
        &format!("{ACME}/exams/{}/certificate", fx.exam),
        &fx.coordinator.token,
        &json!({"enabled": true, "valid_for_days": 30}),
    )
    .await
    .assert(200);
    let certs = mine(&app, &pass).await;
    assert_eq!(certs.len(), 1);
    // The title defaults to the exam's.
    assert_eq!(certs[0]["title"], "Exam");
    assert!(certs[0]["valid_until"].is_string());
    let got = app
        .get_json(
            &format!("{ACME}/exams/{}/certificate", fx.exam),
            &fx.coordinator.token,
        )
        .await;
    assert_eq!(
        got,
        json!({"enabled": true, "title": null, "valid_for_days": 30, "show_score": false})
    );
}

async fn setting_input_is_checked(app: TestApp) {
    let fx = fixture(&app, enabled()).await;
    let url = format!("{ACME}/exams/{}/certificate", fx.exam);
    let r = app
        .put_json(
            &url,
            &fx.coordinator.token,
            &json!({"enabled": true, "valid_for_days": 0, "title": "x".repeat(201)}),
        )
        .await;
    let v = r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "valid_for_days"]);
    app.put_json(
        &url,
        &fx.coordinator.token,
        &json!({"enabled": true, "colour": "red"}),
    )
    .await
    .assert(422);
    app.put_json(&url, &fx.coordinator.token, &json!({"enabled": "yes"}))
        .await
        .assert(422);
    // A member without the right: 403; another organization's exam: 404.
    app.put_json(&url, &fx.proctor.token, &json!({"enabled": true}))
        .await
        .assert_problem(403, "forbidden");
    app.put_json(
        &format!("{ACME}/exams/{}/certificate", Uuid::now_v7()),
        &fx.coordinator.token,
        &json!({"enabled": true}),
    )
    .await
    .assert_problem(404, "not_found");
    // Unchanged.
    let got = app.get_json(&url, &fx.coordinator.token).await;
    assert_eq!(got["title"], "Certified sky watcher");
}

async fn violation_confirmed_gets_none_and_later_decisions_revoke(app: TestApp) {
    let fx = fixture(&app, enabled()).await;
    // Flagged: withheld at release, confirmed: never a certificate.
    let (bad, bad_sid) = sat(&app, &fx, "bad@acme.org", true).await;
    flag_session(&app, fx.org.id, bad_sid, 50).await;
    // Flagged, then cleared: earns it at the decision.
    let (ok, ok_sid) = sat(&app, &fx, "ok@acme.org", true).await;
    flag_session(&app, fx.org.id, ok_sid, 50).await;
    release(&app, &fx).await;
    assert!(mine(&app, &bad).await.is_empty());
    assert!(mine(&app, &ok).await.is_empty());
    claim(&app, bad_sid, &fx.proctor).await.assert(200);
    decide(
        &app,
        bad_sid,
        &fx.proctor,
        "VIOLATION_CONFIRMED",
        "phone on the desk",
    )
    .await
    .assert(200);
    assert!(mine(&app, &bad).await.is_empty());
    claim(&app, ok_sid, &fx.proctor).await.assert(200);
    decide(
        &app,
        ok_sid,
        &fx.proctor,
        "CLEARED",
        "a cat on the keyboard",
    )
    .await
    .assert(200);
    let certs = mine(&app, &ok).await;
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0]["status"], "VALID");
    // QA reopens the decision: the certificate stands until a new one.
    let qa = app
        .member(&fx.org, "qa@acme.org", &[Role::QualityAssurance])
        .await;
    app.post_json(
        &format!("{ACME}/sessions/{ok_sid}/reopen"),
        &qa.token,
        &json!({"reason": "look again at minute 12"}),
    )
    .await
    .assert(200);
    assert_eq!(mine(&app, &ok).await[0]["status"], "VALID");
    claim(&app, ok_sid, &fx.proctor).await.assert(200);
    decide(
        &app,
        ok_sid,
        &fx.proctor,
        "VIOLATION_CONFIRMED",
        "a second person at minute 12",
    )
    .await
    .assert(200);
    let certs = mine(&app, &ok).await;
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0]["status"], "REVOKED");
    assert!(
        certs[0]["revoke_reason"]
            .as_str()
            .unwrap()
            .contains("violation")
    );
    let actions = app.audit_actions(&fx.org).await;
    assert_eq!(count(&actions, "certificate.issued"), 1, "{actions:?}");
    assert_eq!(count(&actions, "certificate.revoked"), 1, "{actions:?}");
}

fn code_of(v: &Value) -> String {
    v["code"].as_str().unwrap().to_owned()
}

async fn public_verification_shows_only_what_is_published(app: TestApp) {
    let fx = fixture(&app, enabled()).await;
    let (pass, _) = sat(&app, &fx, "pass@acme.org", true).await;
    let (other, _) = sat(&app, &fx, "other@acme.org", true).await;
    release(&app, &fx).await;
    let c = mine(&app, &pass).await.remove(0);
    let code = code_of(&c);
    let id = c["id"].as_str().unwrap().to_owned();
    // Unpublished: the code is valid, its status, nothing personal.
    let r = app
        .get(&format!("/api/v1/certificates/{code}"))
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["status"], "VALID");
    assert_eq!(v["published"], false);
    for k in [
        "holder_name",
        "title",
        "organization",
        "issued_at",
        "percent",
        "pdf_url",
    ] {
        assert_eq!(v[k], Value::Null, "{k}: {v}");
    }
    assert!(!r.text().contains("pass"), "{}", r.text());
    app.get(&format!("/api/v1/certificates/{code}/pdf"))
        .send()
        .await
        .assert_problem(404, "not_found");
    // Unknown and malformed codes: 404 alike.
    for bad in ["ABCD-EFGH-JKMN", "nope", "ABCD-EFGH-JKM0", "%2e%2e"] {
        app.get(&format!("/api/v1/certificates/{bad}"))
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    // Someone else cannot publish it (404), nor read or download it.
    app.patch_json(
        &format!("/api/v1/me/certificates/{id}"),
        &other.token,
        &json!({"published": true}),
    )
    .await
    .assert_problem(404, "not_found");
    app.get_as(&format!("/api/v1/me/certificates/{id}/pdf"), &other.token)
        .await
        .assert_problem(404, "not_found");
    // Bad bodies change nothing.
    app.patch_json(
        &format!("/api/v1/me/certificates/{id}"),
        &pass.token,
        &json!({"published": "yes"}),
    )
    .await
    .assert(422);
    app.patch_json(
        &format!("/api/v1/me/certificates/{id}"),
        &pass.token,
        &json!({"published": true, "holder_name": "Someone"}),
    )
    .await
    .assert(422);
    assert_eq!(mine(&app, &pass).await[0]["published"], false);
    // The holder publishes: name, title, organization, dates, score.
    let r = app
        .patch_json(
            &format!("/api/v1/me/certificates/{id}"),
            &pass.token,
            &json!({"published": true}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["published"], true);
    let v = app
        .get(&format!("/api/v1/certificates/{}", code.to_lowercase()))
        .send()
        .await
        .json();
    assert_eq!(v["published"], true);
    assert_eq!(v["holder_name"], "pass");
    assert_eq!(v["title"], "Certified sky watcher");
    assert_eq!(v["organization"], fx.org.name);
    assert_eq!(v["percent"], 100.0);
    assert_eq!(v["pdf_url"], format!("/api/v1/certificates/{code}/pdf"));
    // The PDF: a PDF, the font embedded, the code in it.
    for r in [
        app.get(&format!("/api/v1/certificates/{code}/pdf"))
            .send()
            .await,
        app.get_as(&format!("/api/v1/me/certificates/{id}/pdf"), &pass.token)
            .await,
    ] {
        r.assert(200);
        assert_eq!(r.header("content-type"), Some("application/pdf"));
        assert!(r.body.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&r.body);
        assert!(text.contains("FontFile2"), "no embedded TrueType font");
        assert!(text.contains(&code), "the code is not in the PDF");
    }
    // Unpublishing hides it again; one audit entry per change.
    app.patch_json(
        &format!("/api/v1/me/certificates/{id}"),
        &pass.token,
        &json!({"published": false}),
    )
    .await
    .assert(200);
    let v = app
        .get(&format!("/api/v1/certificates/{code}"))
        .send()
        .await
        .json();
    assert_eq!(v["holder_name"], Value::Null);
    let actions = app.audit_actions(&fx.org).await;
    assert_eq!(
        count(&actions, "certificate.publication_changed"),
        2,
        "{actions:?}"
    );
}

async fn staff_list_revoke_and_expiry(app: TestApp) {
    let fx = fixture(&app, json!({"enabled": true, "valid_for_days": 10})).await;
    let (a, _) = sat(&app, &fx, "a@acme.org", true).await;
    let (b, _) = sat(&app, &fx, "b@acme.org", true).await;
    release(&app, &fx).await;
    let all = staff_list(&app, &fx, "").await;
    assert_eq!(all.len(), 2);
    let by_exam = staff_list(&app, &fx, &format!("?exam_id={}", fx.exam)).await;
    assert_eq!(by_exam.len(), 2);
    assert!(
        staff_list(&app, &fx, &format!("?exam_id={}", Uuid::now_v7()))
            .await
            .is_empty()
    );
    // Paging.
    let page = app
        .get_json(
            &format!("{ACME}/certificates?limit=1"),
            &fx.coordinator.token,
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let next = page["next_cursor"].as_str().unwrap();
    let page2 = app
        .get_json(
            &format!("{ACME}/certificates?limit=1&cursor={next}"),
            &fx.coordinator.token,
        )
        .await;
    assert_ne!(page2["items"][0]["id"], page["items"][0]["id"]);
    app.get_as(
        &format!("{ACME}/certificates?status=GONE"),
        &fx.coordinator.token,
    )
    .await
    .assert_problem(422, "validation_failed");
    app.get_as(
        &format!("{ACME}/certificates?limit=501"),
        &fx.coordinator.token,
    )
    .await
    .assert(422);
    // Candidates and proctors may not list: 403.
    app.get_as(&format!("{ACME}/certificates"), &a.token)
        .await
        .assert_problem(403, "forbidden");
    // Another organization's coordinator sees none of them, revokes none.
    let other = app.org("other").await;
    let coord2 = app
        .member(&other, "coord@other.org", &[Role::ExamCoordinator])
        .await;
    let theirs = app
        .get_json("/api/v1/orgs/other/certificates", &coord2.token)
        .await;
    assert!(theirs["items"].as_array().unwrap().is_empty());
    let a_cert = mine(&app, &a).await.remove(0);
    let a_id = a_cert["id"].as_str().unwrap().to_owned();
    app.post_json(
        &format!("/api/v1/orgs/other/certificates/{a_id}/revoke"),
        &coord2.token,
        &json!({"reason": "mine now"}),
    )
    .await
    .assert_problem(404, "not_found");
    // Revoke: a reason is required, once.
    let url = format!("{ACME}/certificates/{a_id}/revoke");
    app.post_json(&url, &fx.coordinator.token, &json!({"reason": "  "}))
        .await
        .assert_problem(422, "validation_failed");
    app.post_json(&url, &fx.coordinator.token, &json!({"reason": "a\u{1}b"}))
        .await
        .assert(422);
    assert_eq!(mine(&app, &a).await[0]["status"], "VALID");
    let r = app
        .post_json(
            &url,
            &fx.coordinator.token,
            &json!({"reason": "issued in error"}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "REVOKED");
    assert_eq!(r.json()["revoke_reason"], "issued in error");
    app.post_json(&url, &fx.coordinator.token, &json!({"reason": "again"}))
        .await
        .assert_problem(409, "conflict");
    assert!(
        app.mails_to("a@acme.org")
            .await
            .iter()
            .any(|m| m.body.contains("issued in error"))
    );
    // Published, the revoked certificate verifies as REVOKED and offers no
    // PDF; its public PDF is gone (the holder still has their copy).
    let a_code = code_of(&mine(&app, &a).await[0]);
    app.patch_json(
        &format!("/api/v1/me/certificates/{a_id}"),
        &a.token,
        &json!({"published": true}),
    )
    .await
    .assert(200);
    let v = app
        .get(&format!("/api/v1/certificates/{a_code}"))
        .send()
        .await
        .json();
    assert_eq!(v["status"], "REVOKED");
    assert!(v["pdf_url"].is_null(), "{v}");
    app.get(&format!("/api/v1/certificates/{a_code}/pdf"))
        .send()
        .await
        .assert_problem(404, "not_found");
    let page = app
        .get(&format!("/certificates/{a_code}"))
        .send()
        .await
        .text();
    assert!(page.contains("REVOKED"), "{page}");
    assert!(!page.contains("/pdf"), "{page}");
    // A later release does not reinstate a revoke by staff.
    release(&app, &fx).await;
    assert_eq!(mine(&app, &a).await[0]["status"], "REVOKED");
    let revoked = staff_list(&app, &fx, "?status=REVOKED").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["id"], a_id.as_str());
    assert_eq!(staff_list(&app, &fx, "?status=VALID").await.len(), 1);
    // Expiry: computed at read time from valid_until.
    let b_code = code_of(&mine(&app, &b).await[0]);
    app.clock.advance(Duration::days(11));
    // Sign-in sessions expire too: sign in again after the jump.
    let b = TestUser {
        token: app.fresh_token(&b).await,
        ..b
    };
    let coordinator = app.fresh_token(&fx.coordinator).await;
    let fx = Fx {
        coordinator: TestUser {
            token: coordinator,
            ..fx.coordinator
        },
        ..fx
    };
    assert_eq!(mine(&app, &b).await[0]["status"], "EXPIRED");
    let v = app
        .get(&format!("/api/v1/certificates/{b_code}"))
        .send()
        .await
        .json();
    assert_eq!(v["status"], "EXPIRED");
    assert_eq!(staff_list(&app, &fx, "?status=EXPIRED").await.len(), 1);
    assert!(staff_list(&app, &fx, "?status=VALID").await.is_empty());
}

async fn erasure_keeps_the_record_but_not_the_name(app: TestApp) {
    let fx = fixture(&app, enabled()).await;
    let (pass, _) = sat(&app, &fx, "pass@acme.org", true).await;
    release(&app, &fx).await;
    let c = mine(&app, &pass).await.remove(0);
    let id = c["id"].as_str().unwrap().to_owned();
    app.patch_json(
        &format!("/api/v1/me/certificates/{id}"),
        &pass.token,
        &json!({"published": true}),
    )
    .await
    .assert(200);
    invigil_store::certificates::erase_person(app.db().write(), pass.id)
        .await
        .unwrap();
    let v = app
        .get(&format!("/api/v1/certificates/{}", code_of(&c)))
        .send()
        .await
        .json();
    assert_eq!(v["published"], false);
    assert_eq!(v["status"], "VALID");
    let listed = staff_list(&app, &fx, "").await;
    assert_eq!(listed[0]["holder_name"], "Erased user");
}

both!(
    issued_on_release_once,
    exams_not_opted_in_issue_nothing,
    setting_input_is_checked,
    violation_confirmed_gets_none_and_later_decisions_revoke,
    public_verification_shows_only_what_is_published,
    staff_list_revoke_and_expiry,
    erasure_keeps_the_record_but_not_the_name,
);
