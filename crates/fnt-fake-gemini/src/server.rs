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

use base64::Engine as _;

use super::answer::{self, Turn};
use super::faults::{self, Fault};
use super::model;
use super::models::ModelSpec;
use super::state::FakeState;
use super::{FakeGeminiArgs, errors, validate};
use fnt::engine::gemini::protocol::{ParsedPrompt, parse_user_text};
use fnt::engine::gemini::wire::{
    CountTokensResponse, ErrorBody, GenerateContentRequest, GenerateContentResponse,
    ListModelsResponse, ModalityTokenCount,
};

/// Google's inline limit is 20 MB of base64; leave room above it so its own 400 shows instead.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";
const API_PREFIX: &str = "/v1beta/models/";
/// Lets the half body of a `truncated` reply reach the socket before the connection breaks.
const FLUSH_PAUSE: Duration = Duration::from_millis(50);
const NO_PROMPT: &str = "fake-gemini: no text part of `contents` is an fnt prompt \
     (=====SETTINGS===== … =====END=====), see engine::gemini::protocol::user_text";

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

/// What a request asks for, by its method and path.
enum Route<'a> {
    /// `GET /v1beta/models`
    List,
    /// `GET /v1beta/models/{model}`
    Get(&'a str),
    /// `POST /v1beta/models/{model}:{method}`
    Call(&'a str, &'a str),
}

/// The full RPC names Google puts in `API_KEY_SERVICE_BLOCKED` messages.
const LIST_RPC: &str = "google.ai.generativelanguage.v1beta.ModelService.ListModels";
const GET_RPC: &str = "google.ai.generativelanguage.v1beta.ModelService.GetModel";
const GENERATE_RPC: &str = "google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent";
const COUNT_RPC: &str = "google.ai.generativelanguage.v1beta.GenerativeService.CountTokens";

async fn handle(req: HttpRequest, body: Bytes, state: web::Data<FakeState>) -> HttpResponse {
    state.count_request();
    state.clock().sleep(state.latency().pick()).await;
    match route(&req) {
        None => {
            state.count_rejected();
            not_found_page(req.path())
        }
        Some(Route::List) => {
            state.count_list_call();
            match authorize(&req, &state, LIST_RPC) {
                Ok(()) => list_models(&req, &state),
                Err(error) => reject(&state, error),
            }
        }
        Some(Route::Get(model)) => {
            if let Err(error) = authorize(&req, &state, GET_RPC) {
                return reject(&state, error);
            }
            match state.model(model) {
                Some(spec) => json_response(StatusCode::OK, &spec.info()),
                None => reject(&state, errors::method_not_found(model, "get")),
            }
        }
        Some(Route::Call(model, method)) => {
            let rpc = match method {
                "generateContent" => GENERATE_RPC,
                "countTokens" => COUNT_RPC,
                _ => return reject(&state, errors::method_not_found(model, method)),
            };
            if rpc == GENERATE_RPC {
                state.count_model_call(model);
            }
            if let Err(error) = authorize(&req, &state, rpc) {
                return reject(&state, error);
            }
            let Some(spec) = state.model(model) else {
                return reject(&state, errors::method_not_found(model, method));
            };
            if rpc == COUNT_RPC {
                count_tokens(&state, &body)
            } else {
                generate(&req, &state, &spec, &body).await
            }
        }
    }
}

/// The model and method of a call share the last path segment (`{model}:{method}`).
fn route(req: &HttpRequest) -> Option<Route<'_>> {
    let path = req.path();
    if req.method() == Method::GET {
        if path == API_PREFIX.trim_end_matches('/') {
            return Some(Route::List);
        }
        let model = path.strip_prefix(API_PREFIX)?;
        return (!model.is_empty() && !model.contains(['/', ':'])).then_some(Route::Get(model));
    }
    if req.method() != Method::POST {
        return None;
    }
    let segment = path.strip_prefix(API_PREFIX)?;
    if segment.contains('/') {
        return None;
    }
    let (model, method) = segment.rsplit_once(':')?;
    (!model.is_empty() && !method.is_empty()).then_some(Route::Call(model, method))
}

