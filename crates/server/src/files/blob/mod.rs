//! One blob store interface, two backends chosen by configuration
//! (`blob_store = "local" | "s3"`): a directory on local disk (default) or an
//! S3-compatible bucket (the `object_store` crate). Files and evidence frames
//! go through it, each under its own place: on disk `<data_dir>/blobs/` and
//! `<data_dir>/evidence/`, in a bucket the prefixes `files/` and
//! `evidence/`.
//!
//! Keys never come from user input: the server makes them (ids, content
//! hashes) and [`BlobKey`] refuses anything but lower-case ASCII letters,
//! digits, `-` and `_` in `/`-separated segments, so a key can never name a
//! path outside the store.

pub mod local;
pub mod s3;

use std::io;
use std::ops::Range;

use bytes::Bytes;
use futures_util::stream::BoxStream;

use crate::config::{BlobBackend, Config};

pub use local::LocalStore;
pub use s3::S3Store;

/// A stream of a blob's bytes.
pub type BlobStream = BoxStream<'static, io::Result<Bytes>>;

/// A validated blob key (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(key: &str) -> io::Result<BlobKey> {
        let valid = !key.is_empty()
            && key.len() <= 256
            && key.split('/').all(|seg| {
                !seg.is_empty()
                    && seg.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    })
            });
        if valid {
            Ok(BlobKey(key.to_owned()))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a blob key",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

/// A blob store: one of the two backends, at one place.
#[derive(Debug, Clone)]
pub enum BlobStore {
    Local(LocalStore),
    S3(S3Store),
}

/// A blob being written; nothing is visible under its key before
/// [`BlobWriter::finish`], and [`BlobWriter::abort`] leaves nothing behind.
pub enum BlobWriter {
    Local(local::LocalWriter),
    S3(s3::S3Writer),
}

impl BlobWriter {
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        match self {
            BlobWriter::Local(w) => w.write(chunk).await,
            BlobWriter::S3(w) => w.write(chunk).await,
        }
    }

    pub async fn finish(self) -> io::Result<()> {
        match self {
            BlobWriter::Local(w) => w.finish().await,
            BlobWriter::S3(w) => w.finish().await,
        }
    }

    pub async fn abort(self) {
        match self {
            BlobWriter::Local(w) => w.abort().await,
            BlobWriter::S3(w) => w.abort().await,
        }
    }
}

impl BlobStore {
    /// Stores `bytes` whole under `key` (small blobs: evidence frames).
    pub async fn put(&self, key: &BlobKey, bytes: Bytes) -> io::Result<()> {
        match self {
            BlobStore::Local(s) => s.put(key, bytes).await,
            BlobStore::S3(s) => s.put(key, bytes).await,
        }
    }

    /// A streamed write of `key` (uploads: chunks as they arrive, never the
    /// whole body in memory).
    pub async fn writer(&self, key: &BlobKey) -> io::Result<BlobWriter> {
        match self {
            BlobStore::Local(s) => s.writer(key).await.map(BlobWriter::Local),
            BlobStore::S3(s) => s.writer(key).await.map(BlobWriter::S3),
        }
    }

    /// The whole blob, or `None` when there is none.
    pub async fn get(&self, key: &BlobKey) -> io::Result<Option<Bytes>> {
        match self {
            BlobStore::Local(s) => s.get(key).await,
            BlobStore::S3(s) => s.get(key).await,
        }
    }

    /// The bytes `range` of the blob (all of it for `None`) as a stream, or
    /// `None` when there is no blob.
    pub async fn get_range(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> io::Result<Option<BlobStream>> {
        match self {
            BlobStore::Local(s) => s.get_range(key, range).await,
            BlobStore::S3(s) => s.get_range(key, range).await,
        }
    }

    /// The blob's size, or `None` when there is none.
    pub async fn head(&self, key: &BlobKey) -> io::Result<Option<u64>> {
        match self {
            BlobStore::Local(s) => s.head(key).await,
            BlobStore::S3(s) => s.head(key).await,
        }
    }

    /// Removes the blob; a missing one is not an error.
    pub async fn delete(&self, key: &BlobKey) -> io::Result<()> {
        match self {
            BlobStore::Local(s) => s.delete(key).await,
            BlobStore::S3(s) => s.delete(key).await,
        }
    }
}

/// The server's stores: uploaded files and evidence frames.
#[derive(Debug, Clone)]
pub struct Blobs {
    pub files: BlobStore,
    pub evidence: BlobStore,
}

impl Blobs {
    /// Local disk under `data_dir`.
    pub fn local(data_dir: &std::path::Path) -> Blobs {
        Blobs {
            files: BlobStore::Local(LocalStore::new(data_dir.join("blobs"))),
            // Evidence keeps its directory and layout from before the blob
            // store: existing frames stay readable as they are.
            evidence: BlobStore::Local(LocalStore::new(data_dir.join("evidence"))),
        }
    }

    /// The stores the configuration asks for. Only an S3 configuration can
    /// fail (a bad endpoint URL, a missing bucket).
    pub fn from_config(config: &Config) -> io::Result<Blobs> {
        match config.blob_store {
            BlobBackend::Local => Ok(Blobs::local(&config.data_dir)),
            BlobBackend::S3 => {
                let client = s3::client(config)?;
                Ok(Blobs {
                    files: BlobStore::S3(S3Store::new(client.clone(), "files/")),
                    evidence: BlobStore::S3(S3Store::new(client, "evidence/")),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BlobKey;

    #[test]
    fn keys_are_server_made_only() {
        assert!(BlobKey::parse("0a/1b/0a1bff").is_ok());
        assert!(BlobKey::parse("org_1/file-2").is_ok());
        for bad in [
            "", "/a", "a/", "a//b", "../a", "a/../b", "A", "a b", "a\\b", ".", "a/./b", "%2e",
        ] {
            assert!(BlobKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(BlobKey::parse(&"a".repeat(257)).is_err());
    }
}
