//! Blobs in a directory on local disk. A blob is written to a temporary
//! file (0600, in 0700 directories), fsynced and renamed into place, so it
//! is either whole or absent; reads seek for ranges.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use uuid::Uuid;

use super::{BlobKey, BlobStream};

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key` (a [`BlobKey`] cannot leave the root).
    pub fn path_of(&self, key: &BlobKey) -> PathBuf {
        let mut p = self.root.clone();
        for seg in key.segments() {
            p.push(seg);
        }
        p
    }

    pub async fn put(&self, key: &BlobKey, bytes: Bytes) -> io::Result<()> {
        let path = self.path_of(key);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            // Content-addressed callers store the same bytes again: done.
            return Ok(());
        }
        let mut w = self.writer(key).await?;
        match w.write(bytes).await {
            Ok(()) => w.finish().await,
            Err(e) => {
                w.abort().await;
                Err(e)
            }
        }
    }

    pub async fn writer(&self, key: &BlobKey) -> io::Result<LocalWriter> {
        let path = self.path_of(key);
        let dir = path
            .parent()
            .ok_or_else(|| io::Error::other("blob path without a directory"))?
            .to_owned();
        let tmp = dir.join(format!(".tmp-{}", Uuid::new_v4().simple()));
        let (dir2, tmp2) = (dir.clone(), tmp.clone());
        let file = tokio::task::spawn_blocking(move || -> io::Result<std::fs::File> {
            create_private_dir(&dir2)?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            opts.open(&tmp2)
        })
        .await
        .map_err(io::Error::other)??;
        Ok(LocalWriter {
            file: tokio::fs::File::from_std(file),
            tmp,
            path,
            dir,
        })
    }

    pub async fn get(&self, key: &BlobKey) -> io::Result<Option<Bytes>> {
        match tokio::fs::read(self.path_of(key)).await {
            Ok(b) => Ok(Some(Bytes::from(b))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn get_range(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> io::Result<Option<BlobStream>> {
        let mut file = match tokio::fs::File::open(self.path_of(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let stream = match range {
            Some(r) => {
                file.seek(io::SeekFrom::Start(r.start)).await?;
                let limited = file.take(r.end.saturating_sub(r.start));
                tokio_util::io::ReaderStream::with_capacity(limited, 64 * 1024).boxed()
            }
            None => tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).boxed(),
        };
        Ok(Some(stream))
    }

    pub async fn head(&self, key: &BlobKey) -> io::Result<Option<u64>> {
        match tokio::fs::metadata(self.path_of(key)).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn delete(&self, key: &BlobKey) -> io::Result<()> {
        match tokio::fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A blob being written to its temporary file.
pub struct LocalWriter {
    file: tokio::fs::File,
    tmp: PathBuf,
    path: PathBuf,
    dir: PathBuf,
}

impl LocalWriter {
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        self.file.write_all(&chunk).await
    }

    /// Flushes, fsyncs and renames into place; the rename is durable once
    /// the directory is synced too.
    pub async fn finish(mut self) -> io::Result<()> {
        let done = async {
            self.file.flush().await?;
            self.file.sync_all().await?;
            tokio::fs::rename(&self.tmp, &self.path).await?;
            #[cfg(unix)]
            tokio::fs::File::open(&self.dir).await?.sync_all().await?;
            Ok::<(), io::Error>(())
        }
        .await;
        if done.is_err() {
            let _ = tokio::fs::remove_file(&self.tmp).await;
        }
        done
    }

    pub async fn abort(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.tmp).await;
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}
