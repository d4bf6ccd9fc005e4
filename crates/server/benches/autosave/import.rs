//! The "during import" mode: a GIFT file of a given size imported through
//! the real router while the clients save.

use super::*;

/// How the import of the "during import" mode went.
pub(super) struct ImportRun {
    pub(super) bytes: usize,
    pub(super) questions: usize,
    pub(super) status: u16,
    pub(super) took: Duration,
}

/// A GIFT file of about `bytes` bytes of multiple-choice questions.
pub(super) fn gift_of_size(bytes: usize) -> (String, usize) {
    let mut out = String::with_capacity(bytes);
    let mut n = 0;
    loop {
        let q = format!(
            "::Item {n}:: Which statement about item {n} of the imported load-test bank holds? \
             The stem is padded to look like a real question of a few lines. {{\n\
             =The first statement holds\n~The second statement holds\n\
             ~The third statement holds\n~None of them holds\n}}\n\n"
        );
        if out.len() + q.len() > bytes {
            break;
        }
        out.push_str(&q);
        n += 1;
    }
    (out, n)
}

/// An exam author (signed in) and a DRAFT bank to import into.
pub(super) async fn import_target(
    state: &AppState,
    org_id: Uuid,
) -> anyhow::Result<(String, Uuid)> {
    use invigil_domain::identity::Role;
    use invigil_store::identity::{AccountStatus, users};
    let now = state.now();
    let tx = state.db.begin().await?;
    let user = users::create(
        &tx,
        users::NewUser {
            email: format!("importer-{}@load.invigil.test", Uuid::now_v7().simple()),
            name: "Load Importer".into(),
            status: AccountStatus::Active,
            password_hash: None,
            is_super_admin: false,
            email_verified: true,
        },
        now,
    )
    .await?;
    invigil_store::tenancy::ensure_member(&tx, org_id, user.id, now).await?;
    invigil_store::tenancy::add_roles(&tx, org_id, user.id, &[(Role::ExamAuthor, None)], now)
        .await?;
    let (_, tokens) = invigil_server::identity::service::open_session(
        &tx,
        &user,
        &invigil_server::http::auth::ClientInfo::default(),
        None,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("sign in the importer: {e}"))?;
    let bank = invigil_store::content::create_bank(
        &tx,
        org_id,
        invigil_store::content::NewBank {
            title: "Load: import".into(),
            description: None,
            tags: vec![],
            department_id: None,
            author_id: user.id,
        },
        invigil_domain::content::BankStatus::Draft,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((tokens.access_token, bank.id))
}

/// Sends the import through the real router (in process, with its request
/// timeout) and times it.
pub(super) async fn run_import(
    router: axum::Router,
    org_slug: String,
    bank: Uuid,
    token: String,
    text: String,
    questions: usize,
) -> anyhow::Result<ImportRun> {
    use tower::ServiceExt;
    let bytes = text.len();
    let req = axum::http::Request::post(format!(
        "/api/v1/orgs/{org_slug}/question-banks/{bank}/import?format=gift"
    ))
    .header("authorization", format!("Bearer {token}"))
    .header("content-type", "text/plain")
    .extension(axum::extract::ConnectInfo(SocketAddr::from((
        [127, 0, 0, 1],
        40000,
    ))))
    .body(axum::body::Body::from(text))?;
    let started = Instant::now();
    let resp = router.oneshot(req).await?;
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await?;
    let took = started.elapsed();
    if status != 200 {
        eprintln!(
            "  import answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(ImportRun {
        bytes,
        questions,
        status,
        took,
    })
}
