//! A minimal HTTP/1.1 client over one keep-alive `TcpStream`, for load
//! generation and for tests that drive a real `invigil` process.
//!
//! It writes a request, reads the status line, headers and a body framed by
//! `Content-Length` (or chunked), and keeps the connection for the next
//! request. No TLS, no redirects, no automatic retries: a load generator
//! wants to see every failure. Sizes are bounded so a misbehaving server
//! cannot make it allocate without limit.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Longest status or header line accepted.
const MAX_LINE: usize = 16 * 1024;
/// Most header lines accepted in one response.
const MAX_HEADERS: usize = 100;
/// Largest response body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A response: status, headers (names in lower case) and the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text, for error messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One keep-alive connection to `addr`, opened on first use and again after
/// an error or a `Connection: close`.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    timeout: Duration,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    /// A client whose every request (connecting included) must finish
    /// within `timeout`.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Client {
            addr,
            timeout,
            conn: None,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str, token: Option<&str>) -> io::Result<Response> {
        self.request("GET", path, token, None).await
    }

    /// `POST path` with a JSON body (or none).
    pub async fn post_json(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> io::Result<Response> {
        let bytes = body.map(serde_json::to_vec).transpose()?;
        self.request("POST", path, token, bytes.as_deref()).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put_json(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> io::Result<Response> {
        let bytes = serde_json::to_vec(body)?;
        self.request("PUT", path, token, Some(&bytes)).await
    }

    /// Sends one request and reads its response. On any error (timeout
    /// included) the connection is dropped; the next request reconnects.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> io::Result<Response> {
        let head = request_head(self.addr, method, path, token, body.map(<[u8]>::len));
        let outcome =
            tokio::time::timeout(self.timeout, self.exchange(head.as_bytes(), body)).await;
        match outcome {
            Ok(Ok((response, keep))) => {
                if !keep {
                    self.conn = None;
                }
                Ok(response)
            }
            Ok(Err(e)) => {
                self.conn = None;
                Err(e)
            }
            Err(_) => {
                self.conn = None;
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{method} {path}: no response within {:?}", self.timeout),
                ))
            }
        }
    }

    async fn exchange(&mut self, head: &[u8], body: Option<&[u8]>) -> io::Result<(Response, bool)> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => {
                let stream = TcpStream::connect(self.addr).await?;
                // Small requests and answers: Nagle would add delayed-ACK stalls.
                stream.set_nodelay(true)?;
                self.conn.insert(BufReader::new(stream))
            }
        };
        let stream = conn.get_mut();
        match body {
            // One write for small requests, so they travel in one segment.
            Some(b) if b.len() <= 64 * 1024 => {
                let mut all = Vec::with_capacity(head.len() + b.len());
                all.extend_from_slice(head);
                all.extend_from_slice(b);
                stream.write_all(&all).await?;
            }
            Some(b) => {
                stream.write_all(head).await?;
                stream.write_all(b).await?;
            }
            None => stream.write_all(head).await?,
        }
        stream.flush().await?;
        read_response(conn).await
    }
}

fn request_head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body_len: Option<usize>,
) -> String {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: invigil-load\r\nAccept: application/json\r\n"
    );
    if let Some(t) = token {
        head.push_str("Authorization: Bearer ");
        head.push_str(t);
        head.push_str("\r\n");
    }
    if let Some(n) = body_len {
        head.push_str("Content-Type: application/json\r\n");
        head.push_str(&format!("Content-Length: {n}\r\n"));
    } else if method != "GET" {
        head.push_str("Content-Length: 0\r\n");
    }
    head.push_str("\r\n");
    head
}

fn bad(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// Reads one line ending in CRLF (or LF), without the line end.
async fn read_line(conn: &mut BufReader<TcpStream>) -> io::Result<String> {
    let mut buf = Vec::new();
    let n = (&mut *conn)
        .take(MAX_LINE as u64 + 2)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed by the server",
        ));
    }
    if buf.last() != Some(&b'\n') {
        return Err(bad("response line too long"));
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map_err(|_| bad("response line is not UTF-8"))
}

/// Reads a response; the flag says whether the connection can be reused.
async fn read_response(conn: &mut BufReader<TcpStream>) -> io::Result<(Response, bool)> {
    let status_line = read_line(conn).await?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(bad(format!("not an HTTP/1 response: {status_line:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(conn).await?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(bad("too many response headers"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
        || version == "HTTP/1.0";
    let chunked =
        header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = header("content-length")
        .map(|v| v.parse::<usize>().map_err(|_| bad("bad Content-Length")))
        .transpose()?;
    let no_body = status == 204 || status == 304 || (100..200).contains(&status);
    let (body, reusable) = if no_body {
        (Vec::new(), !close)
    } else if chunked {
        (read_chunked(conn).await?, !close)
    } else if let Some(n) = length {
        if n > MAX_BODY {
            return Err(bad("response body too large"));
        }
        let mut body = vec![0; n];
        conn.read_exact(&mut body).await?;
        (body, !close)
    } else {
        // Delimited by the end of the connection.
        let mut body = Vec::new();
        (&mut *conn)
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body)
            .await?;
        if body.len() > MAX_BODY {
            return Err(bad("response body too large"));
        }
        (body, false)
    };
    Ok((
        Response {
            status,
            headers,
            body,
        },
        reusable,
    ))
}

async fn read_chunked(conn: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(conn).await?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(conn).await?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("response body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        conn.read_exact(&mut body[start..]).await?;
        if !read_line(conn).await?.is_empty() {
            return Err(bad("chunk not followed by CRLF"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Serves `replies` in order on one connection and returns what it read.
    async fn serve_once(replies: Vec<&'static str>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut conn = BufReader::new(stream);
            for reply in replies {
                // Read one request head and its Content-Length body.
                let mut len = 0;
                loop {
                    let line = read_line(&mut conn).await.unwrap();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                conn.read_exact(&mut body).await.unwrap();
                conn.get_mut().write_all(reply.as_bytes()).await.unwrap();
            }
        });
        (addr, task)
    }

    #[tokio::test]
    async fn reads_length_and_chunked_bodies_on_one_connection() {
        let (addr, task) = serve_once(vec![
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}",
            "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nRetry-After: 1\r\n\r\n4\r\nbusy\r\n3\r\n...\r\n0\r\n\r\n",
            "HTTP/1.1 204 No Content\r\n\r\n",
        ])
        .await;
        let mut c = Client::new(addr, Duration::from_secs(5));
        let r = c
            .put_json("/x", Some("t"), &serde_json::json!({"a": 1}))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.json().unwrap()["ok"], true);
        let r = c.get("/y", None).await.unwrap();
        assert_eq!(r.status, 503);
        assert_eq!(r.header("Retry-After"), Some("1"));
        assert_eq!(r.text(), "busy...");
        let r = c.post_json("/z", None, None).await.unwrap();
        assert_eq!(r.status, 204);
        assert!(r.body.is_empty());
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_closed_connection_is_an_error_not_a_hang() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            drop(stream);
        });
        let mut c = Client::new(addr, Duration::from_secs(5));
        assert!(c.get("/", None).await.is_err());
    }
}
