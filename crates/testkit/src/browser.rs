//! A browser in miniature for tests of the web UI: the cookies it holds,
//! form posts with the page's CSRF token, and calls of `/web-api/v1` with the
//! session cookie and the `X-CSRF-Token` header, plus the checks every page
//! test makes (HTML under the strict CSP, `303` redirects).

use serde_json::Value;

use crate::{TestApp, TestResponse};

/// The cookies a browser holds, and the CSRF token of the last page that
/// carried one (`<meta name="csrf-token">`).
#[derive(Default)]
pub struct Browser {
    pub cookies: Vec<(String, String)>,
    pub csrf_token: Option<String>,
}

impl Browser {
    /// The `Cookie` header it sends.
    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Takes the `Set-Cookie`s of a response (Max-Age=0 removes) and the
    /// page's CSRF token.
    pub fn take(&mut self, r: &TestResponse) {
        for v in r.headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        if let Some(token) = meta_csrf(r) {
            self.csrf_token = Some(token);
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.cookies.iter().any(|(n, _)| n == name)
    }

    pub async fn get(&mut self, app: &TestApp, path: &str) -> TestResponse {
        let r = app.get(path).header("cookie", &self.header()).send().await;
        self.take(&r);
        r
    }

    /// Posts a form (add the `csrf` field yourself: tests also send wrong ones).
    pub async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded::to_string(form).unwrap();
        let r = app
            .post(path)
            .header("cookie", &self.header())
            .body("application/x-www-form-urlencoded", body)
            .send()
            .await;
        self.take(&r);
        r
    }

    /// Signs in through the form; returns the page that answered (a `303`
    /// on success). Afterwards [`Browser::csrf_token`] is the session's, read
    /// from `/me/exams`.
    pub async fn sign_in(&mut self, app: &TestApp, email: &str, password: &str) -> TestResponse {
        let page = self.get(app, "/signin").await;
        let token = csrf_field(&page);
        let r = self
            .post(
                app,
                "/signin",
                &[("csrf", &token), ("email", email), ("password", password)],
            )
            .await;
        if r.status == 303 {
            self.get(app, "/me/exams").await;
        }
        r
    }

    /// A `/web-api/v1` request as the page's script sends it: the cookie and
    /// `X-CSRF-Token` (the signed-in page's token), an optional JSON body.
    pub async fn api(
        &self,
        app: &TestApp,
        method: axum::http::Method,
        path: &str,
        body: Option<&Value>,
    ) -> TestResponse {
        let token = self
            .csrf_token
            .clone()
            .expect("sign in first: no csrf token");
        let mut req = app
            .req(method, path)
            .header("cookie", &self.header())
            .header("x-csrf-token", &token);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await
    }
}

/// The CSRF token of the page's first form (`name="csrf"`).
pub fn csrf_field(r: &TestResponse) -> String {
    let html = r.text();
    let at = html
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no csrf field: {html}"))
        + r#"name="csrf" value=""#.len();
    html[at..].chars().take_while(|c| *c != '"').collect()
}

/// The CSRF token a page gives its scripts (`<meta name="csrf-token">`).
pub fn meta_csrf(r: &TestResponse) -> Option<String> {
    let html = String::from_utf8_lossy(&r.body);
    let marker = r#"<meta name="csrf-token" content=""#;
    let at = html.find(marker)? + marker.len();
    Some(html[at..].chars().take_while(|c| *c != '"').collect())
}

/// An HTML page with this status, under the strict CSP.
#[track_caller]
pub fn assert_page(r: &TestResponse, status: u16) {
    r.assert(status);
    assert_eq!(
        r.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{}",
        r.text()
    );
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
}

/// A `303 See Other` to `to`.
#[track_caller]
pub fn assert_redirect(r: &TestResponse, to: &str) {
    r.assert(303);
    assert_eq!(r.header("location"), Some(to));
}
