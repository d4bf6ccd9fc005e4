//! The HTTP client: hyper 1 through hyper-util's pooled client (HTTP/1.1
//! keep-alive, no TLS: the load runs on loopback). Every request has a
//! timeout; nothing is retried (a load generator wants to see each failure).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client as Pool;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Largest response body read.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// What came back: status 0 means no answer (connection failure, timeout).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
    pub took: Duration,
}

impl Answer {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Clone)]
pub struct Client {
    pool: Pool<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl Client {
    /// A pool keeping up to `idle` connections per server.
    pub fn new(idle: usize, timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let pool = Pool::builder(TokioExecutor::new())
            .pool_max_idle_per_host(idle)
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Client { pool, timeout }
    }

    /// `method base+path` with a JSON body and a bearer token, timed from
    /// sending to the whole body read.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Answer {
        let started = Instant::now();
        let failed = |started: Instant| Answer {
            status: 0,
            body: Bytes::new(),
            took: started.elapsed(),
        };
        let mut req = Request::builder().method(method).uri(url);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let payload = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(v).unwrap_or_default())
            }
            None => Bytes::new(),
        };
        let Ok(req) = req.body(Full::new(payload)) else {
            return failed(started);
        };
        let exchange = async {
            let resp = self.pool.request(req).await.ok()?;
            let status = resp.status().as_u16();
            let body = Limited::new(resp.into_body(), MAX_BODY)
                .collect()
                .await
                .ok()?
                .to_bytes();
            Some((status, body))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Some((status, body))) => Answer {
                status,
                body,
                took: started.elapsed(),
            },
            _ => failed(started),
        }
    }
}
