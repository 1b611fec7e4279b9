//! `GET /api/v1/jobs?limit=&offset=`: the caller's jobs, newest first.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::JobView;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

const MAX_LIMIT: i64 = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    20
}

pub async fn list_jobs(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    if !(1..=MAX_LIMIT).contains(&page.limit) || page.offset < 0 {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!("limit must be 1 to {MAX_LIMIT} and offset at least 0"),
        ));
    }
    let rows = state
        .core
        .db
        .list_jobs(&caller.user_id, page.limit, page.offset)
        .await?;
    let jobs: Vec<JobView> = rows.into_iter().map(JobView::from).collect();
    Ok(
        HttpResponse::Ok()
            .json(json!({ "jobs": jobs, "limit": page.limit, "offset": page.offset })),
    )
}
