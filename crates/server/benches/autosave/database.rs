//! A fresh database per case: a temporary SQLite file, or a PostgreSQL
//! database created and dropped through `invigil_testkit::pgadmin`.

use super::*;

/// A fresh database for one case; dropped (PostgreSQL) when done.
pub(super) struct Database {
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Database {
    pub(super) async fn create(s: &Settings, backend: Backend) -> anyhow::Result<Database> {
        let dir = tempfile::tempdir()?;
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin_url = s
                    .pg_admin_url
                    .clone()
                    .context("no PostgreSQL URL configured")?;
                let name = format!("invigil_bench_{}", Uuid::new_v4().simple());
                let admin = pgadmin::connect(&admin_url).await?;
                pgadmin::create_database(&admin, &name, None).await?;
                admin.close().await?;
                Some((admin_url, name))
            }
        };
        Ok(Database { dir, pg })
    }

    pub(super) fn config(&self, mode: Mode) -> Config {
        let defaults = Config::default();
        Config {
            data_dir: self.dir.path().to_path_buf(),
            database_url: self
                .pg
                .as_ref()
                .map(|(url, name)| Secret::new(pgadmin::url_with_database(url, name))),
            autosave_batch_max: match mode {
                Mode::GroupCommit | Mode::DuringImport => defaults.autosave_batch_max,
                Mode::TxPerSave => 1,
            },
            ..defaults
        }
    }

    pub(super) async fn drop_pg(self) -> anyhow::Result<()> {
        if let Some((admin_url, name)) = &self.pg {
            let admin = pgadmin::connect(admin_url).await?;
            pgadmin::drop_database(&admin, name).await?;
            admin.close().await?;
        }
        Ok(())
    }
}
