//! The HTTP side: one server for the consent page, the token endpoint and the Sheets API, with
//! every request logged for tests.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};

use super::state::{FakeState, LoggedRequest};
use super::{oauth, sheets};

/// Sheets caps a request at 10 MB on its side too; a batch of 5,000 sentence rows is far below.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// Binds and starts serving on the current actix runtime. Signals are for the CLI only: tests
/// start many fakes in one process.
pub(crate) fn build(
    bind: SocketAddr,
    state: Arc<FakeState>,
    handle_signals: bool,
) -> io::Result<(Server, SocketAddr)> {
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let data = web::Data::from(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .default_service(web::to(handle))
    })
    .workers(2)
    .shutdown_timeout(1);
    let server = if handle_signals {
        server
    } else {
        server.disable_signals()
    };
    Ok((server.listen(listener)?.run(), addr))
}

async fn handle(req: HttpRequest, body: Bytes, state: web::Data<FakeState>) -> HttpResponse {
    let response = respond(&req, &body, &state);
    state.log(LoggedRequest {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: req.query_string().to_owned(),
        status: response.status().as_u16(),
    });
    response
}

fn respond(req: &HttpRequest, body: &[u8], state: &FakeState) -> HttpResponse {
    let path = req.uri().path();
    match (req.method(), path) {
        (&Method::GET, "/o/oauth2/v2/auth") => oauth::authorize(req, state),
        (&Method::POST, "/token") => oauth::token(body, state),
        (&Method::POST, "/revoke") => oauth::revoke(req, body, state),
        _ if path.starts_with(sheets::PREFIX) => match sheets::handle(req, body, state) {
            Some(Ok(reply)) => json_response(StatusCode::OK, &reply),
            Some(Err(error)) => {
                let status = u16::try_from(error.error.code)
                    .ok()
                    .and_then(|code| StatusCode::from_u16(code).ok())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                json_response(status, &error)
            }
            None => not_found_page(path),
        },
        _ => not_found_page(path),
    }
}

/// Pretty-printed, like Google's answers.
fn json_response(status: StatusCode, body: &impl serde::Serialize) -> HttpResponse {
    match serde_json::to_string_pretty(body) {
        Ok(text) => HttpResponse::build(status)
            .content_type(JSON_CONTENT_TYPE)
            .body(text),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// Google's front end answers unknown URLs with an HTML page, not a JSON error.
fn not_found_page(path: &str) -> HttpResponse {
    let path = path
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    HttpResponse::NotFound()
        .content_type("text/html; charset=UTF-8")
        .body(format!(
            "<!DOCTYPE html>\n<html lang=en>\n<title>Error 404 (Not Found)!!1</title>\n\
             <p><b>404.</b> <ins>That’s an error.</ins>\n<p>The requested URL <code>{path}</code> \
             was not found on this server. <ins>That’s all we know.</ins>\n"
        ))
}
