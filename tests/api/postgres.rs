//! A PostgreSQL database per test, on the server at `FNT_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432`).
//!
//! Without a reachable server the PostgreSQL suite is skipped (the binary exits at once,
//! successfully, saying so) unless `FNT_REQUIRE_POSTGRES=1`, which `.ci/run` sets: then it fails.

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

fn server_url() -> String {
    std::env::var("FNT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

fn required() -> bool {
    std::env::var("FNT_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

pub struct TestDatabase {
    name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let server = server_url();
        let mut admin = match AsyncPgConnection::establish(&format!("{server}/postgres")).await {
            Ok(conn) => conn,
            Err(e) if !required() => {
                eprintln!(
                    "PostgreSQL at {server} is unreachable ({e}): skipping the PostgreSQL suite \
                     (FNT_REQUIRE_POSTGRES=1 makes this a failure)"
                );
                std::process::exit(0);
            }
            Err(e) => panic!("PostgreSQL at {server} is required but unreachable: {e}"),
        };
        let name = format!(
            "fnt_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("test database created");
        Self {
            url: format!("{server}/{name}"),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, name) = (server_url(), self.name.clone());
        // Drop runs inside the test's runtime, which must not block: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&format!("{server}/postgres"))
                    .await
                    .map_err(std::io::Error::other)?;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
