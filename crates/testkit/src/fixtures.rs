//! Fixtures: organizations, users with roles and signed-in sessions, made
//! directly through the store so tests do not pay for password hashing
//! (one shared argon2 hash of [`PASSWORD`] per test process).

use chrono::Utc;
use tokio::sync::OnceCell;
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_server::http::auth::ClientInfo;
use invigil_server::identity::crypto::Hasher;
use invigil_server::identity::service::open_session;
use invigil_store::identity::{AccountStatus, users};
use invigil_store::tenancy::{self, Organization};

use crate::TestApp;

/// The password of every fixture user.
pub const PASSWORD: &str = "correct-horse-battery-9";

static HASH: OnceCell<String> = OnceCell::const_new();

async fn password_hash() -> String {
    HASH.get_or_init(|| async { Hasher::owasp(1).hash(PASSWORD).await.expect("hash") })
        .await
        .clone()
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub token: String,
    pub refresh_token: String,
    pub session_id: Uuid,
}

impl TestApp {
    /// An organization with this slug.
    pub async fn org(&self, slug: &str) -> Organization {
        tenancy::create_org(
            self.db().write(),
            slug,
            &format!("Org {slug}"),
            None,
            invigil_domain::identity::OrgKind::Institution,
            Utc::now(),
        )
        .await
        .expect("create org")
    }

    /// A department of `org`.
    pub async fn department(&self, org: &Organization, name: &str) -> Uuid {
        tenancy::create_department(self.db().write(), org.id, name, Utc::now())
            .await
            .expect("department")
            .id
    }

    /// An ACTIVE user, signed in, without organization.
    pub async fn user(&self, email: &str) -> TestUser {
        self.user_with(email, false).await
    }

    pub async fn super_admin(&self, email: &str) -> TestUser {
        self.user_with(email, true).await
    }

    async fn user_with(&self, email: &str, super_admin: bool) -> TestUser {
        let now = self.state.now();
        let u = users::create(
            self.db().write(),
            users::NewUser {
                email: email.to_owned(),
                name: email.split('@').next().unwrap_or("user").to_owned(),
                status: AccountStatus::Active,
                password_hash: Some(password_hash().await),
                is_super_admin: super_admin,
                email_verified: true,
            },
            now,
        )
        .await
        .expect("create user");
        self.sign_in(&u).await
    }

    /// A new session for an existing user.
    pub async fn sign_in(&self, u: &users::User) -> TestUser {
        let tx = self.db().begin().await.expect("tx");
        let (session_id, tokens) =
            open_session(&tx, u, &ClientInfo::default(), None, self.state.now())
                .await
                .expect("session");
        tx.commit().await.expect("commit");
        TestUser {
            id: u.id,
            email: u.email.clone(),
            token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            session_id,
        }
    }

    /// An ACTIVE member of `org` holding `roles` (org-wide).
    pub async fn member(&self, org: &Organization, email: &str, roles: &[Role]) -> TestUser {
        let grants: Vec<(Role, Option<Uuid>)> = roles.iter().map(|r| (*r, None)).collect();
        self.member_in(org, email, &grants).await
    }

    /// An ACTIVE member of `org` holding `grants` (role, department).
    pub async fn member_in(
        &self,
        org: &Organization,
        email: &str,
        grants: &[(Role, Option<Uuid>)],
    ) -> TestUser {
        let u = self.user(email).await;
        self.add_to(org, &u, grants).await;
        u
    }

    /// Adds an existing user to `org` with `grants`.
    pub async fn add_to(&self, org: &Organization, u: &TestUser, grants: &[(Role, Option<Uuid>)]) {
        let now = self.state.now();
        tenancy::ensure_member(self.db().write(), org.id, u.id, now)
            .await
            .expect("member");
        tenancy::add_roles(self.db().write(), org.id, u.id, grants, now)
            .await
            .expect("roles");
    }

    /// Mails waiting in the outbox, oldest first.
    pub async fn outbox(&self) -> Vec<invigil_store::outbox::Mail> {
        invigil_store::outbox::unsent(self.db().read(), 1000)
            .await
            .expect("outbox")
    }

