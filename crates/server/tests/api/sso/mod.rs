//! Single sign-on against a real OpenID Provider (`oidc-provider` run by
//! `browser-tests/lib/oidc-op.mjs` on loopback: real HTTP, discovery, JWKS
//! and signed JWTs) and self sign-up, through the real router on both
//! backends.

mod signup;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use chrono::Duration;
use serde_json::{Value, json};

use invigil_domain::identity::Role;
use invigil_store::tenancy::Organization;

use crate::both;
use crate::common::{TestApp, TestUser};
use invigil_testkit::browser::Browser;

pub const CLIENT_ID: &str = "invigil-test";
pub const CLIENT_SECRET: &str = "invigil-test-secret-0123456789";

/// The provider process; killed when dropped.
pub struct Op {
    child: Child,
    pub issuer: String,
}

impl Drop for Op {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn browser_tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../browser-tests")
}

/// How long the provider may take to say it listens before it is started
/// again, and how often.
const OP_START_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
const OP_START_TRIES: usize = 3;
/// The longest a test waits for one answer of the provider.
const OP_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Starts the provider for `app`'s redirect URIs of `slugs`. `None` (with
/// a note) only when its node modules are not installed and `CI` is unset.
/// A provider that has not said it listens within [`OP_START_WAIT`] is
/// killed and started again (at most [`OP_START_TRIES`] times), so a stuck
/// start fails the test with a reason instead of holding the run.
pub async fn start_op(app: &TestApp, slugs: &[&str]) -> Option<Op> {
    let dir = browser_tests_dir();
    if !dir.join("node_modules/oidc-provider").exists() {
        if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
            panic!(
                "browser-tests/node_modules/oidc-provider is missing on CI (run npm ci in browser-tests)"
            );
        }
        eprintln!("SKIPPED: the OpenID Provider is not installed (cd browser-tests && npm ci)");
        return None;
    }
    let base = app.state.config.public_base();
    let redirects: Vec<String> = slugs
        .iter()
        .map(|s| format!("{base}/sso/{s}/callback"))
        .collect();
    let mut said = Vec::new();
    for attempt in 1..=OP_START_TRIES {
        let mut child = Command::new("node")
            .current_dir(&dir)
            .args([
                "lib/oidc-op.mjs",
                "0",
                CLIENT_ID,
                CLIENT_SECRET,
                &redirects.join(","),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs");
        // The first line comes back through the channel. Whatever else the
        // provider prints, on either stream, is read here and passed on to
        // the test's stderr (its errors show up in the output), so the
        // provider never waits on a full pipe nor breaks on a closed one.
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok).unwrap_or_default();
            let _ = tx.send(first);
            for line in lines.map_while(Result::ok) {
                eprintln!("oidc-op: {line}");
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("oidc-op: {line}");
            }
        });
        let mut op = Op {
            child,
            issuer: String::new(),
        };
        match tokio::time::timeout(OP_START_WAIT, rx).await {
            Ok(Ok(line)) => match line.trim().strip_prefix("listening ") {
                Some(issuer) => {
                    op.issuer = issuer.to_owned();
                    return Some(op);
                }
                None => said.push(format!("attempt {attempt}: said {line:?}")),
            },
            Ok(Err(_)) => said.push(format!("attempt {attempt}: ended without a word")),
            Err(_) => {
                eprintln!(
                    "oidc-op did not say it listens within {OP_START_WAIT:?} (attempt {attempt}); started again"
                );
                said.push(format!("attempt {attempt}: silent for {OP_START_WAIT:?}"));
            }
        }
        // `op` is dropped here: the provider is killed and reaped.
    }
    panic!("the OpenID Provider did not start: {}", said.join("; "));
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(OP_ANSWER_WAIT)
        .build()
        .unwrap()
}