/// The `x-goog-api-key` header, or the `?key=` parameter Google also takes. A revoked key is
/// refused as Google refuses a blocked one; `rpc` names the method in that message.
fn authorize(req: &HttpRequest, state: &FakeState, rpc: &str) -> Result<(), ErrorBody> {
    let key = match req.headers().get("x-goog-api-key") {
        Some(value) => Some(value.to_str().unwrap_or_default().to_owned()),
        None => query(req).remove("key"),
    };
    match key {
        None => Err(errors::missing_key()),
        Some(key) if !state.key_matches(&key) => Err(errors::invalid_key()),
        Some(_) if state.key_revoked() => Err(errors::key_blocked(rpc)),
        Some(_) => Ok(()),
    }
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

/// `models.list`: `pageSize` models from `pageToken` on (default 50, at most 1000), with a
/// `nextPageToken` while more follow.
fn list_models(req: &HttpRequest, state: &FakeState) -> HttpResponse {
    const DEFAULT_PAGE: usize = 50;
    const MAX_PAGE: usize = 1000;
    let query = query(req);
    let page_size = match query.get("pageSize").or_else(|| query.get("page_size")) {
        None => DEFAULT_PAGE,
        Some(text) => match text.parse::<i64>() {
            Ok(0) => DEFAULT_PAGE,
            Ok(n) if n > 0 => usize::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE),
            Ok(_) => {
                return reject(
                    state,
                    errors::invalid_argument("* ListModelsRequest.page_size: must be >= 0\n"),
                );
            }
            Err(_) => {
                return reject(
                    state,
                    errors::invalid_value(
                        "page_size",
                        format!("Invalid value at 'page_size' (TYPE_INT32), \"{text}\""),
                    ),
                );
            }
        },
    };
    let start = match query.get("pageToken").or_else(|| query.get("page_token")) {
        None => 0,
        Some(token) if token.is_empty() => 0,
        Some(token) => match page_start(token) {
            Some(start) => start,
            None => {
                return reject(
                    state,
                    errors::invalid_argument("Invalid page token provided."),
                );
            }
        },
    };
    let specs = state.model_specs();
    let end = start.saturating_add(page_size).min(specs.len());
    let models = specs
        .get(start.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(ModelSpec::info)
        .collect();
    let next_page_token = (end < specs.len()).then(|| page_token(end));
    json_response(
        StatusCode::OK,
        &ListModelsResponse {
            models,
            next_page_token,
        },
    )
}

/// Opaque to clients, as Google's are: the next model's position, encoded.
fn page_token(start: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("models:{start}"))
}

