//! The HTTP client of single sign-on: `openidconnect`'s async client trait
//! over our `reqwest` client (rustls with ring, installed like the S3 blob
//! store's), with a 5 s timeout, no redirects and a 1 MiB answer limit, so
//! a slow or hostile provider can hold neither a request nor memory.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Connect and whole-request timeout.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read from a provider.
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// A provider client; cheap to clone.
#[derive(Debug, Clone)]
pub struct OidcHttp(reqwest::Client);

impl OidcHttp {
    pub fn new() -> Result<OidcHttp, HttpError> {
        // reqwest is built without a crypto provider of its own.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("invigil-sso")
            .build()
            .map(OidcHttp)
            .map_err(|e| HttpError(format!("cannot build the HTTP client: {e}")))
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let mut req = self
            .0
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body);
        req = req.timeout(TIMEOUT);
        let mut resp = req
            .send()
            .await
            .map_err(|e| HttpError(format!("request failed: {e}")))?;
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

impl<'c> AsyncHttpClient<'c> for OidcHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
