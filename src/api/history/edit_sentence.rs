//! `PATCH /api/v1/history/{id}/sentences/{position}` with `{"normalized": "…"}`: the learner's
//! own wording of a sentence. The engine's text is kept beside it; sending it back undoes the
//! edit.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{SentenceView, owned_entry};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::history::SentenceEdit;

const MAX_SENTENCE_CHARS: usize = 2000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    normalized: String,
}

pub async fn edit_sentence(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, i64)>,
    edit: web::Json<Edit>,
) -> Result<HttpResponse, ApiError> {
    let (id, position) = path.into_inner();
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let text = edit.normalized.trim();
    if text.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_sentence",
            "normalized: a sentence cannot be empty",
        ));
    }
    if text.chars().count() > MAX_SENTENCE_CHARS {
        return Err(ApiError::bad_request(
            "invalid_sentence",
            format!("normalized: at most {MAX_SENTENCE_CHARS} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(ApiError::bad_request(
            "invalid_sentence",
            "normalized: one line of text, without control characters",
        ));
    }
    let index = i32::try_from(position - 1)
        .ok()
        .filter(|i| *i >= 0)
        .ok_or_else(|| ApiError::not_found("sentence"))?;
    let limit = crate::export::stored::sentence_length_limit(&entry.settings)
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    match state
        .core
        .db
        .edit_sentence(&entry.id, &caller.user_id, index, text, limit)
        .await?
    {
        SentenceEdit::Edited(row) => Ok(HttpResponse::Ok().json(SentenceView::from(*row))),
        SentenceEdit::NoSuchEntry => Err(ApiError::not_found("history entry")),
        SentenceEdit::NoSuchSentence => Err(ApiError::not_found("sentence")),
    }
}