/// An ORG_ADMIN configures SSO of `org` for the provider.
pub async fn configure(app: &TestApp, org: &Organization, admin: &TestUser, op: &Op) -> Value {
    let r = app
        .put_json(
            &format!("/api/v1/orgs/{}/sso", org.slug),
            &admin.token,
            &json!({"issuer_url": op.issuer, "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET, "display_name": "Test IdP", "enabled": true}),
        )
        .await;
    r.assert(200);
    r.json()
}

pub async fn open_sign_up(app: &TestApp, org: &Organization, admin: &TestUser, domains: Value) {
    app.put_json(
        &format!("/api/v1/orgs/{}/sign-up-settings", org.slug),
        &admin.token,
        &json!({"enabled": true, "allowed_domains": domains}),
    )
    .await
    .assert(200);
}

/// How to meddle with the round trip.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    None,
    /// The authorization URL's nonce is replaced on its way to the provider.
    Nonce,
}

/// Starts the sign-in at `/sso/{slug}/start` in `browser`, signs `account`
/// in at the provider and returns the callback's path and query (not yet
/// followed).
pub async fn round_trip(
    app: &TestApp,
    browser: &mut Browser,
    slug: &str,
    account: &str,
    tamper: Tamper,
) -> String {
    let r = browser.get(app, &format!("/sso/{slug}/start")).await;
    assert_eq!(r.status, 303, "start: {}", r.text());
    let mut url = r.header("location").unwrap().to_owned();
    if tamper == Tamper::Nonce {
        let mut u = reqwest::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "nonce" {
                    "forged-nonce".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        url = u.to_string();
    }
    let client = http();
    let mut jar: BTreeMap<String, String> = BTreeMap::new();
    let base = app.state.config.public_base();
    for _ in 0..12 {
        if url.starts_with(&base) {
            return url[base.len()..].to_owned();
        }
        let mut target = reqwest::Url::parse(&url).unwrap();
        if target.path().starts_with("/interaction/") {
            target.query_pairs_mut().append_pair("account", account);
        }
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let resp = client
            .get(target.clone())
            .header("cookie", cookie)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {target} at the provider: {e}"));
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            if let Some((n, val)) = pair.split_once('=') {
                jar.insert(n.trim().to_owned(), val.to_owned());
            }
        }
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let Some(location) = location else {
            panic!("provider answered {status}: {}", resp.text().await.unwrap());
        };
        url = if location.starts_with('/') {
            let u = reqwest::Url::parse(&url).unwrap();
            format!("{}://{}{}", u.scheme(), u.authority(), location)
        } else {
            location
        };
    }
    panic!("too many redirects at the provider");
}

pub struct World {
    pub org: Organization,
    pub admin: TestUser,
    pub op: Op,
}

pub async fn world(app: &TestApp, slug: &str) -> Option<World> {
    let org = app.org(slug).await;
    let admin = app
        .member(&org, &format!("admin@{slug}.test"), &[Role::OrgAdmin])
        .await;
    let op = start_op(app, &[slug, "other"]).await?;
    configure(app, &org, &admin, &op).await;
    Some(World { org, admin, op })
}

/// The signed-in user of a browser, through `/api/v1/me`'s web twin.
async fn signed_in_email(app: &TestApp, b: &mut Browser) -> Option<String> {
    let r = b.get(app, "/me/exams").await;
    if r.status != 200 {
        return None;
    }
    let email_row = invigil_store::identity::sessions::authenticate(
        app.state.db.read(),
        &invigil_server::identity::crypto::hash_token(
            &b.cookies
                .iter()
                .find(|(n, _)| n == "invigil_session")
                .map(|(_, v)| v.clone())?,
        ),
        invigil_store::identity::TokenKind::Web,
        app.state.now(),
    )
    .await
    .unwrap()?;
    Some(email_row.user.email)
}

fn failures(actions: &[String]) -> usize {
    actions
        .iter()
        .filter(|a| *a == "auth.sso_login_failed")
        .count()
}

async fn good_login_creates_a_candidate(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    // Without open sign-up a person without an account is refused.
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "ada", Tamper::None).await;
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("does not accept sign-ups"));
    assert!(
        invigil_store::identity::users::by_email(app.state.db.read(), "ada@example.org")
            .await
            .unwrap()
            .is_none()
    );
    open_sign_up(&app, &w.org, &w.admin, json!([])).await;
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "ada", Tamper::None).await;
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/"));
    assert_eq!(
        signed_in_email(&app, &mut b).await.as_deref(),
        Some("ada@example.org")
    );
    let user = invigil_store::identity::users::by_email(app.state.db.read(), "ada@example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified_at.is_some());
    assert!(user.password_hash.is_none());
    assert_eq!(user.name, "Ada Lovelace");
    let roles = invigil_store::tenancy::roles_of(app.state.db.read(), w.org.id, user.id)
        .await
        .unwrap();
    assert_eq!(roles, vec![(Role::Candidate, None)]);
    // A second sign-in finds the linked account: no second user or link.
    let mut b2 = Browser::default();
    let cb = round_trip(&app, &mut b2, "acme", "ada", Tamper::None).await;
    b2.get(&app, &cb).await.assert(303);
    let links = invigil_store::sso::accounts_of(app.state.db.read(), user.id)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].provider, w.op.issuer);
    assert_eq!(links[0].provider_account_id, "ada");
    let actions = app.audit_actions(&w.org).await;
    assert_eq!(actions.iter().filter(|a| *a == "auth.sso_login").count(), 2);
    assert!(actions.iter().any(|a| a == "auth.sign_up"));
    assert_eq!(failures(&actions), 1);
}

