//! `GET /api/v1/history?limit=&offset=&search=`: the caller's entries, newest first; `search`
//! matches part of the file name.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::HistoryView;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

const MAX_LIMIT: i64 = 100;
const MAX_SEARCH_CHARS: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    search: Option<String>,
}

fn default_limit() -> i64 {
    20
}

pub async fn list_history(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    if !(1..=MAX_LIMIT).contains(&query.limit) || query.offset < 0 {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!("limit must be 1 to {MAX_LIMIT} and offset at least 0"),
        ));
    }
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS) {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!("search is at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let page = state
        .core
        .db
        .list_history(&caller.user_id, search, query.limit, query.offset)
        .await?;
    let entries: Vec<HistoryView> = page.entries.into_iter().map(HistoryView::from).collect();
    Ok(HttpResponse::Ok().json(json!({
        "entries": entries,
        "total": page.total,
        "limit": query.limit,
        "offset": query.offset,
    })))
}