    /// The token in the newest mail to `to` (links carry `token=<token>`).
    pub async fn mailed_token(&self, to: &str) -> String {
        let mail = self
            .outbox()
            .await
            .into_iter()
            .rev()
            .find(|m| m.to_email == to)
            .unwrap_or_else(|| panic!("no mail to {to}"));
        let start = mail.body.find("token=").expect("token in mail") + "token=".len();
        mail.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

impl TestApp {
    /// `POST /api/v1/auth/login` from `ip`.
    pub async fn login_from(
        &self,
        email: &str,
        password: &str,
        ip: [u8; 4],
    ) -> crate::TestResponse {
        self.post("/api/v1/auth/login")
            .ip(ip)
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
    }

    /// `POST /api/v1/auth/login` from 127.0.0.1.
    pub async fn login(&self, email: &str, password: &str) -> crate::TestResponse {
        self.login_from(email, password, [127, 0, 0, 1]).await
    }

    /// A fresh access token for an existing fixture user (a new session).
    pub async fn fresh_token(&self, u: &TestUser) -> String {
        let user = users::by_id(self.db().read(), u.id)
            .await
            .expect("user")
            .expect("user exists");
        self.sign_in(&user).await.token
    }

    /// Whether `token` is accepted by `GET /me`.
    pub async fn token_works(&self, token: &str) -> bool {
        let r = self.get("/api/v1/me").token(token).send().await;
        match r.status.as_u16() {
            200 => true,
            401 => false,
            other => panic!("GET /me answered {other}: {}", r.text()),
        }
    }

    /// Mails to `to`, oldest first.
    pub async fn mails_to(&self, to: &str) -> Vec<invigil_store::outbox::Mail> {
        self.outbox()
            .await
            .into_iter()
            .filter(|m| m.to_email == to)
            .collect()
    }

    /// The actions of the organization's audit log, oldest first (read
    /// straight from the store).
    pub async fn audit_actions(&self, org: &Organization) -> Vec<String> {
        let mut rows = invigil_store::audit::list(
            self.audit_linked().await.read(),
            org.id,
            &invigil_store::audit::Filter::default(),
            None,
            10_000,
        )
        .await
        .expect("audit list");
        rows.reverse();
        rows.into_iter().map(|e| e.action).collect()
    }
}

/// A small organization with one of everything, for tests that walk many
/// routes (the OpenAPI fuzzing of `input.rs`): an ORG_ADMIN holding every
/// staff role, a DRAFT bank (editable), an APPROVED bank with one question,
/// a DRAFT exam on it and a candidate member.
#[derive(Debug, Clone)]
pub struct World {
    pub org: Organization,
    pub admin: TestUser,
    pub candidate: TestUser,
    pub department: Uuid,
    pub draft_bank: Uuid,
    pub approved_bank: Uuid,
    pub exam: Uuid,
}

impl TestApp {
    /// See [`World`]; the organization's slug is `slug`.
    pub async fn world(&self, slug: &str) -> World {
        use invigil_store::content::{self, NewBank};
        let org = self.org(slug).await;
        // Every role of an organization's staff.
        let staff: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| !matches!(r, Role::SuperAdmin | Role::Candidate))
            .collect();
        let admin = self
            .member(&org, &format!("admin@{slug}.example"), &staff)
            .await;
        let candidate = self
            .member(&org, &format!("cand@{slug}.example"), &[Role::Candidate])
            .await;
        let department = self.department(&org, "Dept").await;
        let now = self.state.now();
        let new_bank = |title: &str| NewBank {
            title: title.into(),
            description: None,
            tags: Vec::new(),
            department_id: None,
            author_id: admin.id,
        };
        let draft_bank = content::create_bank(
            self.db().write(),
            org.id,
            new_bank("Draft"),
            invigil_domain::content::BankStatus::Draft,
            now,
        )
        .await
        .expect("bank")
        .id;
        let approved = content::create_bank(
            self.db().write(),
            org.id,
            new_bank("Approved"),
            invigil_domain::content::BankStatus::Draft,
            now,
        )
        .await
        .expect("bank")
        .id;
        let input = serde_json::from_value(serde_json::json!({
            "type": "single_choice",
            "text": "Which?",
            "options": ["a", "b"],
            "correct_answer": { "option": 0 },
        }))
        .expect("question input");
        let q = invigil_domain::content::validate(input).expect("valid question");
        let metas = [invigil_server::content::service::meta_of(&q)];
        content::insert_questions(self.db().write(), org.id, approved, &metas, admin.id, now)
            .await
            .expect("questions");
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
            content::transition_bank(
                self.db().write(),
                org.id,
                approved,
                from,
                to,
                None,
                None,
                now,
            )
            .await
            .expect("transition");
        }
        let r = self
            .post(&format!("/api/v1/orgs/{slug}/exams"))
            .token(&admin.token)
            .json(&serde_json::json!({
                "title": "Exam",
                "question_bank_id": approved,
                "duration_minutes": 30,
                "passing_score": 50,
                "max_attempts": 1,
            }))
            .send()
            .await;
        r.assert(201);
        let exam = r.json()["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("exam id");
        World {
            org,
            admin,
            candidate,
            department,
            draft_bank,
            approved_bank: approved,
            exam,
        }
    }
}
