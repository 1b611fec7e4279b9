//! Google's authorization server, faked: the consent endpoint (no user: it answers at once, as
//! scripted), the token endpoint and revocation.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::errors::token_error;
use super::state::{Consent, FakeState, TokenFault};
use fnt::export::sheets::pkce_challenge;
use fnt::export::sheets::wire::TokenResponse;

/// `GET /o/oauth2/v2/auth`. Configuration errors stop on Google's own error page, as at
/// Google; everything else goes back to the redirect URI.
pub(crate) fn authorize(req: &HttpRequest, state: &FakeState) -> HttpResponse {
    let query: HashMap<String, String> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let client_id = get("client_id");
    if client_id.is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: client_id",
        );
    }
    if client_id != state.client_id {
        return error_page(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    let redirect_uri = get("redirect_uri");
    if redirect_uri.is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    }
    if !state.redirect_uris.is_empty() && !state.redirect_uris.iter().any(|r| r == redirect_uri) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 \
             policy.",
        );
    }
    if get("response_type") != "code" {
        return error_page(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "Invalid response_type.",
        );
    }
    let requested = get("scope");
    if requested.trim().is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: scope",
        );
    }
    let challenge = match (get("code_challenge"), get("code_challenge_method")) {
        ("", _) => None,
        (challenge, "" | "plain") => Some((challenge.to_owned(), "plain".to_owned())),
        (challenge, "S256") => Some((challenge.to_owned(), "S256".to_owned())),
        (_, _) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Invalid code_challenge_method.",
            );
        }
    };
    let mut back: Vec<(&str, String)> = Vec::new();
    if let Some(s) = query.get("state") {
        back.push(("state", s.clone()));
    }
    let granted = match state.next_consent() {
        Consent::Deny => {
            back.push(("error", "access_denied".to_owned()));
            return redirect(redirect_uri, &back);
        }
        Consent::Grant => requested.to_owned(),
        Consent::GrantOnly(scope) => scope,
    };
    let code = state.issue_code(FakeState::new_code(
        client_id,
        redirect_uri,
        &granted,
        challenge,
        get("access_type") == "offline",
    ));
    back.push(("code", code));
    back.push(("scope", granted));
    back.push(("authuser", "0".to_owned()));
    back.push(("prompt", "consent".to_owned()));
    redirect(redirect_uri, &back)
}

/// `POST /token` with a form body: the code exchange and the refresh grant.
pub(crate) fn token(body: &[u8], state: &FakeState) -> HttpResponse {
    if let Some(fault) = state.next_token_fault() {
        return match fault {
            TokenFault::ExpiredOrRevoked => refuse(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Token has been expired or revoked.",
            ),
            TokenFault::InvalidClient => {
                refuse(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized")
            }
            TokenFault::ServerError => HttpResponse::InternalServerError()
                .content_type("application/json; charset=utf-8")
                .body(r#"{"error": "internal_failure", "error_description": "Backend Error"}"#),
        };
    }
    let form: HashMap<String, String> = match serde_urlencoded::from_bytes(body) {
        Ok(form) => form,
        Err(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Invalid request body.",
            );
        }
    };
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let client_id = get("client_id");
    if client_id.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Could not determine client ID from request.",
        );
    }
    if client_id != state.client_id {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    if get("client_secret") != state.client_secret {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    match get("grant_type") {
        "authorization_code" => exchange(&form, state),
        "refresh_token" => refresh(get("refresh_token"), client_id, state),
        "" => refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: grant_type",
        ),
        other => refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        ),
    }
}

fn exchange(form: &HashMap<String, String>, state: &FakeState) -> HttpResponse {
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let code = get("code");
    if code.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: code",
        );
    }
    let redirect_uri = get("redirect_uri");
    if redirect_uri.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameter: redirect_uri",
        );
    }
    let verifier = get("code_verifier");
    let redeemed = state.redeem(code, |found, expired| {
        let Some(found) = found else {
            return Err(if code.starts_with("4/") {
                "Bad Request"
            } else {
                "Malformed auth code."
            });
        };
        if found.redeemed {
            return Err("Code was already redeemed.");
        }
        if expired || found.client_id != get("client_id") || found.redirect_uri != redirect_uri {
            return Err("Bad Request");
        }
        if let Some((challenge, method)) = &found.challenge {
            if verifier.is_empty() {
                return Err("Missing code verifier.");
            }
            let derived = if method == "S256" {
                pkce_challenge(verifier)
            } else {
                verifier.to_owned()
            };
            if derived != *challenge {
                return Err("Invalid code verifier.");
            }
        }
        Ok(found.clone())
    });
    let found = match redeemed {
        Ok(found) => found,
        Err(description) => return refuse(StatusCode::BAD_REQUEST, "invalid_grant", description),
    };
    let (access, refresh, expires_in) =
        state.issue_tokens(&found.client_id, &found.scope, found.offline);
    token_reply(&TokenResponse {
        access_token: access,
        expires_in,
        refresh_token: refresh,
        scope: found.scope,
        token_type: "Bearer".to_owned(),
        id_token: None,
    })
}

fn refresh(refresh_token: &str, client_id: &str, state: &FakeState) -> HttpResponse {
    if refresh_token.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: refresh_token",
        );
    }
    match state.refresh(client_id, refresh_token) {
        Some((access, scope, expires_in)) => token_reply(&TokenResponse {
            access_token: access,
            expires_in,
            refresh_token: None,
            scope,
            token_type: "Bearer".to_owned(),
            id_token: None,
        }),
        None => refuse(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token has been expired or revoked.",
        ),
    }
}

/// `POST /revoke`, the token in the form body or the query string.
pub(crate) fn revoke(req: &HttpRequest, body: &[u8], state: &FakeState) -> HttpResponse {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let query: HashMap<String, String> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let Some(token) = form.get("token").or_else(|| query.get("token")) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token",
        );
    };
    let live = state
        .issued_tokens()
        .iter()
        .any(|t| t.token == *token && !t.revoked && !t.expired);
    if live && state.revoke(token) {
        HttpResponse::Ok()
            .content_type("application/json; charset=utf-8")
            .body("{}")
    } else {
        refuse(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        )
    }
}

fn token_reply(reply: &TokenResponse) -> HttpResponse {
    json(StatusCode::OK, reply)
}

fn refuse(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    json(status, &token_error(error, description))
}

/// Token-endpoint replies are never to be cached: they carry tokens.
fn json(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    match serde_json::to_string_pretty(body) {
        Ok(text) => HttpResponse::build(status)
            .content_type("application/json; charset=utf-8")
            .insert_header((
                "Cache-Control",
                "no-cache, no-store, max-age=0, must-revalidate",
            ))
            .insert_header(("Pragma", "no-cache"))
            .body(text),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn redirect(redirect_uri: &str, params: &[(&str, String)]) -> HttpResponse {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    HttpResponse::Found()
        .insert_header(("Location", format!("{redirect_uri}{separator}{query}")))
        .finish()
}

/// Google's error page: the user sees it, the app's callback never does.
fn error_page(status: StatusCode, error: &str, detail: &str) -> HttpResponse {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html>\n<html lang=en>\n<title>Sign in - Google Accounts</title>\n\
             <h1>Access blocked: Authorization Error</h1>\n<p>{}</p>\n<p>Error {}: {}</p>\n",
            escape(detail),
            status.as_u16(),
            escape(error)
        ))
}
