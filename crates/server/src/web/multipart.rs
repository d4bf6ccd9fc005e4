//! A `multipart/form-data` body read as it arrives, for the pages that
//! upload a file (the staff files page, the lecture form): parts one by
//! one, a file's bytes chunk by chunk straight into the files service;
//! nothing is held whole but the small fields.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use bytes::{Buf, BytesMut};
use futures_util::StreamExt;

/// Most bytes of a small field (`csrf`, `kind`) or of a part's headers.
const FIELD_LIMIT: usize = 8 * 1024;

/// What went wrong reading a multipart body.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the form is not multipart/form-data with a boundary")]
    NotMultipart,
    #[error("the form's body is malformed")]
    Malformed,
    #[error("the form's body ended early")]
    Truncated,
    #[error("a form field is too long")]
    TooLong,
    #[error("reading the body failed")]
    Read,
}

/// The headers of one part: its field name and, for a file, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    pub name: String,
    pub filename: Option<String>,
}

/// A `multipart/form-data` body read as it arrives: parts one by one, a
/// part's content chunk by chunk, never more than one chunk and a
/// delimiter's length buffered.
pub struct Multipart<S> {
    body: S,
    buf: BytesMut,
    /// `\r\n--` and the boundary: what ends a part.
    delim: Vec<u8>,
    eof: bool,
    /// Bytes read from the body so far.
    pub read: u64,
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(headers: &HeaderMap) -> Result<String, MultipartError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or(MultipartError::NotMultipart)?;
    let mut parts = ct.split(';');
    let mime = parts.next().unwrap_or_default().trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NotMultipart);
    }
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("boundary")
        {
            let b = v.trim().trim_matches('"');
            if (1..=70).contains(&b.len()) && b.bytes().all(|c| c.is_ascii_graphic() || c == b' ') {
                return Ok(b.to_owned());
            }
        }
    }
    Err(MultipartError::NotMultipart)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        match hay[i..=last_start].iter().position(|b| *b == first) {
            None => return None,
            Some(off) => {
                let at = i + off;
                if &hay[at..at + needle.len()] == needle {
                    return Some(at);
                }
                i = at + 1;
            }
        }
    }
    None
}

/// A header parameter (`name="file"`) of a Content-Disposition value.
fn param(value: &str, key: &str) -> Option<String> {
    for p in value.split(';').skip(1) {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case(key)
        {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            return Some(v.replace("\\\"", "\""));
        }
    }
    None
}

impl<S, E> Multipart<S>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
{
    pub fn new(body: S, boundary: &str) -> Self {
        let mut delim = b"\r\n--".to_vec();
        delim.extend_from_slice(boundary.as_bytes());
        // The body starts with `--boundary`: a leading CRLF makes the first
        // delimiter look like the others.
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"\r\n");
        Multipart {
            body,
            buf,
            delim,
            eof: false,
            read: 0,
        }
    }

    /// Reads one more chunk into the buffer; `false` at the end.
    async fn fill(&mut self) -> Result<bool, MultipartError> {
        if self.eof {
            return Ok(false);
        }
        match self.body.next().await {
            Some(Ok(chunk)) => {
                self.read += chunk.len() as u64;
                self.buf.extend_from_slice(&chunk);
                Ok(true)
            }
            Some(Err(_)) => Err(MultipartError::Read),
            None => {
                self.eof = true;
                Ok(false)
            }
        }
    }

    /// The next part's headers (the buffer must be at a delimiter, i.e. the
    /// previous part's content read to its end); `None` after the last.
    pub async fn next_part(&mut self) -> Result<Option<PartHead>, MultipartError> {
        // Skip what is left of the current part.
        while self.next_chunk().await?.is_some() {}
        let need = self.delim.len() + 2;
        while self.buf.len() < need {
            if !self.fill().await? {
                return Err(MultipartError::Truncated);
            }
        }
        if !self.buf.starts_with(&self.delim) {
            return Err(MultipartError::Malformed);
        }
        let tail = &self.buf[self.delim.len()..need];
        if tail == b"--" {
            return Ok(None);
        }
        if tail != b"\r\n" {
            return Err(MultipartError::Malformed);
        }
        self.buf.advance(need);
        let end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at;
            }
            if self.buf.len() > FIELD_LIMIT {
                return Err(MultipartError::TooLong);
            }
            if !self.fill().await? {
                return Err(MultipartError::Truncated);
            }
        };
        let head = self.buf.split_to(end + 4);
        let text = std::str::from_utf8(&head[..end]).map_err(|_| MultipartError::Malformed)?;
        let mut name = None;
        let mut filename = None;
        for line in text.split("\r\n") {
            if let Some((k, v)) = line.split_once(':')
                && k.trim().eq_ignore_ascii_case("content-disposition")
            {
                name = param(v, "name");
                filename = param(v, "filename");
            }
        }
        let name = name.ok_or(MultipartError::Malformed)?;
        Ok(Some(PartHead { name, filename }))
    }

    /// The next chunk of the current part's content; `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, MultipartError> {
        loop {
            if let Some(at) = find(&self.buf, &self.delim) {
                if at == 0 {
                    return Ok(None);
                }
                return Ok(Some(self.buf.split_to(at).freeze()));
            }
            // What cannot be the start of a delimiter goes out now.
            let keep = self.delim.len() - 1;
            if self.buf.len() > keep {
                let n = self.buf.len() - keep;
                return Ok(Some(self.buf.split_to(n).freeze()));
            }
            if !self.fill().await? {
                return Err(MultipartError::Truncated);
            }
        }
    }

    /// A small field's whole content (at most [`FIELD_LIMIT`] bytes).
    pub async fn text(&mut self) -> Result<String, MultipartError> {
        self.text_within(FIELD_LIMIT).await
    }

    /// A field's whole content, at most `limit` bytes (a lecture's text).
    pub async fn text_within(&mut self, limit: usize) -> Result<String, MultipartError> {
        let mut out = Vec::new();
        while let Some(c) = self.next_chunk().await? {
            out.extend_from_slice(&c);
            if out.len() > limit {
                return Err(MultipartError::TooLong);
            }
        }
        String::from_utf8(out).map_err(|_| MultipartError::Malformed)
    }

    /// The rest of the current part as a stream of chunks, for a service
    /// that reads a body (what follows the part is not read).
    pub fn into_part_stream(
        self,
    ) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static
    where
        S: Send + 'static,
    {
        futures_util::stream::unfold(Some(self), |state| async move {
            let mut m = state?;
            match m.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(m))),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e)), None)),
            }
        })
    }

    /// Reads and drops the rest of the body, at most `limit` more bytes;
    /// `true` when the end was reached.
    pub async fn drain(&mut self, limit: u64) -> bool {
        let start = self.read;
        self.buf.clear();
        while self.read - start <= limit {
            match self.fill().await {
                Ok(true) => self.buf.clear(),
                Ok(false) => return true,
                Err(_) => return false,
            }
        }
        false
    }
}
