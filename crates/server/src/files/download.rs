//! Streamed downloads with HTTP range requests (video seeking): one range is
//! answered 206 with `Content-Range`, an unsatisfiable one 416 with
//! `Content-Range: bytes */size`, anything else the whole file. `ETag` is the
//! SHA-256; `If-Range` with another tag and `If-None-Match` behave as RFC 9110
//! says.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use invigil_domain::files::{RangeAnswer, content_disposition, parse_range};

use super::blob::BlobKey;
use super::service::file_of;
use crate::http::error::{ApiError, problem_response};
use crate::state::AppState;

fn value(s: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(s).map_err(ApiError::caused_by)
}

/// The content of a file of `org_id`, answering the request's `Range`,
/// `If-Range` and `If-None-Match` headers. **No authorization inside**: the
/// caller decides who may download (files routes: course staff; the courses
/// module: enrolled learners).
#[tracing::instrument(skip_all, err, fields(file_id = %file_id))]
pub async fn serve_content(
    state: &AppState,
    org_id: Uuid,
    file_id: Uuid,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let file = file_of(&state.db, org_id, file_id).await?;
    let size = u64::try_from(file.size).unwrap_or(0);
    let etag = format!("\"{}\"", file.sha256);
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };

    if let Some(inm) = header_str(header::IF_NONE_MATCH)
        && inm.split(',').any(|t| t.trim() == etag || t.trim() == "*")
    {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        resp.headers_mut().insert(header::ETAG, value(&etag)?);
        return Ok(resp);
    }
    // If-Range with another validator: the whole (changed) file.
    let range_header = match header_str(header::IF_RANGE) {
        Some(tag) if tag.trim() != etag => None,
        _ => header_str(header::RANGE),
    };
    let answer = parse_range(range_header, size);
    if answer == RangeAnswer::Unsatisfiable {
        let mut resp = problem_response(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "range_not_satisfiable",
            format!("the file has {size} bytes; the requested range is outside them"),
            None,
        );
        resp.headers_mut()
            .insert(header::CONTENT_RANGE, value(&format!("bytes */{size}"))?);
        resp.headers_mut()
            .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        return Ok(resp);
    }
    let key = BlobKey::parse(&file.storage_key).map_err(ApiError::caused_by)?;
    let (status, range, length) = match answer {
        RangeAnswer::Partial(r) => (StatusCode::PARTIAL_CONTENT, Some(r), r.len()),
        _ => (StatusCode::OK, None, size),
    };
    let stream = state
        .blobs
        .files
        .get_range(&key, range.map(|r| r.start..r.end + 1))
        .await
        .map_err(ApiError::caused_by)?;
    let Some(stream) = stream else {
        tracing::warn!(file_id = %file.id, "file blob missing");
        return Err(ApiError::NotFound);
    };

    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let content_type = if file.content_type.starts_with("text/") {
        format!("{}; charset=utf-8", file.content_type)
    } else {
        file.content_type.clone()
    };
    h.insert(header::CONTENT_TYPE, value(&content_type)?);
    h.insert(header::CONTENT_LENGTH, value(&length.to_string())?);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, value(&etag)?);
    h.insert(
        header::CONTENT_DISPOSITION,
        value(&content_disposition(
            file.kind.inline(),
            &file.original_name,
        ))?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Private material: kept by the browser, revalidated with the ETag.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Some(r) = range {
        h.insert(header::CONTENT_RANGE, value(&r.content_range(size))?);
    }
    Ok(resp)
}
