//! The `llm_cache` table: engine results by cache key.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use futures_util::future::BoxFuture;

use super::schema::llm_cache;
use super::{Db, DbError, now_ms};
use crate::engine::cache::CacheStore;

impl CacheStore for Db {
    fn cached_output<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, String>> {
        Box::pin(async move {
            Db::cached_output(self, key)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn store_output<'a>(
        &'a self,
        key: &'a str,
        engine: &'a str,
        output: String,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            Db::store_output(self, key, engine, output)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

impl Db {
    pub async fn cached_output(&self, key: &str) -> Result<Option<String>, DbError> {
        let key = key.to_owned();
        on_conn!(self, |conn| {
            Ok(llm_cache::table
                .filter(llm_cache::key.eq(&key))
                .select(llm_cache::output)
                .first(conn)
                .await
                .optional()?)
        })
    }

    pub async fn store_output(
        &self,
        key: &str,
        engine: &str,
        output: String,
    ) -> Result<(), DbError> {
        let (key, engine) = (key.to_owned(), engine.to_owned());
        in_transaction!(self, |conn| {
            diesel::insert_into(llm_cache::table)
                .values((
                    llm_cache::key.eq(&key),
                    llm_cache::engine.eq(&engine),
                    llm_cache::output.eq(&output),
                    llm_cache::created_at.eq(now_ms()),
                ))
                .on_conflict(llm_cache::key)
                .do_nothing()
                .execute(conn)
                .await?;
            Ok(())
        })
    }
}
