//! Files (issue 15 point 2): uploads of course material (lecture videos,
//! PDFs, attachments) into the blob store, streamed both ways, with size
//! limits per kind, content-type sniffing, per-organization quotas and HTTP
//! range downloads (video seeking). [`blob`] is the one blob store
//! interface, also used by evidence frames.

pub mod blob;
pub mod download;
pub mod routes;
pub mod service;

pub use download::serve_content;
pub use service::file_of;