async fn links_existing_account_by_verified_email(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    let grace = app
        .member(&w.org, "grace@example.org", &[Role::ExamAuthor])
        .await;
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "grace", Tamper::None).await;
    b.get(&app, &cb).await.assert(303);
    assert_eq!(
        signed_in_email(&app, &mut b).await.as_deref(),
        Some("grace@example.org")
    );
    let links = invigil_store::sso::accounts_of(app.state.db.read(), grace.id)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    // The roles are untouched: linking adds nothing.
    let roles = invigil_store::tenancy::roles_of(app.state.db.read(), w.org.id, grace.id)
        .await
        .unwrap();
    assert_eq!(roles, vec![(Role::ExamAuthor, None)]);
    let actions = app.audit_actions(&w.org).await;
    assert!(actions.iter().any(|a| a == "auth.sso_linked"));
    assert!(actions.iter().any(|a| a == "auth.sso_login"));
}

async fn unverified_email_is_refused(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    open_sign_up(&app, &w.org, &w.admin, json!([])).await;
    // alan has an account, but the provider did not verify the address: no
    // link, no sign-in.
    let alan = app.user("alan@example.org").await;
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "alan", Tamper::None).await;
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("has not verified your email address"));
    assert!(signed_in_email(&app, &mut b).await.is_none());
    assert!(
        invigil_store::sso::accounts_of(app.state.db.read(), alan.id)
            .await
            .unwrap()
            .is_empty()
    );
    // No email at all: refused as well.
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "noemail", Tamper::None).await;
    assert_eq!(b.get(&app, &cb).await.status, 403);
    assert_eq!(failures(&app.audit_actions(&w.org).await), 2);
}

async fn wrong_nonce_is_refused(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    open_sign_up(&app, &w.org, &w.admin, json!([])).await;
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "ada", Tamper::Nonce).await;
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("could not be verified"));
    assert!(signed_in_email(&app, &mut b).await.is_none());
    assert_eq!(failures(&app.audit_actions(&w.org).await), 1);
}

