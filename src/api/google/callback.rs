//! `GET /api/v1/google/callback`: where Google's consent screen sends the browser back. It
//! carries no sign-in of ours: the single-use `state` says which user asked, and the consent
//! cookie that it is the browser which asked. A callback without both is answered 400; a valid
//! one ends on the web app, which shows the outcome.

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{CONSENT_COOKIE, CONSENT_COOKIE_PATH, configured};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::google::GoogleError;

/// Google adds parameters of its own (`authuser`, `prompt`, `hd`, `iss`), so unknown ones are
/// allowed here.
#[derive(Debug, Deserialize)]
pub struct Callback {
    state: Option<String>,
}

const MAX_STATE_CHARS: usize = 128;

pub async fn google_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Callback>,
) -> Result<HttpResponse, ApiError> {
    let google = configured(state.google.as_ref())?;
    let consent_state = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= MAX_STATE_CHARS)
        .ok_or_else(|| {
            ApiError::bad_request("invalid_oauth_state", "the callback carries no valid state")
        })?;
    let browser = req.cookie(CONSENT_COOKIE).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_oauth_state",
            "this Google consent was started in another browser; start again from here",
        )
    })?;
    let outcome = google
        .complete_consent(
            &state.core.db,
            consent_state,
            browser.value(),
            req.query_string(),
        )
        .await;
    let result = match outcome {
        Ok(user) => {
            tracing::info!(user, "Google account connected");
            "connected".to_owned()
        }
        Err(GoogleError::UnknownConsent) => {
            return Err(GoogleError::UnknownConsent.into());
        }
        Err(e) => {
            let error = ApiError::from(e);
            tracing::info!(code = error.code(), "Google consent did not complete");
            error.code().to_owned()
        }
    };
    let mut spent = Cookie::new(CONSENT_COOKIE, "");
    spent.set_path(CONSENT_COOKIE_PATH);
    spent.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/?google={result}#settings")))
        .cookie(spent)
        .finish())
}
