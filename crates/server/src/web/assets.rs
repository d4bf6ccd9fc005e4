//! Static files of the web UI, compiled into the binary with
//! `include_bytes!` and served under content-hashed names
//! (`/assets/app.1f2e3d4c5b6a.css`) with
//! `Cache-Control: public, max-age=31536000, immutable`.
//!
//! Why not rust-embed or memory-serve: there are four files, known at compile
//! time; a table and a SHA-256 computed once at first use (microseconds) are
//! all it takes, with no build script, no proc-macro and no directory walk.
//! Templates get a file's URL from [`url`]; a changed file gets a new name,
//! so a browser never runs a stale script against a new page.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    /// The name templates ask for.
    name: &'static str,
    bytes: &'static [u8],
    content_type: &'static str,
}

/// Every file. The vendored ones carry their version in the source file name
/// and are refreshed by `scripts/vendor-assets`.
const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        bytes: include_bytes!("../../assets/app.css"),
        content_type: "text/css; charset=utf-8",
    },
    Asset {
        name: "app.js",
        bytes: include_bytes!("../../assets/app.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // the exam page (timer, autosave, local journal, palette).
        name: "exam.js",
        bytes: include_bytes!("../../assets/exam.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // how a question looks to the candidate: the exam page and the authors' preview.
        name: "question-view.js",
        bytes: include_bytes!("../../assets/question-view.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // the question editor's form and live preview (staff).
        name: "editor.js",
        bytes: include_bytes!("../../assets/editor.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // the pre-exam check (camera preview, phone pairing).
        name: "precheck.js",
        bytes: include_bytes!("../../assets/precheck.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // the phone page (second camera).
        name: "pair.js",
        bytes: include_bytes!("../../assets/pair.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // proctoring signals, webcam frames and the on-device face check, loaded only on proctored exams.
        name: "proctor.js",
        bytes: include_bytes!("../../assets/proctor.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // the lecture page: resume the video and save its position.
        name: "learn.js",
        bytes: include_bytes!("../../assets/learn.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // the people pages: the avatar preview and the API key's copy button.
        name: "people.js",
        bytes: include_bytes!("../../assets/people.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // the staff enrollment page: a chosen CSV file read into the form.
        name: "staff-enroll.js",
        bytes: include_bytes!("../../assets/staff-enroll.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // the proctor's live console: the feed, row refreshes, ticking clocks.
        name: "live.js",
        bytes: include_bytes!("../../assets/live.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // htmx.org 2.0.11, BSD-0-Clause (licence below), for the staff pages.
        name: "htmx.js",
        bytes: include_bytes!("../../assets/vendor/htmx-2.0.11.min.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        name: "htmx.LICENSE.txt",
        bytes: include_bytes!("../../assets/vendor/htmx-2.0.11.LICENSE"),
        content_type: "text/plain; charset=utf-8",
    },
    Asset {
        // @vladmandic/face-api 1.7.15, MIT (licence below): its ESM browser
        // bundle (tfjs inside, no eval), imported by proctor.js on proctored exams only.
        name: "face-api.js",
        bytes: include_bytes!("../../assets/vendor/face-api-1.7.15.esm.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        // face-api's tiny face detector: weights manifest and weights.
        name: "face-model.json",
        bytes: include_bytes!(
            "../../assets/vendor/face-api-1.7.15.tiny_face_detector_model-weights_manifest.json"
        ),
        content_type: "application/json",
    },
    Asset {
        name: "face-model.bin",
        bytes: include_bytes!("../../assets/vendor/face-api-1.7.15.tiny_face_detector_model.bin"),
        content_type: "application/octet-stream",
    },
    Asset {
        name: "face-api.LICENSE.txt",
        bytes: include_bytes!("../../assets/vendor/face-api-1.7.15.LICENSE"),
        content_type: "text/plain; charset=utf-8",
    },
];

/// `app.css` -> `app.<12 hex of SHA-256>.css`.
fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(bytes));
    let short = digest.get(..12).unwrap_or(&digest);
    match name.split_once('.') {
        Some((stem, ext)) => format!("{stem}.{short}.{ext}"),
        None => format!("{name}.{short}"),
    }
}

/// Served names, in the order of [`ASSETS`].
fn served_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| hashed_name(a.name, a.bytes))
            .collect()
    })
}

/// The URL of an asset for a template. An unknown name gives a URL that
/// answers 404 (a unit test keeps the names the templates use known).
pub fn url(name: &str) -> String {
    let served = ASSETS
        .iter()
        .zip(served_names())
        .find(|(a, _)| a.name == name)
        .map(|(_, s)| s.as_str())
        .unwrap_or("unknown");
    format!("/assets/{served}")
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let found = ASSETS
        .iter()
        .zip(served_names())
        .find(|(_, served)| **served == file);
    match found {
        Some((asset, _)) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
            ],
            asset.bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "This file does not exist (an old version of the page?). Reload the page.",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        assert_eq!(hashed_name("app.css", b"x").len(), "app..css".len() + 12);
        assert_ne!(hashed_name("app.css", b"x"), hashed_name("app.css", b"y"));
        for name in [
            "app.css",
            "app.js",
            "exam.js",
            "question-view.js",
            "editor.js",
            "precheck.js",
            "pair.js",
            "proctor.js",
            "htmx.js",
            "htmx.LICENSE.txt",
            "face-api.js",
            "face-model.json",
            "face-model.bin",
            "face-api.LICENSE.txt",
        ] {
            assert!(!url(name).ends_with("unknown"), "{name}");
        }
        assert_eq!(url("nope.css"), "/assets/unknown");
    }
}