async fn bad_signature_is_refused(app: TestApp) {
    let org = app.org("acme").await;
    let admin = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let Some(op) = start_op(&app, &["acme"]).await else {
        return;
    };
    // The provider publishes another public key under the key id it signs
    // with: its ID tokens' signatures do not verify (and fetching the keys
    // again, as for a rotation, does not help: the key id is known).
    let r = http()
        .post(format!("{}/test/impostor-keys", op.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    configure(&app, &org, &admin, &op).await;
    open_sign_up(&app, &org, &admin, json!([])).await;
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "ada", Tamper::None).await;
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(signed_in_email(&app, &mut b).await.is_none());
    assert!(
        invigil_store::identity::users::by_email(app.state.db.read(), "ada@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(failures(&app.audit_actions(&org).await), 1);
}

async fn op_stats(op: &Op) -> Value {
    http()
        .get(format!("{}/test/stats", op.issuer))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap()
}

/// Discovery and keys are fetched once for several sign-ins, again after
/// the cache's lifetime or a change of the configuration, and once more
/// when the provider signs with a key id the kept keys do not have.
async fn keys_are_cached_and_rotation_still_signs_in(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    open_sign_up(&app, &w.org, &w.admin, json!([])).await;
    let after_put = op_stats(&w.op).await;
    assert_eq!(after_put["discovery"], 1);
    for _ in 0..2 {
        let mut b = Browser::default();
        let cb = round_trip(&app, &mut b, "acme", "ada", Tamper::None).await;
        b.get(&app, &cb).await.assert(303);
    }
    // Two sign-ins (two starts, two callbacks): one discovery with its keys.
    let s = op_stats(&w.op).await;
    assert_eq!(s["discovery"], 2, "{s}");
    assert_eq!(s["jwks"], 2, "{s}");
    // The provider rotates its signing key (a new key id): the next
    // sign-in fetches the keys again once and succeeds.
    let r = http()
        .post(format!("{}/test/rotate-keys", w.op.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "grace", Tamper::None).await;
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        signed_in_email(&app, &mut b).await.as_deref(),
        Some("grace@example.org")
    );
    let s = op_stats(&w.op).await;
    assert_eq!(s["discovery"], 3, "{s}");
    // Past the cache's lifetime: fetched again at the next start. (The
    // provider's tokens are judged by Invigil's clock, now 11 minutes
    // ahead of the provider's: only the start is made.)
    app.clock.advance(Duration::minutes(11));
    let mut b = Browser::default();
    assert_eq!(b.get(&app, "/sso/acme/start").await.status, 303);
    assert_eq!(op_stats(&w.op).await["discovery"], 4);
    assert_eq!(b.get(&app, "/sso/acme/start").await.status, 303);
    assert_eq!(op_stats(&w.op).await["discovery"], 4);
    // Saving the configuration drops what was kept (the save itself
    // fetches discovery once; the next start again).
    configure(&app, &w.org, &w.admin, &w.op).await;
    assert_eq!(op_stats(&w.op).await["discovery"], 5);
    assert_eq!(b.get(&app, "/sso/acme/start").await.status, 303);
    assert_eq!(op_stats(&w.op).await["discovery"], 6);
    assert_eq!(failures(&app.audit_actions(&w.org).await), 0);
}

/// A provider that keeps email and name out of the ID token (as OpenID
/// Connect has it for the code flow): they come from the userinfo
/// endpoint, and an unverified address there is refused as well.
async fn claims_from_userinfo(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    open_sign_up(&app, &w.org, &w.admin, json!([])).await;
    let r = http()
        .post(format!("{}/test/userinfo-only", w.op.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "ada", Tamper::None).await;
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        signed_in_email(&app, &mut b).await.as_deref(),
        Some("ada@example.org")
    );
    let user = invigil_store::identity::users::by_email(app.state.db.read(), "ada@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.name, "Ada Lovelace");
    assert_eq!(op_stats(&w.op).await["userinfo"], 1);
    // alan's address is not verified at the provider: refused.
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "alan", Tamper::None).await;
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("has not verified your email address"));
    assert_eq!(op_stats(&w.op).await["userinfo"], 2);
    assert!(
        invigil_store::identity::users::by_email(app.state.db.read(), "alan@example.org")
            .await
            .unwrap()
            .is_none()
    );
}

async fn expired_token_is_refused(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    open_sign_up(&app, &w.org, &w.admin, json!([])).await;
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "ada", Tamper::None).await;
    // The provider's ID tokens live 5 minutes; the pending sign-in 10.
    app.clock.advance(Duration::minutes(7));
    let r = b.get(&app, &cb).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(signed_in_email(&app, &mut b).await.is_none());
    assert_eq!(failures(&app.audit_actions(&w.org).await), 1);
}

async fn replayed_state_and_other_org_are_refused(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    open_sign_up(&app, &w.org, &w.admin, json!([])).await;
    let other = app.org("other").await;
    let other_admin = app
        .member(&other, "admin@other.test", &[Role::OrgAdmin])
        .await;
    configure(&app, &other, &other_admin, &w.op).await;
    open_sign_up(&app, &other, &other_admin, json!([])).await;

    // acme's callback at the other organization: refused, and acme's pending
    // sign-in is still there for acme.
    let mut b = Browser::default();
    let cb = round_trip(&app, &mut b, "acme", "ada", Tamper::None).await;
    let foreign = cb.replacen("/sso/acme/", "/sso/other/", 1);
    let r = b.get(&app, &foreign).await;
    assert_eq!(r.status, 400, "{}", r.text());
    // (The failed callback cleared the cookie; the browser had it.)
    let mut b2 = Browser::default();
    let cb2 = round_trip(&app, &mut b2, "acme", "ada", Tamper::None).await;
    let saved = b2.cookies.clone();
    b2.get(&app, &cb2).await.assert(303);
    // Replay of the same callback with the same cookie: refused.
    let mut replay = Browser {
        cookies: saved,
        csrf_token: None,
    };
    let r = replay.get(&app, &cb2).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("expired or was already used"));
    // A callback without this browser's cookie: refused.
    let mut b3 = Browser::default();
    let cb3 = round_trip(&app, &mut b3, "acme", "ada", Tamper::None).await;
    let mut stranger = Browser::default();
    assert_eq!(stranger.get(&app, &cb3).await.status, 400);
    assert!(failures(&app.audit_actions(&w.org).await) >= 2);
    assert_eq!(failures(&app.audit_actions(&other).await), 1);
}

