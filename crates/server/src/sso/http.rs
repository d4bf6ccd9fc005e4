//! The HTTP client of single sign-on: `openidconnect`'s async client trait
//! over our `reqwest` client (rustls with ring, installed like the S3 blob
//! store's), with a 5 s timeout, no redirects and a 1 MiB answer limit, so
//! a slow or hostile provider can hold neither a request nor memory, and
//! with every address checked ([`super::net`]): no loopback, private or
//! link-local targets unless the server allows them. No proxy is used (a
//! proxy would connect where the check cannot see).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::url::Url;
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

use super::net::{GuardedResolver, check_url};

/// Connect and whole-request timeout.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read from a provider.
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// A provider client; cheap to clone.
#[derive(Debug, Clone)]
pub struct OidcHttp {
    client: reqwest::Client,
    allow_private: bool,
}

impl OidcHttp {
    /// `allow_private`: the server's `sso_allow_private_networks`.
    pub fn new(allow_private: bool) -> Result<OidcHttp, HttpError> {
        // reqwest is built without a crypto provider of its own.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver::shared(allow_private))
            .user_agent("invigil-sso")
            .build()
            .map(|client| OidcHttp {
                client,
                allow_private,
            })
            .map_err(|e| HttpError(format!("cannot build the HTTP client: {e}")))
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let url = Url::parse(&parts.uri.to_string())
            .map_err(|e| HttpError(format!("bad request URL: {e}")))?;
        check_url(&url, self.allow_private).map_err(|e| HttpError(e.to_string()))?;
        let mut req = self
            .client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body);
        req = req.timeout(TIMEOUT);
        let mut resp = req
            .send()
            .await
            .map_err(|e| HttpError(format!("request failed: {}", chain(&e))))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| HttpError(format!("reading the answer failed: {e}")))?
        {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(HttpError("the answer is larger than 1 MiB".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut out = HttpResponse::new(bytes);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// An error and its causes in one line (the refusal of an address is a
/// cause of reqwest's error).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let said = c.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = c.source();
    }
    text
}

impl<'c> AsyncHttpClient<'c> for OidcHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
