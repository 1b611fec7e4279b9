//! One `generateContent` call over awc: the request out, and the answer back as text or as a
//! typed failure. Retries, splitting and validation live in the engine above.

use std::sync::Arc;
use std::time::Duration;

use super::wire::{
    self, ApiFailure, ContentFailure, GenerateContentRequest, GenerateContentResponse,
    ListModelsResponse, ModelInfo,
};
use crate::clock::Clock;
use crate::engine::Usage;

/// Pages of `models.list` read at most; Google returns a few dozen models in one page.
const MAX_LIST_PAGES: usize = 20;

/// Where and how to call Gemini.
#[derive(Clone)]
pub struct Client {
    base_url: String,
    api_key: Arc<str>,
    timeout: Duration,
    clock: Clock,
    tls: Arc<rustls::ClientConfig>,
}

/// What one call came back with, other than a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// The HTTP exchange failed: connection refused or dropped, unreadable body.
    Transport(String),
    /// No answer within the request timeout.
    TimedOut(String),
    /// A non-2xx answer, classified.
    Api(ApiFailure),
    /// A 200 answer without usable text.
    Content(ContentFailure),
    /// A 200 answer whose body is not a `GenerateContentResponse`.
    BadBody(String),
}

impl Client {
    pub fn new(
        base_url: &str,
        api_key: &str,
        timeout: Duration,
        clock: Clock,
    ) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: Arc::from(api_key),
            timeout,
            clock,
            tls: Arc::new(tls),
        })
    }

    fn http(&self) -> awc::Client {
        // awc clients are bound to their thread; one per call keeps the engine `Send`. Its own
        // timeout is only a backstop: the clock's (which tests accelerate) fires first.
        awc::Client::builder()
            .connector(awc::Connector::new().rustls_0_23(Arc::clone(&self.tls)))
            .timeout(self.timeout + Duration::from_secs(5))
            .finish()
    }

    /// Every model `models.list` offers, page after page.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, CallFailure> {
        let mut models = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let mut url = format!("{}/v1beta/models?pageSize=1000", self.base_url);
            if let Some(token) = &token {
                url.push_str("&pageToken=");
                url.push_str(&percent_encode(token));
            }
            let exchange = async {
                let mut response = self
                    .http()
                    .get(url)
                    .insert_header(("x-goog-api-key", &*self.api_key))
                    .send()
                    .await
                    .map_err(|e| CallFailure::Transport(e.to_string()))?;
                let status = response.status().as_u16();
                let body = response.body().limit(16 * 1024 * 1024).await.map_err(|e| {
                    CallFailure::Transport(format!("reading the model list failed: {e}"))
                })?;
                if !(200..300).contains(&status) {
                    return Err(CallFailure::Api(wire::classify_error(status, &body)));
                }
                serde_json::from_slice::<ListModelsResponse>(&body).map_err(|e| {
                    CallFailure::BadBody(format!("the model list is not valid JSON: {e}"))
                })
            };
            let page = self
                .clock
                .timeout(self.timeout, exchange)
                .await
                .ok_or_else(|| CallFailure::TimedOut(timed_out(self.timeout)))??;
            models.extend(page.models);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => token = Some(next),
                None => return Ok(models),
            }
        }
        Ok(models)
    }

    /// Calls `model` and returns the answer's text; the usage of the call is added to `usage`
    /// whatever the outcome (failed calls cost tokens too).
    pub async fn generate(
        &self,
        model: &str,
        request: &GenerateContentRequest,
        usage: &mut Usage,
    ) -> Result<String, CallFailure> {
        let url = format!("{}/v1beta/models/{model}:generateContent", self.base_url);
        usage.api_calls += 1;
        let exchange = async {
            let mut response = self
                .http()
                .post(url)
                .insert_header(("x-goog-api-key", &*self.api_key))
                .send_json(request)
                .await
                .map_err(|e| CallFailure::Transport(e.to_string()))?;
            let status = response.status().as_u16();
            let body =
                response.body().limit(64 * 1024 * 1024).await.map_err(|e| {
                    CallFailure::Transport(format!("reading the answer failed: {e}"))
                })?;
            Ok((status, body))
        };
        let (status, body) = self
            .clock
            .timeout(self.timeout, exchange)
            .await
            .ok_or_else(|| CallFailure::TimedOut(timed_out(self.timeout)))??;
        if !(200..300).contains(&status) {
            return Err(CallFailure::Api(wire::classify_error(status, &body)));
        }
        let parsed: GenerateContentResponse = serde_json::from_slice(&body)
            .map_err(|e| CallFailure::BadBody(format!("the answer is not valid JSON: {e}")))?;
        let (input_tokens, output_tokens) = wire::usage(&parsed);
        usage.input_tokens += input_tokens;
        usage.output_tokens += output_tokens;
        wire::read_answer(&parsed)
            .map(|answer| answer.text)
            .map_err(CallFailure::Content)
    }
}

fn timed_out(limit: Duration) -> String {
    format!("no answer within {} s", limit.as_secs())
}

/// Page tokens are opaque; anything outside the unreserved set is escaped.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