async fn configuration_is_validated_and_secret_write_only(app: TestApp) {
    let Some(w) = world(&app, "acme").await else {
        return;
    };
    let url = "/api/v1/orgs/acme/sso";
    let v = app.get_json(url, &w.admin.token).await;
    assert_eq!(v["issuer_url"], w.op.issuer.as_str());
    assert_eq!(v["has_client_secret"], true);
    assert!(!v.to_string().contains(CLIENT_SECRET));
    assert!(
        v["redirect_uri"]
            .as_str()
            .unwrap()
            .ends_with("/sso/acme/callback")
    );
    // The secret is not stored readable either.
    let row = invigil_store::sso::config(app.state.db.read(), w.org.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!row.secret_sealed.contains(CLIENT_SECRET));
    // Bad input: 422, nothing changed.
    let unreachable = app
        .put_json(
            url,
            &w.admin.token,
            &json!({"issuer_url": "http://127.0.0.1:9", "client_id": "x",
                "display_name": "X", "enabled": true}),
        )
        .await;
    unreachable.assert_problem(422, "sso_discovery_failed");
    for body in [
        json!({"issuer_url": "http://idp.example.org", "client_id": "x", "display_name": "X", "enabled": true}),
        json!({"issuer_url": w.op.issuer, "client_id": "", "display_name": "X", "enabled": true}),
        json!({"issuer_url": w.op.issuer, "client_id": "x", "display_name": "X", "enabled": true, "allowed_domains": ["not a domain"]}),
        json!({"issuer_url": w.op.issuer, "client_id": "x", "display_name": "X", "enabled": true, "extra": 1}),
        json!({"issuer_url": 5}),
    ] {
        let r = app.put_json(url, &w.admin.token, &body).await;
        assert!(r.status == 422 || r.status == 400, "{body}: {}", r.text());
    }
    let after = app.get_json(url, &w.admin.token).await;
    assert_eq!(after["client_id"], CLIENT_ID);
    // A candidate may not read or change it; another org's admin sees 404.
    let cand = app
        .member(&w.org, "cand@acme.test", &[Role::Candidate])
        .await;
    app.get_as(url, &cand.token).await.assert(403);
    let other = app.org("zeta").await;
    let zeta_admin = app
        .member(&other, "admin@zeta.test", &[Role::OrgAdmin])
        .await;
    app.get_as(url, &zeta_admin.token).await.assert(404);
    // Removing it: the start page then says SSO is not available.
    app.delete_as(url, &w.admin.token).await.assert(204);
    app.get_as(url, &w.admin.token).await.assert(404);
    let mut b = Browser::default();
    assert_eq!(b.get(&app, "/sso/acme/start").await.status, 404);
    let actions = app.audit_actions(&w.org).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "org.sso_configured")
            .count(),
        2
    );
}

