//! Blobs in an S3-compatible bucket through `object_store` (AWS S3, MinIO,
//! Ceph, Garage, moto...). Large uploads are multipart (parts of
//! [`PART_SIZE`], a few in flight), ranged reads are ranged GETs.

use std::io;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use super::{BlobKey, BlobStream};
use crate::config::Config;

/// Size of one part of a multipart upload (S3's minimum is 5 MiB).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploaded at once per upload (bounds memory: about 2 parts).
const PARTS_IN_FLIGHT: usize = 2;

/// The bucket's client, shared by the stores.
pub fn client(config: &Config) -> io::Result<Arc<dyn ObjectStore>> {
    // reqwest is built without a crypto provider of its own: rustls uses
    // ring, like the rest of our TLS (an already installed one is kept).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let bucket = config
        .s3_bucket
        .as_deref()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| io::Error::other("blob_store = \"s3\" needs s3_bucket"))?;
    let mut b = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(config.s3_region.clone())
        .with_allow_http(config.s3_allow_http);
    if let Some(endpoint) = &config.s3_endpoint {
        b = b.with_endpoint(endpoint.clone());
    }
    if let Some(id) = &config.s3_access_key_id {
        b = b.with_access_key_id(id.clone());
    }
    if let Some(secret) = &config.s3_secret_access_key {
        b = b.with_secret_access_key(secret.expose());
    }
    let store = b
        .build()
        .map_err(|e| io::Error::other(format!("S3 blob store: {e}")))?;
    Ok(Arc::new(store))
}

fn to_io(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e),
        e => io::Error::other(e),
    }
}

/// A prefix of a bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Arc<dyn ObjectStore>,
    prefix: &'static str,
}

impl S3Store {
    pub fn new(client: Arc<dyn ObjectStore>, prefix: &'static str) -> Self {
        S3Store { client, prefix }
    }

    fn path(&self, key: &BlobKey) -> ObjectPath {
        ObjectPath::from(format!("{}{}", self.prefix, key.as_str()))
    }

    pub async fn put(&self, key: &BlobKey, bytes: Bytes) -> io::Result<()> {
        self.client
            .put(&self.path(key), PutPayload::from_bytes(bytes))
            .await
            .map_err(to_io)?;
        Ok(())
    }

    pub async fn writer(&self, key: &BlobKey) -> io::Result<S3Writer> {
        let upload = self
            .client
            .put_multipart(&self.path(key))
            .await
            .map_err(to_io)?;
        Ok(S3Writer {
            upload: WriteMultipart::new_with_chunk_size(upload, PART_SIZE),
        })
    }

    pub async fn get(&self, key: &BlobKey) -> io::Result<Option<Bytes>> {
        match self.client.get(&self.path(key)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(to_io)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(to_io(e)),
        }
    }

    pub async fn get_range(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> io::Result<Option<BlobStream>> {
        let opts = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        match self.client.get_opts(&self.path(key), opts).await {
            Ok(r) => Ok(Some(r.into_stream().map(|c| c.map_err(to_io)).boxed())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(to_io(e)),
        }
    }

    pub async fn head(&self, key: &BlobKey) -> io::Result<Option<u64>> {
        match self.client.head(&self.path(key)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(to_io(e)),
        }
    }

    pub async fn delete(&self, key: &BlobKey) -> io::Result<()> {
        match self.client.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(to_io(e)),
        }
    }
}

/// A multipart upload in progress.
pub struct S3Writer {
    upload: WriteMultipart,
}

impl S3Writer {
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        // Wait while parts are in flight, so a fast client cannot make us
        // buffer the body.
        self.upload
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(to_io)?;
        self.upload.put(chunk);
        Ok(())
    }

    pub async fn finish(self) -> io::Result<()> {
        self.upload.finish().await.map_err(to_io)?;
        Ok(())
    }

    pub async fn abort(self) {
        if let Err(e) = self.upload.abort().await {
            tracing::warn!(error = %e, "aborting a multipart upload failed");
        }
    }
}
