//! `GET /api/v1/jobs/{id}/result?offset=0&limit=100&chapter=3`: a page of a finished job's
//! source sentences, each with its pieces, in book order; `GET …/result/pieces`: every piece,
//! one per line, streamed.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{finished_entry, owned_job};
use crate::api::AppState;
use crate::api::book::{self, PageQuery, PageView};
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::lifecycle::JobStatus;

#[derive(Serialize)]
struct ResultView {
    job_id: String,
    status: JobStatus,
    #[serde(flatten)]
    page: PageView,
}

pub async fn job_result(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let window = query.window()?;
    let job = owned_job(&state, &id, &caller.user_id).await?;
    let entry = finished_entry(&state, &job, &caller.user_id).await?;
    let page = book::page(&state.core.db, &entry.id, window).await?;
    Ok(HttpResponse::Ok().json(ResultView {
        job_id: job.id,
        status: job.status,
        page,
    }))
}

pub async fn job_result_pieces(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = owned_job(&state, &id, &caller.user_id).await?;
    let entry = finished_entry(&state, &job, &caller.user_id).await?;
    Ok(book::flat_view(state.core.db.clone(), entry.id))
}
