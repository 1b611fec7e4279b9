//! `POST /api/v1/google/connect`: the URL of Google's consent screen for the caller, and a
//! cookie for this browser. The browser goes to Google; Google sends it back to
//! `/api/v1/google/callback`, which accepts only the browser holding the cookie.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{CONSENT_COOKIE, CONSENT_COOKIE_PATH, configured};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn connect_google(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let google = configured(state.google.as_ref())?;
    let consent = google
        .start_consent(&state.core.db, &caller.user_id)
        .await?;
    // Lax: the cookie rides along when Google's page sends the browser back (a top-level GET).
    let cookie = Cookie::build(CONSENT_COOKIE, consent.browser_secret)
        .path(CONSENT_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(req.connection_info().scheme() == "https")
        .max_age(Duration::seconds(consent.max_age_secs))
        .finish();
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .json(json!({ "authorization_url": consent.url })))
}