/// Without `sso_allow_private_networks` the server refuses providers on
/// internal addresses: the issuer itself, whatever its scheme, and names
/// that resolve to one.
async fn internal_addresses_are_refused(app: TestApp) {
    assert!(!app.state.config.sso_allow_private_networks);
    let org = app.org("acme").await;
    let admin = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let Some(op) = start_op(&app, &["acme"]).await else {
        return;
    };
    let url = "/api/v1/orgs/acme/sso";
    let body = |issuer: &str| {
        json!({"issuer_url": issuer, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "display_name": "Test IdP", "enabled": true})
    };
    // The running provider on loopback, by address and by name.
    let by_name = op.issuer.replacen("127.0.0.1", "localhost", 1);
    for issuer in [op.issuer.as_str(), by_name.as_str()] {
        let r = app.put_json(url, &admin.token, &body(issuer)).await;
        let p = r.assert_problem(422, "sso_address_not_allowed");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("loopback address"), "{detail}");
        assert!(detail.contains("sso_allow_private_networks"), "{detail}");
    }
    // Private, link-local (cloud metadata), unspecified and IPv4-mapped
    // IPv6 addresses: refused before any request is made.
    for (issuer, why) in [
        ("https://10.0.0.5/realms/x", "private-network address"),
        ("https://192.168.1.10", "private-network address"),
        ("https://169.254.169.254", "link-local address"),
        ("https://0.0.0.0", "unspecified address"),
        ("https://[::ffff:127.0.0.1]", "loopback address"),
        ("https://[fd00::1]", "private-network address"),
    ] {
        let r = app.put_json(url, &admin.token, &body(issuer)).await;
        let p = r.assert_problem(422, "sso_address_not_allowed");
        assert!(p["detail"].as_str().unwrap().contains(why), "{issuer}: {p}");
    }
    app.get_as(url, &admin.token).await.assert(404);
    assert!(
        !app.audit_actions(&org)
            .await
            .iter()
            .any(|a| a == "org.sso_configured")
    );
}

both!(internal_addresses_are_refused);

// The provider runs on loopback: these apps allow it.
both!(config = |c: &mut invigil_server::config::Config| c.sso_allow_private_networks = true =>
    good_login_creates_a_candidate,
    links_existing_account_by_verified_email,
    unverified_email_is_refused,
    wrong_nonce_is_refused,
    bad_signature_is_refused,
    keys_are_cached_and_rotation_still_signs_in,
    claims_from_userinfo,
    expired_token_is_refused,
    replayed_state_and_other_org_are_refused,
    configuration_is_validated_and_secret_write_only,
);
