//! The HTTP side: routing, auth, and turning an outcome into bytes on the wire (or none).

use std::any::Any;
use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Extensions, Server};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use super::answer::{self, Turn};
use super::faults::{self, Fault};
use super::state::FakeState;
use super::{FakeGeminiArgs, errors, validate};
use crate::engine::gemini::prompt::{ParsedPrompt, parse_user_text};
use crate::engine::gemini::wire::{
    CountTokensResponse, ErrorBody, GenerateContentRequest, GenerateContentResponse,
    ModalityTokenCount,
};

/// Google's inline limit is 20 MB of base64; leave room above it so its own 400 shows instead.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";
const API_PREFIX: &str = "/v1beta/models/";
/// Lets the half body of a `truncated` reply reach the socket before the connection breaks.
const FLUSH_PAUSE: Duration = Duration::from_millis(50);
const NO_PROMPT: &str = "fake-gemini: no text part of `contents` is an fnt prompt \
     (=====SETTINGS===== … =====END=====), see engine::gemini::prompt::user_text";

/// Binds and starts serving (on the current actix runtime). Signals are for the CLI only:
/// tests start many fakes in one process.
pub(crate) fn build(
    args: &FakeGeminiArgs,
    state: Arc<FakeState>,
    handle_signals: bool,
) -> io::Result<(Server, SocketAddr)> {
    let listener = TcpListener::bind(args.bind)?;
    let addr = listener.local_addr()?;
    let data = web::Data::from(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .default_service(web::to(handle))
    })
    .on_connect(keep_socket)
    .workers(2)
    // A `timeout` fault holds requests for long; stopping must not wait for them.
    .shutdown_timeout(1);
    let server = if handle_signals {
        server
    } else {
        server.disable_signals()
    };
    Ok((server.listen(listener)?.run(), addr))
}

/// A second handle on the connection's socket, so a `timeout` fault can drop the connection
/// without sending anything (actix always answers a request otherwise).
struct Socket(std::net::TcpStream);

fn keep_socket(connection: &dyn Any, extensions: &mut Extensions) {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
            && let Ok(fd) = stream.as_fd().try_clone_to_owned()
        {
            extensions.insert(Socket(std::net::TcpStream::from(fd)));
        }
    }
    #[cfg(not(unix))]
    let _ = (connection, extensions);
}

async fn handle(req: HttpRequest, body: Bytes, state: web::Data<FakeState>) -> HttpResponse {
    state.count_request();
    actix_web::rt::time::sleep(state.latency().pick()).await;
    let Some((model, method)) = route(&req) else {
        state.count_rejected();
        return not_found_page(req.path());
    };
    if !matches!(method, "generateContent" | "countTokens") {
        return reject(&state, errors::method_not_found(model, method));
    }
    if let Err(error) = authorize(&req, &state) {
        return reject(&state, error);
    }
    if method == "countTokens" {
        count_tokens(&state, &body)
    } else {
        generate(&req, &state, model, &body).await
    }
}

/// `POST /v1beta/models/{model}:{method}`: the model and method share the last path segment.
fn route(req: &HttpRequest) -> Option<(&str, &str)> {
    if req.method() != Method::POST {
        return None;
    }
    let segment = req.path().strip_prefix(API_PREFIX)?;
    if segment.contains('/') {
        return None;
    }
    let (model, method) = segment.rsplit_once(':')?;
    (!model.is_empty() && !method.is_empty()).then_some((model, method))
}

/// The `x-goog-api-key` header, or the `?key=` parameter Google also takes.
fn authorize(req: &HttpRequest, state: &FakeState) -> Result<(), ErrorBody> {
    let key = match req.headers().get("x-goog-api-key") {
        Some(value) => Some(value.to_str().unwrap_or_default().to_owned()),
        None => web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|query| query.into_inner().remove("key")),
    };
    match key {
        None => Err(errors::missing_key()),
        Some(key) if key == state.api_key() => Ok(()),
        Some(_) => Err(errors::invalid_key()),
    }
}

fn count_tokens(state: &FakeState, body: &[u8]) -> HttpResponse {
    let request = match validate::count_tokens_request(body) {
        Ok(request) => request,
        Err(error) => return reject(state, error),
    };
    let total: i64 = match (&request.contents, &request.generate_content_request) {
        (_, Some(inner)) => inner.texts().map(answer::tokens).sum(),
        (Some(contents), None) => contents
            .iter()
            .flat_map(|c| &c.parts)
            .filter_map(|p| p.text.as_deref())
            .map(answer::tokens)
            .sum(),
        (None, None) => 0,
    };
    json_response(
        StatusCode::OK,
        &CountTokensResponse {
            total_tokens: total,
            prompt_tokens_details: vec![ModalityTokenCount {
                modality: "TEXT".to_owned(),
                token_count: total,
            }],
            ..CountTokensResponse::default()
        },
    )
}

