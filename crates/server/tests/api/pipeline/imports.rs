//! Imports never stall the exam, and an interrupted one leaves nothing.

use invigil_store::tenancy::Organization;

use super::*;
use crate::common::TestUser;

// ---- 14: imports never stall the exam ----

/// An EXAM_AUTHOR of `org` (`author@acme.org`) and a DRAFT bank of theirs
/// titled `title`, created through the API.
async fn author_and_bank(app: &TestApp, org: &Organization, title: &str) -> (TestUser, Uuid) {
    let author = app
        .member(
            org,
            "author@acme.org",
            &[invigil_domain::identity::Role::ExamAuthor],
        )
        .await;
    let r = app
        .post_json(
            "/api/v1/orgs/acme/question-banks",
            &author.token,
            &json!({ "title": title }),
        )
        .await;
    r.assert(201);
    let bank: Uuid = r.json()["id"].as_str().unwrap().parse().unwrap();
    (author, bank)
}

async fn large_import_is_chunked_and_lets_saves_through(app: TestApp) {
    use invigil_server::content::transfer::IMPORT_CHUNK;
    let s = setup_with(&app, ExamOpts::default()).await;
    let (author, bank) = author_and_bank(&app, &s.org, "Big import").await;
    let n = 8 * IMPORT_CHUNK + 17;
    let gift: String = (0..n)
        .map(|i| format!("::q{i}:: Is {i} a number? {{T}}\n\n"))
        .collect();

    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sa = qid(&body, "short_answer");
    let done = std::sync::atomic::AtomicBool::new(false);
    let (app_ref, done_ref, token) = (&app, &done, &author.token);
    let import = async move {
        let r = app_ref
            .post(&format!(
                "/api/v1/orgs/acme/question-banks/{bank}/import?format=gift"
            ))
            .token(token)
            .body("text/plain", gift)
            .send()
            .await;
        done_ref.store(true, std::sync::atomic::Ordering::SeqCst);
        r
    };
    let (org_id, t) = (s.org.id, &s.candidate.token);
    let (sid_ref, sa_ref) = (&sid, &sa);
    let saves = async move {
        // Saves acknowledged while the import was part-way written (SQLite:
        // chunks; PostgreSQL: one transaction, which never blocks saves).
        let mut interleaved = 0;
        let mut during = 0;
        let mut rev = 0;
        while !done_ref.load(std::sync::atomic::Ordering::SeqCst) {
            rev += 1;
            save(
                app_ref,
                t,
                sid_ref,
                sa_ref,
                json!({"text": format!("r{rev}")}),
                rev,
            )
            .await
            .assert(200);
            let c = invigil_store::content::count_active(app_ref.db().read(), org_id, bank)
                .await
                .unwrap();
            if c > 0 && c < u64::try_from(n).unwrap() {
                interleaved += 1;
            }
            during += 1;
        }
        (interleaved, during)
    };
    let (r, (interleaved, during)) = tokio::join!(import, saves);
    r.assert(200);
    assert_eq!(r.json()["imported"], n);
    assert_eq!(
        invigil_store::content::count_active(app.db().read(), org_id, bank)
            .await
            .unwrap(),
        u64::try_from(n).unwrap()
    );
    if app.backend == "sqlite" {
        assert!(
            interleaved > 0,
            "no save was acknowledged between the import's chunks"
        );
    } else {
        assert!(during > 0, "no save was acknowledged during the import");
    }
    let audits = app.audit_actions(&s.org).await;
    assert_eq!(
        audits.iter().filter(|a| *a == "bank.imported").count(),
        1,
        "{audits:?}"
    );
}

async fn interrupted_import_leaves_nothing(app: TestApp) {
    use invigil_server::content::transfer::IMPORT_CHUNK;
    let org = app.org("acme").await;
    let (author, bank) = author_and_bank(&app, &org, "Interrupted").await;
    let n = 40 * IMPORT_CHUNK;
    let gift: String = (0..n)
        .map(|i| format!("::q{i}:: Is {i} a number? {{T}}\n\n"))
        .collect();
    let req = Request::post(format!(
        "/api/v1/orgs/acme/question-banks/{bank}/import?format=gift"
    ))
    .header("authorization", format!("Bearer {}", author.token))
    .header("content-type", "text/plain")
    .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        40000,
    ))))
    .body(Body::from(gift))
    .unwrap();
    let count = || invigil_store::content::count_active(app.db().read(), org.id, bank);
    // The request goes away (a timeout, a closed connection) part-way: on
    // SQLite after some chunks were committed; on PostgreSQL (one
    // transaction) once that transaction has written questions (seen in
    // pg_stat_activity: not a fixed sleep, which a fast machine outran).
    let import = app.router.clone().oneshot(req);
    let sqlite = app.backend == "sqlite";
    tokio::select! {
        r = import => panic!("the import finished first: {}", r.unwrap().status()),
        () = async {
            if sqlite {
                while count().await.unwrap() == 0 {
                    tokio::time::sleep(StdDuration::from_millis(2)).await;
                }
            } else {
                while !import_transaction_has_written(&app).await {
                    tokio::time::sleep(StdDuration::from_millis(2)).await;
                }
            }
        } => {}
    }
    // What it wrote is deleted again.
    let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
    while count().await.unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the partial import stayed"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert!(
        !app.audit_actions(&org)
            .await
            .contains(&"bank.imported".to_owned())
    );
}

/// PostgreSQL: another connection of this test's database is inside a
/// transaction that has written (it has a transaction id) and whose last
/// statement inserts questions or their versions.
async fn import_transaction_has_written(app: &TestApp) -> bool {
    use sea_orm::ConnectionTrait;
    let conn = app.db().read();
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND backend_xid IS NOT NULL AND query LIKE 'INSERT INTO \"question%'"
                .to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() > 0
}

both!(
    large_import_is_chunked_and_lets_saves_through,
    interrupted_import_leaves_nothing,
);
