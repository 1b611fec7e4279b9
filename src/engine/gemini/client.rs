//! One `generateContent` call over awc: the request out, and the answer back as text or as a
//! typed failure. Retries, splitting and validation live in the engine above.

use std::sync::Arc;
use std::time::Duration;

use super::wire::{
    self, ApiFailure, ContentFailure, GenerateContentRequest, GenerateContentResponse,
};
use crate::engine::Usage;

/// Where and how to call Gemini.
#[derive(Clone)]
pub struct Client {
    base_url: String,
    api_key: Arc<str>,
    timeout: Duration,
    tls: Arc<rustls::ClientConfig>,
}

/// What one call came back with, other than a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// The HTTP exchange failed: connection refused or dropped, timeout, unreadable body.
    Transport(String),
    /// A non-2xx answer, classified.
    Api(ApiFailure),
    /// A 200 answer without usable text.
    Content(ContentFailure),
    /// A 200 answer whose body is not a `GenerateContentResponse`.
    BadBody(String),
}

impl Client {
    pub fn new(base_url: &str, api_key: &str, timeout: Duration) -> Result<Self, String> {
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
            tls: Arc::new(tls),
        })
    }

    /// Calls `model` and returns the answer's text; the usage of the call is added to `usage`
    /// whatever the outcome (failed calls cost tokens too).
    pub async fn generate(
        &self,
        model: &str,
        request: &GenerateContentRequest,
        usage: &mut Usage,
    ) -> Result<String, CallFailure> {
        // awc clients are bound to their thread; one per call keeps the engine `Send`.
        let client = awc::Client::builder()
            .connector(awc::Connector::new().rustls_0_23(Arc::clone(&self.tls)))
            .timeout(self.timeout)
            .finish();
        let url = format!("{}/v1beta/models/{model}:generateContent", self.base_url);
        usage.api_calls += 1;
        let mut response = client
            .post(url)
            .insert_header(("x-goog-api-key", &*self.api_key))
            .send_json(request)
            .await
            .map_err(|e| CallFailure::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| CallFailure::Transport(format!("reading the answer failed: {e}")))?;
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