async fn generate(req: &HttpRequest, state: &FakeState, model: &str, body: &[u8]) -> HttpResponse {
    let request = match validate::generate_request(body) {
        Ok(request) => request,
        Err(error) => return reject(state, error),
    };
    let Some(prompt) = find_prompt(&request) else {
        return reject(state, errors::invalid_argument(NO_PROMPT));
    };
    state.remember(&request, prompt.first_page);
    let fault = state.draw(prompt.first_page);
    let turn = Turn::new(&request, model, state.next_response_id());
    match fault {
        Fault::RateLimit => error_response(errors::rate_limit(model, state.retry_delay())),
        Fault::DailyQuota => error_response(errors::daily_quota(model, state.retry_delay())),
        Fault::Internal => error_response(errors::internal()),
        Fault::Unavailable => error_response(errors::unavailable()),
        Fault::DeadlineExceeded => error_response(errors::deadline_exceeded()),
        Fault::Timeout => hang_up(req, state.hang()).await,
        Fault::Safety => json_response(StatusCode::OK, &turn.safety_block()),
        Fault::PromptBlock => json_response(StatusCode::OK, &turn.prompt_block()),
        Fault::None | Fault::MaxTokens | Fault::Malformed | Fault::Truncated => {
            answer_with(state, &turn, &prompt, attached_pdf(&request), fault).await
        }
    }
}

/// The bytes of the first inline PDF, for prompts that come with their pages attached.
fn attached_pdf(request: &GenerateContentRequest) -> Option<Vec<u8>> {
    request
        .contents
        .iter()
        .flat_map(|c| &c.parts)
        .filter_map(|p| p.inline_data.as_ref())
        .find(|blob| blob.mime_type == "application/pdf")
        .and_then(|blob| blob.decode().ok())
}

/// The first text part holding an fnt prompt; thoughts sent back by a client don't count.
fn find_prompt(request: &GenerateContentRequest) -> Option<ParsedPrompt<'_>> {
    request
        .contents
        .iter()
        .flat_map(|c| &c.parts)
        .filter(|p| p.thought != Some(true))
        .filter_map(|p| p.text.as_deref())
        .find_map(parse_user_text)
}

/// The real rewrite, delivered whole or damaged as `fault` says.
async fn answer_with(
    state: &FakeState,
    turn: &Turn,
    prompt: &ParsedPrompt<'_>,
    pdf: Option<Vec<u8>>,
    fault: Fault,
) -> HttpResponse {
    let json = match answer::rewrite(prompt, pdf).await {
        Ok(json) => json,
        Err(error) => return error_response(error),
    };
    match fault {
        Fault::MaxTokens => json_response(
            StatusCode::OK,
            &turn.reply(faults::first_half(&json), "MAX_TOKENS"),
        ),
        Fault::Malformed => json_response(
            StatusCode::OK,
            &turn.reply(&faults::malformed(&json), "STOP"),
        ),
        Fault::Truncated => truncated_response(&turn.answer(&json)),
        _ => {
            state.count_rewrite();
            json_response(StatusCode::OK, &turn.answer(&json))
        }
    }
}

/// Holds the request, then closes the connection under it: the client sees no response at all.
async fn hang_up(req: &HttpRequest, hang: Duration) -> HttpResponse {
    actix_web::rt::time::sleep(hang).await;
    let dropped = req
        .conn_data::<Socket>()
        .is_some_and(|Socket(socket)| socket.shutdown(std::net::Shutdown::Both).is_ok());
    if dropped {
        // Written into a closed socket: never seen.
        HttpResponse::NoContent().finish()
    } else {
        // Without the socket (not unix), the nearest visible equivalent.
        error_response(errors::deadline_exceeded())
    }
}

/// Announces the whole body, sends half of it, then breaks the connection.
fn truncated_response(response: &GenerateContentResponse) -> HttpResponse {
    let Ok(text) = serde_json::to_string_pretty(response) else {
        return error_response(errors::internal());
    };
    let full_length = u64::try_from(text.len()).unwrap_or(u64::MAX);
    let half = Bytes::copy_from_slice(faults::first_half(&text).as_bytes());
    let body = stream::iter([Ok::<_, io::Error>(half)]).chain(stream::once(async {
        actix_web::rt::time::sleep(FLUSH_PAUSE).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "fake-gemini: body truncated on purpose",
        ))
    }));
    HttpResponse::Ok()
        .content_type(JSON_CONTENT_TYPE)
        .no_chunking(full_length)
        .streaming(body)
}

fn reject(state: &FakeState, error: ErrorBody) -> HttpResponse {
    state.count_rejected();
    error_response(error)
}

fn error_response(error: ErrorBody) -> HttpResponse {
    let status = u16::try_from(error.error.code)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &error)
}

/// Pretty-printed, like Google's answers.
fn json_response(status: StatusCode, body: &impl Serialize) -> HttpResponse {
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
