//! The test binary's harness: the [`TestApp`] and its fixtures come from
//! `invigil-testkit`; [`both!`] runs one test body on each backend.

pub use invigil_testkit::*;

/// The reaper child of this binary (see [`invigil_testkit::REAPER_TEST`]):
/// drops this process's PostgreSQL template once the process is gone. In a
/// normal run it does nothing.
#[tokio::test]
async fn template_reaper() {
    invigil_testkit::template_reaper().await;
}

/// `both!(name)` turns `async fn name(app: TestApp)` into two tests,
/// `name::sqlite` and `name::postgres`. Without `INVIGIL_TEST_PG_URL` the
/// latter passes with a note, except when `CI` is set: then it fails.
///
/// `both!(config = |c| c.autosave_batch_max = 1 => name, ...)` starts the
/// apps with a changed configuration ([`TestAppBuilder::with_config`]).
#[macro_export]
macro_rules! both {
    (config = $change:expr => $($name:ident),+ $(,)?) => {
        $(
        mod $name {
            // The change is written in the test file: its names are there.
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let setup = $crate::common::TestApp::builder($crate::common::Backend::Sqlite)
                    .with_config($change)
                    .build()
                    .await
                    .expect("SQLite app");
                $crate::common::run(setup, super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let setup = $crate::common::TestApp::builder($crate::common::Backend::Postgres)
                    .with_config($change)
                    .build()
                    .await;
                match setup {
                    Some(setup) => $crate::common::run(setup, super::$name).await,
                    None => $crate::common::pg_unavailable(concat!(module_path!(), "::postgres")),
                }
            }
        }
        )+
    };
    ($($name:ident),+ $(,)?) => {
        $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::common::run($crate::common::TestApp::sqlite().await, super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::common::TestApp::postgres().await {
                    Some(setup) => $crate::common::run(setup, super::$name).await,
                    None => $crate::common::pg_unavailable(concat!(module_path!(), "::postgres")),
                }
            }
        }
        )+
    };
}