fn page_start(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("models:")?
        .parse()
        .ok()
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

async fn generate(
    req: &HttpRequest,
    state: &FakeState,
    model: &ModelSpec,
    body: &[u8],
) -> HttpResponse {
    let request = match validate::generate_request(body) {
        Ok(request) => request,
        Err(error) => return reject(state, error),
    };
    if let Err(error) = validate::for_model(&request, model) {
        return reject(state, error);
    }
    let Some(prompt) = find_prompt(&request) else {
        return reject(state, errors::invalid_argument(NO_PROMPT));
    };
    state.remember(&request, &prompt);
    // An overloaded model turns everyone away, whatever the script holds for later.
    if state.overloaded(&model.id) {
        return error_response(errors::high_demand());
    }
    let fault = state.draw(prompt.first_page);
    let turn = Turn::new(&request, model, state.next_response_id());
    match fault {
        Fault::RateLimit => error_response(errors::rate_limit(&model.id, state.retry_delay())),
        Fault::DailyQuota => error_response(errors::daily_quota(&model.id, state.retry_delay())),
        Fault::Internal => error_response(errors::internal()),
        Fault::Unavailable => error_response(errors::unavailable()),
        Fault::DeadlineExceeded => error_response(errors::deadline_exceeded()),
        Fault::Burst => {
            state.start_burst(&model.id);
            error_response(errors::high_demand())
        }
        Fault::Timeout => hang_up(req, state).await,
        Fault::Safety => json_response(StatusCode::OK, &turn.safety_block()),
        Fault::PromptBlock => json_response(StatusCode::OK, &turn.prompt_block()),
        Fault::None
        | Fault::MaxTokens
        | Fault::Malformed
        | Fault::Truncated
        | Fault::Recitation => {
            let request_text: String = request.texts().collect();
            let asked = Asked {
                prompt: &prompt,
                pdf: attached_pdf(&request),
                request_text: &request_text,
            };
            answer_with(state, &turn, asked, fault).await
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

/// What the model is asked: the prompt, its attached pages, and the request's whole text
/// (the seed of its JSON's fate).
struct Asked<'a> {
    prompt: &'a ParsedPrompt<'a>,
    pdf: Option<Vec<u8>>,
    request_text: &'a str,
}

/// The simulated model's answer, refused for recitation when it copies the source at length,
/// else delivered whole or damaged as `fault` says, after the time it takes to generate.
async fn answer_with(
    state: &FakeState,
    turn: &Turn,
    asked: Asked<'_>,
    fault: Fault,
) -> HttpResponse {
    let reading = match answer::read(asked.prompt, asked.pdf).await {
        Ok(reading) => reading,
        Err(error) => return error_response(error),
    };
    let behaviour = state.behaviour();
    let prompt = asked.prompt;
    let ask = model::Ask {
        limit: prompt.settings.sentence_length_limit as usize,
        reask: !prompt.corrections.is_empty() || prompt.paraphrase,
        paraphrase: prompt.paraphrase,
    };
    let said = model::answer(&reading.read, &behaviour, ask);
    let Ok(json) = said.answer.render() else {
        return error_response(errors::internal());
    };
    let recited = model::reciting(said.answer.texts(), &reading.text, state.recitation_words());
    // A recitation verdict is the content's, like Google's: every retry gets it again. A
    // scripted outcome other than a normal answer takes precedence, so tests get what they ask.
    if fault == Fault::Recitation || (fault == Fault::None && recited.is_some()) {
        state.count_recitation(
            prompt
                .sentences
                .iter()
                .map(|(_, text)| (*text).to_owned())
                .collect(),
        );
        return paced(state, turn.recitation(&json, recited)).await;
    }
    match fault {
        Fault::MaxTokens => {
            let response = turn.reply_for(faults::first_half(&json), &json, "MAX_TOKENS");
            paced(state, response).await
        }
        Fault::Malformed => {
            let response = turn.reply_for(&faults::malformed(&json), &json, "STOP");
            paced(state, response).await
        }
        Fault::Truncated => {
            let response = turn.answer(&json);
            state.clock().sleep(generation_time(state, &response)).await;
            truncated_response(&response)
        }
        _ => {
            let damage = model::damage(asked.request_text, &behaviour);
            let text = damage.map_or_else(|| json.clone(), |d| model::damaged(&json, d));
            state.record_mistakes(&said.mistakes);
            if damage.is_some() {
                state.record_mistakes(&[model::Mistake::malformed(ask)]);
            }
            state.count_rewrite();
            paced(state, turn.answer(&text)).await
        }
    }
}

/// The output the response bills (thoughts and answer), at `--tokens-per-sec`.
fn generation_time(state: &FakeState, response: &GenerateContentResponse) -> Duration {
    let output = response
        .usage_metadata
        .as_ref()
        .map_or(0, |u| u.candidates_token_count + u.thoughts_token_count);
    state.generation_time(output)
}

/// Sends `response` once the model would have finished writing it.
async fn paced(state: &FakeState, response: GenerateContentResponse) -> HttpResponse {
    state.clock().sleep(generation_time(state, &response)).await;
    json_response(StatusCode::OK, &response)
}

/// Holds the request, then closes the connection under it: the client sees no response at all.
async fn hang_up(req: &HttpRequest, state: &FakeState) -> HttpResponse {
    state.clock().sleep(state.hang()).await;
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
