//! The access matrix, generated from the router: every `/api/v1` route of the
//! OpenAPI document x the nine roles x anonymous, in the caller's own
//! organization and in another one. Every route must be classified in
//! [`RULES`] (`rules.rs`); a new route without a rule fails this test.

mod rules;

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::{Action, Grant, Role, decide};

use crate::both;
use crate::common::{TestApp, TestResponse, TestUser};

use rules::{RULES, Rule};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// (METHOD, path after /api/v1) of every route in the OpenAPI document.
fn routes_of_router() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(invigil_server::http::openapi()).expect("openapi");
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(rest) = path.strip_prefix("/api/v1") else {
            continue;
        };
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_ascii_uppercase(), rest.to_owned()));
            }
        }
    }
    out
}

fn allowed(rule: Rule, role: Role) -> bool {
    let is_super = role == Role::SuperAdmin;
    let grants = if is_super {
        Vec::new()
    } else {
        vec![Grant::org_wide(role)]
    };
    let policy = |a: Action| decide(is_super, &grants, a, None).is_allowed();
    match rule {
        Rule::Public | Rule::AnyAuthenticated | Rule::AnyMember | Rule::MemberView(_) => true,
        Rule::SuperAdminOnly => is_super,
        Rule::Policy(a) | Rule::OnResource(a) => policy(a),
        Rule::CandidateOnlyInvite => policy(Action::ManageOrg) || policy(Action::ManageEnrollments),
        Rule::AnyOf(actions) => actions.iter().any(|a| policy(*a)),
    }
}

struct Call<'a> {
    method: &'a str,
    path: String,
    token: Option<String>,
}

async fn call(app: &TestApp, c: &Call<'_>) -> TestResponse {
    let method = Method::from_bytes(c.method.as_bytes()).expect("method");
    let mut b = app.req(method.clone(), &c.path);
    if let Some(t) = &c.token {
        b = b.token(t);
    }
    if method != Method::GET {
        b = b.json(&json!({}));
    }
    b.send().await
}

fn fill(template: &str, org: &str) -> String {
    let mut out = String::from("/api/v1");
    for seg in template.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if seg == "{org}" {
            out.push_str(org);
        } else if seg.starts_with('{') {
            out.push_str(&Uuid::new_v4().to_string());
        } else {
            out.push_str(seg);
        }
    }
    out
}

fn is_problem(r: &TestResponse) -> bool {
    r.header("content-type") == Some("application/problem+json")
}

async fn every_route_role_and_org(app: TestApp) {
    // Every route is classified, and every rule names a real route.
    let router = routes_of_router();
    let table: BTreeSet<(String, String)> = RULES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let unclassified: Vec<_> = router.difference(&table).collect();
    assert!(
        unclassified.is_empty(),
        "routes without an access rule in access_matrix.rs RULES: {unclassified:?}"
    );
    let stale: Vec<_> = table.difference(&router).collect();
    assert!(
        stale.is_empty(),
        "rules for routes that do not exist: {stale:?}"
    );

    // Two organizations; one user per role in `home`, org-wide grants.
    let home = app.org("home").await;
    let away = app.org("away").await;
    let away_dept = app.department(&away, "Away secrets").await;
    let away_admin = app
        .member(&away, "boss@away.example", &[Role::OrgAdmin])
        .await;
    let mut users: Vec<(Role, TestUser)> = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@home.example", role.as_str().to_ascii_lowercase());
        let u = if role == Role::SuperAdmin {
            app.super_admin(&email).await
        } else {
            app.member(&home, &email, &[role]).await
        };
        users.push((role, u));
    }
    let secrets = [
        away.id.to_string(),
        away.name.clone(),
        away_dept.to_string(),
        away_admin.email.clone(),
        away_admin.id.to_string(),
        "Away secrets".to_owned(),
    ];

    let mut failures = Vec::new();
    let mut checked = 0usize;
    for (method, template, rule) in RULES {
        let org_scoped = template.contains("{org}");
        // Anonymous.
        let r = call(
            &app,
            &Call {
                method,
                path: fill(template, &home.slug),
                token: None,
            },
        )
        .await;
        checked += 1;
        match rule {
            Rule::Public => {
                if matches!(r.status.as_u16(), 401 | 403) || r.status.is_server_error() {
                    failures.push(format!("{method} {template} anonymous: {}", r.status));
                }
            }
            _ => {
                if r.status != 401 || !is_problem(&r) {
                    failures.push(format!(
                        "{method} {template} anonymous: {} (want 401)",
                        r.status
                    ));
                }
            }
        }
        if matches!(rule, Rule::Public) {
            continue;
        }
        for (role, u) in &users {
            // Logging out ends the session: use a throwaway one.
            let token = if *template == "/auth/logout" {
                app.fresh_token(u).await
            } else {
                u.token.clone()
            };
            let r = call(
                &app,
                &Call {
                    method,
                    path: fill(template, &home.slug),
                    token: Some(token.clone()),
                },
            )
            .await;
            checked += 1;
            let s = r.status.as_u16();
            if r.status.is_server_error() {
                failures.push(format!("{method} {template} as {role} (own org): {s}"));
            } else if allowed(*rule, *role) {
                if s == 401 || s == 403 {
                    failures.push(format!(
                        "{method} {template} as {role} (own org): {s}, want allowed; {}",
                        r.text()
                    ));
                }
                if let Rule::MemberView(a) = rule {
                    let full = allowed(Rule::Policy(*a), *role);
                    let has_settings = r.json().get("settings").is_some();
                    if has_settings != full {
                        failures.push(format!(
                            "{method} {template} as {role} (own org): settings shown: {has_settings}, want {full}; {}",
                            r.text()
                        ));
                    }
                }
            } else if matches!(rule, Rule::OnResource(_)) && s == 404 && is_problem(&r) {
                // A random id: there is nothing to authorize against.
            } else if s != 403 || !is_problem(&r) || r.json()["code"] != "forbidden" {
                failures.push(format!(
                    "{method} {template} as {role} (own org): {s}, want 403 forbidden; {}",
                    r.text()
                ));
            }
            // Another organization, where the user is not a member. The
            // super admin acts in every organization, so only the others.
            if !org_scoped || *role == Role::SuperAdmin {
                continue;
            }
            let r = call(
                &app,
                &Call {
                    method,
                    path: fill(template, &away.slug),
                    token: Some(token),
                },
            )
            .await;
            checked += 1;
            let body = r.text();
            if r.status != 404 || !is_problem(&r) || r.json()["code"] != "not_found" {
                failures.push(format!(
                    "{method} {template} as {role} (other org): {}, want 404; {body}",
                    r.status
                ));
            }
            if let Some(leak) = secrets.iter().find(|s| body.contains(s.as_str())) {
                failures.push(format!(
                    "{method} {template} as {role} (other org) leaks {leak:?}: {body}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} access checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Nothing above changed the other organization.
    let r = app
        .get_as(
            &format!("/api/v1/orgs/{}/members", away.slug),
            &away_admin.token,
        )
        .await;
    r.assert(200);
    let members: Vec<Value> = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(members.len(), 1, "{members:?}");
}

both!(every_route_role_and_org);
