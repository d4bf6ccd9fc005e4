//! Password rules on every path.

use super::*;

// ---- point 10: password rules on every path

async fn weak_passwords_are_refused_everywhere(app: TestApp) {
    let u = app.user("rules@example.org").await;
    let bad = [
        "aaaaaaaaaaaa",
        "            ",
        "violet\u{0}kettle",
        "violet\tkettle",
        "violet\u{7f}kettle",
    ];
    for p in bad {
        let v = app
            .post_json(
                "/api/v1/me/password",
                &u.token,
                &json!({ "current_password": PASSWORD, "new_password": p }),
            )
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "new_password", "{p:?}: {v}");
    }
    // The same password again.
    let v = app
        .post_json(
            "/api/v1/me/password",
            &u.token,
            &json!({ "current_password": PASSWORD, "new_password": PASSWORD }),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "new_password");
    assert!(s(&v["errors"][0], "message").contains("current"), "{v}");
    // Reset: compared with the stored hash; the link survives a refusal.
    app.post("/api/v1/auth/password-reset")
        .json(&json!({ "email": "rules@example.org" }))
        .send()
        .await
        .assert(202);
    let token = app.mailed_token("rules@example.org").await;
    for p in [PASSWORD, "zzzzzzzzzz", "pass\u{1b}word-x1"] {
        let v = app
            .post("/api/v1/auth/password-reset/confirm")
            .json(&json!({ "token": token, "new_password": p }))
            .send()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "new_password", "{p:?}: {v}");
    }
    assert!(app.token_works(&u.token).await, "nothing changed");
    app.post("/api/v1/auth/password-reset/confirm")
        .json(&json!({ "token": token, "new_password": NEW_PASSWORD }))
        .send()
        .await
        .assert(204);
    // A new person accepting an invitation.
    let org = app.org("pw").await;
    let admin = app
        .member(&org, "admin@pw.example", &[Role::OrgAdmin])
        .await;
    invite(
        &app,
        &admin.token,
        "pw",
        "np@example.org",
        json!(["CANDIDATE"]),
    )
    .await;
    let token = app.mailed_token("np@example.org").await;
    // A new person must give a name.
    let v = app
        .post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "password": NEW_PASSWORD }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "name", "{v}");
    for p in ["11111111", "\n\n\n\n\n\n\n\n", "        "] {
        let v = app
            .post("/api/v1/auth/accept-invitation")
            .json(&json!({ "token": token, "name": "N P", "password": p }))
            .send()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "password", "{p:?}: {v}");
    }
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "N P", "password": NEW_PASSWORD }))
        .send()
        .await
        .assert(200);
}

both!(weak_passwords_are_refused_everywhere,);
